/* store.c: SQLite state with numbered migrations (see include/hrsync/store.h). */
#include "hrsync/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hrs_store {
    sqlite3 *db;
    char *path;
    int version;
};

/* Migration N brings the schema from version N-1 to N. Never edit a released one: add a new one. */
static const char *const migrations[] = {
    /* 1: links, last applied values, runs */
    "CREATE TABLE links ("
    "  person_id TEXT PRIMARY KEY,"
    "  object_id TEXT NOT NULL UNIQUE,"
    "  upn TEXT,"
    "  linked_at TEXT NOT NULL);"
    "CREATE TABLE applied ("
    "  person_id TEXT NOT NULL,"
    "  attribute TEXT NOT NULL,"
    "  value TEXT NOT NULL," /* JSON text */
    "  written_at TEXT NOT NULL,"
    "  PRIMARY KEY (person_id, attribute));"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  mode TEXT NOT NULL,"
    "  today TEXT NOT NULL,"
    "  started_at TEXT NOT NULL,"
    "  finished_at TEXT,"
    "  status TEXT NOT NULL DEFAULT 'running',"
    "  summary TEXT);",
    /* 2: the lease that keeps one engine per state file, and the daemon's status values */
    "CREATE TABLE lease ("
    "  holder TEXT NOT NULL,"
    "  pid INT NOT NULL,"
    "  host TEXT NOT NULL,"
    "  expires_at TEXT NOT NULL);"
    "CREATE TABLE daemon_status ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);", /* JSON text */
    /* 3: stored plans (engine/plan_store.c) and the audit events (engine/audit.c) */
    "CREATE TABLE plans ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  id TEXT NOT NULL,"                 /* p-YYYYMMDD-<seq> */
    "  today TEXT NOT NULL,"
    "  created_at TEXT NOT NULL,"
    "  fingerprint TEXT NOT NULL,"
    "  fp_hr TEXT NOT NULL, fp_policy TEXT NOT NULL, fp_directory TEXT NOT NULL,"
    "  records INTEGER NOT NULL,"         /* records read from the source */
    "  full_read INTEGER NOT NULL,"
    "  operations INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  document TEXT NOT NULL,"           /* the plan, JSON */
    "  applied_at TEXT, run_id INTEGER, result TEXT, forced INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX plans_id ON plans (id);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  at TEXT NOT NULL,"                 /* UTC, when the answer came */
    "  today TEXT,"                       /* the cycle's date */
    "  run_id INTEGER, plan_id TEXT,"
    "  person_id TEXT, person_name TEXT, object_id TEXT, upn TEXT,"
    "  action TEXT NOT NULL, group_name TEXT,"
    "  changes TEXT,"                     /* JSON [{attribute, old, new}]; never a password */
    "  result TEXT NOT NULL,"             /* ok | failed */
    "  http_status INTEGER, error_code TEXT, error_message TEXT, request_id TEXT);"
    "CREATE INDEX audit_person ON audit (person_id, at);"
    "CREATE INDEX audit_at ON audit (at);",
    /* 4: the operation journal (engine/journal.c): every operation of an apply, written before
     * it is sent; body never holds a password */
    "CREATE TABLE journal ("
    "  run_id INTEGER NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  person_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"               /* create, update, rename, enable, disable, … */
    "  method TEXT NOT NULL,"
    "  url TEXT NOT NULL DEFAULT '',"     /* relative Graph URL, once the target is known */
    "  body TEXT,"                        /* JSON of the last request sent, without password */
    "  spec TEXT NOT NULL,"               /* JSON: what the operation is, to redo it */
    "  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending','sent','done','failed')),"
    "  result TEXT,"                      /* JSON {status, code, message, request_id, id} */
    "  updated_at TEXT NOT NULL,"
    "  PRIMARY KEY (run_id, seq));"
    "CREATE INDEX journal_open ON journal (status) WHERE status IN ('pending', 'sent');",
    /* 5: the persons of the last cycle and the policy that decided them (engine/snapshot.c),
     * for hot reloads and `hrsync check` */
    "CREATE TABLE person_snapshots ("
    "  person_id TEXT PRIMARY KEY,"
    "  record TEXT NOT NULL,"             /* the person record, JSON */
    "  hash TEXT NOT NULL,"               /* SHA-256 of its canonical text */
    "  generation INTEGER NOT NULL,"      /* the save that last wrote it */
    "  changed_at TEXT NOT NULL);"
    "CREATE TABLE policy_snapshot ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  path TEXT NOT NULL,"
    "  version TEXT NOT NULL,"            /* sha256:<hex> of the file */
    "  text TEXT NOT NULL,"               /* the policy file as loaded */
    "  today TEXT NOT NULL,"
    "  taken_at TEXT NOT NULL);",
    /* 6: named cursors (a Graph deltaLink, a source's updated_since; engine/store_cursor.c) and
     * the directory users a delta query keeps up to date (engine/directory/graph_users.c) */
    "CREATE TABLE cursors ("
    "  name TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE TABLE directory_users ("
    "  id TEXT PRIMARY KEY,"              /* the object id */
    "  data TEXT NOT NULL);",             /* the user as Graph returned it, JSON */
    /* 7: the policy's decisions of the last cycle, reused for a person whose record, policy code
     * and date are the same (engine/decide_cache.c) */
    "CREATE TABLE decision_cache ("
    "  person_id TEXT PRIMARY KEY,"
    "  key TEXT NOT NULL,"                /* SHA-256 of record hash, policy code, dates */
    "  decision TEXT NOT NULL);",         /* the decision: hrs_snapshot_encode bytes (a BLOB;
                                             older rows hold JSON text and read as misses) */
    /* 8: the last cycle that found nothing to do, so an incremental cycle whose inputs are the
     * same skips the policy and the plan (engine/settle.c). Any write to the links, the values
     * hrsync applied or the journal forgets it. */
    "CREATE TABLE settled ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  context TEXT NOT NULL,"            /* SHA-256: version, config, policy code, date */
    "  source TEXT NOT NULL,"             /* the source's version (a file's SHA-256) or a kind */
    "  groups TEXT NOT NULL,"             /* SHA-256 of the managed groups and their members */
    "  inputs TEXT NOT NULL,"             /* JSON {select, managers, groups: [names]} */
    "  plan TEXT NOT NULL,"               /* the plan with nothing to do, JSON */
    "  meta TEXT NOT NULL,"               /* JSON {records, fp: {all, hr, policy, directory}} */
    "  settled_at TEXT NOT NULL);"
    "CREATE TRIGGER settled_links_i AFTER INSERT ON links BEGIN DELETE FROM settled; END;"
    "CREATE TRIGGER settled_links_u AFTER UPDATE ON links BEGIN DELETE FROM settled; END;"
    "CREATE TRIGGER settled_links_d AFTER DELETE ON links BEGIN DELETE FROM settled; END;"
    "CREATE TRIGGER settled_applied_i AFTER INSERT ON applied BEGIN DELETE FROM settled; END;"
    "CREATE TRIGGER settled_applied_u AFTER UPDATE ON applied BEGIN DELETE FROM settled; END;"
    "CREATE TRIGGER settled_applied_d AFTER DELETE ON applied BEGIN DELETE FROM settled; END;"
    "CREATE TRIGGER settled_journal_i AFTER INSERT ON journal BEGIN DELETE FROM settled; END;",
};
#define N_MIGRATIONS ((int)(sizeof migrations / sizeof migrations[0]))

