/* graph_onboard.c: the Graph connector's throughput benchmark. Onboards N new people (10,000 by
 * default) into the simulator running the documented write limit, and prints what it cost
 * against what the plan needed at least:
 *
 *   graph_onboard [--people N] [--window SECONDS] [--writes W] [--concurrency C] [--keep]
 *
 * The simulator runs in a child process (so that the CPU time and peak memory measured with
 * getrusage are the engine's alone) with throttle_writes = W per window (3000 per 150 s is
 * Graph's limit per app and tenant, graph.md §5); the engine's write budget is set to the same
 * limit. A window shorter than 150 s scales the limit up in proportion (3000 per 15 s is ten
 * times Graph's rate) so that the run takes minutes, not a quarter of an hour; the ratio to
 * the throttle bound is the same.
 *
 * The company: N active people in 10 departments; each department's head reports to the first
 * person, everyone else to their head; women are also in the group "Women". Onboarding them is
 * N creates, N - 1 manager references and the group additions (packed 20 to a request).
 *
 * Printed: writes and Graph requests sent against the minimum the plan needs, 429s received,
 * wall time against the throttle bound (writes ÷ the limit's rate; also less the first full
 * bucket, which both the service and the client start with), the engine's CPU time and peak
 * RSS. Not run by ctest: numbers, not assertions. */
#include "hrsync/engine.h"
#include "hrsync/http.h"
#include "hrsync/log.h"
#include "hrsync/sim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TENANT "example.com"
#define CLIENT "22222222-3333-4444-5555-666666666666"
#define SECRET "bench-secret-graph-onboard"

static const char *const departments[] = { "Engineering", "Sales", "Finance", "People", "Marketing",
                                           "Support", "Operations", "Legal", "Product", "Research" };
#define NDEPT 10

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_of(const struct rusage *r)
{
    return (double)r->ru_utime.tv_sec + (double)r->ru_utime.tv_usec / 1e6 + (double)r->ru_stime.tv_sec +
           (double)r->ru_stime.tv_usec / 1e6;
}

static int write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) == EOF) { if (f) fclose(f); return -1; }
    return fclose(f);
}

static int write_company(const char *dir, long n)
{
    char path[600];
    snprintf(path, sizeof path, "%s/people.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) return -1;
    fprintf(f, "id,first_name,last_name,preferred_name,email,status,department,position,office,supervisor_id,hire_date,"
               "termination_date,gender\n");
    for (long i = 1; i <= n; i++) {
        int d = (int)((i - 1) % NDEPT);
        long head = d + 1;                                  /* people 1..10 head the departments */
        long sup = i == 1 ? 0 : i <= NDEPT ? 1 : head;
        char supervisor[16] = "";
        if (sup) snprintf(supervisor, sizeof supervisor, "%ld", 100000 + sup);
        fprintf(f, "%ld,Person%ld,Onboard%ld,,,active,%s,%s,Berlin,%s,2026-11-02,,%s\n", 100000 + i, i, i, departments[d],
                i <= NDEPT ? "Head" : "Engineer", supervisor, i % 2 ? "female" : "male");
    }
    return fclose(f);
}

static const char POLICY[] =
    "-- graph_onboard's policy: everyone active, the usual attributes, one UPN each.\n"
    "return {\n"
    "  include = function(p) return p.status == 'active' end,\n"
    "  attributes = function(p) return { givenName = p.first_name, surname = p.last_name,\n"
    "    displayName = p.first_name .. ' ' .. p.last_name, department = p.department, jobTitle = p.position,\n"
    "    employeeId = p.id, officeLocation = p.office, usageLocation = 'DE' } end,\n"
    "  upn = function(p) return { string.lower(p.first_name .. '.' .. p.last_name) .. '@example.com' } end,\n"
    "  groups = function(p) local g = { 'SG-' .. p.department }\n"
    "    if p.gender == 'female' then g[#g + 1] = 'Women' end\n"
    "    return g end,\n"
    "  lifecycle = { create_disabled = false },\n"
    "}\n";

/* The simulator in a child process: it writes its port to fd, then serves until stdin-pipe EOF. */
static pid_t start_sim(const char *seed, double writes, double window, unsigned short *port, int *stop_fd)
{
    int up[2], down[2];
    if (pipe(up) != 0 || pipe(down) != 0) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        close(up[0]);
        close(down[1]);
        hrs_err err;
        hrs_err_clear(&err);
        hrs_sim_opts o = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET, .seed_file = seed };
        hrs_sim *s = hrs_sim_start(&o, &err);
        if (!s) { fprintf(stderr, "graph_onboard: %s\n", err.msg); _exit(1); }
        hrs_sim_set_fault(s, "throttle_window_s", window);
        hrs_sim_set_fault(s, "throttle_writes", writes);
        unsigned short p = hrs_sim_port(s);
        if (write(up[1], &p, sizeof p) != (ssize_t)sizeof p) _exit(1);
        char c;
        while (read(down[0], &c, 1) > 0) { }
        hrs_sim_stop(s);
        _exit(0);
    }
    close(up[1]);
    close(down[0]);
    if (read(up[0], port, sizeof *port) != (ssize_t)sizeof *port) return -1;
    close(up[0]);
    *stop_fd = down[1];
    return pid;
}

