/* decide_cache.c: the decisions of the last cycle, reused when nothing they follow from changed
 * (see include/hrsync/decide_cache.h; the table comes from a migration in store.c).
 *
 * Reads are point lookups by person id (no whole-company tree is loaded); writes wait in a list
 * until hrs_decide_cache_finish, which writes only the rows that changed, in one transaction. */
#include "hrsync/decide_cache.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

struct hrs_decide_cache {
    hrs_store *store;
    sqlite3_stmt *get;
    EVP_MD_CTX *prefix;    /* fed with the policy's code and the company's date */
    EVP_MD_CTX *work;
    json_t *pending;       /* [[id, key, decision text], …] */
    size_t hits, misses;
    int forget;            /* empty the table, write nothing */
};

static int db_fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

hrs_decide_cache *hrs_decide_cache_open(hrs_store *s, const char *code, const char *today, hrs_err *err)
{
    hrs_decide_cache *c = calloc(1, sizeof *c);
    if (!c) { hrs_err_set(err, "out of memory"); return NULL; }
    c->store = s;
    c->pending = json_array();
    c->prefix = EVP_MD_CTX_new();
    c->work = EVP_MD_CTX_new();
    if (!c->pending || !c->prefix || !c->work || EVP_DigestInit_ex(c->prefix, EVP_sha256(), NULL) != 1 ||
        EVP_DigestUpdate(c->prefix, code, strlen(code) + 1) != 1 ||
        EVP_DigestUpdate(c->prefix, today, strlen(today) + 1) != 1) {
        hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed)");
        hrs_decide_cache_free(c);
        return NULL;
    }
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT key, decision FROM decision_cache WHERE person_id = ?1", -1, &c->get,
                           NULL) != SQLITE_OK) {
        db_fail(s, err, "reading the decision cache");
        hrs_decide_cache_free(c);
        return NULL;
    }
    return c;
}

static int feed_cb(const char *buf, size_t n, void *data)
{
    return EVP_DigestUpdate(data, buf, n) == 1 ? 0 : -1;
}

int hrs_decide_cache_key(const hrs_decide_cache *c, const json_t *p, const char *today, const char *leave, char key[65],
                         hrs_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = EVP_MD_CTX_copy_ex(c->work, c->prefix) == 1 && json_dump_callback(p, feed_cb, c->work, DUMP_FLAGS) == 0 &&
             EVP_DigestUpdate(c->work, "", 1) == 1 && EVP_DigestUpdate(c->work, today, strlen(today) + 1) == 1 &&
             EVP_DigestUpdate(c->work, leave, strlen(leave) + 1) == 1 && EVP_DigestFinal_ex(c->work, md, &len) == 1 &&
             len == 32;
    if (!ok) return hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed)");
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < len; i++) {
        key[2 * i] = hex[md[i] >> 4];
        key[2 * i + 1] = hex[md[i] & 15];
    }
    key[64] = '\0';
    return 0;
}

json_t *hrs_decide_cache_get(hrs_decide_cache *c, const char *id, const char *key)
{
    json_t *d = NULL;
    sqlite3_reset(c->get);
    sqlite3_bind_text(c->get, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(c->get) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(c->get, 0);
        const char *text = (const char *)sqlite3_column_text(c->get, 1);
        if (k && text && strcmp(k, key) == 0) {
            d = json_loadb(text, (size_t)sqlite3_column_bytes(c->get, 1), 0, NULL);
            if (!json_is_object(d)) {
                json_decref(d);
                d = NULL;
            }
        }
    }
    sqlite3_reset(c->get);
    sqlite3_clear_bindings(c->get);
    if (d) c->hits++;
    else c->misses++;
    return d;
}

void hrs_decide_cache_put(hrs_decide_cache *c, const char *id, const char *key, const json_t *d)
{
    char *text = json_dumps(d, JSON_COMPACT);
    if (!text) return;   /* out of memory: the person is decided again next cycle */
    json_array_append_new(c->pending, json_pack("[s, s, s]", id, key, text));
    free(text);
}

