/* test_lease.c: one engine per state file: the lease in SQLite (engine/store_lease.c), as two
 * engines (two connections to one state file) meet it; and the daemon's status values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hrsync/store.h"

static char path[300];

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/hrsync-test-lease-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char wal[320];
    unlink(path);
    snprintf(wal, sizeof wal, "%s-wal", path);
    unlink(wal);
    snprintf(wal, sizeof wal, "%s-shm", path);
    unlink(wal);
    char *slash = strrchr(path, '/');
    *slash = '\0';
    rmdir(path);
    return 0;
}

static void a_second_engine_is_refused_until_the_first_releases(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *a = hrs_store_open(path, &err), *b = hrs_store_open(path, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_int_equal(hrs_store_lease_acquire(a, "engine A", 300, &err), 0);
    /* The holder itself may take it again (a reload opens a new connection). */
    assert_int_equal(hrs_store_lease_acquire(a, "engine A", 300, &err), 0);

    hrs_err_clear(&err);
    assert_int_equal(hrs_store_lease_acquire(b, "engine B", 300, &err), -1);
    char host[256], want[1024];
    gethostname(host, sizeof host);
    snprintf(want, sizeof want, "state file %s is held by pid %ld on host %s until ", path, (long)getpid(), host);
    assert_non_null(strstr(err.msg, want));
    assert_non_null(strstr(err.msg, "engine A"));

    assert_int_equal(hrs_store_lease_renew(a, "engine A", 300, &err), 0);
    json_t *l = NULL;
    assert_int_equal(hrs_store_lease_get(b, &l, &err), 0);
    assert_string_equal(json_string_value(json_object_get(l, "holder")), "engine A");
    assert_false(json_is_true(json_object_get(l, "expired")));
    json_decref(l);

    assert_int_equal(hrs_store_lease_release(a, "engine A", &err), 0);
    assert_int_equal(hrs_store_lease_get(b, &l, &err), 0);
    assert_null(l);
    assert_int_equal(hrs_store_lease_acquire(b, "engine B", 300, &err), 0);
    /* A no longer holds it: renewing says so, releasing leaves B's lease alone. */
    hrs_err_clear(&err);
    assert_int_equal(hrs_store_lease_renew(a, "engine A", 300, &err), -1);
    assert_non_null(strstr(err.msg, "taken over"));
    assert_int_equal(hrs_store_lease_release(a, "engine A", &err), 0);
    assert_int_equal(hrs_store_lease_acquire(a, "engine A", 300, &err), -1);
    assert_int_equal(hrs_store_lease_release(b, "engine B", &err), 0);
    hrs_store_close(a);
    hrs_store_close(b);
}

static void an_expired_lease_is_taken_over(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *a = hrs_store_open(path, &err), *b = hrs_store_open(path, &err);
    assert_int_equal(hrs_store_lease_acquire(a, "engine A", -5, &err), 0); /* ran out 5 s ago */
    json_t *l = NULL;
    assert_int_equal(hrs_store_lease_get(b, &l, &err), 0);
    assert_true(json_is_true(json_object_get(l, "expired")));
    json_decref(l);
    assert_int_equal(hrs_store_lease_acquire(b, "engine B", 300, &err), 0);
    assert_int_equal(hrs_store_lease_renew(a, "engine A", 300, &err), -1);
    hrs_store_close(a);
    hrs_store_close(b);
}

static void put_lease(hrs_store *s, const char *holder, long pid, const char *host, const char *until)
{
    char sql[600];
    snprintf(sql, sizeof sql, "DELETE FROM lease; INSERT INTO lease VALUES ('%s', %ld, '%s', '%s')", holder, pid, host, until);
    assert_int_equal(sqlite3_exec(hrs_store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
}

static void a_crashed_process_on_this_host_does_not_block_but_another_host_does(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(path, &err);
    pid_t child = fork();
    if (child == 0) _exit(0);
    assert_true(child > 0);
    waitpid(child, NULL, 0); /* child's pid now names no process */
    char host[256];
    gethostname(host, sizeof host);
    put_lease(s, "hrsync run (crashed)", (long)child, host, "2999-01-01T00:00:00Z");
    assert_int_equal(hrs_store_lease_acquire(s, "engine B", 300, &err), 0);

    put_lease(s, "hrsync run elsewhere", (long)child, "another-host.example.com", "2999-01-01T00:00:00Z");
    hrs_err_clear(&err);
    assert_int_equal(hrs_store_lease_acquire(s, "engine B", 300, &err), -1);
    assert_non_null(strstr(err.msg, "on host another-host.example.com until 2999-01-01T00:00:00Z"));
    hrs_store_close(s);
}

static void status_values_round_trip(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(path, &err);
    json_t *v = json_pack("{s:i, s:s}", "pid", 42, "phase", "sleeping");
    assert_int_equal(hrs_store_status_put(s, "daemon", v, &err), 0);
    json_t *next = json_string("2026-12-01T10:00:00Z");
    assert_int_equal(hrs_store_status_put(s, "next_run", next, &err), 0);
    json_t *n2 = json_string("2026-12-01T10:01:00Z");
    assert_int_equal(hrs_store_status_put(s, "next_run", n2, &err), 0);
    json_t *all = NULL;
    assert_int_equal(hrs_store_status_all(s, &all, &err), 0);
    assert_true(json_equal(json_object_get(all, "daemon"), v));
    assert_string_equal(json_string_value(json_object_get(all, "next_run")), "2026-12-01T10:01:00Z");
    json_decref(all);
    json_decref(v);
    json_decref(next);
    json_decref(n2);
    hrs_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(a_second_engine_is_refused_until_the_first_releases, setup, teardown),
        cmocka_unit_test_setup_teardown(an_expired_lease_is_taken_over, setup, teardown),
        cmocka_unit_test_setup_teardown(a_crashed_process_on_this_host_does_not_block_but_another_host_does, setup, teardown),
        cmocka_unit_test_setup_teardown(status_values_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
