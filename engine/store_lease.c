/* store_lease.c: the state file's lease (one engine per state file) and the daemon's status
 * values, kept in the store's SQLite database (see include/hrsync/store.h, migration 2). */
#include "hrsync/store.h"

#include <errno.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

static void utc_after(long seconds, char out[32])
{
    time_t t = time(NULL) + seconds;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void this_host(char out[256])
{
    if (gethostname(out, 256) != 0) snprintf(out, 256, "%s", "unknown");
    out[255] = '\0';
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

/* A process of this host that is gone: its lease can be taken over at once. */
static int gone(const char *host, long pid)
{
    char me[256];
    this_host(me);
    return strcmp(host, me) == 0 && pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH;
}

static int exec_sql(hrs_store *s, const char *sql, hrs_err *err)
{
    if (sqlite3_exec(hrs_store_db(s), sql, NULL, NULL, NULL) != SQLITE_OK) return fail(s, err, sql);
    return 0;
}

int hrs_store_lease_acquire(hrs_store *s, const char *holder, long ttl_s, hrs_err *err)
{
    sqlite3 *db = hrs_store_db(s);
    sqlite3_stmt *st = NULL;
    char now[32], until[32], host[256];
    utc_after(0, now);
    utc_after(ttl_s, until);
    this_host(host);
    if (exec_sql(s, "BEGIN IMMEDIATE", err) != 0) return -1;
    if (sqlite3_prepare_v2(db, "SELECT holder, pid, host, expires_at FROM lease", -1, &st, NULL) != SQLITE_OK) {
        fail(s, err, "reading the lease");
        goto rollback;
    }
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *h = col(st, 0), *on = col(st, 2), *exp = col(st, 3);
        long pid = (long)sqlite3_column_int64(st, 1);
        if (strcmp(h, holder) == 0 || strcmp(exp, now) <= 0 || gone(on, pid)) continue;
        hrs_err_set(err, "state file %s is held by pid %ld on host %s until %s (%s); one engine runs per state file",
                    hrs_store_path(s), pid, on, exp, h);
        goto rollback;
    }
    if (rc != SQLITE_DONE) { fail(s, err, "reading the lease"); goto rollback; }
    sqlite3_finalize(st);
    st = NULL;
    if (exec_sql(s, "DELETE FROM lease", err) != 0) goto rollback;
    if (sqlite3_prepare_v2(db, "INSERT INTO lease (holder, pid, host, expires_at) VALUES (?1, ?2, ?3, ?4)", -1, &st,
                           NULL) != SQLITE_OK) {
        fail(s, err, "taking the lease");
        goto rollback;
    }
    sqlite3_bind_text(st, 1, holder, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)getpid());
    sqlite3_bind_text(st, 3, host, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, until, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) { fail(s, err, "taking the lease"); goto rollback; }
    sqlite3_finalize(st);
    return exec_sql(s, "COMMIT", err);
rollback:
    sqlite3_finalize(st);
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

int hrs_store_lease_renew(hrs_store *s, const char *holder, long ttl_s, hrs_err *err)
{
    sqlite3_stmt *st;
    char until[32];
    utc_after(ttl_s, until);
    if (sqlite3_prepare_v2(hrs_store_db(s), "UPDATE lease SET expires_at = ?1 WHERE holder = ?2", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "renewing the lease");
    sqlite3_bind_text(st, 1, until, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, holder, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return fail(s, err, "renewing the lease");
    if (sqlite3_changes(hrs_store_db(s)) == 0)
        return hrs_err_set(err, "state file %s: the lease of %s was taken over by another engine", hrs_store_path(s), holder);
    return 0;
}

int hrs_store_lease_release(hrs_store *s, const char *holder, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s), "DELETE FROM lease WHERE holder = ?1", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "releasing the lease");
    sqlite3_bind_text(st, 1, holder, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, err, "releasing the lease");
}

int hrs_store_lease_get(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    char now[32];
    utc_after(0, now);
    *out = NULL;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT holder, pid, host, expires_at FROM lease", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "reading the lease");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *out = json_pack("{s:s, s:I, s:s, s:s, s:b}", "holder", col(st, 0), "pid", (json_int_t)sqlite3_column_int64(st, 1),
                         "host", col(st, 2), "expires_at", col(st, 3),
                         "expired", strcmp(col(st, 3), now) <= 0 || gone(col(st, 2), (long)sqlite3_column_int64(st, 1)));
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(s, err, "reading the lease");
    return 0;
}

int hrs_store_status_put(hrs_store *s, const char *key, const json_t *value, hrs_err *err)
{
    sqlite3_stmt *st;
    char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT);
    if (!text) return hrs_err_set(err, "out of memory");
    if (sqlite3_prepare_v2(hrs_store_db(s),
                           "INSERT INTO daemon_status (key, value) VALUES (?1, ?2) "
                           "ON CONFLICT(key) DO UPDATE SET value = ?2", -1, &st, NULL) != SQLITE_OK) {
        free(text);
        return fail(s, err, "saving the status");
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(text);
    return rc == SQLITE_DONE ? 0 : fail(s, err, "saving the status");
}

int hrs_store_status_all(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT key, value FROM daemon_status", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "reading the status");
    json_t *o = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *v = json_loads(col(st, 1), JSON_DECODE_ANY, NULL);
        json_object_set_new(o, col(st, 0), v ? v : json_null());
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(o); return fail(s, err, "reading the status"); }
    *out = o;
    return 0;
}
