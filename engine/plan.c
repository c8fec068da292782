/* plan.c: links persons to directory accounts and computes the plan (see include/hrsync/plan.h). */
#include "hrsync/plan.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Indexes of the directory, keyed by object id, employeeId and lower-cased UPN and mail. */
typedef struct {
    json_t *by_id, *by_employee_id, *by_upn, *by_mail;
    json_t *taken_upns;   /* lower-cased UPNs in the directory or taken by a create in this plan */
    json_t *claimed;      /* object id -> person id, to find an account linked to two people */
} dir_index;

static void lower_into(char *dst, size_t n, const char *s)
{
    size_t i = 0;
    for (; s && s[i] && i + 1 < n; i++) dst[i] = (char)tolower((unsigned char)s[i]);
    dst[i] = '\0';
}

static void index_put_lower(json_t *idx, const char *key, json_t *user)
{
    char k[512];
    if (!key || !*key) return;
    lower_into(k, sizeof k, key);
    json_object_set(idx, k, user);
}

static json_t *index_get_lower(const json_t *idx, const char *key)
{
    char k[512];
    if (!key || !*key) return NULL;
    lower_into(k, sizeof k, key);
    return json_object_get(idx, k);
}

static void index_build(dir_index *x, const json_t *users)
{
    x->by_id = json_object();
    x->by_employee_id = json_object();
    x->by_upn = json_object();
    x->by_mail = json_object();
    x->taken_upns = json_object();
    x->claimed = json_object();
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        const char *id = json_string_value(json_object_get(u, "id"));
        if (!id) continue;
        json_object_set(x->by_id, id, u);
        const char *eid = json_string_value(json_object_get(u, "employeeId"));
        if (eid && *eid) json_object_set(x->by_employee_id, eid, u);
        const char *upn = json_string_value(json_object_get(u, "userPrincipalName"));
        index_put_lower(x->by_upn, upn, u);
        index_put_lower(x->taken_upns, upn, json_true());
        index_put_lower(x->by_mail, json_string_value(json_object_get(u, "mail")), u);
    }
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

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int enabled(const json_t *u) { return json_is_true(json_object_get(u, "accountEnabled")); }

