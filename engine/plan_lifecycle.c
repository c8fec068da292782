/* plan_lifecycle.c: the lifecycle rules of a plan (see include/hrsync/plan.h): the policy's
 * lifecycle settings, bad HR input, enabling on the hire date and rehires, drift, UPN renames,
 * leavers (and people gone from the source), and managers. */
#include "plan_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define sv hrs_plan_sv

/* The applied-values key hrsync uses to remember that it processed a person as a leaver
 * (value: the termination date, or the day it did). Not a Graph property. */
#define LEFT_KEY "hrsync:left"

/* ---- settings --------------------------------------------------------------------------- */

static int bool_setting(const json_t *o, const char *key, const char *prefix, int dflt, int *out, hrs_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) { *out = dflt; return 0; }
    if (!json_is_boolean(v)) return hrs_err_set(err, "policy lifecycle.%s%s must be true or false", prefix, key);
    *out = json_is_true(v);
    return 0;
}

static int choice_setting(const json_t *o, const char *key, const char *a, const char *b, int *is_b, hrs_err *err)
{
    json_t *v = json_object_get(o, key);
    if (!v || json_is_null(v)) { *is_b = 0; return 0; }
    const char *s = json_string_value(v);
    if (s && strcmp(s, a) == 0) { *is_b = 0; return 0; }
    if (s && strcmp(s, b) == 0) { *is_b = 1; return 0; }
    return hrs_err_set(err, "policy lifecycle.%s is %s%s%s, expected \"%s\" or \"%s\"", key, s ? "'" : "", s ? s : "not a string",
                       s ? "'" : "", a, b);
}

int hrs_plan_settings(plan_ctx *c, hrs_err *err)
{
    static const char *const known[] = { "create_disabled", "leaver", "rehire", "drift", "rename_upn", "manager",
                                         "timezone_field", "prehire_days", NULL };
    static const char *const leaver_known[] = { "disable", "set_leave_date", "remove_groups", "revoke_sessions", NULL };
    const json_t *lc = c->in->lifecycle;
    plan_settings *s = &c->set;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)lc, k, v) {
        int ok = 0;
        for (size_t i = 0; known[i]; i++) ok |= strcmp(k, known[i]) == 0;
        if (!ok) hrs_plan_note(c, "lifecycle.%s is not a setting hrsync knows; it is ignored", k);
    }
    const json_t *leaver = json_object_get(lc, "leaver");
    if (leaver && !json_is_null(leaver) && !json_is_object(leaver))
        return hrs_err_set(err, "policy lifecycle.leaver must be a table { disable, set_leave_date, remove_groups, revoke_sessions }");
    json_object_foreach((json_t *)leaver, k, v) {
        int ok = 0;
        for (size_t i = 0; leaver_known[i]; i++) ok |= strcmp(k, leaver_known[i]) == 0;
        if (!ok) return hrs_err_set(err, "policy lifecycle.leaver.%s is not known (known: disable, set_leave_date, remove_groups, revoke_sessions)", k);
    }
    json_t *tzf = json_object_get(lc, "timezone_field");
    if (tzf && !json_is_null(tzf) && !json_is_string(tzf))
        return hrs_err_set(err, "policy lifecycle.timezone_field must be the name of a person field");
    if (bool_setting(lc, "create_disabled", "", 0, &s->create_disabled, err) ||
        bool_setting(lc, "rename_upn", "", 0, &s->rename_upn, err) ||
        bool_setting(lc, "manager", "", 1, &s->manager, err) ||
        bool_setting(leaver, "disable", "leaver.", 1, &s->leaver_disable, err) ||
        bool_setting(leaver, "set_leave_date", "leaver.", 0, &s->leaver_leave_date, err) ||
        bool_setting(leaver, "remove_groups", "leaver.", 1, &s->leaver_remove_groups, err) ||
        bool_setting(leaver, "revoke_sessions", "leaver.", 1, &s->leaver_revoke, err) ||
        choice_setting(lc, "rehire", "relink", "new", &s->rehire_new, err) ||
        choice_setting(lc, "drift", "hr_wins", "keep", &s->drift_keep, err))
        return -1;
    return 0;
}

