/* alexishr.c: the AlexisHR API source.
 *
 *   GET {base_url}/employee?select=…&relations=department,office&filters[…]…&limit=N&offset=M
 *
 * with the access token as a bearer token, page by page (offset += count) until offset reaches
 * total. Department and office names come from the answers' "relations" blocks, gathered over
 * every page before any record is mapped; managerEmployeeId is the supervisor, hireDate the
 * hire date, endDate the leave date (both taken as calendar dates), active the status
 * ("active"/"inactive"). Incremental reads filter on `updated`. Errors carry AlexisHR's own
 * {statusCode, message, error}. A page that cannot be read is quarantined with the records it
 * held; the read goes on. */
#include "hrsync/log.h"
#include "hrsync/person.h"
#include "hrsync/source.h"
#include "api.h"
#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "AlexisHR"
#define DEFAULT_BASE "https://api.alexishr.com/v1"
#define MAX_PAGES 100000

static const char *const known_keys[] = {
    "base_url", "token_env", "token_file", "page_size", "fields", "select", "filters",
    "updated_since", "rate_limit", "timeout", NULL,
};

/* The fields asked for by default (select). */
static const char *const default_select[] = {
    "id", "active", "employeeNumber", "firstName", "lastName", "workEmail", "userName", "title",
    "departmentId", "officeId", "managerEmployeeId", "hireDate", "endDate", "gender", "division",
    "organization", "employmentCountry", "updated", NULL,
};

/* person field <- employee key; custom fields are set only when the record has the key. */
static const struct {
    const char *field, *key;
    int custom;
} standard[] = {
    { "id", "id", 0 },
    { "first_name", "firstName", 0 },
    { "last_name", "lastName", 0 },
    { "email", "workEmail", 0 },
    { "position", "title", 0 },
    { "supervisor_id", "managerEmployeeId", 0 },
    { "hire_date", "hireDate", 0 },
    { "termination_date", "endDate", 0 },
    { "gender", "gender", 0 },
    { "employee_number", "employeeNumber", 1 },
    { "user_name", "userName", 1 },
    { "division", "division", 1 },
    { "organization", "organization", 1 },
    { "employment_country", "employmentCountry", 1 },
    { "department_id", "departmentId", 1 },
    { "office_id", "officeId", 1 },
};
#define N_STANDARD (sizeof standard / sizeof standard[0])

typedef struct alexis {
    hrs_api api;
    char *base;               /* owned */
    char *token;              /* owned, wiped */
    long page_size;
    const char *updated_since;
    const json_t *fields;     /* person field -> dot path, or NULL */
    char *query;              /* select, relations and filters, "&"-joined (owned) */
} alexis;

static void ax_free(alexis *a)
{
    hrs_api_free(&a->api);
    free(a->base);
    if (a->token) memset(a->token, 0, strlen(a->token));
    free(a->token);
    free(a->query);
}

/* ---- configuration ---- */

/* Adds name to the select list unless it is there. */
static void select_add(hrs_api_buf *sel, const char *name, size_t len)
{
    if (len == 0) return;
    if (sel->p) {
        const char *p = sel->p;
        while (*p) {
            size_t l = strcspn(p, ",");
            if (l == len && strncmp(p, name, len) == 0) return;
            p += l;
            if (*p) p++;
        }
        hrs_api_buf_add(sel, ",");
    }
    hrs_api_buf_addn(sel, name, len);
}

/* A filter value as text. -1 for values that are not scalars. */
static int filter_text(const json_t *v, char *buf, size_t n)
{
    if (json_is_string(v)) snprintf(buf, n, "%s", json_string_value(v));
    else if (json_is_integer(v)) snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else if (json_is_real(v)) snprintf(buf, n, "%.15g", json_real_value(v));
    else if (json_is_boolean(v)) snprintf(buf, n, "%s", json_is_true(v) ? "true" : "false");
    else return -1;
    return 0;
}

/* filters = { active = true, hireDate = { ["$lte"] = "2026-12-31" }, id = { ["$in"] = {…} } }
 * → filters[active][$eq]=true&filters[hireDate][$lte]=…&filters[id][$in][]=… (deepObject). */
