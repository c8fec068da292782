/* test_plan_store.c: stored plans (engine/plan_store.c): the fingerprint of a plan's inputs,
 * readable ids, applying a plan once, and the shrink baseline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/plan_store.h"

static char dir[256], db_path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-plan-store-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int fresh(void **state)
{
    (void)state;
    static int n;
    snprintf(db_path, sizeof db_path, "%s/state-%d.db", dir, ++n);
    return 0;
}

static json_t *J(const char *text)
{
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    return j;
}

static void fingerprint(const char *people, const char *decisions, const char *users, const char *groups, hrs_plan_fingerprint *fp)
{
    json_t *p = J(people), *d = J(decisions), *u = J(users), *g = J(groups);
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_plan_store_fingerprint(p, d, u, g, fp, &err), 0);
    assert_int_equal(strlen(fp->all), 64);
    json_decref(p);
    json_decref(d);
    json_decref(u);
    json_decref(g);
}

static void the_fingerprint_follows_content_not_order(void **state)
{
    (void)state;
    hrs_plan_fingerprint a, b, c, d;
    fingerprint("[{\"id\":\"1\",\"last_name\":\"Vogel\"},{\"id\":\"2\",\"last_name\":\"Lindner\"}]", "{\"1\":{\"include\":true}}",
                "[{\"id\":\"u1\",\"mail\":null},{\"id\":\"u2\"}]", "{\"SG-A\":{\"id\":\"g\",\"members\":{\"u1\":true}}}", &a);
    /* The same records in another order, keys in another order: the same fingerprint. */
    fingerprint("[{\"last_name\":\"Lindner\",\"id\":\"2\"},{\"id\":\"1\",\"last_name\":\"Vogel\"}]", "{\"1\":{\"include\":true}}",
                "[{\"id\":\"u2\"},{\"mail\":null,\"id\":\"u1\"}]", "{\"SG-A\":{\"members\":{\"u1\":true},\"id\":\"g\"}}", &b);
    assert_string_equal(a.all, b.all);
    /* One HR value changed: the HR part and the whole change, the directory part does not. */
    fingerprint("[{\"id\":\"1\",\"last_name\":\"Vogel-Lindner\"},{\"id\":\"2\",\"last_name\":\"Lindner\"}]", "{\"1\":{\"include\":true}}",
                "[{\"id\":\"u1\",\"mail\":null},{\"id\":\"u2\"}]", "{\"SG-A\":{\"id\":\"g\",\"members\":{\"u1\":true}}}", &c);
    assert_string_not_equal(a.all, c.all);
    assert_string_not_equal(a.hr, c.hr);
    assert_string_equal(a.directory, c.directory);
    char what[200];
    hrs_plan_store_what_changed(&a, &c, what, sizeof what);
    assert_string_equal(what, "the HR records");
    /* A group membership removed by hand. */
    fingerprint("[{\"id\":\"1\",\"last_name\":\"Vogel\"},{\"id\":\"2\",\"last_name\":\"Lindner\"}]", "{\"1\":{\"include\":true}}",
                "[{\"id\":\"u1\",\"mail\":null},{\"id\":\"u2\"}]", "{\"SG-A\":{\"id\":\"g\",\"members\":{}}}", &d);
    hrs_plan_store_what_changed(&a, &d, what, sizeof what);
    assert_string_equal(what, "the directory");
}

static void the_fingerprint_sees_every_change_and_no_reordering(void **state)
{
    (void)state;
    hrs_plan_fingerprint a, b, c;
    char what[200];
    /* Two records with the same id (and one without): their order does not count either. */
    fingerprint("[{\"id\":\"1\",\"n\":1},{\"id\":\"1\",\"n\":2},{\"n\":3}]", "{}", "[]", "{}", &a);
    fingerprint("[{\"n\":3},{\"id\":\"1\",\"n\":2},{\"id\":\"1\",\"n\":1}]", "{}", "[]", "{}", &b);
    assert_string_equal(a.all, b.all);
    /* A record twice is not the same as once. */
    fingerprint("[{\"id\":\"1\",\"n\":1},{\"id\":\"1\",\"n\":1},{\"id\":\"1\",\"n\":2},{\"n\":3}]", "{}", "[]", "{}", &c);
    assert_string_not_equal(a.hr, c.hr);
    /* A decision changed: only the policy's part. */
    fingerprint("[{\"id\":\"1\"}]", "{\"1\":{\"include\":true,\"groups\":[\"A\",\"B\"]}}", "[{\"id\":\"u\"}]", "null", &a);
    fingerprint("[{\"id\":\"1\"}]", "{\"1\":{\"include\":true,\"groups\":[\"B\",\"A\"]}}", "[{\"id\":\"u\"}]", "null", &b);
    assert_string_not_equal(a.all, b.all);
    assert_string_not_equal(a.policy, b.policy);
    assert_string_equal(a.hr, b.hr);
    assert_string_equal(a.directory, b.directory);
    hrs_plan_store_what_changed(&a, &b, what, sizeof what);
    assert_string_equal(what, "the policy's decisions");
    /* A user's value changes type; no managed groups and none read. */
    fingerprint("[{\"id\":\"1\"}]", "{\"1\":{\"include\":true,\"groups\":[\"A\",\"B\"]}}", "[{\"id\":\"u\",\"n\":\"1\"}]",
                "null", &c);
    fingerprint("[{\"id\":\"1\"}]", "{\"1\":{\"include\":true,\"groups\":[\"A\",\"B\"]}}", "[{\"id\":\"u\",\"n\":1}]", "null",
                &b);
    assert_string_not_equal(c.directory, b.directory);
    fingerprint("[{\"id\":\"1\"}]", "{\"1\":{\"include\":true,\"groups\":[\"A\",\"B\"]}}", "[{\"id\":\"u\"}]", "{}", &b);
    assert_string_not_equal(a.directory, b.directory);
    hrs_plan_store_what_changed(&a, &b, what, sizeof what);
    assert_string_equal(what, "the directory");
    /* The same record as a person or as a user. */
    fingerprint("[{\"id\":\"u\"}]", "{}", "[]", "{}", &a);
    fingerprint("[]", "{}", "[{\"id\":\"u\"}]", "{}", &b);
    assert_string_not_equal(a.all, b.all);
    hrs_plan_store_what_changed(&a, &b, what, sizeof what);
    assert_string_equal(what, "the HR records and the directory");
    /* The same inputs again: the same fingerprint, part by part. */
    fingerprint("[]", "{}", "[{\"id\":\"u\"}]", "{}", &c);
    assert_memory_equal(&b, &c, sizeof b);
}

