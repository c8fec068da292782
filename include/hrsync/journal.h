/* journal.h: the operation journal, so that a crash or `kill -9` at any point of an apply is
 * followed by a run that finishes the work, without a duplicate account and without losing an
 * operation.
 *
 * Every operation of an apply is written to the state file (table `journal`) before anything is
 * sent: run id, sequence number, person, kind, method, URL, the body last sent (never a
 * password: passwords are made afresh whenever a create is sent again), a "spec" with all that
 * is needed to redo it, and a status:
 *
 *   pending  written, not sent (or to be sent again: next UPN candidate, replication delay)
 *   sent     about to go out; whether Graph received it is unknown until the answer is recorded
 *   done     Graph answered with success (or "already so"), and the state that goes with it
 *            (link, values written) is recorded in the same transaction
 *   failed   Graph refused it; result holds the status, code, message and request-id
 *
 * A run that leaves pending or sent operations behind is unfinished; the next sync finishes them
 * first (apply.h: hrs_apply_resume). A create left "sent" is looked up in the directory (by the
 * UPN it used, then by employeeId) before it is sent again.
 *
 * Test hook: with HRSYNC_CRASH_AFTER=N in the environment, the process ends with _exit(137) (as
 * kill -9 would, nothing flushed or cleaned up) right after the N-th boundary: each committed
 * journal transition (the plan journaled, an operation marked sent, an operation's result
 * recorded) and each moment a $batch answer has arrived but nothing of it is recorded yet. */
#ifndef HRSYNC_JOURNAL_H
#define HRSYNC_JOURNAL_H

#include <jansson.h>
#include <stdint.h>
#include "hrsync/err.h"
#include "hrsync/store.h"

typedef struct hrs_journal hrs_journal;

/* A journal over the store's connection (borrowed: the store must outlive it). Reads
 * HRSYNC_CRASH_AFTER. Returns NULL only when out of memory. */
hrs_journal *hrs_journal_open(hrs_store *store, hrs_err *err);
void hrs_journal_close(hrs_journal *j);

/* Writes the operations of run_id as pending, numbered 1..n in array order, in one transaction
 * (one boundary). Each spec is an object with at least "kind", "person" and "method"; it is
 * stored as given (the caller keeps passwords out of it). Returns 0 or -1 with err. */
int hrs_journal_add(hrs_journal *j, int64_t run_id, const json_t *specs, hrs_err *err);

/* Changes one operation, inside the caller's transaction (so the store writes that go with it
 * commit together); the caller marks the boundary with hrs_journal_boundary after the commit.
 * status is required; url, body, spec and result may be NULL (left as they are). body is
 * stored without passwordProfile.password. Returns 0 or -1 with err. */
int hrs_journal_set(hrs_journal *j, int64_t run_id, int seq, const char *status, const char *url,
                    const json_t *body, const json_t *spec, const json_t *result, hrs_err *err);

/* Marks a boundary (see above): counts it and, under HRSYNC_CRASH_AFTER, ends the process
 * when the count is reached. */
void hrs_journal_boundary(hrs_journal *j);

/* The operations left pending or sent, oldest run first, in sequence order: an array of
 * {run_id, seq, person, kind, status, spec} (caller owns). Returns 0 or -1 with err. */
int hrs_journal_unfinished(hrs_journal *j, json_t **out, hrs_err *err);

/* The operations of run_id (0: of every run), in order: an array of {run_id, seq, person, kind,
 * method, url, body, status, result} (caller owns). For tests and diagnostics. */
int hrs_journal_list(hrs_journal *j, int64_t run_id, json_t **out, hrs_err *err);

/* A deep copy of a request body without passwordProfile.password (caller owns); NULL for NULL. */
json_t *hrs_journal_redact(const json_t *body);

#endif
