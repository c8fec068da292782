/* snapshot.c: the persons of the last cycle and the policy that decided them, in the state file
 * (see include/hrsync/snapshot.h; the tables come from a migration in store.c), and the canonical
 * encoding of JSON values that their hashes, the plan's fingerprint and the decision cache's keys
 * are taken over.
 *
 * A save reads the stored hash of every person once, then writes only the records that are new
 * or changed (under a new generation number) and, after a full read, deletes the rows of persons
 * not read: a cycle in which nothing changed writes no person row. */
#include "hrsync/snapshot.h"
#include "snapshot_internal.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define DUMP_FLAGS (JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY)

/* ---- the canonical encoding ---------------------------------------------------------------- */

/* Tags: every value starts with one, so no encoding is the prefix of another's. */
enum { TAG_NULL = 'n', TAG_TRUE = 't', TAG_FALSE = 'f', TAG_INT = 'i', TAG_REAL = 'r', TAG_STR = 's', TAG_ARR = 'a',
       TAG_OBJ = 'o' };
#define ENCODING_FORMAT 1   /* the first byte of hrs_snapshot_encode's bytes */
#define MAX_DEPTH 2048    /* as jansson's parser; also stops a value that contains itself */

/* Bytes are gathered in buf and handed to sink in large pieces (a digest update per value would
 * cost more than the value). */
typedef struct writer {
    int (*sink)(void *ctx, const unsigned char *p, size_t n);
    void *ctx;
    int sorted;           /* object keys in byte order (canonical) or as the object holds them */
    size_t len;
    unsigned char buf[8192];
} writer;

static int w_flush(writer *w)
{
    int rc = w->len ? w->sink(w->ctx, w->buf, w->len) : 0;
    w->len = 0;
    return rc;
}

static int w_put(writer *w, const void *p, size_t n)
{
    if (n > sizeof w->buf - w->len) {
        if (w_flush(w) != 0) return -1;
        if (n >= sizeof w->buf) return w->sink(w->ctx, p, n);
    }
    memcpy(w->buf + w->len, p, n);
    w->len += n;
    return 0;
}

/* A tag (0: none) and an unsigned number: 7 bits a byte, lowest first, the high bit set on all
 * but the last. */
