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
    plan_who *w = hrs_plan_who(c, pid);
    if (!w || w->bad) return;
    char name[300];
    hrs_plan_entry_name(w->person, json_object_get(c->in->decisions, pid), name, sizeof name);
    w->bad = 1;
    hrs_plan_quarantine(c, pid, name, reason);
}

/* People who share an email (compared without case), in the order the first of each email
 * comes in the source, each list in source order. */
static int duplicate_emails(plan_ctx *c)
{
    size_t n = c->npeople;
    plan_map first;                                   /* email -> position + 1 of its first person */
    size_t *next = calloc(n ? n : 1, sizeof *next);   /* position + 1 of the next with that email */
    size_t *count = calloc(n ? n : 1, sizeof *count); /* people with the email, at the first */
    size_t *last = calloc(n ? n : 1, sizeof *last);   /* position of the last so far, at the first */
    int rc = next && count && last && hrs_plan_map_init(&first, 0, 1) == 0 ? 0 : -1;   /* grows with the emails */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        const char *mail = sv(c->who[i].person, "email");
        if (!mail || !*mail || !c->who[i].pid) continue;
        const void *f = hrs_plan_map_get(&first, mail);
        if (!f) {
            rc = hrs_plan_map_put(&first, mail, (const void *)(uintptr_t)(i + 1)) < 0 ? -1 : 0;
            count[i] = 1;
            last[i] = i;
            continue;
        }
        size_t head = (size_t)(uintptr_t)f - 1;
        next[last[head]] = i + 1;
        last[head] = i;
        count[head]++;
    }
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (count[i] < 2) continue;
        const char *mail = sv(c->who[i].person, "email");
        char low[PLAN_MAP_FOLD_MAX + 1];   /* the email as compared: lower-cased, cut */
        size_t l = 0;
        for (; mail[l] && l < PLAN_MAP_FOLD_MAX; l++)
            low[l] = (char)(mail[l] >= 'A' && mail[l] <= 'Z' ? mail[l] - 'A' + 'a' : mail[l]);
        low[l] = '\0';
        char ids[400] = "";
        size_t o = 0, k = 0;
        for (size_t j = i + 1; j; j = next[j - 1], k++) {
            int w = snprintf(ids + o, sizeof ids - o, "%s%s", k ? ", " : "", c->who[j - 1].pid);
            if (w < 0 || (size_t)w >= sizeof ids - o) break;
            o += (size_t)w;
        }
        char r[700];   /* cut when the email is very long, as it always was */
        if (snprintf(r, sizeof r, "email %s is given for persons %s in HR; nothing is written for them until HR fixes it",
                     low, ids) < 0)
            continue;
        for (size_t j = i + 1; j; j = next[j - 1]) mark_bad(c, c->who[j - 1].pid, r);
    }
    if (next && count && last) hrs_plan_map_free(&first);
    free(next);
    free(count);
    free(last);
    return rc;
}

static void termination_before_hire(plan_ctx *c)
{
    for (size_t i = 0; i < c->npeople; i++) {
        const json_t *p = c->who[i].person;
        const char *hire = sv(p, "hire_date"), *term = sv(p, "termination_date"), *pid = c->who[i].pid;
        if (!pid || !hire || !term || strcmp(term, hire) >= 0) continue;
        char r[300];
        snprintf(r, sizeof r, "termination date %s is before the hire date %s in HR; nothing is written for this person until HR fixes it",
                 term, hire);
        mark_bad(c, pid, r);
    }
}

/* Follows supervisor_id from every person; a walk that comes back onto itself is a loop, and
 * everyone on it is held back. Each person is walked once. */
static int manager_loops(plan_ctx *c)
{
    size_t n = c->npeople;
    plan_who **path = calloc(n + 1, sizeof *path);
    if (!path) return -1;
    for (size_t i = 0; i < n; i++) {
        size_t len = 0;
        plan_who *cur = hrs_plan_self(c, &c->who[i]);
        while (cur && !cur->walk && len < n) {
            cur->walk = 1;
            path[len++] = cur;
            const char *sid = sv(cur->person, "supervisor_id");
            cur = sid && *sid ? hrs_plan_who(c, sid) : NULL;
        }
        if (cur && cur->walk == 1) {
            size_t from = 0;
            while (from < len && path[from] != cur) from++;
            char r[800], chain[500] = "";
            size_t o = 0;
            for (size_t k = from; k <= len; k++) {
                const char *who = k < len ? path[k]->pid : cur->pid;
                int w = snprintf(chain + o, sizeof chain - o, "%s%s", k > from ? " -> " : "", who);
                if (w < 0 || (size_t)w >= sizeof chain - o) break;
                o += (size_t)w;
            }
            snprintf(r, sizeof r, "manager loop in HR (supervisor_id %s); nothing is written for these people until HR fixes it", chain);
            for (size_t k = from; k < len; k++) mark_bad(c, path[k]->pid, r);
        }
        for (size_t k = 0; k < len; k++) path[k]->walk = 2;
    }
    free(path);
    return 0;
}

int hrs_plan_bad_input(plan_ctx *c)
{
    if (duplicate_emails(c) != 0) return -1;
    termination_before_hire(c);
    return manager_loops(c);
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
    hrs_plan_take_upn(c, neu);
}