/* ---- bad input -------------------------------------------------------------------------- */

static void mark_bad(plan_ctx *c, const char *pid, const char *reason)
{
    if (json_object_get(c->bad, pid)) return;
    char name[300];
    const json_t *p = json_object_get(c->people_by_id, pid);
    const json_t *d = json_object_get(c->in->decisions, pid);
    const char *dn = sv(json_object_get(d, "attributes"), "displayName");
    if (dn && *dn) snprintf(name, sizeof name, "%s", dn);
    else hrs_plan_person_name(p, name, sizeof name);
    json_object_set_new(c->bad, pid, json_string(reason));
    hrs_plan_quarantine(c, pid, name, reason);
}

static void duplicate_emails(plan_ctx *c)
{
    json_t *by_mail = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(c->in->people, i, p) {
        const char *mail = sv(p, "email"), *pid = sv(p, "id");
        if (!mail || !*mail || !pid) continue;
        json_t *list = hrs_plan_index_get_lower(by_mail, mail);
        if (!list) { list = json_array(); hrs_plan_index_put_lower(by_mail, mail, list); }
        json_array_append_new(list, json_string(pid));
    }
    const char *mail;
    json_t *list;
    json_object_foreach(by_mail, mail, list) {
        if (json_array_size(list) < 2) continue;
        char ids[400] = "";
        size_t o = 0;
        json_array_foreach(list, i, p) {
            int w = snprintf(ids + o, sizeof ids - o, "%s%s", i ? ", " : "", json_string_value(p));
            if (w < 0 || (size_t)w >= sizeof ids - o) break;
            o += (size_t)w;
        }
        char r[700];
        snprintf(r, sizeof r, "email %s is given for persons %s in HR; nothing is written for them until HR fixes it", mail, ids);
        json_array_foreach(list, i, p) mark_bad(c, json_string_value(p), r);
    }
    json_decref(by_mail);
}

static void termination_before_hire(plan_ctx *c)
{
    size_t i;
    json_t *p;
    json_array_foreach(c->in->people, i, p) {
        const char *hire = sv(p, "hire_date"), *term = sv(p, "termination_date"), *pid = sv(p, "id");
        if (!pid || !hire || !term || strcmp(term, hire) >= 0) continue;
        char r[300];
        snprintf(r, sizeof r, "termination date %s is before the hire date %s in HR; nothing is written for this person until HR fixes it",
                 term, hire);
        mark_bad(c, pid, r);
    }
}

/* Follows supervisor_id from every person; a walk that comes back onto itself is a loop, and
 * everyone on it is held back. Each person is walked once. */
static void manager_loops(plan_ctx *c)
{
    json_t *state = json_object();   /* pid -> 1 on the current walk, 2 done */
    size_t i, n = json_array_size(c->in->people);
    const char **path = calloc(n + 1, sizeof *path);
    json_t *p;
    if (!path) { json_decref(state); return; }
    json_array_foreach(c->in->people, i, p) {
        size_t len = 0;
        const char *cur = sv(p, "id");
        while (cur && !json_object_get(state, cur) && len < n) {
            json_object_set_new(state, cur, json_integer(1));
            path[len++] = cur;
            const char *sid = sv(json_object_get(c->people_by_id, cur), "supervisor_id");
            cur = sid && *sid && json_object_get(c->people_by_id, sid) ? sid : NULL;
        }
        if (cur && json_integer_value(json_object_get(state, cur)) == 1) {
            size_t from = 0;
            while (from < len && strcmp(path[from], cur) != 0) from++;
            char r[800], chain[500] = "";
            size_t o = 0;
            for (size_t k = from; k <= len; k++) {
                const char *who = k < len ? path[k] : cur;
                int w = snprintf(chain + o, sizeof chain - o, "%s%s", k > from ? " -> " : "", who);
                if (w < 0 || (size_t)w >= sizeof chain - o) break;
                o += (size_t)w;
            }
            snprintf(r, sizeof r, "manager loop in HR (supervisor_id %s); nothing is written for these people until HR fixes it", chain);
            for (size_t k = from; k < len; k++) mark_bad(c, path[k], r);
        }
        for (size_t k = 0; k < len; k++) json_object_set_new(state, path[k], json_integer(2));
    }
    free(path);
    json_decref(state);
}