static void person_name(const json_t *p, char *out, size_t n)
{
    const char *pref = sv(p, "preferred_name"), *f = sv(p, "first_name"), *l = sv(p, "last_name");
    if (pref && *pref) snprintf(out, n, "%s", pref);
    else snprintf(out, n, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
    if (!*out) snprintf(out, n, "%s", sv(p, "id") ? sv(p, "id") : "?");
}

/* Finds the account of a person: stored link, then employeeId, then email against UPN and mail
 * (enabled accounts only for the last two). Sets *how to the rule that matched. */
static json_t *link_person(const dir_index *x, const json_t *links, const char *pid, const json_t *attrs,
                           const json_t *person, const char **how)
{
    const char *oid = sv(json_object_get(links, pid), "object_id");
    json_t *u = oid ? json_object_get(x->by_id, oid) : NULL;
    if (u) { *how = "stored link"; return u; }
    const char *eid = sv(attrs, "employeeId");
    if (!eid) eid = pid;
    u = json_object_get(x->by_employee_id, eid);
    if (u && enabled(u)) { *how = "employeeId"; return u; }
    const char *mail = sv(person, "email");
    u = index_get_lower(x->by_upn, mail);
    if (u && enabled(u)) { *how = "email = userPrincipalName"; return u; }
    u = index_get_lower(x->by_mail, mail);
    if (u && enabled(u)) { *how = "email = mail"; return u; }
    return NULL;
}

static int values_equal(const json_t *want, const json_t *have)
{
    if (!have) have = json_null();
    if (json_is_string(want) && json_is_string(have)) return strcmp(json_string_value(want), json_string_value(have)) == 0;
    if (json_is_null(want) && json_is_array(have)) return json_array_size(have) == 0;
    if (json_is_array(want) && json_is_null(have)) return json_array_size(want) == 0;
    return json_equal(want, have);
}

static void quarantine(json_t *q, const char *pid, const char *name, const char *reason)
{
    json_array_append_new(q, json_pack("{s:s?, s:s, s:s}", "person", pid, "name", name, "reason", reason));
}

/* Group changes for one person. members of groups is keyed by object id; oid may be NULL for a
 * create (then every wanted group is an add). */
static int group_changes(const hrs_plan_input *in, const json_t *want, const char *oid, json_t *entry,
                         json_t *q, const char *pid, const char *name)
{
    json_t *add = json_array(), *rem = json_array();
    size_t i;
    json_t *g;
    json_array_foreach(want, i, g) {
        const char *gname = json_string_value(g);
        json_t *grp = json_object_get(in->groups, gname);
        if (!json_is_object(grp)) {
            char r[600];
            snprintf(r, sizeof r, "group '%s' does not exist in the directory (hrsync does not create groups)", gname);
            quarantine(q, pid, name, r);
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

static const char *free_upn(dir_index *x, const json_t *cands)
{
    size_t i;
    json_t *c;
    json_array_foreach(cands, i, c) {
        const char *u = json_string_value(c);
        if (u && !index_get_lower(x->taken_upns, u)) return u;
    }
    return NULL;
}

static json_t *plan_create(const hrs_plan_input *in, dir_index *x, const json_t *person, const json_t *d,
                           const char *pid, const char *name, json_t *q)
{
    const json_t *cands = json_object_get(d, "upns");
    const char *upn = free_upn(x, cands);
    if (!upn) {
        char r[300];
        snprintf(r, sizeof r, "every UPN candidate (%zu) is taken in the directory or by another new account", json_array_size(cands));
        quarantine(q, pid, name, r);
        return NULL;
    }
    json_t *attrs = json_deep_copy(json_object_get(d, "attributes"));
    if (!json_object_get(attrs, "displayName")) json_object_set_new(attrs, "displayName", json_string(name));
    int start_disabled = json_is_true(json_object_get(in->lifecycle, "create_disabled"));
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:O, s:b, s:o}", "person", pid, "name", name, "action", "create",
                          "upn", upn, "upn_candidates", cands, "account_enabled", !start_disabled, "attributes", attrs);
    if (group_changes(in, json_object_get(d, "groups"), NULL, e, q, pid, name) != 0) { json_decref(e); return NULL; }
    index_put_lower(x->taken_upns, upn, json_true());
    (void)person;
    return e;
}

static json_t *plan_update(const hrs_plan_input *in, const json_t *user, const json_t *d, const char *pid,
                           const char *name, const char *how, json_t *q)
{
    const char *oid = sv(user, "id");
    json_t *changes = json_array();
    const char *k;
    json_t *want;
    json_object_foreach(json_object_get(d, "attributes"), k, want) {
        json_t *have = json_object_get(user, k);
        if (values_equal(want, have)) continue;
        if (strcmp(k, "displayName") == 0 && json_is_null(want)) continue; /* cannot be cleared */
        json_array_append_new(changes, json_pack("{s:s, s:O, s:O}", "attribute", k, "old", have ? have : json_null(), "new", want));
    }
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s}", "person", pid, "name", name, "action", "update",
                          "object_id", oid, "upn", sv(user, "userPrincipalName"), "linked_by", how);
    if (json_array_size(changes)) json_object_set(e, "changes", changes);
    json_decref(changes);
    if (group_changes(in, json_object_get(d, "groups"), oid, e, q, pid, name) != 0) { json_decref(e); return NULL; }
    return e;
}

static void count(json_t *summary, const char *key, size_t n)
{
    json_object_set_new(summary, key, json_integer(json_integer_value(json_object_get(summary, key)) + (json_int_t)n));
}

/* Takes every change of person pid out of the plan. */
static void drop_changes(json_t *changes, const char *pid)
{
    for (size_t j = json_array_size(changes); j-- > 0;)
        if (strcmp(sv(json_array_get(changes, j), "person"), pid) == 0) json_array_remove(changes, j);
}

