/* graph.c: the Microsoft Graph client for Entra ID users and groups (see include/hrsync/graph.h):
 * the client itself, single requests with their retries, paging, the error envelope and the
 * permission a refused operation needs. $batch sending is in graph_send.c, user reads and delta
 * queries in graph_users.c. */
#include "graph_internal.h"
#include "hrsync/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

double hrs_graph_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hrs_graph_sleep(double s)
{
    if (s <= 0) return;
    if (s > 120) s = 120;
    struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
    while (nanosleep(&ts, &ts) != 0) { }
}

double hrs_graph_backoff(hrs_graph *g, int attempt)
{
    g->rng = g->rng * 1103515245u + 12345u;
    double base = 0.5 * (double)(1u << (attempt > 6 ? 6 : attempt < 0 ? 0 : attempt));
    return base * (0.5 + 0.5 * ((g->rng >> 8) & 0xffff) / 65535.0);
}

void hrs_graph_fresh_add(hrs_graph *g, const char *id)
{
    if (!id || !g->fresh) return;
    double now = hrs_graph_mono();
    const char *k;
    json_t *v, *tmp;
    if (json_object_size(g->fresh) % 1024 == 1023)   /* now and then, forget the old ones */
        json_object_foreach_safe(g->fresh, tmp, k, v)
            if (json_real_value(v) < now - GRAPH_FRESH_S) json_object_del(g->fresh, k);
    json_object_set_new(g->fresh, id, json_real(now));
}

int hrs_graph_fresh_has(hrs_graph *g, const char *id)
{
    json_t *v = g->fresh && id ? json_object_get(g->fresh, id) : NULL;
    return v && json_real_value(v) >= hrs_graph_mono() - GRAPH_FRESH_S;
}

void hrs_graph_budget_take(hrs_graph *g, double n)
{
    if (n <= 0) return;
    double wait = hrs_budget_wait(&g->budget, n, hrs_graph_mono());
    if (wait > 0) {
        hrs_debug("write budget: waiting %.3f s for %.0f write%s", wait, n, n == 1 ? "" : "s");
        g->stats.budget_wait_s += wait;
        hrs_graph_sleep(wait);
    }
    hrs_budget_take(&g->budget, n, hrs_graph_mono());
}

int hrs_graph_is_write(const char *method)
{
    return strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0 ||
           strcmp(method, "DELETE") == 0;
}

hrs_graph *hrs_graph_new(const hrs_graph_opts *o, hrs_err *err)
{
    return hrs_graph_new_ext(o, NULL, err);
}

hrs_graph *hrs_graph_new_ext(const hrs_graph_opts *o, const hrs_graph_ext *ext, hrs_err *err)
{
    static const hrs_graph_ext none = { 0 };
    if (!ext) ext = &none;
    hrs_graph *g = calloc(1, sizeof *g);
    if (!g) { hrs_err_set(err, "out of memory"); return NULL; }
    g->base = strdup(o->graph_url);
    if (!g->base) { free(g); hrs_err_set(err, "out of memory"); return NULL; }
    size_t bl = strlen(g->base);
    while (bl && g->base[bl - 1] == '/') g->base[--bl] = '\0';
    g->max_retries = o->max_retries > 0 ? o->max_retries : 6;
    g->concurrency = ext->concurrency > 0 ? ext->concurrency : GRAPH_DEFAULT_CONCURRENCY;
    if (g->concurrency > GRAPH_MAX_CONCURRENCY) g->concurrency = GRAPH_MAX_CONCURRENCY;
    g->delta = ext->delta;
    g->fresh = json_object();
    g->rng = (unsigned)time(NULL) ^ (unsigned)(size_t)g;
    double writes = ext->write_budget == 0 ? GRAPH_DEFAULT_BUDGET : ext->write_budget;
    /* The window is stretched by 2%: the service counts a write when it arrives, the client
     * when it sends it, and the bucket should never meet Graph's at its very edge. */
    hrs_budget_init(&g->budget, writes,
                    (ext->write_window_s > 0 ? ext->write_window_s : GRAPH_DEFAULT_WINDOW) * GRAPH_BUDGET_MARGIN,
                    hrs_graph_mono());
    hrs_oauth_cert *cert = NULL;
    if (ext->client_certificate_file &&
        !(cert = hrs_oauth_cert_load(ext->client_certificate_file, ext->client_key_file, ext->client_assertion_alg, err))) {
        hrs_graph_free(g);
        return NULL;
    }
    g->http = hrs_http_new(o->timeout_s, err);
    g->pool = g->http ? hrs_http_pool_new((size_t)g->concurrency, o->timeout_s, err) : NULL;
    hrs_oauth_opts ao = { o->login_url, o->tenant, o->client_id, cert ? NULL : o->client_secret,
                          o->scope ? o->scope : "https://graph.microsoft.com/.default", cert };
    if (g->pool) g->oauth = hrs_oauth_new(&ao, err);
    else hrs_oauth_cert_free(cert);
    if (!g->http || !g->pool || !g->oauth || !g->fresh) {
        if (!g->fresh) hrs_err_set(err, "out of memory");
        hrs_graph_free(g);
        return NULL;
    }
    return g;
}