static int db_fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

static void timestamp(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int exec(hrs_store *s, const char *sql, hrs_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        hrs_err_set(err, "state file %s: %s", s->path, msg ? msg : sqlite3_errmsg(s->db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int migrate(hrs_store *s, hrs_err *err)
{
    if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);", err) != 0) return -1;
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM schema_version", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading the schema version");
    int v = 0;
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    if (v > N_MIGRATIONS)
        return hrs_err_set(err, "state file %s has schema version %d, newer than this hrsync knows (%d)", s->path, v, N_MIGRATIONS);
    for (; v < N_MIGRATIONS; v++) {
        char sql[96];
        if (exec(s, "BEGIN IMMEDIATE", err) != 0) return -1;
        snprintf(sql, sizeof sql, "INSERT INTO schema_version (version) VALUES (%d)", v + 1);
        if (exec(s, migrations[v], err) != 0 || exec(s, sql, err) != 0) {
            sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
            return hrs_err_prefix(err, "migration %d", v + 1);
        }
        if (exec(s, "COMMIT", err) != 0) return -1;
    }
    s->version = v;
    return 0;
}

hrs_store *hrs_store_open(const char *path, hrs_err *err)
{
    hrs_store *s = calloc(1, sizeof *s);
    if (!s || !(s->path = strdup(path))) { free(s); hrs_err_set(err, "out of memory"); return NULL; }
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        hrs_err_set(err, "cannot open state file %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
        hrs_store_close(s);
        return NULL;
    }
    sqlite3_busy_timeout(s->db, 5000);
    if (exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", err) != 0 ||
        migrate(s, err) != 0) {
        hrs_store_close(s);
        return NULL;
    }
    return s;
}

void hrs_store_close(hrs_store *s)
{
    if (!s) return;
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

int hrs_store_schema_version(hrs_store *s) { return s->version; }

struct sqlite3 *hrs_store_db(hrs_store *s) { return s->db; }
const char *hrs_store_path(const hrs_store *s) { return s->path; }

int hrs_store_begin(hrs_store *s, hrs_err *err) { return exec(s, "BEGIN IMMEDIATE", err); }
int hrs_store_commit(hrs_store *s, hrs_err *err) { return exec(s, "COMMIT", err); }
void hrs_store_rollback(hrs_store *s) { sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL); }

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int hrs_store_links(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT person_id, object_id, upn FROM links", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading links");
    json_t *o = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        json_object_set_new(o, col(st, 0), json_pack("{s:s, s:s}", "object_id", col(st, 1), "upn", col(st, 2)));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(o); return db_fail(s, err, "reading links"); }
    *out = o;
    return 0;
}

