/* decide_cache.c: the decisions of the last cycle, reused when nothing they follow from changed
 * (see include/hrsync/decide_cache.h; the table comes from a migration in store.c).
 *
 * A key is the SHA-256 of the canonical encoding of the person's record (snapshot.h) after a
 * prefix of the policy's code and the company's date; a decision is stored in the encoding
 * hrs_snapshot_encode writes, read back without parsing JSON text (a row an older version wrote
 * as JSON reads as no decision, and is replaced). A cycle that asks for many persons reads the
 * table in one pass instead of looking each up, keeping the bytes of the decisions found; each is
 * decoded when it is taken, in the people's order, so that the caller reads it while it is fresh
 * in the processor's cache. Decisions are decoded with a table of shared values
 * (hrs_snapshot_share): the strings most people have in common (company, country, department,
 * reason, group names) and equal group lists are held once for the whole cycle, not once a person.
 * Writes wait in a list until hrs_decide_cache_finish, which writes only the rows that changed,
 * in one transaction. */
#include "hrsync/decide_cache.h"
#include "hrsync/snapshot.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A decision made this cycle, waiting for hrs_decide_cache_finish. */
typedef struct kept {
    char *id;              /* owned */
    char key[65];
    unsigned char *data;   /* owned: hrs_snapshot_encode's bytes */
    size_t len;
} kept;

/* What hrs_decide_cache_fetch found for one person. */
typedef struct found {
    const unsigned char *data;   /* the decision's bytes, in a block of the cache; NULL: none */
    size_t len;
    int asked;
} found;

/* The blocks holding the bytes of the decisions found, newest first. */
typedef struct block {
    struct block *next;
    size_t used, cap;
    unsigned char data[];
} block;

struct hrs_decide_cache {
    hrs_store *store;
    sqlite3_stmt *get;
    EVP_MD_CTX *prefix;    /* fed with the policy's code and the company's date */
    EVP_MD_CTX *work;
    kept *pending;
    size_t n_pending, cap_pending;
    found *found;          /* of the last fetch, n_found of them */
    size_t n_found;
    block *blocks;
    size_t hits, misses;
    int forget;            /* empty the table, write nothing */
    hrs_snapshot_share *share;   /* owned: the values the decisions of this run share */
};

/* What decisions share (decide.h): a person's UPN candidates are their own; their group list and
 * the rules behind it are shared whole when another person has the same. */
static const char *const share_whole[] = { "groups", "group_rules", NULL };
static const char *const share_unique[] = { "upns", NULL };

static int db_fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

static void clear_fetched(hrs_decide_cache *c)
{
    while (c->blocks) {
        block *b = c->blocks;
        c->blocks = b->next;
        free(b);
    }
    free(c->found);
    c->found = NULL;
    c->n_found = 0;
}

static void clear_pending(hrs_decide_cache *c)
{
    for (size_t i = 0; i < c->n_pending; i++) {
        free(c->pending[i].id);
        free(c->pending[i].data);
    }
    c->n_pending = 0;
}

