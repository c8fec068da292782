/* apply.h: carries out a plan against the directory through Graph $batch requests, and records
 * links and the values written in the state store.
 *
 * Order: new links are recorded; accounts are created (a UPN taken meanwhile moves on to the
 * next candidate); attributes are updated; group memberships are added and removed (after the
 * accounts they name exist). A failed operation is reported and the others go on. */
#ifndef HRSYNC_APPLY_H
#define HRSYNC_APPLY_H

#include <jansson.h>
#include "hrsync/err.h"
#include "hrsync/graph.h"
#include "hrsync/store.h"

typedef struct hrs_apply_ctx {
    hrs_graph *graph;
    hrs_store *store;
    const char *graph_url;   /* for @odata.id references */
} hrs_apply_ctx;

/* Applies plan. *result receives {created, updated, linked, group_added, group_removed,
 * failed, errors:[{person, action, status, code, message, request_id}]} (caller owns). Returns
 * -1 only when the run cannot go on (token refused, directory unreachable, state not writable);
 * the operations done before that are recorded. */
int hrs_apply_plan(const hrs_apply_ctx *ctx, const json_t *plan, json_t **result, hrs_err *err);

#endif
