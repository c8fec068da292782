/* engine_settle.c: an incremental cycle in which nothing changed (see include/hrsync/settle.h).
 *
 * A cycle that plans nothing records what its plan was made from (the memo). The next
 * incremental cycle (hrs_engine_cycle.incremental, not a full reconcile) compares, cheapest
 * first: the context (hrsync's version, the config, the policy's code and required modules,
 * today, and the quarter hour when people carry their own time zones), the source's version (a
 * file's SHA-256, or an updated_since read that brings no one), the journal (nothing unfinished),
 * the managed groups' members, and last the directory through a delta round. When all are the
 * same, the plan of the memo stands: the policy does not run and no plan is built. Anything else plans in full; that
 * cycle forgets the memo before it reads the directory (a read moves the deltaLink), and records
 * a new one when it too finds nothing to do. The memo needs directory.delta: without it, knowing
 * that the directory did not change means reading it whole. */
#include "engine_internal.h"
#include "hrsync/graph.h"
#include "hrsync/journal.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"
#include "hrsync/settle.h"
#include "hrsync/snapshot.h"
#include "hrsync/status.h"
#include "hrsync/buildinfo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int uses_delta(const hrs_engine *e)
{
    return json_is_true(json_object_get(json_object_get(e->cfg->root, "directory"), "delta"));
}

/* The context digest: what every decision and the plan depend on besides the records. */
static int context_digest(hrs_engine *e, char out[65])
{
    char *code = e->settle.code;
    hrs_policy_code_digest(e->policy, code);
    const json_t *lc = hrs_policy_lifecycle(e->policy);
    /* People in zones of their own reach a new date at other hours than the company. */
    long long quarter = json_object_get(lc, "timezone_field") && !e->clock.date_only ? (long long)(e->clock.instant / 900) : 0;
    json_t *ctx = json_pack("{s:s, s:O, s:s, s:s, s:O?, s:s, s:I}", "hrsync", HRSYNC_VERSION, "config", e->cfg->root,
                            "policy", e->pol.version, "modules", code, "lifecycle", lc, "today", e->cfg->today,
                            "quarter", (json_int_t)quarter);
    hrs_err err;
    hrs_err_clear(&err);
    int rc = ctx ? hrs_snapshot_hash(ctx, out, &err) : -1;
    json_decref(ctx);
    return rc;
}

/* The source's version when it has a cheap one: "file:sha256:<hex>" for csv and json files;
 * "cursor" for a source read from updated_since (an incremental read that brings no one is
 * unchanged). */
static void source_version(hrs_engine *e, char *out, size_t n)
{
    const json_t *src = e->cfg->source;
    const char *type = json_string_value(json_object_get(src, "type"));
    const char *path = json_string_value(json_object_get(src, "path"));
    char cur[40], version[80];
    out[0] = '\0';
    if (type && path && (strcmp(type, "csv") == 0 || strcmp(type, "json") == 0)) {
        hrs_err err;
        hrs_err_clear(&err);
        if (hrs_status_file_version(path, version, sizeof version, &err) == 0) snprintf(out, n, "file:%s", version);
        /* An unreadable file: the read that follows says so. */
    } else if (hrs_source_cursor(src, 0, cur, sizeof cur)) {
        snprintf(out, n, "cursor");
    }
}

void hrs_engine_settle_reset(hrs_engine *e)
{
    json_decref(e->settle.inputs);
    json_decref(e->settle.groups);
    memset(&e->settle, 0, sizeof e->settle);
}

int hrs_engine_settle_begin(hrs_engine *e, hrs_err *err)
{
    hrs_engine_settle_reset(e);
    if (!uses_delta(e)) return 0;
    if (context_digest(e, e->settle.context) != 0) return hrs_err_set(err, "computing the cycle's context digest failed");
    source_version(e, e->settle.source, sizeof e->settle.source);
    e->settle.recordable = e->settle.source[0] != '\0';
    return 0;
}

/* The group names of the memo as the object read_groups takes (caller owns). */
static json_t *group_names_of(const json_t *inputs)
{
    json_t *names = json_object();
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(inputs, "groups"), i, v)
        if (json_is_string(v)) json_object_set(names, json_string_value(v), json_true());
    return names;
}

static int groups_digest(const json_t *groups, char out[65], hrs_err *err)
{
    return hrs_snapshot_hash(groups ? groups : json_null(), out, err);
}

/* Nothing unfinished in the journal. (Links need no look: a new one forgets the memo, and the
 * accounts of those made before it were in the plan that found nothing to do.) */
static int store_quiet(hrs_engine *e, int *quiet, hrs_err *err)
{
    json_t *left = NULL;
    *quiet = 0;
    if (hrs_journal_unfinished(e->journal, &left, err) != 0) return -1;
    *quiet = json_array_size(left) == 0;
    json_decref(left);
    return 0;
}

