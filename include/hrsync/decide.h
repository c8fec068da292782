/* decide.h: running the policy over person records, as a cycle does: each person on their own
 * date (lifecycle.timezone_field), failures kept per person (the person is quarantined, the
 * rest go on), and the kinds of failure counted apart (a policy bug, the instruction budget, the
 * memory cap, an invalid return).
 *
 * A decision, as plan.h's hrs_plan_input.decisions holds it:
 *   {include, reason, attributes, upns, groups, group_rules?, today?, leave_datetime?}
 *   or {error: "…", failure: "error" | "budget" | "memory" | "invalid" | "date"}
 * attributes, upns and groups only when include is true; group_rules when the groups hook says
 * why (policy.h); today when the person's date differs from the company's; leave_datetime for
 * a person with a termination date (the end of that day in their zone).
 *
 * Used by the engine's cycle (engine.c), `hrsync check` and `hrsync explain`. */
#ifndef HRSYNC_DECIDE_H
#define HRSYNC_DECIDE_H

#include <jansson.h>
#include "hrsync/config.h"
#include "hrsync/err.h"
#include "hrsync/policy.h"
#include "hrsync/tz.h"

typedef struct hrs_decide_ctx {
    hrs_policy *policy;          /* borrowed; its "today" is moved per person and set back */
    hrs_tz *tz;                  /* borrowed */
    const hrs_tz_clock *clock;   /* borrowed */
    const char *today;           /* the company's date, YYYY-MM-DD */
    struct hrs_decide_cache *cache;  /* borrowed, may be NULL: decisions reused and kept
                                        (decide_cache.h); the caller finishes it */
} hrs_decide_ctx;

/* Failures of one run over many persons, by kind (hrs_policy_failure). */
typedef struct hrs_decide_counts {
    size_t decided, failed;
    size_t by_kind[HRS_POLICY_INVALID + 1];
    size_t dates;                /* a person's time zone or termination date was unusable */
} hrs_decide_counts;

/* Decides every person of the array people (records without a string "id" are skipped):
 * returns an object person id -> decision (caller owns). attr_names and group_names (objects,
 * may be NULL) collect the attribute and group names in use. counts (may be NULL) receives the
 * tally. Never fails: a person that cannot be decided gets an {error} decision. */
json_t *hrs_decide_people(const hrs_decide_ctx *c, const json_t *people, json_t *attr_names, json_t *group_names,
                          hrs_decide_counts *counts);

/* Opens the time zones and sets up the clock of a cycle from the config (`now`, `timezone`) as
 * the engine does, writing the company's date into cfg->today. Returns the zones (caller closes
 * them with hrs_tz_close), or NULL with err naming the config file. */
hrs_tz *hrs_decide_clock_open(hrs_config *cfg, hrs_tz_clock *clock, hrs_err *err);

/* "the policy failed for 3 of 120 people (1 error, 2 over the instruction budget)" into out, or
 * "" when nothing failed. */
void hrs_decide_counts_text(const hrs_decide_counts *n, char *out, size_t size);

/* The name of a failure kind as decisions carry it: "error", "budget", "memory", "invalid". */
const char *hrs_decide_failure_name(hrs_policy_failure kind);

#endif
