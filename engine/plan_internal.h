/* plan_internal.h: what engine/plan.c (linking, joiners and movers, the document),
 * engine/plan_lifecycle.c (settings, bad input, enable/rehire, drift, renames, leavers,
 * managers) and engine/plan_index.c (the indexes a plan looks people, accounts and groups up
 * in) share. Not a public header: see include/hrsync/plan.h. */
#ifndef HRSYNC_PLAN_INTERNAL_H
#define HRSYNC_PLAN_INTERNAL_H

#include <stdint.h>
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

/* ---- plan_index.c: a map of string keys ------------------------------------------------- */

/* The longest prefix of a key a folding map looks at (as the lower-cased keys of earlier
 * versions, which were cut at 511 bytes). */
#define PLAN_MAP_FOLD_MAX 511

/* An open-addressing table (linear probing) from string keys to pointers. Keys and values are
 * borrowed: they must outlive the map (they point into the plan's input, or are static). Each key
 * gets an entry, numbered from 0 in the order keys come, which arrays of the caller may be
 * indexed by. A folding map compares keys ASCII-case-insensitively on their first
 * PLAN_MAP_FOLD_MAX bytes (UPNs and mail addresses). Zeroed, a map is empty and valid. */
typedef struct plan_map_entry {
    const char *key;
    const void *val;
} plan_map_entry;

typedef struct plan_map {
    uint64_t *slots;        /* 0: free; else hash << 32 | entry number + 1 (owned) */
    plan_map_entry *entries;/* in the order keys came (owned) */
    size_t cap, n, room;    /* slots (0 or a power of two, at least twice n), entries, their room */
    int fold;
} plan_map;

/* Prepares an empty map sized for about expect keys. Returns 0, or -1 when out of memory. */
int hrs_plan_map_init(plan_map *m, size_t expect, int fold);
void hrs_plan_map_free(plan_map *m);
/* The entry number of key, or -1 when it is not there (or key is NULL or, folding, empty). */
long hrs_plan_map_find(const plan_map *m, const char *key);
/* The value of key, or NULL. */
const void *hrs_plan_map_get(const plan_map *m, const char *key);
/* Sets key to val (replacing the value of a key that is there, as json_object_set). A NULL key,
 * or an empty one in a folding map, is ignored (and gives 0). Returns the key's entry number, or
 * -1 when out of memory. */
long hrs_plan_map_put(plan_map *m, const char *key, const void *val);

/* ---- the context of one plan ------------------------------------------------------------ */

/* One element of the people array. Fields marked "(by id)" are only used on the record that
 * people_by_id gives for the id (the last one with that id), so that they behave as values kept
 * by person id. */
typedef struct plan_who {
    const json_t *person;   /* borrowed */
    const char *pid;        /* its id, or NULL */
    long ix;                /* the entry number of pid in people_by_id, -1 without an id */
    struct plan_who *same;  /* the record before it with the same id, or NULL */
    json_t *entry;          /* this record's entry in the plan (owned), or NULL */
    const json_t *user;     /* the account of an unchanged entry (see unchanged) */
    const json_t *user_of;  /* (by id) the directory user of an update, borrowed, or NULL */
    const char *account;    /* (by id) object id of the account in scope, "" = created in this
                               plan, NULL = none */
    unsigned char unchanged;/* an update with nothing to do: its entry is made only when a manager
                               is set on it (hrs_plan_entry_of) */
    unsigned char bad;      /* (by id) bad input or a conflict: nothing is written */
    unsigned char walk;     /* (by id) manager_loops: 1 on the current walk, 2 done */
} plan_who;

/* A user of the directory (in->users) with what the plan reads of it most. */
typedef struct dir_user {
    const json_t *user;     /* borrowed */
    const char *id, *upn;   /* its id and userPrincipalName (borrowed) */
    long acct;              /* the entry number of its id in by_id: the account */
    int enabled;
} dir_user;

/* Indexes of the directory: users (those with an id) by object id (the last one with it),
 * employeeId, lower-cased UPN and mail (values: dir_user); the UPNs taken (values: "" for the
 * directory, a create or rename in this plan, an unfinished run; or the person id whose stored
 * link holds it); for each account (entry of by_id) the person who claimed it and its
 * memberships in the managed groups (names in the groups object's order, memberships as indexes
 * of that order). */
typedef struct dir_index {
    dir_user *users;             /* the users with an id, in order (owned) */
    size_t nusers;
    plan_map by_id, by_employee_id, by_upn, by_mail, taken_upns;
    const char **claimed;        /* person id, or NULL (owned array, borrowed strings) */
    size_t ngroups;
    const char **group_names;    /* borrowed keys of in->groups, in order */
    const json_t **group_objs;   /* their values (borrowed) */
    plan_map group_ix;           /* name -> index + 1 (as a pointer-sized integer) */
    size_t *member_off;          /* memberships of account k: member_of[member_off[k] ..
                                    member_off[k + 1]), in ascending group order */
    uint32_t *member_of;
} dir_index;