int hrs_store_link_put(hrs_store *s, const char *person_id, const char *object_id, const char *upn, hrs_err *err)
{
    sqlite3_stmt *st;
    char ts[32];
    timestamp(ts);
    /* An object linked to another person is re-pointed: the directory object id is unique. */
    if (sqlite3_prepare_v2(s->db,
            "INSERT INTO links (person_id, object_id, upn, linked_at) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(person_id) DO UPDATE SET object_id = ?2, upn = ?3, linked_at = ?4",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "saving a link");
    sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, object_id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, upn ? upn : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, ts, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(s, err, "saving a link");
    return 0;
}

int hrs_store_applied(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT person_id, attribute, value FROM applied", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading applied values");
    json_t *o = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *p = json_object_get(o, col(st, 0));
        if (!p) { p = json_object(); json_object_set_new(o, col(st, 0), p); }
        json_t *v = json_loads(col(st, 2), JSON_DECODE_ANY, NULL);
        json_object_set_new(p, col(st, 1), v ? v : json_null());
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(o); return db_fail(s, err, "reading applied values"); }
    *out = o;
    return 0;
}

int hrs_store_applied_put(hrs_store *s, const char *person_id, const json_t *attrs, hrs_err *err)
{
    sqlite3_stmt *st;
    char ts[32];
    timestamp(ts);
    if (sqlite3_prepare_v2(s->db,
            "INSERT INTO applied (person_id, attribute, value, written_at) VALUES (?1, ?2, ?3, ?4) "
            "ON CONFLICT(person_id, attribute) DO UPDATE SET value = ?3, written_at = ?4",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "saving applied values");
    const char *k;
    json_t *v;
    int rc = 0;
    json_object_foreach((json_t *)attrs, k, v) {
        char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        if (!text) { rc = hrs_err_set(err, "out of memory"); break; }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, person_id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, k, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 4, ts, -1, SQLITE_TRANSIENT);
        free(text);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(s, err, "saving applied values"); break; }
    }
    sqlite3_finalize(st);
    return rc;
}

int hrs_store_run_begin(hrs_store *s, const char *mode, const char *today, int64_t *run_id, hrs_err *err)
{
    sqlite3_stmt *st;
    char ts[32];
    timestamp(ts);
    if (sqlite3_prepare_v2(s->db, "INSERT INTO runs (mode, today, started_at) VALUES (?1, ?2, ?3)", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "starting a run");
    sqlite3_bind_text(st, 1, mode, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, today, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, ts, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(s, err, "starting a run");
    *run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int hrs_store_run_end(hrs_store *s, int64_t run_id, const char *status, const json_t *summary, hrs_err *err)
{
    sqlite3_stmt *st;
    char ts[32];
    timestamp(ts);
    char *text = summary ? json_dumps(summary, JSON_COMPACT) : NULL;
    if (sqlite3_prepare_v2(s->db, "UPDATE runs SET finished_at = ?1, status = ?2, summary = ?3 WHERE id = ?4", -1, &st, NULL) != SQLITE_OK) {
        free(text);
        return db_fail(s, err, "ending a run");
    }
    sqlite3_bind_text(st, 1, ts, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, status, -1, SQLITE_TRANSIENT);
    if (text) sqlite3_bind_text(st, 3, text, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(st, 3);
    sqlite3_bind_int64(st, 4, run_id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(text);
    if (rc != SQLITE_DONE) return db_fail(s, err, "ending a run");
    return 0;
}

int hrs_store_runs(hrs_store *s, int n, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT id, mode, today, started_at, finished_at, status, summary FROM runs "
                                  "ORDER BY id DESC LIMIT ?1", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading runs");
    sqlite3_bind_int(st, 1, n);
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        json_t *sum = json_loads(col(st, 6), 0, NULL);
        json_array_append_new(a, json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)sqlite3_column_int64(st, 0),
                                           "mode", col(st, 1), "today", col(st, 2), "started_at", col(st, 3),
                                           "finished_at", col(st, 4), "status", col(st, 5), "summary", sum ? sum : json_null()));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(a); return db_fail(s, err, "reading runs"); }
    *out = a;
    return 0;
}
