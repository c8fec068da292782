/* test_personio.c: the Personio API v1 source: attribute parsing in both shapes, dynamic
 * attributes by key and label, dates with offsets as calendar dates, and whole reads against
 * the HR simulator (engine/sim/hrsim*.c): paging with the supervisor on page 2, a missing
 * whitelisted attribute, re-authentication, 429 back-off, quarantined records and pages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrsync/hrsim.h"
#include "hrsync/person.h"
#include "hrsync/personio.h"
#include "hrsync/source.h"

#define SECRET "pio-s3cret-value"
#define SECRET_ENV "HRSYNC_TEST_PERSONIO_SECRET"

/* ---- mapping, without HTTP ---- */

static json_t *parse(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

static const char *str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static const char *const current_shape =
    "{\"type\":\"Employee\",\"attributes\":{"
    "\"id\":{\"label\":\"ID\",\"value\":1002,\"type\":\"integer\",\"universal_id\":\"id\"},"
    "\"first_name\":{\"label\":\"First name\",\"value\":\"Zoë\",\"type\":\"standard\",\"universal_id\":\"first_name\"},"
    "\"last_name\":{\"label\":\"Last name\",\"value\":\"Müller-Lüdenscheidt\",\"type\":\"standard\",\"universal_id\":\"last_name\"},"
    "\"status\":{\"label\":\"Status\",\"value\":\"Active\",\"type\":\"standard\",\"universal_id\":\"status\"},"
    "\"hire_date\":{\"label\":\"Hire date\",\"value\":\"2021-02-15T00:00:00+01:00\",\"type\":\"date\",\"universal_id\":\"hire_date\"},"
    "\"supervisor\":{\"label\":\"Supervisor\",\"value\":{\"type\":\"Employee\",\"attributes\":{"
    "\"id\":{\"label\":\"ID\",\"value\":1001,\"type\":\"integer\",\"universal_id\":\"id\"},"
    "\"email\":{\"label\":\"Email\",\"value\":\"katrin.vogel@example.com\",\"type\":\"standard\",\"universal_id\":\"email\"}}},"
    "\"type\":\"standard\",\"universal_id\":\"supervisor\"},"
    "\"department\":{\"label\":\"Department\",\"value\":{\"type\":\"Department\",\"attributes\":{\"id\":301,\"name\":\"Engineering\"}},\"type\":\"standard\",\"universal_id\":\"department\"},"
    "\"office\":{\"label\":\"Office\",\"value\":{\"type\":\"Office\",\"attributes\":{\"id\":201,\"name\":\"Berlin\"}},\"type\":\"standard\",\"universal_id\":\"office\"},"
    "\"team\":{\"label\":\"Team\",\"value\":null,\"type\":\"standard\",\"universal_id\":\"team\"},"
    "\"dynamic_2714401\":{\"label\":\"Personnel number\",\"value\":\"P-0042\",\"universal_id\":null,\"type\":\"standard\"}}}";

/* The same employee as answers before about 2021 sent it: no type, no universal_id. */
static const char *const older_shape =
    "{\"type\":\"Employee\",\"attributes\":{"
    "\"id\":{\"label\":\"ID\",\"value\":1002},"
    "\"first_name\":{\"label\":\"First name\",\"value\":\"Zoë\"},"
    "\"last_name\":{\"label\":\"Last name\",\"value\":\"Müller-Lüdenscheidt\"},"
    "\"status\":{\"label\":\"Status\",\"value\":\"active\"},"
    "\"hire_date\":{\"label\":\"Hire date\",\"value\":\"2021-02-15T00:00:00+01:00\"},"
    "\"supervisor\":{\"label\":\"Supervisor\",\"value\":{\"type\":\"Employee\",\"attributes\":{"
    "\"id\":{\"label\":\"ID\",\"value\":1001}}}},"
    "\"department\":{\"label\":\"Department\",\"value\":{\"type\":\"Department\",\"attributes\":{\"id\":301,\"name\":\"Engineering\"}}},"
    "\"office\":{\"label\":\"Office\",\"value\":{\"type\":\"Office\",\"attributes\":{\"id\":201,\"name\":\"Berlin\"}}},"
    "\"dynamic_2714401\":{\"label\":\"Personnel number\",\"value\":\"P-0042\"}}}";

static void test_attribute_shapes(void **state)
{
    (void)state;
    const char *const shapes[] = { current_shape, older_shape };
    for (int i = 0; i < 2; i++) {
        json_t *emp = parse(shapes[i]);
        char why[400] = "";
        json_t *f = hrs_personio_employee_fields(emp, NULL, why, sizeof why);
        assert_non_null(f);
        assert_string_equal(str(f, "id"), "1002");
        assert_string_equal(str(f, "first_name"), "Zoë");
        assert_string_equal(str(f, "last_name"), "Müller-Lüdenscheidt");
        assert_string_equal(str(f, "status"), "active");              /* lower-cased */
        assert_string_equal(str(f, "hire_date"), "2021-02-15");
        assert_string_equal(str(f, "supervisor_id"), "1001");
        assert_string_equal(str(f, "department"), "Engineering");
        assert_string_equal(str(f, "office"), "Berlin");
        assert_true(json_is_null(json_object_get(f, "email")));       /* not whitelisted: null */
        if (i == 0) {
            assert_string_equal(str(f, "supervisor_email"), "katrin.vogel@example.com");
            assert_true(json_is_null(json_object_get(f, "team")));
        } else {
            const json_t *se = json_object_get(f, "supervisor_email");
            assert_true(!se || json_is_null(se));                      /* no email nested */
            assert_null(json_object_get(f, "team"));                   /* absent stays absent */
        }
        json_decref(f);
        json_decref(emp);
    }
}

static void test_dynamic_by_key_and_label(void **state)
{
    (void)state;
    json_t *emp = parse(current_shape);
    const char *const names[] = { "dynamic_2714401", "Personnel number", "personnel NUMBER" };
    for (int i = 0; i < 3; i++) {
        json_t *map = json_pack("{s:s}", "personnel_number", names[i]);
        char why[400] = "";
        json_t *f = hrs_personio_employee_fields(emp, map, why, sizeof why);
        assert_non_null(f);
        assert_string_equal(str(f, "personnel_number"), "P-0042");
        json_decref(f);
        json_decref(map);
    }
    const char *key = NULL;
    const json_t *a = hrs_personio_find(json_object_get(emp, "attributes"), "Personnel number", &key);
    assert_non_null(a);
    assert_string_equal(key, "dynamic_2714401");
    assert_string_equal(json_string_value(hrs_personio_value(a)), "P-0042");
    assert_null(hrs_personio_find(json_object_get(emp, "attributes"), "Shoe size", NULL));
    /* A mapping can also override a standard field. */
    json_t *map = json_pack("{s:s}", "employee_number", "id");
    char why[400];
    json_t *f = hrs_personio_employee_fields(emp, map, why, sizeof why);
    assert_string_equal(str(f, "employee_number"), "1002");
    json_decref(f);
    json_decref(map);
    json_decref(emp);
}

/* An employee whose hire_date attribute holds value (a date type). */
static json_t *with_hire_date(const char *value)
{
    return json_pack("{s:s, s:{s:{s:s, s:i}, s:{s:s, s:s, s:s}}}", "type", "Employee",
                     "attributes", "id", "label", "ID", "value", 7, "hire_date", "label",
                     "Hire date", "value", value, "type", "date");
}

static void test_dates_stay_calendar_dates(void **state)
{
    (void)state;
    static const struct { const char *in, *out; } cases[] = {
        { "2019-05-01T00:00:00+02:00", "2019-05-01" },   /* UTC would be 2019-04-30 */
        { "2014-11-09T00:00:00+01:00", "2014-11-09" },
        { "1835-02-01T00:00:00+00:53", "1835-02-01" },   /* Berlin's local mean time */
        { "2021-01-01T00:00:00+0100", "2021-01-01" },    /* offset without a colon */
        { "2021-01-01", "2021-01-01" },                   /* custom date attributes */
        { "2026-12-31T23:30:00-05:00", "2026-12-31" },   /* UTC would be 2027-01-01 */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *emp = with_hire_date(cases[i].in);
        char why[400] = "";
        json_t *f = hrs_personio_employee_fields(emp, NULL, why, sizeof why);
        assert_non_null(f);
        assert_string_equal(str(f, "hire_date"), cases[i].out);
        json_decref(f);
        json_decref(emp);
    }
    json_t *emp = with_hire_date("2019-02-30T00:00:00+01:00");
    char why[400] = "";
    assert_null(hrs_personio_employee_fields(emp, NULL, why, sizeof why));
    assert_non_null(strstr(why, "hire_date (\"Hire date\")"));
    assert_non_null(strstr(why, "\"2019-02-30T00:00:00+01:00\" is not a valid date"));
    json_decref(emp);
}

static void test_unknown_status_is_refused(void **state)
{
    (void)state;
    json_t *emp = parse(current_shape);
    json_object_set_new(json_object_get(json_object_get(emp, "attributes"), "status"), "value",
                        json_string("Retired"));
    char why[400] = "";
    assert_null(hrs_personio_employee_fields(emp, NULL, why, sizeof why));
    assert_non_null(strstr(why, "status (\"Status\") \"Retired\" is not a Personio status"));
    json_decref(emp);
}

/* ---- whole reads against the HR simulator ---- */

typedef struct fixture {
    hrs_hrsim *sim;
    char base[96];
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hrs_err err;
    hrs_err_clear(&err);
    hrs_hrsim_opts o = { 0 };
    o.personio_client_id = "client-1";
    o.personio_client_secret = SECRET;
    f->sim = hrs_hrsim_start(&o, &err);
    if (!f->sim) {
        fprintf(stderr, "%s\n", err.msg);
        free(f);
        return -1;
    }
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%u/personio/v1", hrs_hrsim_port(f->sim));
    setenv(SECRET_ENV, SECRET, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hrs_hrsim_stop(f->sim);
    free(f);
    return 0;
}

/* Reads with the standard config plus extra (stolen; may be NULL). */
static int read_personio(fixture *f, json_t *extra, hrs_source_result *r, hrs_err *err)
{
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:s, s:i}", "type", "personio", "base_url", f->base,
                            "client_id", "client-1", "client_secret_env", SECRET_ENV,
                            "page_size", 6);
    if (extra) {
        json_object_update(cfg, extra);
        json_decref(extra);
    }
    hrs_err_clear(err);
    int rc = hrs_source_read(cfg, r, err);
    json_decref(cfg);
    return rc;
}

