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

/* The SQLite connection (borrowed), for the store's companion files (store_lease.c). */
struct sqlite3 *hrs_store_db(hrs_store *s);

/* The state file's path (borrowed). */
const char *hrs_store_path(const hrs_store *s);

/* ---- the lease: one engine per state file (engine/store_lease.c) ----
 * holder names the engine ("hrsync run pid 123 on host h"); a lease runs until expires_at (UTC).
 * Acquiring succeeds when no lease is held, when holder already holds it, when it has expired,
 * or when it belongs to a process of this host that no longer exists. Otherwise returns -1 with
 * "state file X is held by pid N on host H until T". ttl_s is the lease's lifetime from now. */
int hrs_store_lease_acquire(hrs_store *s, const char *holder, long ttl_s, hrs_err *err);

/* Extends holder's lease to now + ttl_s; -1 if holder no longer holds it (taken over). */
int hrs_store_lease_renew(hrs_store *s, const char *holder, long ttl_s, hrs_err *err);

/* Releases holder's lease (nothing if another holds it). */
int hrs_store_lease_release(hrs_store *s, const char *holder, hrs_err *err);

/* The current lease as {holder, pid, host, expires_at, expired: bool}, or NULL when none
 * (caller owns). */
int hrs_store_lease_get(hrs_store *s, json_t **out, hrs_err *err);

/* ---- daemon status values (engine/store_lease.c): key -> JSON value ---- */
int hrs_store_status_put(hrs_store *s, const char *key, const json_t *value, hrs_err *err);

/* All status values as one object (caller owns). */
int hrs_store_status_all(hrs_store *s, json_t **out, hrs_err *err);

/* ---- cursors and the directory cache (engine/store_cursor.c) ---- */

/* The value of the cursor name in *value (malloc'ed; caller frees), or NULL when none. */
int hrs_store_cursor_get(hrs_store *s, const char *name, char **value, hrs_err *err);

/* Sets the cursor name to value, or deletes it when value is NULL. */
int hrs_store_cursor_put(hrs_store *s, const char *name, const char *value, hrs_err *err);

/* The cached directory users: an object id -> user (caller owns). */
int hrs_store_dir_users(hrs_store *s, json_t **out, hrs_err *err);

/* Writes the cached user id (user: an object), or deletes it (user == NULL). */
int hrs_store_dir_user_put(hrs_store *s, const char *id, const json_t *user, hrs_err *err);

/* Empties the directory cache. */
int hrs_store_dir_users_clear(hrs_store *s, hrs_err *err);

/* The links recorded in the last max_age_s seconds: object person_id -> object_id (caller owns). */
int hrs_store_links_recent(hrs_store *s, long max_age_s, json_t **out, hrs_err *err);

#endif
