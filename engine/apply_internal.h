/* apply_internal.h: what engine/apply.c (phases, results, resume) and engine/apply_ops.c
 * (operation specs, requests, look-ups) share. Not a public header: see include/hrsync/apply.h. */
#ifndef HRSYNC_APPLY_INTERNAL_H
#define HRSYNC_APPLY_INTERNAL_H

#include "hrsync/apply.h"

typedef enum {
    K_CREATE, K_UPDATE, K_RENAME, K_ENABLE, K_DISABLE, K_LEAVE_DATE, K_GROUP_ADD, K_GROUP_REMOVE, K_MANAGER,
    K_REVOKE, K_COUNT
} op_kind;

#define APPLY_PHASES 5

/* One operation being applied. */
typedef struct apply_op {
    op_kind kind;
    json_t *spec;            /* what to do (owned); journaled */
    int64_t run_id;
    int seq;
    json_t *body;            /* the request body (owned; holds the password of a create) */
    char *url;               /* relative URL (owned) */
    int done, failed, attempts;
    int uncertain;           /* a create whose earlier sending has no recorded answer */
} apply_op;

typedef struct apply_run {
    const hrs_apply_ctx *ctx;
    json_t *result;
    json_t *created;         /* person id -> object id of accounts created by the run(s) applied */
} apply_run;

/* ---- apply_ops.c ---- */
const char *hrs_apply_kind_name(op_kind k);
int hrs_apply_kind_phase(op_kind k);
const char *hrs_apply_kind_method(op_kind k);
int hrs_apply_kind_parse(const char *name, op_kind *out);
/* The object id the operation targets (NULL: its account was not created). */
const char *hrs_apply_target(const apply_run *r, const apply_op *o);
/* Fills o->url and o->body. Returns 0, 1 when a target account does not exist (its create
 * failed), or -1 with err. */
int hrs_apply_build(const apply_run *r, apply_op *o, hrs_err *err);
/* Looks for the account an uncertain create made: by its UPN, then by employeeId. Returns 1
 * with *user (caller owns) when found and it is this person's, 0 when not found, 2 when the UPN
 * belongs to someone else, -1 with err when Graph could not be asked. */
int hrs_apply_lookup(const apply_run *r, const apply_op *o, json_t **user, hrs_err *err);

#endif
