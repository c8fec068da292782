/* snapshot_share.c: a table of values shared between the objects of one run, so that equal
 * strings, and equal arrays and objects under chosen keys, are held once (see hrs_snapshot_share
 * in include/hrsync/snapshot.h). snapshot.c's reader looks values up here as it decodes; an object
 * made in memory (a decision the policy just made) is shared with hrs_snapshot_share_object.
 *
 * Strings are kept by their bytes (those of the jansson string itself), arrays and objects by
 * their encoding (hrs_snapshot_encode's, keys in their order; a copy the table owns). */
#include "hrsync/snapshot.h"
#include "snapshot_internal.h"

#include <stdlib.h>
#include <string.h>

#define SHARE_MAX_STRING 256    /* longer strings are rarely equal: not looked up */
#define SHARE_MAX_WHOLE 4096    /* nor are larger arrays and objects */

/* A value kept: a string by its bytes (those of v), an array or object by its encoding (owned). */
typedef struct share_entry {
    json_t *v;                  /* a reference the table holds; NULL: an empty slot */
    const unsigned char *bytes;
    size_t len, hash;
} share_entry;

struct hrs_snapshot_share {
    share_entry *slot;          /* open addressing, at most half full */
    size_t mask, count;
    const char *const *whole, *const *unique;   /* borrowed */
};

hrs_snapshot_share *hrs_snapshot_share_new(const char *const *whole, const char *const *unique)
{
    hrs_snapshot_share *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->mask = 1023;
    t->slot = calloc(t->mask + 1, sizeof *t->slot);
    if (!t->slot) {
        free(t);
        return NULL;
    }
    t->whole = whole;
    t->unique = unique;
    return t;
}

void hrs_snapshot_share_free(hrs_snapshot_share *t)
{
    if (!t) return;
    for (size_t i = 0; i <= t->mask; i++) {
        share_entry *e = &t->slot[i];
        if (!e->v) continue;
        if (!json_is_string(e->v)) free((void *)e->bytes);
        json_decref(e->v);
    }
    free(t->slot);
    free(t);
}

size_t hrs_snapshot_share_size(const hrs_snapshot_share *t)
{
    return t ? t->count : 0;
}

/* FNV-1a over the bytes; kind keeps a string apart from an encoding with the same bytes. */
static size_t share_hash(int kind, const unsigned char *p, size_t n)
{
    unsigned long long h = 14695981039346656037ULL ^ (unsigned char)kind;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ULL;
    return (size_t)(h ^ (h >> 29));
}

/* The slot holding the value of that kind and bytes, or the empty one where it would go. */
static share_entry *share_find(const hrs_snapshot_share *t, int is_string, const unsigned char *p, size_t n, size_t h)
{
    size_t i = h & t->mask;
    for (;; i = (i + 1) & t->mask) {
        share_entry *e = &t->slot[i];
        if (!e->v) return e;
        if (e->hash == h && e->len == n && (json_is_string(e->v) != 0) == is_string && memcmp(e->bytes, p, n) == 0) return e;
    }
}

