/* daemon.c: `hrsync run` (see include/hrsync/daemon.h): the schedule, the state file's lease,
 * the signals (SIGTERM/SIGINT stop between batches, SIGHUP reloads), one cycle after another,
 * and the values `hrsync status` and the status server show. */
#include "hrsync/daemon.h"
#include "hrsync/engine.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"
#include "hrsync/progress.h"
#include "hrsync/status.h"
#include "hrsync/store.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

#define LEASE_MIN_TTL 300   /* seconds; renewed every third of it, also between batches */

/* Set by the signal handlers: the only state a handler can reach, hence file-scope. */
static volatile sig_atomic_t sig_stop, sig_reload;

static void on_stop(int s) { (void)s; sig_stop = 1; }
static void on_hup(int s) { (void)s; sig_reload = 1; }

typedef struct daemon_ctx {
    const hrs_daemon_opts *opts;
    hrs_engine *engine;
    hrs_schedule sched;
    char holder[400], host[256], started_at[32];
    long lease_ttl;
    double lease_renewed;         /* monotonic time of the last renewal */
    int leased;                   /* the lease was taken (and is to be released) */
    hrs_err lease_lost;           /* set when another engine took the lease over */
    long cycle;
    unsigned seed;
    char last_error[HRS_ERR_MAX]; /* the last failed cycle's message, to record each error once */
    hrs_progress *progress;       /* during an apply at a terminal */
    int progress_tried;
    hrs_daemon_http *http;
    unsigned http_port;
    pthread_mutex_t mu;           /* guards what the status server's thread reads: */
    hrs_daemon_metrics metrics;
    char *state_path;
} daemon_ctx;

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void utc_at(double epoch, char out[32])
{
    time_t t = (time_t)epoch;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the schedule ------------------------------------------------------------------------ */

int hrs_daemon_schedule(const hrs_config *c, hrs_schedule *out, hrs_err *err)
{
    memset(out, 0, sizeof *out);
    out->interval_s = 60;
    out->jitter = 0.1;
    out->full_every = 10;
    snprintf(out->listen, sizeof out->listen, "%s", "127.0.0.1:9464");
    const json_t *s = json_object_get(c->root, "schedule"), *h = json_object_get(c->root, "http");
    if (s && !json_is_object(s)) return hrs_config_key_error(c, "schedule", err, "schedule must be a table { interval = 60, jitter = 0.1, full_every = 10 }");
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)s, k, v) {
        if (strcmp(k, "interval") == 0) {
            if (!json_is_number(v) || json_number_value(v) <= 0 || json_number_value(v) > 7 * 86400)
                return hrs_config_key_error(c, "interval", err, "schedule.interval must be a number of seconds above 0 (at most a week)");
            out->interval_s = json_number_value(v);
        } else if (strcmp(k, "jitter") == 0) {
            if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 0.5)
                return hrs_config_key_error(c, "jitter", err, "schedule.jitter must be a fraction of the interval from 0 to 0.5");
            out->jitter = json_number_value(v);
        } else if (strcmp(k, "full_every") == 0) {
            if (!json_is_integer(v) || json_integer_value(v) < 1)
                return hrs_config_key_error(c, "full_every", err, "schedule.full_every must be a whole number of cycles, 1 or more");
            out->full_every = (int)json_integer_value(v);
        } else {
            char what[200];
            snprintf(what, sizeof what, "unknown setting 'schedule.%s' (known: interval, jitter, full_every)", k);
            return hrs_config_key_error(c, k, err, "%s", what);
        }
    }
    if (json_is_false(h)) {
        out->listen[0] = '\0';
    } else if (h) {
        if (!json_is_object(h)) return hrs_config_key_error(c, "http", err, "http must be a table { listen = \"127.0.0.1:9464\" } or false");
        json_object_foreach((json_t *)h, k, v) {
            if (strcmp(k, "listen") != 0 || !json_is_string(v) || strlen(json_string_value(v)) >= sizeof out->listen)
                return hrs_config_key_error(c, k, err, "http takes one setting, listen = \"ADDRESS:PORT\" (port 0: any free port)");
            snprintf(out->listen, sizeof out->listen, "%s", json_string_value(v));
        }
    }
    return 0;
}