static json_t *summarise(json_t *changes, json_t *q, size_t people, size_t in_scope, size_t out_of_scope, size_t unchanged)
{
    json_t *s = json_pack("{s:I, s:I, s:I, s:i, s:i, s:i, s:i, s:i, s:I, s:I}", "people", (json_int_t)people,
                          "in_scope", (json_int_t)in_scope, "out_of_scope", (json_int_t)out_of_scope, "create", 0,
                          "update", 0, "link", 0, "group_add", 0, "group_remove", 0,
                          "unchanged", (json_int_t)unchanged, "quarantined", (json_int_t)json_array_size(q));
    size_t i;
    json_t *c;
    json_array_foreach(changes, i, c) {
        const char *a = sv(c, "action");
        if (strcmp(a, "create") == 0) count(s, "create", 1);
        if (json_array_size(json_object_get(c, "changes"))) count(s, "update", 1);
        if (strcmp(a, "update") == 0 && strcmp(sv(c, "linked_by"), "stored link") != 0) count(s, "link", 1);
        count(s, "group_add", json_array_size(json_object_get(c, "groups_add")));
        count(s, "group_remove", json_array_size(json_object_get(c, "groups_remove")));
    }
    return s;
}

int hrs_plan_build(const hrs_plan_input *in, json_t **plan, hrs_err *err)
{
    dir_index x;
    index_build(&x, in->users);
    json_t *changes = json_array(), *q = json_array(), *notes = json_array();
    size_t people = 0, in_scope = 0, out_of_scope = 0, unchanged = 0, i;
    json_t *p, *sq;
    json_array_foreach(in->source_quarantine, i, sq) json_array_append(q, sq);
    json_array_foreach(in->people, i, p) {
        const char *pid = sv(p, "id");
        char name[300];
        person_name(p, name, sizeof name);
        people++;
        const json_t *d = json_object_get(in->decisions, pid);
        if (!d) continue;
        const char *dn = sv(json_object_get(d, "attributes"), "displayName");
        if (dn && *dn) snprintf(name, sizeof name, "%s", dn);
        if (sv(d, "error")) { quarantine(q, pid, name, sv(d, "error")); continue; }
        if (!json_is_true(json_object_get(d, "include"))) { out_of_scope++; continue; }
        in_scope++;
        const char *how = NULL;
        json_t *user = link_person(&x, in->links, pid, json_object_get(d, "attributes"), p, &how);
        if (user) {
            const char *oid = sv(user, "id");
            const char *other = sv(x.claimed, oid);
            if (other) {
                char r[400];
                snprintf(r, sizeof r, "account %s is matched by persons %s and %s; nothing is written for either until that is resolved",
                         sv(user, "userPrincipalName") ? sv(user, "userPrincipalName") : oid, other, pid);
                quarantine(q, pid, name, r);
                quarantine(q, other, other, r);
                drop_changes(changes, other);
                continue;
            }
            json_object_set_new(x.claimed, oid, json_string(pid));
        }
        json_t *e = user ? plan_update(in, user, d, pid, name, how, q) : plan_create(in, &x, p, d, pid, name, q);
        if (!e) continue;
        int busy = !user || json_array_size(json_object_get(e, "changes")) || json_array_size(json_object_get(e, "groups_add")) ||
                   json_array_size(json_object_get(e, "groups_remove")) || strcmp(how, "stored link") != 0;
        if (busy) json_array_append_new(changes, e);
        else { unchanged++; json_decref(e); }
    }
    json_t *summary = summarise(changes, q, people, in_scope, out_of_scope, unchanged);
    *plan = json_pack("{s:s, s:o, s:o, s:o, s:o}", "today", in->today, "summary", summary, "changes", changes,
                      "quarantine", q, "notes", notes);
    index_free(&x);
    if (!*plan) return hrs_err_set(err, "out of memory building the plan");
    return 0;
}

size_t hrs_plan_count(const json_t *plan)
{
    size_t n = 0, i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c) {
        const char *a = sv(c, "action");
        if (a && strcmp(a, "create") == 0) n++;
        n += json_array_size(json_object_get(c, "changes")) ? 1 : 0;
        n += json_array_size(json_object_get(c, "groups_add"));
        n += json_array_size(json_object_get(c, "groups_remove"));
        if (a && strcmp(a, "update") == 0 && sv(c, "linked_by") && strcmp(sv(c, "linked_by"), "stored link") != 0) n++;
    }
    return n;
}
