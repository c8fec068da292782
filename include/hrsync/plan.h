/* plan.h: reconciliation of what the policy wants with what the directory holds, and the plan
 * that results. A plan is a first-class JSON document, printed as a readable diff, emitted as
 * JSON and applied by apply.h. It never holds a password or a token.
 *
 *   { "today": "YYYY-MM-DD",
 *     "summary": { "people", "in_scope", "out_of_scope", "create", "update", "link", "enable",
 *                  "disable", "leave_date", "revoke", "group_add", "group_remove", "manager",
 *                  "rename", "drift", "unchanged", "quarantined" },
 *     "changes": [ entry… ],            one per person with something to do or to report
 *     "quarantine": [ { "person", "name", "reason", "failure"? } ],   people nothing is written for, and
 *                                       why; "failure" when the policy failed for them: "error",
 *                                       "budget", "memory", "invalid" or "date" (decide.h)
 *     "notes": [ "…" ],                 what hrsync noticed and left alone
 *     "id", "fingerprint", "guardrails" }  set by the engine: the stored plan's id, the SHA-256 of
 *                                       its inputs, and the limits it exceeds (plan_store.h,
 *                                       guardrails.h)
 *
 * An entry:
 *   "person", "name", "action": "create" | "update" | "leaver",
 *   "lifecycle": "joiner" | "mover" | "rehire" | "leaver"
 *   create:  "upn", "upn_candidates", "account_enabled", "attributes" (all values),
 *            "replaces" (rehire = "new": the old account's object id, left as it is)
 *   update / leaver: "object_id", "upn", "linked_by" ("stored link", "employeeId",
 *            "email = userPrincipalName", "email = mail")
 *   "changes":  [ {"attribute", "old", "new"} ]     attributes to write (PATCH)
 *   "drift":    [ {"attribute", "hr", "directory", "last_written", "action": "overwrite" | "keep"} ]
 *               values changed by hand in the directory since hrsync wrote them (report)
 *   "rename":   {"old", "new", "candidates"}         PATCH userPrincipalName
 *   "enable":   {"reason"}                           PATCH accountEnabled = true
 *   "disable":  {"reason", "since"}                  PATCH accountEnabled = false
 *   "leave_date": {"old", "new"}                     PATCH employeeLeaveDateTime
 *   "revoke":   true                                 POST revokeSignInSessions
 *   "groups_add" / "groups_remove": [ {"group", "id"} ]   managed groups only
 *   "manager":  {"person", "name", "id" (null: created in this run), "old"}   PUT manager/$ref
 *
 * Lifecycle settings (the policy's `lifecycle` table; defaults in brackets):
 *   create_disabled [false]  new accounts start disabled and are enabled on the hire date
 *   leaver = { disable [true], set_leave_date [false], remove_groups [true],
 *              revoke_sessions [true] }   what a linked person the policy no longer includes gets
 *   rehire [relink]          "relink": the old account is enabled and updated; "new": a new one
 *   drift [hr_wins]          "hr_wins": a value changed by hand is overwritten; "keep": reported only
 *   rename_upn [false]       a linked account whose UPN is no longer a candidate is renamed
 *   manager [true]           supervisor_id sets the manager
 *   timezone_field [none]    the person field naming the person's time zone (engine.c)
 *   prehire_days             informational (the policy's include() decides)
 */
#ifndef HRSYNC_PLAN_H
#define HRSYNC_PLAN_H

#include <jansson.h>
#include <stdio.h>
#include "hrsync/err.h"

/* What reconciliation needs, all borrowed. */
typedef struct hrs_plan_input {
    const char *today;
    const json_t *people;      /* array of person records */
    const json_t *decisions;   /* object person id -> {include, reason, attributes, upns, groups,
                                  today (the person's own date, optional), leave_datetime
                                  (optional: the end of the termination day in the person's
                                  zone)} or {error: "…"} for people the policy could not decide */
    const json_t *users;       /* array of directory users; "manager": {"id"} when read */
    const json_t *groups;      /* object group displayName -> {id, members: {object id: true}} or null
                                  when the group does not exist */
    const json_t *links;       /* object person id -> {object_id, upn} */
    const json_t *lifecycle;   /* the policy's lifecycle table */
    const json_t *source_quarantine; /* array from the source */
    const json_t *applied;     /* object person id -> {attribute: last written value}; may be NULL */
    const json_t *reserved;    /* object lower-cased UPN -> person id: UPNs of creates an
                                  unfinished run has not finished; may be NULL */
    int partial;               /* 1 when the source read was incremental (only changed people):
                                  nobody counts as gone from the source */
} hrs_plan_input;

/* Builds the plan. The caller owns *plan. Fails (-1, err) only on a lifecycle setting of the
 * wrong type or value, or when out of memory. */
int hrs_plan_build(const hrs_plan_input *in, json_t **plan, hrs_err *err);

/* Number of operations the plan holds: creates, links, attribute updates, renames, enables,
 * disables, leave dates, session revocations, group additions and removals, managers. */
size_t hrs_plan_count(const json_t *plan);

/* Prints the plan as a readable diff grouped by person. color: use ANSI colours. */
void hrs_plan_print(const json_t *plan, FILE *out, int color);

/* Prints the "Applied: …" line of an apply result (apply.h), naming every kind of operation
 * that was carried out. */
void hrs_plan_print_result(const json_t *result, FILE *out);

/* Prints one entry of the plan's "changes" as hrs_plan_print does (`hrsync explain`). */
void hrs_plan_print_entry(const json_t *entry, FILE *out, int color);

#endif