double hrs_daemon_next_wait(const hrs_schedule *s, unsigned *seed)
{
    double u = (double)rand_r(seed) / ((double)RAND_MAX + 1.0) * 2.0 - 1.0;
    double w = s->interval_s * (1.0 + s->jitter * u);
    return w > 0 ? w : 0;
}

/* ---- the values status shows ------------------------------------------------------------- */

static void put_status(daemon_ctx *d, const char *key, json_t *value)
{
    hrs_err err;
    hrs_err_clear(&err);
    if (value && hrs_store_status_put(hrs_engine_store(d->engine), key, value, &err) != 0)
        hrs_warn("cannot record the daemon's %s: %s", key, err.msg);
    json_decref(value);
}

static void put_daemon(daemon_ctx *d, const char *phase)
{
    char http[200] = "";
    if (d->http) {
        const char *colon = strrchr(d->sched.listen, ':');
        snprintf(http, sizeof http, "%.*s:%u", colon ? (int)(colon - d->sched.listen) : 0, d->sched.listen, d->http_port);
    }
    put_status(d, "daemon", json_pack("{s:I, s:s, s:s, s:s, s:s?, s:f, s:i, s:I, s:s}", "pid", (json_int_t)getpid(),
                                      "host", d->host, "started_at", d->started_at, "config", d->opts->config_path,
                                      "http", d->http ? http : NULL, "interval_s", d->sched.interval_s, "full_every",
                                      d->sched.full_every, "cycle", (json_int_t)d->cycle, "phase", phase));
}

/* The policy in use as the engine reports it (engine_policy.c): path, version, loaded_at, and the
 * outcome of its own reloads when the file changes. */
static void put_policy(daemon_ctx *d)
{
    put_status(d, "policy", hrs_engine_policy_status(d->engine));
}

/* ---- the lease --------------------------------------------------------------------------- */

static void maybe_renew(daemon_ctx *d)
{
    if (mono() - d->lease_renewed < (double)d->lease_ttl / 3) return;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_store_lease_renew(hrs_engine_store(d->engine), d->holder, d->lease_ttl, &err) != 0) {
        hrs_error("%s; stopping", err.msg);
        d->lease_lost = err;
        sig_stop = 1;
        return;
    }
    d->lease_renewed = mono();
}

static void on_progress(void *ud, size_t done, size_t total)
{
    daemon_ctx *d = ud;
    if (!d->progress && !d->progress_tried) {
        d->progress_tried = 1;
        d->progress = hrs_progress_new(stderr, hrs_engine_timings_get(d->engine)->people);
    }
    hrs_progress_update(d->progress, done, total);
    maybe_renew(d);
}

/* ---- one cycle --------------------------------------------------------------------------- */

static long stat_of(hrs_engine *e, const char *k)
{
    json_t *s = hrs_engine_stats(e);
    long v = (long)json_integer_value(json_object_get(s, k));
    json_decref(s);
    return v;
}

/* A failed cycle is a run row once per distinct error, so a daemon failing every minute does not
 * fill the state file. */
static void record_error(daemon_ctx *d, const hrs_err *err)
{
    if (strcmp(d->last_error, err->msg) == 0) return;
    snprintf(d->last_error, sizeof d->last_error, "%s", err->msg);
    hrs_store *s = hrs_engine_store(d->engine);
    int64_t id;
    hrs_err e2;
    hrs_err_clear(&e2);
    json_t *sum = json_pack("{s:s}", "error", err->msg);
    if (hrs_store_run_begin(s, "run", hrs_engine_config(d->engine)->today, &id, &e2) != 0 ||
        hrs_store_run_end(s, id, "error", sum, &e2) != 0)
        hrs_warn("cannot record the failed cycle: %s", e2.msg);
    json_decref(sum);
}

