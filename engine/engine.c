/* engine.c: one sync cycle from source to plan to apply (see include/hrsync/engine.h). */
#include "hrsync/engine.h"
#include "hrsync/apply.h"
#include "hrsync/graph.h"
#include "hrsync/http.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"
#include "hrsync/policy.h"
#include "hrsync/source.h"
#include "hrsync/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct hrs_engine {
    hrs_config *cfg;
    hrs_store *store;
    hrs_policy *policy;
    hrs_graph *graph;
};

/* Attributes every plan reads, besides those the policy maps. */
static const char *const base_select[] = { "id", "userPrincipalName", "mail", "employeeId", "accountEnabled",
                                           "displayName", NULL };

hrs_engine *hrs_engine_open(const char *config_path, const json_t *overrides, hrs_err *err)
{
    hrs_engine *e = calloc(1, sizeof *e);
    if (!e) { hrs_err_set(err, "out of memory"); return NULL; }
    e->cfg = hrs_config_load(config_path, overrides, err);
    if (!e->cfg) goto fail;
    hrs_policy_opts po = { e->cfg->policy_path, e->cfg->lib_dir, e->cfg->today, 0, 0 };
    e->policy = hrs_policy_load(&po, err);
    if (!e->policy) goto fail;
    e->store = hrs_store_open(e->cfg->state_path, err);
    if (!e->store) goto fail;
    hrs_graph_opts go = { e->cfg->directory.graph_url, e->cfg->directory.login_url, e->cfg->directory.tenant,
                          e->cfg->directory.client_id, e->cfg->directory.client_secret, e->cfg->directory.scope,
                          0, e->cfg->directory.timeout_s };
    e->graph = hrs_graph_new(&go, err);
    if (!e->graph) goto fail;
    return e;
fail:
    hrs_engine_close(e);
    return NULL;
}

void hrs_engine_close(hrs_engine *e)
{
    if (!e) return;
    hrs_graph_free(e->graph);
    hrs_store_close(e->store);
    hrs_policy_free(e->policy);
    hrs_config_free(e->cfg);
    free(e);
}

const hrs_config *hrs_engine_config(const hrs_engine *e) { return e->cfg; }

json_t *hrs_engine_stats(const hrs_engine *e)
{
    const hrs_graph_stats *s = hrs_graph_stats_get(e->graph);
    return json_pack("{s:I, s:I, s:I, s:I}", "requests", (json_int_t)s->requests, "writes", (json_int_t)s->writes,
                     "throttled", (json_int_t)s->throttled, "retries", (json_int_t)s->retries);
}

/* Runs the policy for every person: object person id -> decision (or {error}). Also collects
 * the attribute names and group names in use. */
static json_t *decide_all(hrs_engine *e, const json_t *people, json_t *attr_names, json_t *group_names)
{
    json_t *out = json_object();
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) {
        const char *pid = json_string_value(json_object_get(p, "id"));
        if (!pid) continue;
        hrs_decision d;
        hrs_err err;
        hrs_err_clear(&err);
        memset(&d, 0, sizeof d);
        if (hrs_policy_decide(e->policy, p, &d, &err) != 0) {
            json_object_set_new(out, pid, json_pack("{s:s}", "error", err.msg));
            hrs_decision_clear(&d);
            continue;
        }
        json_t *o = json_pack("{s:b, s:s}", "include", d.include, "reason", d.reason);
        if (d.include) {
            json_object_set(o, "attributes", d.attributes ? d.attributes : json_object());
            json_object_set(o, "upns", d.upns ? d.upns : json_array());
            json_object_set(o, "groups", d.groups ? d.groups : json_array());
            const char *k;
            json_t *v;
            json_object_foreach(d.attributes, k, v) json_object_set(attr_names, k, json_true());
            size_t j;
            json_array_foreach(d.groups, j, v) json_object_set(group_names, json_string_value(v), json_true());
            if (!json_array_size(d.upns)) {
                json_decref(o);
                o = json_pack("{s:s}", "error", "upn() returned no candidate");
            }
        }
        json_object_set_new(out, pid, o);
        hrs_decision_clear(&d);
    }
    return out;
}

static int append(char *s, size_t n, size_t *o, const char *sep, const char *word)
{
    int w = snprintf(s + *o, n - *o, "%s%s", *o ? sep : "", word);
    if (w < 0 || (size_t)w >= n - *o) return -1;
    *o += (size_t)w;
    return 0;
}

