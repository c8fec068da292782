/* engine.c: one sync cycle from source to plan to apply (see include/hrsync/engine.h). */
#include "hrsync/engine.h"
#include "engine_internal.h"
#include "hrsync/decide.h"
#include "hrsync/apply.h"
#include "hrsync/audit.h"
#include "hrsync/guardrails.h"
#include "hrsync/plan_store.h"
#include "hrsync/graph.h"
#include "hrsync/http.h"
#include "hrsync/journal.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"
#include "hrsync/policy.h"
#include "hrsync/progress.h"
#include "hrsync/retention.h"
#include "hrsync/source.h"
#include "hrsync/store.h"
#include "hrsync/tz.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The store cursor holding updated_since for incremental source reads. */
#define SOURCE_CURSOR "source.updated_since"


/* ---- phase timings ---- */
typedef struct { double wall, cpu; } phase_mark;

static double clock_s(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static phase_mark phase_start(void)
{
    phase_mark m = { clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID) };
    return m;
}

static void phase_end(hrs_engine_phase *p, phase_mark m)
{
    p->wall_s = clock_s(CLOCK_MONOTONIC) - m.wall;
    p->cpu_s = clock_s(CLOCK_PROCESS_CPUTIME_ID) - m.cpu;
}

void hrs_engine_set_cycle(hrs_engine *e, const hrs_engine_cycle *c)
{
    memset(&e->cycle, 0, sizeof e->cycle);
    if (c) e->cycle = *c;
}

const hrs_engine_timings *hrs_engine_timings_get(const hrs_engine *e) { return &e->timings; }
hrs_store *hrs_engine_store(hrs_engine *e) { return e->store; }

/* Attributes every plan reads, besides those the policy maps. */
static const char *const base_select[] = { "id", "userPrincipalName", "mail", "employeeId", "accountEnabled",
                                           "displayName", NULL };

static int open_audit(hrs_engine *e, hrs_err *err)
{
    hrs_err_clear(err);
    char *file = hrs_audit_file_of(e->cfg, err);
    if (!file && err->set) return -1;
    e->audit = hrs_audit_open(e->store, file, err);
    free(file);
    return e->audit ? 0 : -1;
}

hrs_engine *hrs_engine_open(const char *config_path, const json_t *overrides, hrs_err *err)
{
    hrs_engine *e = calloc(1, sizeof *e);
    if (!e) { hrs_err_set(err, "out of memory"); return NULL; }
    e->cfg = hrs_config_load(config_path, overrides, err);
    if (!e->cfg) goto fail;
    /* Today in the company's time zone (config `timezone`, default UTC), unless a date is pinned. */
    e->tz = hrs_tz_open(e->cfg->lib_dir, err);
    if (!e->tz) goto fail;
    const json_t *zone = json_object_get(e->cfg->root, "timezone");
    if (zone && !json_is_string(zone)) { hrs_err_set(err, "%s: timezone must be a time zone name such as \"Europe/Berlin\"", e->cfg->path); goto fail; }
    if (hrs_tz_clock_init(e->tz, e->cfg->now, json_string_value(zone), &e->clock, e->cfg->today, err) != 0) {
        hrs_err_prefix(err, "%s", e->cfg->path);
        goto fail;
    }
    if (hrs_engine_policy_open(e, err) != 0) goto fail;
    e->store = hrs_store_open(e->cfg->state_path, err);
    if (!e->store) goto fail;
    e->journal = hrs_journal_open(e->store, err);
    if (!e->journal) goto fail;
    if (hrs_guardrails_load(e->cfg, &e->guard, err) != 0 || hrs_retention_load(e->cfg, &e->retention, err) != 0 ||
        open_audit(e, err) != 0)
        goto fail;
    e->graph = hrs_graph_from_config(e->cfg, err);   /* secret or certificate, write budget, delta */
    if (!e->graph) goto fail;
    return e;
fail:
    hrs_engine_close(e);
    return NULL;
}

void hrs_engine_close(hrs_engine *e)
{
    if (!e) return;
    hrs_engine_settle_reset(e);
    hrs_graph_free(e->graph);
    hrs_audit_close(e->audit);
    hrs_journal_close(e->journal);
    hrs_store_close(e->store);
    hrs_tz_close(e->tz);
    hrs_policy_free(e->policy);
    hrs_engine_policy_close(e);
    hrs_config_free(e->cfg);
    free(e);
}

