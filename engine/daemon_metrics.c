/* daemon_metrics.c: the daemon's counters and their Prometheus text exposition (/metrics);
 * see include/hrsync/daemon.h. The counters live in the daemon's context, not in globals. */
#include "hrsync/daemon.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const double bucket_bounds[HRS_DURATION_BUCKETS] = { 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600 };
static const char *const cycle_results[HRS_CYCLE_RESULTS] = { "ok", "error", "failed-operations", "stopped", "guardrail" };

const char *hrs_daemon_cycle_result_name(int result)
{
    return result >= 0 && result < HRS_CYCLE_RESULTS ? cycle_results[result] : "unknown";
}
static const char *const op_kinds[HRS_OP_KINDS] = { "create", "update", "link", "group_add", "group_remove" };
static const char *const op_result_keys[HRS_OP_KINDS] = { "created", "updated", "linked", "group_added", "group_removed" };

static long ival(const json_t *o, const char *k) { return (long)json_integer_value(json_object_get(o, k)); }

/* apply.c names a failed operation "create", "update", "add to group G", "remove from group G". */
static int kind_of_action(const char *a)
{
    if (!a) return -1;
    if (strcmp(a, "create") == 0) return HRS_OP_CREATE;
    if (strcmp(a, "update") == 0) return HRS_OP_UPDATE;
    if (strncmp(a, "add to group", 12) == 0) return HRS_OP_GROUP_ADD;
    if (strncmp(a, "remove from group", 17) == 0) return HRS_OP_GROUP_REMOVE;
    if (strncmp(a, "link", 4) == 0) return HRS_OP_LINK;
    return -1;
}

void hrs_daemon_metrics_add(hrs_daemon_metrics *m, int result, const json_t *plan, const json_t *applied,
                            long graph_requests, long graph_throttled, double seconds, double end_ts)
{
    if (result >= 0 && result < HRS_CYCLE_RESULTS) m->cycles[result]++;
    m->last_cycle_failed = result == HRS_CYCLE_ERROR || result == HRS_CYCLE_GUARDRAIL;
    m->last_cycle_ts = end_ts;
    m->graph_requests += graph_requests;
    m->graph_throttled += graph_throttled;
    if (plan) {
        const json_t *sum = json_object_get(plan, "summary");
        if (json_object_get(plan, "settled_since")) m->cycles_unchanged++;
        m->source_records = ival(sum, "people");
        m->quarantined = ival(sum, "quarantined");
    }
    if (applied) {
        for (int k = 0; k < HRS_OP_KINDS; k++) m->operations[k][0] += ival(applied, op_result_keys[k]);
        size_t i;
        json_t *e;
        json_array_foreach(json_object_get(applied, "errors"), i, e) {
            int k = kind_of_action(json_string_value(json_object_get(e, "action")));
            if (k >= 0) m->operations[k][1]++;
        }
    }
    for (int b = 0; b < HRS_DURATION_BUCKETS; b++)
        if (seconds <= bucket_bounds[b]) m->duration_buckets[b]++;
    m->duration_sum += seconds;
    m->duration_count++;
}

/* A growing text buffer; on allocation failure it keeps NULL and the result is NULL. */
typedef struct { char *s; size_t len, cap; } buf;

static void put(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(buf *b, const char *fmt, ...)
{
    if (!b->s && b->cap) return; /* failed before */
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = b->s ? vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap) : -2;
        va_end(ap);
        if (w >= 0 && (size_t)w < b->cap - b->len) { b->len += (size_t)w; return; }
        size_t need = b->cap ? b->cap * 2 : 4096;
        if (w >= 0 && need < b->len + (size_t)w + 1) need = b->len + (size_t)w + 1;
        char *n = realloc(b->s, need);
        if (!n) { free(b->s); b->s = NULL; b->cap = 1; return; }
        b->s = n;
        b->cap = need;
    }
}

static void head(buf *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

char *hrs_daemon_metrics_text(const hrs_daemon_metrics *m)
{
    buf b = { NULL, 0, 0 };
    head(&b, "hrsync_cycles_total", "counter", "Sync cycles run, by result.");
    for (int r = 0; r < HRS_CYCLE_RESULTS; r++)
        put(&b, "hrsync_cycles_total{result=\"%s\"} %ld\n", cycle_results[r], m->cycles[r]);
    head(&b, "hrsync_cycles_unchanged_total", "counter",
         "Cycles in which nothing changed since the last plan with nothing to do, which stood (the policy did not run).");
    put(&b, "hrsync_cycles_unchanged_total %ld\n", m->cycles_unchanged);
    head(&b, "hrsync_operations_total", "counter", "Directory operations applied, by kind and result.");
    for (int k = 0; k < HRS_OP_KINDS; k++)
        for (int r = 0; r < 2; r++)
            put(&b, "hrsync_operations_total{kind=\"%s\",result=\"%s\"} %ld\n", op_kinds[k], r ? "failed" : "ok",
                m->operations[k][r]);
    head(&b, "hrsync_graph_requests_total", "counter", "HTTP requests sent to Microsoft Graph (a $batch counts once).");
    put(&b, "hrsync_graph_requests_total %ld\n", m->graph_requests);
    head(&b, "hrsync_graph_throttled_total", "counter", "Answers 429 (throttled) from Microsoft Graph, inside batches included.");
    put(&b, "hrsync_graph_throttled_total %ld\n", m->graph_throttled);
    head(&b, "hrsync_source_records", "gauge", "Person records read from the HR source in the last cycle.");
    put(&b, "hrsync_source_records %ld\n", m->source_records);
    head(&b, "hrsync_quarantined", "gauge", "People quarantined (unreadable record or failing policy) in the last plan.");
    put(&b, "hrsync_quarantined %ld\n", m->quarantined);
    head(&b, "hrsync_cycle_duration_seconds", "histogram", "Duration of sync cycles.");
    for (int i = 0; i < HRS_DURATION_BUCKETS; i++)
        put(&b, "hrsync_cycle_duration_seconds_bucket{le=\"%g\"} %ld\n", bucket_bounds[i], m->duration_buckets[i]);
    put(&b, "hrsync_cycle_duration_seconds_bucket{le=\"+Inf\"} %ld\n", m->duration_count);
    put(&b, "hrsync_cycle_duration_seconds_sum %.6f\n", m->duration_sum);
    put(&b, "hrsync_cycle_duration_seconds_count %ld\n", m->duration_count);
    head(&b, "hrsync_last_cycle_timestamp_seconds", "gauge", "UNIX time the last cycle ended (0: none yet).");
    put(&b, "hrsync_last_cycle_timestamp_seconds %.3f\n", m->last_cycle_ts);
    return b.s;
}
