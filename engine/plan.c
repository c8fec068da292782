/* plan.c: links persons to directory accounts and computes the plan: joiners, movers and the
 * plan document (see include/hrsync/plan.h). The lifecycle rules (leavers, rehires, enabling on
 * the hire date, drift, renames, managers, bad input) are in plan_lifecycle.c. */
#include "plan_internal.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *hrs_plan_sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
#define sv hrs_plan_sv

int hrs_plan_enabled(const json_t *u) { return json_is_true(json_object_get(u, "accountEnabled")); }

static void lower_into(char *dst, size_t n, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n; i++) dst[i] = (char)tolower((unsigned char)s[i]);
    dst[i] = '\0';
}

void hrs_plan_index_put_lower(json_t *idx, const char *key, json_t *v)
{
    char k[512];
    if (!key || !*key) { json_decref(v); return; }
    lower_into(k, sizeof k, key);
    json_object_set_new(idx, k, v);
}

json_t *hrs_plan_index_get_lower(const json_t *idx, const char *key)
{
    char k[512];
    if (!key || !*key) return NULL;
    lower_into(k, sizeof k, key);
    return json_object_get(idx, k);
}

static void index_build(plan_ctx *c)
{
    dir_index *x = &c->x;
    x->by_id = json_object();
    x->by_employee_id = json_object();
    x->by_upn = json_object();
    x->by_mail = json_object();
    x->taken_upns = json_object();
    x->claimed = json_object();
    size_t i;
    json_t *u;
    json_array_foreach(c->in->users, i, u) {
        const char *id = sv(u, "id");
        if (!id) continue;
        json_object_set(x->by_id, id, u);
        const char *eid = sv(u, "employeeId");
        /* Several accounts may carry one employeeId (an old disabled one and a new one): the
         * enabled one is the one to link. */
        if (eid && *eid && (!json_object_get(x->by_employee_id, eid) || hrs_plan_enabled(u)))
            json_object_set(x->by_employee_id, eid, u);
        const char *upn = sv(u, "userPrincipalName");
        hrs_plan_index_put_lower(x->by_upn, upn, json_incref(u));
        hrs_plan_index_put_lower(x->taken_upns, upn, json_string(""));
        hrs_plan_index_put_lower(x->by_mail, sv(u, "mail"), json_incref(u));
    }
    /* UPNs held by stored links (an account not readable yet, a pre-hire's) stay reserved for
     * their person; those of creates an interrupted run has not finished, for everyone. */
    const char *pid;
    json_t *l;
    json_object_foreach((json_t *)c->in->links, pid, l) {
        const char *upn = sv(l, "upn");
        if (upn && *upn && !hrs_plan_index_get_lower(x->taken_upns, upn))
            hrs_plan_index_put_lower(x->taken_upns, upn, json_string(pid));
    }
    const char *upn;
    json_object_foreach((json_t *)c->in->reserved, upn, l) hrs_plan_index_put_lower(x->taken_upns, upn, json_string(""));
}

static void index_free(dir_index *x)
{
    json_decref(x->by_id);
    json_decref(x->by_employee_id);
    json_decref(x->by_upn);
    json_decref(x->by_mail);
    json_decref(x->taken_upns);
    json_decref(x->claimed);
}

