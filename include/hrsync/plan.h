/* plan.h: reconciliation of what the policy wants with what the directory holds, and the plan
 * that results. A plan is a first-class JSON document, printed as a readable diff, emitted as
 * JSON and applied by apply.h. It never holds a password or a token.
 *
 *   { "today": "YYYY-MM-DD",
 *     "summary": { "people", "in_scope", "out_of_scope", "create", "update", "group_add",
 *                  "group_remove", "unchanged", "quarantined" },
 *     "changes": [ { "person", "name", "action": "create" | "update",
 *                    "upn", "upn_candidates" (create), "object_id", "linked_by" (update),
 *                    "account_enabled" (create), "attributes" (create: all values),
 *                    "changes": [ {"attribute", "old", "new"} ] (update),
 *                    "groups_add": [ {"group", "id"} ], "groups_remove": [ {"group", "id"} ] } ],
 *     "quarantine": [ { "person", "name", "reason" } ],
 *     "notes": [ "…" ] } */
#ifndef HRSYNC_PLAN_H
#define HRSYNC_PLAN_H

#include <jansson.h>
#include <stdio.h>
#include "hrsync/err.h"

/* What reconciliation needs, all borrowed. */
typedef struct hrs_plan_input {
    const char *today;
    const json_t *people;      /* array of person records */
    const json_t *decisions;   /* object person id -> {include, reason, attributes, upns, groups}
                                  or {error: "…"} for people the policy could not decide */
    const json_t *users;       /* array of directory users */
    const json_t *groups;      /* object group displayName -> {id, members: {object id: true}} or null
                                  when the group does not exist */
    const json_t *links;       /* object person id -> {object_id, upn} */
    const json_t *lifecycle;   /* the policy's lifecycle table */
    const json_t *source_quarantine; /* array from the source */
} hrs_plan_input;

/* Builds the plan. The caller owns *plan. */
int hrs_plan_build(const hrs_plan_input *in, json_t **plan, hrs_err *err);

/* Number of operations the plan holds (creates, attribute updates, group changes). */
size_t hrs_plan_count(const json_t *plan);

/* Prints the plan as a readable diff grouped by person. color: use ANSI colours. */
void hrs_plan_print(const json_t *plan, FILE *out, int color);

#endif
