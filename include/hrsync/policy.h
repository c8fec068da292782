/* policy.h: the admin's Lua policy, run in a sandboxed Lua 5.4 VM.
 *
 * A policy file returns a table of hooks:
 *   include(person)    -> boolean [, reason]   whether the person has an account now
 *   attributes(person) -> table                directory attributes (Graph user property names)
 *   upn(person)        -> { "cand1@…", … }     ordered login-name candidates (or one string)
 *   groups(person)     -> { "Group name", … } [, { {group = …, rule = …}, … }]
 *                                              the managed groups the person belongs in, and
 *                                              optionally why (shown by `hrsync explain`)
 *   lifecycle          =  table                settings (see docs), passed through as JSON
 * include, attributes and upn are required; groups and lifecycle are optional. The names
 * name, version, description and settings are reserved (accepted and ignored). Unknown hook
 * names are rejected at load with a "did you mean". `require` reaches only the policy's folder
 * and the shipped library (scripts/). Each hook call runs under an instruction budget and a
 * memory cap; errors carry the admin's file:line and a traceback.
 *
 * Values across the boundary:
 *   person -> Lua: objects are tables, arrays are sequences, strings, integers, floats and
 *     booleans map to themselves. null inside an object is left out (so `p.termination_date ==
 *     nil` works); null inside an array becomes the sentinel `hrsync_null` (positions kept).
 *     Each hook gets its own fresh copy of the person.
 *   attributes -> JSON: strings stay strings, booleans booleans; integers become JSON integers
 *     and are accepted only where Graph's type is a number (deviceEnrollmentLimit): a number
 *     for a string property such as givenName is an error (no silent tostring). Floats are
 *     refused. `hrsync_null` becomes JSON null, meaning "clear this value in the directory";
 *     nil (absent) means "leave the directory's value alone". Tables become lists for
 *     collection properties (an empty table is an empty list, which clears it) and objects
 *     for complex ones (employeeOrgData, onPremisesExtensionAttributes).
 *   upn / groups -> JSON arrays of strings, duplicates removed (UPNs case-insensitively).
 *   lifecycle -> JSON: tables with keys 1..n are arrays, other tables objects (empty: object),
 *     numbers keep integer/float, hrsync_null is null.
 *
 * Sandbox: base (without dofile, loadfile, warn; load takes text chunks only; collectgarbage
 * only "collect", "count", "step", "isrunning"; setmetatable refuses __gc; rawset refuses
 * protected tables; print logs at info level; xpcall's handler is skipped once the budget has
 * run out), string (without dump), table, math (fixed seed,
 * no randomseed), utf8, and os with only time, date (both on the pinned "today", UTC) and
 * clock. Library tables are read-only. Globals are strict once a chunk has run. The global
 * hrsync_today() returns the pinned date "YYYY-MM-DD".
 *
 * A policy object is used by one thread at a time. */
#ifndef HRSYNC_POLICY_H
#define HRSYNC_POLICY_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_policy hrs_policy;

typedef struct hrs_policy_opts {
    const char *path;          /* the policy file */
    const char *lib_dir;       /* the shipped library folder (contains hrsync/upn.lua …); NULL = none */
    const char *today;         /* the cycle's "now" as YYYY-MM-DD (the sandbox clock); NULL = the
                                  UTC date at load, pinned from then on */
    long instruction_budget;   /* per hook call, and for running the file at load; 0 = default
                                  (10 million); counted in steps of 1000; every 64 bytes
                                  allocated count as one instruction */
    size_t memory_limit;       /* bytes for the whole VM; 0 = default (64 MiB) */
    const char *text;          /* NULL: the policy is read from path. Otherwise its text (text_len
                                  bytes), loaded as if it were the file at path (which names it in
                                  messages and whose folder `require` searches): `hrsync check`
                                  runs the policy recorded with the last cycle this way */
    size_t text_len;
} hrs_policy_opts;

/* What the policy decided for one person. Every json_t is owned by the decision. */
typedef struct hrs_decision {
    int include;               /* 1 = should have an account now */
    char reason[256];          /* include's second return value, or "" */
    json_t *attributes;        /* object: Graph property -> string / bool / integer / null / array / object */
    json_t *upns;              /* array of strings, at least one */
    json_t *groups;            /* array of strings, possibly empty */
    json_t *group_rules;       /* array of {group, rule}: why each group was chosen, from an optional
                                  second value of groups() (hrsync.groups.hook returns it); NULL
                                  when the hook gave none */
} hrs_decision;

