/* guardrails.h: safety limits that stop a plan before anything is applied.
 *
 *   guardrails = { max_disable = 10, max_disable_ratio = 0.1, max_group_remove = 50,
 *                  max_rename = 10, max_quarantined = 10, max_quarantined_ratio = 0.2 },
 *   source = { …, max_shrink = 0.2 },
 *
 * A plan over a limit is stored but not applied by `sync` or `apply` without --force, and the
 * reason names the count and the setting. Counts are checked against plan.summary (disable,
 * group_remove, rename, quarantined, in_scope, people; a key that is absent counts 0). A limit
 * set to false is off. The shrink check (hrs_source_shrink_check) compares the records the
 * source returned with those of the last successful full read. */
#ifndef HRSYNC_GUARDRAILS_H
#define HRSYNC_GUARDRAILS_H

#include <jansson.h>
#include <stddef.h>
#include "hrsync/config.h"
#include "hrsync/err.h"

/* The limits; a negative value means "no limit". */
typedef struct hrs_guardrails {
    double max_disable;            /* accounts disabled by one plan */
    double max_disable_ratio;      /* disabled / people in scope (counting those disabled) */
    double max_group_remove;       /* group memberships removed */
    double max_rename;             /* UPN changes */
    double max_quarantined;        /* people skipped with a reason */
    double max_quarantined_ratio;  /* quarantined / records read */
    double max_shrink;             /* source.max_shrink: share of records that may disappear
                                      (hrs_source_shrink_check; 1 = off) */
} hrs_guardrails;

/* The defaults (the numbers above). */
void hrs_guardrails_defaults(hrs_guardrails *g);

/* Reads the config's guardrails table and source.max_shrink over the defaults. An unknown key
 * is refused with the config's file:line and the nearest known key; a value must be a number
 * >= 0 (ratios at most 1) or false. source.max_shrink is read by hrs_source_max_shrink.
 * Returns 0 or -1. */
int hrs_guardrails_load(const hrs_config *c, hrs_guardrails *g, hrs_err *err);

/* What a plan is checked against. */
typedef struct hrs_guardrails_input {
    const json_t *summary;   /* plan.summary (borrowed) */
    size_t records;          /* records the source returned (people and quarantined records) */
    size_t previous;         /* records of the last successful full read; 0 = none yet */
    int partial;             /* an incremental read: the shrink check does not apply */
} hrs_guardrails_input;

/* Returns a new array of the limits the plan exceeds (empty when none), each
 * {rule, limit, value, message}, message e.g. "37 disables exceed max_disable = 10". */
json_t *hrs_guardrails_check(const hrs_guardrails *g, const hrs_guardrails_input *in);

/* Writes into err why a plan is stopped: "guardrail: <each message>; review the plan and run
 * hrsync apply PLAN-ID --force" (without the advice when plan_id is NULL). Returns -1. */
int hrs_guardrails_explain(const json_t *violations, const char *plan_id, hrs_err *err);

#endif