/* Keeps v (a reference taken) in the empty slot e. -1 when the table cannot grow (v not kept). */
static int share_keep(hrs_snapshot_share *t, share_entry *e, json_t *v, const unsigned char *p, size_t n, size_t h)
{
    if (2 * (t->count + 1) > t->mask + 1) {
        size_t mask = 2 * t->mask + 1;
        share_entry *slot = calloc(mask + 1, sizeof *slot);
        if (!slot) return -1;
        for (size_t i = 0; i <= t->mask; i++) {
            if (!t->slot[i].v) continue;
            size_t j = t->slot[i].hash & mask;
            while (slot[j].v) j = (j + 1) & mask;
            slot[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = slot;
        t->mask = mask;
        e = share_find(t, json_is_string(v), p, n, h);
    }
    e->v = json_incref(v);
    e->bytes = p;
    e->len = n;
    e->hash = h;
    t->count++;
    return 0;
}

json_t *hrs_snapshot_share_string(hrs_snapshot_share *t, const char *p, size_t n)
{
    if (!t || n > SHARE_MAX_STRING) return json_stringn(p, n);
    size_t h = share_hash('s', (const unsigned char *)p, n);
    share_entry *e = share_find(t, 1, (const unsigned char *)p, n, h);
    if (e->v) return json_incref(e->v);
    json_t *s = json_stringn(p, n);
    if (s) share_keep(t, e, s, (const unsigned char *)json_string_value(s), n, h);   /* else: kept apart */
    return s;
}

json_t *hrs_snapshot_share_whole_get(hrs_snapshot_share *t, const unsigned char *p, size_t n)
{
    if (n > SHARE_MAX_WHOLE) return NULL;
    share_entry *e = share_find(t, 0, p, n, share_hash('c', p, n));
    return e->v ? json_incref(e->v) : NULL;
}

void hrs_snapshot_share_whole_put(hrs_snapshot_share *t, json_t *v, const unsigned char *p, size_t n)
{
    if (n > SHARE_MAX_WHOLE) return;
    size_t h = share_hash('c', p, n);
    share_entry *e = share_find(t, 0, p, n, h);
    unsigned char *copy = e->v ? NULL : malloc(n ? n : 1);
    if (!copy) return;
    memcpy(copy, p, n);
    if (share_keep(t, e, v, copy, n, h) != 0) free(copy);
}

/* Whether key (n bytes) is one of list. */
static int share_listed(const char *const *list, const char *key, size_t n)
{
    for (; list && *list; list++)
        if (strlen(*list) == n && memcmp(*list, key, n) == 0) return 1;
    return 0;
}

int hrs_snapshot_share_member(const hrs_snapshot_share *t, const char *key, size_t n)
{
    if (share_listed(t->unique, key, n)) return SHARE_NONE;
    return share_listed(t->whole, key, n) ? SHARE_WHOLE : SHARE_STRINGS;
}

/* The value t shares in place of v (a new reference), or NULL to keep v (then v's own strings
 * and containers may have been replaced, and v kept in t for later). */
static json_t *share_value(hrs_snapshot_share *t, json_t *v, int mode, int depth)
{
    if (depth > 2048) return NULL;   /* as the encoding's limit: a value that contains itself */
    if (json_is_string(v)) {
        size_t n = json_string_length(v);
        const unsigned char *p = (const unsigned char *)json_string_value(v);
        if (n > SHARE_MAX_STRING) return NULL;
        size_t h = share_hash('s', p, n);
        share_entry *e = share_find(t, 1, p, n, h);
        if (e->v) return e->v == v ? NULL : json_incref(e->v);
        share_keep(t, e, v, p, n, h);
        return NULL;
    }
    if (!json_is_array(v) && !json_is_object(v)) return NULL;
    unsigned char *enc = NULL;
    size_t len = 0;
    if (mode == SHARE_WHOLE && hrs_snapshot_encode(v, &enc, &len) == 0 && len > 1) {
        json_t *s = hrs_snapshot_share_whole_get(t, enc + 1, len - 1);
        if (s) {
            free(enc);
            if (s != v) return s;
            json_decref(s);
            return NULL;
        }
    }
    if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++) {
            json_t *s = share_value(t, json_array_get(v, i), mode, depth + 1);
            if (s) json_array_set_new(v, i, s);
        }
    } else {
        const char *k;
        json_t *m;
        json_object_foreach(v, k, m) {
            json_t *s = share_value(t, m, mode, depth + 1);
            if (s) json_object_set_new(v, k, s);
        }
    }
    if (enc) hrs_snapshot_share_whole_put(t, v, enc + 1, len - 1);   /* equal to v now as before */
    free(enc);
    return NULL;
}

void hrs_snapshot_share_object(hrs_snapshot_share *t, json_t *o)
{
    if (!t || !json_is_object(o)) return;
    const char *k;
    json_t *m;
    json_object_foreach(o, k, m) {
        int mode = hrs_snapshot_share_member(t, k, strlen(k));
        json_t *s = mode == SHARE_NONE ? NULL : share_value(t, m, mode, 1);
        if (s) json_object_set_new(o, k, s);
    }
}
