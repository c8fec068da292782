/* cmd_explain.c: `hrsync explain PERSON`: why hrsync does what it does for one person. It plans
 * as `hrsync plan` does (reading HR and the directory; the plan is stored, nothing is written),
 * then shows for that person: the source fields, the include decision and the rule that made it,
 * every attribute with its value, the UPN candidates tried and why each one was passed over
 * (an account in the directory holds it — looked up by $filter on userPrincipalName —, or another
 * new account of this plan, or another person's stored link), the groups with the rules that
 * chose them (the groups hook's second value, see policy.h), and the operations planned.
 * --json prints the same as one JSON document. Exit 0, or 1 when the person is not in the source
 * or the plan cannot be made. */
#include "hrsync/cli.h"
#include "hrsync/engine.h"
#include "hrsync/http.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_LOOKUPS 10   /* UPN candidates looked up in the directory, at most */

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void person_name(const json_t *p, char *out, size_t n)
{
    const char *pref = sv(p, "preferred_name"), *f = sv(p, "first_name"), *l = sv(p, "last_name");
    if (pref && *pref) snprintf(out, n, "%s%s%s", pref, l ? " " : "", l ? l : "");
    else snprintf(out, n, "%s%s%s", f ? f : "", f && l ? " " : "", l ? l : "");
}

/* The person whose id is `who`, else the one whose email is `who` (without regard to case). */
static const json_t *find_person(const json_t *people, const char *who)
{
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p)
        if (sv(p, "id") && strcmp(sv(p, "id"), who) == 0) return p;
    json_array_foreach(people, i, p)
        if (sv(p, "email") && strcasecmp(sv(p, "email"), who) == 0) return p;
    return NULL;
}

/* Accounts in the directory whose userPrincipalName is upn (caller owns). */
static json_t *lookup_upn(hrs_engine *e, const char *upn, hrs_err *err)
{
    char lit[600];
    size_t o = 0;
    for (const char *p = upn; *p && o + 2 < sizeof lit; p++) {   /* OData: a quote is doubled */
        if (*p == '\'') lit[o++] = '\'';
        lit[o++] = *p;
    }
    lit[o] = '\0';
    char *esc = hrs_http_escape(lit);
    if (!esc) { hrs_err_set(err, "out of memory"); return NULL; }
    char path[2048];
    snprintf(path, sizeof path, "/users?$filter=userPrincipalName%%20eq%%20'%s'&$select=id,userPrincipalName,displayName,"
             "employeeId,accountEnabled", esc);
    free(esc);
    json_t *out = NULL;
    if (hrs_engine_graph_call(e, "GET", path, NULL, &out, err) != 0) return NULL;
    json_t *v = json_incref(json_object_get(out, "value"));
    json_decref(out);
    return v ? v : json_array();
}

/* Why candidate upn is or is not available to person pid. own: the person's account id (or
 * NULL). Returns {upn, status, why} (status: "own", "taken", "planned", "reserved", "free"). */
static json_t *judge(hrs_engine *e, const char *upn, const char *pid, const char *own, const json_t *plan,
                     const json_t *links, hrs_err *err)
{
    json_t *found = lookup_upn(e, upn, err);
    if (!found) return NULL;
    char why[700];
    const char *status = "free";
    snprintf(why, sizeof why, "free in the directory");
    const json_t *u = json_array_get(found, 0);
    if (u && own && sv(u, "id") && strcmp(sv(u, "id"), own) == 0) {
        status = "own";
        snprintf(why, sizeof why, "this person's account");
    } else if (u) {
        status = "taken";
        snprintf(why, sizeof why, "taken in the directory by %s (%s account %s%s%s)", sv(u, "displayName") ? sv(u, "displayName") : "an account",
                 json_is_true(json_object_get(u, "accountEnabled")) ? "enabled" : "disabled", sv(u, "id") ? sv(u, "id") : "?",
                 sv(u, "employeeId") ? ", employeeId " : "", sv(u, "employeeId") ? sv(u, "employeeId") : "");
    } else {
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(plan, "changes"), i, c) {
            if (strcmp(sv(c, "action"), "create") != 0 || !sv(c, "upn") || strcmp(sv(c, "person"), pid) == 0) continue;
            if (strcasecmp(sv(c, "upn"), upn) == 0) {
                status = "planned";
                snprintf(why, sizeof why, "taken by the new account of %s (%s) in this plan", sv(c, "name"), sv(c, "person"));
            }
        }
        const char *other;
        json_t *l;
        json_object_foreach((json_t *)links, other, l)
            if (strcmp(other, pid) != 0 && sv(l, "upn") && strcasecmp(sv(l, "upn"), upn) == 0) {
                status = "reserved";
                snprintf(why, sizeof why, "held by the stored link of person %s (an account not readable yet)", other);
            }
    }
    json_decref(found);
    return json_pack("{s:s, s:s, s:s}", "upn", upn, "status", status, "why", why);
}

