/* daemon.h: `hrsync run`: sync cycles on a schedule, one engine per state file, and a status
 * server for operators.
 *
 * The config's optional tables:
 *   schedule = { interval = 60, jitter = 0.1, full_every = 10 }
 *     interval    seconds between the end of a cycle and the start of the next (default 60)
 *     jitter      each wait is interval × (1 ± jitter), spread at random (0 … 0.5; default 0.1)
 *     full_every  every Nth cycle is a full reconcile, the others incremental (default 10)
 *   http = { listen = "127.0.0.1:9464" }   (port 0 = any free port; http = false: no server)
 *
 * Signals: SIGTERM/SIGINT finish the $batch in flight, release the lease and exit 0; SIGHUP
 * builds a new engine from the config and policy files and swaps it in only if that works (the
 * old one keeps running otherwise, and the error is logged with its file:line).
 *
 * The status server answers GET /healthz ("ok", or 503 when the last cycle failed), /metrics
 * (Prometheus text format) and /status (JSON, as `hrsync status --json`). */
#ifndef HRSYNC_DAEMON_H
#define HRSYNC_DAEMON_H

#include <jansson.h>
#include <stddef.h>
#include "hrsync/config.h"
#include "hrsync/err.h"

typedef struct hrs_daemon_opts {
    const char *config_path;
    const json_t *overrides;   /* as in hrs_engine_open (--now); may be NULL; borrowed */
    int max_cycles;            /* stop after this many cycles; 0 = until SIGTERM */
} hrs_daemon_opts;

/* Runs the daemon until SIGTERM/SIGINT (or max_cycles). Returns 0 after a clean stop, -1 with
 * err when it cannot start: the config, the policy, the state file's lease ("state file X is held
 * by pid N on host H until T"), the status server's address. */
int hrs_daemon_run(const hrs_daemon_opts *o, hrs_err *err);

/* ---- the schedule (engine/daemon.c) ---- */
typedef struct hrs_schedule {
    double interval_s;
    double jitter;             /* fraction of the interval */
    int full_every;
    char listen[128];          /* the status server's address, "" = none */
} hrs_schedule;

/* Reads schedule and http from the config (defaults as above). Returns -1 with err naming the
 * config's file:line for a value out of range or of the wrong type. */
int hrs_daemon_schedule(const hrs_config *c, hrs_schedule *out, hrs_err *err);

/* The wait before the next cycle: interval × (1 + jitter × u), u uniform in [-1, 1) drawn
 * from *seed (rand_r). */
double hrs_daemon_next_wait(const hrs_schedule *s, unsigned *seed);

/* ---- counters for /metrics (engine/daemon_metrics.c) ---- */
enum { HRS_CYCLE_OK, HRS_CYCLE_ERROR, HRS_CYCLE_FAILED_OPS, HRS_CYCLE_STOPPED, HRS_CYCLE_GUARDRAIL, HRS_CYCLE_RESULTS };
enum { HRS_OP_CREATE, HRS_OP_UPDATE, HRS_OP_LINK, HRS_OP_GROUP_ADD, HRS_OP_GROUP_REMOVE, HRS_OP_KINDS };
#define HRS_DURATION_BUCKETS 12

typedef struct hrs_daemon_metrics {
    long cycles[HRS_CYCLE_RESULTS];
    long cycles_unchanged;                     /* cycles whose plan was the memo's (settle.h) */
    long operations[HRS_OP_KINDS][2];          /* [kind][0 = ok, 1 = failed] */
    long graph_requests, graph_throttled;
    long source_records, quarantined;          /* of the last plan */
    long duration_buckets[HRS_DURATION_BUCKETS]; /* cumulative counts per upper bound */
    double duration_sum;
    long duration_count;
    double last_cycle_ts;                      /* UNIX time the last cycle ended, 0 = none yet */
    int last_cycle_failed;                     /* an error, or a guardrail stopped the plan */
} hrs_daemon_metrics;

/* "ok", "error", "failed-operations", "stopped" (SIGTERM between batches), "guardrail". */
const char *hrs_daemon_cycle_result_name(int result);

/* Adds one cycle: result (HRS_CYCLE_*), the plan (may be NULL when the cycle failed before it),
 * the apply result (may be NULL), the engine's Graph counters during the cycle, its duration. */
void hrs_daemon_metrics_add(hrs_daemon_metrics *m, int result, const json_t *plan, const json_t *applied,
                            long graph_requests, long graph_throttled, double seconds, double end_ts);

/* The metrics in the Prometheus text exposition format (version 0.0.4); caller frees. */
char *hrs_daemon_metrics_text(const hrs_daemon_metrics *m);

/* ---- the status server (engine/daemon_http.c) ---- */
typedef struct hrs_daemon_http hrs_daemon_http;

/* Answers one GET: fills *body (malloc'd, the server frees it) and *type, returns the HTTP status. */
typedef unsigned (*hrs_daemon_render)(void *ud, const char *path, char **body, const char **type);

/* Listens on listen ("127.0.0.1:9464", "[::1]:0", "localhost:0") in its own thread. */
hrs_daemon_http *hrs_daemon_http_start(const char *listen, hrs_daemon_render render, void *ud, hrs_err *err);

/* The port actually bound (for port 0). */
unsigned hrs_daemon_http_port(const hrs_daemon_http *h);

/* Stops the server; NULL is allowed. */
void hrs_daemon_http_stop(hrs_daemon_http *h);

#endif