/* The plan of the memo, as a new plan (caller owns). */
static json_t *memo_plan(const hrs_settled *m)
{
    json_t *plan = json_deep_copy(m->plan);
    if (!plan) return NULL;
    json_object_del(plan, "id");
    json_object_del(plan, "fingerprint");
    json_object_del(plan, "guardrails");
    json_t *notes = json_object_get(plan, "notes");
    if (!json_is_array(notes)) json_object_set_new(plan, "notes", notes = json_array());
    json_array_append_new(notes, json_sprintf("nothing changed since %s (source, directory, groups, policy and date "
                                              "are the same): that cycle's plan stands, the policy did not run again",
                                              m->settled_at));
    json_object_set_new(plan, "settled_since", json_string(m->settled_at));
    return plan;
}

int hrs_engine_settle_try(hrs_engine *e, const hrs_source_result *src, json_t **plan, hrs_plan_meta *meta, hrs_err *err)
{
    hrs_settled m;
    int found = 0, rc = 0, quiet = 0, unchanged = 0;
    json_t *names = NULL, *groups = NULL;
    char digest[65];
    *plan = NULL;
    if (!e->settle.recordable || !e->cycle.incremental || e->cycle.full) return 0;
    if (hrs_settle_load(e->store, &m, &found, err) != 0) return -1;
    if (!found) return 0;
    if (strcmp(m.context, e->settle.context) != 0 || strcmp(m.source, e->settle.source) != 0) goto out;
    if (strcmp(m.source, "cursor") == 0 && (!src || !src->partial || json_array_size(src->people) ||
                                            json_array_size(src->quarantine)))
        goto out;
    if (strcmp(m.source, "cursor") != 0 && src) goto out;   /* file versions are compared before the read */
    if ((rc = store_quiet(e, &quiet, err)) != 0 || !quiet) goto out;
    names = group_names_of(m.inputs);
    if ((rc = hrs_engine_read_groups(e, names, &groups, err)) != 0) goto out;
    if ((rc = groups_digest(groups, digest, err)) != 0 || strcmp(digest, m.groups) != 0) goto out;
    const char *select = json_string_value(json_object_get(m.inputs, "select"));
    int managers = json_is_true(json_object_get(m.inputs, "managers"));
    if ((rc = hrs_graph_users_unchanged(e->graph, e->store, select, managers, &unchanged, err)) != 0 || !unchanged)
        goto out;
    *plan = memo_plan(&m);
    if (!*plan) { rc = hrs_err_set(err, "out of memory"); goto out; }
    *meta = m.meta;
    e->settle.from_memo = 1;
    e->timings.people = (size_t)json_integer_value(json_object_get(json_object_get(*plan, "summary"), "people"));
    hrs_info("nothing changed since %s: the plan of that cycle stands (%zu people, not decided again)", m.settled_at,
             e->timings.people);
    rc = 1;
out:
    json_decref(names);
    json_decref(groups);
    hrs_settled_clear(&m);
    return rc;
}

int hrs_engine_settle_forget(hrs_engine *e, hrs_err *err)
{
    return hrs_settle_forget(e->store, err);
}

void hrs_engine_settle_inputs(hrs_engine *e, const char *select, int managers, const json_t *group_names,
                              const json_t *groups)
{
    if (!e->settle.recordable) return;
    json_t *names = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)group_names, k, v) json_array_append_new(names, json_string(k));
    json_decref(e->settle.inputs);
    json_decref(e->settle.groups);
    e->settle.inputs = json_pack("{s:s, s:b, s:o}", "select", select, "managers", managers, "groups", names);
    e->settle.groups = json_incref((json_t *)groups);   /* hashed only if the plan has nothing to do */
    if (!e->settle.inputs) e->settle.recordable = 0;
}

void hrs_engine_settle_after(hrs_engine *e, const json_t *plan, const hrs_plan_meta *meta)
{
    if (e->settle.from_memo || !e->settle.recordable || !e->settle.inputs) return;
    /* Only a whole read that plans nothing (and leaves nothing unfinished) is a settled state. */
    if (!meta->full_read || hrs_plan_count(plan) != 0 || json_array_size(json_object_get(plan, "guardrails"))) return;
    int quiet = 0;
    hrs_err err;
    hrs_err_clear(&err);
    if (store_quiet(e, &quiet, &err) != 0 || !quiet) return;
    /* A module a hook required during this plan is not in the context taken before it: a memo
     * keyed without it could outlive an edit of that module. */
    char code[65];
    hrs_policy_code_digest(e->policy, code);
    if (strcmp(code, e->settle.code) != 0) return;
    hrs_settled m;
    memset(&m, 0, sizeof m);
    if (groups_digest(e->settle.groups, m.groups, &err) != 0) return;
    snprintf(m.context, sizeof m.context, "%s", e->settle.context);
    snprintf(m.source, sizeof m.source, "%s", e->settle.source);
    m.inputs = e->settle.inputs;
    m.plan = (json_t *)plan;
    m.meta = *meta;
    if (hrs_settle_save(e->store, &m, &err) != 0)
        hrs_warn("cannot record that nothing changed (the next cycle plans in full): %s", err.msg);
}