hrs_decide_cache *hrs_decide_cache_open(hrs_store *s, const char *code, const char *today, hrs_err *err)
{
    hrs_decide_cache *c = calloc(1, sizeof *c);
    if (!c) { hrs_err_set(err, "out of memory"); return NULL; }
    c->store = s;
    c->prefix = EVP_MD_CTX_new();
    c->work = EVP_MD_CTX_new();
    c->share = hrs_snapshot_share_new(share_whole, share_unique);   /* NULL: nothing shared */
    if (!c->prefix || !c->work || EVP_DigestInit_ex(c->prefix, EVP_sha256(), NULL) != 1 ||
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

int hrs_decide_cache_key(const hrs_decide_cache *c, const json_t *p, const char *today, const char *leave, char key[65],
                         hrs_err *err)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    int ok = EVP_MD_CTX_copy_ex(c->work, c->prefix) == 1 && hrs_snapshot_digest_update(c->work, p) == 0 &&
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

/* Whether a row's key (column k) is key. */
static int key_is(sqlite3_stmt *st, int k, const char *key)
{
    const char *stored = (const char *)sqlite3_column_text(st, k);
    return stored && strcmp(stored, key) == 0;
}

static json_t *decode(hrs_decide_cache *c, const void *data, size_t len)
{
    json_t *d = data ? hrs_snapshot_decode_shared(data, len, c->share) : NULL;
    if (!json_is_object(d)) {
        json_decref(d);
        d = NULL;
    }
    return d;
}

json_t *hrs_decide_cache_get(hrs_decide_cache *c, const char *id, const char *key)
{
    json_t *d = NULL;
    sqlite3_reset(c->get);
    sqlite3_bind_text(c->get, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step(c->get) == SQLITE_ROW && key_is(c->get, 0, key))
        d = decode(c, sqlite3_column_blob(c->get, 1), (size_t)sqlite3_column_bytes(c->get, 1));
    sqlite3_reset(c->get);
    sqlite3_clear_bindings(c->get);
    if (d) c->hits++;
    else c->misses++;
    return d;
}

/* Keeps the decision in column k of st's row as what person i has. 0, or -1 out of memory. */
static int keep_found(hrs_decide_cache *c, size_t i, sqlite3_stmt *st, int k)
{
    const void *data = sqlite3_column_blob(st, k);
    size_t len = (size_t)sqlite3_column_bytes(st, k);
    if (!data || !len) return 0;
    block *b = c->blocks;
    if (!b || len > b->cap - b->used) {
        size_t cap = len > (1u << 20) ? len : (1u << 20);
        b = malloc(sizeof *b + cap);
        if (!b) return -1;
        b->next = c->blocks;
        b->used = 0;
        b->cap = cap;
        c->blocks = b;
    }
    memcpy(b->data + b->used, data, len);
    c->found[i].data = b->data + b->used;
    c->found[i].len = len;
    b->used += len;
    return 0;
}

/* About how many rows the table holds (its highest rowid), or -1. */
static long long rows_about(hrs_decide_cache *c)
{
    sqlite3_stmt *st;
    long long n = -1;
    if (sqlite3_prepare_v2(hrs_store_db(c->store), "SELECT coalesce(max(rowid), 0) FROM decision_cache", -1, &st, NULL) !=
        SQLITE_OK)
        return -1;
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* The persons asked for by id: open addressing, slot[h] = their place in ids + 1 (0: empty). */
typedef struct id_index {
    size_t *slot;
    size_t mask;
    const char *const *ids;
} id_index;

static size_t id_hash(const char *s)
{
    unsigned long long h = 14695981039346656037ULL;   /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 32));
}

/* The slot of id: where it is, or the empty one where it would go. */
static size_t *id_slot(const id_index *x, const char *id)
{
    size_t h = id_hash(id) & x->mask;
    while (x->slot[h] && strcmp(x->ids[x->slot[h] - 1], id) != 0) h = (h + 1) & x->mask;
    return &x->slot[h];
}

/* The persons asked for, in one pass over the table. A person whose id another one asked for
 * before is left out of it (later[i]): they are looked up alone afterwards. */
static int scan(hrs_decide_cache *c, size_t n, const char *const *ids, const char *const *keys, unsigned char *later,
                hrs_err *err)
{
    id_index x = { NULL, 15, ids };
    while (x.mask / 2 < n) x.mask = 2 * x.mask + 1;
    x.slot = calloc(x.mask + 1, sizeof *x.slot);
    if (!x.slot) return hrs_err_set(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        if (!keys[i]) continue;
        size_t *at = id_slot(&x, ids[i]);
        if (*at) later[i] = 1;
        else *at = i + 1;
    }
    sqlite3_stmt *st = NULL;
    int rc = 0, step = SQLITE_DONE;
    if (sqlite3_prepare_v2(hrs_store_db(c->store), "SELECT person_id, key, decision FROM decision_cache", -1, &st, NULL) !=
        SQLITE_OK)
        rc = db_fail(c->store, err, "reading the decision cache");
    while (rc == 0 && (step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0);
        size_t at = id ? *id_slot(&x, id) : 0;
        if (at && key_is(st, 1, keys[at - 1]) && keep_found(c, at - 1, st, 2) != 0) rc = hrs_err_set(err, "out of memory");
    }
    if (rc == 0 && step != SQLITE_DONE) rc = db_fail(c->store, err, "reading the decision cache");
    sqlite3_finalize(st);
    free(x.slot);
    return rc;
}

int hrs_decide_cache_fetch(hrs_decide_cache *c, size_t n, const char *const *ids, const char *const *keys, hrs_err *err)
{
    clear_fetched(c);
    c->found = calloc(n ? n : 1, sizeof *c->found);
    if (!c->found) return hrs_err_set(err, "out of memory");
    c->n_found = n;
    size_t asked = 0;
    for (size_t i = 0; i < n; i++) {
        c->found[i].asked = keys[i] != NULL;
        asked += keys[i] != NULL;
    }
    /* A look-up costs about four rows of a pass: one pass when a quarter of the rows or more
     * are asked for. */
    long long rows = asked >= 64 ? rows_about(c) : -1;
    unsigned char *later = NULL;
    int rc = 0;
    if (rows >= 0 && (long long)asked * 4 >= rows) {
        later = calloc(n ? n : 1, 1);
        rc = later ? scan(c, n, ids, keys, later, err) : hrs_err_set(err, "out of memory");
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (!keys[i] || (later && !later[i])) continue;
        sqlite3_reset(c->get);
        sqlite3_bind_text(c->get, 1, ids[i], -1, SQLITE_STATIC);
        int step = sqlite3_step(c->get);
        if (step == SQLITE_ROW && key_is(c->get, 0, keys[i]) && keep_found(c, i, c->get, 1) != 0)
            rc = hrs_err_set(err, "out of memory");
        else if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = db_fail(c->store, err, "reading the decision cache");
        sqlite3_reset(c->get);
        sqlite3_clear_bindings(c->get);
    }
    free(later);
    return rc;
}

json_t *hrs_decide_cache_take(hrs_decide_cache *c, size_t i)
{
    if (i >= c->n_found || !c->found[i].asked) return NULL;
    const found *f = &c->found[i];
    json_t *d = f->data ? decode(c, f->data, f->len) : NULL;
    if (d) c->hits++;
    else c->misses++;
    return d;
}

void hrs_decide_cache_put(hrs_decide_cache *c, const char *id, const char *key, const json_t *d)
{
    /* Out of memory: the person is decided again next cycle. */
    if (c->n_pending == c->cap_pending) {
        size_t cap = c->cap_pending ? 2 * c->cap_pending : 64;
        kept *p = realloc(c->pending, cap * sizeof *p);
        if (!p) return;
        c->pending = p;
        c->cap_pending = cap;
    }
    kept *k = &c->pending[c->n_pending];
    k->id = strdup(id);
    if (!k->id || hrs_snapshot_encode(d, &k->data, &k->len) != 0) {
        free(k->id);
        return;
    }
    snprintf(k->key, sizeof k->key, "%s", key);
    c->n_pending++;
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
    clear_pending(c);
}

int hrs_decide_cache_finish(hrs_decide_cache *c, const json_t *decided, int full, hrs_err *err)
{
    clear_fetched(c);
    if (c->forget) {
        char *msg = NULL;
        if (sqlite3_exec(hrs_store_db(c->store), "DELETE FROM decision_cache", NULL, NULL, &msg) == SQLITE_OK) return 0;
        hrs_err_set(err, "state file %s: emptying the decision cache: %s", hrs_store_path(c->store), msg ? msg : "");
        sqlite3_free(msg);
        return -1;
    }
    if (!c->n_pending && !full) return 0;
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
    for (size_t i = 0; i < c->n_pending; i++) {
        const kept *k = &c->pending[i];
        if (k->len > 0x7fffffff) continue;   /* cannot be stored: decided again next cycle */
        sqlite3_reset(put);
        sqlite3_bind_text(put, 1, k->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(put, 2, k->key, -1, SQLITE_STATIC);
        sqlite3_bind_blob(put, 3, k->data, (int)k->len, SQLITE_STATIC);
        if (sqlite3_step(put) != SQLITE_DONE) { rc = db_fail(c->store, err, "updating the decision cache"); break; }
    }
    sqlite3_finalize(put);
    if (rc == 0 && full) rc = drop_gone(c, decided, err);
    if (rc == 0 && hrs_store_commit(c->store, err) != 0) rc = -1;
    if (rc != 0) hrs_store_rollback(c->store);
    clear_pending(c);
    return rc;
}

hrs_snapshot_share *hrs_decide_cache_share(hrs_decide_cache *c)
{
    return c ? c->share : NULL;
}

hrs_snapshot_share *hrs_decide_cache_share_new(void)
{
    return hrs_snapshot_share_new(share_whole, share_unique);
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
    clear_pending(c);
    clear_fetched(c);
    free(c->pending);
    hrs_snapshot_share_free(c->share);
    free(c);
}