static void run_cycle(daemon_ctx *d)
{
    hrs_engine *e = d->engine;
    d->cycle++;
    int full = d->sched.full_every <= 1 || (d->cycle - 1) % d->sched.full_every == 0;
    hrs_info("cycle %ld started (%s)", d->cycle, full ? "full reconcile" : "incremental");
    /* A policy file changed on disk is loaded and checked against the last cycle's people, and
     * used only if that works (engine_policy.c); SIGHUP reopens everything (reload below). */
    if (hrs_engine_maybe_reload(e) != 0) put_policy(d);
    put_daemon(d, "running");
    maybe_renew(d);
    hrs_engine_cycle hooks = { full, &sig_stop, on_progress, d, d->holder, 1 };
    hrs_engine_set_cycle(e, &hooks);
    long req0 = stat_of(e, "requests"), thr0 = stat_of(e, "throttled");
    double t0 = mono();
    json_t *plan = NULL, *result = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    int outcome = HRS_CYCLE_OK;
    d->progress_tried = 0;
    /* Plan (stored, checked against the guardrails), then apply unless a guardrail stops it. */
    int rc = hrs_engine_sync(e, 0, &plan, &result, &err);
    hrs_progress_finish(d->progress);
    hrs_progress_free(d->progress);
    d->progress = NULL;
    size_t n = plan ? hrs_plan_count(plan) : 0;
    if (rc == HRS_ENGINE_STOPPED) outcome = HRS_CYCLE_GUARDRAIL;
    else if (rc != 0) outcome = HRS_CYCLE_ERROR;
    else if (json_is_true(json_object_get(result, "stopped"))) outcome = HRS_CYCLE_STOPPED;
    else if (json_integer_value(json_object_get(result, "failed"))) outcome = HRS_CYCLE_FAILED_OPS;
    double secs = mono() - t0, end = wall();
    long reqs = stat_of(e, "requests") - req0, thr = stat_of(e, "throttled") - thr0;
    pthread_mutex_lock(&d->mu);
    hrs_daemon_metrics_add(&d->metrics, outcome, plan, result, reqs, thr, secs, end);
    pthread_mutex_unlock(&d->mu);

    const json_t *sum = json_object_get(plan, "summary");
    long long people = (long long)json_integer_value(json_object_get(sum, "people"));
    long long quarantined = (long long)json_integer_value(json_object_get(sum, "quarantined"));
#define R(k) (long long)json_integer_value(json_object_get(result, k))
    if (outcome == HRS_CYCLE_ERROR) {
        hrs_error("cycle %ld failed after %.2f s: %s", d->cycle, secs, err.msg);
        record_error(d, &err);
    } else if (outcome == HRS_CYCLE_GUARDRAIL) {
        hrs_error("cycle %ld: nothing applied, %s", d->cycle, err.msg);
    } else if (outcome == HRS_CYCLE_OK && json_object_get(plan, "settled_since")) {
        d->last_error[0] = '\0';
        hrs_info("cycle %ld done in %.2f s: nothing changed since %s, the plan of that cycle stands (%lld people, "
                 "%lld quarantined); %ld Graph requests, %ld throttled", d->cycle, secs,
                 json_string_value(json_object_get(plan, "settled_since")), people, quarantined, reqs, thr);
    } else {
        d->last_error[0] = '\0';
        hrs_info("cycle %ld %s in %.2f s: %lld people, %lld quarantined, %zu operations planned; %lld created, %lld updated, "
                 "%lld linked, %lld group additions, %lld group removals, %lld failed; %ld Graph requests, %ld throttled",
                 d->cycle, outcome == HRS_CYCLE_STOPPED ? "stopped" : outcome == HRS_CYCLE_OK ? "done" : "done with failures",
                 secs, people, quarantined, n, R("created"), R("updated"), R("linked"), R("group_added"),
                 R("group_removed"), R("failed"), reqs, thr);
    }
#undef R
    char at[32];
    utc_at(end, at);
    put_status(d, "last_cycle", json_pack("{s:I, s:s, s:s, s:f, s:I, s:I, s:s?, s:O?}", "cycle", (json_int_t)d->cycle, "at",
                                          at, "result", hrs_daemon_cycle_result_name(outcome), "seconds", secs, "people",
                                          (json_int_t)people, "operations", (json_int_t)n, "error", err.set ? err.msg : NULL,
                                          "unchanged_since", json_object_get(plan, "settled_since")));
    json_decref(plan);
    json_decref(result);
    /* Between cycles the daemon holds no company: a reload reads the persons from the state file. */
    hrs_engine_forget_last_cycle(e);
#ifdef __GLIBC__
    malloc_trim(0);   /* and gives the pages back, so its resident size falls between cycles */
#endif
}

