/* test_settle.c: the memo of a cycle with nothing to do (settle.c): saved and loaded whole,
 * forgotten by any write to the links, the applied values or the journal, and the file version it
 * keys a file source on (hrs_status_file_version). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/settle.h"
#include "hrsync/status.h"
#include "hrsync/store.h"
#include <sqlite3.h>

static char dir[64], path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-settle-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.db", dir);
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void fill(hrs_settled *m)
{
    memset(m, 0, sizeof *m);
    snprintf(m->context, sizeof m->context, "%064d", 1);
    snprintf(m->source, sizeof m->source, "file:%064d", 2);
    snprintf(m->groups, sizeof m->groups, "%064d", 3);
    m->inputs = json_pack("{s:s, s:b, s:[s]}", "select", "id,displayName", "managers", 1, "groups", "Women");
    m->plan = json_pack("{s:s, s:{s:i}, s:[], s:[], s:[]}", "today", "2026-12-01", "summary", "people", 12, "changes",
                        "quarantine", "notes");
    m->meta.records = 12;
    m->meta.full_read = 1;
    snprintf(m->meta.fp.all, sizeof m->meta.fp.all, "%064d", 4);
    snprintf(m->meta.fp.hr, sizeof m->meta.fp.hr, "%064d", 5);
    snprintf(m->meta.fp.policy, sizeof m->meta.fp.policy, "%064d", 6);
    snprintf(m->meta.fp.directory, sizeof m->meta.fp.directory, "%064d", 7);
}

static void saves_and_loads_the_memo_whole(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(path, &err);
    assert_non_null(s);
    hrs_settled m, got;
    int found = 1;
    assert_int_equal(hrs_settle_load(s, &got, &found, &err), 0);
    assert_int_equal(found, 0);
    fill(&m);
    assert_int_equal(hrs_settle_save(s, &m, &err), 0);
    hrs_store_close(s);

    s = hrs_store_open(path, &err);
    assert_int_equal(hrs_settle_load(s, &got, &found, &err), 0);
    assert_int_equal(found, 1);
    assert_string_equal(got.context, m.context);
    assert_string_equal(got.source, m.source);
    assert_string_equal(got.groups, m.groups);
    assert_true(json_equal(got.inputs, m.inputs));
    assert_true(json_equal(got.plan, m.plan));
    assert_int_equal(got.meta.records, 12);
    assert_string_equal(got.meta.fp.all, m.meta.fp.all);
    assert_string_equal(got.meta.fp.directory, m.meta.fp.directory);
    assert_true(got.settled_at[0] != '\0');
    hrs_settled_clear(&got);
    assert_int_equal(hrs_settle_forget(s, &err), 0);
    assert_int_equal(hrs_settle_load(s, &got, &found, &err), 0);
    assert_int_equal(found, 0);
    hrs_settled_clear(&m);
    hrs_store_close(s);
}

/* Saves the memo, runs sql, and tells whether the memo is still there. */
static int survives(hrs_store *s, const char *sql)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_settled m, got;
    int found = 0;
    fill(&m);
    assert_int_equal(hrs_settle_save(s, &m, &err), 0);
    hrs_settled_clear(&m);
    assert_int_equal(sqlite3_exec(hrs_store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(hrs_settle_load(s, &got, &found, &err), 0);
    hrs_settled_clear(&got);
    return found;
}

static void any_write_to_links_applied_or_journal_forgets_it(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(path, &err);
    assert_non_null(s);
    assert_true(survives(s, "INSERT INTO cursors (name, value, updated_at) VALUES ('x', 'y', 'z')"));
    assert_true(survives(s, "SELECT count(*) FROM links"));
    assert_false(survives(s, "INSERT INTO links (person_id, object_id, upn, linked_at) VALUES ('1', 'o1', 'a@x', 't')"));
    assert_false(survives(s, "UPDATE links SET upn = 'b@x'"));
    assert_false(survives(s, "DELETE FROM links"));
    assert_false(survives(s, "INSERT INTO applied (person_id, attribute, value, written_at) VALUES ('1', 'a', '1', 't')"));
    assert_false(survives(s, "UPDATE applied SET value = '2'"));
    assert_false(survives(s, "DELETE FROM applied"));
    assert_false(survives(s, "INSERT INTO journal (run_id, seq, person_id, kind, method, spec, updated_at) "
                             "VALUES (1, 1, '1', 'update', 'PATCH', '{}', 't')"));
    hrs_store_close(s);
}

static void digests_a_file_and_names_a_missing_one(void **state)
{
    (void)state;
    char file[400], out[80];
    hrs_err err;
    hrs_err_clear(&err);
    snprintf(file, sizeof file, "%s/abc.txt", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fputs("abc", f);
    fclose(f);
    assert_int_equal(hrs_status_file_version(file, out, sizeof out, &err), 0);
    assert_string_equal(out, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    snprintf(file, sizeof file, "%s/missing.csv", dir);
    assert_int_equal(hrs_status_file_version(file, out, sizeof out, &err), -1);
    assert_non_null(strstr(err.msg, "missing.csv"));
    assert_non_null(strstr(err.msg, "No such file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(saves_and_loads_the_memo_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(any_write_to_links_applied_or_journal_forgets_it, setup, teardown),
        cmocka_unit_test_setup_teardown(digests_a_file_and_names_a_missing_one, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
