/* settle.h: the memo of the last cycle that found nothing to do, kept in the state file
 * (table `settled`, store.c migration 8), so that an incremental cycle whose inputs are all the
 * same as then reuses that plan instead of running the policy over everyone and planning again.
 *
 * The memo holds digests of what a plan is made from that can be had without reading everyone:
 * the context (hrsync's version, the config, the policy's code, the date), the source's version
 * (a file's SHA-256), the managed groups and their members, and what the directory read asked for
 * (the $select, whether managers are read, the group names). The directory's users are compared
 * through the delta query (an empty round: nothing changed); the links, the values hrsync applied
 * and the journal through triggers that forget the memo on any write to them. */
#ifndef HRSYNC_SETTLE_H
#define HRSYNC_SETTLE_H

#include <jansson.h>
#include "hrsync/err.h"
#include "hrsync/plan_store.h"
#include "hrsync/store.h"

typedef struct hrs_settled {
    char context[65];      /* SHA-256 (hex) of the context */
    char source[120];      /* "file:sha256:<hex>" (hrs_status_file_version) or "cursor" (a source
                              read from updated_since) */
    char groups[65];       /* SHA-256 of the managed groups and their members */
    json_t *inputs;        /* {select, managers, groups: [names]} (owned) */
    json_t *plan;          /* the plan with nothing to do (owned) */
    hrs_plan_meta meta;    /* as stored with that plan */
    char settled_at[32];   /* UTC, when loaded */
} hrs_settled;

/* Loads the memo into out (*found = 0 when there is none). Returns 0 or -1. */
int hrs_settle_load(hrs_store *s, hrs_settled *out, int *found, hrs_err *err);

/* Replaces the memo with st (its inputs, plan and meta are borrowed). Returns 0 or -1. */
int hrs_settle_save(hrs_store *s, const hrs_settled *st, hrs_err *err);

/* Forgets the memo. Returns 0 or -1. */
int hrs_settle_forget(hrs_store *s, hrs_err *err);

/* Frees what out owns and zeroes it. */
void hrs_settled_clear(hrs_settled *st);

#endif
