/* personio.c: the Personio API v1 source.
 *
 *   POST {base_url}/auth                 client_id and client_secret in a JSON body (never in
 *                                        the query string); the token is kept until expires_in
 *                                        (24 h by default) and replaced by the one a response's
 *                                        Authorization header carries; on 401/403 the source
 *                                        authenticates again, once, and repeats the request.
 *   GET {base_url}/company/employees     limit=<page_size>&offset=<record offset>, every page
 *                                        (metadata.total_elements) read before supervisors are
 *                                        resolved; updated_since for incremental reads.
 * Requests go through the documented limits (300/min, bursts of 15/s) and back off on 429 with
 * or without Retry-After (api.c). A page that cannot be read is quarantined with the
 * records it held and the read goes on; a record that does not map (personio_map.c) is
 * quarantined with Personio's own value; an attribute the config needs that the answer lacks
 * is an error that says to whitelist it in the API credential. */
#include "hrsync/log.h"
#include "hrsync/person.h"
#include "hrsync/personio.h"
#include "hrsync/source.h"
#include "api.h"
#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define WHAT "Personio"
#define DEFAULT_BASE "https://api.personio.de/v1"
#define DEFAULT_TTL 86400.0          /* token lifetime when the answer has no expires_in */
#define MAX_PAGES 100000

static const char *const known_keys[] = {
    "base_url", "client_id", "client_secret_env", "client_secret_file", "partner_id", "app_id",
    "page_size", "fields", "required_fields", "updated_since", "rate_limit", "timeout", NULL,
};

typedef struct personio {
    hrs_api api;
    char *base;                      /* owned, no trailing slash */
    const char *client_id;           /* borrowed from cfg */
    char *secret;                    /* owned, wiped */
    char *token;                     /* owned, wiped */
    double token_until;              /* monotonic */
    char partner[200], app[200];     /* "X-Personio-…: value" or "" */
    long page_size;
    const char *updated_since;
    const json_t *fields;            /* person field -> key or label, or NULL */
    const json_t *required;          /* array of names, or NULL */
    long auths;                      /* authentications in this read */
} personio;

static void pio_free(personio *p)
{
    hrs_api_free(&p->api);
    free(p->base);
    if (p->secret) memset(p->secret, 0, strlen(p->secret));
    free(p->secret);
    if (p->token) memset(p->token, 0, strlen(p->token));
    free(p->token);
}

/* Replaces the token. */
static int set_token(personio *p, const char *token, size_t len, hrs_err *err)
{
    char *t = strndup(token, len);
    if (!t) return hrs_err_set(err, WHAT ": out of memory");
    if (p->token) memset(p->token, 0, strlen(p->token));
    free(p->token);
    p->token = t;
    hrs_api_add_secret(&p->api, t);
    return 0;
}

/* The headers of every request: Accept, the partner/app headers, and extra (may be NULL). */
static void headers_of(const personio *p, const char *extra, const char *hdr[6])
{
    int n = 0;
    hdr[n++] = "Accept: application/json";
    if (p->partner[0]) hdr[n++] = p->partner;
    if (p->app[0]) hdr[n++] = p->app;
    if (extra) hdr[n++] = extra;
    hdr[n] = NULL;
}

/* POST /auth with the credentials in a JSON body. */
static int authenticate(personio *p, hrs_err *err)
{
    char url[1200];
    snprintf(url, sizeof url, "%s/auth", p->base);
    json_t *body = json_pack("{s:s, s:s}", "client_id", p->client_id, "client_secret", p->secret);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);    /* jansson does not wipe; the copy in text is wiped below */
    if (!text) return hrs_err_set(err, WHAT ": out of memory");
    const char *hdr[6];
    headers_of(p, "Content-Type: application/json", hdr);
    hrs_http_response resp;
    int rc = hrs_api_send(&p->api, "POST", url, hdr, text, strlen(text), &resp, err);
    memset(text, 0, strlen(text));
    free(text);
    if (rc != 0) return -1;
    p->auths++;
    if (resp.status != 200) {
        hrs_api_status_error(&p->api, "POST", url, &resp, NULL, err);
        if (err && (resp.status == 400 || resp.status == 401 || resp.status == 403)) {
            size_t l = strlen(err->msg);
            snprintf(err->msg + l, sizeof err->msg - l, " (check client_id and the client secret "
                     "of the API credential)");
        }
        hrs_http_response_clear(&resp);
        return -1;
    }
    char why[400];
    json_t *doc = hrs_api_json(&resp, why, sizeof why);
    hrs_http_response_clear(&resp);
    if (!doc) return hrs_err_set(err, WHAT ": POST %s: %s", url, why);
    json_t *data = json_object_get(doc, "data");
    json_t *token = json_object_get(data, "token");
    json_t *ttl = json_object_get(data, "expires_in");
    if (!json_is_true(json_object_get(doc, "success")) || !json_is_string(token) ||
        json_string_length(token) == 0) {
        json_decref(doc);
        return hrs_err_set(err, WHAT ": POST %s answered 200 without success and data.token", url);
    }
    rc = set_token(p, json_string_value(token), json_string_length(token), err);
    double secs = json_is_number(ttl) && json_number_value(ttl) > 0 ? json_number_value(ttl)
                                                                   : DEFAULT_TTL;
    p->token_until = hrs_api_now() + (secs > 120 ? secs - 60 : secs);
    json_decref(doc);
    return rc;
}

