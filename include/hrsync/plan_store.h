/* plan_store.h: plans kept in the state file, so that a plan is a first-class object: it has a
 * short readable id ("p-20261201-0007"), a fingerprint of the inputs it was computed from, and a
 * status. `hrsync apply PLAN-ID` reloads it, recomputes the fingerprint from a fresh read of HR
 * and the directory, and applies exactly the stored plan only when nothing changed.
 *
 * The fingerprint is a SHA-256 over the canonical encoding (snapshot.h: equal for equal values
 * whatever the order of their keys) of the person records, the policy's decisions, the directory
 * users and the memberships of the managed groups; people and users count as sets (each record
 * hashed alone, the digests in byte order), so their order does not count either. A plan stored
 * by a version that took it another way reads as changed. It never covers a secret: none of
 * those hold one.
 *
 * Statuses: "planned" (may be applied), "stopped" (a guardrail holds it: apply needs --force),
 * "nothing-to-do", "applying", "applied", "failed" (the run broke off), "interrupted" (stopped
 * between batches). Only "planned" and "stopped" plans can be applied, and only once. */
#ifndef HRSYNC_PLAN_STORE_H
#define HRSYNC_PLAN_STORE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "hrsync/err.h"
#include "hrsync/store.h"

typedef struct hrs_plan_fingerprint {
    char all[65];         /* SHA-256 (lower-case hex) of all of them: of the three below */
    char hr[65];          /* of the person records alone */
    char policy[65];      /* of the decisions alone */
    char directory[65];   /* of the users and the managed groups' memberships alone */
} hrs_plan_fingerprint;

/* Computes the fingerprints of a plan's inputs (all borrowed; groups may be NULL). Returns 0, or
 * -1 when libcrypto fails. */
int hrs_plan_store_fingerprint(const json_t *people, const json_t *decisions, const json_t *users,
                               const json_t *groups, hrs_plan_fingerprint *fp, hrs_err *err);

/* Names what differs between two fingerprints: "the HR records", "the directory", "the policy's
 * decisions", joined with ", " and " and ", into out (size n). */
void hrs_plan_store_what_changed(const hrs_plan_fingerprint *a, const hrs_plan_fingerprint *b, char *out, size_t n);

/* What is recorded with a plan besides its document. */
typedef struct hrs_plan_meta {
    hrs_plan_fingerprint fp;
    size_t records;       /* records read from the source (people and quarantined records) */
    int full_read;        /* 0 for an incremental read (those never set the shrink baseline) */
} hrs_plan_meta;

/* Stores plan and sets its "id". The status follows from the plan: "stopped" when its
 * "guardrails" array is not empty, else "nothing-to-do" without operations, else "planned".
 * A plan identical to the newest stored one that is still open keeps that one's id; older
 * "nothing-to-do" plans are dropped. Returns 0 or -1. */
int hrs_plan_store_save(hrs_store *s, json_t *plan, const hrs_plan_meta *meta, hrs_err *err);

/* A stored plan as loaded. */
typedef struct hrs_plan_stored {
    json_t *plan;          /* the document (owned; free with hrs_plan_stored_clear) */
    hrs_plan_meta meta;
    char status[16];
    char created_at[32], applied_at[32];
    int64_t run_id;        /* the run that applied it, or 0 */
} hrs_plan_stored;

/* Loads plan id. -1 with "no plan ID in state file …" when there is none. */
int hrs_plan_store_load(hrs_store *s, const char *id, hrs_plan_stored *out, hrs_err *err);
void hrs_plan_stored_clear(hrs_plan_stored *p);

/* 0 when the loaded plan p (named id) may still be applied ("planned" or "stopped"); otherwise
 * -1 with a sentence saying why not (already applied: when and by which run). */
int hrs_plan_store_check_open(const hrs_plan_stored *p, const char *id, hrs_err *err);

/* Marks plan id as being applied, atomically: refuses (-1, with a sentence saying when and by
 * which run) a plan that is applied or being applied, and one with nothing to do. */
int hrs_plan_store_claim(hrs_store *s, const char *id, hrs_err *err);

/* Records the end of applying plan id: status ("applied", "failed", "interrupted"), the run,
 * the result (may be NULL) and whether a guardrail was overridden. */
int hrs_plan_store_finish(hrs_store *s, const char *id, int64_t run_id, const char *status, const json_t *result,
                          int forced, hrs_err *err);

/* The number of records read by the last successful full read (a plan applied, or one with
 * nothing to do); 0 when there is none yet. */
int hrs_plan_store_baseline(hrs_store *s, size_t *records, hrs_err *err);

#endif