/* The candidates, each judged, up to the one in use (at most MAX_LOOKUPS). */
static int judge_candidates(hrs_engine *e, const json_t *d, const json_t *entry, const json_t *link, const char *pid,
                            const json_t *plan, const json_t *links, json_t **out, hrs_err *err)
{
    const char *chosen = entry && strcmp(sv(entry, "action"), "create") == 0 ? sv(entry, "upn") : NULL;
    const char *own = entry && sv(entry, "object_id") ? sv(entry, "object_id") : sv(link, "object_id");
    json_t *list = json_array();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(d, "upns"), i, c) {
        if (i == MAX_LOOKUPS) {
            json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "upn", json_string_value(c), "status", "not tried",
                                                  "why", "not looked up"));
            continue;
        }
        json_t *j = judge(e, json_string_value(c), pid, own, plan, links, err);
        if (!j) { json_decref(list); return -1; }
        int used = chosen && strcasecmp(chosen, json_string_value(c)) == 0;
        if (used) json_object_set_new(j, "why", json_sprintf("%s: used for the new account", sv(j, "why")));
        json_array_append_new(list, j);
        const char *st = sv(j, "status");
        if (used || strcmp(st, "own") == 0 || (!chosen && strcmp(st, "free") == 0)) break;
    }
    *out = list;
    return 0;
}

/* The groups with the rule that chose each (from the decision's group_rules). */
static json_t *groups_with_rules(const json_t *d)
{
    json_t *out = json_array();
    size_t i, j;
    json_t *g, *r;
    json_array_foreach(json_object_get(d, "groups"), i, g) {
        const char *rule = NULL;
        json_array_foreach(json_object_get(d, "group_rules"), j, r)
            if (sv(r, "group") && strcmp(sv(r, "group"), json_string_value(g)) == 0) { rule = sv(r, "rule"); break; }
        json_array_append_new(out, json_pack("{s:O, s:s?}", "group", g, "rule", rule));
    }
    return out;
}

static json_t *explain(hrs_engine *e, const json_t *plan, const json_t *p, const json_t *d, hrs_err *err)
{
    const char *pid = sv(p, "id");
    char name[300];
    person_name(p, name, sizeof name);
    json_t *entry = NULL, *q = json_array(), *links = NULL;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c)
        if (sv(c, "person") && strcmp(sv(c, "person"), pid) == 0) entry = c;
    json_array_foreach(json_object_get(plan, "quarantine"), i, c)
        if ((sv(c, "person") && strcmp(sv(c, "person"), pid) == 0) || (sv(c, "id") && strcmp(sv(c, "id"), pid) == 0))
            json_array_append_new(q, json_string(sv(c, "reason") ? sv(c, "reason") : "?"));
    if (hrs_store_links(hrs_engine_store(e), &links, err) != 0) { json_decref(q); return NULL; }
    const json_t *link = json_object_get(links, pid);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:s?, s:O, s:O?, s:o, s:O?}", "person", pid, "name", name, "today",
                            sv(plan, "today"), "plan_id", sv(plan, "id"), "fields", p, "account", link, "quarantine", q,
                            "operations", entry);
    if (!d || sv(d, "error")) {
        json_object_set_new(doc, "error", json_string(d ? sv(d, "error") : "the policy made no decision"));
    } else {
        json_object_set_new(doc, "include", json_pack("{s:O, s:O}", "decision", json_object_get(d, "include"), "reason",
                                                      json_object_get(d, "reason")));
        if (json_is_true(json_object_get(d, "include"))) {
            json_t *cands = NULL;
            if (judge_candidates(e, d, entry, link, pid, plan, links, &cands, err) != 0) {
                json_decref(links);
                json_decref(doc);
                return NULL;
            }
            json_object_set(doc, "attributes", json_object_get(d, "attributes"));
            json_object_set_new(doc, "upn_candidates", cands);
            json_object_set_new(doc, "groups", groups_with_rules(d));
        }
    }
    json_decref(links);
    return doc;
}

static void print_value(const json_t *v)
{
    if (json_is_string(v)) { fputs(json_string_value(v), stdout); return; }
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs(t ? t : "?", stdout);
    free(t);
}

