/* test_retention.c: pruning the state file's history (retention.c): old plans, runs, finished
 * journal entries and (when asked) audit events go; the newest, the open, the unfinished and the
 * shrink guardrail's baseline stay; and the config's retention table is checked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/config.h"
#include "hrsync/retention.h"
#include "hrsync/store.h"

static char dir[64], path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-retention-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.db", dir);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void exec(hrs_store *s, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(hrs_store_db(s), sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK) fprintf(stderr, "%s: %s\n", sql, msg ? msg : "?");
    sqlite3_free(msg);
    assert_int_equal(rc, SQLITE_OK);
}

static long count(hrs_store *s, const char *sql)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(hrs_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long n = (long)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void run_at(hrs_store *s, int id, const char *at, int finished)
{
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO runs (id, mode, today, started_at, finished_at, status) VALUES (%d, 'sync', "
                              "'2026-01-01', '%s', %s, '%s')", id, at, finished ? "'x'" : "NULL", finished ? "ok" : "running");
    exec(s, sql);
}

static void journal(hrs_store *s, int run, int seq, const char *status)
{
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO journal (run_id, seq, person_id, kind, method, spec, status, updated_at) "
                              "VALUES (%d, %d, 'p', 'update', 'PATCH', '{}', '%s', 'x')", run, seq, status);
    exec(s, sql);
}

static void plan(hrs_store *s, int seq, const char *at, const char *status, int full_read)
{
    char sql[500];
    snprintf(sql, sizeof sql, "INSERT INTO plans (seq, id, today, created_at, fingerprint, fp_hr, fp_policy, "
                              "fp_directory, records, full_read, operations, status, document) VALUES (%d, 'p-%d', "
                              "'2026-01-01', '%s', 'f', 'f', 'f', 'f', 10, %d, 0, '%s', '{}')", seq, seq, at, full_read, status);
    exec(s, sql);
}

/* 2026-12-01T00:00:00Z */
#define NOW 1795996800

static void prunes_old_history_and_keeps_what_is_needed(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(path, &err);
    assert_non_null(s);
    /* 30 old finished runs with a finished journal entry each, one old run left unfinished, and
     * 2 recent ones. */
    for (int i = 1; i <= 30; i++) {
        run_at(s, i, "2026-01-01T00:00:00Z", 1);
        journal(s, i, 1, "done");
    }
    run_at(s, 31, "2026-01-02T00:00:00Z", 1);
    journal(s, 31, 1, "pending");
    run_at(s, 32, "2026-11-30T00:00:00Z", 1);
    run_at(s, 33, "2026-11-30T01:00:00Z", 0);
    /* Plans: the baseline (old, applied, full read), then 25 old nothing-to-do plans, an old open
     * one, and the newest. */
    plan(s, 1, "2026-01-01T00:00:00Z", "applied", 1);
    for (int i = 2; i <= 26; i++) plan(s, i, "2026-01-01T00:00:00Z", "nothing-to-do", 0);
    plan(s, 27, "2026-01-01T00:00:00Z", "planned", 1);
    plan(s, 28, "2026-11-30T00:00:00Z", "failed", 1);
    exec(s, "INSERT INTO audit (at, action, result) VALUES ('2025-01-01T00:00:00Z', 'create', 'ok'), "
            "('2026-11-30T00:00:00Z', 'create', 'ok')");

    hrs_retention r = { 90, 0 };
    hrs_retention_counts n;
    assert_int_equal(hrs_retention_prune(s, &r, NOW, &n, &err), 0);
    /* Runs: the newest 20 (14..33) stay, and so does 31 (its journal entry is unfinished). */
    assert_int_equal(count(s, "SELECT count(*) FROM runs"), 20);
    assert_int_equal(count(s, "SELECT min(id) FROM runs"), 14);
    assert_int_equal(n.runs, 13);
    assert_int_equal(count(s, "SELECT count(*) FROM journal WHERE run_id = 31"), 1);
    assert_int_equal(count(s, "SELECT count(*) FROM journal"), 18);   /* 14..30 and 31 */
    assert_int_equal(n.journal, 13);
    /* Plans: the newest 20 (9..28), the open one among them, and the baseline 1. */
    assert_int_equal(count(s, "SELECT count(*) FROM plans"), 21);
    assert_int_equal(count(s, "SELECT count(*) FROM plans WHERE seq = 1"), 1);
    assert_int_equal(n.plans, 7);
    /* The audit trail is kept unless asked. */
    assert_int_equal(count(s, "SELECT count(*) FROM audit"), 2);

    r.audit_days = 365;
    assert_int_equal(hrs_retention_prune(s, &r, NOW, &n, &err), 0);
    assert_int_equal(n.audit, 1);
    assert_int_equal(count(s, "SELECT count(*) FROM audit"), 1);

    r.days = 0;
    r.audit_days = 0;
    plan(s, 29, "2020-01-01T00:00:00Z", "applied", 0);
    assert_int_equal(hrs_retention_prune(s, &r, NOW, &n, &err), 0);
    assert_int_equal(count(s, "SELECT count(*) FROM plans WHERE seq = 29"), 1);
    hrs_store_close(s);
}

static hrs_config *config_with(const char *retention, hrs_err *err)
{
    char cfg[400], text[600];
    snprintf(cfg, sizeof cfg, "%s/config.lua", dir);
    snprintf(text, sizeof text,
             "return {\n  source = { type = 'csv', path = 'people.csv' },\n  policy = 'policy.lua',\n"
             "  retention = %s,\n  directory = { tenant = 'example.com', client_id = 'abc', client_secret_env = "
             "'HRSYNC_TEST_SECRET' },\n}\n", retention);
    FILE *f = fopen(cfg, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return hrs_config_load(cfg, NULL, err);
}

static void config_errors_name_the_line(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_retention r;
    setenv("HRSYNC_TEST_SECRET", "not-a-real-secret", 1);
    hrs_config *c = config_with("{ days = 30, audit_days = false }", &err);
    if (!c) fprintf(stderr, "%s\n", err.msg);
    assert_non_null(c);
    assert_int_equal(hrs_retention_load(c, &r, &err), 0);
    assert_int_equal(r.days, 30);
    assert_int_equal(r.audit_days, 0);
    hrs_config_free(c);

    c = config_with("{ days = 0 }", &err);
    assert_non_null(c);
    assert_int_equal(hrs_retention_load(c, &r, &err), -1);
    assert_non_null(strstr(err.msg, "config.lua:4: retention.days must be a whole number of days"));
    hrs_config_free(c);

    hrs_err_clear(&err);
    c = config_with("{ dayz = 10 }", &err);
    assert_non_null(c);
    assert_int_equal(hrs_retention_load(c, &r, &err), -1);
    assert_non_null(strstr(err.msg, "did you mean 'days'"));
    hrs_config_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prunes_old_history_and_keeps_what_is_needed, setup, teardown),
        cmocka_unit_test_setup_teardown(config_errors_name_the_line, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
