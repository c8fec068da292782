/* test_http.c: Retry-After parsing, the client-side write budget, OAuth and Graph error mapping,
 * initial passwords, and several requests at once over the connection pool. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hrsync/budget.h"
#include "hrsync/graph.h"
#include "hrsync/http.h"
#include "hrsync/oauth.h"
#include "hrsync/password.h"

static void retry_after_decimal_seconds(void **state)
{
    (void)state;
    assert_float_equal(hrs_http_parse_retry_after("2.128", 0), 2.128, 1e-9);
    assert_float_equal(hrs_http_parse_retry_after("10", 0), 10.0, 1e-9);
    assert_float_equal(hrs_http_parse_retry_after(" 3 ", 0), 3.0, 1e-9);
    assert_true(hrs_http_parse_retry_after("", 0) < 0);
    assert_true(hrs_http_parse_retry_after("soon", 0) < 0);
    assert_true(hrs_http_parse_retry_after("-5", 0) < 0);
}

static void retry_after_http_date(void **state)
{
    (void)state;
    /* Wed, 21 Oct 2026 07:28:00 GMT = 1792567680 */
    assert_float_equal(hrs_http_parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", 1792567670.0), 10.0, 1e-6);
    assert_float_equal(hrs_http_parse_retry_after("Wed, 21 Oct 2026 07:28:00 GMT", 1792567690.0), 0.0, 1e-6);
}

static void retry_after_fractions_and_junk(void **state)
{
    (void)state;
    assert_float_equal(hrs_http_parse_retry_after("0.5", 0), 0.5, 1e-9);
    assert_float_equal(hrs_http_parse_retry_after("0", 0), 0.0, 1e-9);
    assert_float_equal(hrs_http_parse_retry_after("\t1.25\r\n", 0), 1.25, 1e-9);
    assert_float_equal(hrs_http_parse_retry_after("120", 0), 120.0, 1e-9);
    assert_true(hrs_http_parse_retry_after("2.1s", 0) < 0);
    assert_true(hrs_http_parse_retry_after("Wed, 21 Oct 2026", 0) < 0);
    assert_true(hrs_http_parse_retry_after(NULL, 0) < 0);
}

static void write_budget_paces_writes_and_pauses_after_a_429(void **state)
{
    (void)state;
    hrs_budget b;
    hrs_budget_init(&b, 3000, 150, 1000.0);            /* 20 writes a second, 3000 at once */
    assert_float_equal(hrs_budget_wait(&b, 3000, 1000.0), 0, 1e-9);
    hrs_budget_take(&b, 3000, 1000.0);
    assert_float_equal(hrs_budget_wait(&b, 20, 1000.0), 1.0, 1e-9);
    assert_float_equal(hrs_budget_wait(&b, 20, 1000.5), 0.5, 1e-9);
    assert_float_equal(hrs_budget_available(&b, 1001.0), 20, 1e-9);
    assert_float_equal(hrs_budget_wait(&b, 5000, 1001.0), 149.0, 1e-9);   /* more than fits: a full bucket */
    assert_float_equal(hrs_budget_available(&b, 2000.0), 3000, 1e-9);      /* never above the capacity */
    hrs_budget_throttled(&b, 2.128, 2000.0);                                /* a 429 with Retry-After: 2.128 */
    assert_float_equal(hrs_budget_wait(&b, 1, 2000.0), 2.128, 1e-9);
    assert_float_equal(hrs_budget_wait(&b, 20, 2000.0), 2.128, 1e-9);
    assert_float_equal(hrs_budget_wait(&b, 60, 2000.0), 3.0, 1e-9);
    assert_float_equal(hrs_budget_available(&b, 2001.0), 0, 1e-9);          /* paused */
    assert_float_equal(hrs_budget_available(&b, 2003.0), 60, 1e-9);
    hrs_budget_init(&b, -1, 150, 0);                                         /* off */
    hrs_budget_take(&b, 1e6, 0);
    assert_float_equal(hrs_budget_wait(&b, 1e6, 0), 0, 1e-9);
}

static void oauth_error_names_aadsts_code_and_description(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    const char *body = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS7000215: Invalid client secret provided. "
                       "Ensure the secret being sent in the request is the client secret value. Trace ID: abc Correlation ID: def "
                       "Timestamp: 2026-12-01 10:00:00Z\",\"error_codes\":[7000215]}";
    assert_int_equal(hrs_oauth_error("https://login.example/t/oauth2/v2.0/token", 401, body, &err), -1);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.code, "AADSTS7000215");
    assert_non_null(strstr(err.msg, "HTTP 401 invalid_client: AADSTS7000215: Invalid client secret provided."));
    assert_null(strstr(err.msg, "Trace ID"));
}

static void oauth_error_without_json(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_oauth_error("https://login.example/t", 502, "<html>bad gateway</html>", &err);
    assert_non_null(strstr(err.msg, "HTTP 502"));
}

static void graph_error_envelope(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    const char *body = "{\"error\":{\"code\":\"Request_BadRequest\",\"message\":\"Another object with the same value for property "
                       "userPrincipalName already exists.\",\"innerError\":{\"date\":\"2026-12-01T10:00:00\",\"request-id\":"
                       "\"1b2c3d4e-0000-4000-8000-000000000001\"}}}";
    hrs_graph_error("Graph POST /users", 400, body, "", &err);
    assert_int_equal(err.http_status, 400);
    assert_string_equal(err.code, "Request_BadRequest");
    assert_string_equal(err.msg, "Graph POST /users: HTTP 400 Request_BadRequest: Another object with the same value for "
                                 "property userPrincipalName already exists. (request-id 1b2c3d4e-0000-4000-8000-000000000001)");
}

static void passwords_meet_the_cloud_policy(void **state)
{
    (void)state;
    hrs_err err;
    char seen[64][25];
    for (int i = 0; i < 64; i++) {
        char pw[25];
        assert_int_equal(hrs_password_generate(pw, sizeof pw, 20, &err), 0);
        assert_int_equal(strlen(pw), 20);
        int lo = 0, up = 0, dg = 0, sy = 0;
        for (const char *p = pw; *p; p++) {
            assert_true((unsigned char)*p < 128 && *p > ' ');
            if (islower((unsigned char)*p)) lo = 1;
            else if (isupper((unsigned char)*p)) up = 1;
            else if (isdigit((unsigned char)*p)) dg = 1;
            else sy = 1;
        }
        assert_true(lo && up && dg && sy);
        for (int j = 0; j < i; j++) assert_string_not_equal(seen[j], pw);
        memcpy(seen[i], pw, sizeof pw);
    }
    assert_int_equal(hrs_password_generate(seen[0], 10, 20, &err), -1);
}

static void url_escaping(void **state)
{
    (void)state;
    char *e = hrs_http_escape("a b&c=d/é");
    assert_string_equal(e, "a%20b%26c%3Dd%2F%C3%A9");
    free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(retry_after_decimal_seconds),
        cmocka_unit_test(retry_after_http_date),
        cmocka_unit_test(retry_after_fractions_and_junk),
        cmocka_unit_test(write_budget_paces_writes_and_pauses_after_a_429),
        cmocka_unit_test(oauth_error_names_aadsts_code_and_description),
        cmocka_unit_test(oauth_error_without_json),
        cmocka_unit_test(graph_error_envelope),
        cmocka_unit_test(passwords_meet_the_cloud_policy),
        cmocka_unit_test(url_escaping),
    };
    return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