/* Deletes the rows of persons not in decided. */
static int drop_gone(hrs_decide_cache *c, const json_t *decided, hrs_err *err)
{
    sqlite3 *db = hrs_store_db(c->store);
    sqlite3_stmt *ids, *del;
    if (sqlite3_prepare_v2(db, "SELECT person_id FROM decision_cache", -1, &ids, NULL) != SQLITE_OK)
        return db_fail(c->store, err, "reading the decision cache");
    if (sqlite3_prepare_v2(db, "DELETE FROM decision_cache WHERE person_id = ?1", -1, &del, NULL) != SQLITE_OK) {
        sqlite3_finalize(ids);
        return db_fail(c->store, err, "updating the decision cache");
    }
    json_t *gone = json_array();
    int rc;
    while ((rc = sqlite3_step(ids)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(ids, 0);
        if (id && !json_object_get(decided, id)) json_array_append_new(gone, json_string(id));
    }
    rc = rc == SQLITE_DONE ? 0 : db_fail(c->store, err, "reading the decision cache");
    size_t i;
    json_t *v;
    json_array_foreach(gone, i, v) {
        if (rc != 0) break;
        sqlite3_reset(del);
        sqlite3_bind_text(del, 1, json_string_value(v), -1, SQLITE_STATIC);
        if (sqlite3_step(del) != SQLITE_DONE) rc = db_fail(c->store, err, "updating the decision cache");
    }
    json_decref(gone);
    sqlite3_finalize(ids);
    sqlite3_finalize(del);
    return rc;
}

void hrs_decide_cache_forget(hrs_decide_cache *c)
{
    c->forget = 1;
    json_array_clear(c->pending);
}

int hrs_decide_cache_finish(hrs_decide_cache *c, const json_t *decided, int full, hrs_err *err)
{
    if (c->forget) {
        char *msg = NULL;
        if (sqlite3_exec(hrs_store_db(c->store), "DELETE FROM decision_cache", NULL, NULL, &msg) == SQLITE_OK) return 0;
        hrs_err_set(err, "state file %s: emptying the decision cache: %s", hrs_store_path(c->store), msg ? msg : "");
        sqlite3_free(msg);
        return -1;
    }
    if (!json_array_size(c->pending) && !full) return 0;
    sqlite3 *db = hrs_store_db(c->store);
    sqlite3_stmt *put;
    if (hrs_store_begin(c->store, err) != 0) return -1;
    if (sqlite3_prepare_v2(db,
            "INSERT INTO decision_cache (person_id, key, decision) VALUES (?1, ?2, ?3) "
            "ON CONFLICT(person_id) DO UPDATE SET key = excluded.key, decision = excluded.decision",
            -1, &put, NULL) != SQLITE_OK) {
        hrs_store_rollback(c->store);
        return db_fail(c->store, err, "updating the decision cache");
    }
    int rc = 0;
    size_t i;
    json_t *row;
    json_array_foreach(c->pending, i, row) {
        sqlite3_reset(put);
        for (int k = 0; k < 3; k++)
            sqlite3_bind_text(put, k + 1, json_string_value(json_array_get(row, (size_t)k)), -1, SQLITE_STATIC);
        if (sqlite3_step(put) != SQLITE_DONE) { rc = db_fail(c->store, err, "updating the decision cache"); break; }
    }
    sqlite3_finalize(put);
    if (rc == 0 && full) rc = drop_gone(c, decided, err);
    if (rc == 0 && hrs_store_commit(c->store, err) != 0) rc = -1;
    if (rc != 0) hrs_store_rollback(c->store);
    json_array_clear(c->pending);
    return rc;
}

void hrs_decide_cache_counts(const hrs_decide_cache *c, size_t *hits, size_t *misses)
{
    if (hits) *hits = c ? c->hits : 0;
    if (misses) *misses = c ? c->misses : 0;
}

void hrs_decide_cache_free(hrs_decide_cache *c)
{
    if (!c) return;
    sqlite3_finalize(c->get);
    EVP_MD_CTX_free(c->prefix);
    EVP_MD_CTX_free(c->work);
    json_decref(c->pending);
    free(c);
}
