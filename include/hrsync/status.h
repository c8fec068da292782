/* status.h: what hrsync is doing and why, as `hrsync status` and the daemon's /status show it:
 * the engine holding the state file (its lease), the next run, the policy in use and its
 * version, the last runs, pending and failed operations (from the operation journal when the
 * state file has one) and the people quarantined by the last plan.
 *
 *   { "state": path, "lease": {holder, pid, host, expires_at, expired} | null,
 *     "daemon": {pid, host, started_at, config, http, interval_s, cycle, phase} | null,
 *     "next_run": "…Z" | null, "last_cycle": {cycle, at, result, seconds, people, operations, error?} | null,
 *     "last_reload": {at, trigger, ok, error?} | null   (SIGHUP or a new day; while the daemon runs),
 *     "policy": {path, version, loaded_at | null, from: "daemon" | "config", and from a running
 *                daemon last_reload_at, last_reload_error, problems (engine.h)},
 *     "runs": [ {id, mode, today, started_at, finished_at, status, summary} ],
 *     "operations": {journal: bool, pending: [ … ], failed: [ … ]}   (journal.h; failed: latest run),
 *     "last_plan": {id, at, today, status, summary} | null         (the latest stored plan),
 *     "quarantine": [ {person, name, reason} ] }                    (of that plan) */
#ifndef HRSYNC_STATUS_H
#define HRSYNC_STATUS_H

#include <jansson.h>
#include <stdio.h>
#include "hrsync/config.h"
#include "hrsync/err.h"
#include "hrsync/store.h"

/* Builds the status document from the store; cfg (may be NULL) names the policy when no daemon
 * recorded one. nruns: how many runs to list. Caller owns *out. */
int hrs_status_collect(hrs_store *s, const hrs_config *cfg, int nruns, json_t **out, hrs_err *err);

/* Same, opening the state file at path for the call (the daemon's status server thread). */
int hrs_status_collect_path(const char *path, int nruns, json_t **out, hrs_err *err);

/* Prints the status document for a person at a terminal. */
void hrs_status_print(const json_t *st, FILE *out);

/* The policy's version: "sha256:<hex>" of the file's bytes, into out (at least 72 bytes). */
int hrs_status_file_version(const char *path, char *out, size_t n, hrs_err *err);

#endif