static const json_t *person(const hrs_source_result *r, const char *id)
{
    size_t i;
    json_t *p;
    json_array_foreach(r->people, i, p)
        if (strcmp(str(p, "id"), id) == 0) return p;
    return NULL;
}

static void test_read_two_pages_supervisor_on_page_two(void **state)
{
    fixture *f = *state;
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_personio(f, json_pack("{s:{s:s}}", "fields", "personnel_number",
                                                "Personnel number"), &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 7);
    assert_int_equal(json_array_size(r.quarantine), 0);
    assert_false(r.partial);
    const json_t *katrin = person(&r, "1001");
    assert_string_equal(str(katrin, "supervisor_id"), "1007");        /* 1007 is on page 2 */
    assert_string_equal(str(katrin, "supervisor_email"), "andreas.lindner@example.com");
    assert_string_equal(str(katrin, "hire_date"), "2019-05-01");
    assert_string_equal(str(person(&r, "1003"), "status"), "onboarding");
    assert_string_equal(str(person(&r, "1005"), "status"), "inactive");
    assert_string_equal(str(person(&r, "1002"), "last_name"), "Müller-Lüdenscheidt");
    assert_string_equal(str(person(&r, "1007"), "personnel_number"), "P-0001");
    assert_true(json_is_null(json_object_get(person(&r, "1007"), "supervisor_id")));
    assert_non_null(json_object_get(json_object_get(katrin, "raw"), "attributes"));
    hrs_hrsim_stats st;
    hrs_hrsim_get_stats(f->sim, &st);
    assert_int_equal(st.personio_pages, 2);
    assert_int_equal(st.personio_auth, 1);                           /* one token for the read */
    assert_int_equal(st.query_credentials, 0);
    hrs_source_result_clear(&r);
}