static int w_tag_num(writer *w, int tag, unsigned long long v)
{
    if (sizeof w->buf - w->len < 11 && w_flush(w) != 0) return -1;
    unsigned char *b = w->buf + w->len;
    if (tag) *b++ = (unsigned char)tag;
    while (v > 0x7f) {
        *b++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *b++ = (unsigned char)v;
    w->len = (size_t)(b - w->buf);
    return 0;
}

/* A tag and 8 bytes, lowest first. */
static int w_fixed(writer *w, int tag, unsigned long long v)
{
    if (sizeof w->buf - w->len < 9 && w_flush(w) != 0) return -1;
    unsigned char *b = w->buf + w->len;
    b[0] = (unsigned char)tag;
    for (int i = 0; i < 8; i++) b[1 + i] = (unsigned char)(v >> (8 * i));
    w->len += 9;
    return 0;
}

/* A length and the bytes. */
static int w_bytes(writer *w, int tag, const char *p, size_t n)
{
    return w_tag_num(w, tag, n) || w_put(w, p, n) ? -1 : 0;
}

typedef struct member {
    unsigned long long head;   /* the key's first 8 bytes, big-endian: most keys differ there */
    const char *key;
    size_t len;
    const json_t *value;
} member;

static int key_cmp(const member *x, const member *y)
{
    if (x->head != y->head) return x->head < y->head ? -1 : 1;
    int c = memcmp(x->key, y->key, x->len < y->len ? x->len : y->len);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int by_key(const void *a, const void *b) { return key_cmp(a, b); }

static void sort_members(member *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned long long h = 0;
        for (size_t k = 0; k < 8; k++) h = h << 8 | (k < m[i].len ? (unsigned char)m[i].key[k] : 0);
        m[i].head = h;
    }
    if (n > 16) {
        qsort(m, n, sizeof *m, by_key);
        return;
    }
    for (size_t i = 1; i < n; i++) {   /* few members: insertion sort */
        member x = m[i];
        size_t j = i;
        for (; j > 0 && key_cmp(&m[j - 1], &x) > 0; j--) m[j] = m[j - 1];
        m[j] = x;
    }
}

static int w_value(writer *w, const json_t *v, int depth);

static int w_object(writer *w, const json_t *o, int depth)
{
    size_t n = json_object_size(o), i = 0;
    member small[16], *m = n <= 16 ? small : malloc(n * sizeof *m);
    if (!m) return -1;
    for (void *it = json_object_iter((json_t *)o); it && i < n; it = json_object_iter_next((json_t *)o, it), i++) {
        m[i].key = json_object_iter_key(it);
        m[i].len = json_object_iter_key_len(it);
        m[i].value = json_object_iter_value(it);
    }
    if (w->sorted) sort_members(m, i);
    int rc = w_tag_num(w, TAG_OBJ, i);
    for (size_t k = 0; k < i && rc == 0; k++)
        rc = w_bytes(w, 0, m[k].key, m[k].len) || w_value(w, m[k].value, depth + 1) ? -1 : 0;
    if (m != small) free(m);
    return rc;
}

static int w_value(writer *w, const json_t *v, int depth)
{
    if (depth > MAX_DEPTH) return -1;
    switch (json_typeof(v)) {
    case JSON_OBJECT: return w_object(w, v, depth);
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        if (w_tag_num(w, TAG_ARR, n) != 0) return -1;
        for (size_t i = 0; i < n; i++)
            if (w_value(w, json_array_get(v, i), depth + 1) != 0) return -1;
        return 0;
    }
    case JSON_STRING: return w_bytes(w, TAG_STR, json_string_value(v), json_string_length(v));
    case JSON_INTEGER: return w_fixed(w, TAG_INT, (unsigned long long)json_integer_value(v));
    case JSON_REAL: {
        double d = json_real_value(v);
        unsigned long long bits;
        if (w->sorted && d == 0) d = 0;   /* canonical: -0.0 equals 0.0 (stored: kept as it is) */
        memcpy(&bits, &d, sizeof bits);
        return w_fixed(w, TAG_REAL, bits);
    }
    case JSON_TRUE: return w_put(w, "t", 1);
    case JSON_FALSE: return w_put(w, "f", 1);
    default: return w_put(w, "n", 1);
    }
}

static int digest_sink(void *ctx, const unsigned char *p, size_t n)
{
    return EVP_DigestUpdate(ctx, p, n) == 1 ? 0 : -1;
}

int hrs_snapshot_digest_update(EVP_MD_CTX *md, const json_t *v)
{
    writer w;
    w.sink = digest_sink;
    w.ctx = md;
    w.sorted = 1;
    w.len = 0;
    return w_value(&w, v ? v : json_null(), 0) || w_flush(&w) ? -1 : 0;
}

/* Storage: the bytes gathered in a buffer that grows. */
typedef struct grow {
    unsigned char *data;
    size_t len, cap;
} grow;

static int grow_sink(void *ctx, const unsigned char *p, size_t n)
{
    grow *g = ctx;
    if (n > g->cap - g->len) {
        size_t cap = g->cap ? g->cap : 256;
        while (cap - g->len < n) cap *= 2;
        unsigned char *d = realloc(g->data, cap);
        if (!d) return -1;
        g->data = d;
        g->cap = cap;
    }
    memcpy(g->data + g->len, p, n);
    g->len += n;
    return 0;
}

int hrs_snapshot_encode(const json_t *v, unsigned char **out, size_t *len)
{
    static const unsigned char format = ENCODING_FORMAT;
    grow g = { NULL, 0, 0 };
    writer w;
    w.sink = grow_sink;
    w.ctx = &g;
    w.sorted = 0;
    w.len = 0;
    if (w_put(&w, &format, 1) || w_value(&w, v ? v : json_null(), 0) || w_flush(&w)) {
        free(g.data);
        *out = NULL;
        *len = 0;
        return -1;
    }
    *out = g.data;
    *len = g.len;
    return 0;
}

