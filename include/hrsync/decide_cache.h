/* decide_cache.h: the policy's decisions of the last cycle, kept in the state file (table
 * decision_cache, created by a migration in store.c) so that a cycle runs the policy only for
 * the people whose decision may differ.
 *
 * A decision is reused when its key is the same: the SHA-256 of the person's record (its
 * canonical encoding, snapshot.h), the policy's code (the version of its file and the modules it
 * required, see hrs_policy_code_digest), the company's date, the person's own date and their
 * leave instant (decide.h). So a changed record, an edited policy or library module, and a new
 * day each re-decide. Failed decisions are never kept: they are tried again every cycle.
 * Nothing here holds a secret: person records and decisions never do.
 *
 * Used by hrs_decide_people when its context names a cache (the engine's cycle); `hrsync check`
 * and `explain` always run the policy. */
#ifndef HRSYNC_DECIDE_CACHE_H
#define HRSYNC_DECIDE_CACHE_H

#include <jansson.h>
#include <stddef.h>
#include "hrsync/err.h"
#include "hrsync/snapshot.h"
#include "hrsync/store.h"

typedef struct hrs_decide_cache hrs_decide_cache;

/* Opens the cache of store s for one run over the people of a cycle. code: the policy's code
 * as a string (version and module digest); today: the company's date. Returns NULL with err. */
hrs_decide_cache *hrs_decide_cache_open(hrs_store *s, const char *code, const char *today, hrs_err *err);

/* The key of person p on their date today with leave instant leave ("" for none) into key.
 * Returns 0, or -1 with err. */
int hrs_decide_cache_key(const hrs_decide_cache *c, const json_t *p, const char *today, const char *leave, char key[65],
                         hrs_err *err);

/* The decision kept for person id under key (caller owns), or NULL when there is none or its key
 * differs. Counts a hit or a miss. */
json_t *hrs_decide_cache_get(hrs_decide_cache *c, const char *id, const char *key);

/* Reads the decisions kept for n persons at once, for hrs_decide_cache_take: person i is ids[i]
 * under keys[i] (NULL: not asked for). When a quarter of the table or more is asked for, the
 * table is read in one pass rather than a look-up per person; the decisions' bytes are kept in
 * the cache until the next fetch or hrs_decide_cache_finish. Returns 0, or -1 with err (the
 * table could not be read: the persons not found yet are taken as misses). */
int hrs_decide_cache_fetch(hrs_decide_cache *c, size_t n, const char *const *ids, const char *const *keys, hrs_err *err);

/* The decision the last fetch found for person i (caller owns), or NULL when there was none or
 * its key differs. Counts a hit or a miss (nothing when i was not asked for). */
json_t *hrs_decide_cache_take(hrs_decide_cache *c, size_t i);

/* Keeps decision d (borrowed) of person id under key, written by hrs_decide_cache_finish. */
void hrs_decide_cache_put(hrs_decide_cache *c, const char *id, const char *key, const json_t *d);

/* Writes the decisions kept since open, in one transaction; when full (the people read are the
 * whole company), also drops the rows of persons not in decided (an object keyed by person id).
 * Returns 0, or -1 with err. */
int hrs_decide_cache_finish(hrs_decide_cache *c, const json_t *decided, int full, hrs_err *err);

/* Forgets every kept decision: hrs_decide_cache_finish writes none and empties the table (the
 * policy's code changed while it ran: a module required inside a hook). */
void hrs_decide_cache_forget(hrs_decide_cache *c);

/* The table of values the decisions of this run share (borrowed: the cache frees it; the values
 * it handed out live on in the decisions), or NULL when c is NULL or the table could not be made.
 * The decisions hrs_decide_cache_get and _take return share values through it: none of their
 * values may be changed. hrs_decide_people shares the values of the decisions it makes too. */
hrs_snapshot_share *hrs_decide_cache_share(hrs_decide_cache *c);

/* A new table sharing values between decisions as the cache's does, for a run without a cache
 * (caller frees it with hrs_snapshot_share_free). NULL when out of memory. */
hrs_snapshot_share *hrs_decide_cache_share_new(void);

/* How many decisions were reused and how many were not found. */
void hrs_decide_cache_counts(const hrs_decide_cache *c, size_t *hits, size_t *misses);

void hrs_decide_cache_free(hrs_decide_cache *c);

#endif