/* Why the last hrs_policy_load/hrs_policy_decide failed; the engine can count budget and
 * memory overruns apart from policy bugs without reading the message. */
typedef enum hrs_policy_failure {
    HRS_POLICY_OK = 0,         /* no failure */
    HRS_POLICY_ERROR,          /* a Lua error (runtime, syntax, require) */
    HRS_POLICY_BUDGET,         /* the instruction budget ran out */
    HRS_POLICY_MEMORY,         /* the memory limit was reached */
    HRS_POLICY_INVALID         /* a hook returned something of the wrong shape or value */
} hrs_policy_failure;

/* Loads and checks a policy: builds a fresh VM, runs the file under the budget, checks the
 * returned hooks. Returns a policy owned by the caller (free with hrs_policy_free), or NULL
 * with err naming file:line on failure. */
hrs_policy *hrs_policy_load(const hrs_policy_opts *opts, hrs_err *err);

/* Pins the sandbox's "today" (YYYY-MM-DD) for the following decisions, so that a VM can serve
 * several cycles. Returns 0, or -1 with err if the date is not valid (the old one stays). */
int hrs_policy_set_today(hrs_policy *p, const char *today, hrs_err *err);

/* Runs the hooks for one person (a JSON object, borrowed). On failure (error in a hook,
 * budget exceeded, memory limit, invalid return) returns -1 with err naming the person (its
 * "id"), the hook and file:line, with a traceback for Lua errors; the person is to be
 * quarantined and the policy stays usable for the next one. out is zeroed first, and on
 * failure holds nothing to free. When include is false, attributes/upns/groups are NULL. */
int hrs_policy_decide(hrs_policy *p, const json_t *person, hrs_decision *out, hrs_err *err);

/* The kind of the last failure of hrs_policy_decide on p (HRS_POLICY_OK after a success). */
hrs_policy_failure hrs_policy_last_failure(const hrs_policy *p);

/* The lifecycle table as JSON (borrowed; may be an empty object). */
const json_t *hrs_policy_lifecycle(const hrs_policy *p);

/* 64 hex digits naming the modules the policy has required so far (names and file contents,
 * chained in load order; all zeros when none). A module required lazily, inside a hook, changes
 * it: the engine's decision cache keys on it, so such a policy re-decides every cycle. */
void hrs_policy_code_digest(const hrs_policy *p, char out[65]);

/* The same digest over the modules' files as they are on disk now (out), and 1 when it differs
 * from the one they were loaded with (a module was edited since), else 0. */
int hrs_policy_modules_on_disk(const hrs_policy *p, char out[65]);

/* Frees the JSON inside a decision and zeroes it. */
void hrs_decision_clear(hrs_decision *d);

/* Closes the VM. NULL is allowed. */
void hrs_policy_free(hrs_policy *p);

/* ---- hot reload (engine/policy_reload.c) ---- */

/* Reads the policy file at path: its bytes into *text (NUL-terminated, caller frees; *len
 * without the NUL) and its version "sha256:<hex of the bytes>" (as `hrsync status` shows it).
 * Files over 1 MiB are refused. Returns 0, or -1 with err. */
int hrs_policy_file_read(const char *path, char **text, size_t *len, char version[80], hrs_err *err);

/* Tries a changed policy before it replaces the running one: loads opts into a fresh VM and
 * decides every person of people (the persons of the last cycle, JSON objects; NULL or empty is
 * allowed) on opts->today. The running policy is not touched: the caller swaps it for *out.
 * Succeeds (0, *out owned by the caller) unless the policy does not load, or fails for some of
 * the persons and takes none of the others into scope (a broken attributes or upn hook fails for
 * everyone in scope yet decides those out of scope): then -1 with err (the first failure and
 * how many failed) and *out NULL. *problems (problems may be NULL) lists the persons it failed for, as
 * [{person, reason, failure: "error" | "budget" | "memory" | "invalid"}] (caller owns; NULL on
 * failure): the next plan quarantines them, as it would with any policy. */
int hrs_policy_reload(const hrs_policy_opts *opts, const json_t *people, hrs_policy **out, json_t **problems,
                      hrs_err *err);

#endif
