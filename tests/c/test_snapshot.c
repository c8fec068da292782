/* test_snapshot.c: the persons of the last cycle and its policy in the state file: replaced on a
 * full read, added to on an incremental one, unchanged records kept as they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/snapshot.h"

static char path[300];

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/hrsync-test-snapshot-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.db", dir);
    return 0;
}

static json_t *ids_of(json_t *people)
{
    json_t *ids = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) json_array_append(ids, json_object_get(p, "id"));
    return ids;
}

static const char *changed_at(hrs_store *s, const char *id)
{
    static char out[64];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(hrs_store_db(s), "SELECT changed_at || '/' || hash FROM person_snapshots WHERE person_id = ?1",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void full_and_incremental_reads(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(path, &err);
    assert_non_null(s);
    json_t *people = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s}, {s:i}]", "id", "2", "department", "Sales", "id", "1",
                               "department", "Finance", "first_name", "no id", "id", 3);
    hrs_snapshot_policy pol = { "/etc/hrsync/policy.lua", "sha256:abc", "return {}\n", 10 };
    assert_int_equal(hrs_snapshot_save(s, people, 1, &pol, "2026-12-01", &err), 0);
    json_t *got, *ids;
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    ids = ids_of(got);
    json_t *want = json_pack("[s, s]", "1", "2");   /* sorted; records without a string id are left out */
    assert_true(json_equal(ids, want));
    assert_true(json_equal(json_array_get(got, 0), json_array_get(people, 1)));
    json_decref(ids);
    json_decref(want);
    json_decref(got);
    char before[64];
    snprintf(before, sizeof before, "%s", changed_at(s, "1"));

    /* Incremental: person 3 comes, 1 changes, 2 is not mentioned and stays. */
    json_t *more = json_pack("[{s:s, s:s}, {s:s, s:s}]", "id", "3", "department", "People", "id", "1", "department", "Legal");
    assert_int_equal(hrs_snapshot_save(s, more, 0, NULL, "2026-12-02", &err), 0);
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    ids = ids_of(got);
    want = json_pack("[s, s, s]", "1", "2", "3");
    assert_true(json_equal(ids, want));
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "department")), "Legal");
    assert_string_not_equal(changed_at(s, "1"), before);
    json_decref(ids);
    json_decref(want);
    json_decref(got);

    /* Full: only those read are kept; the policy was left as recorded by the incremental save. */
    json_t *two = json_pack("[{s:s, s:s}]", "id", "3", "department", "People");
    assert_int_equal(hrs_snapshot_save(s, two, 1, NULL, "2026-12-03", &err), 0);
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    assert_int_equal(json_array_size(got), 1);
    json_decref(got);
    json_t *p = NULL;
    assert_int_equal(hrs_snapshot_policy_get(s, &p, &err), 0);
    assert_string_equal(json_string_value(json_object_get(p, "text")), "return {}\n");
    assert_string_equal(json_string_value(json_object_get(p, "version")), "sha256:abc");
    assert_string_equal(json_string_value(json_object_get(p, "today")), "2026-12-01");
    json_decref(p);
    json_decref(two);
    json_decref(more);
    json_decref(people);
    hrs_store_close(s);
}

static void nothing_recorded_yet(void **state)
{
    (void)state;
    char other[320];
    snprintf(other, sizeof other, "%s-empty", path);
    hrs_err err;
    hrs_store *s = hrs_store_open(other, &err);
    json_t *got = NULL, *p = json_true();
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    assert_int_equal(json_array_size(got), 0);
    assert_int_equal(hrs_snapshot_policy_get(s, &p, &err), 0);
    assert_null(p);
    json_decref(got);
    hrs_store_close(s);
}

static void hash_is_canonical(void **state)
{
    (void)state;
    hrs_err err;
    char a[65], b[65], c[65];
    json_t *x = json_pack("{s:s, s:i}", "a", "1", "b", 2), *y = json_pack("{s:i, s:s}", "b", 2, "a", "1"),
           *z = json_pack("{s:s, s:i}", "a", "1", "b", 3);
    assert_int_equal(hrs_snapshot_hash(x, a, &err), 0);
    assert_int_equal(hrs_snapshot_hash(y, b, &err), 0);
    assert_int_equal(hrs_snapshot_hash(z, c, &err), 0);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 64);
    json_decref(x);
    json_decref(y);
    json_decref(z);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_and_incremental_reads),
        cmocka_unit_test(nothing_recorded_yet),
        cmocka_unit_test(hash_is_canonical),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
