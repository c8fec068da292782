/* hrsim_alexishr.c: the AlexisHR endpoint of the HR simulator, as documented in
 * shared/reference/hr-apis.md §3: GET /v1/employee with a bearer token, select (comma list),
 * relations (department, office; the other documented names answer empty lists), filters in
 * deepObject form (filters[field]=v, filters[field][$op]=v, filters[field][$in][]=v), limit
 * and offset as record counts; {status, data, total, count, offset, relations}. Errors are
 * {statusCode, message, error}. The default and maximum limit are UNVERIFIED (100 and 1000
 * here). */
#include "hrsim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const relation_names[] = {
    "office", "costCenter", "effectiveCostCenter", "child", "department", "emergencyContact",
    "employment", "employmentType", "compensation", "managerEmployee", "teamReference", NULL,
};

static void fail(hrsim_resp *r, int status, const char *error, const char *message)
{
    hrs_hrsim_reply(r, status, json_pack("{s:i, s:s, s:s}", "statusCode", status, "message", message,
                                     "error", error));
}

/* Compares an employee value with a filter value (text): -2 when they cannot be compared,
 * else <0, 0, >0. Booleans compare with "true"/"false", numbers numerically, date-times by
 * time, other text as text. */
static int compare(const json_t *v, const char *want)
{
    if (!v || json_is_null(v)) return strcmp(want, "null") == 0 ? 0 : -2;
    if (json_is_boolean(v)) {
        if (strcmp(want, "true") != 0 && strcmp(want, "false") != 0) return -2;
        return (json_is_true(v) == (strcmp(want, "true") == 0)) ? 0 : 1;
    }
    if (json_is_number(v)) {
        char *end;
        double w = strtod(want, &end), x = json_number_value(v);
        if (*end) return -2;
        return x < w ? -1 : x > w ? 1 : 0;
    }
    if (json_is_string(v)) {
        double a, b;
        const char *s = json_string_value(v);
        if (hrs_hrsim_iso_epoch(s, &a) == 0 && hrs_hrsim_iso_epoch(want, &b) == 0)
            return a < b ? -1 : a > b ? 1 : 0;
        int c = strcmp(s, want);
        return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return -2;
}

/* One condition: op applied to field of e against values. 1 pass, 0 fail. */
static int passes(const json_t *e, const char *field, const char *op, const json_t *values)
{
    const json_t *v = json_object_get(e, field);
    const char *w = json_string_value(json_array_get(values, 0));
    if (strcmp(op, "$in") == 0 || strcmp(op, "$nin") == 0) {
        int found = 0;
        size_t i;
        json_t *x;
        json_array_foreach(values, i, x) found |= compare(v, json_string_value(x)) == 0;
        return strcmp(op, "$in") == 0 ? found : !found;
    }
    int c = compare(v, w ? w : "");
    if (strcmp(op, "$eq") == 0) return c == 0;
    if (strcmp(op, "$neq") == 0) return c != 0;
    if (c == -2) return 0;
    if (strcmp(op, "$gt") == 0) return c > 0;
    if (strcmp(op, "$gte") == 0) return c >= 0;
    if (strcmp(op, "$lt") == 0) return c < 0;
    if (strcmp(op, "$lte") == 0) return c <= 0;
    return 0;
}

/* Parses the filters of the query into [{field, op, values}]. NULL with a message in why. */
static json_t *parse_filters(const hrs_hrsim *s, const hrsim_req *q, char *why, size_t n)
{
    json_t *out = json_array();
    const char *k;
    json_t *values;
    json_object_foreach(q->query, k, values) {
        if (strncmp(k, "filters[", 8) != 0) continue;
        char field[128], op[32] = "$eq";
        const char *p = k + 8, *close = strchr(p, ']');
        if (!close || (size_t)(close - p) >= sizeof field || close == p) {
            snprintf(why, n, "%s is not a valid filter", k);
            json_decref(out);
            return NULL;
        }
        memcpy(field, p, (size_t)(close - p));
        field[close - p] = '\0';
        p = close + 1;
        if (*p == '[') {
            const char *c2 = strchr(p + 1, ']');
            if (!c2 || (size_t)(c2 - p - 1) >= sizeof op) {
                snprintf(why, n, "%s is not a valid filter", k);
                json_decref(out);
                return NULL;
            }
            memcpy(op, p + 1, (size_t)(c2 - p - 1));
            op[c2 - p - 1] = '\0';
            p = c2 + 1;
            if (strcmp(p, "[]") == 0) p += 2;
        }
        static const char *const ops[] = { "$eq", "$neq", "$gt", "$gte", "$lt", "$lte", "$in", "$nin", NULL };
        int ok = 0;
        for (size_t i = 0; ops[i]; i++) ok |= strcmp(ops[i], op) == 0;
        int known_field = 0;
        size_t i;
        json_t *e;
        json_array_foreach(s->alexis_people, i, e) known_field |= json_object_get(e, field) != NULL;
        if (*p || !ok) {
            snprintf(why, n, "filter operator %s on %s is not supported", op, field);
            json_decref(out);
            return NULL;
        }
        if (!known_field && json_array_size(s->alexis_people) > 0) {
            snprintf(why, n, "filters.%s: %s is not a filterable employee field", field, field);
            json_decref(out);
            return NULL;
        }
        json_array_append_new(out, json_pack("{s:s, s:s, s:O}", "field", field, "op", op, "values", values));
    }
    return out;
}

/* A copy of e with the selected fields only (id always). */
static json_t *select_fields(const json_t *e, const char *select)
{
    if (!select || !*select) return json_deep_copy(e);
    json_t *o = json_object();
    json_object_set(o, "id", json_object_get(e, "id"));
    const char *p = select;
    while (*p) {
        size_t l = strcspn(p, ",");
        char name[128];
        if (l > 0 && l < sizeof name) {
            memcpy(name, p, l);
            name[l] = '\0';
            json_t *v = json_object_get(e, name);
            if (v) json_object_set_new(o, name, json_deep_copy(v));
        }
        p += l;
        if (*p) p++;
    }
    return o;
}

/* The related objects of kind referenced by the page (key e.g. "departmentId"). */
static json_t *related(const hrs_hrsim *s, const char *kind, const char *key, const json_t *page)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *e, *obj;
    json_array_foreach(json_object_get(s->alexis_relations, kind), i, obj) {
        const char *id = json_string_value(json_object_get(obj, "id"));
        int used = 0;
        json_array_foreach(page, j, e) {
            const char *ref = json_string_value(json_object_get(e, key));
            used |= id && ref && strcmp(id, ref) == 0;
        }
        if (used) json_array_append(out, obj);
    }
    return out;
}

