/* test_store.c: the SQLite state: migrations, links, applied values, runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/store.h"

static char path[300];

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/hrsync-test-store-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.db", dir);
    return 0;
}

static void migrates_once_and_reopens(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(path, &err);
    assert_non_null(s);
    int v = hrs_store_schema_version(s);
    assert_true(v >= 1);
    hrs_store_close(s);
    s = hrs_store_open(path, &err);
    assert_non_null(s);
    assert_int_equal(hrs_store_schema_version(s), v);
    hrs_store_close(s);
}

static void links_and_applied_values_survive_reopen(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(path, &err);
    assert_int_equal(hrs_store_begin(s, &err), 0);
    assert_int_equal(hrs_store_link_put(s, "1002", "obj-1", "zoe@example.com", &err), 0);
    json_t *attrs = json_pack("{s:s, s:n, s:[s]}", "department", "Engineering", "mobilePhone", "businessPhones", "+49 30 1");
    assert_int_equal(hrs_store_applied_put(s, "1002", attrs, &err), 0);
    assert_int_equal(hrs_store_commit(s, &err), 0);
    hrs_store_close(s);

    s = hrs_store_open(path, &err);
    json_t *links, *applied;
    assert_int_equal(hrs_store_links(s, &links, &err), 0);
    assert_string_equal(json_string_value(json_object_get(json_object_get(links, "1002"), "object_id")), "obj-1");
    assert_int_equal(hrs_store_applied(s, &applied, &err), 0);
    assert_true(json_equal(json_object_get(applied, "1002"), attrs));
    json_decref(links);
    json_decref(applied);
    json_decref(attrs);
    hrs_store_close(s);
}

static void rollback_leaves_nothing(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(path, &err);
    assert_int_equal(hrs_store_begin(s, &err), 0);
    assert_int_equal(hrs_store_link_put(s, "9999", "obj-9", "x@example.com", &err), 0);
    hrs_store_rollback(s);
    json_t *links;
    assert_int_equal(hrs_store_links(s, &links, &err), 0);
    assert_null(json_object_get(links, "9999"));
    json_decref(links);
    hrs_store_close(s);
}

static void one_object_cannot_be_linked_twice(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(path, &err);
    assert_int_equal(hrs_store_link_put(s, "A", "obj-shared", "a@example.com", &err), 0);
    assert_int_equal(hrs_store_link_put(s, "B", "obj-shared", "b@example.com", &err), -1);
    assert_non_null(strstr(err.msg, "UNIQUE"));
    hrs_store_close(s);
}

static void runs_are_recorded(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(path, &err);
    int64_t id;
    assert_int_equal(hrs_store_run_begin(s, "sync", "2026-12-01", &id, &err), 0);
    json_t *sum = json_pack("{s:i}", "created", 3);
    assert_int_equal(hrs_store_run_end(s, id, "ok", sum, &err), 0);
    json_t *runs;
    assert_int_equal(hrs_store_runs(s, 5, &runs, &err), 0);
    json_t *last = json_array_get(runs, 0);
    assert_string_equal(json_string_value(json_object_get(last, "status")), "ok");
    assert_int_equal(json_integer_value(json_object_get(json_object_get(last, "summary"), "created")), 3);
    json_decref(runs);
    json_decref(sum);
    hrs_store_close(s);
}

static void unwritable_path_is_an_error(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    assert_null(hrs_store_open("/nonexistent-dir/state.db", &err));
    assert_non_null(strstr(err.msg, "/nonexistent-dir/state.db"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(migrates_once_and_reopens),
        cmocka_unit_test(links_and_applied_values_survive_reopen),
        cmocka_unit_test(rollback_leaves_nothing),
        cmocka_unit_test(one_object_cannot_be_linked_twice),
        cmocka_unit_test(runs_are_recorded),
        cmocka_unit_test(unwritable_path_is_an_error),
    };
    return cmocka_run_group_tests_name("store", tests, setup, NULL);
}