static char *select_list(const json_t *attr_names)
{
    size_t n = 1, o = 0;
    const char *k;
    json_t *v;
    for (size_t i = 0; base_select[i]; i++) n += strlen(base_select[i]) + 1;
    json_object_foreach((json_t *)attr_names, k, v) n += strlen(k) + 1;
    char *s = malloc(n);
    if (!s) return NULL;
    s[0] = '\0';
    for (size_t i = 0; base_select[i]; i++) append(s, n, &o, ",", base_select[i]);
    json_object_foreach((json_t *)attr_names, k, v) {
        int dup = 0;
        for (size_t i = 0; base_select[i]; i++) dup |= strcmp(k, base_select[i]) == 0;
        if (!dup) append(s, n, &o, ",", k);
    }
    return s;
}

/* Reads each managed group (by displayName) and its members. */
static int read_groups(hrs_engine *e, const json_t *names, json_t **out, hrs_err *err)
{
    json_t *groups = json_object();
    const char *name;
    json_t *v;
    json_object_foreach((json_t *)names, name, v) {
        /* OData string literal: a quote is doubled. */
        char lit[600];
        size_t o = 0;
        for (const char *p = name; *p && o + 2 < sizeof lit; p++) {
            if (*p == '\'') lit[o++] = '\'';
            lit[o++] = *p;
        }
        lit[o] = '\0';
        char *esc = hrs_http_escape(lit);
        char path[2048];
        snprintf(path, sizeof path, "/groups?$filter=displayName%%20eq%%20'%s'&$select=id,displayName", esc ? esc : "");
        free(esc);
        json_t *found;
        if (hrs_graph_get_all(e->graph, path, &found, err) != 0) { json_decref(groups); return -1; }
        json_t *g = json_array_get(found, 0);
        if (!g) { json_object_set_new(groups, name, json_null()); json_decref(found); continue; }
        const char *gid = json_string_value(json_object_get(g, "id"));
        snprintf(path, sizeof path, "/groups/%s/members?$select=id&$top=999", gid);
        json_t *members;
        if (hrs_graph_get_all(e->graph, path, &members, err) != 0) { json_decref(found); json_decref(groups); return -1; }
        json_t *set = json_object();
        size_t i;
        json_t *m;
        json_array_foreach(members, i, m) json_object_set(set, json_string_value(json_object_get(m, "id")), json_true());
        json_object_set_new(groups, name, json_pack("{s:s, s:o}", "id", gid, "members", set));
        json_decref(members);
        json_decref(found);
    }
    *out = groups;
    return 0;
}

int hrs_engine_plan(hrs_engine *e, json_t **plan, hrs_err *err)
{
    hrs_source_result src = { 0 };
    json_t *attr_names = json_object(), *group_names = json_object();
    json_t *decisions = NULL, *users = NULL, *groups = NULL, *links = NULL;
    char *select = NULL;
    int rc = -1;
    *plan = NULL;

    if (hrs_source_read(e->cfg->source, &src, err) != 0) goto out;
    hrs_info("read %zu people from the source (%zu quarantined)", json_array_size(src.people), json_array_size(src.quarantine));
    decisions = decide_all(e, src.people, attr_names, group_names);
    select = select_list(attr_names);
    if (!select) { hrs_err_set(err, "out of memory"); goto out; }
    char path[4096];
    snprintf(path, sizeof path, "/users?$select=%s&$top=999", select);
    if (hrs_graph_get_all(e->graph, path, &users, err) != 0) goto out;
    hrs_info("read %zu accounts from the directory", json_array_size(users));
    if (read_groups(e, group_names, &groups, err) != 0) goto out;
    if (hrs_store_links(e->store, &links, err) != 0) goto out;
    hrs_plan_input in = { e->cfg->today, src.people, decisions, users, groups, links,
                          hrs_policy_lifecycle(e->policy), src.quarantine };
    rc = hrs_plan_build(&in, plan, err);
out:
    free(select);
    json_decref(attr_names);
    json_decref(group_names);
    json_decref(decisions);
    json_decref(users);
    json_decref(groups);
    json_decref(links);
    hrs_source_result_clear(&src);
    return rc;
}

int hrs_engine_apply(hrs_engine *e, const json_t *plan, json_t **result, hrs_err *err)
{
    int64_t run_id = 0;
    if (hrs_store_run_begin(e->store, "sync", e->cfg->today, &run_id, err) != 0) return -1;
    hrs_apply_ctx ctx = { e->graph, e->store, e->cfg->directory.graph_url };
    int rc = hrs_apply_plan(&ctx, plan, result, err);
    json_t *summary = json_pack("{s:O, s:O}", "plan", json_object_get(plan, "summary"), "result", *result ? *result : json_null());
    hrs_err e2;
    hrs_err_clear(&e2);
    const char *status = rc != 0 ? "error" : (json_integer_value(json_object_get(*result, "failed")) ? "failed-operations" : "ok");
    if (hrs_store_run_end(e->store, run_id, status, summary, &e2) != 0 && rc == 0) { *err = e2; rc = -1; }
    json_decref(summary);
    return rc;
}
