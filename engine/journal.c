/* journal.c: the operation journal in the state file (see include/hrsync/journal.h). */
#include "hrsync/journal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct hrs_journal {
    hrs_store *store;
    sqlite3 *db;           /* the store's (borrowed) */
    long crash_after;      /* HRSYNC_CRASH_AFTER, 0 = off */
    long boundaries;       /* counted so far in this process */
};

static int db_fail(hrs_journal *j, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: journal: %s: %s", hrs_store_path(j->store), what, sqlite3_errmsg(j->db));
}

static void timestamp(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

hrs_journal *hrs_journal_open(hrs_store *store, hrs_err *err)
{
    hrs_journal *j = calloc(1, sizeof *j);
    if (!j) { hrs_err_set(err, "out of memory"); return NULL; }
    j->store = store;
    j->db = hrs_store_db(store);
    const char *c = getenv("HRSYNC_CRASH_AFTER");
    if (c && *c) {
        char *end;
        long v = strtol(c, &end, 10);
        if (!*end && v > 0) j->crash_after = v;
    }
    return j;
}

void hrs_journal_close(hrs_journal *j) { free(j); }

void hrs_journal_boundary(hrs_journal *j)
{
    j->boundaries++;
    if (j->crash_after && j->boundaries == j->crash_after) _exit(137);
}

json_t *hrs_journal_redact(const json_t *body)
{
    if (!body) return NULL;
    json_t *c = json_deep_copy(body);
    json_t *pp = json_object_get(c, "passwordProfile");
    if (json_is_object(pp)) json_object_del(pp, "password");
    return c;
}

/* JSON text of v (caller frees), or NULL for NULL. */
static char *text_of(const json_t *v)
{
    return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
}

int hrs_journal_add(hrs_journal *j, int64_t run_id, const json_t *specs, hrs_err *err)
{
    if (json_array_size(specs) == 0) return 0;
    if (hrs_store_begin(j->store, err) != 0) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db,
            "INSERT INTO journal (run_id, seq, person_id, kind, method, spec, status, updated_at) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'pending', ?7)", -1, &st, NULL) != SQLITE_OK) {
        db_fail(j, err, "writing the operations");
        hrs_store_rollback(j->store);
        return -1;
    }
    char ts[32];
    timestamp(ts);
    size_t i;
    json_t *s;
    int rc = 0;
    json_array_foreach(specs, i, s) {
        char *spec = text_of(s);
        if (!spec) { rc = hrs_err_set(err, "out of memory"); break; }
        const char *person = json_string_value(json_object_get(s, "person"));
        const char *kind = json_string_value(json_object_get(s, "kind"));
        const char *method = json_string_value(json_object_get(s, "method"));
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i + 1);
        sqlite3_bind_text(st, 3, person ? person : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, kind ? kind : "?", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 5, method ? method : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 6, spec, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 7, ts, -1, SQLITE_TRANSIENT);
        free(spec);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(j, err, "writing the operations"); break; }
    }
    sqlite3_finalize(st);
    if (rc != 0) { hrs_store_rollback(j->store); return -1; }
    if (hrs_store_commit(j->store, err) != 0) return -1;
    hrs_journal_boundary(j);
    return 0;
}

int hrs_journal_set(hrs_journal *j, int64_t run_id, int seq, const char *status, const char *url,
                    const json_t *body, const json_t *spec, const json_t *result, hrs_err *err)
{
    json_t *clean = hrs_journal_redact(body);
    char *b = text_of(clean), *sp = text_of(spec), *r = text_of(result);
    json_decref(clean);
    sqlite3_stmt *st;
    int rc = 0;
    if (sqlite3_prepare_v2(j->db,
            "UPDATE journal SET status = ?1, url = coalesce(?2, url), body = coalesce(?3, body), "
            "spec = coalesce(?4, spec), result = coalesce(?5, result), updated_at = ?6 "
            "WHERE run_id = ?7 AND seq = ?8", -1, &st, NULL) != SQLITE_OK) {
        rc = db_fail(j, err, "updating an operation");
    } else {
        char ts[32];
        timestamp(ts);
        sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
        if (url) sqlite3_bind_text(st, 2, url, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(st, 2);
        if (b) sqlite3_bind_text(st, 3, b, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(st, 3);
        if (sp) sqlite3_bind_text(st, 4, sp, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(st, 4);
        if (r) sqlite3_bind_text(st, 5, r, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(st, 5);
        sqlite3_bind_text(st, 6, ts, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 7, run_id);
        sqlite3_bind_int(st, 8, seq);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(j, err, "updating an operation");
        else if (sqlite3_changes(j->db) != 1)
            rc = hrs_err_set(err, "state file %s: journal: operation %lld/%d is not there", hrs_store_path(j->store),
                             (long long)run_id, seq);
        sqlite3_finalize(st);
    }
    free(b);
    free(sp);
    free(r);
    return rc;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static json_t *json_col(sqlite3_stmt *st, int i)
{
    const char *t = col(st, i);
    json_t *v = t ? json_loads(t, JSON_DECODE_ANY, NULL) : NULL;
    return v ? v : json_null();
}

int hrs_journal_unfinished(hrs_journal *j, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db,
            "SELECT run_id, seq, person_id, kind, status, spec FROM journal "
            "WHERE status IN ('pending', 'sent') ORDER BY run_id, seq", -1, &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "reading unfinished operations");
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(a, json_pack("{s:I, s:i, s:s, s:s, s:s, s:o}", "run_id", (json_int_t)sqlite3_column_int64(st, 0),
                                           "seq", sqlite3_column_int(st, 1), "person", col(st, 2), "kind", col(st, 3),
                                           "status", col(st, 4), "spec", json_col(st, 5)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(a); return db_fail(j, err, "reading unfinished operations"); }
    *out = a;
    return 0;
}

int hrs_journal_list(hrs_journal *j, int64_t run_id, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(j->db,
            "SELECT run_id, seq, person_id, kind, method, url, body, status, result FROM journal "
            "WHERE ?1 = 0 OR run_id = ?1 ORDER BY run_id, seq", -1, &st, NULL) != SQLITE_OK)
        return db_fail(j, err, "reading the journal");
    sqlite3_bind_int64(st, 1, run_id);
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_array_append_new(a, json_pack("{s:I, s:i, s:s, s:s, s:s, s:s, s:o, s:s, s:o}", "run_id",
                                           (json_int_t)sqlite3_column_int64(st, 0), "seq", sqlite3_column_int(st, 1),
                                           "person", col(st, 2), "kind", col(st, 3), "method", col(st, 4),
                                           "url", col(st, 5) ? col(st, 5) : "", "body", json_col(st, 6),
                                           "status", col(st, 7), "result", json_col(st, 8)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(a); return db_fail(j, err, "reading the journal"); }
    *out = a;
    return 0;
}