typedef struct plan_ctx {
    const hrs_plan_input *in;
    plan_settings set;
    dir_index x;
    plan_who *who;        /* one per element of in->people, same order (owned) */
    size_t npeople;
    plan_map people_by_id;/* person id -> plan_who (the last record with that id) */
    json_t *gone;         /* array: entries of linked people no longer in the source */
    json_t *scratch;      /* an object the operations of one entry are gathered in */
    json_t *q;            /* quarantine */
    json_t *notes;        /* array of strings */
    size_t in_scope, out_of_scope;
    int oom;              /* an allocation failed: the plan is not made */
} plan_ctx;

/* ---- plan_index.c ---- */
/* Builds the directory indexes of c->x from c->in, and c->who and c->people_by_id from the
 * people. Returns 0, or -1 when out of memory. */
int hrs_plan_index_build(plan_ctx *c);
/* Frees what hrs_plan_index_build made (also after a failure). */
void hrs_plan_index_free(plan_ctx *c);
/* The record people_by_id holds for pid, or NULL. */
plan_who *hrs_plan_who(const plan_ctx *c, const char *pid);
/* The record people_by_id holds for the id of w (w itself unless a later record has the same
 * id), or NULL when w has no id. */
plan_who *hrs_plan_self(const plan_ctx *c, const plan_who *w);
/* Index of group name in c->x (its order in in->groups), or -1 when it is not a key there. */
long hrs_plan_group_index(const plan_ctx *c, const char *name);
/* The user of by_id with object id oid (the last one with it), or NULL. */
const dir_user *hrs_plan_user(const plan_ctx *c, const char *oid);
/* Whether account acct is a member of group g (an object of in->groups). */
int hrs_plan_is_member(const plan_ctx *c, size_t g, long acct);
/* The groups (indexes, ascending) account acct is a member of: *n of them. */
const uint32_t *hrs_plan_groups_of(const plan_ctx *c, long acct, size_t *n);

/* ---- plan.c ---- */
const char *hrs_plan_sv(const json_t *o, const char *k);
int hrs_plan_enabled(const json_t *user);
int hrs_plan_values_equal(const json_t *want, const json_t *have);
void hrs_plan_quarantine(plan_ctx *c, const char *pid, const char *name, const char *reason);
void hrs_plan_note(plan_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The first candidate that is free for person pid, or NULL. */
const char *hrs_plan_free_upn(plan_ctx *c, const json_t *cands, const char *pid);
/* Marks a UPN as taken by this plan. */
void hrs_plan_take_upn(plan_ctx *c, const char *upn);
/* "Preferred-or-first last" of a person record, or its id. */
void hrs_plan_person_name(const json_t *p, char *out, size_t n);
/* The name an entry gives a person: the policy's displayName, or hrs_plan_person_name. */
void hrs_plan_entry_name(const json_t *p, const json_t *decision, char *out, size_t n);
/* Whether a name (cut at 299 bytes, which may split a character) goes into a JSON string. */
int hrs_plan_packable(const char *name);
/* The person's date of today (their own time zone's when the engine gave one). */
const char *hrs_plan_today_of(const plan_ctx *c, const json_t *decision);
/* An entry {person, name, action, lifecycle, object_id, upn?, linked_by} followed by the
 * operations gathered in ops (an object; its "lifecycle", when set, replaces the given one).
 * Returns a new entry (caller owns), or NULL when out of memory. */
json_t *hrs_plan_make_entry(const char *pid, const char *name, const char *action, const char *lifecycle,
                            const json_t *user, const char *linked_by, const json_t *ops);
/* The entry of w, made now when w is an unchanged update; NULL when w has none. */
json_t *hrs_plan_entry_of(plan_ctx *c, plan_who *w);

/* ---- plan_lifecycle.c ---- */
/* Reads and checks the lifecycle table into c->set; unknown keys become notes. */
int hrs_plan_settings(plan_ctx *c, hrs_err *err);
/* Finds duplicate emails, termination before hire and manager loops: marks the people and fills
 * the quarantine. Returns 0, or -1 when out of memory. */
int hrs_plan_bad_input(plan_ctx *c);
/* For an included person linked to a disabled account: an "enable" (hire date reached, rehire
 * "relink", hand-disabled account with hr_wins) or drift, gathered in e. Returns 1 when rehire =
 * "new" asks for a new account instead. */
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
                        const json_t *d, const dir_user *du, const char *why);
/* Linked people who are not in the source any more: their entries go to c->gone. */
void hrs_plan_gone(plan_ctx *c);
/* Managers from supervisor_id, once every account of the plan is known. Returns 0, or -1 when
 * out of memory. */
int hrs_plan_managers(plan_ctx *c);

#endif
