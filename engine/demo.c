/* demo.c: `hrsync demo` (see include/hrsync/demo.h). */
#include "hrsync/demo.h"
#include "hrsync/config.h"
#include "hrsync/engine.h"
#include "hrsync/password.h"
#include "hrsync/plan.h"
#include "hrsync/sim.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEMO_SECRET_ENV "HRSYNC_DEMO_CLIENT_SECRET"
#define DEMO_TENANT "example.com"
#define DEMO_CLIENT_ID "5a0c6f5e-0d1e-4d6b-9c1a-2f1e0de70001"

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* Prints s padded to width columns (UTF-8 aware: one column per code point). */
static void cell(FILE *out, const char *s, int width)
{
    int cols = 0;
    if (!s) s = "";
    for (const char *p = s; *p; p++) cols += ((unsigned char)*p & 0xC0) != 0x80;
    fputs(s, out);
    for (; cols < width; cols++) fputc(' ', out);
    fputc(' ', out);
}

static void print_directory(FILE *out, const json_t *snap)
{
    const json_t *users = json_object_get(snap, "users");
    fprintf(out, "\nThe simulated directory now holds %zu account%s:\n", json_array_size(users),
            json_array_size(users) == 1 ? "" : "s");
    fprintf(out, "  %-40s %-28s %-14s %-8s %s\n", "userPrincipalName", "displayName", "department", "enabled", "employeeId");
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        fputs("  ", out);
        cell(out, sv(u, "userPrincipalName"), 40);
        cell(out, sv(u, "displayName"), 28);
        cell(out, sv(u, "department"), 14);
        cell(out, json_is_true(json_object_get(u, "accountEnabled")) ? "yes" : "no", 8);
        fprintf(out, "%s\n", sv(u, "employeeId") ? sv(u, "employeeId") : "");
    }
    const json_t *groups = json_object_get(snap, "groups");
    json_t *g;
    json_array_foreach(groups, i, g)
        fprintf(out, "  group %-20s %zu member%s\n", sv(g, "displayName"), json_array_size(json_object_get(g, "members")),
                json_array_size(json_object_get(g, "members")) == 1 ? "" : "s");
}

static int print_result(FILE *out, const json_t *r)
{
    long failed = (long)json_integer_value(json_object_get(r, "failed"));
    hrs_plan_print_result(r, out);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r, "errors"), i, e)
        fprintf(out, "  failed: %s %s (%s): HTTP %lld %s: %s\n", sv(e, "action"), sv(e, "name"), sv(e, "person"),
                (long long)json_integer_value(json_object_get(e, "status")), sv(e, "code"), sv(e, "message"));
    return failed ? -1 : 0;
}

int hrs_demo_run(const hrs_demo_opts *o, hrs_err *err)
{
    FILE *out = o->out ? o->out : stdout;
    const char *state_dir = o->state_dir ? o->state_dir : ".hrsync-demo";
    char *examples = o->examples_dir ? strdup(o->examples_dir) : hrs_config_find_examples_dir();
    if (!examples) return hrs_err_set(err, "cannot find the examples folder (set HRSYNC_HOME to the hrsync source tree)");
    if (mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        hrs_err_set(err, "cannot create the demo folder %s: %s", state_dir, strerror(errno));
        free(examples);
        return -1;
    }
    char config[PATH_MAX + 32], seed[PATH_MAX + 32], sim_state[PATH_MAX + 32], state[PATH_MAX + 32], secret[33], abs_dir[PATH_MAX];
    if (!realpath(state_dir, abs_dir)) {
        hrs_err_set(err, "cannot resolve the demo folder %s: %s", state_dir, strerror(errno));
        free(examples);
        return -1;
    }
    state_dir = abs_dir;
    snprintf(config, sizeof config, "%s/demo/config.lua", examples);
    snprintf(seed, sizeof seed, "%s/demo/directory-seed.json", examples);
    snprintf(sim_state, sizeof sim_state, "%s/directory.json", state_dir);
    snprintf(state, sizeof state, "%s/state.db", state_dir);
    free(examples);
    /* A fresh secret each run: the simulator accepts it, the config names the variable. */
    if (hrs_password_generate(secret, sizeof secret, 32, err) != 0) return -1;
    if (setenv(DEMO_SECRET_ENV, secret, 1) != 0) return hrs_err_set(err, "cannot set %s", DEMO_SECRET_ENV);

    hrs_sim_opts so = { .bind = "127.0.0.1", .tenant = DEMO_TENANT, .client_id = DEMO_CLIENT_ID, .client_secret = secret,
                        .state_file = sim_state, .seed_file = seed };
    hrs_sim *sim = hrs_sim_start(&so, err);
    if (!sim) return hrs_err_prefix(err, "starting the simulator");
    char graph_url[160], login_url[128];
    snprintf(login_url, sizeof login_url, "http://127.0.0.1:%u", hrs_sim_port(sim));
    snprintf(graph_url, sizeof graph_url, "%s/v1.0", login_url);
    fprintf(out, "Simulated Microsoft Graph listening on %s (directory kept in %s)\n", login_url, sim_state);

    json_t *ov = json_pack("{s:{s:s, s:s, s:s, s:s}, s:s}", "directory", "graph_url", graph_url, "login_url", login_url,
                           "tenant", DEMO_TENANT, "client_id", DEMO_CLIENT_ID, "state", state);
    json_t *plan = NULL, *result = NULL;
    int rc = -1;
    hrs_engine *e = hrs_engine_open(config, ov, err);
    if (!e) goto out;
    if (hrs_engine_recover(e, &result, err) != 0) goto out;   /* an interrupted demo first */
    json_decref(result);
    result = NULL;
    if (hrs_engine_plan(e, &plan, err) != 0) goto out;
    if (o->json) {
        char *t = json_dumps(plan, JSON_INDENT(2));
        fprintf(out, "%s\n", t ? t : "");
        free(t);
    } else {
        fputc('\n', out);
        hrs_plan_print(plan, out, o->color);
    }
    if (hrs_plan_count(plan) == 0) {
        rc = 0;
    } else {
        if (hrs_engine_apply(e, plan, &result, err) != 0) goto out;
        if (print_result(out, result) != 0) { hrs_err_set(err, "some operations failed (see above)"); goto out; }
        rc = 0;
    }
    json_t *snap = hrs_sim_snapshot(sim);
    print_directory(out, snap);
    json_decref(snap);
    fprintf(out, "\nRun `hrsync demo` again: the accounts exist now, so the plan is empty.\n");
out:
    json_decref(plan);
    json_decref(result);
    json_decref(ov);
    hrs_engine_close(e);
    hrs_sim_stop(sim);
    memset(secret, 0, sizeof secret);
    unsetenv(DEMO_SECRET_ENV);
    return rc;
}
