/* graph.c: Microsoft Graph client for Entra ID users and groups (see include/hrsync/graph.h). */
#include "hrsync/graph.h"
#include "hrsync/http.h"
#include "hrsync/log.h"
#include "hrsync/oauth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GRAPH_BATCH_MAX 20

struct hrs_graph {
    char *base;              /* graph_url without a trailing slash */
    hrs_http *http;
    hrs_oauth *oauth;
    int max_retries;
    unsigned rng;            /* for backoff jitter */
    hrs_graph_stats stats;
};

static void sleep_s(double s)
{
    if (s <= 0) return;
    if (s > 120) s = 120;
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) != 0) { }
}

/* Exponential backoff with full jitter: a random delay in [0.5, 1] × 0.5 s × 2^attempt. */
static double backoff_s(hrs_graph *g, int attempt)
{
    g->rng = g->rng * 1103515245u + 12345u;
    double base = 0.5 * (double)(1u << (attempt > 6 ? 6 : attempt));
    return base * (0.5 + 0.5 * ((g->rng >> 8) & 0xffff) / 65535.0);
}

hrs_graph *hrs_graph_new(const hrs_graph_opts *o, hrs_err *err)
{
    hrs_graph *g = calloc(1, sizeof *g);
    if (!g) { hrs_err_set(err, "out of memory"); return NULL; }
    g->base = strdup(o->graph_url);
    if (!g->base) { free(g); hrs_err_set(err, "out of memory"); return NULL; }
    size_t bl = strlen(g->base);
    while (bl && g->base[bl - 1] == '/') g->base[--bl] = '\0';
    g->max_retries = o->max_retries > 0 ? o->max_retries : 6;
    g->rng = (unsigned)time(NULL) ^ (unsigned)(size_t)g;
    g->http = hrs_http_new(o->timeout_s, err);
    hrs_oauth_opts ao = { o->login_url, o->tenant, o->client_id, o->client_secret,
                          o->scope ? o->scope : "https://graph.microsoft.com/.default" };
    if (g->http) g->oauth = hrs_oauth_new(&ao, err);
    if (!g->http || !g->oauth) { hrs_graph_free(g); return NULL; }
    return g;
}

void hrs_graph_free(hrs_graph *g)
{
    if (!g) return;
    hrs_oauth_free(g->oauth);
    hrs_http_free(g->http);
    free(g->base);
    free(g);
}

const hrs_graph_stats *hrs_graph_stats_get(const hrs_graph *g) { return &g->stats; }

int hrs_graph_error(const char *what, long status, const char *body, const char *request_id, hrs_err *err)
{
    json_t *j = json_loads(body ? body : "", 0, NULL);
    json_t *e = j ? json_object_get(j, "error") : NULL;
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    json_t *inner = json_object_get(e, "innerError");
    if (!inner) inner = json_object_get(e, "innererror");
    const char *rid = json_string_value(json_object_get(inner, "request-id"));
    if (!rid || !*rid) rid = request_id;
    hrs_err_set(err, "%s: HTTP %ld %s: %s%s%s%s", what, status, code ? code : "(no error code)",
                msg ? msg : "(no message)", rid && *rid ? " (request-id " : "", rid && *rid ? rid : "",
                rid && *rid ? ")" : "");
    if (err) {
        err->http_status = (int)status;
        snprintf(err->code, sizeof err->code, "%s", code ? code : "");
    }
    json_decref(j);
    return -1;
}

static int is_write(const char *method) { return strcmp(method, "GET") != 0; }

static char *full_url(hrs_graph *g, const char *path)
{
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) return strdup(path);
    size_t n = strlen(g->base) + strlen(path) + 2;
    char *u = malloc(n);
    if (u) snprintf(u, n, "%s%s%s", g->base, path[0] == '/' ? "" : "/", path);
    return u;
}