static int add_filters(hrs_api_buf *q, const json_t *filters, hrs_err *err)
{
    const char *field, *op;
    json_t *v, *ov;
    char key[300], val[512];
    if (!filters || json_is_null(filters)) return 0;
    if (!json_is_object(filters))
        return hrs_err_set(err, WHAT ": `filters` must be a table of field = value or field = "
                           "{ [\"$op\"] = value }");
    json_object_foreach((json_t *)filters, field, v) {
        if (!json_is_object(v)) {
            if (filter_text(v, val, sizeof val) != 0)
                return hrs_err_set(err, WHAT ": filters.%s must be a text, number or boolean, or a "
                                   "table of operators", field);
            snprintf(key, sizeof key, "filters[%s][$eq]", field);
            hrs_api_buf_query(q, key, val);
            continue;
        }
        json_object_foreach(v, op, ov) {
            if (op[0] != '$')
                return hrs_err_set(err, WHAT ": filters.%s.%s: operators start with $ ($eq, $neq, "
                                   "$gt, $gte, $lt, $lte, $in, $nin, $between)", field, op);
            if (json_is_array(ov)) {
                size_t i;
                json_t *item;
                snprintf(key, sizeof key, "filters[%s][%s][]", field, op);
                json_array_foreach(ov, i, item) {
                    if (filter_text(item, val, sizeof val) != 0)
                        return hrs_err_set(err, WHAT ": filters.%s.%s[%zu] is not a scalar", field,
                                           op, i + 1);
                    hrs_api_buf_query(q, key, val);
                }
            } else if (filter_text(ov, val, sizeof val) == 0) {
                snprintf(key, sizeof key, "filters[%s][%s]", field, op);
                hrs_api_buf_query(q, key, val);
            } else {
                return hrs_err_set(err, WHAT ": filters.%s.%s is not a scalar or a list", field, op);
            }
        }
    }
    return 0;
}

/* Builds the fixed part of the query: select, relations, filters. */
static int build_query(alexis *a, const json_t *cfg, hrs_err *err)
{
    hrs_api_buf sel = { 0 }, q = { 0 };
    for (size_t i = 0; default_select[i]; i++)
        select_add(&sel, default_select[i], strlen(default_select[i]));
    const char *field;
    json_t *v;
    if (a->fields) {
        json_object_foreach((json_t *)a->fields, field, v) {
            const char *path = json_string_value(v);
            select_add(&sel, path, strcspn(path, "."));
        }
    }
    json_t *extra = json_object_get(cfg, "select");
    if (extra && !json_is_null(extra)) {
        size_t i;
        if (!json_is_array(extra)) {
            hrs_api_buf_free(&sel);
            return hrs_err_set(err, WHAT ": `select` must be a list of employee field names");
        }
        json_array_foreach(extra, i, v) {
            if (!json_is_string(v) || json_string_length(v) == 0 || strchr(json_string_value(v), ',')) {
                hrs_api_buf_free(&sel);
                return hrs_err_set(err, WHAT ": select[%zu] must be one field name", i + 1);
            }
            select_add(&sel, json_string_value(v), json_string_length(v));
        }
    }
    if (sel.oom) {
        hrs_api_buf_free(&sel);
        return hrs_err_set(err, WHAT ": out of memory");
    }
    hrs_api_buf_query(&q, "select", sel.p);
    hrs_api_buf_free(&sel);
    hrs_api_buf_query(&q, "relations", "department,office");
    if (add_filters(&q, json_object_get(cfg, "filters"), err) != 0) {
        hrs_api_buf_free(&q);
        return -1;
    }
    if (a->updated_since) hrs_api_buf_query(&q, "filters[updated][$gte]", a->updated_since);
    if (q.oom) {
        hrs_api_buf_free(&q);
        return hrs_err_set(err, WHAT ": out of memory");
    }
    a->query = strdup(q.p + 1);          /* without the leading "?" */
    hrs_api_buf_free(&q);
    return a->query ? 0 : hrs_err_set(err, WHAT ": out of memory");
}

