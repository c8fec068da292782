/* sim_client.h: the HTTP client side of the simulator tests (test_sim.c, test_sim_groups.c):
 * a simulator started on port 0 in a temporary folder, requests over real HTTP with libcurl,
 * and helpers to read answers. Header-only, for the tests. */
#ifndef HRSYNC_TEST_SIM_CLIENT_H
#define HRSYNC_TEST_SIM_CLIENT_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hrsync/sim.h"

#define TENANT "tenant-1"
#define CLIENT "app-1"
#define SECRET "s3cret-Value"
#define PASSWORD "Xy7!pass-word"
#define BAD "Request_BadRequest"
#define FORM(id, secret, scope) "grant_type=client_credentials&client_id=" id "&client_secret=" \
    secret "&scope=https%3A%2F%2Fgraph.microsoft.com%2F" scope

typedef struct fixture {
    hrs_sim *sim;
    char dir[64], state[128], seed[128], base[64], token[160];
} fixture;

typedef struct resp {
    long status;
    json_t *body;                /* NULL when the answer had no (JSON) body */
    char retry_after[64], request_id[64];
} resp;

typedef struct sink {
    char *p;
    size_t n;
} sink;

static inline size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    sink *b = ud;
    char *np = realloc(b->p, b->n + sz * n + 1);
    if (!np) return 0;
    memcpy(np + b->n, p, sz * n);
    b->n += sz * n;
    np[b->n] = '\0';
    b->p = np;
    return sz * n;
}

/* One HTTP exchange. path is below the simulator's root, or a whole URL. */
static inline resp call_raw(fixture *f, const char *method, const char *path, const char *body,
                     const char *type, const char *extra)
{
    resp r = { 0 };
    sink b = { 0 };
    char url[2048], auth[256];
    snprintf(url, sizeof url, "%s%s", strncmp(path, "http", 4) == 0 ? "" : f->base, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *h = NULL;
    if (f->token[0]) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", f->token);
        h = curl_slist_append(h, auth);
    }
    if (type) {
        char ct[128];
        snprintf(ct, sizeof ct, "Content-Type: %s", type);
        h = curl_slist_append(h, ct);
    }
    if (extra) h = curl_slist_append(h, extra);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    if (body) curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
    assert_int_equal(curl_easy_perform(c), CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    struct curl_header *hv;
    if (curl_easy_header(c, "Retry-After", 0, CURLH_HEADER, -1, &hv) == CURLHE_OK)
        snprintf(r.retry_after, sizeof r.retry_after, "%s", hv->value);
    if (curl_easy_header(c, "request-id", 0, CURLH_HEADER, -1, &hv) == CURLHE_OK)
        snprintf(r.request_id, sizeof r.request_id, "%s", hv->value);
    if (b.n) r.body = json_loadb(b.p, b.n, 0, NULL);
    free(b.p);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return r;
}

/* A Graph call below /v1.0 (or to a whole URL) with a JSON body, which is stolen (NULL: none). */
static inline resp call(fixture *f, const char *method, const char *path, json_t *body,
                 const char *extra)
{
    char full[2048];
    snprintf(full, sizeof full, "%s%s", strncmp(path, "http", 4) == 0 ? "" : "/v1.0", path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    resp r = call_raw(f, method, full, text, body ? "application/json" : NULL, extra);
    free(text);
    json_decref(body);
    return r;
}

static inline void done(resp *r) { json_decref(r->body); r->body = NULL; }

static inline const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The value at a path of object keys and array indexes, like "value/0/id". */
static inline json_t *at(json_t *o, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok_r(buf, "/", &save); k && o; k = strtok_r(NULL, "/", &save))
        o = json_is_array(o) ? json_array_get(o, strtoul(k, NULL, 10)) : json_object_get(o, k);
    return o;
}

static inline const char *sat(json_t *o, const char *path) { return json_string_value(at(o, path)); }

/* Asserts a Graph error: status, code, message, and the innerError of graph.md §7. */
static inline void assert_error(resp *r, long status, const char *code, const char *message)
{
    assert_int_equal(r->status, status);
    json_t *e = json_object_get(r->body, "error");
    assert_non_null(e);
    assert_string_equal(str(e, "code"), code);
    if (message) assert_string_equal(str(e, "message"), message);
    json_t *inner = json_object_get(e, "innerError");
    assert_non_null(str(inner, "date"));
    assert_string_equal(str(inner, "request-id"), r->request_id);
    assert_int_equal(strlen(r->request_id), 36);
}

/* GET that must answer 200. */
static inline resp get(fixture *f, const char *path, const char *extra)
{
    resp r = call(f, "GET", path, NULL, extra);
    if (r.status != 200) fail_msg("GET %s: status %ld", path, r.status);
    return r;
}

/* Calls (the body is stolen) and asserts the status and, when code is given, a Graph error
 * (message NULL = any); the answer is dropped. */
static inline void expect_error(fixture *f, const char *method, const char *path, json_t *body,
                         const char *extra, long status, const char *code, const char *message)
{
    resp r = call(f, method, path, body, extra);
    if (r.status != status) fail_msg("%s %s: status %ld, expected %ld", method, path, r.status,
                                     status);
    if (code) assert_error(&r, status, code, message);
    done(&r);
}
#define expect(f, method, path, body, status) \
    expect_error(f, method, path, body, NULL, status, NULL, NULL)

static inline resp token_form(fixture *f, const char *tenant, const char *form)
{
    char path[256];
    snprintf(path, sizeof path, "/%s/oauth2/v2.0/token", tenant);
    return call_raw(f, "POST", path, form, "application/x-www-form-urlencoded", NULL);
}

static inline void get_token(fixture *f)
{
    f->token[0] = '\0';
    resp r = token_form(f, TENANT, FORM(CLIENT, SECRET, ".default"));
    assert_int_equal(r.status, 200);
    snprintf(f->token, sizeof f->token, "%s", str(r.body, "access_token"));
    done(&r);
}

static inline void start(fixture *f, const char *seed)
{
    hrs_sim_opts o = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET,
                       .state_file = f->state, .seed_file = seed };
    hrs_err err = { 0 };
    f->sim = hrs_sim_start(&o, &err);
    if (!f->sim) fail_msg("hrs_sim_start: %s", err.msg);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", hrs_sim_port(f->sim));
    get_token(f);
}