/* ---- reload ------------------------------------------------------------------------------ */

/* The date is pinned by --now, HRSYNC_NOW or the config's now; otherwise it follows the clock. */
static int date_pinned(const daemon_ctx *d)
{
    const char *env = getenv("HRSYNC_NOW");
    return (d->opts->overrides && json_object_get(d->opts->overrides, "now")) || (env && *env) ||
           json_object_get(hrs_engine_config(d->engine)->root, "now");
}

static void put_reload(daemon_ctx *d, const char *why, const hrs_err *err)
{
    char at[32];
    utc_at(wall(), at);
    put_status(d, "reload", json_pack("{s:s, s:s, s:b, s:s?}", "at", at, "trigger", why, "ok", !err, "error",
                                      err ? err->msg : NULL));
}

static void reload_failed(daemon_ctx *d, const char *why, const hrs_err *err)
{
    hrs_error("reload failed; the running configuration and policy stay in use: %s", err->msg);
    put_reload(d, why, err);
}

/* Opens a new engine from the files, tries its policy on the last cycle's people, and swaps it
 * in; on any failure the running one stays. */
static void reload(daemon_ctx *d, const char *why)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_info("%s: opening %s anew", why, d->opts->config_path);
    hrs_engine *ne = hrs_engine_open(d->opts->config_path, d->opts->overrides, &err);
    hrs_schedule ns;
    /* The new policy must also decide the people of the last cycle (as the state file recorded
     * them) before it replaces the running one: the validated hot reload of engine_policy.c. */
    if (!ne || hrs_daemon_schedule(hrs_engine_config(ne), &ns, &err) != 0 || hrs_engine_reload_policy(ne, &err) != 0) {
        reload_failed(d, why, &err);
        hrs_engine_close(ne);
        return;
    }
    const char *old_state = hrs_engine_config(d->engine)->state_path, *new_state = hrs_engine_config(ne)->state_path;
    int moved = strcmp(old_state, new_state) != 0;
    if (hrs_store_lease_acquire(hrs_engine_store(ne), d->holder, d->lease_ttl, &err) != 0) {
        reload_failed(d, why, &err);
        hrs_engine_close(ne);
        return;
    }
    if (moved) hrs_store_lease_release(hrs_engine_store(d->engine), d->holder, NULL);
    if (strcmp(ns.listen, d->sched.listen) != 0)
        hrs_warn("http.listen is now '%s': the status server moves when hrsync run restarts", ns.listen);
    snprintf(ns.listen, sizeof ns.listen, "%s", d->sched.listen);
    char *path = strdup(new_state);
    pthread_mutex_lock(&d->mu);
    hrs_engine *old = d->engine;
    d->engine = ne;
    if (path) { free(d->state_path); d->state_path = path; }
    pthread_mutex_unlock(&d->mu);
    hrs_engine_close(old);
    d->sched = ns;
    d->lease_renewed = mono();
    put_policy(d);
    put_daemon(d, "sleeping");
    put_reload(d, why, NULL);
    hrs_info("reloaded: policy %s, state file %s, date %s", hrs_engine_config(ne)->policy_path, new_state,
             hrs_engine_config(ne)->today);
}

/* ---- the status server ------------------------------------------------------------------- */