static void test_supervisor_resolved_from_a_later_page(void **state)
{
    fixture *f = *state;
    /* The nested supervisor carries only the id: the email comes from 1007's own record. */
    json_t *only_id = json_pack("{s:s, s:{s:{s:s, s:i}}}", "type", "Employee", "attributes", "id",
                                "label", "ID", "value", 1007);
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "1001", "supervisor", only_id, &err), 0);
    json_decref(only_id);
    hrs_source_result r;
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);
    assert_string_equal(str(person(&r, "1001"), "supervisor_email"), "andreas.lindner@example.com");
    hrs_source_result_clear(&r);
}

static void test_missing_whitelisted_attribute(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    /* The credential may not read the custom attribute: it is absent from every record. */
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "*", "dynamic_2714401", NULL, &err), 0);
    hrs_source_result r;
    assert_int_equal(read_personio(f, json_pack("{s:{s:s}}", "fields", "personnel_number",
                                                "dynamic_2714401"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "no attribute \"dynamic_2714401\""));
    assert_non_null(strstr(err.msg, "whitelist"));
    assert_non_null(strstr(err.msg, "Readable employee attributes"));
    assert_int_equal(read_personio(f, json_pack("{s:[s]}", "required_fields", "Personnel number"),
                                   &r, &err), -1);
    assert_non_null(strstr(err.msg, "\"Personnel number\""));
    assert_non_null(strstr(err.msg, "required_fields"));
    /* A person field with a default attribute names the attribute. */
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "*", "email", NULL, &err), 0);
    assert_int_equal(read_personio(f, json_pack("{s:[s]}", "required_fields", "email"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "no attribute \"email\""));
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);           /* not required: fine */
    assert_true(json_is_null(json_object_get(person(&r, "1001"), "email")));
    hrs_source_result_clear(&r);
}

