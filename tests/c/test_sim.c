/* test_sim.c: the Microsoft Graph simulator over real HTTP (libcurl against a simulator started
 * on port 0): tokens, user creation and its validation, $filter, paging and PATCH. Groups,
 * batches, throttling and faults are in test_sim_groups.c. */
#include "sim_client.h"

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
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
