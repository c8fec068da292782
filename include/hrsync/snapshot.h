/* snapshot.h: the persons of the last cycle and the policy that decided them, kept in the state
 * file (tables person_snapshots and policy_snapshot, created by a migration in store.c).
 *
 * hrs_engine_plan records them after every read of the source. A hot reload runs a changed
 * policy against these persons before it swaps it in (engine_policy.c), and `hrsync check`
 * decides them with the recorded policy text and with the policy file as it is now, to show the
 * difference an edit makes. Each person is kept as its JSON record (keys sorted) with the SHA-256
 * of its canonical encoding, so an unchanged record is not rewritten. Nothing here holds a
 * secret: person records and policy text never do.
 *
 * The canonical encoding of a JSON value (hrs_snapshot_digest_update, hrs_snapshot_hash) is a
 * byte string that is the same for equal values, whatever the order of their keys, and differs
 * for values that differ: a tag per value (n t f i r s a o), strings, keys and counts with their
 * length before them, integers and reals as 8 bytes, object members in byte order of their keys.
 * Only its hash is kept: the plan's fingerprint (plan_store.h) and the decision cache's keys
 * (decide_cache.h) are taken over it too. hrs_snapshot_encode writes the same encoding with a
 * format byte before it and the keys left in their order, to be stored and read back
 * (hrs_snapshot_decode) faster than JSON text. */
#ifndef HRSYNC_SNAPSHOT_H
#define HRSYNC_SNAPSHOT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include "hrsync/err.h"
#include "hrsync/store.h"

/* The policy a cycle ran with. All borrowed. */
typedef struct hrs_snapshot_policy {
    const char *path;       /* the policy file */
    const char *version;    /* "sha256:<hex>" of its bytes */
    const char *text;       /* its text as loaded */
    size_t len;
} hrs_snapshot_policy;

/* Records the persons read by a cycle (an array of person records; records without a string
 * "id" are skipped) and the policy (may be NULL: left as recorded), in one transaction. full: the
 * read was complete, so persons not in it are dropped; an incremental read only adds and
 * replaces. today: the cycle's date. Returns 0, or -1 with err. */
int hrs_snapshot_save(hrs_store *s, const json_t *people, int full, const hrs_snapshot_policy *pol, const char *today,
                      hrs_err *err);

/* The persons of the last cycle as an array sorted by id (caller owns; empty when none was
 * recorded yet). Returns 0, or -1 with err. */
int hrs_snapshot_people(hrs_store *s, json_t **out, hrs_err *err);

/* The policy recorded with the last cycle as {path, version, text, today, taken_at} (caller owns),
 * or *out = NULL when none was recorded yet. Returns 0, or -1 with err. */
int hrs_snapshot_policy_get(hrs_store *s, json_t **out, hrs_err *err);

/* The SHA-256 of the canonical encoding of v (NULL: null) as 64 hex digits into out. Returns 0,
 * or -1 with err. */
int hrs_snapshot_hash(const json_t *v, char out[65], hrs_err *err);

/* Feeds the canonical encoding of v (NULL: null) into md, a digest the caller began. Allocates
 * nothing for objects of up to 16 members. Returns 0, or -1 (libcrypto failed, out of memory, or
 * v nests deeper than 2048 levels, as one that contains itself does). */
int hrs_snapshot_digest_update(EVP_MD_CTX *md, const json_t *v);

/* The encoding of v (NULL: null) with a format byte before it and object keys in their order, in
 * *out (malloc'd; the caller frees it) of *len bytes. Returns 0, or -1 (out of memory, too deep). */
int hrs_snapshot_encode(const json_t *v, unsigned char **out, size_t *len);

/* The value hrs_snapshot_encode wrote into data (len bytes; caller owns the result), or NULL when
 * those bytes are not such an encoding (another format, cut short, a string not UTF-8). */
json_t *hrs_snapshot_decode(const void *data, size_t len);

/* A table of values shared between the objects of one run (the decisions of a cycle), so that
 * many equal values are held once: jansson values are reference counted, and nothing changes a
 * string once made. For the members of an object (the top level only) it shares:
 * - the strings of up to 256 bytes at any depth of a member's value, except under the keys in
 *   unique (their strings are the person's own: kept apart, not looked up);
 * - under the keys in whole, the value itself and every array and object in it, when an equal
 *   one was seen before: those values must never be changed by whoever holds them.
 * The table holds a reference to each value it keeps, dropped by hrs_snapshot_share_free; the
 * values it handed out live on in their holders. */
typedef struct hrs_snapshot_share hrs_snapshot_share;

/* A new table (caller frees it with hrs_snapshot_share_free). whole and unique: NULL-terminated
 * lists of member names, borrowed for the table's life (may be NULL). NULL when out of memory. */
hrs_snapshot_share *hrs_snapshot_share_new(const char *const *whole, const char *const *unique);

void hrs_snapshot_share_free(hrs_snapshot_share *t);

/* As hrs_snapshot_decode, with the values t shares (t NULL: as hrs_snapshot_decode). The result is
 * the caller's; the shared values in it must not be changed. */
json_t *hrs_snapshot_decode_shared(const void *data, size_t len, hrs_snapshot_share *t);

/* Replaces the values of the members of object o (the caller's, and its containers not held
 * elsewhere) by the equal ones t shares, and keeps those seen first for later. Out of memory, a
 * value is kept as it is. */
void hrs_snapshot_share_object(hrs_snapshot_share *t, json_t *o);

/* How many values t keeps (for tests and logs). */
size_t hrs_snapshot_share_size(const hrs_snapshot_share *t);

#endif