static unsigned render(void *ud, const char *path, char **body, const char **type)
{
    daemon_ctx *d = ud;
    if (strcmp(path, "/healthz") == 0) {
        pthread_mutex_lock(&d->mu);
        int failed = d->metrics.last_cycle_failed;
        pthread_mutex_unlock(&d->mu);
        *body = strdup(failed ? "the last cycle failed\n" : "ok\n");
        return failed ? 503 : 200;
    }
    if (strcmp(path, "/metrics") == 0) {
        pthread_mutex_lock(&d->mu);
        *body = hrs_daemon_metrics_text(&d->metrics);
        pthread_mutex_unlock(&d->mu);
        *type = "text/plain; version=0.0.4; charset=utf-8";
        return 200;
    }
    if (strcmp(path, "/status") == 0) {
        pthread_mutex_lock(&d->mu);
        char *state = strdup(d->state_path);
        pthread_mutex_unlock(&d->mu);
        json_t *st = NULL;
        hrs_err err;
        hrs_err_clear(&err);
        int rc = state ? hrs_status_collect_path(state, 10, &st, &err) : hrs_err_set(&err, "out of memory");
        free(state);
        json_t *doc = rc == 0 ? st : json_pack("{s:s}", "error", err.msg);
        *body = json_dumps(doc, JSON_INDENT(2));
        json_decref(doc);
        *type = "application/json";
        return rc == 0 ? 200 : 500;
    }
    *body = strdup("not found; this server answers /healthz, /metrics and /status\n");
    return 404;
}

/* ---- the loop ---------------------------------------------------------------------------- */

/* Waits until deadline (monotonic) or a signal; the signals are only unblocked inside pselect, so
 * none is lost between the check of the flags and the wait. */
static void wait_until(daemon_ctx *d, double deadline, const sigset_t *open)
{
    while (!sig_stop && !sig_reload) {
        double now = mono(), slice = deadline - now;
        if (slice <= 0) break;
        double renew = (double)d->lease_ttl / 3 - (now - d->lease_renewed);
        if (renew < slice) slice = renew > 0.05 ? renew : 0.05;
        struct timespec ts = { (time_t)slice, (long)((slice - floor(slice)) * 1e9) };
        if (pselect(0, NULL, NULL, NULL, &ts, open) < 0 && errno != EINTR) break;
        maybe_renew(d);
    }
}

static int start(daemon_ctx *d, hrs_err *err)
{
    d->engine = hrs_engine_open(d->opts->config_path, d->opts->overrides, err);
    if (!d->engine) return -1;
    if (hrs_daemon_schedule(hrs_engine_config(d->engine), &d->sched, err) != 0) return -1;
    double span = d->sched.interval_s * (1 + d->sched.jitter) * 3;
    d->lease_ttl = span > LEASE_MIN_TTL ? (long)ceil(span) : LEASE_MIN_TTL;
    if (hrs_store_lease_acquire(hrs_engine_store(d->engine), d->holder, d->lease_ttl, err) != 0) return -1;
    d->leased = 1;
    d->lease_renewed = mono();
    d->state_path = strdup(hrs_engine_config(d->engine)->state_path);
    if (!d->state_path) return hrs_err_set(err, "out of memory");
    if (d->sched.listen[0]) {
        d->http = hrs_daemon_http_start(d->sched.listen, render, d, err);
        if (!d->http) return -1;
        d->http_port = hrs_daemon_http_port(d->http);
        char *colon = strrchr(d->sched.listen, ':');
        if (colon && strncmp(d->sched.listen, "127.", 4) != 0 && strncmp(d->sched.listen, "[::1]", 5) != 0 &&
            strncmp(d->sched.listen, "localhost", 9) != 0)
            hrs_warn("the status server listens on %s, beyond this host; it has no authentication", d->sched.listen);
        hrs_info("status server listening on http://%.*s:%u (/healthz, /metrics, /status)",
                 colon ? (int)(colon - d->sched.listen) : 0, d->sched.listen, d->http_port);
    }
    const hrs_config *c = hrs_engine_config(d->engine);
    hrs_info("hrsync run: pid %ld, state file %s, policy %s, a cycle every %g s (jitter %g), a full reconcile every %d",
             (long)getpid(), c->state_path, c->policy_path, d->sched.interval_s, d->sched.jitter, d->sched.full_every);
    put_policy(d);
    put_daemon(d, "starting");
    return 0;
}