const hrs_config *hrs_engine_config(const hrs_engine *e) { return e->cfg; }

json_t *hrs_engine_stats(const hrs_engine *e)
{
    const hrs_graph_stats *s = hrs_graph_stats_get(e->graph);
    return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f}", "requests", (json_int_t)s->requests, "writes",
                     (json_int_t)s->writes, "throttled", (json_int_t)s->throttled, "retries", (json_int_t)s->retries,
                     "packed", (json_int_t)s->packed, "users_read", (json_int_t)s->users_read, "delta_rounds",
                     (json_int_t)s->delta_rounds, "full_resyncs", (json_int_t)s->full_resyncs, "budget_wait_s",
                     s->budget_wait_s);
}

/* Runs the policy for every person (decide.h): object person id -> decision (or {error}). Also
 * collects the attribute names and group names in use, and logs how many people it failed for. */
static json_t *decide_all(hrs_engine *e, const json_t *people, int full, json_t *attr_names, json_t *group_names)
{
    hrs_decide_ctx dc = { e->policy, e->tz, &e->clock, e->cfg->today, NULL };
    hrs_decide_counts n;
    dc.cache = hrs_engine_decide_cache_open(e);
    json_t *out = hrs_decide_people(&dc, people, attr_names, group_names, &n);
    hrs_engine_decide_cache_close(e, dc.cache, out, full);
    char text[300];
    hrs_decide_counts_text(&n, text, sizeof text);
    if (text[0]) hrs_warn("%s; they are quarantined, the others go on", text);
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

int hrs_engine_read_groups(hrs_engine *e, const json_t *names, json_t **out, hrs_err *err)
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

/* The groups hrsync put people into (applied values "hrsync:group:<name>" = true, apply.c) stay
 * managed when no one is given them any more, so their members can still be removed. */
static void remembered_groups(const json_t *applied, json_t *group_names)
{
    static const char prefix[] = "hrsync:group:";
    const char *pid, *k;
    json_t *vals, *v;
    json_object_foreach((json_t *)applied, pid, vals)
        json_object_foreach(vals, k, v)
            if (json_is_true(v) && strncmp(k, prefix, sizeof prefix - 1) == 0 && k[sizeof prefix - 1])
                json_object_set_new(group_names, k + sizeof prefix - 1, json_true());
}

/* Whether the plan sets managers: lifecycle.manager is not false and someone has a supervisor. */
static int wants_managers(const json_t *lc, const json_t *people)
{
    if (json_is_false(json_object_get(lc, "manager"))) return 0;
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) {
        const char *s = json_string_value(json_object_get(p, "supervisor_id"));
        if (s && *s) return 1;
    }
    return 0;
}

/* What an interrupted run left unfinished: {operations: n, upns: {lower-cased UPN of a create:
 * person}} (caller owns). */
static int unfinished_creates(hrs_engine *e, json_t **out, hrs_err *err)
{
    json_t *ops = NULL;
    if (hrs_journal_unfinished(e->journal, &ops, err) != 0) return -1;
    json_t *upns = json_object();
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o) {
        const json_t *spec = json_object_get(o, "spec");
        if (strcmp(json_string_value(json_object_get(o, "kind")), "create") != 0) continue;
        const char *upn = json_string_value(json_array_get(json_object_get(spec, "upn_candidates"),
                                                           (size_t)json_integer_value(json_object_get(spec, "cand"))));
        if (!upn) continue;
        char low[512];
        size_t k = 0;
        for (; upn[k] && k + 1 < sizeof low; k++) low[k] = (char)(upn[k] >= 'A' && upn[k] <= 'Z' ? upn[k] - 'A' + 'a' : upn[k]);
        low[k] = '\0';
        json_object_set(upns, low, json_object_get(o, "person"));
    }
    *out = json_pack("{s:I, s:o}", "operations", (json_int_t)json_array_size(ops), "upns", upns);
    json_decref(ops);
    return 0;
}

/* The memo's plan when nothing changed (hrs_engine_settle_try, timed as the plan phase): 1, 0
 * (plan in full) or -1. */
static int settled_plan(hrs_engine *e, const hrs_source_result *src, json_t **plan, hrs_plan_meta *meta, hrs_err *err)
{
    phase_mark m = phase_start();
    int memo = hrs_engine_settle_try(e, src, plan, meta, err);
    if (memo != 0) phase_end(&e->timings.plan, m);
    return memo;
}

