/* bench_cycle.c: the scale benchmark's engine side (driven by bench/run.sh). It calls the engine's
 * functions directly, so that each phase of a cycle is timed on its own (hrs_engine_timings_get):
 *
 *   bench_cycle cycle CONFIG LABEL [incremental]
 *       one cycle (incremental: as the daemon runs those between full reconciles): plan (source read, policy, directory read, plan build), then apply what it
 *       planned (guardrails forced: the benchmark measures, it does not review). Prints the
 *       phases' wall and CPU seconds, the policy's µs per person, the operations and Graph
 *       writes, the process's CPU time and peak RSS (getrusage), and one tab-separated BENCH line.
 *   bench_cycle seed CONFIG SIM_URL OUT.json
 *       plans against the simulator at SIM_URL and writes a simulator seed holding its directory
 *       (GET /_sim/state) plus every account the plan would create, with the attributes, groups
 *       and managers the plan gives it: a directory already in step with HR, without sending
 *       100,000 creates through the simulator.
 *
 * Not run by ctest: numbers, not assertions. */
#include "hrsync/engine.h"
#include "hrsync/http.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static double cpu_of(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
           (double)r->ru_stime.tv_usec / 1e6;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cycle(const char *config, const char *label, int incremental)
{
    hrs_err err;
    hrs_err_clear(&err);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = mono();
    hrs_engine *e = hrs_engine_open(config, NULL, &err);
    if (!e) { fprintf(stderr, "bench_cycle: %s\n", err.msg); return 1; }
    double t_open = mono() - t0;
    /* As the daemon runs the cycles between two full reconciles (schedule.full_every). */
    hrs_engine_cycle cyc = { .incremental = incremental };
    hrs_engine_set_cycle(e, &cyc);
    json_t *plan = NULL, *result = NULL;
    double t1 = mono();
    int rc = hrs_engine_sync(e, 1, &plan, &result, &err);
    double t_cycle = mono() - t1;
    getrusage(RUSAGE_SELF, &r1);
    if (rc < 0) { fprintf(stderr, "bench_cycle: %s\n", err.msg); hrs_engine_close(e); return 1; }
    const hrs_engine_timings *t = hrs_engine_timings_get(e);
    json_t *stats = hrs_engine_stats(e);
    long writes = (long)json_integer_value(json_object_get(stats, "writes"));
    long requests = (long)json_integer_value(json_object_get(stats, "requests"));
    size_t ops = hrs_plan_count(plan);
    double plan_cpu = t->source.cpu_s + t->policy.cpu_s + t->directory.cpu_s + t->plan.cpu_s + t->fingerprint.cpu_s + t->save.cpu_s;
    double plan_wall = t->source.wall_s + t->policy.wall_s + t->directory.wall_s + t->plan.wall_s + t->fingerprint.wall_s +
                       t->save.wall_s;
    double per_person_us = t->people ? t->policy.cpu_s * 1e6 / (double)t->people : 0;
    printf("%s: %zu people, %zu operations planned, %ld Graph requests, %ld writes\n", label, t->people, ops, requests, writes);
    printf("  %-26s %10s %10s\n", "phase", "wall s", "CPU s");
    printf("  %-26s %10.3f %10s\n", "open (config, policy, db)", t_open, "");
    printf("  %-26s %10.3f %10.3f\n", "source read", t->source.wall_s, t->source.cpu_s);
    printf("  %-26s %10.3f %10.3f   (%.1f µs per person)\n", "policy", t->policy.wall_s, t->policy.cpu_s, per_person_us);
    printf("  %-26s %10.3f %10.3f\n", "directory read (Graph)", t->directory.wall_s, t->directory.cpu_s);
    printf("  %-26s %10.3f %10.3f\n", "plan (link, diff)", t->plan.wall_s, t->plan.cpu_s);
    printf("  %-26s %10.3f %10.3f\n", "fingerprint of the inputs", t->fingerprint.wall_s, t->fingerprint.cpu_s);
    printf("  %-26s %10.3f %10.3f\n", "guardrails, plan stored", t->save.wall_s, t->save.cpu_s);
    printf("  %-26s %10.3f %10.3f\n", "= planning", plan_wall, plan_cpu);
    printf("  %-26s %10.3f %10.3f\n", "apply", t->apply.wall_s, t->apply.cpu_s);
    printf("  %-26s %10.3f %10.3f   (process CPU, store and guardrails included)\n", "whole cycle", t_cycle,
           cpu_of(&r1) - cpu_of(&r0));
    printf("  peak RSS %.1f MB\n", (double)r1.ru_maxrss / 1024.0);
    printf("BENCH\t%s\t%zu\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%zu\t%ld\t%.1f\n",
           label, t->people, t->source.wall_s, t->source.cpu_s, t->policy.wall_s, t->policy.cpu_s, per_person_us,
           t->directory.wall_s, t->directory.cpu_s, t->plan.wall_s, t->plan.cpu_s, t->fingerprint.cpu_s + t->save.cpu_s,
           plan_wall, plan_cpu, t_cycle,
           cpu_of(&r1) - cpu_of(&r0), ops, writes, (double)r1.ru_maxrss / 1024.0);
    json_decref(stats);
    json_decref(plan);
    json_decref(result);
    hrs_engine_close(e);
    return 0;
}

