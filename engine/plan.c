/* plan.c: links persons to directory accounts and computes the plan: joiners, movers and the
 * plan document (see include/hrsync/plan.h). The lifecycle rules (leavers, rehires, enabling on
 * the hire date, drift, renames, managers, bad input) are in plan_lifecycle.c. */
#include "plan_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hrs_plan_sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
#define sv hrs_plan_sv

int hrs_plan_enabled(const json_t *u) { return json_is_true(json_object_get(u, "accountEnabled")); }

void hrs_plan_person_name(const json_t *p, char *out, size_t n)
{
    const char *pref = sv(p, "preferred_name"), *f = sv(p, "first_name"), *l = sv(p, "last_name");
    if (pref && *pref) snprintf(out, n, "%s", pref);
    else snprintf(out, n, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
    if (!*out) snprintf(out, n, "%s", sv(p, "id") ? sv(p, "id") : "?");
}

void hrs_plan_entry_name(const json_t *p, const json_t *d, char *out, size_t n)
{
    const char *dn = sv(json_object_get(d, "attributes"), "displayName");
    if (dn && *dn) snprintf(out, n, "%s", dn);
    else hrs_plan_person_name(p, out, n);
}

const char *hrs_plan_today_of(const plan_ctx *c, const json_t *d)
{
    const char *t = sv(d, "today");
    return t && *t ? t : c->in->today;
}

/* Finds the account of a person: stored link, then employeeId, then email against UPN and mail
 * (enabled accounts only for the last three). Sets *how to the rule that matched. */
static const dir_user *link_person(const plan_ctx *c, const char *pid, const json_t *attrs, const json_t *person,
                                   const char **how)
{
    const dir_index *x = &c->x;
    const dir_user *u = hrs_plan_user(c, sv(json_object_get(c->in->links, pid), "object_id"));
    if (u) { *how = "stored link"; return u; }
    const char *eid = sv(attrs, "employeeId");
    if (!eid) eid = pid;
    u = hrs_plan_map_get(&x->by_employee_id, eid);
    if (u && u->enabled) { *how = "employeeId"; return u; }
    const char *mail = sv(person, "email");
    u = hrs_plan_map_get(&x->by_upn, mail);
    if (u && u->enabled) { *how = "email = userPrincipalName"; return u; }
    u = hrs_plan_map_get(&x->by_mail, mail);
    if (u && u->enabled) { *how = "email = mail"; return u; }
    return NULL;
}

int hrs_plan_values_equal(const json_t *want, const json_t *have)
{
    if (!have) have = json_null();
    if (!want) want = json_null();
    if (json_is_string(want) && json_is_string(have)) return strcmp(json_string_value(want), json_string_value(have)) == 0;
    if (json_is_null(want) && json_is_array(have)) return json_array_size(have) == 0;
    if (json_is_array(want) && json_is_null(have)) return json_array_size(want) == 0;
    return json_equal(want, have);
}

void hrs_plan_quarantine(plan_ctx *c, const char *pid, const char *name, const char *reason)
{
    json_array_append_new(c->q, json_pack("{s:s?, s:s, s:s}", "person", pid, "name", name ? name : (pid ? pid : "?"),
                                          "reason", reason));
}

void hrs_plan_note(plan_ctx *c, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    json_array_append_new(c->notes, json_string(buf));
}

json_t *hrs_plan_make_entry(const char *pid, const char *name, const char *action, const char *lifecycle,
                            const json_t *user, const char *linked_by, const json_t *ops)
{
    const char *lc = sv(ops, "lifecycle");
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s}", "person", pid, "name", name, "action", action,
                          "lifecycle", lc ? lc : lifecycle, "object_id", sv(user, "id"), "upn",
                          sv(user, "userPrincipalName"), "linked_by", linked_by);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)ops, k, v) {
        if (e && strcmp(k, "lifecycle") != 0 && json_object_set(e, k, v) != 0) {
            json_decref(e);
            e = NULL;
        }
    }
    return e;
}

json_t *hrs_plan_entry_of(plan_ctx *c, plan_who *w)
{
    if (w->entry || !w->unchanged) return w->entry;
    char name[300];
    hrs_plan_entry_name(w->person, json_object_get(c->in->decisions, w->pid), name, sizeof name);
    w->entry = hrs_plan_make_entry(w->pid, name, "update", "mover", w->user, "stored link", NULL);
    if (w->entry) w->unchanged = 0;
    return w->entry;
}