static inline int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/hrsync-test-sim-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->state, sizeof f->state, "%s/state.json", f->dir);
    snprintf(f->seed, sizeof f->seed, "%s/seed.json", f->dir);
    FILE *s = fopen(f->seed, "w");
    if (!s) return -1;
    fputs("{\"domains\": [\"example.org\"],\n"
          " \"users\": [{\"userPrincipalName\": \"katrin.vogel@example.com\", \"displayName\": "
          "\"Katrin Vogel\", \"mailNickname\": \"katrin.vogel\", \"accountEnabled\": true, "
          "\"employeeId\": \"1001\", \"passwordProfile\": {\"password\": \"Seed-Pass-1\"}},\n"
          "  {\"userPrincipalName\": \"andreas.lindner@example.com\", \"displayName\": \"Andreas "
          "Lindner\", \"mailNickname\": \"andreas.lindner\", \"accountEnabled\": true}],\n"
          " \"groups\": [{\"displayName\": \"Sales\", \"mailNickname\": \"sales\", "
          "\"mailEnabled\": false, \"securityEnabled\": true,\n"
          "              \"members\": [\"katrin.vogel@example.com\"]}]}\n", s);
    fclose(s);
    start(f, f->seed);
    *state = f;
    return 0;
}

static inline int teardown(void **state)
{
    fixture *f = *state;
    hrs_sim_stop(f->sim);
    unlink(f->state);
    unlink(f->seed);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A valid create body (new reference) for upn with the given employeeId. */
static inline json_t *user_body(const char *upn, const char *employee_id)
{
    char nick[64];
    snprintf(nick, sizeof nick, "%.*s", (int)strcspn(upn, "@"), upn);
    json_t *b = json_pack("{s:b, s:s, s:s, s:s, s:{s:s, s:b}}", "accountEnabled", 1,
                          "displayName", nick, "mailNickname", nick, "userPrincipalName", upn,
                          "passwordProfile", "password", PASSWORD,
                          "forceChangePasswordNextSignIn", 1);
    if (employee_id) json_object_set_new(b, "employeeId", json_string(employee_id));
    return b;
}

/* Creates a user and returns its id (malloc'ed). */
static inline char *create(fixture *f, json_t *body)
{
    resp r = call(f, "POST", "/users", body, NULL);
    assert_int_equal(r.status, 201);
    char *id = strdup(str(r.body, "id"));
    done(&r);
    return id;
}

/* "/users?$filter=<expr, escaped><rest>" into buf. */
static inline const char *fpath(char *buf, size_t n, const char *expr, const char *rest)
{
    char *esc = curl_easy_escape(NULL, expr, 0);
    snprintf(buf, n, "/users?$filter=%s%s", esc, rest ? rest : "");
    curl_free(esc);
    return buf;
}

static inline size_t value_count(resp *r) { return json_array_size(json_object_get(r->body, "value")); }

#endif