void hrs_plan_person_name(const json_t *p, char *out, size_t n)
{
    const char *pref = sv(p, "preferred_name"), *f = sv(p, "first_name"), *l = sv(p, "last_name");
    if (pref && *pref) snprintf(out, n, "%s", pref);
    else snprintf(out, n, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
    if (!*out) snprintf(out, n, "%s", sv(p, "id") ? sv(p, "id") : "?");
}

const char *hrs_plan_today_of(const plan_ctx *c, const json_t *d)
{
    const char *t = sv(d, "today");
    return t && *t ? t : c->in->today;
}

/* Finds the account of a person: stored link, then employeeId, then email against UPN and mail
 * (enabled accounts only for the last three). Sets *how to the rule that matched. */
static json_t *link_person(const plan_ctx *c, const char *pid, const json_t *attrs, const json_t *person,
                           const char **how)
{
    const dir_index *x = &c->x;
    const char *oid = sv(json_object_get(c->in->links, pid), "object_id");
    json_t *u = oid ? json_object_get(x->by_id, oid) : NULL;
    if (u) { *how = "stored link"; return u; }
    const char *eid = sv(attrs, "employeeId");
    if (!eid) eid = pid;
    u = json_object_get(x->by_employee_id, eid);
    if (u && hrs_plan_enabled(u)) { *how = "employeeId"; return u; }
    const char *mail = sv(person, "email");
    u = hrs_plan_index_get_lower(x->by_upn, mail);
    if (u && hrs_plan_enabled(u)) { *how = "email = userPrincipalName"; return u; }
    u = hrs_plan_index_get_lower(x->by_mail, mail);
    if (u && hrs_plan_enabled(u)) { *how = "email = mail"; return u; }
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

/* Group changes for one person. members of groups is keyed by object id; oid may be NULL for a
 * create (then every wanted group is an add). */
static int group_changes(plan_ctx *c, const json_t *want, const char *oid, json_t *entry, const char *pid,
                         const char *name)
{
    const hrs_plan_input *in = c->in;
    json_t *add = json_array(), *rem = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(want, i, g) {
        const char *gname = json_string_value(g);
        json_t *grp = json_object_get(in->groups, gname);
        if (!json_is_object(grp)) {
            char r[600];
            snprintf(r, sizeof r, "group '%s' does not exist in the directory (hrsync does not create groups)", gname);
            hrs_plan_quarantine(c, pid, name, r);
            json_decref(add);
            json_decref(rem);
            return -1;
        }
        if (oid && json_object_get(json_object_get(grp, "members"), oid)) continue;
        json_array_append_new(add, json_pack("{s:s, s:s}", "group", gname, "id", sv(grp, "id")));
    }
    /* Removal from managed groups the person no longer belongs in. */
    const char *gname;
    json_t *grp;
    json_object_foreach((json_t *)in->groups, gname, grp) {
        if (!oid || !json_is_object(grp) || !json_object_get(json_object_get(grp, "members"), oid)) continue;
        int wanted = 0;
        json_array_foreach(want, i, g) wanted |= strcmp(json_string_value(g), gname) == 0;
        if (!wanted) json_array_append_new(rem, json_pack("{s:s, s:s}", "group", gname, "id", sv(grp, "id")));
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
        json_t *t = hrs_plan_index_get_lower(c->x.taken_upns, u);
        const char *owner = json_string_value(t);
        if (u && (!t || (owner && *owner && pid && strcmp(owner, pid) == 0))) return u;
    }
    return NULL;
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
    hrs_plan_index_put_lower(c->x.taken_upns, upn, json_string(""));
    return e;
}

/* Takes every entry of person pid out of the plan. */
static void drop_entries(json_t *entries, const char *pid)
{
    for (size_t j = json_array_size(entries); j-- > 0;)
        if (strcmp(sv(json_array_get(entries, j), "person"), pid) == 0) json_array_remove(entries, j);
}

static int has_ops(const json_t *e)
{
    static const char *const keys[] = { "changes", "groups_add", "groups_remove" };
    static const char *const ops[] = { "rename", "enable", "disable", "leave_date", "revoke", "manager" };
    const char *a = sv(e, "action"), *how = sv(e, "linked_by");
    if (strcmp(a, "create") == 0) return 1;
    if (how && strcmp(how, "stored link") != 0) return 1;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (json_array_size(json_object_get(e, keys[i]))) return 1;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (json_object_get(e, ops[i])) return 1;
    return 0;
}

static void count(json_t *summary, const char *key, size_t n)
{
    json_object_set_new(summary, key, json_integer(json_integer_value(json_object_get(summary, key)) + (json_int_t)n));
}

static json_t *summarise(plan_ctx *c, size_t people, size_t unchanged)
{
    static const char *const zero[] = { "create", "update", "link", "enable", "disable", "leave_date", "revoke",
                                        "group_add", "group_remove", "manager", "rename", "drift", NULL };
    json_t *s = json_pack("{s:I, s:I, s:I, s:I, s:I}", "people", (json_int_t)people, "in_scope", (json_int_t)c->in_scope,
                          "out_of_scope", (json_int_t)c->out_of_scope, "unchanged", (json_int_t)unchanged,
                          "quarantined", (json_int_t)json_array_size(c->q));
    for (size_t i = 0; zero[i]; i++) json_object_set_new(s, zero[i], json_integer(0));
    size_t i;
    json_t *e;
    json_array_foreach(c->entries, i, e) {
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

/* An included person with an account: attributes, account state, UPN and groups. Returns the
 * entry, or NULL (quarantined; or *new_account set when rehire = "new" wants a new account). */
static json_t *plan_linked(plan_ctx *c, const json_t *user, const json_t *person, const json_t *d, const char *pid,
                           const char *name, const char *how, int *new_account)
{
    const char *oid = sv(user, "id");
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s}", "person", pid, "name", name, "action", "update",
                          "lifecycle", "mover", "object_id", oid, "upn", sv(user, "userPrincipalName"), "linked_by", how);
    if (!hrs_plan_enabled(user) && hrs_plan_account_state(c, e, user, person, d, pid) == 1) {
        *new_account = 1;
        json_decref(e);
        return NULL;
    }
    hrs_plan_attribute_changes(c, e, user, d, pid);
    hrs_plan_rename(c, e, user, d, pid, name);
    if (group_changes(c, json_object_get(d, "groups"), oid, e, pid, name) != 0) { json_decref(e); return NULL; }
    return e;
}

static void plan_person(plan_ctx *c, const json_t *p)
{
    const hrs_plan_input *in = c->in;
    const char *pid = sv(p, "id");
    char name[300];
    hrs_plan_person_name(p, name, sizeof name);
    const json_t *d = pid ? json_object_get(in->decisions, pid) : NULL;
    if (!d || json_object_get(c->bad, pid)) return;
    const char *dn = sv(json_object_get(d, "attributes"), "displayName");
    if (dn && *dn) snprintf(name, sizeof name, "%s", dn);
    if (sv(d, "error")) {
        hrs_plan_quarantine(c, pid, name, sv(d, "error"));
        if (sv(d, "failure"))   /* decide.h: error, budget, memory, invalid, date */
            json_object_set(json_array_get(c->q, json_array_size(c->q) - 1), "failure", json_object_get(d, "failure"));
        return;
    }
    if (!json_is_true(json_object_get(d, "include"))) {
        c->out_of_scope++;
        /* A leaver: only an account hrsync manages (a stored link) is touched. */
        const char *oid = sv(json_object_get(in->links, pid), "object_id");
        json_t *user = oid ? json_object_get(c->x.by_id, oid) : NULL;
        if (!user) return;
        json_t *e = hrs_plan_leaver(c, pid, name, p, d, user, sv(d, "reason"));
        if (e) json_array_append_new(c->entries, e);
        return;
    }
    c->in_scope++;
    const char *how = NULL;
    json_t *user = link_person(c, pid, json_object_get(d, "attributes"), p, &how);
    if (user) {
        const char *oid = sv(user, "id");
        const char *other = sv(c->x.claimed, oid);
        if (other) {
            char r[400];
            snprintf(r, sizeof r, "account %s is matched by persons %s and %s; nothing is written for either until that is resolved",
                     sv(user, "userPrincipalName") ? sv(user, "userPrincipalName") : oid, other, pid);
            hrs_plan_quarantine(c, pid, name, r);
            hrs_plan_quarantine(c, other, other, r);
            drop_entries(c->entries, other);
            json_object_del(c->accounts, other);
            json_object_set_new(c->bad, other, json_string(r));
            json_object_set_new(c->bad, pid, json_string(r));
            return;
        }
        json_object_set_new(c->x.claimed, oid, json_string(pid));
    }
    json_t *e = NULL;
    const char *replaces = NULL;
    if (user) {
        int new_account = 0;
        e = plan_linked(c, user, p, d, pid, name, how, &new_account);
        if (new_account) replaces = sv(user, "id");
        else if (!e) return;
        else {
            json_object_set(c->users_of, pid, user);
            json_object_set_new(c->accounts, pid, json_string(sv(user, "id")));
        }
    }
    if (!e) {
        e = plan_create(c, p, d, pid, name);
        if (!e) return;
        if (replaces) {
            json_object_set_new(e, "replaces", json_string(replaces));
            json_object_set_new(e, "lifecycle", json_string("rehire"));
        }
        json_object_set_new(c->accounts, pid, json_string(""));
    }
    json_array_append_new(c->entries, e);
}

int hrs_plan_build(const hrs_plan_input *in, json_t **plan, hrs_err *err)
{
    plan_ctx c;
    memset(&c, 0, sizeof c);
    c.in = in;
    c.entries = json_array();
    c.q = json_array();
    c.notes = json_array();
    c.people_by_id = json_object();
    c.bad = json_object();
    c.accounts = json_object();
    c.users_of = json_object();
    *plan = NULL;
    int rc = -1;
    if (hrs_plan_settings(&c, err) != 0) goto out;
    index_build(&c);
    size_t people = 0, i;
    json_t *p, *sq;
    json_array_foreach(in->source_quarantine, i, sq) json_array_append(c.q, sq);
    json_array_foreach(in->people, i, p) {
        const char *pid = sv(p, "id");
        if (pid) json_object_set(c.people_by_id, pid, p);
    }
    hrs_plan_bad_input(&c);
    json_array_foreach(in->people, i, p) {
        people++;
        plan_person(&c, p);
    }
    if (!in->partial) hrs_plan_gone(&c);
    hrs_plan_managers(&c);
    /* People with nothing to do or report are counted, not listed. */
    size_t unchanged = 0;
    for (size_t j = json_array_size(c.entries); j-- > 0;) {
        json_t *e = json_array_get(c.entries, j);
        if (has_ops(e) || json_array_size(json_object_get(e, "drift"))) continue;
        if (strcmp(sv(e, "action"), "update") == 0) unchanged++;
        json_array_remove(c.entries, j);
    }
    json_t *summary = summarise(&c, people, unchanged);
    *plan = json_pack("{s:s, s:o, s:O, s:O, s:O}", "today", in->today, "summary", summary, "changes", c.entries,
                      "quarantine", c.q, "notes", c.notes);
    index_free(&c.x);
    if (!*plan) { hrs_err_set(err, "out of memory building the plan"); goto out; }
    rc = 0;
out:
    json_decref(c.entries);
    json_decref(c.q);
    json_decref(c.notes);
    json_decref(c.people_by_id);
    json_decref(c.bad);
    json_decref(c.accounts);
    json_decref(c.users_of);
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