static void test_reauth_backoff_and_wrong_secret(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_source_result r;
    /* 429 without Retry-After on the first page: backed off, then read. */
    hrs_hrsim_set_fault(f->sim, "retry_after", 0);
    hrs_hrsim_set_fault(f->sim, "throttle_next", 1);
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 7);
    hrs_source_result_clear(&r);
    hrs_hrsim_stats st;
    hrs_hrsim_get_stats(f->sim, &st);
    assert_int_equal(st.throttled, 1);
    /* A wrong secret: Personio's words, and never the secret. */
    setenv(SECRET_ENV, "wrong-secret-value", 1);
    assert_int_equal(read_personio(f, NULL, &r, &err), -1);
    assert_non_null(strstr(err.msg, "HTTP 401: Wrong credentials"));
    assert_null(strstr(err.msg, "wrong-secret-value"));
    assert_int_equal(err.http_status, 401);
    setenv(SECRET_ENV, SECRET, 1);
    /* Inline secrets are refused. */
    assert_int_equal(read_personio(f, json_pack("{s:s}", "client_secret", "x"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "secrets are not read from the config"));
    /* An unknown setting names the closest one. */
    assert_int_equal(read_personio(f, json_pack("{s:i}", "page_sise", 5), &r, &err), -1);
    assert_non_null(strstr(err.msg, "page_size"));
    assert_int_equal(read_personio(f, json_pack("{s:i}", "page_size", 200), &r, &err), -1);
}

static void test_bad_records_quarantined(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    json_t *v = json_string("31.02.2020");
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "1004", "hire_date", v, &err), 0);
    json_decref(v);
    v = json_string("retired");
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "1006", "status", v, &err), 0);
    json_decref(v);
    v = json_integer(1001);                                           /* 1002 becomes a twin */
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "1002", "id", v, &err), 0);
    json_decref(v);
    assert_int_equal(hrs_hrsim_set_person_field(f->sim, "personio", "1003", "id", NULL, &err), 0);
    hrs_source_result r;
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);                  /* 1005 and 1007 are whole */
    assert_non_null(person(&r, "1005"));
    assert_non_null(person(&r, "1007"));
    assert_int_equal(json_array_size(r.quarantine), 5);
    char *q = json_dumps(r.quarantine, 0);
    assert_non_null(strstr(q, "hire_date (\\\"Hire date\\\") \\\"31.02.2020\\\" is not a valid date"));
    assert_non_null(strstr(q, "\\\"retired\\\" is not a Personio status"));
    assert_non_null(strstr(q, "duplicate id \\\"1001\\\" (index 0 and index 1)"));
    assert_non_null(strstr(q, "the record has no id"));
    free(q);
    hrs_source_result_clear(&r);
}

