/* engine.h: one sync cycle, as the command line and the Lua module run it:
 * read the source, run the policy, read the directory, link, plan, and (for sync) apply.
 * The engine owns the config, state store, policy VM and Graph client of one configuration. */
#ifndef HRSYNC_ENGINE_H
#define HRSYNC_ENGINE_H

#include <jansson.h>
#include <signal.h>
#include "hrsync/config.h"
#include "hrsync/err.h"
#include "hrsync/store.h"

typedef struct hrs_engine hrs_engine;

/* Opens the configuration at path (overrides as in hrs_config_load; may be NULL), the state
 * file, and the policy. Nothing is sent anywhere yet. */
hrs_engine *hrs_engine_open(const char *config_path, const json_t *overrides, hrs_err *err);
void hrs_engine_close(hrs_engine *e);

const hrs_config *hrs_engine_config(const hrs_engine *e);

/* Reads the source and the directory and builds the plan (caller owns *plan), with its
 * "fingerprint" and the "guardrails" it exceeds, and stores it (plan_store.h), which sets its
 * "id". Nothing is written to the directory. */
int hrs_engine_plan(hrs_engine *e, json_t **plan, hrs_err *err);

/* Applies a plan built by hrs_engine_plan, without checking guardrails or fingerprint; *result
 * as in hrs_apply_plan (caller owns). A stored plan (one with an id) is claimed first, so it is
 * applied once, and marked applied after; every operation gets an audit event. */
int hrs_engine_apply(hrs_engine *e, const json_t *plan, json_t **result, hrs_err *err);

/* hrs_engine_sync and hrs_engine_apply_stored return this when a guardrail stopped the plan:
 * nothing was applied, err says why ("guardrail: …; review the plan and run hrsync apply ID
 * --force"), and *plan is the stored plan. */
enum { HRS_ENGINE_STOPPED = 1 };

/* Plans (hrs_engine_plan: the plan is stored, with its id, fingerprint and guardrails), then
 * applies it unless a guardrail stops it and force is 0. *plan and *result (NULL when nothing
 * was applied) are the caller's. Returns 0, HRS_ENGINE_STOPPED or -1. */
int hrs_engine_sync(hrs_engine *e, int force, json_t **plan, json_t **result, hrs_err *err);

/* Applies the stored plan plan_id: reloads it, re-reads HR and the directory, and refuses (-1)
 * when the inputs' fingerprint differs ("HR or the directory changed since plan … was made: run
 * hrsync plan again") or when the plan was applied already; otherwise applies exactly the stored
 * plan, unless a guardrail (as configured now) stops it and force is 0. Returns 0,
 * HRS_ENGINE_STOPPED or -1; *plan and *result as in hrs_engine_sync. */
int hrs_engine_apply_stored(hrs_engine *e, const char *plan_id, int force, json_t **plan, json_t **result, hrs_err *err);

/* Finishes the operations an interrupted run left in the journal (journal.h), under a run of
 * its own ("resume"); hrs_engine_sync and hrs_engine_apply_stored do it before planning. *result
 * is as in hrs_apply_resume (NULL when nothing was left; caller owns). Returns 0 or -1. */
int hrs_engine_recover(hrs_engine *e, json_t **result, hrs_err *err);

/* One Graph request with this engine's client (hrs_graph_call): tests use it to change the
 * directory by hand, as an admin would in Entra. */
int hrs_engine_graph_call(hrs_engine *e, const char *method, const char *path, const json_t *body, json_t **out,
                          hrs_err *err);

/* Graph request counters of this engine's client (requests, writes, throttled, retries, packed,
 * users_read, delta_rounds, full_resyncs, budget_wait_s; graph.h) as JSON. */
json_t *hrs_engine_stats(const hrs_engine *e);

/* What a caller (the daemon, a command at a terminal) hands to the following cycles; all
 * optional, borrowed, and kept until the next call. */
typedef struct hrs_engine_cycle {
    int full;                       /* 1 = a full reconcile; 0 = incremental where a source keeps a
                                       cursor (only when incremental is set) */
    volatile sig_atomic_t *stop;    /* apply stops between $batch requests once *stop != 0 */
    void (*progress)(void *ud, size_t done, size_t total);  /* apply: after each batch */
    void *progress_ud;
    const char *lease_holder;       /* the caller holds the state file's lease under this name; NULL:
                                       hrs_engine_apply takes one for itself and releases it */
    int incremental;                /* 1 = cycles that are not full read a source that keeps a cursor
                                       (Personio, AlexisHR) from updated_since: only the people changed
                                       since the last cycle that applied whole; 0 = every read is full */
} hrs_engine_cycle;
void hrs_engine_set_cycle(hrs_engine *e, const hrs_engine_cycle *c);

/* Wall-clock and CPU seconds of the phases of the last hrs_engine_plan / hrs_engine_apply. */
typedef struct hrs_engine_phase { double wall_s, cpu_s; } hrs_engine_phase;
typedef struct hrs_engine_timings {
    hrs_engine_phase source;        /* reading the HR source */
    hrs_engine_phase policy;        /* the policy over every person */
    hrs_engine_phase directory;     /* reading users and managed groups from Graph */
    hrs_engine_phase plan;          /* linking and building the plan */
    hrs_engine_phase fingerprint;   /* the plan's input fingerprint (plan_store.h) */
    hrs_engine_phase save;          /* guardrails and storing the plan */
    hrs_engine_phase apply;
    size_t people;                  /* person records read */
} hrs_engine_timings;
const hrs_engine_timings *hrs_engine_timings_get(const hrs_engine *e);

/* The engine's state store (borrowed), for the lease and the daemon's status values. */
hrs_store *hrs_engine_store(hrs_engine *e);

/* ---- the policy in use, and changing it while the engine runs (engine/engine_policy.c) ----
 * A changed policy file is loaded into a fresh VM and run against the persons of the last cycle
 * (this engine's last read, else those the state file recorded); it replaces the running policy
 * only if it loads and takes at least one of them into scope without failing (hrs_policy_reload).
 * A policy that fails for some persons is taken (the next plan quarantines them, as always); a
 * load error, or failures with nobody decided into scope, keep the running policy: the error is
 * logged and shown by hrs_engine_policy_status. */

/* {path, version ("sha256:<hex>" of the file as loaded), loaded_at (UTC), last_reload_at (null
 * before a reload), last_reload_error (null, or why the last reload kept the running policy),
 * problems ([{person, reason, failure}] the last successful reload found; null before one)}
 * (caller owns). */
json_t *hrs_engine_policy_status(const hrs_engine *e);

/* Reloads the policy file now (SIGHUP). Returns 0 when the new policy is in use, -1 with err
 * when the running one stays (the error is also logged and kept for the status). */
int hrs_engine_reload_policy(hrs_engine *e, hrs_err *err);

/* Reloads the policy when its file, or a module it required, changed since it was loaded (its
 * SHA-256 differs); the daemon calls it once per cycle. A version that failed is not tried again
 * until the file (or the modules) change again.
 * Returns 1 when a new policy is in use, 0 when nothing changed, -1 when a reload failed. */
int hrs_engine_maybe_reload(hrs_engine *e);

/* The person records and the decisions of the last hrs_engine_plan (borrowed; NULL before one). */
void hrs_engine_last_cycle(const hrs_engine *e, const json_t **people, const json_t **decisions);

/* Lets go of the last read's people and decisions (a reload then tries a new policy on the
 * persons recorded in the state file). A new read does it before reading, so two companies are
 * never held at once; the daemon does it after each cycle, so it idles small. */
void hrs_engine_forget_last_cycle(hrs_engine *e);

#endif
