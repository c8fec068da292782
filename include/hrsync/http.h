/* http.h: a small HTTP client over libcurl, shared by the Graph, OAuth and HR connectors.
 *
 * One hrs_http holds one curl easy handle (connections are reused). Transport failures
 * (unreachable host, TLS, timeout) return -1 with the URL and curl's reason; any HTTP answer,
 * whatever its status, is returned as a response for the caller to interpret. */
#ifndef HRSYNC_HTTP_H
#define HRSYNC_HTTP_H

#include <stddef.h>
#include "hrsync/err.h"

typedef struct hrs_http hrs_http;

typedef struct hrs_http_response {
    long status;            /* HTTP status */
    char *body;             /* NUL-terminated body (owned; may be empty, never NULL after success) */
    size_t len;
    double retry_after;     /* Retry-After in seconds (decimal or HTTP-date), -1 when absent */
    char request_id[80];    /* request-id header, or "" */
    char authorization[512];/* Authorization response header value (Personio rotates tokens), or "" */
} hrs_http_response;

/* Creates a client. timeout_s bounds each request (0 = 60 s). Returns NULL on failure. */
hrs_http *hrs_http_new(long timeout_s, hrs_err *err);
void hrs_http_free(hrs_http *h);

/* Sends one request. headers is a NULL-terminated list of "Name: value" lines (may be NULL);
 * body may be NULL. On success fills resp (free it with hrs_http_response_clear) and returns 0. */
int hrs_http_request(hrs_http *h, const char *method, const char *url, const char *const *headers,
                     const char *body, size_t body_len, hrs_http_response *resp, hrs_err *err);

void hrs_http_response_clear(hrs_http_response *r);

/* ---- several requests at once ----
 * A pool of n connections (curl multi in the caller's thread: no threads, no locks) sends up to
 * n requests at the same time and returns when every one is answered. */
typedef struct hrs_http_pool hrs_http_pool;

/* One request of hrs_http_pool_perform. The caller fills the request part; the answer is in
 * resp when rc == 0 (free it with hrs_http_response_clear), else err says why it failed. */
typedef struct hrs_http_xfer {
    const char *method;
    const char *url;
    const char *const *headers;   /* NULL-terminated, may be NULL */
    const char *body;             /* may be NULL */
    size_t body_len;
    hrs_http_response resp;
    int rc;
    hrs_err err;
} hrs_http_xfer;

/* Creates a pool of n connections; timeout_s bounds each request (0 = 60 s). Caller owns it. */
hrs_http_pool *hrs_http_pool_new(size_t n, long timeout_s, hrs_err *err);
void hrs_http_pool_free(hrs_http_pool *p);
size_t hrs_http_pool_size(const hrs_http_pool *p);

/* Sends x[0..n) (n <= the pool's size) concurrently. Returns 0 when every transfer has its
 * outcome in x[i].rc, or -1 (err) when the transfers could not be run at all. */
int hrs_http_pool_perform(hrs_http_pool *p, hrs_http_xfer *x, size_t n, hrs_err *err);

/* Parses a Retry-After value: decimal seconds ("2.128") or an HTTP-date relative to now_epoch.
 * Returns seconds (>= 0), or -1 when unparseable. */
double hrs_http_parse_retry_after(const char *value, double now_epoch);

/* URL-encodes s into a newly allocated string (caller frees), or NULL on allocation failure. */
char *hrs_http_escape(const char *s);

#endif
