/* store.h: hrsync's state in SQLite (WAL): links between HR persons and directory objects, the
 * values hrsync last wrote, runs, and the schema version with numbered migrations.
 *
 * Each write happens in a transaction, so a crash or a full disk leaves the previous state
 * whole. A store is used from one thread. */
#ifndef HRSYNC_STORE_H
#define HRSYNC_STORE_H

#include <jansson.h>
#include <stdint.h>
#include "hrsync/err.h"

typedef struct hrs_store hrs_store;

/* Opens (creating if needed) the state file and runs the pending migrations. */
hrs_store *hrs_store_open(const char *path, hrs_err *err);
void hrs_store_close(hrs_store *s);

/* The schema version after migrations. */
int hrs_store_schema_version(hrs_store *s);

int hrs_store_begin(hrs_store *s, hrs_err *err);
int hrs_store_commit(hrs_store *s, hrs_err *err);
void hrs_store_rollback(hrs_store *s);

/* All links as an object person_id -> {"object_id":…, "upn":…} (caller owns). */
int hrs_store_links(hrs_store *s, json_t **out, hrs_err *err);

/* Records (or replaces) the link of person_id. */
int hrs_store_link_put(hrs_store *s, const char *person_id, const char *object_id, const char *upn, hrs_err *err);

/* Last applied values: object person_id -> {attribute: value} (caller owns). */
int hrs_store_applied(hrs_store *s, json_t **out, hrs_err *err);

/* Records the values written for person_id (an object attribute -> JSON value). */
int hrs_store_applied_put(hrs_store *s, const char *person_id, const json_t *attrs, hrs_err *err);

/* Starts a run row; returns its id in *run_id. */
int hrs_store_run_begin(hrs_store *s, const char *mode, const char *today, int64_t *run_id, hrs_err *err);

/* Ends a run with a status ("ok", "error", "nothing-to-do") and a JSON summary. */
int hrs_store_run_end(hrs_store *s, int64_t run_id, const char *status, const json_t *summary, hrs_err *err);

/* The last n runs, newest first, as an array of objects (caller owns). */
int hrs_store_runs(hrs_store *s, int n, json_t **out, hrs_err *err);

#endif