void hrs_graph_free(hrs_graph *g)
{
    if (!g) return;
    hrs_oauth_free(g->oauth);
    hrs_http_pool_free(g->pool);
    hrs_http_free(g->http);
    json_decref(g->fresh);
    json_decref(g->pending_delta);
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

/* ---- the permission an operation needs ----------------------------------------------------- */

/* The path of url below the Graph version ("/users/…"), without the query. */
static void path_of(const char *url, char *out, size_t n)
{
    const char *p = url;
    if (strncmp(p, "http://", 7) == 0 || strncmp(p, "https://", 8) == 0) {
        p = strchr(strchr(p, ':') + 3, '/');
        if (!p) p = "/";
        const char *v = strstr(p, "/v1.0/") ? strstr(p, "/v1.0/") : strstr(p, "/beta/");
        if (v) p = strchr(v + 1, '/');
    }
    size_t l = strcspn(p, "?");
    if (l >= n) l = n - 1;
    memcpy(out, p, l);
    out[l] = '\0';
}

const char *hrs_graph_permission_for(const char *method, const char *url, const json_t *body)
{
    char path[512];
    path_of(url ? url : "/", path, sizeof path);
    int groups = strncasecmp(path, "/groups", 7) == 0;
    if (!method || strcmp(method, "GET") == 0)
        return groups ? "GroupMember.Read.All" : "User.Read.All";
    if (groups) return "GroupMember.ReadWrite.All";
    size_t l = strlen(path);
    if (l >= 21 && strcasecmp(path + l - 21, "/revokeSignInSessions") == 0)
        return "User.RevokeSessions.All (or User.ReadWrite.All)";
    if (strstr(path, "/manager")) return "User.ReadWrite.All";
    if (json_object_get(body, "employeeLeaveDateTime"))
        return "User-LifeCycleInfo.ReadWrite.All (with User.Read.All)";
    if (strcmp(method, "PATCH") == 0 && json_object_size(body) == 1 && json_object_get(body, "accountEnabled"))
        return "User.ReadWrite.All (or User.EnableDisableAccount.All with User.Read.All)";
    return "User.ReadWrite.All";
}

void hrs_graph_permission_hint(char *msg, size_t n, long status, const char *code, const char *method,
                               const char *url, const json_t *body)
{
    if (status != 403 || !code || strcmp(code, "Authorization_RequestDenied") != 0) return;
    size_t l = strlen(msg);
    if (l + 1 >= n) return;
    snprintf(msg + l, n - l, "%sthe app registration needs the Microsoft Graph application permission %s, with admin "
             "consent", l ? " — " : "", hrs_graph_permission_for(method, url, body));
}

/* ---- single requests ------------------------------------------------------------------------ */

char *hrs_graph_url(const hrs_graph *g, const char *path)
{
    if (strncmp(path, "http://", 7) == 0 || strncmp(path, "https://", 8) == 0) return strdup(path);
    size_t n = strlen(g->base) + strlen(path) + 2;
    char *u = malloc(n);
    if (u) snprintf(u, n, "%s%s%s", g->base, path[0] == '/' ? "" : "/", path);
    return u;
}

/* Sends one HTTP request with the token, retrying 401 (once, with a new token), 429, 5xx and
 * transport failures. A write takes from the write budget before each attempt. */
static int send_with_retries(hrs_graph *g, const char *method, const char *url, const char *body,
                             const char *const *extra, hrs_http_response *r, hrs_err *err)
{
    int renewed = 0, write = hrs_graph_is_write(method);
    for (int attempt = 0;; attempt++) {
        const char *token;
        if (hrs_oauth_token(g->oauth, g->http, &token, err) != 0) return -1;
        char auth[4200];
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        const char *hdr[8] = { auth, "Accept: application/json", "Content-Type: application/json" };
        size_t nh = 3;
        for (size_t i = 0; extra && extra[i] && nh < 7; i++) hdr[nh++] = extra[i];
        hdr[nh] = NULL;
        if (write) hrs_graph_budget_take(g, 1);
        g->stats.requests++;
        int rc = hrs_http_request(g->http, method, url, hdr, body, body ? strlen(body) : 0, r, err);
        memset(auth, 0, sizeof auth);
        if (rc != 0) {
            if (attempt >= g->max_retries) return -1;
            g->stats.retries++;
            hrs_warn("%s; retrying", err->msg);
            hrs_graph_sleep(hrs_graph_backoff(g, attempt));
            continue;
        }
        if (r->status == 401 && !renewed) {
            renewed = 1;
            hrs_oauth_invalidate(g->oauth);
            hrs_http_response_clear(r);
            continue;
        }
        int retry = r->status == 429 || r->status == 503 || r->status == 502 || r->status == 504 || r->status == 500;
        if (r->status == 429) {
            g->stats.throttled++;
            hrs_budget_throttled(&g->budget, r->retry_after, hrs_graph_mono());
        }
        if (!retry || attempt >= g->max_retries * (r->status == 429 ? 5 : 1)) return 0;
        double wait = r->retry_after >= 0 ? r->retry_after : hrs_graph_backoff(g, attempt);
        hrs_debug("Graph %s answered %ld; retrying in %.3f s", method, r->status, wait);
        g->stats.retries++;
        hrs_http_response_clear(r);
        hrs_graph_sleep(wait);
    }
}

int hrs_graph_call_ex(hrs_graph *g, const char *method, const char *path, const json_t *body,
                      const char *const *headers, json_t **out, char *rid, size_t n, hrs_err *err)
{
    *out = NULL;
    if (rid && n) rid[0] = '\0';
    char *url = hrs_graph_url(g, path);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (!url || (body && !text)) { free(url); free(text); return hrs_err_set(err, "out of memory"); }
    if (hrs_graph_is_write(method)) g->stats.writes++;
    const char *extra[6];
    size_t ne = 0;
    if (strstr(path, "$count=true")) extra[ne++] = "ConsistencyLevel: eventual";
    for (size_t i = 0; headers && headers[i] && ne < 5; i++) extra[ne++] = headers[i];
    extra[ne] = NULL;
    hrs_http_response r;
    int rc = send_with_retries(g, method, url, text, ne ? extra : NULL, &r, err);
    free(text);
    if (rc != 0) { free(url); return -1; }
    char what[600];
    size_t pl = strcspn(path, "?");
    snprintf(what, sizeof what, "Graph %s %.*s", method, (int)(pl > 400 ? 400 : pl), path);
    if (rid && n) snprintf(rid, n, "%s", r.request_id);
    if (r.status < 200 || r.status >= 300) {
        hrs_graph_error(what, r.status, r.body, r.request_id, err);
        hrs_graph_permission_hint(err->msg, sizeof err->msg, r.status, err->code, method, url, body);
        free(url);
        hrs_http_response_clear(&r);
        return -1;
    }
    free(url);
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

int hrs_graph_call(hrs_graph *g, const char *method, const char *path, const json_t *body,
                   json_t **out, hrs_err *err)
{
    return hrs_graph_call_ex(g, method, path, body, NULL, out, NULL, 0, err);
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