/* Reads the source and the directory, builds the plan and fingerprints its inputs (meta). */
static int read_and_build(hrs_engine *e, json_t **plan, hrs_plan_meta *meta, hrs_err *err)
{
    hrs_source_result src = { 0 };
    json_t *attr_names = json_object(), *group_names = json_object();
    json_t *decisions = NULL, *users = NULL, *groups = NULL, *links = NULL, *applied = NULL, *reserved = NULL;
    char *select = NULL;
    int rc = -1;
    *plan = NULL;

    memset(&e->timings, 0, sizeof e->timings);
    if (hrs_engine_settle_begin(e, err) != 0) goto out;
    int memo = settled_plan(e, NULL, plan, meta, err);   /* a file source, before reading it */
    if (memo != 0) {
        rc = memo < 0 ? -1 : 0;
        goto out;
    }
    /* An incremental read (a cycle that is not full, of a source that keeps a cursor) asks only
     * for the people changed since the last cycle that applied whole. */
    const json_t *source_cfg = e->cfg->source;
    json_t *since_cfg = NULL;
    char cursor_now[40];
    e->source_cursor[0] = '\0';
    int keeps_cursor = hrs_source_cursor(source_cfg, (long long)time(NULL), cursor_now, sizeof cursor_now);
    if (keeps_cursor && e->cycle.incremental && !e->cycle.full) {
        char *since = NULL;
        if (hrs_store_cursor_get(e->store, SOURCE_CURSOR, &since, err) != 0) goto out;
        if (since) {
            since_cfg = json_deep_copy(source_cfg);
            json_object_set_new(since_cfg, "updated_since", json_string(since));
            source_cfg = since_cfg;
            hrs_info("incremental read: people updated since %s", since);
            free(since);
        }
    }
    hrs_engine_forget_last_cycle(e);   /* the last read's company goes before this one comes */
    phase_mark m = phase_start();
    int read_rc = hrs_source_read(source_cfg, &src, err);
    json_decref(since_cfg);
    if (read_rc != 0) goto out;
    if (keeps_cursor) snprintf(e->source_cursor, sizeof e->source_cursor, "%s", cursor_now);
    phase_end(&e->timings.source, m);
    if (src.partial && (memo = settled_plan(e, &src, plan, meta, err)) != 0) {   /* a cursor read of no one */
        rc = memo < 0 ? -1 : 0;
        goto out;
    }
    e->timings.people = json_array_size(src.people);
    hrs_info("read %zu people from the source (%zu quarantined)", json_array_size(src.people), json_array_size(src.quarantine));
    m = phase_start();
    decisions = decide_all(e, src.people, !src.partial, attr_names, group_names);
    phase_end(&e->timings.policy, m);
    hrs_engine_policy_record(e, src.people, decisions, !src.partial);   /* for reloads, check and explain */
    m = phase_start();
    if (hrs_store_applied(e->store, &applied, err) != 0) goto out;
    remembered_groups(applied, group_names);
    const json_t *lc = hrs_policy_lifecycle(e->policy);
    if (json_is_true(json_object_get(json_object_get(lc, "leaver"), "set_leave_date")))
        json_object_set_new(attr_names, "employeeLeaveDateTime", json_true());
    select = select_list(attr_names);
    if (!select) { hrs_err_set(err, "out of memory"); goto out; }
    /* Users with their managers: GET /users (or /users/delta with directory.delta), and recently
     * linked accounts a list may not show yet (graph_users.c). */
    int managers = wants_managers(lc, src.people);
    /* The deltaLink moves with this read: a memo of "nothing changed" no longer holds. */
    if (hrs_engine_settle_forget(e, err) != 0) goto out;
    if (hrs_graph_read_users(e->graph, e->store, select, managers, &users, err) != 0) goto out;
    hrs_info("read %zu accounts from the directory", json_array_size(users));
    if (hrs_engine_read_groups(e, group_names, &groups, err) != 0) goto out;
    hrs_engine_settle_inputs(e, select, managers, group_names, groups);
    if (hrs_store_links(e->store, &links, err) != 0 || unfinished_creates(e, &reserved, err) != 0)
        goto out;
    phase_end(&e->timings.directory, m);
    m = phase_start();
    hrs_plan_input in = { e->cfg->today, src.people, decisions, users, groups, links, lc, src.quarantine, applied,
                          json_object_get(reserved, "upns"), src.partial };
    rc = hrs_plan_build(&in, plan, err);
    size_t left = (size_t)json_integer_value(json_object_get(reserved, "operations"));
    if (rc == 0 && left)
        json_array_append_new(json_object_get(*plan, "notes"),
                              json_sprintf("an interrupted run left %zu operation%s unfinished; the next sync finishes %s first",
                                           left, left == 1 ? "" : "s", left == 1 ? "it" : "them"));
    meta->records = json_array_size(src.people) + json_array_size(src.quarantine);
    meta->full_read = !src.partial;
    phase_end(&e->timings.plan, m);
    m = phase_start();
    if (rc == 0 && hrs_plan_store_fingerprint(src.people, decisions, users, groups, &meta->fp, err) != 0) {
        json_decref(*plan);
        *plan = NULL;
        rc = -1;
    }
    phase_end(&e->timings.fingerprint, m);
out:
    free(select);
    json_decref(attr_names);
    json_decref(group_names);
    json_decref(decisions);
    json_decref(users);
    json_decref(groups);
    json_decref(links);
    json_decref(applied);
    json_decref(reserved);
    hrs_source_result_clear(&src);
    return rc;
}

