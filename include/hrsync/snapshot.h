/* snapshot.h: the persons of the last cycle and the policy that decided them, kept in the state
 * file (tables person_snapshots and policy_snapshot, created by a migration in store.c).
 *
 * hrs_engine_plan records them after every read of the source. A hot reload runs a changed
 * policy against these persons before it swaps it in (engine_policy.c), and `hrsync check`
 * decides them with the recorded policy text and with the policy file as it is now, to show the
 * difference an edit makes. Each person is kept as its JSON record with the SHA-256 of its
 * canonical text, so an unchanged record is not rewritten. Nothing here holds a secret: person
 * records and policy text never do. */
#ifndef HRSYNC_SNAPSHOT_H
#define HRSYNC_SNAPSHOT_H

#include <jansson.h>
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

/* The SHA-256 of the canonical JSON text of v (keys sorted, compact) as 64 hex digits into out.
 * Returns 0, or -1 with err. */
int hrs_snapshot_hash(const json_t *v, char out[65], hrs_err *err);

#endif