/* Sends one HTTP request with the token, retrying 401 (once, with a new token), 429 and 5xx. */
static int send_with_retries(hrs_graph *g, const char *method, const char *url, const char *body,
                             const char *const *extra, hrs_http_response *r, hrs_err *err)
{
    int renewed = 0;
    for (int attempt = 0;; attempt++) {
        const char *token;
        if (hrs_oauth_token(g->oauth, g->http, &token, err) != 0) return -1;
        char auth[4200];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        const char *hdr[8] = { auth, "Accept: application/json", "Content-Type: application/json" };
        size_t nh = 3;
        for (size_t i = 0; extra && extra[i] && nh < 7; i++) hdr[nh++] = extra[i];
        hdr[nh] = NULL;
        g->stats.requests++;
        int rc = hrs_http_request(g->http, method, url, hdr, body, body ? strlen(body) : 0, r, err);
        memset(auth, 0, sizeof auth);
        if (rc != 0) {
            if (attempt >= g->max_retries) return -1;
            g->stats.retries++;
            hrs_warn("%s; retrying", err->msg);
            sleep_s(backoff_s(g, attempt));
            continue;
        }
        if (r->status == 401 && !renewed) {
            renewed = 1;
            hrs_oauth_invalidate(g->oauth);
            hrs_http_response_clear(r);
            continue;
        }
        int retry = r->status == 429 || r->status == 503 || r->status == 502 || r->status == 504 || r->status == 500;
        if (r->status == 429) g->stats.throttled++;
        if (!retry || attempt >= g->max_retries) return 0;
        double wait = r->retry_after >= 0 ? r->retry_after : backoff_s(g, attempt);
        hrs_debug("Graph %s answered %ld; retrying in %.3f s", method, r->status, wait);
        g->stats.retries++;
        hrs_http_response_clear(r);
        sleep_s(wait);
    }
}

int hrs_graph_call(hrs_graph *g, const char *method, const char *path, const json_t *body,
                   json_t **out, hrs_err *err)
{
    *out = NULL;
    char *url = full_url(g, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!url || (body && !text)) { free(url); free(text); return hrs_err_set(err, "out of memory"); }
    if (is_write(method)) g->stats.writes++;
    const char *extra[] = { strstr(path, "$count=true") ? "ConsistencyLevel: eventual" : NULL, NULL };
    hrs_http_response r;
    int rc = send_with_retries(g, method, url, text, extra[0] ? extra : NULL, &r, err);
    free(text);
    if (rc != 0) { free(url); return -1; }
    char what[600];
    size_t pl = strcspn(path, "?");
    snprintf(what, sizeof what, "Graph %s %.*s", method, (int)(pl > 400 ? 400 : pl), path);
    free(url);
    if (r.status < 200 || r.status >= 300) {
        hrs_graph_error(what, r.status, r.body, r.request_id, err);
        hrs_http_response_clear(&r);
        return -1;
    }
    if (r.len > 0) {
        json_error_t je;
        *out = json_loads(r.body, 0, &je);
        if (!*out) {
            hrs_err_set(err, "%s: HTTP %ld with a body that is not JSON: %s", what, r.status, je.text);
            hrs_http_response_clear(&r);
            return -1;
        }
    }
    hrs_http_response_clear(&r);
    return 0;
}

int hrs_graph_get_all(hrs_graph *g, const char *path, json_t **items, hrs_err *err)
{
    json_t *all = json_array();
    char *next = strdup(path);
    if (!all || !next) { json_decref(all); free(next); return hrs_err_set(err, "out of memory"); }
    while (next) {
        json_t *page;
        if (hrs_graph_call(g, "GET", next, NULL, &page, err) != 0) { free(next); json_decref(all); return -1; }
        free(next);
        next = NULL;
        json_t *v = json_object_get(page, "value");
        if (!json_is_array(v)) {
            json_decref(page);
            json_decref(all);
            return hrs_err_set(err, "Graph GET %s: answer has no \"value\" array", path);
        }
        json_array_extend(all, v);
        const char *nl = json_string_value(json_object_get(page, "@odata.nextLink"));
        if (nl) next = strdup(nl);
        json_decref(page);
    }
    *items = all;
    return 0;
}

void hrs_graph_req_clear(hrs_graph_req *r)
{
    json_decref(r->response);
    r->response = NULL;
}

static void req_set_result(hrs_graph_req *q, json_t *resp)
{
    q->status = (long)json_integer_value(json_object_get(resp, "status"));
    hrs_graph_req_clear(q);
    q->response = json_incref(json_object_get(resp, "body"));
    q->code[0] = q->message[0] = '\0';
    json_t *h = json_object_get(resp, "headers");
    const char *rid = json_string_value(json_object_get(h, "request-id"));
    snprintf(q->request_id, sizeof q->request_id, "%s", rid ? rid : "");
    if (q->status >= 400) {
        json_t *e = json_object_get(q->response, "error");
        const char *c = json_string_value(json_object_get(e, "code"));
        const char *m = json_string_value(json_object_get(e, "message"));
        snprintf(q->code, sizeof q->code, "%s", c ? c : "");
        snprintf(q->message, sizeof q->message, "%s", m ? m : "");
        json_t *inner = json_object_get(e, "innerError");
        const char *irid = json_string_value(json_object_get(inner, "request-id"));
        if (!q->request_id[0] && irid) snprintf(q->request_id, sizeof q->request_id, "%s", irid);
    }
}

