/* apply.h: carries out a plan against the directory through Graph $batch requests, journaled
 * (journal.h), and records links and the values written in the state store.
 *
 * New links are recorded first; then every operation of the plan is journaled, and the
 * operations are sent in phases, each in $batch requests of 20, so that what depends on
 * something runs after it:
 *   1  create (POST /users; a UPN taken meanwhile moves on to the next candidate), update
 *      (PATCH of the changed attributes)
 *   2  rename (PATCH userPrincipalName)
 *   3  enable, disable (PATCH accountEnabled)
 *   4  leave date (PATCH employeeLeaveDateTime; separate, so that a missing
 *      User-LifeCycleInfo.ReadWrite.All permission never keeps an account enabled), group
 *      additions and removals (members/$ref), manager (PUT manager/$ref: an account created in
 *      phase 1 can be someone's manager)
 *   5  revoke sign-in sessions (after the disable, so no new session starts in between)
 * A failed operation is reported and the others go on; an operation on an account whose create
 * failed is reported as failed without being sent. */
#ifndef HRSYNC_APPLY_H
#define HRSYNC_APPLY_H

#include <jansson.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include "hrsync/audit.h"
#include "hrsync/err.h"
#include "hrsync/graph.h"
#include "hrsync/journal.h"
#include "hrsync/store.h"

typedef struct hrs_apply_ctx {
    hrs_graph *graph;
    hrs_store *store;
    const char *graph_url;   /* for @odata.id references */
    hrs_journal *journal;    /* where operations are journaled (required) */
    int64_t run_id;          /* the run the operations belong to */
    const char *today;       /* the cycle's date, recorded as the leave day when HR gives none */
    volatile sig_atomic_t *stop;   /* may be NULL; once *stop != 0 the apply stops between
                                      batches: result "stopped" is true, and the operations not
                                      sent stay pending in the journal for the next run */
    void (*progress)(void *ud, size_t done, size_t total);   /* may be NULL; after each batch */
    void *progress_ud;
    hrs_audit *audit;        /* may be NULL; an audit event per finished operation, written in
                                the same transaction as its journal row */
} hrs_apply_ctx;

/* Applies plan. *result receives {created, updated, linked, renamed, enabled, disabled,
 * leave_date, revoked, manager, group_added, group_removed, failed, resumed, stopped, errors:[{person,
 * name, action, status, code, message, request_id}]} (caller owns). Returns -1 only when the
 * run cannot go on (token refused, directory unreachable, state not writable); the operations
 * done before that are recorded, and the journal lets the next run finish the rest. */
int hrs_apply_plan(const hrs_apply_ctx *ctx, const json_t *plan, json_t **result, hrs_err *err);

/* Finishes the operations an interrupted run left pending or sent (ctx->run_id is not used:
 * each operation keeps its own run). A create left "sent" is first looked up in the directory,
 * by the UPN it used and then by employeeId, and only sent again (with a new password) when it
 * is not there. *result as for hrs_apply_plan, "resumed" counting the operations finished;
 * *result is NULL when there was nothing to finish. */
int hrs_apply_resume(const hrs_apply_ctx *ctx, json_t **result, hrs_err *err);

/* The operation specs of a plan, in the order they are journaled (caller owns): an array of
 * objects {kind, method, person, name, phase, …}, never holding a password. */
json_t *hrs_apply_specs(const json_t *plan, const char *today);

#endif
