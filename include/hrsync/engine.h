/* engine.h: one sync cycle, as the command line and the Lua module run it:
 * read the source, run the policy, read the directory, link, plan, and (for sync) apply.
 * The engine owns the config, state store, policy VM and Graph client of one configuration. */
#ifndef HRSYNC_ENGINE_H
#define HRSYNC_ENGINE_H

#include <jansson.h>
#include "hrsync/config.h"
#include "hrsync/err.h"

typedef struct hrs_engine hrs_engine;

/* Opens the configuration at path (overrides as in hrs_config_load; may be NULL), the state
 * file, and the policy. Nothing is sent anywhere yet. */
hrs_engine *hrs_engine_open(const char *config_path, const json_t *overrides, hrs_err *err);
void hrs_engine_close(hrs_engine *e);

const hrs_config *hrs_engine_config(const hrs_engine *e);

/* Reads the source and the directory and builds the plan (caller owns *plan). Nothing is
 * written, neither to the directory nor to the state file beyond the run record. */
int hrs_engine_plan(hrs_engine *e, json_t **plan, hrs_err *err);

/* Applies a plan built by hrs_engine_plan; *result as in hrs_apply_plan (caller owns). */
int hrs_engine_apply(hrs_engine *e, const json_t *plan, json_t **result, hrs_err *err);

/* Graph request counters of this engine's client (requests, writes, throttled, retries) as JSON. */
json_t *hrs_engine_stats(const hrs_engine *e);

#endif
