/* sim_server.c: the simulator's HTTP side on libmicrohttpd (one thread per connection):
 * start/stop, request body collection, dispatch to the token endpoint, to Graph below /v1.0
 * (5xx fault, bearer check, router, state saving, slow answers) and to the admin API below
 * /_sim/ (GET state, GET stats, POST fault), which needs no token. */
#include "sim_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <microhttpd.h>

#include "sim_http.h"

#define GRAPH_JSON "application/json;odata.metadata=minimal;odata.streaming=true;" \
                   "IEEE754Compatible=false;charset=utf-8"

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    char lk[128];
    hrs_sim_lower(lk, sizeof lk, key);
    json_object_set_new(cls, lk, json_string(value ? value : ""));
    return MHD_YES;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, sim_resp *r, const char *type)
{
    char *text = r->body ? json_dumps(r->body, JSON_COMPACT) : NULL;
    struct MHD_Response *mr = text
        ? MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE)
        : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!mr) {
        free(text);
        return MHD_NO;
    }
    if (text) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    const char *k;
    json_t *v;
    json_object_foreach(r->headers, k, v) MHD_add_response_header(mr, k, json_string_value(v));
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

static enum MHD_Result admin(hrs_sim *s, struct MHD_Connection *c, const char *method,
                             const char *path, hrs_simhttp_conn *cr)
{
    sim_resp r = { 0 };
    if (strcmp(method, "GET") == 0 && strcmp(path, "/_sim/state") == 0) {
        hrs_sim_reply(&r, 200, hrs_sim_snapshot(s));
    } else if (strcmp(method, "GET") == 0 && strcmp(path, "/_sim/stats") == 0) {
        pthread_mutex_lock(&s->lock);
        json_t *st = json_pack(
            "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:{s:f, s:f, s:I, s:f, s:f, s:f, s:b}}",
            "requests", (json_int_t)s->stats.requests, "writes", (json_int_t)s->stats.writes,
            "throttled", (json_int_t)s->stats.throttled, "batches", (json_int_t)s->stats.batches,
            "tokens", (json_int_t)s->stats.tokens, "delta_items", (json_int_t)s->stats.delta_items,
            "denied", (json_int_t)s->stats.denied, "save_error", s->save_error, "faults",
            "throttle_writes", s->throttle_writes, "throttle_window_s", s->throttle_window_s,
            "fail_5xx", (json_int_t)s->fail_5xx, "slow_ms", s->slow_ms, "token_ttl", s->token_ttl,
            "replication_delay_ms", s->replication_delay_ms, "shuffle_batch", s->shuffle_batch);
        json_t *faults = json_object_get(st, "faults");
        json_object_set_new(faults, "fail_5xx_batch_items", json_integer(s->fail_5xx_batch_items));
        json_object_set_new(faults, "fail_after_create", json_integer(s->fail_after_create));
        json_object_set_new(faults, "hang_next", json_integer(s->hang_next));
        json_object_set_new(faults, "expire_tokens_every", json_integer(s->expire_tokens_every));
        json_object_set_new(faults, "deny_permission", s->deny ? json_string(s->deny) : json_null());
        hrs_sim_reply(&r, 200, st);
        pthread_mutex_unlock(&s->lock);
    } else if (strcmp(method, "POST") == 0 && strcmp(path, "/_sim/fault") == 0) {
        json_t *b = cr->len ? json_loadb(cr->body, cr->len, 0, NULL) : NULL;
        const char *name = json_string_value(json_object_get(b, "name"));
        json_t *val = json_object_get(b, "value");
        double v = json_is_number(val) ? json_number_value(val) : json_is_true(val) ? 1 : 0;
        if (!name || (val && !json_is_number(val) && !json_is_boolean(val) && !json_is_string(val)))
            hrs_sim_reply(&r, 400, json_pack("{s:s}", "error", "expected {\"name\": …, \"value\": "
                                             "number or text}"));
        else if (json_is_string(val) ? hrs_sim_set_fault_text(s, name, json_string_value(val)) != 0
                                     : hrs_sim_set_fault(s, name, v) != 0)
            hrs_sim_reply(&r, 400, json_pack("{s:s, s:s}", "error", "unknown fault", "name", name));
        else
            hrs_sim_reply(&r, 204, NULL);
        json_decref(b);
    } else {
        hrs_sim_reply(&r, 404, json_pack("{s:s}", "error", "no such admin endpoint"));
    }
    enum MHD_Result ret = send_resp(c, &r, "application/json");
    hrs_sim_resp_free(&r);
    return ret;
}

