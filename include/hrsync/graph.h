/* graph.h: the Microsoft Graph directory connector (Entra ID users and groups).
 *
 * All requests carry a client-credentials token (oauth.h). 429 and 5xx answers are retried,
 * honouring Retry-After (decimal seconds) or with jittered exponential backoff; a 401 renews the
 * token once. Errors carry the HTTP status, Graph's error.code, error.message and request-id. */
#ifndef HRSYNC_GRAPH_H
#define HRSYNC_GRAPH_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_graph hrs_graph;

typedef struct hrs_graph_opts {
    const char *graph_url;      /* e.g. https://graph.microsoft.com/v1.0 */
    const char *login_url;      /* e.g. https://login.microsoftonline.com */
    const char *tenant;
    const char *client_id;
    const char *client_secret;
    const char *scope;          /* NULL = https://graph.microsoft.com/.default */
    int max_retries;            /* per request; 0 = 6 */
    long timeout_s;             /* per request; 0 = 60 */
} hrs_graph_opts;

/* Counters of what the client sent, for the result summary and benchmarks. */
typedef struct hrs_graph_stats {
    long requests;      /* HTTP requests sent to Graph (a $batch counts once) */
    long writes;        /* POST/PATCH/PUT/DELETE operations, inside batches included */
    long throttled;     /* 429 answers met, inside batches included */
    long retries;
} hrs_graph_stats;

hrs_graph *hrs_graph_new(const hrs_graph_opts *o, hrs_err *err);
void hrs_graph_free(hrs_graph *g);
const hrs_graph_stats *hrs_graph_stats_get(const hrs_graph *g);

/* Sends one request. path is relative to graph_url ("/users?…") or an absolute URL (nextLink).
 * body may be NULL. On 2xx returns 0 with the parsed body in *out (NULL for 204; caller owns).
 * Otherwise returns -1, err->http_status and err->code set from the Graph error envelope. */
int hrs_graph_call(hrs_graph *g, const char *method, const char *path, const json_t *body,
                   json_t **out, hrs_err *err);

/* GETs a collection and follows @odata.nextLink to the end; *items receives all "value"
 * elements (caller owns). */
int hrs_graph_get_all(hrs_graph *g, const char *path, json_t **items, hrs_err *err);

/* One request inside a $batch. The caller fills the request part; hrs_graph_batch fills the
 * result part. */
typedef struct hrs_graph_req {
    char id[16];
    const char *method;          /* "POST", "PATCH", … (static string) */
    char *url;                   /* relative: "/users/…" (owned by the caller) */
    json_t *body;                /* borrowed, may be NULL */
    const char *depends_on;      /* id of another request in the same batch, or NULL */
    /* result */
    long status;                 /* HTTP status of this request */
    json_t *response;            /* body of the answer (owned by the req; may be NULL) */
    char code[96];               /* Graph error.code when status >= 400 */
    char message[512];           /* Graph error.message when status >= 400 */
    char request_id[80];
} hrs_graph_req;

/* Sends up to 20 requests as one JSON batch, retrying throttled (429) and 5xx requests in new
 * batches after their Retry-After. Returns -1 only if the batch as a whole failed; each
 * request's own outcome is in its status. */
int hrs_graph_batch(hrs_graph *g, hrs_graph_req *reqs, size_t n, hrs_err *err);

/* Frees the result part of a request (response). */
void hrs_graph_req_clear(hrs_graph_req *r);

/* Fills err from a Graph error envelope: "HTTP 400 Request_BadRequest: <message> (request-id …)". */
int hrs_graph_error(const char *what, long status, const char *body, const char *request_id, hrs_err *err);

#endif