static int configure(alexis *a, const json_t *cfg, hrs_err *err)
{
    const char *base;
    double ps = 0, pm = 0;
    long timeout;
    if (hrs_source_cfg_check_keys(cfg, WHAT, known_keys, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "base_url", &base, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "updated_since", &a->updated_since, err) != 0 ||
        hrs_api_cfg_int(cfg, WHAT, "page_size", 1, 1000, 100, &a->page_size, err) != 0 ||
        hrs_api_cfg_int(cfg, WHAT, "timeout", 1, 3600, 60, &timeout, err) != 0 ||
        hrs_api_cfg_rate_limit(cfg, WHAT, &ps, &pm, err) != 0)
        return -1;
    a->fields = json_object_get(cfg, "fields");
    if (json_is_null(a->fields)) a->fields = NULL;
    if (a->fields) {
        const char *field;
        json_t *v;
        if (!json_is_object(a->fields))
            return hrs_err_set(err, WHAT ": `fields` must be a table of person field = employee "
                               "key or dot path, e.g. { cost_center = \"custom.costCenter\" }");
        json_object_foreach((json_t *)a->fields, field, v)
            if (!json_is_string(v) || json_string_length(v) == 0 || strcmp(field, "raw") == 0)
                return hrs_err_set(err, WHAT ": fields.%s must name an employee key or dot path "
                                   "(and \"raw\" is reserved)", field);
    }
    if (build_query(a, cfg, err) != 0) return -1;
    if (hrs_api_init(&a->api, WHAT, timeout, ps, pm, err) != 0) return -1;
    a->base = hrs_api_base(base ? base : DEFAULT_BASE);
    if (!a->base) return hrs_err_set(err, WHAT ": out of memory");
    if (hrs_api_secret(cfg, WHAT, "token", 1, &a->token, err) != 0) return -1;
    hrs_api_add_secret(&a->api, a->token);
    return 0;
}

/* ---- reading ---- */

/* Adds the named relation list of a page ({"department":[{id,name}…]}) to names (id -> name). */
static int add_relations(json_t *names, const json_t *relations, const char *kind)
{
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(relations, kind), i, r) {
        const char *id = json_string_value(json_object_get(r, "id"));
        json_t *name = json_object_get(r, "name");
        if (id && json_is_string(name) && json_object_set(names, id, name) != 0) return -1;
    }
    return 0;
}

/* Reads every page: employees gets {"index", "employee"}, depts/offices id -> name. */
static int read_pages(alexis *a, json_t *employees, json_t *depts, json_t *offices,
                      hrs_person_set *set, hrs_err *err)
{
    long offset = 0, total = -1, bad_in_row = 0;
    for (int page = 0; page < MAX_PAGES; page++) {
        hrs_api_buf url = { 0 };
        char auth[1200];
        hrs_api_buf_addf(&url, "%s/employee?%s&limit=%ld&offset=%ld", a->base, a->query,
                        a->page_size, offset);
        if (url.oom) return hrs_err_set(err, WHAT ": out of memory");
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", a->token);
        const char *hdr[] = { "Accept: application/json", auth, NULL };
        hrs_http_response resp;
        int rc = hrs_api_send(&a->api, "GET", url.p, hdr, NULL, 0, &resp, err);
        memset(auth, 0, sizeof auth);
        if (rc != 0) {
            hrs_api_buf_free(&url);
            return -1;
        }
        if (resp.status != 200) {
            char ctx[64];
            snprintf(ctx, sizeof ctx, "(offset %ld)", offset);
            hrs_api_status_error(&a->api, "GET", url.p, &resp, ctx, err);
            if (err && (resp.status == 401 || resp.status == 403)) {
                size_t l = strlen(err->msg);
                snprintf(err->msg + l, sizeof err->msg - l, " (check the access token that "
                         "token_env/token_file names)");
            }
            hrs_http_response_clear(&resp);
            hrs_api_buf_free(&url);
            return -1;
        }
        hrs_api_buf_free(&url);
        char why[600];
        json_t *doc = hrs_api_json(&resp, why, sizeof why);
        hrs_http_response_clear(&resp);
        json_t *data = json_object_get(doc, "data");
        json_t *tot = json_object_get(doc, "total");
        if (doc && !json_is_array(data))
            snprintf(why, sizeof why, "the answer has no list of employees in \"data\"");
        else if (doc && !json_is_integer(tot))
            snprintf(why, sizeof why, "the answer has no \"total\"");
        if (!doc || !json_is_array(data) || !json_is_integer(tot)) {
            json_decref(doc);
            int next = hrs_api_reject_page(set, WHAT, &offset, a->page_size, total, &bad_in_row, why, err);
            if (next < 0) return -1;
            if (next > 0) return 0;
            continue;
        }
        bad_in_row = 0;
        total = (long)json_integer_value(tot);
        json_t *rel = json_object_get(doc, "relations");
        if (add_relations(depts, rel, "department") != 0 || add_relations(offices, rel, "office") != 0) {
            json_decref(doc);
            return hrs_err_set(err, WHAT ": out of memory");
        }
        size_t n = json_array_size(data);
        if (hrs_api_append_page(employees, data, offset) != 0) {
            json_decref(doc);
            return hrs_err_set(err, WHAT ": out of memory");
        }
        json_decref(doc);
        if (n == 0) return 0;
        offset += (long)n;
        if (offset >= total) return 0;
    }
    return hrs_err_set(err, WHAT ": more than %d pages of employees; stopping", MAX_PAGES);
}