/* ---- leavers ---------------------------------------------------------------------------- */

json_t *hrs_plan_leaver(plan_ctx *c, const char *pid, const char *name, const json_t *person, const json_t *d,
                        const dir_user *du, const char *why)
{
    const json_t *applied = json_object_get(c->in->applied, pid), *user = du->user;
    const char *left = sv(applied, LEFT_KEY);
    const char *term = sv(person, "termination_date");
    json_t *e = c->scratch;   /* the operations, made into an entry when there are any */
    json_object_clear(e);
    const char *reason = why && *why ? why : "no longer included by the policy";
    if (c->set.leaver_disable && du->enabled) {
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
        size_t n = 0;
        const uint32_t *member_of = hrs_plan_groups_of(c, du->acct, &n);
        for (size_t k = 0; k < n; k++)
            json_array_append_new(rem, json_pack("{s:s, s:s}", "group", c->x.group_names[member_of[k]], "id",
                                                 sv(c->x.group_objs[member_of[k]], "id")));
        if (json_array_size(rem)) json_object_set(e, "groups_remove", rem);
        json_decref(rem);
    }
    static const char *const ops[] = { "disable", "revoke", "leave_date", "groups_remove", "drift" };
    json_t *entry = NULL;
    for (size_t i = 0; i < sizeof ops / sizeof *ops && !entry; i++) {
        if (!json_object_get(e, ops[i])) continue;
        entry = hrs_plan_make_entry(pid, name, "leaver", "leaver", user, "stored link", e);
        if (!entry && hrs_plan_packable(name)) c->oom = 1;
        break;
    }
    json_object_clear(e);
    return entry;
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
        if (hrs_plan_who(c, pid) || json_object_get(unreadable_ids, pid)) continue;
        const dir_user *du = hrs_plan_user(c, sv(l, "object_id"));
        if (!du) continue;
        const json_t *user = du->user;
        const char *name = sv(user, "displayName") ? sv(user, "displayName") : sv(user, "userPrincipalName");
        if (unreadable) {
            hrs_plan_note(c, "%s (%s, %s) is not in the source, but %zu record%s could not be read: the account is "
                          "left alone until the source is read whole", name ? name : pid, pid,
                          sv(user, "userPrincipalName") ? sv(user, "userPrincipalName") : "?", unreadable,
                          unreadable == 1 ? "" : "s");
            continue;
        }
        json_t *e = hrs_plan_leaver(c, pid, name ? name : pid, NULL, NULL, du, "not in the source any more");
        if (e && json_array_append_new(c->gone, e) != 0) c->oom = 1;
    }
    json_decref(unreadable_ids);
}

/* ---- managers --------------------------------------------------------------------------- */

/* The last record with w's id that has an entry (made or unchanged), or NULL. */
static plan_who *with_entry(plan_who *w)
{
    for (; w; w = w->same)
        if (w->entry || w->unchanged) return w;
    return NULL;
}

/* The name the entry of w gives. */
static void name_of(const plan_ctx *c, const plan_who *w, char *out, size_t n)
{
    if (w->entry) snprintf(out, n, "%s", sv(w->entry, "name"));
    else hrs_plan_entry_name(w->person, json_object_get(c->in->decisions, w->pid), out, n);
}

int hrs_plan_managers(plan_ctx *c)
{
    if (!c->set.manager) return 0;
    for (size_t i = 0; i < c->npeople; i++) {
        plan_who *me = hrs_plan_self(c, &c->who[i]);
        if (!me || !me->account || me->bad) continue;
        const char *pid = c->who[i].pid, *sid = sv(c->who[i].person, "supervisor_id");
        if (!sid || !*sid) continue;
        plan_who *ew = with_entry(me);
        if (!ew || (ew->entry && strcmp(sv(ew->entry, "action"), "leaver") == 0)) continue;
        /* The names are only made for a note or a manager to set. */
        char name[300], sname[300];
        plan_who *sup = hrs_plan_who(c, sid);
        if (!sup) {
            name_of(c, ew, name, sizeof name);
            hrs_plan_note(c, "the manager of %s (%s), supervisor_id %s, is not in the source: the manager is not set", name, pid, sid);
            continue;
        }
        const char *macct = sup->account;
        const char *current = macct ? sv(json_object_get(me->user_of, "manager"), "id") : NULL;
        if (macct && *macct && current && strcmp(current, macct) == 0) continue;
        plan_who *sw = with_entry(sup);
        if (sw) name_of(c, sw, sname, sizeof sname);
        else hrs_plan_person_name(sup->person, sname, sizeof sname);
        name_of(c, ew, name, sizeof name);
        if (!macct) {
            hrs_plan_note(c, "the manager of %s (%s), %s (%s), %s: the manager is not set", name, pid, sname, sid,
                          sup->bad ? "is held back (see quarantine)" : "is not in scope");
            continue;
        }
        json_t *entry = hrs_plan_entry_of(c, ew);
        if (!entry) return -1;
        json_object_set_new(entry, "manager", json_pack("{s:s, s:s, s:s?, s:s?}", "person", sid, "name", sname, "id",
                                                        *macct ? macct : NULL, "old", current));
    }
    return 0;
}