/* Checks a plan against the guardrails (plan.guardrails), given the records read now. */
static int check_guardrails(hrs_engine *e, json_t *plan, const hrs_plan_meta *meta, hrs_err *err)
{
    size_t previous = 0;
    if (hrs_plan_store_baseline(e->store, &previous, err) != 0) return -1;
    hrs_guardrails_input gi = { json_object_get(plan, "summary"), meta->records, previous, !meta->full_read };
    json_object_set_new(plan, "guardrails", hrs_guardrails_check(&e->guard, &gi));
    return 0;
}

int hrs_engine_plan(hrs_engine *e, json_t **plan, hrs_err *err)
{
    hrs_plan_meta meta;
    if (read_and_build(e, plan, &meta, err) != 0) return -1;
    json_object_set_new(*plan, "fingerprint", json_string(meta.fp.all));
    phase_mark m = phase_start();
    if (check_guardrails(e, *plan, &meta, err) != 0 || hrs_plan_store_save(e->store, *plan, &meta, err) != 0) {
        json_decref(*plan);
        *plan = NULL;
        return -1;
    }
    phase_end(&e->timings.save, m);
    hrs_engine_settle_after(e, *plan, &meta);
    return 0;
}

/* Applies plan unless a guardrail stops it (and force is not given). */
static int guarded_apply(hrs_engine *e, const json_t *plan, int force, json_t **result, hrs_err *err)
{
    const json_t *g = json_object_get(plan, "guardrails");
    const char *id = json_string_value(json_object_get(plan, "id"));
    if (json_array_size(g) && !force) {
        hrs_guardrails_explain(g, id, err);
        return HRS_ENGINE_STOPPED;
    }
    if (json_array_size(g)) {
        hrs_err why;
        hrs_err_clear(&why);
        hrs_guardrails_explain(g, NULL, &why);
        hrs_warn("applying plan %s past its guardrails (--force): %s", id ? id : "", why.msg + strlen("guardrail: "));
    }
    if (hrs_plan_count(plan) == 0) return 0;
    return hrs_engine_apply(e, plan, result, err);
}

