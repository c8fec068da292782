/* test_sim.c: the Microsoft Graph simulator over real HTTP (libcurl against a simulator started
 * on port 0): tokens, user creation and its validation, $filter, paging, PATCH, $batch, throttling,
 * replication delay, group members, managers, faults and persistence across a restart. */
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

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
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
static resp call_raw(fixture *f, const char *method, const char *path, const char *body,
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
static resp call(fixture *f, const char *method, const char *path, json_t *body,
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

static void done(resp *r) { json_decref(r->body); r->body = NULL; }

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* The value at a path of object keys and array indexes, like "value/0/id". */
static json_t *at(json_t *o, const char *path)
{
    char buf[256], *save = NULL;
    snprintf(buf, sizeof buf, "%s", path);
    for (char *k = strtok_r(buf, "/", &save); k && o; k = strtok_r(NULL, "/", &save))
        o = json_is_array(o) ? json_array_get(o, strtoul(k, NULL, 10)) : json_object_get(o, k);
    return o;
}

static const char *sat(json_t *o, const char *path) { return json_string_value(at(o, path)); }

/* Asserts a Graph error: status, code, message, and the innerError of graph.md §7. */
static void assert_error(resp *r, long status, const char *code, const char *message)
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
static resp get(fixture *f, const char *path, const char *extra)
{
    resp r = call(f, "GET", path, NULL, extra);
    if (r.status != 200) fail_msg("GET %s: status %ld", path, r.status);
    return r;
}

/* Calls (the body is stolen) and asserts the status and, when code is given, a Graph error
 * (message NULL = any); the answer is dropped. */
static void expect_error(fixture *f, const char *method, const char *path, json_t *body,
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

static resp token_form(fixture *f, const char *tenant, const char *form)
{
    char path[256];
    snprintf(path, sizeof path, "/%s/oauth2/v2.0/token", tenant);
    return call_raw(f, "POST", path, form, "application/x-www-form-urlencoded", NULL);
}

static void get_token(fixture *f)
{
    f->token[0] = '\0';
    resp r = token_form(f, TENANT, FORM(CLIENT, SECRET, ".default"));
    assert_int_equal(r.status, 200);
    snprintf(f->token, sizeof f->token, "%s", str(r.body, "access_token"));
    done(&r);
}

static void start(fixture *f, const char *seed)
{
    hrs_sim_opts o = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET,
                       .state_file = f->state, .seed_file = seed };
    hrs_err err = { 0 };
    f->sim = hrs_sim_start(&o, &err);
    if (!f->sim) fail_msg("hrs_sim_start: %s", err.msg);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u", hrs_sim_port(f->sim));
    get_token(f);
}

static int setup(void **state)
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

static int teardown(void **state)
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
static json_t *user_body(const char *upn, const char *employee_id)
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
static char *create(fixture *f, json_t *body)
{
    resp r = call(f, "POST", "/users", body, NULL);
    assert_int_equal(r.status, 201);
    char *id = strdup(str(r.body, "id"));
    done(&r);
    return id;
}

/* "/users?$filter=<expr, escaped><rest>" into buf. */
static const char *fpath(char *buf, size_t n, const char *expr, const char *rest)
{
    char *esc = curl_easy_escape(NULL, expr, 0);
    snprintf(buf, n, "/users?$filter=%s%s", esc, rest ? rest : "");
    curl_free(esc);
    return buf;
}

static size_t value_count(resp *r) { return json_array_size(json_object_get(r->body, "value")); }

#define ASSERTION(jwt) "grant_type=client_credentials&client_id=" CLIENT "&client_assertion_type=" \
    "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" jwt \
    "&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default"

static void test_token(void **state)
{
    fixture *f = *state;
    resp r = token_form(f, TENANT, FORM(CLIENT, SECRET, ".default"));
    assert_int_equal(r.status, 200);
    assert_string_equal(str(r.body, "token_type"), "Bearer");
    assert_int_equal(json_integer_value(json_object_get(r.body, "expires_in")), 3599);
    assert_true(strlen(str(r.body, "access_token")) > 20);
    done(&r);

    /* Entra's error shape; a client assertion is a 3-part JWT with iss = sub = client id. */
    static const struct { const char *tenant, *form; long status; const char *error, *prefix; }
    bad[] = {
        { TENANT, FORM(CLIENT, "Wr0ng-S3cret", ".default"), 401, "invalid_client",
          "AADSTS7000215: Invalid client secret provided." },
        { TENANT, FORM("other", SECRET, ".default"), 400, "unauthorized_client", "AADSTS700016: " },
        { TENANT, FORM(CLIENT, SECRET, "User.Read"), 400, "invalid_scope", "AADSTS70011: " },
        { "other-tenant", FORM(CLIENT, SECRET, ".default"), 400, "invalid_request",
          "AADSTS90002: " },
        { TENANT, ASSERTION("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4Iiwic3ViIjoieCJ9.c2ln"), 401,
          "invalid_client", "AADSTS700021: " },   /* {"iss":"x","sub":"x"} */
        { TENANT, ASSERTION("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcHAtMSIsInN1YiI6ImFwcC0xIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2ln"),
          401, "invalid_client", "AADSTS50027: " },   /* no aud */
        { TENANT, ASSERTION("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcHAtMSIsInN1YiI6ImFwcC0xIiwiYXVkIjoiaHR0cHM6Ly9sb2dpbi5taWNyb3"
                            "NvZnRvbmxpbmUuY29tL3RlbmFudC0xL29hdXRoMi92Mi4wL3Rva2VuIiwiZXhwIjoxMDAwMDAwMDAwfQ.c2ln"),
          401, "invalid_client", "AADSTS700024: " },  /* expired in 2001 */
        /* {"iss":"app-1","sub":"app-1","aud":".../tenant-1/oauth2/v2.0/token","exp":4102444800}: no
         * certificate is registered, so the signature is not checked (test_oauth.c checks it) */
        { TENANT, ASSERTION("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhcHAtMSIsInN1YiI6ImFwcC0xIiwiYXVkIjoiaHR0cHM6Ly9sb2dpbi5taWNyb3"
                            "NvZnRvbmxpbmUuY29tL3RlbmFudC0xL29hdXRoMi92Mi4wL3Rva2VuIiwiZXhwIjo0MTAyNDQ0ODAwfQ.c2ln"),
          200, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = token_form(f, bad[i].tenant, bad[i].form);
        assert_int_equal(r.status, bad[i].status);
        if (bad[i].error) {
            const char *d = str(r.body, "error_description");
            assert_string_equal(str(r.body, "error"), bad[i].error);
            assert_true(strncmp(d, bad[i].prefix, strlen(bad[i].prefix)) == 0);
            assert_non_null(strstr(d, "\r\nTrace ID: "));
            assert_non_null(strstr(d, "\r\nCorrelation ID: "));
            assert_non_null(strstr(d, "\r\nTimestamp: "));
            assert_null(strstr(d, "Wr0ng-S3cret"));   /* a secret never comes back */
            assert_int_equal(json_integer_value(at(r.body, "error_codes/0")),
                             strtol(bad[i].prefix + 6, NULL, 10));
            assert_int_equal(strlen(str(r.body, "correlation_id")), 36);
        }
        done(&r);
    }

    /* Graph without, with an unknown and with an expired token. */
    char saved[160];
    snprintf(saved, sizeof saved, "%s", f->token);
    f->token[0] = '\0';
    expect_error(f, "GET", "/users", NULL, NULL, 401, "InvalidAuthenticationToken",
                 "Access token is empty.");
    snprintf(f->token, sizeof f->token, "not-a-token");
    expect_error(f, "GET", "/users", NULL, NULL, 401, "InvalidAuthenticationToken", NULL);
    assert_int_equal(hrs_sim_set_fault(f->sim, "token_ttl", 1), 0);
    get_token(f);
    usleep(1100 * 1000);
    expect_error(f, "GET", "/users", NULL, NULL, 401, "InvalidAuthenticationToken",
                 "Access token has expired or is not yet valid.");
    snprintf(f->token, sizeof f->token, "%s", saved);
    expect(f, "GET", "/users", NULL, 200);
    assert_int_equal(hrs_sim_set_fault(f->sim, "expire_tokens", 1), 0);
    expect(f, "GET", "/users", NULL, 401);
    assert_int_equal(hrs_sim_set_fault(f->sim, "no_such_fault", 1), -1);
}

static void test_create_user(void **state)
{
    fixture *f = *state;
    json_t *body = user_body("zoe.mueller@example.com", "1002");
    json_object_set_new(body, "givenName", json_string("Zoë"));
    resp r = call(f, "POST", "/users", body, NULL);
    assert_int_equal(r.status, 201);
    assert_int_equal(strlen(str(r.body, "id")), 36);
    assert_non_null(str(r.body, "createdDateTime"));
    assert_string_equal(str(r.body, "userPrincipalName"), "zoe.mueller@example.com");
    assert_string_equal(str(r.body, "employeeId"), "1002");
    assert_string_equal(str(r.body, "givenName"), "Zoë");
    assert_null(json_object_get(r.body, "passwordProfile"));
    assert_int_equal(strlen(r.request_id), 36);
    char path[256], *id = strdup(str(r.body, "id"));
    snprintf(path, sizeof path, "/users/%s", id);
    done(&r);

    /* GET by id and by UPN; without $select only the default set comes back. */
    r = get(f, path, NULL);
    assert_string_equal(str(r.body, "displayName"), "zoe.mueller");
    assert_null(json_object_get(r.body, "employeeId"));
    assert_true(json_is_array(json_object_get(r.body, "businessPhones")));
    done(&r);
    r = get(f, "/users/ZOE.MUELLER@example.com?$select=employeeId,accountEnabled", NULL);
    assert_string_equal(str(r.body, "id"), id);
    assert_string_equal(str(r.body, "employeeId"), "1002");
    assert_true(json_is_true(json_object_get(r.body, "accountEnabled")));
    assert_null(json_object_get(r.body, "displayName"));
    done(&r);
    expect_error(f, "GET", "/users/00000000-0000-0000-0000-000000000000", NULL, NULL, 404,
                 "Request_ResourceNotFound", "Resource '00000000-0000-0000-0000-000000000000' "
                 "does not exist or one of its queried reference-property objects are not "
                 "present.");

    /* No password is kept: not in the snapshot, not in the state file written after the create. */
    json_t *snap = hrs_sim_snapshot(f->sim), *file = json_load_file(f->state, 0, NULL);
    char *t1 = json_dumps(snap, 0), *t2 = json_dumps(file, 0);
    assert_null(strstr(t1, PASSWORD));
    assert_null(strstr(t1, "Seed-Pass-1"));
    assert_null(strstr(t2, PASSWORD));
    assert_non_null(strstr(t2, "zoe.mueller@example.com"));
    free(t1);
    free(t2);
    json_decref(snap);
    json_decref(file);
    free(id);
}

#define BAD "Request_BadRequest"
#define INVALID(p) "Invalid value specified for property '" p "' of resource 'User'."
#define REQUIRED(p) "Property " p " value is required but is empty or missing."

static void test_create_validation(void **state)
{
    fixture *f = *state;
    char long_local[80], long_dept[80], long_name[300];
    memset(long_local, 'a', 65);
    snprintf(long_local + 65, sizeof long_local - 65, "@example.com");
    memset(long_dept, 'd', 65);
    long_dept[65] = '\0';
    memset(long_name, 'n', 257);
    long_name[257] = '\0';
    static const char upn[] = "Property userPrincipalName is invalid.";
    static const char weak[] = "The specified password does not comply with password complexity "
                               "requirements. Please provide a different password.";
    struct { const char *key; json_t *value; const char *code, *msg; } cases[] = {
        { "passwordProfile", NULL, BAD, "A password must be specified to create a new user." },
        { "mailNickname", NULL, BAD, REQUIRED("mailNickname") },
        { "accountEnabled", NULL, BAD, REQUIRED("accountEnabled") },
        { "displayName", json_string(""), BAD, REQUIRED("displayName") },
        { "userPrincipalName", json_string("x@unverified.example"), BAD, upn },
        { "userPrincipalName", json_string("x.@example.com"), BAD, upn },
        { "userPrincipalName", json_string("x y@example.com"), BAD, upn },
        { "userPrincipalName", json_string("zoë@example.com"), BAD, upn },
        { "userPrincipalName", json_string(long_local), BAD, upn },
        { "passwordProfile", json_pack("{s:s}", "password", "password"), BAD, weak },
        { "passwordProfile", json_pack("{s:s}", "password", "Pässwort-123"), BAD, weak },
        { "employeeId", json_string("12345678901234567"), BAD, INVALID("employeeId") },
        { "department", json_string(long_dept), BAD, INVALID("department") },
        { "displayName", json_string(long_name), BAD, INVALID("displayName") },
        { "usageLocation", json_string("DEU"), BAD, INVALID("usageLocation") },
        { "businessPhones", json_pack("[s,s]", "+49 1", "+49 2"), BAD, INVALID("businessPhones") },
        { "mailNickname", json_string("a b"), BAD, INVALID("mailNickname") },
        { "accountEnabled", json_string("yes"), BAD, INVALID("accountEnabled") },
        { "favouriteColour", json_string("blue"), "BadRequest", "The property 'favouriteColour' "
          "does not exist on type 'microsoft.graph.user'. Make sure to only use property names "
          "that are defined by the type or mark the type as open type." },
        { "createdDateTime", json_string("2026-12-01T00:00:00Z"), BAD, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *b = user_body("valid.user@example.com", NULL);
        if (cases[i].value) json_object_set_new(b, cases[i].key, cases[i].value);
        else json_object_del(b, cases[i].key);
        expect_error(f, "POST", "/users", b, NULL, 400, cases[i].code, cases[i].msg);
    }
    resp r = call_raw(f, "POST", "/v1.0/users", "{not json", "application/json", NULL);
    assert_error(&r, 400, "BadRequest", NULL);
    done(&r);

    /* Limits count characters, not bytes; example.org comes from the seed's domains. */
    json_t *b = user_body("o'brien@example.org", NULL);
    char umlauts[64 * 2 + 1] = "";
    for (int i = 0; i < 64; i++) strncat(umlauts, "ä", sizeof umlauts - strlen(umlauts) - 1);
    json_object_set_new(b, "givenName", json_string(umlauts));   /* 64 characters, 128 bytes */
    json_object_set_new(b, "usageLocation", json_string("DE"));
    json_object_set_new(b, "employeeHireDate", json_string("2027-01-04T00:00:00Z"));
    free(create(f, b));
    r = call(f, "POST", "/users", user_body("O'Brien@EXAMPLE.org", "1003"), NULL);
    assert_error(&r, 400, BAD, "Another object with the same value for property "
                 "userPrincipalName already exists.");   /* unique without regard to case */
    assert_string_equal(sat(r.body, "error/details/0/code"), "ObjectConflict");
    done(&r);
}

static void test_filter(void **state)
{
    fixture *f = *state;
    json_t *b = user_body("anna.schmidt@example.com", "2001");
    json_object_set_new(b, "mail", json_string("anna.schmidt@example.com"));
    json_object_set_new(b, "surname", json_string("O'Neill"));
    json_object_set_new(b, "companyName", json_string("Example GmbH"));
    char *anna = create(f, b), p[512];
    free(create(f, user_body("annika.berg@example.com", "2002")));
    free(create(f, user_body("ben.koch@example.com", "2003")));

    resp r = get(f, fpath(p, sizeof p, "employeeId eq '2001'", "&$select=id,employeeId"), NULL);
    assert_int_equal(value_count(&r), 1);
    assert_string_equal(sat(r.body, "value/0/id"), anna);
    assert_string_equal(sat(r.body, "value/0/employeeId"), "2001");
    assert_non_null(strstr(str(r.body, "@odata.context"), "$metadata#users(id,employeeId)"));
    done(&r);

    static const struct { const char *expr; size_t n; } ok[] = {
        { "userPrincipalName eq 'ANNA.SCHMIDT@example.com'", 1 },
        { "mail eq 'anna.schmidt@example.com'", 1 },
        { "employeeId in ('2001', '2003', '9999')", 2 },
        { "startsWith(userPrincipalName, 'ann')", 2 },
        { "employeeId eq '2002' or employeeId eq '2003'", 2 },
        { "startsWith(userPrincipalName, 'ann') and accountEnabled eq true", 2 },
        { "surname eq 'O''Neill'", 1 },
        { "accountEnabled eq false", 0 },
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        r = get(f, fpath(p, sizeof p, ok[i].expr, NULL), NULL);
        if (value_count(&r) != ok[i].n) fail_msg("%s: %zu users", ok[i].expr, value_count(&r));
        done(&r);
    }

    /* Advanced queries need ConsistencyLevel: eventual and $count=true. */
    expect_error(f, "GET", fpath(p, sizeof p, "companyName eq 'Example GmbH'", NULL), NULL, NULL,
                 400, "Request_UnsupportedQuery", "Unsupported Query.");
    expect_error(f, "GET", fpath(p, sizeof p, "employeeId ne '2001'", NULL), NULL, NULL, 400,
                 "Request_UnsupportedQuery", "Unsupported Query.");
    r = get(f, fpath(p, sizeof p, "companyName eq 'Example GmbH'", "&$count=true"),
            "ConsistencyLevel: eventual");
    assert_int_equal(value_count(&r), 1);
    assert_int_equal(json_integer_value(json_object_get(r.body, "@odata.count")), 1);
    done(&r);
    r = call(f, "GET", fpath(p, sizeof p, "employeeId eq '2001' and", NULL), NULL, NULL);
    assert_error(&r, 400, "BadRequest", NULL);
    assert_true(strncmp(sat(r.body, "error/message"), "Invalid filter clause", 21) == 0);
    done(&r);
    expect_error(f, "GET", fpath(p, sizeof p, "shoeSize eq '42'", NULL), NULL, NULL, 400,
                 "BadRequest",
                 "Could not find a property named 'shoeSize' on type 'microsoft.graph.user'.");
    expect_error(f, "GET", fpath(p, sizeof p, "employeeId eq 2001", NULL), NULL, NULL, 400,
                 "BadRequest", NULL);
    free(anna);
}

static void test_paging(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < 5; i++) {
        char upn[64];
        snprintf(upn, sizeof upn, "page.user%d@example.com", i);
        free(create(f, user_body(upn, "P")));
    }
    /* 2 seeded + 5 new users, 2 per page, following the whole nextLink each time. */
    char url[1024] = "/users?$top=2&$select=id,employeeId";
    json_t *seen = json_object();
    int pages = 0;
    for (const char *next = url; next; pages++) {
        resp r = get(f, url, NULL);
        assert_true(value_count(&r) <= 2);
        for (size_t i = 0; i < value_count(&r); i++) {
            json_t *u = at(r.body, "value"), *id = json_object_get(json_array_get(u, i), "id");
            assert_null(json_object_get(seen, json_string_value(id)));
            assert_null(json_object_get(json_array_get(u, i), "displayName"));
            json_object_set_new(seen, json_string_value(id), json_true());
        }
        next = str(r.body, "@odata.nextLink");
        if (next) {
            assert_true(strncmp(next, f->base, strlen(f->base)) == 0);
            assert_non_null(strstr(next, "$skiptoken="));
            assert_non_null(strstr(next, "$top=2"));
            snprintf(url, sizeof url, "%s", next);
            next = url;
        }
        done(&r);
    }
    assert_int_equal(json_object_size(seen), 7);
    assert_int_equal(pages, 4);
    json_decref(seen);
    expect_error(f, "GET", "/users?$top=1000", NULL, NULL, 400, BAD,
                 "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive.");
    expect(f, "GET", "/users?$top=0", NULL, 400);
}

static void test_patch(void **state)
{
    fixture *f = *state;
    char *id = create(f, user_body("malte.hansen@example.com", "1004"));
    char path[256], sel[300];
    snprintf(path, sizeof path, "/users/%s", id);
    snprintf(sel, sizeof sel, "%s?$select=department,jobTitle,employeeId", path);
    resp r = call(f, "PATCH", path, json_pack("{s:s, s:s}", "department", "Sales", "jobTitle",
                                              "Account Manager"), NULL);
    assert_int_equal(r.status, 204);
    assert_null(r.body);
    done(&r);
    r = get(f, sel, NULL);
    assert_string_equal(str(r.body, "department"), "Sales");
    assert_string_equal(str(r.body, "jobTitle"), "Account Manager");
    assert_string_equal(str(r.body, "employeeId"), "1004");   /* untouched */
    done(&r);

    expect(f, "PATCH", path, json_pack("{s:n}", "department"), 204);   /* null clears */
    r = get(f, sel, NULL);
    assert_true(json_is_null(json_object_get(r.body, "department")));
    assert_string_equal(str(r.body, "jobTitle"), "Account Manager");
    done(&r);
    expect_error(f, "PATCH", path, json_pack("{s:n}", "displayName"), NULL, 400, BAD,
                 INVALID("displayName"));

    /* A new UPN: the user is found under it, no longer under the old one. */
    expect(f, "PATCH", path, json_pack("{s:s}", "userPrincipalName", "malte.h@example.com"), 204);
    expect(f, "GET", "/users/malte.h@example.com", NULL, 200);
    expect(f, "GET", "/users/malte.hansen@example.com", NULL, 404);
    expect_error(f, "PATCH", "/users/11111111-2222-3333-4444-555555555555",
                 json_pack("{s:s}", "department", "Sales"), NULL, 404, "Request_ResourceNotFound",
                 NULL);
    snprintf(sel, sizeof sel, "%s/revokeSignInSessions", path);
    r = call(f, "POST", sel, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_true(json_is_true(json_object_get(r.body, "value")));
    done(&r);
    free(id);
}

/* The $batch responses by id. */
static json_t *by_id(resp *r)
{
    json_t *m = json_object(), *e;
    size_t i;
    json_array_foreach(json_object_get(r->body, "responses"), i, e)
        json_object_set(m, str(e, "id"), e);
    return m;
}

#define status_of(m, id) json_integer_value(at(m, id "/status"))

static void test_batch(void **state)
{
    fixture *f = *state;
    assert_int_equal(hrs_sim_set_fault(f->sim, "shuffle_batch", 1), 0);
    json_t *bad = user_body("ines.k@example.com", "1005");
    json_object_del(bad, "passwordProfile");
    json_t *batch = json_pack(
        "{s:[{s:s, s:s, s:s, s:o, s:{s:s}}, {s:s, s:s, s:s, s:[s]},"
        "    {s:s, s:s, s:s, s:o, s:{s:s}}, {s:s, s:s, s:s, s:[s]},"
        "    {s:s, s:s, s:s, s:{s:s}}, {s:s, s:s, s:s}]}", "requests",
        "id", "1", "method", "POST", "url", "/users", "body",
        user_body("hannah.becker@example.com", "1006"), "headers", "Content-Type",
        "application/json",
        "id", "2", "method", "GET", "url", "users/hannah.becker@example.com?$select=employeeId",
        "dependsOn", "1",
        "id", "3", "method", "POST", "url", "/users", "body", bad, "headers", "Content-Type",
        "application/json",
        "id", "4", "method", "GET", "url", "/users?$top=1", "dependsOn", "3",
        "id", "5", "method", "PATCH", "url", "/users/katrin.vogel@example.com", "body",
        "jobTitle", "Head of Sales",   /* a body without Content-Type */
        "id", "6", "method", "GET", "url", "/users?$filter=employeeId eq '1001'");
    int shuffled = 0;
    for (int round = 0; round < 8; round++) {
        if (round == 1) {   /* from now on request 1 only reads */
            json_t *first = at(batch, "requests/0");
            json_object_set_new(first, "method", json_string("GET"));
            json_object_set_new(first, "url", json_string("/users?$top=1"));
            json_object_del(first, "body");
        }
        resp r = call(f, "POST", "/$batch", json_incref(batch), NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_array_size(json_object_get(r.body, "responses")), 6);
        for (size_t i = 0; i < 6; i++) {
            char p[32], want[4];
            snprintf(p, sizeof p, "responses/%zu/id", i);
            snprintf(want, sizeof want, "%zu", i + 1);
            if (strcmp(sat(r.body, p), want) != 0) shuffled = 1;
        }
        json_t *m = by_id(&r);
        assert_int_equal(status_of(m, "1"), round == 0 ? 201 : 200);
        assert_int_equal(status_of(m, "2"), 200);
        assert_string_equal(sat(m, "2/body/employeeId"), "1006");
        assert_int_equal(status_of(m, "3"), 400);
        assert_string_equal(sat(m, "3/body/error/message"),
                            "A password must be specified to create a new user.");
        assert_int_equal(status_of(m, "4"), 424);
        assert_int_equal(status_of(m, "5"), 400);
        assert_int_equal(status_of(m, "6"), 200);
        json_decref(m);
        done(&r);
    }
    assert_true(shuffled);
    json_decref(batch);

    /* The whole batch is refused for duplicate ids (case-insensitive) and for 21 requests. */
    expect_error(f, "POST", "/$batch", json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}",
                                                 "requests", "id", "a", "method", "GET", "url",
                                                 "/users", "id", "A", "method", "GET", "url",
                                                 "/groups"),
                 NULL, 400, "BadRequest", "Request Id A has to be unique in a batch.");
    json_t *many = json_array();
    for (int i = 0; i < 21; i++) {
        char id[8];
        snprintf(id, sizeof id, "%d", i);
        json_array_append_new(many, json_pack("{s:s, s:s, s:s}", "id", id, "method", "GET",
                                              "url", "/users"));
    }
    expect_error(f, "POST", "/$batch", json_pack("{s:o}", "requests", many), NULL, 400,
                 "BadRequest", NULL);
}

static void test_throttle(void **state)
{
    fixture *f = *state;
    assert_int_equal(hrs_sim_set_fault(f->sim, "throttle_writes", 3), 0);
    json_t *b = json_pack("{s:s}", "department", "Finance");
    for (int i = 0; i < 3; i++)
        expect(f, "PATCH", "/users/katrin.vogel@example.com", json_incref(b), 204);
    resp r = call(f, "PATCH", "/users/katrin.vogel@example.com", json_incref(b), NULL);
    assert_error(&r, 429, "TooManyRequests", "Please retry again later.");
    char *end;
    double after = strtod(r.retry_after, &end);
    assert_true(r.retry_after[0] && *end == '\0');
    assert_true(after > 0 && after <= 150.0 / 3 + 0.01);   /* one write frees every 50 s */
    done(&r);
    expect(f, "GET", "/users/katrin.vogel@example.com", NULL, 200);   /* reads are not writes */

    /* Inside a batch the 429 belongs to the request, with its own Retry-After. */
    r = call(f, "POST", "/$batch", json_pack("{s:[{s:s, s:s, s:s, s:o, s:{s:s}}, {s:s, s:s, s:s}]}",
                                            "requests", "id", "w", "method", "PATCH", "url",
                                            "/users/katrin.vogel@example.com", "body", b,
                                            "headers", "Content-Type", "application/json", "id",
                                            "r", "method", "GET", "url", "/users"), NULL);
    assert_int_equal(r.status, 200);
    json_t *m = by_id(&r);
    assert_int_equal(status_of(m, "w"), 429);
    assert_int_equal(status_of(m, "r"), 200);
    const char *ra = sat(m, "w/headers/Retry-After");
    assert_true(ra && strtod(ra, NULL) > 0);
    json_decref(m);
    done(&r);
    hrs_sim_stats st;
    hrs_sim_get_stats(f->sim, &st);
    assert_int_equal(st.throttled, 2);
    assert_int_equal(st.writes, 3);
    assert_int_equal(st.batches, 1);
}

static void test_replication_delay(void **state)
{
    fixture *f = *state;
    assert_int_equal(hrs_sim_set_fault(f->sim, "replication_delay_ms", 500), 0);
    char *id = create(f, user_body("new.hire@example.com", "3001")), path[256];
    snprintf(path, sizeof path, "/users/%s", id);
    expect_error(f, "GET", path, NULL, NULL, 404, "Request_ResourceNotFound", NULL);
    expect(f, "PATCH", path, json_pack("{s:s}", "department", "IT"), 404);
    expect_error(f, "POST", "/users", user_body("new.hire@example.com", "3001"), NULL, 400, BAD,
                 "Another object with the same value for property userPrincipalName already "
                 "exists.");   /* the UPN is taken all the same */
    usleep(600 * 1000);
    expect(f, "PATCH", path, json_pack("{s:s}", "department", "IT"), 204);
    free(id);
}

/* The id of a seeded object found in the snapshot (kind "users" or "groups"). */
static char *seeded_id(fixture *f, const char *kind, const char *key, const char *value)
{
    json_t *snap = hrs_sim_snapshot(f->sim), *o;
    char *id = NULL;
    size_t i;
    json_array_foreach(json_object_get(snap, kind), i, o)
        if (strcmp(str(o, key), value) == 0) id = strdup(str(o, "id"));
    json_decref(snap);
    assert_non_null(id);
    return id;
}

static json_t *ref_body(const char *kind, const char *id)
{
    char ref[256];
    snprintf(ref, sizeof ref, "https://graph.microsoft.com/v1.0/%s/%s", kind, id);
    return json_pack("{s:s}", "@odata.id", ref);
}

static void test_members(void **state)
{
    fixture *f = *state;
    char *uid = create(f, user_body("tom.weber@example.com", "4001")), path[512];
    char *esc = curl_easy_escape(NULL, "displayName eq 'Sales'", 0);
    snprintf(path, sizeof path, "/groups?$filter=%s", esc);
    curl_free(esc);
    resp r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 1);
    char *gid = strdup(sat(r.body, "value/0/id"));
    done(&r);
    snprintf(path, sizeof path, "/groups/%s/members/$ref", gid);
    expect(f, "POST", path, ref_body("directoryObjects", uid), 204);
    expect_error(f, "POST", path, ref_body("directoryObjects", uid), NULL, 400, BAD, "One or more "
                 "added object references already exist for the following modified properties: "
                 "'members'.");

    /* Two members (seeded katrin, then tom), one per page. */
    snprintf(path, sizeof path, "/groups/%s/members?$top=1&$select=id,userPrincipalName", gid);
    r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 1);
    assert_string_equal(sat(r.body, "value/0/@odata.type"), "#microsoft.graph.user");
    assert_string_equal(sat(r.body, "value/0/userPrincipalName"), "katrin.vogel@example.com");
    snprintf(path, sizeof path, "%s", str(r.body, "@odata.nextLink"));
    done(&r);
    r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 1);
    assert_string_equal(sat(r.body, "value/0/id"), uid);
    assert_null(json_object_get(r.body, "@odata.nextLink"));
    done(&r);

    /* members@odata.bind is all or nothing: one present member spoils the lot; 21 are too many. */
    char *andreas = seeded_id(f, "users", "userPrincipalName", "andreas.lindner@example.com");
    json_t *a = ref_body("directoryObjects", andreas), *t = ref_body("directoryObjects", uid);
    snprintf(path, sizeof path, "/groups/%s", gid);
    expect_error(f, "PATCH", path, json_pack("{s:[O,O]}", "members@odata.bind",
                                             at(a, "@odata.id"), at(t, "@odata.id")),
                 NULL, 400, BAD, NULL);
    json_t *snap = hrs_sim_snapshot(f->sim);
    assert_int_equal(json_array_size(at(snap, "groups/0/members")), 2);
    json_decref(snap);
    json_t *urls = json_array();
    for (int k = 0; k < 21; k++) json_array_append(urls, at(a, "@odata.id"));
    expect(f, "PATCH", path, json_pack("{s:o}", "members@odata.bind", urls), 400);
    expect(f, "PATCH", path, json_pack("{s:[O]}", "members@odata.bind", at(a, "@odata.id")), 204);
    json_decref(a);
    json_decref(t);

    snprintf(path, sizeof path, "/groups/%s/members/%s/$ref", gid, uid);
    expect(f, "DELETE", path, NULL, 204);
    expect_error(f, "DELETE", path, NULL, NULL, 404, "Request_ResourceNotFound", NULL);
    free(andreas);
    free(gid);
    free(uid);
}