static void test_malformed_page_quarantined(void **state)
{
    fixture *f = *state;
    hrs_hrsim_set_fault(f->sim, "malformed_page", 7);                /* the page at offset 6 */
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 6);
    assert_int_equal(json_array_size(r.quarantine), 1);
    const json_t *q = json_array_get(r.quarantine, 0);
    assert_int_equal(json_integer_value(json_object_get(q, "index")), 6);
    assert_null(json_object_get(q, "id"));                           /* lost whole */
    assert_non_null(strstr(str(q, "reason"), "offset 6"));
    assert_non_null(strstr(str(q, "reason"), "not valid JSON"));
    /* Without a supervisor record on page 2, 1001 keeps the nested supervisor's email. */
    assert_string_equal(str(person(&r, "1001"), "supervisor_id"), "1007");
    hrs_source_result_clear(&r);
    /* A token that expires between the pages: signed in again, once, and the read goes on. */
    hrs_hrsim_set_fault(f->sim, "malformed_page", 0);
    hrs_hrsim_set_fault(f->sim, "expire_tokens_after", 1);
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 7);
    hrs_source_result_clear(&r);
    hrs_hrsim_stats st;
    hrs_hrsim_get_stats(f->sim, &st);
    assert_int_equal(st.personio_auth, 3);
    /* One-time tokens: each answer's Authorization header carries the next one. */
    hrs_hrsim_set_fault(f->sim, "rotate_tokens", 1);
    assert_int_equal(read_personio(f, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 7);
    hrs_source_result_clear(&r);
    hrs_hrsim_get_stats(f->sim, &st);
    assert_int_equal(st.personio_auth, 4);                           /* one sign-in for the read */
    hrs_hrsim_set_fault(f->sim, "rotate_tokens", 0);
    /* An incremental read. */
    assert_int_equal(read_personio(f, json_pack("{s:s}", "updated_since", "2026-01-01"), &r, &err), 0);
    assert_true(r.partial);
    assert_int_equal(json_array_size(r.people), 5);                  /* modified in 2026 */
    hrs_source_result_clear(&r);
}

static void test_shrink_check(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_source_shrink_check(0, 0, 0.2, &err), 0);
    assert_int_equal(hrs_source_shrink_check(100, 80, 0.2, &err), 0);
    assert_int_equal(hrs_source_shrink_check(100, 120, 0.2, &err), 0);
    assert_int_equal(hrs_source_shrink_check(100, 79, 0.2, &err), -1);
    assert_non_null(strstr(err.msg, "79 people where the last full read had 100"));
    assert_non_null(strstr(err.msg, "source.max_shrink"));
    assert_int_equal(hrs_source_shrink_check(100, 0, 1.0, &err), 0);
    double m;
    json_t *cfg = json_pack("{s:f}", "max_shrink", 0.5);
    assert_int_equal(hrs_source_max_shrink(cfg, &m, &err), 0);
    assert_true(m == 0.5);
    json_object_set_new(cfg, "max_shrink", json_string("lots"));
    assert_int_equal(hrs_source_max_shrink(cfg, &m, &err), -1);
    json_object_del(cfg, "max_shrink");
    assert_int_equal(hrs_source_max_shrink(cfg, &m, &err), 0);
    assert_true(m == 0.2);
    json_decref(cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attribute_shapes),
        cmocka_unit_test(test_dynamic_by_key_and_label),
        cmocka_unit_test(test_dates_stay_calendar_dates),
        cmocka_unit_test(test_unknown_status_is_refused),
        cmocka_unit_test_setup_teardown(test_read_two_pages_supervisor_on_page_two, setup, teardown),
        cmocka_unit_test_setup_teardown(test_supervisor_resolved_from_a_later_page, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_whitelisted_attribute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reauth_backoff_and_wrong_secret, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_records_quarantined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_page_quarantined, setup, teardown),
        cmocka_unit_test(test_shrink_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