int hrs_daemon_run(const hrs_daemon_opts *o, hrs_err *err)
{
    daemon_ctx d;
    memset(&d, 0, sizeof d);
    d.opts = o;
    pthread_mutex_init(&d.mu, NULL);
    if (gethostname(d.host, sizeof d.host) != 0) snprintf(d.host, sizeof d.host, "unknown");
    d.host[sizeof d.host - 1] = '\0';
    utc_at(wall(), d.started_at);
    snprintf(d.holder, sizeof d.holder, "hrsync run pid %ld on %s since %s", (long)getpid(), d.host, d.started_at);
    d.seed = (unsigned)getpid() ^ (unsigned)time(NULL);

    /* The signals stay blocked except inside a cycle and inside pselect; threads started from here
     * on (the status server's) inherit the block, so the handlers run on this thread. */
    sigset_t block, old, open;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &block, &old);
    open = old;
    sigdelset(&open, SIGTERM);
    sigdelset(&open, SIGINT);
    sigdelset(&open, SIGHUP);
    struct sigaction sa_stop, sa_hup, prev_term, prev_int, prev_hup;
    memset(&sa_stop, 0, sizeof sa_stop);
    memset(&sa_hup, 0, sizeof sa_hup);
    sa_stop.sa_handler = on_stop;
    sa_hup.sa_handler = on_hup;
    sigemptyset(&sa_stop.sa_mask);
    sigemptyset(&sa_hup.sa_mask);
    sigaction(SIGTERM, &sa_stop, &prev_term);
    sigaction(SIGINT, &sa_stop, &prev_int);
    sigaction(SIGHUP, &sa_hup, &prev_hup);
    sig_stop = sig_reload = 0;

    int rc = start(&d, err);
    while (rc == 0) {
        if (!date_pinned(&d)) {
            char today[11];
            time_t t = time(NULL);
            struct tm tm;
            localtime_r(&t, &tm);
            strftime(today, sizeof today, "%Y-%m-%d", &tm);
            if (strcmp(today, hrs_engine_config(d.engine)->today) != 0) reload(&d, "a new day");
        }
        pthread_sigmask(SIG_SETMASK, &open, NULL); /* a signal pending since start-up runs its handler here */
        if (!sig_stop) run_cycle(&d);
        pthread_sigmask(SIG_BLOCK, &block, NULL);
        if (sig_stop || (o->max_cycles && d.cycle >= o->max_cycles)) break;
        double w = hrs_daemon_next_wait(&d.sched, &d.seed), deadline = mono() + w;
        char next[32];
        utc_at(wall() + w, next);
        put_status(&d, "next_run", json_string(next));
        put_daemon(&d, "sleeping");
        hrs_info("next cycle at %s (in %.1f s)", next, w);
        for (;;) {
            wait_until(&d, deadline, &open);
            if (sig_reload && !sig_stop) {
                sig_reload = 0;
                reload(&d, "SIGHUP");
                continue;
            }
            break;
        }
        if (sig_stop) break;
    }
    if (d.engine && d.leased) {
        if (rc == 0 && !d.lease_lost.set) hrs_info("stopping: releasing the lease on %s", hrs_engine_config(d.engine)->state_path);
        if (!d.lease_lost.set) {
            put_daemon(&d, "stopped");
            put_status(&d, "next_run", json_null());
        }
        hrs_err e2;
        hrs_err_clear(&e2);
        if (hrs_store_lease_release(hrs_engine_store(d.engine), d.holder, &e2) != 0) hrs_warn("%s", e2.msg);
    }
    if (rc == 0 && d.lease_lost.set) {
        *err = d.lease_lost;
        rc = -1;
    }
    hrs_daemon_http_stop(d.http);
    hrs_engine_close(d.engine);
    free(d.state_path);
    pthread_mutex_destroy(&d.mu);
    sigaction(SIGTERM, &prev_term, NULL);
    sigaction(SIGINT, &prev_int, NULL);
    sigaction(SIGHUP, &prev_hup, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}