static void test_manager(void **state)
{
    fixture *f = *state;
    char *boss = create(f, user_body("lena.boss@example.com", "5001"));
    expect(f, "PUT", "/users/andreas.lindner@example.com/manager/$ref", ref_body("users", boss),
           204);
    resp r = get(f, "/users/andreas.lindner@example.com/manager", NULL);
    assert_string_equal(str(r.body, "id"), boss);
    done(&r);
    expect(f, "DELETE", "/users/andreas.lindner@example.com/manager/$ref", NULL, 204);
    expect_error(f, "GET", "/users/andreas.lindner@example.com/manager", NULL, NULL, 404,
                 "Request_ResourceNotFound", "Resource 'manager' does not exist or one of its "
                 "queried reference-property objects are not present.");
    free(boss);
}

static void test_faults_and_admin(void **state)
{
    fixture *f = *state;
    resp r = call_raw(f, "POST", "/_sim/fault", "{\"name\":\"fail_5xx\",\"value\":2}",
                      "application/json", NULL);
    assert_int_equal(r.status, 204);
    done(&r);
    for (int i = 0; i < 2; i++) {
        r = call(f, "GET", "/users", NULL, NULL);
        assert_int_equal(r.status, 503);
        assert_string_equal(r.retry_after, "1");
        done(&r);
    }
    expect(f, "GET", "/users", NULL, 200);
    assert_int_equal(hrs_sim_set_fault(f->sim, "slow_ms", 200), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect(f, "GET", "/users", NULL, 200);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 200);
    r = call_raw(f, "POST", "/_sim/fault", "{\"name\":\"nope\",\"value\":1}", "application/json",
                 NULL);
    assert_int_equal(r.status, 400);
    done(&r);
    r = call_raw(f, "GET", "/_sim/stats", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.body, "tokens")), 1);
    assert_int_equal(json_integer_value(json_object_get(r.body, "requests")), 5);
    done(&r);
    r = call_raw(f, "GET", "/_sim/state", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.body, "users")), 2);
    assert_int_equal(json_array_size(json_object_get(r.body, "groups")), 1);
    done(&r);
}

static void test_persistence(void **state)
{
    fixture *f = *state;
    char *gid = seeded_id(f, "groups", "displayName", "Sales");
    char *uid = create(f, user_body("paul.persist@example.com", "6001")), path[256];
    snprintf(path, sizeof path, "/groups/%s/members/$ref", gid);
    expect(f, "POST", path, ref_body("directoryObjects", uid), 204);
    expect(f, "PUT", "/users/katrin.vogel@example.com/manager/$ref", ref_body("users", uid), 204);

    hrs_sim_stop(f->sim);
    start(f, NULL);   /* the state file exists now: the seed is not needed */
    snprintf(path, sizeof path, "/users/%s?$select=employeeId", uid);
    resp r = get(f, path, NULL);
    assert_string_equal(str(r.body, "employeeId"), "6001");
    done(&r);
    r = get(f, "/users/katrin.vogel@example.com/manager", NULL);
    assert_string_equal(str(r.body, "id"), uid);
    done(&r);
    snprintf(path, sizeof path, "/groups/%s/members?$select=id", gid);
    r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 2);
    done(&r);
    free(gid);
    free(uid);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_create_validation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(test_patch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replication_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manager, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_and_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