/* GET url with the token: authenticates when there is no valid token, once more on 401/403,
 * and takes a new token from the Authorization response header. */
static int get(personio *p, const char *url, hrs_http_response *resp, hrs_err *err)
{
    if ((!p->token || hrs_api_now() >= p->token_until) && authenticate(p, err) != 0) return -1;
    for (int attempt = 0;; attempt++) {
        char auth[640];
        const char *hdr[6];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", p->token);
        headers_of(p, auth, hdr);
        int rc = hrs_api_send(&p->api, "GET", url, hdr, NULL, 0, resp, err);
        memset(auth, 0, sizeof auth);
        if (rc != 0) return -1;
        if ((resp->status == 401 || resp->status == 403) && attempt == 0) {
            hrs_debug(WHAT ": HTTP %ld; authenticating again", resp->status);
            hrs_http_response_clear(resp);
            if (authenticate(p, err) != 0) return -1;
            continue;
        }
        break;
    }
    const char *h = resp->authorization;
    if (resp->status == 200 && strncasecmp(h, "Bearer ", 7) == 0 && h[7] &&
        strcmp(h + 7, p->token) != 0)
        return set_token(p, h + 7, strlen(h + 7), err);
    return 0;
}

/* ---- configuration ---- */

static int check_fields(const json_t *fields, hrs_err *err)
{
    const char *field;
    json_t *v;
    if (!fields) return 0;
    if (!json_is_object(fields))
        return hrs_err_set(err, WHAT ": `fields` must be a table of person field = attribute key "
                           "or label, e.g. { personnel_number = \"dynamic_2714401\" }");
    json_object_foreach((json_t *)fields, field, v) {
        if (!json_is_string(v) || json_string_length(v) == 0)
            return hrs_err_set(err, WHAT ": fields.%s must name a Personio attribute (its key "
                               "such as \"dynamic_2714401\", or its label)", field);
        if (strcmp(field, "raw") == 0)
            return hrs_err_set(err, WHAT ": fields.raw: \"raw\" is reserved for the record as "
                               "Personio sent it");
    }
    return 0;
}

static int configure(personio *p, const json_t *cfg, hrs_err *err)
{
    const char *base, *partner, *app;
    double ps = 15, pm = 300;
    long timeout;
    if (hrs_source_cfg_check_keys(cfg, WHAT, known_keys, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "base_url", &base, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "client_id", &p->client_id, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "partner_id", &partner, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "app_id", &app, err) != 0 ||
        hrs_source_cfg_string(cfg, WHAT, "updated_since", &p->updated_since, err) != 0 ||
        hrs_api_cfg_int(cfg, WHAT, "page_size", 1, 100, 100, &p->page_size, err) != 0 ||
        hrs_api_cfg_int(cfg, WHAT, "timeout", 1, 3600, 60, &timeout, err) != 0 ||
        hrs_api_cfg_rate_limit(cfg, WHAT, &ps, &pm, err) != 0)
        return -1;
    if (!p->client_id) return hrs_err_set(err, WHAT ": `client_id` is required");
    p->fields = json_object_get(cfg, "fields");
    if (json_is_null(p->fields)) p->fields = NULL;
    if (check_fields(p->fields, err) != 0) return -1;
    p->required = json_object_get(cfg, "required_fields");
    if (json_is_null(p->required)) p->required = NULL;
    if (p->required) {
        size_t i;
        json_t *v;
        if (!json_is_array(p->required))
            return hrs_err_set(err, WHAT ": `required_fields` must be a list of person fields or "
                               "attribute keys/labels");
        json_array_foreach(p->required, i, v)
            if (!json_is_string(v) || json_string_length(v) == 0)
                return hrs_err_set(err, WHAT ": required_fields[%zu] must be a non-empty string",
                                   i + 1);
    }
    if (partner) snprintf(p->partner, sizeof p->partner, "X-Personio-Partner-ID: %s", partner);
    if (app) snprintf(p->app, sizeof p->app, "X-Personio-App-ID: %s", app);
    if (hrs_api_init(&p->api, WHAT, timeout, ps, pm, err) != 0) return -1;
    p->base = hrs_api_base(base ? base : DEFAULT_BASE);
    if (!p->base) return hrs_err_set(err, WHAT ": out of memory");
    if (hrs_api_secret(cfg, WHAT, "client_secret", 1, &p->secret, err) != 0) return -1;
    hrs_api_add_secret(&p->api, p->secret);
    return 0;
}