int hrs_engine_recover(hrs_engine *e, json_t **result, hrs_err *err)
{
    *result = NULL;
    json_t *left = NULL;
    if (hrs_journal_unfinished(e->journal, &left, err) != 0) return -1;
    size_t n = json_array_size(left);
    if (n == 0) { json_decref(left); return 0; }
    char holder[64];
    const char *lease = e->cycle.lease_holder;
    int64_t run_id = 0;
    if (!lease) {
        snprintf(holder, sizeof holder, "hrsync sync pid %ld", (long)getpid());
        if (hrs_store_lease_acquire(e->store, holder, 12 * 3600, err) != 0) { json_decref(left); return -1; }
    }
    int rc = hrs_store_run_begin(e->store, "resume", e->cfg->today, &run_id, err);
    if (rc == 0) {
        hrs_apply_ctx ctx = { .graph = e->graph, .store = e->store, .graph_url = e->cfg->directory.graph_url,
                              .stop = e->cycle.stop, .journal = e->journal, .run_id = run_id, .today = e->cfg->today,
                              .audit = e->audit };
        hrs_audit_begin(e->audit, run_id, NULL, e->cfg->today);
        rc = hrs_apply_resume(&ctx, result, err);
        hrs_err e2;
        hrs_err_clear(&e2);
        if (hrs_audit_flush(e->audit, &e2) != 0) hrs_error("%s", e2.msg);
        /* The interrupted runs are over now (or stopped again, and the next run goes on). */
        json_t *runs = json_object();
        size_t i;
        json_t *o;
        json_array_foreach(left, i, o) {
            char key[32];
            snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(o, "run_id")));
            json_object_set_new(runs, key, json_true());
        }
        const char *key;
        json_t *v;
        json_t *sum = json_pack("{s:I, s:O}", "resumed_by", (json_int_t)run_id, "result", *result ? *result : json_null());
        json_object_foreach(runs, key, v) {
            hrs_err_clear(&e2);
            if (hrs_store_run_end(e->store, strtoll(key, NULL, 10), "interrupted", sum, &e2) != 0) hrs_error("%s", e2.msg);
        }
        json_decref(runs);
        hrs_err_clear(&e2);
        const char *status = rc != 0 ? "error" : json_integer_value(json_object_get(*result, "failed")) ? "failed-operations" : "ok";
        json_object_set_new(sum, "resumed_runs", json_integer((json_int_t)n));
        if (hrs_store_run_end(e->store, run_id, status, sum, &e2) != 0 && rc == 0) { *err = e2; rc = -1; }
        json_decref(sum);
        if (rc == 0)
            hrs_warn("finished %zu operation%s of an interrupted run (%lld failed)", n, n == 1 ? "" : "s",
                     (long long)json_integer_value(json_object_get(*result, "failed")));
    }
    if (!lease) hrs_store_lease_release(e->store, holder, NULL);
    json_decref(left);
    return rc;
}

/* Finishes an interrupted run before a new plan is made (the plan reads the directory as the
 * finished operations leave it). */
static int recover_first(hrs_engine *e, hrs_err *err)
{
    json_t *r = NULL;
    int rc = hrs_engine_recover(e, &r, err);
    json_decref(r);
    return rc;
}

int hrs_engine_graph_call(hrs_engine *e, const char *method, const char *path, const json_t *body, json_t **out, hrs_err *err)
{
    return hrs_graph_call(e->graph, method, path, body, out, err);
}

/* Moves the source cursor to the start of this cycle's read once the cycle applied whole: a
 * stopped run, a failed operation or a person the policy could not decide keeps the old cursor,
 * so the next incremental read asks for those people again. */
static void keep_source_cursor(hrs_engine *e, const json_t *plan, const json_t *result)
{
    if (!e->source_cursor[0] || json_is_true(json_object_get(result, "stopped")) ||
        json_integer_value(json_object_get(result, "failed")) ||
        json_integer_value(json_object_get(json_object_get(plan, "summary"), "quarantined")))
        return;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_store_cursor_put(e->store, SOURCE_CURSOR, e->source_cursor, &err) != 0)
        hrs_warn("the next read will be a full one: %s", err.msg);
}

/* Deletes the history the retention settings no longer keep (a failure is logged: the cycle's
 * work is done). */
static void prune_history(hrs_engine *e)
{
    hrs_retention_counts n;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_retention_prune(e->store, &e->retention, e->clock.instant, &n, &err) != 0) {
        hrs_warn("%s", err.msg);
        return;
    }
    if (n.plans || n.runs || n.journal || n.audit)
        hrs_info("retention: deleted %ld plans, %ld runs, %ld journal entries and %ld audit events from the state file",
                 n.plans, n.runs, n.journal, n.audit);
}

int hrs_engine_sync(hrs_engine *e, int force, json_t **plan, json_t **result, hrs_err *err)
{
    *result = NULL;
    if (recover_first(e, err) != 0) return -1;
    if (hrs_engine_plan(e, plan, err) != 0) return -1;
    int rc = guarded_apply(e, *plan, force, result, err);
    if (rc == 0) keep_source_cursor(e, *plan, *result);
    prune_history(e);
    return rc;
}