void hrs_plan_bad_input(plan_ctx *c)
{
    duplicate_emails(c);
    termination_before_hire(c);
    manager_loops(c);
}

/* ---- joiners and rehires ---------------------------------------------------------------- */

int hrs_plan_start_enabled(const plan_ctx *c, const json_t *person, const json_t *d)
{
    if (!c->set.create_disabled) return 1;
    const char *hire = sv(person, "hire_date");
    /* Without a hire date there is no day to wait for. */
    return !hire || strcmp(hrs_plan_today_of(c, d), hire) >= 0;
}

static void add_drift(plan_ctx *c, json_t *e, const char *attr, const json_t *hr, const json_t *dir, const json_t *last)
{
    json_t *drift = json_object_get(e, "drift");
    if (!drift) { drift = json_array(); json_object_set_new(e, "drift", drift); }
    json_array_append_new(drift, json_pack("{s:s, s:O, s:O, s:O, s:s}", "attribute", attr, "hr", hr ? hr : json_null(),
                                           "directory", dir ? dir : json_null(), "last_written", last ? last : json_null(),
                                           "action", c->set.drift_keep ? "keep" : "overwrite"));
}

static void add_change(json_t *e, const char *attr, const json_t *old, const json_t *neu)
{
    json_t *ch = json_object_get(e, "changes");
    if (!ch) { ch = json_array(); json_object_set_new(e, "changes", ch); }
    json_array_append_new(ch, json_pack("{s:s, s:O, s:O}", "attribute", attr, "old", old ? old : json_null(), "new",
                                        neu ? neu : json_null()));
}

int hrs_plan_account_state(plan_ctx *c, json_t *e, const json_t *user, const json_t *person, const json_t *d,
                           const char *pid)
{
    if (!hrs_plan_start_enabled(c, person, d)) return 0;    /* a pre-hire, before the first day */
    const json_t *applied = json_object_get(c->in->applied, pid);
    const char *left = sv(applied, LEFT_KEY);
    char r[300];
    if (left) {
        json_object_set_new(e, "lifecycle", json_string("rehire"));
        if (c->set.rehire_new) return 1;
        snprintf(r, sizeof r, "rehire: left %s, the account is enabled again (lifecycle.rehire = relink)", left);
        json_object_set_new(e, "enable", json_pack("{s:s}", "reason", r));
        /* The leave date hrsync wrote goes, unless the policy maps it. */
        const json_t *have = json_object_get(user, "employeeLeaveDateTime");
        if (have && !json_is_null(have) && json_object_get(applied, "employeeLeaveDateTime") &&
            !json_object_get(json_object_get(d, "attributes"), "employeeLeaveDateTime"))
            add_change(e, "employeeLeaveDateTime", have, json_null());
        return 0;
    }
    const json_t *last = json_object_get(applied, "accountEnabled");
    const char *hire = sv(person, "hire_date");
    if (json_is_false(last)) {
        if (hire) snprintf(r, sizeof r, "hire date %s reached", hire);
        else snprintf(r, sizeof r, "created disabled; no hire date to wait for");
    } else if (json_is_true(last)) {
        json_t *t = json_true(), *f = json_false();
        add_drift(c, e, "accountEnabled", t, f, t);
        json_decref(t);
        json_decref(f);
        if (c->set.drift_keep) return 0;
        snprintf(r, sizeof r, "disabled by hand in the directory; HR wins (lifecycle.drift = hr_wins)");
    } else {
        snprintf(r, sizeof r, "the account is disabled and the person is in scope");
    }
    json_object_set_new(e, "enable", json_pack("{s:s}", "reason", r));
    return 0;
}

/* ---- movers ----------------------------------------------------------------------------- */