static enum MHD_Result graph(hrs_sim *s, struct MHD_Connection *c, const char *method,
                             const char *path, const char *qs, json_t *headers, hrs_simhttp_conn *cr)
{
    sim_req q = { 0 };
    sim_resp r = { 0 };
    char base[320];
    const char *host = json_string_value(json_object_get(headers, "host"));
    char fallback[64];
    if (!host || !*host || strlen(host) > 256) {
        snprintf(fallback, sizeof fallback, "127.0.0.1:%u", s->port);
        host = fallback;
    }
    snprintf(base, sizeof base, "http://%s/v1.0", host);
    q.method = method;
    q.path = *path ? path : "/";
    q.query = hrs_sim_query_parse(qs, strlen(qs));
    q.headers = headers;
    q.base = base;
    hrs_sim_guid(q.request_id);
    q.client_request_id = json_string_value(json_object_get(headers, "client-request-id"));
    if (!q.client_request_id) q.client_request_id = q.request_id;
    if (cr->len) {
        q.body = json_loadb(cr->body, cr->len, JSON_DECODE_ANY, NULL);
        q.body_bad = q.body == NULL;
    }

    pthread_mutex_lock(&s->lock);
    s->stats.requests++;
    hrs_sim_count_request(s);
    if (cr->too_large) {
        hrs_sim_fail(&q, &r, 413, "RequestEntityTooLarge", "The request body is too large.");
    } else if (s->fail_5xx > 0) {
        s->fail_5xx--;
        hrs_sim_fail(&q, &r, 503, "serviceNotAvailable",   /* UNVERIFIED message */
                     "The service is temporarily unavailable. Please retry later.");
        hrs_sim_resp_header(&r, "Retry-After", "1");
    } else if (hrs_sim_token_check(s, &q, &r) == 0) {
        hrs_sim_route(s, &q, &r);
    }
    if (s->dirty) {
        hrs_err err = { 0 };
        s->dirty = 0;
        if (hrs_sim_state_save(s, &err) != 0) {
            if (strcmp(s->save_error, err.msg) != 0) fprintf(stderr, "hrsync-sim: %s\n", err.msg);
            snprintf(s->save_error, sizeof s->save_error, "%s", err.msg);
        } else {
            s->save_error[0] = '\0';
        }
    }
    double slow = s->slow_ms;
    if (s->hang_next > 0) {   /* done, but the answer comes too late for a client's timeout */
        s->hang_next--;
        slow += SIM_HANG_MS;
    }
    pthread_mutex_unlock(&s->lock);

    hrs_sim_sleep_ms(slow);
    hrs_sim_resp_header(&r, "request-id", q.request_id);
    hrs_sim_resp_header(&r, "client-request-id", q.client_request_id);
    if (r.body) hrs_sim_resp_header(&r, "OData-Version", "4.0");
    enum MHD_Result ret = send_resp(c, &r, GRAPH_JSON);
    hrs_sim_resp_free(&r);
    json_decref(q.query);
    json_decref(q.body);
    return ret;
}

/* "/{tenant}/oauth2/v2.0/token" → tenant in buf; 0 when path is something else. */
static int token_path(const char *path, char *buf, size_t n)
{
    static const char tail[] = "/oauth2/v2.0/token";
    if (path[0] != '/') return 0;
    const char *slash = strchr(path + 1, '/');
    if (!slash || strcmp(slash, tail) != 0) return 0;
    size_t len = (size_t)(slash - path - 1);
    if (len == 0 || len >= n) return 0;
    memcpy(buf, path + 1, len);
    buf[len] = '\0';
    return 1;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    hrs_sim *s = cls;
    int collected = hrs_simhttp_collect(con_cls, upload, upload_size, SIM_BODY_MAX);
    if (collected < 0) return MHD_NO;
    if (collected == 0) return MHD_YES;
    hrs_simhttp_conn *cr = *con_cls;

    const char *qm = strchr(cr->uri, '?');
    size_t plen = qm ? (size_t)(qm - cr->uri) : strlen(cr->uri);
    char *path = hrs_simhttp_url_decode(cr->uri, plen, 0);
    json_t *headers = json_object();
    if (!path || !headers) {
        free(path);
        json_decref(headers);
        return MHD_NO;
    }
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, headers);
    enum MHD_Result ret;
    char tenant[256];
    if (strncmp(path, "/_sim/", 6) == 0) {
        ret = admin(s, c, method, path, cr);
    } else if (strcmp(path, "/v1.0") == 0 || strncmp(path, "/v1.0/", 6) == 0) {
        ret = graph(s, c, method, path + 5, qm ? qm + 1 : "", headers, cr);
    } else if (token_path(path, tenant, sizeof tenant) && strcmp(method, "POST") == 0) {
        sim_resp r = { 0 };
        pthread_mutex_lock(&s->lock);
        s->stats.requests++;
        double slow = s->slow_ms;
        pthread_mutex_unlock(&s->lock);
        hrs_sim_token_endpoint(s, tenant, cr->body, cr->len,
                               json_string_value(json_object_get(headers, "authorization")), &r);
        hrs_sim_sleep_ms(slow);
        ret = send_resp(c, &r, "application/json; charset=utf-8");
        hrs_sim_resp_free(&r);
    } else {
        sim_resp r = { 0 };
        hrs_sim_reply(&r, 404, json_pack("{s:{s:s, s:s}}", "error", "code", "NotFound", "message",
                                         "The simulator serves /v1.0/…, /{tenant}/oauth2/v2.0/"
                                         "token and /_sim/…"));
        ret = send_resp(c, &r, "application/json");
        hrs_sim_resp_free(&r);
    }
    free(path);
    json_decref(headers);
    return ret;
}

