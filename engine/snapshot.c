/* snapshot.c: the persons of the last cycle and the policy that decided them, in the state file
 * (see include/hrsync/snapshot.h; the tables come from a migration in store.c).
 *
 * Each save bumps a generation number: every person read gets it (a changed record is also
 * rewritten, an unchanged one keeps its text), and after a full read the rows of an older
 * generation belong to persons who are gone, and are deleted. */
#include "hrsync/snapshot.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

static int db_fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

static void timestamp(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) snprintf(out, 32, "unknown");
}

static int digest_cb(const char *buf, size_t n, void *data)
{
    return EVP_DigestUpdate(data, buf, n) == 1 ? 0 : -1;
}

int hrs_snapshot_hash(const json_t *v, char out[65], hrs_err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
             json_dump_callback(v ? v : json_null(), digest_cb, ctx, DUMP_FLAGS) == 0 &&
             EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32;
    EVP_MD_CTX_free(ctx);
    if (!ok) return hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed)");
    for (unsigned i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

static int hash_text(const char *text, char out[65], hrs_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_Digest(text, strlen(text), md, &len, EVP_sha256(), NULL) != 1 || len != 32)
        return hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed)");
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[64] = '\0';
    return 0;
}

static int next_generation(hrs_store *s, long long *gen, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT coalesce(max(generation), 0) + 1 FROM person_snapshots", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(s, err, "reading person snapshots");
    int rc = sqlite3_step(st);
    *gen = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s, err, "reading person snapshots");
}

/* Upserts every person with a string id under generation gen. */
static int save_people(hrs_store *s, const json_t *people, long long gen, const char *ts, hrs_err *err)
{
    sqlite3_stmt *st;
    /* SET expressions see the row as it was, so `hash` on the right is the old hash. */
    if (sqlite3_prepare_v2(hrs_store_db(s),
            "INSERT INTO person_snapshots (person_id, record, hash, generation, changed_at) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(person_id) DO UPDATE SET generation = excluded.generation, "
            "record = CASE WHEN hash = excluded.hash THEN record ELSE excluded.record END, "
            "changed_at = CASE WHEN hash = excluded.hash THEN changed_at ELSE excluded.changed_at END, "
            "hash = excluded.hash",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "saving person snapshots");
    size_t i;
    json_t *p;
    int rc = 0;
    json_array_foreach(people, i, p) {
        const char *id = json_string_value(json_object_get(p, "id"));
        if (!id) continue;
        char hash[65];
        char *text = json_dumps(p, DUMP_FLAGS);
        if (!text) { rc = hrs_err_set(err, "out of memory saving person snapshots"); break; }
        /* The hash of the canonical text just made (hrs_snapshot_hash would dump it again). */
        if (hash_text(text, hash, err) != 0) { free(text); rc = -1; break; }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, gen);
        sqlite3_bind_text(st, 5, ts, -1, SQLITE_TRANSIENT);
        free(text);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(s, err, "saving person snapshots"); break; }
    }
    sqlite3_finalize(st);
    return rc;
}

static int drop_older(hrs_store *s, long long gen, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s), "DELETE FROM person_snapshots WHERE generation <> ?1", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "dropping old person snapshots");
    sqlite3_bind_int64(st, 1, gen);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "dropping old person snapshots");
}

static int save_policy(hrs_store *s, const hrs_snapshot_policy *pol, const char *today, const char *ts, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s),
            "INSERT INTO policy_snapshot (id, path, version, text, today, taken_at) VALUES (1, ?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(id) DO UPDATE SET path = ?1, version = ?2, text = ?3, today = ?4, taken_at = ?5",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "saving the policy snapshot");
    sqlite3_bind_text(st, 1, pol->path ? pol->path : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, pol->version ? pol->version : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, pol->text ? pol->text : "", (int)pol->len, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, today ? today : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, ts, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "saving the policy snapshot");
}

int hrs_snapshot_save(hrs_store *s, const json_t *people, int full, const hrs_snapshot_policy *pol, const char *today,
                      hrs_err *err)
{
    char ts[32];
    long long gen;
    timestamp(ts);
    if (pol && pol->len > (size_t)0x7fffffff) return hrs_err_set(err, "policy %s is too large to record", pol->path);
    if (hrs_store_begin(s, err) != 0) return -1;
    if (next_generation(s, &gen, err) != 0 || save_people(s, people, gen, ts, err) != 0 ||
        (full && drop_older(s, gen, err) != 0) || (pol && save_policy(s, pol, today, ts, err) != 0) ||
        hrs_store_commit(s, err) != 0) {
        hrs_store_rollback(s);
        return -1;
    }
    return 0;
}

int hrs_snapshot_people(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT person_id, record FROM person_snapshots ORDER BY person_id", -1, &st,
                           NULL) != SQLITE_OK)
        return db_fail(s, err, "reading person snapshots");
    json_t *a = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const unsigned char *text = sqlite3_column_text(st, 1);
        json_error_t je;
        json_t *p = text ? json_loads((const char *)text, 0, &je) : NULL;
        if (!json_is_object(p)) {
            json_decref(p);
            continue;    /* cannot happen: every record was written from a JSON object */
        }
        json_array_append_new(a, p);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(a);
        return db_fail(s, err, "reading person snapshots");
    }
    *out = a;
    return 0;
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

int hrs_snapshot_policy_get(hrs_store *s, json_t **out, hrs_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT path, version, text, today, taken_at FROM policy_snapshot WHERE id = 1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading the policy snapshot");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = json_pack("{s:s, s:s, s:s%, s:s, s:s}", "path", col(st, 0), "version", col(st, 1), "text", col(st, 2),
                         (size_t)sqlite3_column_bytes(st, 2), "today", col(st, 3), "taken_at", col(st, 4));
        if (!*out) rc = SQLITE_NOMEM;
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_NOMEM) return hrs_err_set(err, "reading the policy snapshot: out of memory or not UTF-8 text");
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s, err, "reading the policy snapshot");
}
