/* retention.h: how long the state file keeps the history a cycle leaves behind — stored plans,
 * runs, finished journal entries and (when asked) audit events — so that a daemon running for
 * years keeps a state file of a steady size.
 *
 * Config: retention = { days = 90, audit_days = false }. days: plans, runs and finished journal
 * entries older than this are deleted (the newest 20 plans and runs always stay, and so do the
 * plan that holds the shrink guardrail's baseline, open plans, and journal entries not finished);
 * false keeps everything. audit_days: audit events older than this are deleted; false (default)
 * keeps the audit trail for ever. */
#ifndef HRSYNC_RETENTION_H
#define HRSYNC_RETENTION_H

#include <stdint.h>
#include "hrsync/config.h"
#include "hrsync/err.h"
#include "hrsync/store.h"

typedef struct hrs_retention {
    int days;          /* 0 = keep everything */
    int audit_days;    /* 0 = keep the audit trail */
} hrs_retention;

typedef struct hrs_retention_counts {
    long plans, runs, journal, audit;   /* rows deleted */
} hrs_retention_counts;

/* Reads config `retention` into r (defaults: days 90, audit kept). Returns 0, or -1 with err
 * naming the config file and line. */
int hrs_retention_load(const hrs_config *c, hrs_retention *r, hrs_err *err);

/* Deletes what is older than r allows, as of now (seconds since the epoch, the engine's clock),
 * in one transaction; n (may be NULL) gets the rows deleted. Returns 0, or -1 (nothing deleted). */
int hrs_retention_prune(hrs_store *s, const hrs_retention *r, int64_t now, hrs_retention_counts *n, hrs_err *err);

#endif