/* ---- reading ---- */

/* Reads every page into employees (array of {"index": n, "employee": …}). Pages that cannot be
 * read go into set as quarantined. */
static int read_pages(personio *p, json_t *employees, hrs_person_set *set, hrs_err *err)
{
    long offset = 0, total = -1, bad_in_row = 0;
    for (int page = 0; page < MAX_PAGES; page++) {
        hrs_api_buf url = { 0 };
        hrs_api_buf_addf(&url, "%s/company/employees", p->base);
        hrs_api_buf_addf(&url, "?limit=%ld&offset=%ld", p->page_size, offset);
        if (p->updated_since) hrs_api_buf_query(&url, "updated_since", p->updated_since);
        if (url.oom) {
            hrs_api_buf_free(&url);
            return hrs_err_set(err, WHAT ": out of memory");
        }
        hrs_http_response resp;
        if (get(p, url.p, &resp, err) != 0) {
            hrs_api_buf_free(&url);
            return -1;
        }
        char ctx[64];
        snprintf(ctx, sizeof ctx, "(offset %ld)", offset);
        if (resp.status != 200) {
            hrs_api_status_error(&p->api, "GET", url.p, &resp, ctx, err);
            hrs_api_buf_free(&url);
            hrs_http_response_clear(&resp);
            return -1;
        }
        hrs_api_buf_free(&url);
        char why[600];
        json_t *doc = hrs_api_json(&resp, why, sizeof why);
        hrs_http_response_clear(&resp);
        json_t *data = json_object_get(doc, "data");
        if (doc && !json_is_true(json_object_get(doc, "success")))
            snprintf(why, sizeof why, "the answer does not say \"success\": true");
        else if (doc && !json_is_array(data))
            snprintf(why, sizeof why, "the answer has no list of employees in \"data\"");
        if (!doc || !json_is_array(data) || !json_is_true(json_object_get(doc, "success"))) {
            json_decref(doc);
            int next = hrs_api_reject_page(set, WHAT, &offset, p->page_size, total, &bad_in_row, why, err);
            if (next < 0) return -1;
            if (next > 0) return 0;
            continue;
        }
        bad_in_row = 0;
        json_t *te = json_object_get(json_object_get(doc, "metadata"), "total_elements");
        if (json_is_integer(te) && json_integer_value(te) >= 0) total = (long)json_integer_value(te);
        size_t n = json_array_size(data);
        if (hrs_api_append_page(employees, data, offset) != 0) {
            json_decref(doc);
            return hrs_err_set(err, WHAT ": out of memory");
        }
        json_decref(doc);
        hrs_debug(WHAT ": %zu employees at offset %ld (total %ld)", n, offset, total);
        if (n == 0) return 0;
        offset += (long)n;
        if (total >= 0 ? offset >= total : (long)n < p->page_size) return 0;
    }
    return hrs_err_set(err, WHAT ": more than %d pages of employees; stopping", MAX_PAGES);
}

/* Whether any employee has attribute name (a key or a label). */
static int answer_has(const json_t *employees, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(employees, i, e) {
        const json_t *attrs = json_object_get(json_object_get(e, "employee"), "attributes");
        if (hrs_personio_find(attrs, name, NULL)) return 1;
    }
    return 0;
}

/* An attribute the config needs that no employee has: the credential may not read it. */
static int check_required(const personio *p, const json_t *employees, hrs_err *err)
{
    if (json_array_size(employees) == 0) return 0;
    for (int pass = 0; pass < 2; pass++) {
        const json_t *list = pass == 0 ? p->fields : p->required;
        void *it = json_is_object(list) ? json_object_iter((json_t *)list) : NULL;
        size_t idx = 0;
        for (;;) {
            const char *asked, *name;
            if (pass == 0) {
                if (!it) break;
                asked = json_object_iter_key(it);
                name = json_string_value(json_object_iter_value(it));
                it = json_object_iter_next((json_t *)list, it);
            } else {
                if (!list || idx >= json_array_size(list)) break;
                asked = json_string_value(json_array_get(list, idx++));
                const json_t *mapped = p->fields ? json_object_get(p->fields, asked) : NULL;
                name = mapped ? json_string_value(mapped) : hrs_personio_default_key(asked);
                if (!name) name = asked;
            }
            if (answer_has(employees, name)) continue;
            char via[300] = "";
            if (strcmp(asked, name) != 0)
                snprintf(via, sizeof via, " (needed for the person field \"%s\")", asked);
            return hrs_err_set(err, WHAT ": the employees answer has no attribute \"%s\"%s, which "
                               "source.%s asks for: the API credential may not read it; whitelist "
                               "it in Personio (Settings > Integrations > API credentials > "
                               "\"Readable employee attributes\"), or check the key or label",
                               name, via, pass == 0 ? "fields" : "required_fields");
        }
    }
    return 0;
}

