/* test_guardrails.c: the limits that stop a plan (engine/guardrails.c): the defaults, the
 * config's guardrails table and source.max_shrink, and the sentences that say why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/guardrails.h"

static char dir[256];

static const char *write_config(const char *name, const char *extra)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "return {\n"
               "  source = { type = 'csv', path = 'people.csv' },\n"
               "  directory = { tenant = 'example.com', client_id = 'abc', client_secret_env = 'HRSYNC_TEST_SECRET' },\n"
               "  policy = 'policy.lua',\n"
               "%s"
               "}\n", extra);
    fclose(f);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-guardrails-XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv("HRSYNC_TEST_SECRET", "not-a-real-secret", 1);
    return 0;
}

/* The messages of the violations, joined with " | ". */
static void messages(const json_t *v, char *out, size_t n)
{
    size_t i, o = 0;
    json_t *x;
    out[0] = '\0';
    json_array_foreach(v, i, x) {
        int w = snprintf(out + o, n - o, "%s%s", i ? " | " : "", json_string_value(json_object_get(x, "message")));
        if (w > 0 && (size_t)w < n - o) o += (size_t)w;
    }
}

static json_t *check(const hrs_guardrails *g, const char *summary_json, size_t records, size_t previous)
{
    json_t *summary = json_loads(summary_json, 0, NULL);
    assert_non_null(summary);
    hrs_guardrails_input in = { summary, records, previous, 0 };
    json_t *v = hrs_guardrails_check(g, &in);
    json_decref(summary);
    return v;
}

static void a_mass_disable_is_stopped_and_says_why(void **state)
{
    (void)state;
    hrs_guardrails g;
    hrs_guardrails_defaults(&g);
    json_t *v = check(&g, "{\"people\": 400, \"in_scope\": 363, \"disable\": 37}", 400, 0);
    char m[1024];
    messages(v, m, sizeof m);
    assert_string_equal(m, "37 disables exceed max_disable = 10");
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_guardrails_explain(v, "p-20261201-0007", &err), -1);
    assert_string_equal(err.msg, "guardrail: 37 disables exceed max_disable = 10; review the plan and run "
                                 "hrsync apply p-20261201-0007 --force");
    json_decref(v);
}