void hrs_plan_attribute_changes(plan_ctx *c, json_t *e, const json_t *user, const json_t *d, const char *pid)
{
    const json_t *applied = json_object_get(c->in->applied, pid);
    const char *k;
    json_t *want;
    json_object_foreach(json_object_get(d, "attributes"), k, want) {
        json_t *have = json_object_get(user, k);
        if (hrs_plan_values_equal(want, have)) continue;
        if (strcmp(k, "displayName") == 0 && json_is_null(want)) continue; /* cannot be cleared */
        /* A manual edit: the directory differs from what hrsync last wrote, and HR still wants
         * that value (so HR did not change). */
        json_t *last = json_object_get(applied, k);
        if (last && !hrs_plan_values_equal(last, have) && hrs_plan_values_equal(last, want)) {
            add_drift(c, e, k, want, have, last);
            if (c->set.drift_keep) continue;
        }
        add_change(e, k, have, want);
    }
}

void hrs_plan_rename(plan_ctx *c, json_t *e, const json_t *user, const json_t *d, const char *pid, const char *name)
{
    const char *cur = sv(user, "userPrincipalName");
    const json_t *cands = json_object_get(d, "upns");
    size_t i;
    json_t *cand;
    if (!cur) return;
    json_array_foreach(cands, i, cand)
        if (json_string_value(cand) && strcasecmp(json_string_value(cand), cur) == 0) return;
    const char *first = json_string_value(json_array_get(cands, 0));
    if (!c->set.rename_upn) {
        hrs_plan_note(c, "%s (%s) keeps the UPN %s, which the policy no longer gives (first candidate %s); "
                      "lifecycle.rename_upn = true renames it", name, pid, cur, first ? first : "?");
        return;
    }
    const char *neu = hrs_plan_free_upn(c, cands, pid);
    if (!neu) {
        hrs_plan_note(c, "%s (%s) keeps the UPN %s: every new candidate is taken", name, pid, cur);
        return;
    }
    json_object_set_new(e, "rename", json_pack("{s:s, s:s, s:O}", "old", cur, "new", neu, "candidates", cands));
    hrs_plan_index_put_lower(c->x.taken_upns, neu, json_string(""));
}

/* ---- leavers ---------------------------------------------------------------------------- */

json_t *hrs_plan_leaver(plan_ctx *c, const char *pid, const char *name, const json_t *person, const json_t *d,
                        const json_t *user, const char *why)
{
    const json_t *applied = json_object_get(c->in->applied, pid);
    const char *left = sv(applied, LEFT_KEY);
    const char *term = sv(person, "termination_date");
    const char *oid = sv(user, "id");
    json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s?, s:s}", "person", pid, "name", name, "action", "leaver",
                          "lifecycle", "leaver", "object_id", oid, "upn", sv(user, "userPrincipalName"), "linked_by",
                          "stored link");
    const char *reason = why && *why ? why : "no longer included by the policy";
    if (c->set.leaver_disable && hrs_plan_enabled(user)) {
        if (!left) {
            json_object_set_new(e, "disable", json_pack("{s:s, s:s?}", "reason", reason, "since", term));
        } else {
            /* hrsync disabled it before; someone enabled it again by hand. */
            json_t *t = json_true(), *f = json_false();
            add_drift(c, e, "accountEnabled", f, t, f);
            json_decref(t);
            json_decref(f);
            if (!c->set.drift_keep)
                json_object_set_new(e, "disable", json_pack("{s:s, s:s?}", "reason",
                                                            "enabled by hand after hrsync disabled it; HR wins", "since", term));
        }
    }
    if (c->set.leaver_revoke && (!left || json_object_get(e, "disable"))) json_object_set_new(e, "revoke", json_true());
    if (c->set.leaver_leave_date && term) {
        char want[32];
        const char *ldt = sv(d, "leave_datetime");
        if (ldt) snprintf(want, sizeof want, "%s", ldt);
        else snprintf(want, sizeof want, "%sT23:59:59Z", term);
        const char *have = sv(user, "employeeLeaveDateTime");
        if (!have || strcmp(have, want) != 0)
            json_object_set_new(e, "leave_date", json_pack("{s:s?, s:s}", "old", have, "new", want));
    }
    if (c->set.leaver_remove_groups) {
        json_t *rem = json_array();
        const char *gname;
        json_t *grp;
        json_object_foreach((json_t *)c->in->groups, gname, grp)
            if (json_is_object(grp) && json_object_get(json_object_get(grp, "members"), oid))
                json_array_append_new(rem, json_pack("{s:s, s:s}", "group", gname, "id", sv(grp, "id")));
        if (json_array_size(rem)) json_object_set(e, "groups_remove", rem);
        json_decref(rem);
    }
    static const char *const ops[] = { "disable", "revoke", "leave_date", "groups_remove", "drift" };
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++)
        if (json_object_get(e, ops[i])) return e;
    json_decref(e);
    return NULL;
}