static double retry_after_of(json_t *resp)
{
    json_t *h = json_object_get(resp, "headers");
    const char *ra = NULL;
    const char *k;
    json_t *v;
    json_object_foreach(h, k, v) {
        if (strcasecmp(k, "retry-after") == 0) ra = json_string_value(v);
    }
    return ra ? hrs_http_parse_retry_after(ra, (double)time(NULL)) : -1;
}

/* Sends the requests whose index is in idx[0..n) as one batch; fills their results. */
static int batch_once(hrs_graph *g, hrs_graph_req *reqs, const size_t *idx, size_t n, double *max_wait,
                      size_t *again, size_t *nagain, hrs_err *err)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++) {
        hrs_graph_req *q = &reqs[idx[i]];
        json_t *o = json_pack("{s:s, s:s, s:s}", "id", q->id, "method", q->method, "url", q->url);
        if (q->body) {
            json_object_set(o, "body", q->body);
            json_object_set_new(o, "headers", json_pack("{s:s}", "Content-Type", "application/json"));
        }
        if (q->depends_on) {
            int present = 0;
            for (size_t k = 0; k < n; k++) present |= strcmp(reqs[idx[k]].id, q->depends_on) == 0;
            if (present) json_object_set_new(o, "dependsOn", json_pack("[s]", q->depends_on));
        }
        json_array_append_new(arr, o);
        if (is_write(q->method)) g->stats.writes++;
    }
    json_t *body = json_pack("{s:o}", "requests", arr);
    json_t *out = NULL;
    int rc = hrs_graph_call(g, "POST", "/$batch", body, &out, err);
    json_decref(body);
    if (rc != 0) return -1;
    json_t *responses = json_object_get(out, "responses");
    size_t i;
    json_t *resp;
    *nagain = 0;
    json_array_foreach(responses, i, resp) {
        const char *id = json_string_value(json_object_get(resp, "id"));
        for (size_t k = 0; id && k < n; k++) {
            hrs_graph_req *q = &reqs[idx[k]];
            if (strcasecmp(q->id, id) != 0) continue;
            req_set_result(q, resp);
            if (q->status == 429 || q->status >= 500 || q->status == 424) {
                if (q->status == 429) g->stats.throttled++;
                double w = retry_after_of(resp);
                if (w > *max_wait) *max_wait = w;
                again[(*nagain)++] = idx[k];
            }
        }
    }
    json_decref(out);
    return 0;
}

int hrs_graph_batch(hrs_graph *g, hrs_graph_req *reqs, size_t n, hrs_err *err)
{
    if (n == 0) return 0;
    if (n > GRAPH_BATCH_MAX) return hrs_err_set(err, "internal: batch of %zu requests (at most %d)", n, GRAPH_BATCH_MAX);
    size_t idx[GRAPH_BATCH_MAX], again[GRAPH_BATCH_MAX], nidx = n, nagain = 0;
    for (size_t i = 0; i < n; i++) { idx[i] = i; reqs[i].status = 0; }
    for (int attempt = 0;; attempt++) {
        double wait = -1;
        if (batch_once(g, reqs, idx, nidx, &wait, again, &nagain, err) != 0) return -1;
        /* A 424 only means its dependency failed: retry it only if the dependency is retried. */
        size_t keep = 0;
        int any_real = 0;
        for (size_t i = 0; i < nagain; i++) if (reqs[again[i]].status != 424) any_real = 1;
        for (size_t i = 0; i < nagain && any_real; i++) again[keep++] = again[i];
        if (keep == 0 || attempt >= g->max_retries) return 0;
        g->stats.retries++;
        hrs_debug("Graph $batch: %zu request(s) to retry after %.3f s", keep, wait);
        sleep_s(wait >= 0 ? wait : backoff_s(g, attempt));
        memcpy(idx, again, keep * sizeof *idx);
        nidx = keep;
    }
}
