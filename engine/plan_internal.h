/* plan_internal.h: what engine/plan.c (linking, joiners and movers, the document) and
 * engine/plan_lifecycle.c (settings, bad input, enable/rehire, drift, renames, leavers,
 * managers) share. Not a public header: see include/hrsync/plan.h. */
#ifndef HRSYNC_PLAN_INTERNAL_H
#define HRSYNC_PLAN_INTERNAL_H

#include "hrsync/plan.h"

/* The policy's lifecycle settings, checked. */
typedef struct plan_settings {
    int create_disabled;
    int leaver_disable, leaver_leave_date, leaver_remove_groups, leaver_revoke;
    int rehire_new;         /* rehire = "new" */
    int drift_keep;         /* drift = "keep" */
    int rename_upn;
    int manager;
} plan_settings;

/* Indexes of the directory, keyed by object id, employeeId and lower-cased UPN and mail. */
typedef struct dir_index {
    json_t *by_id, *by_employee_id, *by_upn, *by_mail;
    json_t *taken_upns;   /* lower-cased UPN -> "" (the directory, a create or rename in this plan,
                             an unfinished run) or the person id whose stored link holds it */
    json_t *claimed;      /* object id -> person id, to find an account linked to two people */
} dir_index;

typedef struct plan_ctx {
    const hrs_plan_input *in;
    plan_settings set;
    dir_index x;
    json_t *entries;      /* array: one entry per person being looked at, in source order */
    json_t *q;            /* quarantine */
    json_t *notes;        /* array of strings */
    json_t *people_by_id; /* person id -> person (borrowed values) */
    json_t *bad;          /* person id -> reason: bad input, nothing is written for them */
    json_t *accounts;     /* person id -> object id of the account in scope, "" = created now */
    json_t *users_of;     /* person id -> directory user (borrowed values) */
    size_t in_scope, out_of_scope;
} plan_ctx;

/* ---- plan.c ---- */
const char *hrs_plan_sv(const json_t *o, const char *k);
int hrs_plan_enabled(const json_t *user);
int hrs_plan_values_equal(const json_t *want, const json_t *have);
void hrs_plan_quarantine(plan_ctx *c, const char *pid, const char *name, const char *reason);
void hrs_plan_note(plan_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
json_t *hrs_plan_index_get_lower(const json_t *idx, const char *key);
void hrs_plan_index_put_lower(json_t *idx, const char *key, json_t *v);
/* The first candidate that is free for person pid, or NULL. */
const char *hrs_plan_free_upn(plan_ctx *c, const json_t *cands, const char *pid);
/* "Preferred-or-first last" of a person record, or its id. */
void hrs_plan_person_name(const json_t *p, char *out, size_t n);
/* The person's date of today (their own time zone's when the engine gave one). */
const char *hrs_plan_today_of(const plan_ctx *c, const json_t *decision);

/* ---- plan_lifecycle.c ---- */
/* Reads and checks the lifecycle table into c->set; unknown keys become notes. */
int hrs_plan_settings(plan_ctx *c, hrs_err *err);
/* Finds duplicate emails, termination before hire and manager loops: fills c->bad and the
 * quarantine. */
void hrs_plan_bad_input(plan_ctx *c);
/* For an included person linked to a disabled account: an "enable" (hire date reached, rehire
 * "relink", hand-disabled account with hr_wins) or drift. Returns 1 when rehire = "new" asks
 * for a new account instead. */
int hrs_plan_account_state(plan_ctx *c, json_t *e, const json_t *user, const json_t *person,
                           const json_t *d, const char *pid);
/* Whether a new account starts enabled for this person (create_disabled and the hire date). */
int hrs_plan_start_enabled(const plan_ctx *c, const json_t *person, const json_t *d);
/* Attribute changes of a linked account with drift detection into e. */
void hrs_plan_attribute_changes(plan_ctx *c, json_t *e, const json_t *user, const json_t *d, const char *pid);
/* UPN rename of a linked account (rename_upn), or a note when it is off. */
void hrs_plan_rename(plan_ctx *c, json_t *e, const json_t *user, const json_t *d, const char *pid, const char *name);
/* The leaver operations for a linked account; person may be NULL (gone from the source).
 * Returns the entry (caller owns) or NULL when there is nothing to do. */
json_t *hrs_plan_leaver(plan_ctx *c, const char *pid, const char *name, const json_t *person,
                        const json_t *d, const json_t *user, const char *why);
/* Linked people who are not in the source any more. */
void hrs_plan_gone(plan_ctx *c);
/* Managers from supervisor_id, once every account of the plan is known. */
void hrs_plan_managers(plan_ctx *c);

#endif