static void an_ordinary_plan_passes(void **state)
{
    (void)state;
    hrs_guardrails g;
    hrs_guardrails_defaults(&g);
    json_t *v = check(&g, "{\"people\": 13, \"in_scope\": 10, \"disable\": 1, \"group_remove\": 3, \"rename\": 1, "
                          "\"quarantined\": 2, \"create\": 10}", 13, 13);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    /* A summary without the counts (an older plan) passes too. */
    v = check(&g, "{\"people\": 13}", 13, 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
}

static void ratios_stop_a_small_company_losing_many(void **state)
{
    (void)state;
    hrs_guardrails g;
    hrs_guardrails_defaults(&g);
    /* 3 of 12 people in scope disabled: under max_disable, over max_disable_ratio. */
    json_t *v = check(&g, "{\"people\": 12, \"in_scope\": 9, \"disable\": 3}", 12, 0);
    char m[1024];
    messages(v, m, sizeof m);
    assert_string_equal(m, "3 disables are 25% of the 12 people in scope, over max_disable_ratio = 0.1");
    json_decref(v);
    /* 4 of 12 records quarantined. */
    v = check(&g, "{\"people\": 10, \"in_scope\": 8, \"quarantined\": 4}", 12, 0);
    messages(v, m, sizeof m);
    assert_string_equal(m, "4 of 12 records are quarantined (33%), over max_quarantined_ratio = 0.2");
    json_decref(v);
}

static void every_limit_is_named(void **state)
{
    (void)state;
    hrs_guardrails g;
    hrs_guardrails_defaults(&g);
    json_t *v = check(&g, "{\"people\": 1000, \"in_scope\": 1000, \"group_remove\": 51, \"rename\": 11, \"quarantined\": 11}",
                      1000, 0);
    char m[1024];
    messages(v, m, sizeof m);
    assert_string_equal(m, "51 group removals exceed max_group_remove = 50 | 11 renames exceed max_rename = 10 | "
                           "11 quarantined people exceed max_quarantined = 10");
    json_decref(v);
}

static void a_shrinking_source_is_stopped(void **state)
{
    (void)state;
    hrs_guardrails g;
    hrs_guardrails_defaults(&g);
    json_t *v = check(&g, "{\"people\": 30, \"in_scope\": 30}", 30, 100);
    assert_int_equal(json_array_size(v), 1);
    json_t *x = json_array_get(v, 0);
    assert_string_equal(json_string_value(json_object_get(x, "rule")), "max_shrink");
    assert_non_null(strstr(json_string_value(json_object_get(x, "message")), "the source returned 30 people where the last full read had 100"));
    json_decref(v);
    /* 20% fewer is allowed; the first run has nothing to compare with. */
    v = check(&g, "{\"people\": 80, \"in_scope\": 80}", 80, 100);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    v = check(&g, "{\"people\": 5, \"in_scope\": 5}", 5, 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    /* An incremental read is never checked: the people it leaves out are unchanged, not gone. */
    json_t *summary = json_pack("{s:i}", "people", 5);
    hrs_guardrails_input in = { summary, 5, 100, 1 };
    v = hrs_guardrails_check(&g, &in);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    json_decref(summary);
}

static void the_config_sets_and_switches_off_limits(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_config *c = hrs_config_load(write_config("set.lua", "  guardrails = { max_disable = 50, max_disable_ratio = false },\n"
                                                            "  source = { type = 'csv', path = 'people.csv', max_shrink = 0.5 },\n"),
                                    NULL, &err);
    assert_non_null(c);
    hrs_guardrails g;
    assert_int_equal(hrs_guardrails_load(c, &g, &err), 0);
    assert_true(g.max_disable == 50);
    assert_true(g.max_disable_ratio < 0);
    assert_true(g.max_group_remove == 50); /* the default */
    assert_true(g.max_shrink == 0.5);
    json_t *v = check(&g, "{\"people\": 100, \"in_scope\": 60, \"disable\": 40}", 100, 0);
    assert_int_equal(json_array_size(v), 0);
    json_decref(v);
    hrs_config_free(c);
}

static void a_typo_or_a_bad_value_is_refused_with_its_line(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_guardrails g;
    const char *path = write_config("typo.lua", "  guardrails = {\n    max_disables = 5,\n  },\n");
    hrs_config *c = hrs_config_load(path, NULL, &err);
    assert_non_null(c);
    assert_int_equal(hrs_guardrails_load(c, &g, &err), -1);
    char want[700];
    snprintf(want, sizeof want, "%s:6: unknown setting 'guardrails.max_disables' (did you mean 'max_disable'?)", path);
    assert_string_equal(err.msg, want);
    hrs_config_free(c);

    hrs_err_clear(&err);
    path = write_config("bad.lua", "  guardrails = { max_disable_ratio = 2 },\n");
    c = hrs_config_load(path, NULL, &err);
    assert_non_null(c);
    assert_int_equal(hrs_guardrails_load(c, &g, &err), -1);
    snprintf(want, sizeof want, "%s:5: guardrails.max_disable_ratio must be a share from 0 to 1, or false for no limit (it is 2)", path);
    assert_string_equal(err.msg, want);
    hrs_config_free(c);

    hrs_err_clear(&err);
    path = write_config("shrink.lua", "  source = { type = 'csv', path = 'people.csv',\n    max_shrink = 'lots' },\n");
    c = hrs_config_load(path, NULL, &err);
    assert_non_null(c);
    assert_int_equal(hrs_guardrails_load(c, &g, &err), -1);
    snprintf(want, sizeof want, "%s:6: source.max_shrink must be a number from 0 to 1", path);
    assert_non_null(strstr(err.msg, want));
    hrs_config_free(c);

    hrs_err_clear(&err);
    path = write_config("str.lua", "  guardrails = { max_rename = 'ten' },\n");
    c = hrs_config_load(path, NULL, &err);
    assert_non_null(c);
    assert_int_equal(hrs_guardrails_load(c, &g, &err), -1);
    assert_non_null(strstr(err.msg, "guardrails.max_rename must be a number >= 0, or false for no limit (it is \"ten\")"));
    hrs_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_mass_disable_is_stopped_and_says_why),
        cmocka_unit_test(an_ordinary_plan_passes),
        cmocka_unit_test(ratios_stop_a_small_company_losing_many),
        cmocka_unit_test(every_limit_is_named),
        cmocka_unit_test(a_shrinking_source_is_stopped),
        cmocka_unit_test(the_config_sets_and_switches_off_limits),
        cmocka_unit_test(a_typo_or_a_bad_value_is_refused_with_its_line),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
