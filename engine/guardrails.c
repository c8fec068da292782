/* guardrails.c: the safety limits a plan is checked against before it is applied (see
 * include/hrsync/guardrails.h). */
#include "hrsync/guardrails.h"
#include "hrsync/source.h"

#include <stdio.h>
#include <string.h>

static const char *const keys[] = { "max_disable", "max_disable_ratio", "max_group_remove", "max_rename",
                                    "max_quarantined", "max_quarantined_ratio", NULL };

void hrs_guardrails_defaults(hrs_guardrails *g)
{
    g->max_disable = 10;
    g->max_disable_ratio = 0.1;
    g->max_group_remove = 50;
    g->max_rename = 10;
    g->max_quarantined = 10;
    g->max_quarantined_ratio = 0.2;
    g->max_shrink = 0.2;
}

static double *slot(hrs_guardrails *g, const char *k)
{
    if (strcmp(k, "max_disable") == 0) return &g->max_disable;
    if (strcmp(k, "max_disable_ratio") == 0) return &g->max_disable_ratio;
    if (strcmp(k, "max_group_remove") == 0) return &g->max_group_remove;
    if (strcmp(k, "max_rename") == 0) return &g->max_rename;
    if (strcmp(k, "max_quarantined") == 0) return &g->max_quarantined;
    if (strcmp(k, "max_quarantined_ratio") == 0) return &g->max_quarantined_ratio;
    return NULL;
}

/* One limit: a number >= 0 (a ratio at most 1), or false for "no limit". */
static int read_limit(const hrs_config *c, const char *section, const char *k, const json_t *v, int ratio, double *out,
                      hrs_err *err)
{
    if (json_is_false(v)) { *out = -1; return 0; }
    double d = json_number_value(v);
    if (json_is_number(v) && d >= 0 && (!ratio || d <= 1)) { *out = d; return 0; }
    char text[80] = "";
    if (json_is_string(v)) snprintf(text, sizeof text, " (it is \"%.40s\")", json_string_value(v));
    else if (json_is_number(v)) snprintf(text, sizeof text, " (it is %g)", d);
    return hrs_config_key_error(c, k, err, "%s%s must be %s, or false for no limit%s", section, k,
                                ratio ? "a share from 0 to 1" : "a number >= 0", text);
}

int hrs_guardrails_load(const hrs_config *c, hrs_guardrails *g, hrs_err *err)
{
    hrs_guardrails_defaults(g);
    const json_t *t = json_object_get(c->root, "guardrails");
    if (t && !json_is_object(t)) return hrs_err_set(err, "%s: guardrails must be a table, e.g. { max_disable = 10 }", c->path);
    if (t && hrs_config_check_keys(c, t, keys, "guardrails.", err) != 0) return -1;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)t, k, v)
        if (read_limit(c, "guardrails.", k, v, strstr(k, "_ratio") != NULL, slot(g, k), err) != 0) return -1;
    if (hrs_source_max_shrink(c->source, &g->max_shrink, err) != 0) {
        int line = hrs_config_line_of(c, "max_shrink");
        if (line) return hrs_err_prefix(err, "%s:%d", c->path, line);
        return hrs_err_prefix(err, "%s", c->path);
    }
    return 0;
}

static long long count(const json_t *summary, const char *k)
{
    return (long long)json_integer_value(json_object_get(summary, k));
}

static void add(json_t *out, const char *rule, double limit, double value, const char *message)
{
    json_array_append_new(out, json_pack("{s:s, s:f, s:f, s:s}", "rule", rule, "limit", limit, "value", value,
                                         "message", message));
}

/* "n things exceed rule = limit" for the absolute limits. */
static void over_count(json_t *out, const json_t *summary, const char *key, const char *one, const char *many,
                       const char *rule, double limit)
{
    long long n = count(summary, key);
    if (limit < 0 || (double)n <= limit) return;
    char m[200];
    snprintf(m, sizeof m, "%lld %s %s %s = %g", n, n == 1 ? one : many, n == 1 ? "exceeds" : "exceed", rule, limit);
    add(out, rule, limit, (double)n, m);
}

json_t *hrs_guardrails_check(const hrs_guardrails *g, const hrs_guardrails_input *in)
{
    json_t *out = json_array();
    const json_t *s = in->summary;
    char m[300];
    /* A shrunken source first: it explains the disables that follow from it. */
    hrs_err e;
    hrs_err_clear(&e);
    if (!in->partial && hrs_source_shrink_check(in->previous, in->records, g->max_shrink, &e) != 0)
        add(out, "max_shrink", g->max_shrink, (double)(in->previous - in->records) / (double)in->previous, e.msg);
    over_count(out, s, "disable", "disable", "disables", "max_disable", g->max_disable);
    long long dis = count(s, "disable"), scope = count(s, "in_scope") + dis;
    if (g->max_disable_ratio >= 0 && dis > 0 && (double)dis > g->max_disable_ratio * (double)scope) {
        snprintf(m, sizeof m, "%lld disable%s %s %.0f%% of the %lld people in scope, over max_disable_ratio = %g", dis,
                 dis == 1 ? "" : "s", dis == 1 ? "is" : "are", 100.0 * (double)dis / (double)scope, scope, g->max_disable_ratio);
        add(out, "max_disable_ratio", g->max_disable_ratio, (double)dis / (double)scope, m);
    }
    over_count(out, s, "group_remove", "group removal", "group removals", "max_group_remove", g->max_group_remove);
    over_count(out, s, "rename", "rename", "renames", "max_rename", g->max_rename);
    over_count(out, s, "quarantined", "quarantined person", "quarantined people", "max_quarantined", g->max_quarantined);
    long long q = count(s, "quarantined");
    size_t records = in->records ? in->records : (size_t)count(s, "people");
    if (g->max_quarantined_ratio >= 0 && q > 0 && records > 0 && (double)q > g->max_quarantined_ratio * (double)records) {
        snprintf(m, sizeof m, "%lld of %zu records %s quarantined (%.0f%%), over max_quarantined_ratio = %g", q, records,
                 q == 1 ? "is" : "are", 100.0 * (double)q / (double)records, g->max_quarantined_ratio);
        add(out, "max_quarantined_ratio", g->max_quarantined_ratio, (double)q / (double)records, m);
    }
    return out;
}

int hrs_guardrails_explain(const json_t *violations, const char *plan_id, hrs_err *err)
{
    char msg[HRS_ERR_MAX];
    size_t o = 0, i;
    json_t *v;
    msg[0] = '\0';
    json_array_foreach(violations, i, v) {
        int w = snprintf(msg + o, sizeof msg - o, "%s%s", i ? "; " : "", json_string_value(json_object_get(v, "message")));
        if (w < 0 || (size_t)w >= sizeof msg - o) break;
        o += (size_t)w;
    }
    if (!plan_id) return hrs_err_set(err, "guardrail: %s", msg);
    return hrs_err_set(err, "guardrail: %s; review the plan and run hrsync apply %s --force", msg, plan_id);
}
