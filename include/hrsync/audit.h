/* audit.h: an audit event per operation sent to the directory: when, which run and plan, the
 * person (id and name), the account (object id and UPN), the action, the attributes' old and new
 * values, the result, the HTTP status, Graph's error code and message, and Graph's request-id.
 *
 * Events go into the state file's `audit` table, in the same transaction as the rest of the
 * batch's bookkeeping, and are appended as JSON lines to a file (config `audit_log`, default
 * audit.jsonl next to the state file; `audit_log = false` keeps them in SQLite only). The file
 * is written and fsync'd when the batch's transaction commits. A password, a token or a secret
 * is never recorded: a create's passwordProfile is left out, and messages are redacted. */
#ifndef HRSYNC_AUDIT_H
#define HRSYNC_AUDIT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include "hrsync/config.h"
#include "hrsync/err.h"
#include "hrsync/graph.h"
#include "hrsync/store.h"

typedef struct hrs_audit hrs_audit;

/* The audit file a config asks for: a newly allocated path, or NULL when audit_log is false
 * (err not set) or on error (err set: audit_log is neither a path nor false). */
char *hrs_audit_file_of(const hrs_config *c, hrs_err *err);

/* Opens the audit of the store s (borrowed; it must outlive the audit). file may be NULL (SQLite
 * only); it is opened (created with mode 0600) when the first event is written. The caller owns
 * the result; hrs_audit_close flushes it. */
hrs_audit *hrs_audit_open(hrs_store *s, const char *file, hrs_err *err);
void hrs_audit_close(hrs_audit *a);

/* Sets the run, plan and cycle date (YYYY-MM-DD) that the following events belong to. */
void hrs_audit_begin(hrs_audit *a, int64_t run_id, const char *plan_id, const char *today);

/* Records the outcome of one operation. entry is the plan entry ({person, name, object_id, upn,
 * changes: [{attribute, old, new}], …}), action its name ("create", "update", "add to group"…),
 * group the {group, id} of a membership change or NULL, body the request body sent (its values
 * are the new values; passwords are left out) or NULL, q the request with its answer, ok whether
 * the operation is done. a may be NULL (nothing is recorded). Returns 0, or -1 when the event
 * cannot be written to the state file. */
int hrs_audit_op(hrs_audit *a, const json_t *entry, const char *action, const json_t *group, const json_t *body,
                 const hrs_graph_req *q, int ok, hrs_err *err);

/* Appends the events not yet in the file and fsyncs it. Returns 0 or -1 (the file cannot be
 * written; the events stay in SQLite). */
int hrs_audit_flush(hrs_audit *a, hrs_err *err);

/* Which events to read; NULL fields match everything. since/until are dates (YYYY-MM-DD, both
 * inclusive) or UTC times (YYYY-MM-DDTHH:MM:SSZ). action matches actions that contain it
 * ("group" matches "add to group" and "remove from group"). */
typedef struct hrs_audit_filter {
    const char *person, *action, *since, *until;
    int limit;               /* the newest n events; 0 = all */
} hrs_audit_filter;

/* The matching events, oldest first, as an array of objects in the JSON-lines format (caller
 * owns). -1 on a malformed since/until or a state file error. */
int hrs_audit_query(hrs_store *s, const hrs_audit_filter *f, json_t **events, hrs_err *err);

/* Prints events readably: one line per event, then its attribute changes and any error. */
void hrs_audit_print(const json_t *events, FILE *out, int color);

#endif