/* The name of relation id (a string) in names, or JSON null. New reference. */
static json_t *relation_name(const json_t *names, const json_t *id)
{
    json_t *n = json_is_string(id) ? json_object_get(names, json_string_value(id)) : NULL;
    return n ? json_incref(n) : json_null();
}

/* Maps one employee. Returns a new object, or NULL with why. */
static json_t *employee_fields(const alexis *a, const json_t *emp, const json_t *depts,
                               const json_t *offices, char *why, size_t n)
{
    if (!json_is_object(emp)) {
        snprintf(why, n, "the record is not an object");
        return NULL;
    }
    json_t *f = json_object();
    if (!f) goto oom;
    for (size_t i = 0; i < N_STANDARD; i++) {
        json_t *v = json_object_get(emp, standard[i].key);
        if (standard[i].custom && !v) continue;
        if (json_object_set(f, standard[i].field, v ? v : json_null()) != 0) goto oom;
    }
    json_t *active = json_object_get(emp, "active"), *status;
    if (json_is_boolean(active)) {
        status = json_string(json_is_true(active) ? "active" : "inactive");
    } else if (!active || json_is_null(active)) {
        status = json_null();
    } else {
        char shown[80] = "";
        if (json_is_string(active)) snprintf(shown, sizeof shown, "\"%.60s\"", json_string_value(active));
        else snprintf(shown, sizeof shown, "a JSON %s", json_is_number(active) ? "number" : "object");
        snprintf(why, n, "active is %s, not true or false, so the status is unknown", shown);
        json_decref(f);
        return NULL;
    }
    if (json_object_set_new(f, "status", status) != 0 ||
        json_object_set_new(f, "department", relation_name(depts, json_object_get(emp, "departmentId"))) != 0 ||
        json_object_set_new(f, "office", relation_name(offices, json_object_get(emp, "officeId"))) != 0)
        goto oom;
    if (a->fields) {
        const char *field;
        json_t *path;
        json_object_foreach((json_t *)a->fields, field, path) {
            json_t *v = hrs_source_dot_get(emp, json_string_value(path));
            if (json_object_set(f, field, v ? v : json_null()) != 0) goto oom;
        }
    }
    return f;
oom:
    json_decref(f);
    snprintf(why, n, "out of memory");
    return NULL;
}

int hrs_source_alexishr_read(const json_t *cfg, hrs_source_result *out, hrs_err *err)
{
    alexis a;
    hrs_person_set set = { NULL };
    json_t *employees = json_array(), *depts = json_object(), *offices = json_object();
    int rc = -1;
    memset(&a, 0, sizeof a);
    out->people = out->quarantine = NULL;
    out->partial = 0;
    if (!json_is_object(cfg)) {
        hrs_err_set(err, WHAT ": the configuration is not a table");
        goto done;
    }
    if (!employees || !depts || !offices || hrs_person_set_init(&set, err) != 0) {
        hrs_err_set(err, WHAT ": out of memory");
        goto done;
    }
    if (configure(&a, cfg, err) != 0 || read_pages(&a, employees, depts, offices, &set, err) != 0)
        goto done;
    size_t i;
    json_t *e;
    json_array_foreach(employees, i, e) {
        json_t *emp = json_object_get(e, "employee");
        hrs_person_where where = { "index", (long)json_integer_value(json_object_get(e, "index")) };
        char why[400];
        json_t *f = employee_fields(&a, emp, depts, offices, why, sizeof why);
        int r;
        if (f) {
            r = hrs_person_set_add_shared(&set, where, f, emp, err);
        } else {
            const char *id = json_string_value(json_object_get(emp, "id"));
            r = hrs_person_set_reject(&set, where, id, why, err);
        }
        json_decref(f);
        if (r != 0) goto done;
    }
    if (hrs_person_set_finish(&set, out, err) != 0) goto done;
    out->partial = a.updated_since != NULL;
    hrs_info(WHAT ": %zu people, %zu quarantined (%ld requests, %ld throttled)",
             json_array_size(out->people), json_array_size(out->quarantine), a.api.requests,
             a.api.throttled);
    rc = 0;
done:
    if (rc != 0) hrs_api_redact(&a.api, err);
    json_decref(employees);
    json_decref(depts);
    json_decref(offices);
    hrs_person_set_free(&set);
    ax_free(&a);
    return rc;
}