/* ---- reading the encoding back -------------------------------------------------------------- */

typedef struct reader {
    const unsigned char *p, *end;
    hrs_snapshot_share *t;   /* NULL: nothing shared */
} reader;

static int r_num(reader *r, unsigned long long *v)
{
    unsigned long long x = 0;
    for (unsigned shift = 0; shift < 64 && r->p < r->end; shift += 7) {
        unsigned char b = *r->p++;
        x |= (unsigned long long)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static int r_fixed(reader *r, unsigned long long *v)
{
    if (r->end - r->p < 8) return -1;
    unsigned long long x = 0;
    for (int i = 0; i < 8; i++) x |= (unsigned long long)r->p[i] << (8 * i);
    r->p += 8;
    *v = x;
    return 0;
}

/* A count or a length that the bytes left can hold (every element takes at least one). */
static int r_size(reader *r, size_t *n)
{
    unsigned long long v;
    if (r_num(r, &v) != 0 || v > (unsigned long long)(r->end - r->p)) return -1;
    *n = (size_t)v;
    return 0;
}

/* Moves past one value without making it. 0, or -1 when the bytes are not an encoding. */
static int r_skip(reader *r, int depth)
{
    unsigned long long bits;
    size_t n, k;
    if (depth > MAX_DEPTH || r->p >= r->end) return -1;
    switch (*r->p++) {
    case TAG_NULL:
    case TAG_TRUE:
    case TAG_FALSE: return 0;
    case TAG_INT:
    case TAG_REAL: return r_fixed(r, &bits);
    case TAG_STR:
        if (r_size(r, &n) != 0) return -1;
        r->p += n;
        return 0;
    case TAG_ARR:
        if (r_size(r, &n) != 0) return -1;
        for (size_t i = 0; i < n; i++)
            if (r_skip(r, depth + 1) != 0) return -1;
        return 0;
    case TAG_OBJ:
        if (r_size(r, &n) != 0) return -1;
        for (size_t i = 0; i < n; i++) {
            if (r_size(r, &k) != 0) return -1;
            r->p += k;
            if (r_skip(r, depth + 1) != 0) return -1;
        }
        return 0;
    default: return -1;
    }
}

/* What the value of member key (klen bytes) of an object at depth may share, in mode. */
static int member_mode(const reader *r, int depth, int mode, const char *key, size_t klen)
{
    return depth > 0 || mode == SHARE_NONE ? mode : hrs_snapshot_share_member(r->t, key, klen);
}

static json_t *r_value(reader *r, int depth, int mode);

static json_t *r_container(reader *r, int depth, int mode)
{
    size_t n;
    if (*r->p++ == TAG_ARR) {
        json_t *a = r_size(r, &n) == 0 ? json_array() : NULL;
        for (size_t i = 0; a && i < n; i++)
            if (json_array_append_new(a, r_value(r, depth + 1, mode)) != 0) {
                json_decref(a);
                a = NULL;
            }
        return a;
    }
    json_t *o = r_size(r, &n) == 0 ? json_object() : NULL;
    for (size_t i = 0; o && i < n; i++) {
        size_t klen;
        if (r_size(r, &klen) != 0) {
            json_decref(o);
            return NULL;
        }
        const char *key = (const char *)r->p;
        r->p += klen;
        if (json_object_setn_new(o, key, klen, r_value(r, depth + 1, member_mode(r, depth, mode, key, klen))) != 0) {
            json_decref(o);
            o = NULL;
        }
    }
    return o;
}

/* An array or object that may be shared whole: the table's, when it has an equal one. */
static json_t *r_whole(reader *r, int depth)
{
    const unsigned char *start = r->p;
    if (r_skip(r, depth) != 0) return NULL;
    const unsigned char *end = r->p;
    json_t *v = hrs_snapshot_share_whole_get(r->t, start, (size_t)(end - start));
    if (v) return v;
    r->p = start;
    v = r_container(r, depth, SHARE_WHOLE);
    if (v && r->p == end) hrs_snapshot_share_whole_put(r->t, v, start, (size_t)(end - start));
    return v;
}

static json_t *r_value(reader *r, int depth, int mode)
{
    unsigned long long bits;
    size_t n;
    if (depth > MAX_DEPTH || r->p >= r->end) return NULL;
    switch (*r->p) {
    case TAG_ARR:
    case TAG_OBJ: return mode == SHARE_WHOLE ? r_whole(r, depth) : r_container(r, depth, mode);
    default: break;
    }
    switch (*r->p++) {
    case TAG_NULL: return json_null();
    case TAG_TRUE: return json_true();
    case TAG_FALSE: return json_false();
    case TAG_INT: return r_fixed(r, &bits) ? NULL : json_integer((json_int_t)bits);
    case TAG_REAL: {
        double d;
        if (r_fixed(r, &bits) != 0) return NULL;
        memcpy(&d, &bits, sizeof d);
        return json_real(d);   /* NULL for a NaN or an infinity */
    }
    case TAG_STR: {
        if (r_size(r, &n) != 0) return NULL;
        const char *s = (const char *)r->p;
        r->p += n;
        return mode == SHARE_NONE ? json_stringn(s, n) : hrs_snapshot_share_string(r->t, s, n);   /* NULL when not UTF-8 */
    }
    default: return NULL;
    }
}

json_t *hrs_snapshot_decode_shared(const void *data, size_t len, hrs_snapshot_share *t)
{
    if (!data || len < 2 || *(const unsigned char *)data != ENCODING_FORMAT) return NULL;
    reader r = { (const unsigned char *)data + 1, (const unsigned char *)data + len, t };
    json_t *v = r_value(&r, 0, t ? SHARE_STRINGS : SHARE_NONE);
    if (v && r.p != r.end) {
        json_decref(v);
        v = NULL;
    }
    return v;
}

json_t *hrs_snapshot_decode(const void *data, size_t len)
{
    return hrs_snapshot_decode_shared(data, len, NULL);
}

/* ---- the persons and the policy of the last cycle ------------------------------------------- */

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

static void hex(const unsigned char md[32], char out[65])
{
    static const char digits[] = "0123456789abcdef";
    for (unsigned i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

/* The hash of v into out, with ctx (reused) started as a copy of base (a SHA-256 begun once:
 * beginning one looks the algorithm up each time). */
static int hash_with(EVP_MD_CTX *ctx, const EVP_MD_CTX *base, const json_t *v, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (EVP_MD_CTX_copy_ex(ctx, base) != 1 || hrs_snapshot_digest_update(ctx, v) != 0 ||
        EVP_DigestFinal_ex(ctx, md, &len) != 1 || len != 32)
        return -1;
    hex(md, out);
    return 0;
}

/* A SHA-256 begun, and one to work with (both NULL when libcrypto fails). */
static int sha_pair(EVP_MD_CTX **base, EVP_MD_CTX **work)
{
    *base = EVP_MD_CTX_new();
    *work = EVP_MD_CTX_new();
    if (*base && *work && EVP_DigestInit_ex(*base, EVP_sha256(), NULL) == 1) return 0;
    EVP_MD_CTX_free(*base);
    EVP_MD_CTX_free(*work);
    *base = *work = NULL;
    return -1;
}

int hrs_snapshot_hash(const json_t *v, char out[65], hrs_err *err)
{
    EVP_MD_CTX *base, *ctx;
    int rc = sha_pair(&base, &ctx) == 0 ? hash_with(ctx, base, v, out) : -1;
    EVP_MD_CTX_free(base);
    EVP_MD_CTX_free(ctx);
    return rc == 0 ? 0 : hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed, or out of memory)");
}

/* The stored hash of every person (object person id -> hash, caller owns) and the newest
 * generation, in one read. */
static int stored_hashes(hrs_store *s, json_t **out, long long *gen, hrs_err *err)
{
    sqlite3_stmt *st;
    *out = NULL;
    *gen = 0;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT person_id, hash, generation FROM person_snapshots", -1, &st, NULL) !=
        SQLITE_OK)
        return db_fail(s, err, "reading person snapshots");
    json_t *known = json_object();
    int rc = known ? SQLITE_ROW : SQLITE_NOMEM;
    while (rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *id = (const char *)sqlite3_column_text(st, 0), *hash = (const char *)sqlite3_column_text(st, 1);
        if (id && hash && json_object_set_new(known, id, json_string(hash)) != 0) rc = SQLITE_NOMEM;
        if (sqlite3_column_int64(st, 2) > *gen) *gen = sqlite3_column_int64(st, 2);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(known);
        return rc == SQLITE_NOMEM ? hrs_err_set(err, "out of memory reading person snapshots")
                                  : db_fail(s, err, "reading person snapshots");
    }
    *out = known;
    return 0;
}

/* Writes every person with a string id whose record is new or differs from its row (known: the
 * stored hashes; each person read is taken out of it, so what stays is the persons not read). */
static int save_people(hrs_store *s, const json_t *people, json_t *known, long long gen, const char *ts, hrs_err *err)
{
    sqlite3_stmt *st;
    /* SET expressions see the row as it was: changed_at moves only when the record's text does
     * (a hash taken another way, as by an older version, rewrites the row and keeps the time). */
    if (sqlite3_prepare_v2(hrs_store_db(s),
            "INSERT INTO person_snapshots (person_id, record, hash, generation, changed_at) VALUES (?1, ?2, ?3, ?4, ?5) "
            "ON CONFLICT(person_id) DO UPDATE SET generation = excluded.generation, "
            "changed_at = CASE WHEN record = excluded.record THEN changed_at ELSE excluded.changed_at END, "
            "record = excluded.record, hash = excluded.hash",
            -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "saving person snapshots");
    EVP_MD_CTX *base, *ctx;
    int rc = sha_pair(&base, &ctx) == 0 ? 0 : hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed)");
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) {
        const char *id = json_string_value(json_object_get(p, "id"));
        char hash[65];
        if (rc != 0) break;
        if (!id) continue;
        if (hash_with(ctx, base, p, hash) != 0) {
            rc = hrs_err_set(err, "cannot compute a SHA-256 (libcrypto failed)");
            break;
        }
        const char *old = json_string_value(json_object_get(known, id));
        int same = old && strcmp(old, hash) == 0;
        json_object_del(known, id);
        if (same) continue;
        char *text = json_dumps(p, DUMP_FLAGS);
        if (!text) { rc = hrs_err_set(err, "out of memory saving person snapshots"); break; }
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 2, text, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(st, 3, hash, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(st, 4, gen);
        sqlite3_bind_text(st, 5, ts, -1, SQLITE_TRANSIENT);
        free(text);
        if (sqlite3_step(st) != SQLITE_DONE) rc = db_fail(s, err, "saving person snapshots");
    }
    EVP_MD_CTX_free(base);
    EVP_MD_CTX_free(ctx);
    sqlite3_finalize(st);
    return rc;
}

/* Deletes the rows of the persons left in gone (an object keyed by person id). */
static int drop_gone(hrs_store *s, const json_t *gone, hrs_err *err)
{
    sqlite3_stmt *st;
    if (!json_object_size(gone)) return 0;
    if (sqlite3_prepare_v2(hrs_store_db(s), "DELETE FROM person_snapshots WHERE person_id = ?1", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "dropping old person snapshots");
    int rc = 0;
    const char *id;
    json_t *v;
    json_object_foreach((json_t *)gone, id, v) {
        sqlite3_reset(st);
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = db_fail(s, err, "dropping old person snapshots"); break; }
    }
    sqlite3_finalize(st);
    return rc;
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
    json_t *known = NULL;
    timestamp(ts);
    if (pol && pol->len > (size_t)0x7fffffff) return hrs_err_set(err, "policy %s is too large to record", pol->path);
    if (hrs_store_begin(s, err) != 0) return -1;
    if (stored_hashes(s, &known, &gen, err) != 0 || save_people(s, people, known, gen + 1, ts, err) != 0 ||
        (full && drop_gone(s, known, err) != 0) || (pol && save_policy(s, pol, today, ts, err) != 0) ||
        hrs_store_commit(s, err) != 0) {
        json_decref(known);
        hrs_store_rollback(s);
        return -1;
    }
    json_decref(known);
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