/* Maps every employee, resolves supervisors against all the records read, and hands the
 * records to the person set. */
static int build(personio *p, const json_t *employees, hrs_person_set *set, hrs_err *err)
{
    size_t n = json_array_size(employees), i;
    json_t *mapped = json_array(), *by_id = json_object();
    int rc = -1;
    if (!mapped || !by_id) goto oom;
    for (i = 0; i < n; i++) {
        const json_t *emp = json_object_get(json_array_get(employees, i), "employee");
        char why[600];
        json_t *f = hrs_personio_employee_fields(emp, p->fields, why, sizeof why);
        json_t *slot = f ? f : json_string(why);
        if (!slot || json_array_append_new(mapped, slot) != 0) goto oom;
        const char *id = f ? json_string_value(json_object_get(f, "id")) : NULL;
        if (id && !json_object_get(by_id, id) && json_object_set(by_id, id, f) != 0) goto oom;
    }
    for (i = 0; i < n; i++) {
        json_t *e = json_array_get(employees, i), *f = json_array_get(mapped, i);
        const json_t *emp = json_object_get(e, "employee");
        hrs_person_where where = { "index", (long)json_integer_value(json_object_get(e, "index")) };
        if (json_is_string(f)) {
            json_t *idv = (json_t *)hrs_personio_value(
                hrs_personio_find(json_object_get(emp, "attributes"), "id", NULL));
            char idbuf[64] = "";
            if (json_is_integer(idv)) snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(idv));
            else if (json_is_string(idv)) snprintf(idbuf, sizeof idbuf, "%s", json_string_value(idv));
            if (hrs_person_set_reject(set, where, idbuf[0] ? idbuf : NULL, json_string_value(f), err) != 0)
                goto out;
            continue;
        }
        const char *sup = json_string_value(json_object_get(f, "supervisor_id"));
        json_t *boss = sup ? json_object_get(by_id, sup) : NULL;
        json_t *email = boss ? json_object_get(boss, "email") : NULL;
        if (json_is_string(email) && json_object_set(f, "supervisor_email", email) != 0) goto oom;
        if (sup && !boss && !p->updated_since)
            hrs_debug(WHAT ": the supervisor %s of employee at index %ld is not among the employees "
                      "read", sup, where.n);
        if (hrs_person_set_add_shared(set, where, f, emp, err) != 0) goto out;
    }
    rc = 0;
    goto out;
oom:
    hrs_err_set(err, WHAT ": out of memory");
out:
    json_decref(mapped);
    json_decref(by_id);
    return rc;
}

int hrs_source_personio_read(const json_t *cfg, hrs_source_result *out, hrs_err *err)
{
    personio p;
    hrs_person_set set = { NULL };
    json_t *employees = NULL;
    int rc = -1;
    memset(&p, 0, sizeof p);
    out->people = out->quarantine = NULL;
    out->partial = 0;
    if (!json_is_object(cfg)) return hrs_err_set(err, WHAT ": the configuration is not a table");
    if (configure(&p, cfg, err) != 0) goto done;
    employees = json_array();
    if (!employees || hrs_person_set_init(&set, err) != 0) {
        hrs_err_set(err, WHAT ": out of memory");
        goto done;
    }
    if (read_pages(&p, employees, &set, err) != 0 || check_required(&p, employees, err) != 0 ||
        build(&p, employees, &set, err) != 0 || hrs_person_set_finish(&set, out, err) != 0)
        goto done;
    out->partial = p.updated_since != NULL;
    hrs_info(WHAT ": %zu people, %zu quarantined (%ld requests, %ld throttled, %ld sign-ins)",
             json_array_size(out->people), json_array_size(out->quarantine), p.api.requests,
             p.api.throttled, p.auths);
    rc = 0;
done:
    if (rc != 0) hrs_api_redact(&p.api, err);
    json_decref(employees);
    hrs_person_set_free(&set);
    pio_free(&p);
    return rc;
}
