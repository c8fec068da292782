/* policy.h: the admin's Lua policy, run in a sandboxed Lua 5.4 VM.
 *
 * A policy file returns a table of hooks:
 *   include(person)    -> boolean [, reason]   whether the person has an account now
 *   attributes(person) -> table                directory attributes (Graph user property names)
 *   upn(person)        -> { "cand1@…", … }     ordered login-name candidates
 *   groups(person)     -> { "Group name", … }  the managed groups the person belongs in
 *   lifecycle          =  table                settings (see docs), passed through as JSON
 * Unknown hook names are rejected at load. `require` reaches only the policy's folder and the
 * shipped library (scripts/). Each hook call runs under an instruction budget and a memory cap;
 * errors carry the admin's file:line and a traceback. */
#ifndef HRSYNC_POLICY_H
#define HRSYNC_POLICY_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_policy hrs_policy;

typedef struct hrs_policy_opts {
    const char *path;          /* the policy file */
    const char *lib_dir;       /* the shipped library folder (contains hrsync/upn.lua …) */
    const char *today;         /* the cycle's "now" as YYYY-MM-DD (the sandbox clock) */
    long instruction_budget;   /* per hook call; 0 = default (10 million) */
    size_t memory_limit;       /* bytes for the whole VM; 0 = default (64 MiB) */
} hrs_policy_opts;

/* What the policy decided for one person. Every json_t is owned by the decision. */
typedef struct hrs_decision {
    int include;               /* 1 = should have an account now */
    char reason[256];          /* include's second return value, or "" */
    json_t *attributes;        /* object: Graph property -> string / bool / null / array */
    json_t *upns;              /* array of strings */
    json_t *groups;            /* array of strings */
} hrs_decision;

/* Loads and checks a policy. Returns NULL with err naming file:line on failure. */
hrs_policy *hrs_policy_load(const hrs_policy_opts *opts, hrs_err *err);

/* Runs the hooks for one person. On failure (error in a hook, budget exceeded, invalid return)
 * returns -1 with err naming the hook and file:line; the person is to be quarantined. When
 * include is false, attributes/upns/groups are left NULL. */
int hrs_policy_decide(hrs_policy *p, const json_t *person, hrs_decision *out, hrs_err *err);

/* The lifecycle table as JSON (borrowed; may be an empty object). */
const json_t *hrs_policy_lifecycle(const hrs_policy *p);

/* Frees the JSON inside a decision and zeroes it. */
void hrs_decision_clear(hrs_decision *d);

/* Closes the VM. NULL is allowed. */
void hrs_policy_free(hrs_policy *p);

#endif