/* Group changes for one person. du is NULL for a create (then every wanted group is an add). */
static int group_changes(plan_ctx *c, const json_t *want, const dir_user *du, json_t *entry, const char *pid,
                         const char *name)
{
    json_t *add = json_array(), *rem = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(want, i, g) {
        const char *gname = json_string_value(g);
        long gi = hrs_plan_group_index(c, gname);
        const json_t *grp = gi >= 0 ? c->x.group_objs[gi] : NULL;
        if (!json_is_object(grp)) {
            char r[600];
            snprintf(r, sizeof r, "group '%s' does not exist in the directory (hrsync does not create groups)", gname);
            hrs_plan_quarantine(c, pid, name, r);
            json_decref(add);
            json_decref(rem);
            return -1;
        }
        if (du && hrs_plan_is_member(c, (size_t)gi, du->acct)) continue;
        json_array_append_new(add, json_pack("{s:s, s:s}", "group", gname, "id", sv(grp, "id")));
    }
    /* Removal from managed groups the person no longer belongs in (in the groups' order). */
    size_t n = 0;
    const uint32_t *member_of = du ? hrs_plan_groups_of(c, du->acct, &n) : NULL;
    for (size_t k = 0; k < n; k++) {
        const char *gname = c->x.group_names[member_of[k]];
        int wanted = 0;
        json_array_foreach(want, i, g) wanted |= strcmp(json_string_value(g), gname) == 0;
        if (!wanted)
            json_array_append_new(rem, json_pack("{s:s, s:s}", "group", gname, "id", sv(c->x.group_objs[member_of[k]], "id")));
    }
    if (json_array_size(add)) json_object_set(entry, "groups_add", add);
    if (json_array_size(rem)) json_object_set(entry, "groups_remove", rem);
    json_decref(add);
    json_decref(rem);
    return 0;
}

const char *hrs_plan_free_upn(plan_ctx *c, const json_t *cands, const char *pid)
{
    size_t i;
    json_t *cand;
    json_array_foreach(cands, i, cand) {
        const char *u = json_string_value(cand);
        long t = hrs_plan_map_find(&c->x.taken_upns, u);
        const char *owner = t >= 0 ? c->x.taken_upns.entries[t].val : NULL;
        if (u && (t < 0 || (owner && *owner && pid && strcmp(owner, pid) == 0))) return u;
    }
    return NULL;
}

void hrs_plan_take_upn(plan_ctx *c, const char *upn)
{
    if (hrs_plan_map_put(&c->x.taken_upns, upn, "") < 0) c->oom = 1;
}

static json_t *plan_create(plan_ctx *c, const json_t *person, const json_t *d, const char *pid, const char *name)
{
    const json_t *cands = json_object_get(d, "upns");
    const char *upn = hrs_plan_free_upn(c, cands, pid);
    if (!upn) {
        char r[300];
        snprintf(r, sizeof r, "every UPN candidate (%zu) is taken in the directory or by another new account", json_array_size(cands));
        hrs_plan_quarantine(c, pid, name, r);
        return NULL;
    }
    json_t *attrs = json_deep_copy(json_object_get(d, "attributes"));
    if (!json_object_get(attrs, "displayName")) json_object_set_new(attrs, "displayName", json_string(name));
    int enabled = hrs_plan_start_enabled(c, person, d);
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:O, s:b, s:o}", "person", pid, "name", name, "action", "create",
                          "lifecycle", "joiner", "upn", upn, "upn_candidates", cands, "account_enabled", enabled,
                          "attributes", attrs);
    if (group_changes(c, json_object_get(d, "groups"), NULL, e, pid, name) != 0) { json_decref(e); return NULL; }
    hrs_plan_take_upn(c, upn);
    return e;
}

/* Takes every entry of person pid out of the plan. */
static void drop_entries(plan_ctx *c, const char *pid)
{
    for (plan_who *w = hrs_plan_who(c, pid); w; w = w->same) {
        json_decref(w->entry);
        w->entry = NULL;
        w->unchanged = 0;
    }
}

/* Whether gathered operations (or a whole entry) hold something to do; drift is not counted. */
static int has_op_keys(const json_t *e)
{
    static const char *const keys[] = { "changes", "groups_add", "groups_remove" };
    static const char *const ops[] = { "rename", "enable", "disable", "leave_date", "revoke", "manager" };
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (json_array_size(json_object_get(e, keys[i]))) return 1;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (json_object_get(e, ops[i])) return 1;
    return 0;
}

static int has_ops(const json_t *e)
{
    const char *a = sv(e, "action"), *how = sv(e, "linked_by");
    if (strcmp(a, "create") == 0) return 1;
    if (how && strcmp(how, "stored link") != 0) return 1;
    return has_op_keys(e);
}

/* Puts e in the plan's changes when it has something to do or report; else counts an update
 * as unchanged. */