static json_t *sim_stats(unsigned short port)
{
    hrs_err err;
    hrs_err_clear(&err);
    char url[80];
    snprintf(url, sizeof url, "http://127.0.0.1:%u/_sim/stats", port);
    hrs_http *h = hrs_http_new(10, &err);
    hrs_http_response r;
    json_t *j = NULL;
    if (h && hrs_http_request(h, "GET", url, NULL, NULL, 0, &r, &err) == 0) {
        j = json_loads(r.body, 0, NULL);
        hrs_http_response_clear(&r);
    }
    hrs_http_free(h);
    return j;
}

static long ival(const json_t *o, const char *k) { return (long)json_integer_value(json_object_get(o, k)); }

int main(int argc, char **argv)
{
    long people = 10000, concurrency = 4;
    double window = 150, writes_limit = 3000;
    int keep = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--people") == 0 && i + 1 < argc) people = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--window") == 0 && i + 1 < argc) window = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--writes") == 0 && i + 1 < argc) writes_limit = strtod(argv[++i], NULL);
        else if (strcmp(argv[i], "--concurrency") == 0 && i + 1 < argc) concurrency = strtol(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--keep") == 0) keep = 1;
        else {
            fprintf(stderr, "usage: graph_onboard [--people N] [--window S] [--writes W] [--concurrency C] [--keep]\n");
            return 64;
        }
    }
    if (people < NDEPT || window <= 0 || writes_limit < 20 || concurrency < 1) {
        fprintf(stderr, "graph_onboard: bad arguments\n");
        return 64;
    }
    char dir[] = "/tmp/hrsync-graph-onboard-XXXXXX", path[600], text[4096];
    if (!mkdtemp(dir)) { perror("mkdtemp"); return 1; }
    if (write_company(dir, people) != 0) { fprintf(stderr, "graph_onboard: cannot write the company\n"); return 1; }
    snprintf(path, sizeof path, "%s/policy.lua", dir);
    write_file(path, POLICY);
    snprintf(path, sizeof path, "%s/secret", dir);
    write_file(path, SECRET "\n");
    /* The seed: the domain and the managed groups, no users. */
    json_t *groups = json_array();
    for (int d = 0; d < NDEPT; d++) {
        char name[64], nick[64];
        snprintf(name, sizeof name, "SG-%s", departments[d]);
        snprintf(nick, sizeof nick, "sg-%d", d);
        json_array_append_new(groups, json_pack("{s:s, s:s, s:b, s:b}", "displayName", name, "mailNickname", nick,
                                                "mailEnabled", 0, "securityEnabled", 1));
    }
    json_array_append_new(groups, json_pack("{s:s, s:s, s:b, s:b}", "displayName", "Women", "mailNickname", "women",
                                            "mailEnabled", 0, "securityEnabled", 1));
    json_t *seed = json_pack("{s:[s], s:[], s:o}", "domains", "example.com", "users", "groups", groups);
    char seed_path[600];
    snprintf(seed_path, sizeof seed_path, "%s/seed.json", dir);
    json_dump_file(seed, seed_path, 0);
    json_decref(seed);

    unsigned short port = 0;
    int stop_fd = -1;
    pid_t sim = start_sim(seed_path, writes_limit, window, &port, &stop_fd);
    if (sim < 0) { fprintf(stderr, "graph_onboard: cannot start the simulator\n"); return 1; }
    snprintf(text, sizeof text,
             "return {\n"
             "  now = '2026-12-01',\n"
             "  source = { type = 'csv', path = 'people.csv' },\n"
             "  directory = { tenant = '%s', client_id = '%s', client_secret_file = 'secret',\n"
             "    graph_url = 'http://127.0.0.1:%u/v1.0', login_url = 'http://127.0.0.1:%u',\n"
             "    write_budget = { writes = %g, seconds = %g }, concurrency = %ld },\n"
             "  policy = 'policy.lua', state = 'state.db', audit_log = false,\n"
             "  guardrails = { max_disable = false, max_disable_ratio = false },\n"
             "}\n",
             TENANT, CLIENT, port, port, writes_limit, window, concurrency);
    char config[600];
    snprintf(config, sizeof config, "%s/config.lua", dir);
    write_file(config, text);

    hrs_log_setup(HRS_LOG_WARN, 0);
    hrs_err err;
    hrs_err_clear(&err);
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    double t0 = mono();
    hrs_engine *e = hrs_engine_open(config, NULL, &err);
    json_t *plan = NULL, *result = NULL;
    struct rusage rp;
    int rc = e ? hrs_engine_plan(e, &plan, &err) : -1;
    getrusage(RUSAGE_SELF, &rp);   /* the peak while planning, before anything is applied */
    if (rc == 0) rc = hrs_engine_apply(e, plan, &result, &err);
    double wall = mono() - t0;
    getrusage(RUSAGE_SELF, &r1);
    if (rc != 0) fprintf(stderr, "graph_onboard: %s\n", err.msg);
    json_t *gs = e ? hrs_engine_stats(e) : NULL, *ss = sim_stats(port);
    const hrs_engine_timings *tm = e ? hrs_engine_timings_get(e) : NULL;

    /* What the plan needs at least: each create and manager reference is one write; the
     * additions to a group go 20 to a request. */
    long creates = 0, managers = 0, adds = 0, add_requests = 0;
    json_t *per_group = json_object();
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c) {
        const char *action = json_string_value(json_object_get(c, "action"));
        creates += action && strcmp(action, "create") == 0;
        managers += json_object_get(c, "manager") != NULL;
        size_t j;
        json_t *g;
        json_array_foreach(json_object_get(c, "groups_add"), j, g) {
            const char *name = json_string_value(json_object_get(g, "group"));
            json_object_set_new(per_group, name, json_integer(json_integer_value(json_object_get(per_group, name)) + 1));
            adds++;
        }
    }
    const char *k;
    json_t *v;
    json_object_foreach(per_group, k, v) add_requests += (json_integer_value(v) + 19) / 20;
    long min_writes = creates + managers + add_requests;
    /* $batch requests: the creates (phase 1), then managers and group requests (phase 4). */
    long min_write_requests = (creates + 19) / 20 + (managers + add_requests + 19) / 20;
    long sent_requests = ival(gs, "requests"), sent_writes = ival(gs, "writes");
    long reads_min = 1 + 2 * (long)json_object_size(per_group);   /* users (one page: none yet), each group, its members */
    long min_requests = min_write_requests + reads_min;
    double rate = writes_limit / window;
    double bound = (double)min_writes / rate, bound_less_burst = (double)(min_writes - writes_limit) / rate;

    printf("graph_onboard: %ld people onboarded into the simulator, limit %g writes per %g s (%.1f writes/s; Graph's: "
           "3000 per 150 s = 20/s, ratio %.1f)\n", people, writes_limit, window, rate, rate / 20.0);
    printf("  result: %s, created %ld, manager %ld, group_added %ld, failed %ld\n", rc == 0 ? "ok" : "error",
           ival(result, "created"), ival(result, "manager"), ival(result, "group_added"), ival(result, "failed"));
    printf("  %-38s %10s %10s %8s\n", "", "sent", "minimum", "ratio");
    printf("  %-38s %10ld %10ld %8.3f\n", "writes (creates, managers, group reqs)", sent_writes, min_writes,
           (double)sent_writes / (double)min_writes);
    printf("  %-38s %10ld %10ld %8.3f\n", "HTTP requests to Graph (all)", sent_requests, min_requests,
           (double)sent_requests / (double)min_requests);
    printf("  %-38s %10ld %10ld\n", "group additions / packed requests", adds, add_requests);
    printf("  %-38s %10ld   (simulator: %ld)\n", "429 answers met", ival(gs, "throttled"), ival(ss, "throttled"));
    printf("  %-38s %10.1f s\n", "wall time (open + plan + apply)", wall);
    printf("  %-38s %10.1f s   (wall / bound = %.3f)\n", "throttle bound: min writes / rate", bound, wall / bound);
    printf("  %-38s %10.1f s   (wall / bound = %.3f)\n", "... less the first full bucket", bound_less_burst,
           wall / bound_less_burst);
    printf("  %-38s %10.1f s\n", "time waiting for the write budget", json_real_value(json_object_get(gs, "budget_wait_s")));
    if (tm)
        printf("  %-38s %10.1f s   (apply %.1f s wall, %.1f s CPU)\n", "open and plan", wall - tm->apply.wall_s,
               tm->apply.wall_s, tm->apply.cpu_s);
    printf("  %-38s %10.1f s\n", "engine CPU time (user + system)", cpu_of(&r1) - cpu_of(&r0));
    printf("  %-38s %10.1f MB   (%.1f MB when the plan was made)\n", "engine peak RSS", (double)r1.ru_maxrss / 1024.0,
           (double)rp.ru_maxrss / 1024.0);
    printf("BENCH\tgraph_onboard\t%ld\t%ld\t%ld\t%ld\t%ld\t%ld\t%.1f\t%.1f\t%.1f\t%.1f\n", people, sent_writes, min_writes,
           sent_requests, min_requests, ival(gs, "throttled"), wall, bound, cpu_of(&r1) - cpu_of(&r0),
           (double)r1.ru_maxrss / 1024.0);

    json_decref(per_group);
    json_decref(gs);
    json_decref(ss);
    json_decref(plan);
    json_decref(result);
    hrs_engine_close(e);
    close(stop_fd);
    int status;
    waitpid(sim, &status, 0);
    if (!keep) {
        static const char *const files[] = { "people.csv", "policy.lua", "secret", "seed.json", "config.lua", "state.db",
                                             "state.db-wal", "state.db-shm", NULL };
        for (size_t f = 0; files[f]; f++) {
            snprintf(path, sizeof path, "%s/%s", dir, files[f]);
            unlink(path);
        }
        rmdir(dir);
    } else {
        printf("kept %s\n", dir);
    }
    return rc == 0 ? 0 : 1;
}