int hrs_engine_apply_stored(hrs_engine *e, const char *plan_id, int force, json_t **plan, json_t **result, hrs_err *err)
{
    hrs_plan_stored st;
    hrs_plan_meta now;
    json_t *fresh = NULL;
    int rc = -1;
    *plan = NULL;
    *result = NULL;
    if (recover_first(e, err) != 0) return -1;
    if (hrs_plan_store_load(e->store, plan_id, &st, err) != 0) return -1;
    if (hrs_plan_store_check_open(&st, plan_id, err) != 0) goto out;
    /* Re-read HR and the directory: the plan is applied only if its inputs are still the same. */
    if (read_and_build(e, &fresh, &now, err) != 0) goto out;
    if (strcmp(now.fp.all, st.meta.fp.all) != 0) {
        char what[160];
        hrs_plan_store_what_changed(&st.meta.fp, &now.fp, what, sizeof what);
        hrs_err_set(err, "HR or the directory changed since plan %s was made: run hrsync plan again (changed: %s)", plan_id, what);
        goto out;
    }
    /* The limits as configured now (an admin may have raised one), over the stored plan. */
    if (check_guardrails(e, st.plan, &now, err) != 0) goto out;
    *plan = st.plan;
    st.plan = NULL;
    rc = guarded_apply(e, *plan, force, result, err);
out:
    json_decref(fresh);
    hrs_plan_stored_clear(&st);
    return rc;
}

/* After applying: the audit file is flushed and the stored plan marked (failures are logged:
 * the operations are done and recorded in the state file either way). */
static void record_applied(hrs_engine *e, const json_t *plan, const char *plan_id, int64_t run_id, int rc, const json_t *result)
{
    hrs_err e2;
    hrs_err_clear(&e2);
    if (hrs_audit_flush(e->audit, &e2) != 0) hrs_error("%s", e2.msg);
    if (!plan_id) return;
    const char *status = rc != 0 ? "failed" : json_is_true(json_object_get(result, "stopped")) ? "interrupted" : "applied";
    hrs_err_clear(&e2);
    if (hrs_plan_store_finish(e->store, plan_id, run_id, status, result, json_array_size(json_object_get(plan, "guardrails")) > 0,
                              &e2) != 0)
        hrs_error("%s", e2.msg);
}

int hrs_engine_apply(hrs_engine *e, const json_t *plan, json_t **result, hrs_err *err)
{
    int64_t run_id = 0;
    char holder[64];
    const char *lease = e->cycle.lease_holder;
    if (!lease) { /* a one-off sync holds the state file's lease while it applies */
        snprintf(holder, sizeof holder, "hrsync sync pid %ld", (long)getpid());
        if (hrs_store_lease_acquire(e->store, holder, 12 * 3600, err) != 0) return -1;
    }
    const char *plan_id = json_string_value(json_object_get(plan, "id"));
    if ((plan_id && hrs_plan_store_claim(e->store, plan_id, err) != 0) ||
        hrs_store_run_begin(e->store, "sync", e->cfg->today, &run_id, err) != 0) {
        if (!lease) hrs_store_lease_release(e->store, holder, NULL);
        return -1;
    }
    hrs_apply_ctx ctx = { .graph = e->graph, .store = e->store, .graph_url = e->cfg->directory.graph_url,
                          .stop = e->cycle.stop, .progress = e->cycle.progress, .progress_ud = e->cycle.progress_ud,
                          .journal = e->journal, .run_id = run_id, .today = e->cfg->today };
    ctx.audit = e->audit;
    hrs_audit_begin(e->audit, run_id, plan_id, e->cfg->today);
    hrs_progress *pg = NULL; /* sync/apply at a terminal: a progress line on long runs */
    if (!ctx.progress && (pg = hrs_progress_new(stderr, e->timings.people))) {
        ctx.progress = hrs_progress_update;
        ctx.progress_ud = pg;
    }
    phase_mark m = phase_start();
    int rc = hrs_apply_plan(&ctx, plan, result, err);
    phase_end(&e->timings.apply, m);
    hrs_progress_finish(pg);
    hrs_progress_free(pg);
    record_applied(e, plan, plan_id, run_id, rc, *result);
    json_t *summary = json_pack("{s:O, s:O}", "plan", json_object_get(plan, "summary"), "result", *result ? *result : json_null());
    hrs_err e2;
    hrs_err_clear(&e2);
    const char *status = rc != 0 ? "error" : (json_integer_value(json_object_get(*result, "failed")) ? "failed-operations" : "ok");
    if (rc == 0 && json_is_true(json_object_get(*result, "stopped"))) status = "stopped";
    if (hrs_store_run_end(e->store, run_id, status, summary, &e2) != 0 && rc == 0) { *err = e2; rc = -1; }
    json_decref(summary);
    if (!lease) hrs_store_lease_release(e->store, holder, NULL);
    return rc;
}
