/* store_cursor.c: named cursors (a Graph deltaLink, a source's updated_since) and the cache of
 * directory users that delta queries keep up to date, in the store's SQLite database (see
 * include/hrsync/store.h, migration 6). */
#include "hrsync/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

static void utc_at(long offset_s, char out[32])
{
    time_t t = time(NULL) + offset_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int hrs_store_cursor_get(hrs_store *s, const char *name, char **value, hrs_err *err)
{
    sqlite3_stmt *st;
    *value = NULL;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT value FROM cursors WHERE name = ?1", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "reading a cursor");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 0);
        *value = strdup(t ? (const char *)t : "");
        if (!*value) { sqlite3_finalize(st); return hrs_err_set(err, "out of memory"); }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return fail(s, err, "reading a cursor");
    return 0;
}

int hrs_store_cursor_put(hrs_store *s, const char *name, const char *value, hrs_err *err)
{
    sqlite3_stmt *st;
    char ts[32];
    utc_at(0, ts);
    const char *sql = value ? "INSERT INTO cursors (name, value, updated_at) VALUES (?1, ?2, ?3) "
                              "ON CONFLICT(name) DO UPDATE SET value = ?2, updated_at = ?3"
                            : "DELETE FROM cursors WHERE name = ?1";
    if (sqlite3_prepare_v2(hrs_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) return fail(s, err, "saving a cursor");
    sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
    if (value) {
        sqlite3_bind_text(st, 2, value, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, ts, -1, SQLITE_TRANSIENT);
    }
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : fail(s, err, "saving a cursor");
}

int hrs_store_dir_users(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT id, data FROM directory_users", -1, &st, NULL) != SQLITE_OK)
        return fail(s, err, "reading the directory cache");
    json_t *o = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *id = sqlite3_column_text(st, 0), *data = sqlite3_column_text(st, 1);
        json_t *u = data ? json_loads((const char *)data, 0, NULL) : NULL;
        if (id && json_is_object(u)) json_object_set_new(o, (const char *)id, u);
        else json_decref(u);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(o); return fail(s, err, "reading the directory cache"); }
    *out = o;
    return 0;
}

int hrs_store_dir_user_put(hrs_store *s, const char *id, const json_t *user, hrs_err *err)
{
    sqlite3_stmt *st;
    const char *sql = user ? "INSERT INTO directory_users (id, data) VALUES (?1, ?2) "
                             "ON CONFLICT(id) DO UPDATE SET data = ?2"
                           : "DELETE FROM directory_users WHERE id = ?1";
    char *text = user ? json_dumps(user, JSON_COMPACT) : NULL;
    if (user && !text) return hrs_err_set(err, "out of memory");
    if (sqlite3_prepare_v2(hrs_store_db(s), sql, -1, &st, NULL) != SQLITE_OK) {
        free(text);
        return fail(s, err, "saving the directory cache");
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    if (text) sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(text);
    return rc == SQLITE_DONE ? 0 : fail(s, err, "saving the directory cache");
}

int hrs_store_dir_users_clear(hrs_store *s, hrs_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(hrs_store_db(s), "DELETE FROM directory_users", NULL, NULL, &msg) != SQLITE_OK) {
        hrs_err_set(err, "state file %s: emptying the directory cache: %s", hrs_store_path(s),
                    msg ? msg : sqlite3_errmsg(hrs_store_db(s)));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

int hrs_store_links_recent(hrs_store *s, long max_age_s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    char since[32];
    utc_at(-max_age_s, since);
    /* linked_at is written as YYYY-MM-DDThh:mm:ssZ, so text order is time order. */
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT person_id, object_id FROM links WHERE linked_at >= ?1", -1, &st,
                           NULL) != SQLITE_OK)
        return fail(s, err, "reading links");
    sqlite3_bind_text(st, 1, since, -1, SQLITE_TRANSIENT);
    json_t *o = json_object();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_text(st, 0), *id = sqlite3_column_text(st, 1);
        if (p && id) json_object_set_new(o, (const char *)p, json_string((const char *)id));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) { json_decref(o); return fail(s, err, "reading links"); }
    *out = o;
    return 0;
}
