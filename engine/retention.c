/* retention.c: pruning the history in the state file (see include/hrsync/retention.h). */
#include "hrsync/retention.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define KEEP_NEWEST "20"   /* plans and runs that stay whatever their age */

static const char *const keys[] = { "days", "audit_days", NULL };

/* A number of days (1 or more), or false for "keep". */
static int read_days(const hrs_config *c, const json_t *t, const char *key, int *out, hrs_err *err)
{
    const json_t *v = json_object_get(t, key);
    if (!v) return 0;
    if (json_is_false(v)) { *out = 0; return 0; }
    if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 100000) {
        *out = (int)json_integer_value(v);
        return 0;
    }
    return hrs_config_key_error(c, key, err, "retention.%s must be a whole number of days, 1 or more, or false to keep "
                                "everything", key);
}

int hrs_retention_load(const hrs_config *c, hrs_retention *r, hrs_err *err)
{
    r->days = 90;
    r->audit_days = 0;
    const json_t *t = json_object_get(c->root, "retention");
    if (!t) return 0;
    if (!json_is_object(t)) return hrs_err_set(err, "%s: retention must be a table, e.g. { days = 90 }", c->path);
    if (hrs_config_check_keys(c, t, keys, "retention.", err) != 0) return -1;
    if (read_days(c, t, "days", &r->days, err) != 0) return -1;
    return read_days(c, t, "audit_days", &r->audit_days, err);
}

static void cutoff_of(int64_t now, int days, char out[32])
{
    time_t t = (time_t)(now - (int64_t)days * 86400);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) snprintf(out, 32, "0000");
}

/* Runs sql with ?1 = cutoff; adds the rows it deleted to *n. */
static int run(sqlite3 *db, const char *sql, const char *cutoff, long *n)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -1;
    sqlite3_bind_text(st, 1, cutoff, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return -1;
    *n += sqlite3_changes(db);
    return 0;
}

/* Finished journal entries of old runs; then the old runs no journal entry still needs; then old
 * plans, but not open ones nor the one the shrink guardrail compares with (plan_store.c). */
static const char *const history_sql[] = {
    "DELETE FROM journal WHERE status IN ('done', 'failed') AND run_id IN (SELECT id FROM runs WHERE "
    "finished_at IS NOT NULL AND started_at < ?1 AND id NOT IN (SELECT id FROM runs ORDER BY id DESC LIMIT " KEEP_NEWEST "))",
    "DELETE FROM runs WHERE finished_at IS NOT NULL AND started_at < ?1 AND id NOT IN (SELECT id FROM runs ORDER BY id "
    "DESC LIMIT " KEEP_NEWEST ") AND NOT EXISTS (SELECT 1 FROM journal WHERE journal.run_id = runs.id)",
    "DELETE FROM plans WHERE created_at < ?1 AND status NOT IN ('planned', 'stopped', 'applying') AND seq NOT IN "
    "(SELECT seq FROM plans ORDER BY seq DESC LIMIT " KEEP_NEWEST ") AND seq IS NOT (SELECT seq FROM plans WHERE "
    "full_read = 1 AND status IN ('applied', 'nothing-to-do') ORDER BY seq DESC LIMIT 1)",
};

int hrs_retention_prune(hrs_store *s, const hrs_retention *r, int64_t now, hrs_retention_counts *out, hrs_err *err)
{
    hrs_retention_counts n;
    memset(&n, 0, sizeof n);
    if (out) *out = n;
    if (!r->days && !r->audit_days) return 0;
    sqlite3 *db = hrs_store_db(s);
    char cutoff[32], audit_cutoff[32];
    cutoff_of(now, r->days, cutoff);
    cutoff_of(now, r->audit_days, audit_cutoff);
    if (hrs_store_begin(s, err) != 0) return -1;
    int rc = 0;
    if (r->days) {
        long *counts[] = { &n.journal, &n.runs, &n.plans };
        for (size_t i = 0; rc == 0 && i < sizeof history_sql / sizeof *history_sql; i++)
            rc = run(db, history_sql[i], cutoff, counts[i]);
    }
    if (rc == 0 && r->audit_days) rc = run(db, "DELETE FROM audit WHERE at < ?1", audit_cutoff, &n.audit);
    if (rc != 0) {
        hrs_err_set(err, "state file %s: pruning the history: %s", hrs_store_path(s), sqlite3_errmsg(db));
        hrs_store_rollback(s);
        return -1;
    }
    if (hrs_store_commit(s, err) != 0) return -1;
    if (out) *out = n;
    return 0;
}
