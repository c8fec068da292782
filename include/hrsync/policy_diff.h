/* policy_diff.h: what a policy edit changes, from the decisions (decide.h) of the old and the new
 * policy for the same persons, as `hrsync check` reports it ("this edit would move 14 people to
 * SG-Finance and rename 2").
 *
 * The difference, as JSON:
 *   { "persons": n,
 *     "scope_in": [id…], "scope_out": [id…],              include() turned true / false
 *     "attributes": { name: [ {person, old, new} … ] },    both in scope, value differs
 *     "groups_add": { group: [id…] }, "groups_remove": { group: [id…] },
 *     "upn": [ {person, old, new} ],                       the first UPN candidate differs
 *     "failing": [id…], "fixed": [id…] }                   the policy fails for them now / no more
 * A person brought into scope counts towards the groups they get, one taken out of scope
 * towards those they lose. Lists are sorted by person id. */
#ifndef HRSYNC_POLICY_DIFF_H
#define HRSYNC_POLICY_DIFF_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

/* Compares old and new (objects person id -> decision) over the persons of people (an array of
 * records; those without an id are skipped). Caller owns the result. */
json_t *hrs_policy_diff(const json_t *people, const json_t *old_decisions, const json_t *new_decisions);

/* The difference in one sentence into out: "this edit would move 14 people to SG-Finance and
 * rename 2", or "this edit changes no decision for the 120 people of the last cycle". */
void hrs_policy_diff_sentence(const json_t *diff, char *out, size_t n);

/* The difference line by line (group moves, scope, attributes with an example, renames,
 * quarantine), each line indented by two spaces. */
void hrs_policy_diff_print(const json_t *diff, FILE *f);

#endif