static json_t *a_plan(const char *today, int creates, int guarded)
{
    json_t *changes = json_array();
    for (int i = 0; i < creates; i++)
        json_array_append_new(changes, json_pack("{s:s, s:s, s:s, s:s}", "person", "1002", "name", "Zoë", "action", "create",
                                                 "upn", "zoe@example.com"));
    json_t *g = json_array();
    if (guarded) json_array_append_new(g, json_pack("{s:s, s:s}", "rule", "max_disable", "message", "37 disables exceed max_disable = 10"));
    return json_pack("{s:s, s:{s:i}, s:o, s:o}", "today", today, "summary", "people", 13, "changes", changes, "guardrails", g);
}

static void plans_get_readable_ids_and_are_applied_once(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(db_path, &err);
    assert_non_null(s);
    hrs_plan_meta m;
    memset(&m, 0, sizeof m);
    snprintf(m.fp.all, sizeof m.fp.all, "%s", "aaaa");
    m.records = 13;
    m.full_read = 1;
    json_t *p1 = a_plan("2026-12-01", 1, 0);
    assert_int_equal(hrs_plan_store_save(s, p1, &m, &err), 0);
    assert_string_equal(json_string_value(json_object_get(p1, "id")), "p-20261201-0001");
    /* The same plan again keeps its id; a different one gets the next. */
    json_t *again = a_plan("2026-12-01", 1, 0);
    assert_int_equal(hrs_plan_store_save(s, again, &m, &err), 0);
    assert_string_equal(json_string_value(json_object_get(again, "id")), "p-20261201-0001");
    snprintf(m.fp.all, sizeof m.fp.all, "%s", "bbbb");
    json_t *p2 = a_plan("2026-12-02", 2, 1);
    assert_int_equal(hrs_plan_store_save(s, p2, &m, &err), 0);
    assert_string_equal(json_string_value(json_object_get(p2, "id")), "p-20261202-0002");

    hrs_plan_stored st;
    assert_int_equal(hrs_plan_store_load(s, "p-20261202-0002", &st, &err), 0);
    assert_string_equal(st.status, "stopped");
    assert_string_equal(st.meta.fp.all, "bbbb");
    assert_true(json_equal(st.plan, p2));
    hrs_plan_stored_clear(&st);

    /* No baseline before a plan is applied. */
    size_t base = 99;
    assert_int_equal(hrs_plan_store_baseline(s, &base, &err), 0);
    assert_int_equal(base, 0);

    assert_int_equal(hrs_plan_store_claim(s, "p-20261201-0001", &err), 0);
    assert_int_equal(hrs_plan_store_finish(s, "p-20261201-0001", 4, "applied", NULL, 0, &err), 0);
    assert_int_equal(hrs_plan_store_claim(s, "p-20261201-0001", &err), -1);
    assert_non_null(strstr(err.msg, "plan p-20261201-0001 was already applied (applied at "));
    assert_non_null(strstr(err.msg, ", run 4): a plan is applied once; run hrsync plan again"));
    assert_int_equal(hrs_plan_store_baseline(s, &base, &err), 0);
    assert_int_equal(base, 13);

    hrs_err_clear(&err);
    assert_int_equal(hrs_plan_store_load(s, "p-20261201-0099", &st, &err), -1);
    assert_non_null(strstr(err.msg, "no plan p-20261201-0099 in state file "));
    json_decref(p1);
    json_decref(again);
    json_decref(p2);
    hrs_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_fingerprint_follows_content_not_order),
        cmocka_unit_test(the_fingerprint_sees_every_change_and_no_reordering),
        cmocka_unit_test_setup(plans_get_readable_ids_and_are_applied_once, fresh),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