static void fake_id(char out[37], unsigned long n)
{
    snprintf(out, 37, "c3000000-0000-4000-8000-%012lu", n);
}

static int seed(const char *config, const char *sim_url, const char *out_path)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_engine *e = hrs_engine_open(config, NULL, &err);
    json_t *plan = NULL, *dir = NULL;
    hrs_http *h = NULL;
    hrs_http_response resp;
    memset(&resp, 0, sizeof resp);
    char url[512];
    snprintf(url, sizeof url, "%s/_sim/state", sim_url);
    int rc = 1;
    if (!e || hrs_engine_plan(e, &plan, &err) != 0) goto out;
    if (!(h = hrs_http_new(600, &err)) || hrs_http_request(h, "GET", url, NULL, NULL, 0, &resp, &err) != 0) goto out;
    dir = json_loads(resp.body, 0, NULL);
    if (resp.status != 200 || !dir) { fprintf(stderr, "bench_cycle: GET %s answered %ld\n", url, resp.status); goto out; }
    json_t *users = json_object_get(dir, "users"), *groups = json_object_get(dir, "groups");
    json_t *ids = json_object(); /* person -> new object id */
    size_t i, n = 0;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c) {
        if (!sv(c, "action") || strcmp(sv(c, "action"), "create") != 0) continue;
        char id[37];
        fake_id(id, ++n);
        json_object_set_new(ids, sv(c, "person"), json_string(id));
    }
    json_array_foreach(json_object_get(plan, "changes"), i, c) {
        const char *pid = sv(c, "person");
        const char *oid = sv(ids, pid);
        if (!oid) continue;
        json_t *u = json_deep_copy(json_object_get(c, "attributes"));
        const char *upn = sv(c, "upn");
        json_object_set_new(u, "id", json_string(oid));
        json_object_set_new(u, "userPrincipalName", json_string(upn));
        json_object_set_new(u, "accountEnabled", json_boolean(json_is_true(json_object_get(c, "account_enabled"))));
        if (!json_object_get(u, "mailNickname"))
            json_object_set_new(u, "mailNickname", json_stringn(upn, strcspn(upn, "@")));
        const json_t *mgr = json_object_get(c, "manager");
        const char *mid = sv(mgr, "id") ? sv(mgr, "id") : sv(ids, sv(mgr, "person") ? sv(mgr, "person") : "");
        if (mid) json_object_set_new(u, "manager", json_string(mid));
        json_array_append_new(users, u);
        size_t j;
        json_t *g;
        json_array_foreach(json_object_get(c, "groups_add"), j, g) {
            size_t k;
            json_t *dg;
            json_array_foreach(groups, k, dg)
                if (sv(dg, "displayName") && sv(g, "group") && strcmp(sv(dg, "displayName"), sv(g, "group")) == 0)
                    json_array_append_new(json_object_get(dg, "members"), json_string(oid));
        }
    }
    json_decref(ids);
    if (json_dump_file(dir, out_path, JSON_COMPACT) != 0) { fprintf(stderr, "bench_cycle: cannot write %s\n", out_path); goto out; }
    printf("seed: %zu accounts and their group memberships written to %s\n", n, out_path);
    rc = 0;
out:
    if (err.set) fprintf(stderr, "bench_cycle: %s\n", err.msg);
    hrs_http_response_clear(&resp);
    hrs_http_free(h);
    json_decref(dir);
    json_decref(plan);
    hrs_engine_close(e);
    return rc;
}

int main(int argc, char **argv)
{
    hrs_log_setup(HRS_LOG_WARN, 0);
    if (argc == 4 && strcmp(argv[1], "cycle") == 0) return cycle(argv[2], argv[3], 0);
    if (argc == 5 && strcmp(argv[1], "cycle") == 0 && strcmp(argv[4], "incremental") == 0)
        return cycle(argv[2], argv[3], 1);
    if (argc == 5 && strcmp(argv[1], "seed") == 0) return seed(argv[2], argv[3], argv[4]);
    fprintf(stderr, "usage: bench_cycle cycle CONFIG LABEL [incremental] | bench_cycle seed CONFIG SIM_URL OUT.json\n");
    return 64;
}