void hrs_hrsim_alexishr(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r)
{
    if (strcmp(q->path, "/employee") != 0) {
        fail(r, 404, "Not Found", "Cannot GET this resource: the simulator serves /employee");
        return;
    }
    if (strcmp(q->method, "GET") != 0) {
        fail(r, 405, "Method Not Allowed", "Only GET is simulated");
        return;
    }
    const char *h = hrs_hrsim_header(q, "authorization");
    if (!h || strncasecmp(h, "Bearer ", 7) != 0 || strcmp(h + 7, s->alexis_token) != 0) {
        fail(r, 401, "Unauthorized", "Unauthorized");                  /* UNVERIFIED wording */
        return;
    }
    if (hrs_hrsim_fault_throttle(s)) {
        s->stats.throttled++;
        fail(r, 429, "Too Many Requests", "ThrottlerException: Too Many Requests"); /* UNVERIFIED */
        hrs_hrsim_retry_after(s, r);
        return;
    }
    long limit = 100, offset = 0;
    const char *l = hrs_hrsim_query(q, "limit"), *o = hrs_hrsim_query(q, "offset");
    const char *select = hrs_hrsim_query(q, "select"), *relations = hrs_hrsim_query(q, "relations");
    if ((l && hrs_hrsim_long(l, 1, 1000, &limit) != 0) || (o && hrs_hrsim_long(o, 0, 1L << 30, &offset) != 0)) {
        hrs_hrsim_reply(r, 400, json_pack("{s:i, s:[s], s:s}", "statusCode", 400, "message",
                                      "limit must be 1..1000 and offset 0 or more", "error",
                                      "Bad Request"));
        return;
    }
    for (const char *p = relations; p && *p;) {
        size_t len = strcspn(p, ",");
        int ok = 0;
        for (size_t i = 0; relation_names[i]; i++)
            ok |= strlen(relation_names[i]) == len && strncmp(relation_names[i], p, len) == 0;
        if (!ok) {
            hrs_hrsim_reply(r, 400, json_pack("{s:i, s:[s], s:s}", "statusCode", 400, "message",
                                          "each value in relations must be one of the following "
                                          "values: office, costCenter, effectiveCostCenter, child, "
                                          "department, emergencyContact, employment, employmentType, "
                                          "compensation, managerEmployee, teamReference",
                                          "error", "Bad Request"));
            return;
        }
        p += len;
        if (*p) p++;
    }
    char why[300];
    json_t *filters = parse_filters(s, q, why, sizeof why);
    if (!filters) {
        hrs_hrsim_reply(r, 400, json_pack("{s:i, s:[s], s:s}", "statusCode", 400, "message", why,
                                      "error", "Bad Request"));
        return;
    }
    json_t *match = json_array(), *page = json_array(), *data = json_array();
    size_t i, j;
    json_t *e, *f;
    json_array_foreach(s->alexis_people, i, e) {
        int ok = 1;
        json_array_foreach(filters, j, f)
            ok &= passes(e, json_string_value(json_object_get(f, "field")),
                         json_string_value(json_object_get(f, "op")), json_object_get(f, "values"));
        if (ok) json_array_append(match, e);
    }
    json_decref(filters);
    long total = (long)json_array_size(match);
    for (long k = offset; k < total && k < offset + limit; k++) {
        json_array_append(page, json_array_get(match, (size_t)k));
        json_array_append_new(data, select_fields(json_array_get(match, (size_t)k), select));
    }
    json_t *body = json_pack("{s:s, s:o, s:I, s:I, s:I}", "status", "success", "data", data,
                             "total", (json_int_t)total, "count", (json_int_t)json_array_size(data),
                             "offset", (json_int_t)offset);
    if (relations) {
        json_t *rel = json_object();
        for (const char *p = relations; *p;) {
            size_t len = strcspn(p, ",");
            char name[64];
            snprintf(name, sizeof name, "%.*s", (int)len, p);
            if (strcmp(name, "department") == 0)
                json_object_set_new(rel, name, related(s, "department", "departmentId", page));
            else if (strcmp(name, "office") == 0)
                json_object_set_new(rel, name, related(s, "office", "officeId", page));
            else if (len > 0)
                json_object_set_new(rel, name, json_array());
            p += len;
            if (*p) p++;
        }
        json_object_set_new(body, "relations", rel);
    }
    json_decref(match);
    json_decref(page);
    if (s->malformed_alexis_page > 0 && offset == s->malformed_alexis_page - 1) {
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (text) text[strlen(text) / 2] = '\0';
        hrs_hrsim_reply_text(r, 200, "application/json; charset=utf-8", text);
        free(text);
    } else {
        hrs_hrsim_reply(r, 200, body);
    }
    s->stats.alexis_pages++;
}