static int keep_entry(json_t *e, json_t *changes, size_t *unchanged)
{
    if (has_ops(e) || json_array_size(json_object_get(e, "drift"))) return json_array_append(changes, e);
    if (strcmp(sv(e, "action"), "update") == 0) (*unchanged)++;
    return 0;
}

static void count(json_t *summary, const char *key, size_t n)
{
    json_object_set_new(summary, key, json_integer(json_integer_value(json_object_get(summary, key)) + (json_int_t)n));
}

static json_t *summarise(plan_ctx *c, const json_t *entries, size_t people, size_t unchanged)
{
    static const char *const zero[] = { "create", "update", "link", "enable", "disable", "leave_date", "revoke",
                                        "group_add", "group_remove", "manager", "rename", "drift", NULL };
    json_t *s = json_pack("{s:I, s:I, s:I, s:I, s:I}", "people", (json_int_t)people, "in_scope", (json_int_t)c->in_scope,
                          "out_of_scope", (json_int_t)c->out_of_scope, "unchanged", (json_int_t)unchanged,
                          "quarantined", (json_int_t)json_array_size(c->q));
    for (size_t i = 0; zero[i]; i++) json_object_set_new(s, zero[i], json_integer(0));
    size_t i;
    json_t *e;
    json_array_foreach(entries, i, e) {
        const char *a = sv(e, "action"), *how = sv(e, "linked_by");
        if (strcmp(a, "create") == 0) count(s, "create", 1);
        if (json_array_size(json_object_get(e, "changes"))) count(s, "update", 1);
        if (how && strcmp(how, "stored link") != 0) count(s, "link", 1);
        static const char *const ops[] = { "enable", "disable", "leave_date", "revoke", "manager", "rename" };
        for (size_t k = 0; k < sizeof ops / sizeof *ops; k++)
            if (json_object_get(e, ops[k])) count(s, ops[k], 1);
        count(s, "group_add", json_array_size(json_object_get(e, "groups_add")));
        count(s, "group_remove", json_array_size(json_object_get(e, "groups_remove")));
        count(s, "drift", json_array_size(json_object_get(e, "drift")));
    }
    return s;
}

int hrs_plan_packable(const char *name)
{
    if (strlen(name) < 299) return 1;
    json_t *t = json_string(name);
    json_decref(t);
    return t != NULL;
}

/* An included person with an account: attributes, account state, UPN and groups, gathered in
 * c->scratch. Returns the entry; or NULL with *unchanged set when there is nothing to do or
 * report (no entry is made then: see hrs_plan_entry_of); or NULL (quarantined; or *new_account
 * set when rehire = "new" wants a new account). */
static json_t *plan_linked(plan_ctx *c, const dir_user *du, const json_t *person, const json_t *d, const char *pid,
                           const char *name, const char *how, int *new_account, int *unchanged)
{
    json_t *ops = c->scratch, *e = NULL;
    json_object_clear(ops);
    if (!du->enabled && hrs_plan_account_state(c, ops, du->user, person, d, pid) == 1) {
        *new_account = 1;
        goto out;
    }
    hrs_plan_attribute_changes(c, ops, du->user, d, pid);
    hrs_plan_rename(c, ops, du->user, d, pid, name);
    if (group_changes(c, json_object_get(d, "groups"), du, ops, pid, name) != 0 || !hrs_plan_packable(name)) goto out;
    if (strcmp(how, "stored link") == 0 && !has_op_keys(ops) && !json_array_size(json_object_get(ops, "drift"))) {
        *unchanged = 1;
        goto out;
    }
    e = hrs_plan_make_entry(pid, name, "update", "mover", du->user, how, ops);
    if (!e) c->oom = 1;
out:
    json_object_clear(ops);
    return e;
}

