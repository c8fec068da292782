/* engine_internal.h: the engine's state, shared by engine.c (the cycle) and engine_policy.c
 * (the policy in use: hot reload and its status). Not a public header. */
#ifndef HRSYNC_ENGINE_INTERNAL_H
#define HRSYNC_ENGINE_INTERNAL_H

#include "hrsync/audit.h"
#include "hrsync/engine.h"
#include "hrsync/graph.h"
#include "hrsync/guardrails.h"
#include "hrsync/journal.h"
#include "hrsync/plan_store.h"
#include "hrsync/policy.h"
#include "hrsync/retention.h"
#include "hrsync/source.h"
#include "hrsync/tz.h"

/* The policy file in use (engine_policy.c). */
typedef struct hrs_engine_policy_state {
    char version[80];              /* "sha256:<hex>" of the file's bytes as loaded */
    char *text;                    /* the file's text as loaded (owned), recorded with each cycle */
    size_t len;
    char loaded_at[32];            /* UTC */
    char failed_version[80];       /* the version a reload refused: not tried again until it changes */
    char failed_modules[65];       /* the modules' digest on disk when a reload for them failed */
    char cache_digest[65];         /* the modules' digest when this cycle's decision cache opened */
    char *last_error;              /* the last reload's error (owned); NULL after a success */
    char last_reload_at[32];       /* "" before the first reload */
    json_t *reload_problems;       /* [{person, reason}]: persons the policy in use fails for, as the
                                      last successful reload found (owned; NULL before one) */
} hrs_engine_policy_state;

/* What the cycle being planned knows for the memo of a cycle with nothing to do (engine_settle.c). */
typedef struct hrs_engine_settle {
    int recordable;                /* directory.delta is on and the source has a version */
    int from_memo;                 /* this cycle's plan is the memo's */
    char context[65];              /* the context digest */
    char code[65];                 /* the policy code's digest it was taken with */
    char source[120];              /* the source's version */
    json_t *groups;                /* the managed groups as the plan read them (a reference) */
    json_t *inputs;                /* {select, managers, groups} of the directory read (owned) */
} hrs_engine_settle;

struct hrs_engine {
    hrs_config *cfg;
    hrs_store *store;
    hrs_policy *policy;
    hrs_graph *graph;
    hrs_audit *audit;              /* the audit trail of applied operations */
    hrs_guardrails guard;          /* the limits a plan is checked against */
    hrs_retention retention;       /* how long the state file keeps plans, runs, journal, audit */
    hrs_engine_cycle cycle;        /* from the caller (hrs_engine_set_cycle) */
    hrs_engine_timings timings;    /* of the last plan and apply */
    hrs_journal *journal;          /* the operation journal (journal.h) */
    hrs_tz *tz;                    /* dates in time zones (tz.h) */
    hrs_tz_clock clock;            /* this engine's "now" and the company's zone */
    hrs_engine_policy_state pol;   /* the policy file in use (engine_policy.c) */
    json_t *last_people;           /* the person records of the last read (owned; NULL before one) */
    json_t *last_decisions;        /* the policy's decisions for them (owned) */
    char source_cursor[40];        /* the cursor of the last read, kept once its cycle applied whole */
    hrs_engine_settle settle;      /* the memo of this cycle (engine_settle.c) */
};

/* Reads the policy file named by the config and loads it (engine_policy.c). Returns 0, or -1
 * with err naming the file:line. */
int hrs_engine_policy_open(hrs_engine *e, hrs_err *err);

/* Frees what engine_policy.c keeps in e (the policy itself is freed by hrs_engine_close). */
void hrs_engine_policy_close(hrs_engine *e);

/* After a read: records the persons and the policy text in the state file (snapshot.h) and keeps
 * people and decisions (taking a reference) for explain. A failure to record is logged: the
 * cycle goes on. */
void hrs_engine_policy_record(hrs_engine *e, json_t *people, json_t *decisions, int full);
/* The decision cache of a cycle (decide_cache.h) keyed on the policy in use, or NULL (logged)
 * when the state file cannot give one: the cycle then runs the policy for everyone. Closing
 * writes what it kept (full: the people are the whole company) and logs a failure. */
struct hrs_decide_cache *hrs_engine_decide_cache_open(hrs_engine *e);
void hrs_engine_decide_cache_close(hrs_engine *e, struct hrs_decide_cache *c, const json_t *decisions, int full);

/* Reads each managed group named in names (an object name -> true) by displayName, with its
 * members: *out = {name: {id, members: {id: true}} or null} (caller owns) (engine.c). */
int hrs_engine_read_groups(hrs_engine *e, const json_t *names, json_t **out, hrs_err *err);

/* The memo of a cycle with nothing to do (engine_settle.c, settle.h). begin: at the start of a
 * read, works out the context and the source's version (0, or -1 with err). try: when the cycle
 * is incremental and everything is as in the memo, *plan is the memo's plan and *meta its meta
 * (1); 0 when the cycle must plan in full; -1 with err. src is NULL before the source is read
 * (file sources), or the read (sources with a cursor). forget: before a full plan reads the
 * directory. inputs: what the full plan read the directory with. after: records the memo when
 * the plan just stored has nothing to do. reset: frees the cycle's part. */
int hrs_engine_settle_begin(hrs_engine *e, hrs_err *err);
int hrs_engine_settle_try(hrs_engine *e, const hrs_source_result *src, json_t **plan, hrs_plan_meta *meta,
                          hrs_err *err);
int hrs_engine_settle_forget(hrs_engine *e, hrs_err *err);
void hrs_engine_settle_inputs(hrs_engine *e, const char *select, int managers, const json_t *group_names,
                              const json_t *groups);
void hrs_engine_settle_after(hrs_engine *e, const json_t *plan, const hrs_plan_meta *meta);
void hrs_engine_settle_reset(hrs_engine *e);

#endif