static void sim_free(hrs_sim *s)
{
    for (size_t i = 0; i < s->nusers; i++) hrs_sim_user_free(s->users[i]);
    for (size_t i = 0; i < s->ngroups; i++) hrs_sim_group_free(s->groups[i]);
    free(s->users);
    free(s->groups);
    json_decref(s->user_by_id);
    json_decref(s->user_by_upn);
    json_decref(s->group_by_id);
    json_decref(s->domains);
    json_decref(s->tokens);
    json_decref(s->tombstones);
    free(s->deny);
    hrs_sim_cert_free(s->cert);
    free(s->bind);
    free(s->tenant);
    free(s->client_id);
    free(s->client_secret);
    free(s->state_file);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static char *dup_opt(const char *v, int *oom)
{
    if (!v) return NULL;
    char *d = strdup(v);
    if (!d) *oom = 1;
    return d;
}

static int listen_on(hrs_sim *s, unsigned short port, hrs_err *err)
{
    s->daemon = hrs_simhttp_listen("simulator", s->bind, port, on_request, s, &s->port, err);
    return s->daemon ? 0 : -1;
}

hrs_sim *hrs_sim_start(const hrs_sim_opts *opts, hrs_err *err)
{
    static const hrs_sim_opts none = { 0 };
    if (!opts) opts = &none;
    hrs_sim *s = calloc(1, sizeof *s);
    if (!s) {
        hrs_err_set(err, "simulator: out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        hrs_err_set(err, "simulator: cannot create a mutex");
        return NULL;
    }
    int oom = 0;
    s->bind = dup_opt(opts->bind ? opts->bind : "127.0.0.1", &oom);
    s->tenant = dup_opt(opts->tenant, &oom);
    s->client_id = dup_opt(opts->client_id, &oom);
    s->client_secret = opts->client_secret && *opts->client_secret
                           ? dup_opt(opts->client_secret, &oom) : NULL;
    s->state_file = dup_opt(opts->state_file, &oom);
    s->user_by_id = json_object();
    s->user_by_upn = json_object();
    s->group_by_id = json_object();
    s->domains = json_pack("[s]", SIM_DEFAULT_DOMAIN);
    s->tokens = json_object();
    s->tombstones = json_array();
    unsigned int gen = 0;
    hrs_sim_random(&gen, sizeof gen);   /* delta tokens of an earlier run of the simulator expire */
    s->delta_gen = (long)(gen % 1000000u);
    s->throttle_writes = SIM_WRITE_QUOTA;
    s->throttle_window_s = SIM_WINDOW_S;
    s->bucket = SIM_WRITE_QUOTA;
    s->bucket_at = hrs_sim_mono();
    s->token_ttl = SIM_TOKEN_TTL;
    if (opts->client_certificate_file && !oom && !(s->cert = hrs_sim_cert_load(opts->client_certificate_file, err))) {
        sim_free(s);
        return NULL;
    }
    if (oom || !s->user_by_id || !s->user_by_upn || !s->group_by_id || !s->domains ||
        !s->tokens || !s->tombstones) {
        hrs_err_set(err, "simulator: out of memory");
        sim_free(s);
        return NULL;
    }
    const char *load = NULL;
    if (s->state_file && access(s->state_file, F_OK) == 0) load = s->state_file;
    else if (opts->seed_file) load = opts->seed_file;
    if ((load && hrs_sim_state_load(s, load, err) != 0) ||
        (s->state_file && hrs_sim_state_save(s, err) != 0) ||
        listen_on(s, opts->port, err) != 0) {
        sim_free(s);
        return NULL;
    }
    return s;
}

unsigned short hrs_sim_port(const hrs_sim *sim)
{
    return sim ? sim->port : 0;
}

void hrs_sim_stop(hrs_sim *sim)
{
    if (!sim) return;
    if (sim->daemon) MHD_stop_daemon(sim->daemon);
    hrs_err err = { 0 };
    if (hrs_sim_state_save(sim, &err) != 0) fprintf(stderr, "hrsync-sim: %s\n", err.msg);
    sim_free(sim);
}