static void plan_person(plan_ctx *c, plan_who *w)
{
    const hrs_plan_input *in = c->in;
    const json_t *p = w->person;
    const char *pid = w->pid;
    const json_t *d = pid ? json_object_get(in->decisions, pid) : NULL;
    plan_who *me = hrs_plan_self(c, w);
    if (!d || !me || me->bad) return;
    char name[300];
    hrs_plan_entry_name(p, d, name, sizeof name);
    if (sv(d, "error")) {
        hrs_plan_quarantine(c, pid, name, sv(d, "error"));
        if (sv(d, "failure"))   /* decide.h: error, budget, memory, invalid, date */
            json_object_set(json_array_get(c->q, json_array_size(c->q) - 1), "failure", json_object_get(d, "failure"));
        return;
    }
    if (!json_is_true(json_object_get(d, "include"))) {
        c->out_of_scope++;
        /* A leaver: only an account hrsync manages (a stored link) is touched. */
        const dir_user *du = hrs_plan_user(c, sv(json_object_get(in->links, pid), "object_id"));
        if (du) w->entry = hrs_plan_leaver(c, pid, name, p, d, du, sv(d, "reason"));
        return;
    }
    c->in_scope++;
    const char *how = NULL;
    const dir_user *du = link_person(c, pid, json_object_get(d, "attributes"), p, &how);
    if (du) {
        const char *other = c->x.claimed[du->acct];
        if (other) {
            char r[400];
            snprintf(r, sizeof r, "account %s is matched by persons %s and %s; nothing is written for either until that is resolved",
                     du->upn ? du->upn : du->id, other, pid);
            hrs_plan_quarantine(c, pid, name, r);
            hrs_plan_quarantine(c, other, other, r);
            drop_entries(c, other);
            plan_who *ow = hrs_plan_who(c, other);
            if (ow) {
                ow->account = NULL;
                ow->bad = 1;
            }
            me->bad = 1;
            return;
        }
        c->x.claimed[du->acct] = pid;
    }
    json_t *e = NULL;
    int unchanged = 0;
    const char *replaces = NULL;
    if (du) {
        int new_account = 0;
        e = plan_linked(c, du, p, d, pid, name, how, &new_account, &unchanged);
        if (new_account) replaces = du->id;
        else if (!e && !unchanged) return;
        else {
            me->user_of = du->user;
            me->account = du->id;
        }
    }
    if (unchanged) {
        w->unchanged = 1;
        w->user = du->user;
        return;
    }
    if (!e) {
        e = plan_create(c, p, d, pid, name);
        if (!e) return;
        if (replaces) {
            json_object_set_new(e, "replaces", json_string(replaces));
            json_object_set_new(e, "lifecycle", json_string("rehire"));
        }
        me->account = "";
    }
    w->entry = e;
}

int hrs_plan_build(const hrs_plan_input *in, json_t **plan, hrs_err *err)
{
    plan_ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.gone = json_array();
    c.scratch = json_object();
    c.q = json_array();
    c.notes = json_array();
    json_t *changes = json_array();
    *plan = NULL;
    int rc = -1;
    if (!c.gone || !c.scratch || !c.q || !c.notes || !changes) goto oom;
    if (hrs_plan_settings(&c, err) != 0) goto out;
    if (hrs_plan_index_build(&c) != 0) goto oom;
    size_t i;
    json_t *sq;
    json_array_foreach(in->source_quarantine, i, sq) json_array_append(c.q, sq);
    if (hrs_plan_bad_input(&c) != 0) goto oom;
    for (i = 0; i < c.npeople; i++) plan_person(&c, &c.who[i]);
    if (!in->partial) hrs_plan_gone(&c);
    if (hrs_plan_managers(&c) != 0 || c.oom) goto oom;
    /* People with nothing to do or report are counted, not listed. */
    size_t unchanged = 0;
    json_t *e;
    for (i = 0; i < c.npeople; i++) {
        if (c.who[i].unchanged) unchanged++;
        else if (c.who[i].entry && keep_entry(c.who[i].entry, changes, &unchanged) != 0) goto oom;
    }
    json_array_foreach(c.gone, i, e)
        if (keep_entry(e, changes, &unchanged) != 0) goto oom;
    json_t *summary = summarise(&c, changes, c.npeople, unchanged);
    *plan = json_pack("{s:s, s:o, s:O, s:O, s:O}", "today", in->today, "summary", summary, "changes", changes,
                      "quarantine", c.q, "notes", c.notes);
    if (!*plan) goto oom;
    rc = 0;
    goto out;
oom:
    hrs_err_set(err, "out of memory building the plan");
out:
    hrs_plan_index_free(&c);
    json_decref(changes);
    json_decref(c.gone);
    json_decref(c.scratch);
    json_decref(c.q);
    json_decref(c.notes);
    return rc;
}

size_t hrs_plan_count(const json_t *plan)
{
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(plan, "changes"), i, e) {
        const char *a = sv(e, "action"), *how = sv(e, "linked_by");
        if (a && strcmp(a, "create") == 0) n++;
        if (how && strcmp(how, "stored link") != 0) n++;
        n += json_array_size(json_object_get(e, "changes")) ? 1 : 0;
        n += json_array_size(json_object_get(e, "groups_add")) + json_array_size(json_object_get(e, "groups_remove"));
        static const char *const ops[] = { "enable", "disable", "leave_date", "revoke", "manager", "rename" };
        for (size_t k = 0; k < sizeof ops / sizeof *ops; k++) n += json_object_get(e, ops[k]) ? 1 : 0;
    }
    return n;
}