void hrs_plan_gone(plan_ctx *c)
{
    size_t unreadable = 0, i;
    json_t *sq;
    json_t *unreadable_ids = json_object();
    json_array_foreach(c->in->source_quarantine, i, sq) {
        const char *id = sv(sq, "id");
        if (id && *id) json_object_set_new(unreadable_ids, id, json_true());
        else unreadable++;
    }
    const char *pid;
    json_t *l;
    json_object_foreach((json_t *)c->in->links, pid, l) {
        if (json_object_get(c->people_by_id, pid) || json_object_get(unreadable_ids, pid)) continue;
        const json_t *user = json_object_get(c->x.by_id, sv(l, "object_id"));
        if (!user) continue;
        const char *name = sv(user, "displayName") ? sv(user, "displayName") : sv(user, "userPrincipalName");
        if (unreadable) {
            hrs_plan_note(c, "%s (%s, %s) is not in the source, but %zu record%s could not be read: the account is "
                          "left alone until the source is read whole", name ? name : pid, pid,
                          sv(user, "userPrincipalName") ? sv(user, "userPrincipalName") : "?", unreadable,
                          unreadable == 1 ? "" : "s");
            continue;
        }
        json_t *e = hrs_plan_leaver(c, pid, name ? name : pid, NULL, NULL, user, "not in the source any more");
        if (e) json_array_append_new(c->entries, e);
    }
    json_decref(unreadable_ids);
}

/* ---- managers --------------------------------------------------------------------------- */

void hrs_plan_managers(plan_ctx *c)
{
    if (!c->set.manager) return;
    json_t *entry_of = json_object();
    size_t i;
    json_t *e, *p;
    json_array_foreach(c->entries, i, e) json_object_set(entry_of, sv(e, "person"), e);
    json_array_foreach(c->in->people, i, p) {
        const char *pid = sv(p, "id"), *sid = sv(p, "supervisor_id");
        if (!pid || !sid || !*sid || !json_object_get(c->accounts, pid) || json_object_get(c->bad, pid)) continue;
        json_t *entry = json_object_get(entry_of, pid);
        if (!entry || strcmp(sv(entry, "action"), "leaver") == 0) continue;
        const char *name = sv(entry, "name");
        const json_t *sup = json_object_get(c->people_by_id, sid);
        if (!sup) {
            hrs_plan_note(c, "the manager of %s (%s), supervisor_id %s, is not in the source: the manager is not set", name, pid, sid);
            continue;
        }
        char sname[300];
        json_t *sentry = json_object_get(entry_of, sid);
        if (sentry) snprintf(sname, sizeof sname, "%s", sv(sentry, "name"));
        else hrs_plan_person_name(sup, sname, sizeof sname);
        const char *macct = sv(c->accounts, sid);
        if (!macct) {
            hrs_plan_note(c, "the manager of %s (%s), %s (%s), %s: the manager is not set", name, pid, sname, sid,
                          json_object_get(c->bad, sid) ? "is held back (see quarantine)" : "is not in scope");
            continue;
        }
        const char *current = sv(json_object_get(json_object_get(c->users_of, pid), "manager"), "id");
        if (*macct && current && strcmp(current, macct) == 0) continue;
        json_object_set_new(entry, "manager", json_pack("{s:s, s:s, s:s?, s:s?}", "person", sid, "name", sname, "id",
                                                        *macct ? macct : NULL, "old", current));
    }
    json_decref(entry_of);
}
