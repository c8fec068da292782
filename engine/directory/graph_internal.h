/* graph_internal.h: what the files of the Graph connector share (graph.c: the client, single
 * requests, errors; graph_send.c: $batch sending; graph_users.c: user reads and delta;
 * graph_config.c: the connector from a configuration). Not a public header: see
 * include/hrsync/graph.h. */
#ifndef HRSYNC_GRAPH_INTERNAL_H
#define HRSYNC_GRAPH_INTERNAL_H

#include "hrsync/budget.h"
#include "hrsync/graph.h"
#include "hrsync/http.h"
#include "hrsync/oauth.h"

#define GRAPH_BATCH_MAX 20          /* requests per $batch (graph.md §4) */
#define GRAPH_BIND_MAX 20           /* members@odata.bind per request (graph.md §3) */
#define GRAPH_DEFAULT_BUDGET 3000.0 /* writes per window per app and tenant (graph.md §5) */
#define GRAPH_DEFAULT_WINDOW 150.0
#define GRAPH_BUDGET_MARGIN 1.02    /* the budget's window is this much longer than Graph's */
#define GRAPH_DEFAULT_CONCURRENCY 4
#define GRAPH_MAX_CONCURRENCY 16

struct hrs_graph {
    char *base;              /* graph_url without a trailing slash */
    hrs_http *http;          /* single requests and the token endpoint */
    hrs_http_pool *pool;     /* the $batch requests in flight */
    hrs_oauth *oauth;
    int max_retries;
    int concurrency;
    int delta;               /* hrs_graph_read_users reads through /users/delta */
    unsigned rng;            /* for backoff jitter */
    hrs_budget budget;
    hrs_graph_stats stats;
    json_t *fresh;           /* id -> monotonic time of the accounts this client created lately */
    json_t *pending_delta;   /* {select, link, items}: a delta round hrs_graph_users_unchanged read
                                and the next hrs_graph_users_delta stores (owned; NULL: none) */
};

#define GRAPH_FRESH_S 600.0        /* an account created this recently may answer 404 (graph.md §7) */

/* Remembers that this client created the account id just now. */
void hrs_graph_fresh_add(hrs_graph *g, const char *id);
/* 1 when this client created the account id in the last GRAPH_FRESH_S seconds. */
int hrs_graph_fresh_has(hrs_graph *g, const char *id);

/* Monotonic clock in seconds. */
double hrs_graph_mono(void);
/* Sleeps s seconds (at most 120 at a time). */
void hrs_graph_sleep(double s);
/* Exponential backoff with jitter for the attempt'th retry: [0.5, 1] × 0.5 s × 2^attempt. */
double hrs_graph_backoff(hrs_graph *g, int attempt);
/* Waits until the write budget allows n writes, then takes them. */
void hrs_graph_budget_take(hrs_graph *g, double n);
/* The absolute URL of path (relative to graph_url, or already absolute). malloc'ed or NULL. */
char *hrs_graph_url(const hrs_graph *g, const char *path);
/* 1 for POST, PATCH, PUT, DELETE. */
int hrs_graph_is_write(const char *method);
/* Appends the permission hint of a 403 Authorization_RequestDenied to msg (size n). */
void hrs_graph_permission_hint(char *msg, size_t n, long status, const char *code, const char *method,
                               const char *url, const json_t *body);
/* hrs_graph_call with extra headers (NULL-terminated, may be NULL) and the answer's request-id
 * (rid, size n; "" when none). */
int hrs_graph_call_ex(hrs_graph *g, const char *method, const char *path, const json_t *body,
                      const char *const *headers, json_t **out, char *rid, size_t n, hrs_err *err);

#endif