static void print_table(const json_t *obj, const char *skip)
{
    const char **keys = calloc(json_object_size(obj) + 1, sizeof *keys);
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) if (keys && !json_is_null(v) && (!skip || strcmp(k, skip) != 0)) keys[n++] = k;
    for (size_t i = 1; i < n; i++)   /* insertion sort: a few dozen keys */
        for (size_t j = i; j > 0 && strcmp(keys[j - 1], keys[j]) > 0; j--) { const char *t = keys[j]; keys[j] = keys[j - 1]; keys[j - 1] = t; }
    for (size_t i = 0; i < n; i++) {
        printf("  %-24s ", keys[i]);
        print_value(json_object_get(obj, keys[i]));
        fputc('\n', stdout);
    }
    free(keys);
}

static void print_text(const json_t *doc, int color)
{
    printf("Person %s: %s (as of %s", sv(doc, "person"), sv(doc, "name"), sv(doc, "today"));
    if (sv(doc, "plan_id")) printf(", plan %s", sv(doc, "plan_id"));
    printf(")\n\nSource fields\n");
    const json_t *fields = json_object_get(doc, "fields");
    print_table(fields, "raw");
    if (json_object_size(json_object_get(fields, "raw")))
        printf("  %-24s (%zu fields as the source sent them; see --json)\n", "raw", json_object_size(json_object_get(fields, "raw")));
    if (sv(doc, "error")) {
        printf("\nThe policy fails for this person, who is quarantined:\n  %s\n", sv(doc, "error"));
    } else {
        const json_t *inc = json_object_get(doc, "include");
        const char *reason = sv(inc, "reason");
        printf("\nInclude: %s%s%s\n", json_is_true(json_object_get(inc, "decision")) ? "yes" : "no", reason && *reason ? " — " : "",
               reason && *reason ? reason : " (the include hook gave no reason)");
    }
    if (json_object_get(doc, "attributes")) {
        printf("\nAttributes\n");
        print_table(json_object_get(doc, "attributes"), NULL);
    }
    size_t i;
    json_t *c;
    const json_t *acc = json_object_get(doc, "account");
    if (json_object_get(doc, "upn_candidates")) {
        printf("\nUPN candidates\n");
        json_array_foreach(json_object_get(doc, "upn_candidates"), i, c)
            printf("  %zu. %-40s %s\n", i + 1, sv(c, "upn"), sv(c, "why"));
        if (json_is_object(acc)) printf("  (linked account: %s, %s)\n", sv(acc, "upn"), sv(acc, "object_id"));
    }
    if (json_object_get(doc, "groups")) {
        printf("\nGroups\n");
        json_array_foreach(json_object_get(doc, "groups"), i, c)
            printf("  %-24s %s\n", sv(c, "group"), sv(c, "rule") ? sv(c, "rule") : "(the groups hook gave no rule)");
        if (!json_array_size(json_object_get(doc, "groups"))) printf("  (none)\n");
    }
    printf("\nPlanned operations\n");
    const json_t *entry = json_object_get(doc, "operations");
    if (json_is_object(entry)) hrs_plan_print_entry(entry, stdout, color);
    json_array_foreach(json_object_get(doc, "quarantine"), i, c) printf("  ! quarantined: %s\n", json_string_value(c));
    if (!json_is_object(entry) && !json_array_size(json_object_get(doc, "quarantine")))
        printf("  none: %s\n", json_is_true(json_object_get(json_object_get(doc, "include"), "decision"))
                                   ? "the account matches the policy" : "no account to create or change");
}

int hrs_cmd_explain(const hrs_cli_opts *o)
{
    if (o->argc != 1) {
        fprintf(stderr, "hrsync: explain takes one person: an HR id (or the person's email)\nTry 'hrsync --help'.\n");
        return HRS_EXIT_USAGE;
    }
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o), *plan = NULL, *doc = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_engine *e = hrs_engine_open(o->config, ov, &err);
    json_decref(ov);
    if (!e || hrs_engine_plan(e, &plan, &err) != 0) goto out;
    const json_t *people = NULL, *decisions = NULL;
    hrs_engine_last_cycle(e, &people, &decisions);
    const json_t *p = find_person(people, o->argv[0]);
    if (!p) {
        hrs_err_set(&err, "no person '%s' in the source (%zu people read; give an HR id or an email)", o->argv[0],
                    json_array_size(people));
        goto out;
    }
    doc = explain(e, plan, p, json_object_get(decisions, sv(p, "id")), &err);
    if (!doc) goto out;
    if (o->json) hrs_cli_print_json(doc);
    else print_text(doc, o->color);
    code = HRS_EXIT_OK;
out:
    if (code != HRS_EXIT_OK) hrs_cli_fail(&err);
    json_decref(doc);
    json_decref(plan);
    hrs_engine_close(e);
    return code;
}
