/* hrsim.c: the HR simulator's life cycle and HTTP side (libmicrohttpd, one thread per
 * connection): start/stop, the fixtures, request collection, dispatch to the systems below
 * /personio/v1, /alexishr/v1, /custom and /bamboohr, faults, stats, and the test hook that
 * changes a person (see include/hrsync/hrsim.h). */
#include "hrsim_internal.h"
#include "hrsync/buildinfo.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>

#include <microhttpd.h>

#include "sim_http.h"

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    char lk[128];
    size_t i = 0;
    for (; key[i] && i + 1 < sizeof lk; i++)
        lk[i] = (char)(key[i] >= 'A' && key[i] <= 'Z' ? key[i] - 'A' + 'a' : key[i]);
    lk[i] = '\0';
    json_object_set_new(cls, lk, json_string(value ? value : ""));
    return MHD_YES;
}

static enum MHD_Result send_resp(struct MHD_Connection *c, hrsim_resp *r)
{
    struct MHD_Response *mr;
    if (r->body) {
        mr = MHD_create_response_from_buffer(strlen(r->body), r->body, MHD_RESPMEM_MUST_FREE);
        if (mr) r->body = NULL;                  /* MHD owns it now */
    } else {
        mr = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    }
    if (!mr) return MHD_NO;
    if (r->type) MHD_add_response_header(mr, MHD_HTTP_HEADER_CONTENT_TYPE, r->type);
    const char *k;
    json_t *v;
    json_object_foreach(r->headers, k, v) MHD_add_response_header(mr, k, json_string_value(v));
    enum MHD_Result ret = MHD_queue_response(c, (unsigned int)r->status, mr);
    MHD_destroy_response(mr);
    return ret;
}

/* Strips prefix from path: the rest (at least "/"), or NULL when path is not below prefix. */
static const char *below(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);
    if (strncmp(path, prefix, n) != 0) return NULL;
    if (path[n] == '\0') return "/";
    return path[n] == '/' ? path + n : NULL;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    hrs_hrsim *s = cls;
    int collected = hrs_simhttp_collect(con_cls, upload, upload_size, HRSIM_BODY_MAX);
    if (collected < 0) return MHD_NO;
    if (collected == 0) return MHD_YES;
    hrs_simhttp_conn *cr = *con_cls;

    const char *qm = strchr(cr->uri, '?');
    size_t plen = qm ? (size_t)(qm - cr->uri) : strlen(cr->uri);
    char *path = hrs_simhttp_url_decode(cr->uri, plen, 0);
    hrsim_req q;
    hrsim_resp r;
    memset(&q, 0, sizeof q);
    memset(&r, 0, sizeof r);
    q.headers = json_object();
    q.query = hrs_hrsim_query_parse(qm ? qm + 1 : NULL);
    if (!path || !q.headers || !q.query) {
        free(path);
        json_decref(q.headers);
        json_decref(q.query);
        return MHD_NO;
    }
    MHD_get_connection_values(c, MHD_HEADER_KIND, collect_header, q.headers);
    q.method = method;
    q.body = cr->body;
    q.len = cr->len;
    const char *host = hrs_hrsim_header(&q, "host");
    if (host && *host && strlen(host) < 256) snprintf(q.base, sizeof q.base, "http://%s", host);
    else snprintf(q.base, sizeof q.base, "http://127.0.0.1:%u", s->port);

    pthread_mutex_lock(&s->lock);
    s->stats.requests++;
    const char *rest;
    if (cr->too_large) {
        hrs_hrsim_reply(&r, 413, json_pack("{s:s}", "error", "the request body is too large"));
    } else if ((rest = below(path, "/personio/v1")) != NULL) {
        q.path = rest;
        hrs_hrsim_personio(s, &q, &r);
    } else if ((rest = below(path, "/alexishr/v1")) != NULL) {
        q.path = rest;
        hrs_hrsim_alexishr(s, &q, &r);
    } else if ((rest = below(path, "/custom")) != NULL) {
        q.path = rest;
        hrs_hrsim_custom(s, &q, &r);
    } else if ((rest = below(path, "/bamboohr")) != NULL) {
        q.path = rest;
        hrs_hrsim_bamboohr(s, &q, &r);
    } else {
        hrs_hrsim_reply(&r, 404, json_pack("{s:s}", "error", "the HR simulator serves /personio/v1/…, "
                                       "/alexishr/v1/…, /custom/people and /bamboohr/…"));
    }
    pthread_mutex_unlock(&s->lock);

    enum MHD_Result ret = send_resp(c, &r);
    hrs_hrsim_resp_free(&r);
    free(path);
    json_decref(q.headers);
    json_decref(q.query);
    return ret;
}

/* ---- fixtures ---- */

static int is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static const char *fixture_dir(const hrs_hrsim_opts *o)
{
    const char *env = getenv("HRSYNC_FIXTURE_DIR");
    if (o->fixture_dir) return o->fixture_dir;
    if (env && *env) return env;
    if (is_dir(HRSYNC_SOURCE_DIR "/tests/fixtures")) return HRSYNC_SOURCE_DIR "/tests/fixtures";
    return HRSYNC_DATADIR "/fixtures";
}

static json_t *load(const char *dir, const char *name, int must, hrs_err *err)
{
    char path[4096];
    json_error_t jerr;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_t *doc = json_load_file(path, 0, &jerr);
    if (!doc && must)
        hrs_err_set(err, "HR simulator: cannot read the fixture %s: %s (line %d)", path, jerr.text,
                    jerr.line);
    return doc;
}

/* Personio: personio-v1-employees-page.json, then page2, page3 … while they exist. */
static int load_personio(hrs_hrsim *s, const char *dir, hrs_err *err)
{
    for (int page = 1;; page++) {
        char name[80];
        if (page == 1) snprintf(name, sizeof name, "personio-v1-employees-page.json");
        else snprintf(name, sizeof name, "personio-v1-employees-page%d.json", page);
        json_t *doc = load(dir, name, page == 1, err);
        if (!doc) return page == 1 ? -1 : 0;
        json_t *data = json_object_get(doc, "data");
        if (!json_is_array(data)) {
            json_decref(doc);
            return hrs_err_set(err, "HR simulator: %s/%s has no \"data\" list", dir, name);
        }
        json_array_extend(s->pio_people, data);
        json_decref(doc);
    }
}

static int load_alexis(hrs_hrsim *s, const char *dir, const hrs_hrsim_opts *o, hrs_err *err)
{
    json_t *doc = NULL;
    if (!o->alexis_people || !o->alexis_relations) {
        doc = load(dir, "alexishr-employees.json", 1, err);
        if (!doc) return -1;
    }
    const json_t *people = o->alexis_people ? o->alexis_people : json_object_get(doc, "data");
    const json_t *rel = o->alexis_relations ? o->alexis_relations : json_object_get(doc, "relations");
    if (!json_is_array(people) || (rel && !json_is_object(rel))) {
        json_decref(doc);
        return hrs_err_set(err, "HR simulator: the AlexisHR people must be a list and the "
                           "relations an object");
    }
    s->alexis_people = json_deep_copy(people);
    s->alexis_relations = rel ? json_deep_copy(rel) : json_object();
    json_decref(doc);
    return 0;
}

/* ---- life cycle ---- */

static void sim_free(hrs_hrsim *s)
{
    json_decref(s->pio_people);
    json_decref(s->alexis_people);
    json_decref(s->alexis_relations);
    json_decref(s->pio_tokens);
    free(s->bind);
    free(s->pio_id);
    free(s->pio_secret);
    free(s->alexis_token);
    free(s->custom_user);
    free(s->custom_password);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

static int listen_on(hrs_hrsim *s, unsigned short port, hrs_err *err)
{
    s->daemon = hrs_simhttp_listen("HR simulator", s->bind, port, on_request, s, &s->port, err);
    return s->daemon ? 0 : -1;
}

static char *dup_or(const char *v, const char *def, int *oom)
{
    char *d = strdup(v && *v ? v : def);
    if (!d) *oom = 1;
    return d;
}

hrs_hrsim *hrs_hrsim_start(const hrs_hrsim_opts *opts, hrs_err *err)
{
    static const hrs_hrsim_opts none = { 0 };
    if (!opts) opts = &none;
    hrs_hrsim *s = calloc(1, sizeof *s);
    if (!s) {
        hrs_err_set(err, "HR simulator: out of memory");
        return NULL;
    }
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        hrs_err_set(err, "HR simulator: cannot create a mutex");
        return NULL;
    }
    int oom = 0;
    s->bind = dup_or(opts->bind, "127.0.0.1", &oom);
    s->pio_id = dup_or(opts->personio_client_id, "hrsim-client", &oom);
    s->pio_secret = dup_or(opts->personio_client_secret, "hrsim-secret", &oom);
    s->alexis_token = dup_or(opts->alexis_token, "hrsim-alexis-token", &oom);
    s->custom_user = dup_or(opts->custom_user, "hrsim-user", &oom);
    s->custom_password = dup_or(opts->custom_password, "x", &oom);
    s->pio_tokens = json_object();
    s->pio_people = opts->personio_people ? json_deep_copy(opts->personio_people) : json_array();
    s->rate_limits = 1;
    s->retry_after = 1;
    if (oom || !s->pio_tokens || !s->pio_people) {
        hrs_err_set(err, "HR simulator: out of memory");
        sim_free(s);
        return NULL;
    }
    if (opts->personio_people && !json_is_array(opts->personio_people)) {
        hrs_err_set(err, "HR simulator: personio_people must be a list of employees");
        sim_free(s);
        return NULL;
    }
    const char *dir = fixture_dir(opts);
    if ((!opts->personio_people && load_personio(s, dir, err) != 0) ||
        load_alexis(s, dir, opts, err) != 0 || listen_on(s, opts->port, err) != 0) {
        sim_free(s);
        return NULL;
    }
    return s;
}

unsigned short hrs_hrsim_port(const hrs_hrsim *sim)
{
    return sim ? sim->port : 0;
}

void hrs_hrsim_stop(hrs_hrsim *sim)
{
    if (!sim) return;
    if (sim->daemon) MHD_stop_daemon(sim->daemon);
    sim_free(sim);
}

/* ---- test hooks ---- */

/* Sets or removes key on one person. */
static void set_field(json_t *person, char system, const char *key, const json_t *value)
{
    if (system == 'a') {
        if (value) json_object_set_new(person, key, json_deep_copy(value));
        else json_object_del(person, key);
        return;
    }
    json_t *attrs = json_object_get(person, "attributes");
    if (!json_is_object(attrs)) return;
    if (!value) {
        json_object_del(attrs, key);
        return;
    }
    json_t *a = json_object_get(attrs, key);
    if (json_is_object(a) && json_object_get(a, "label") && json_object_get(a, "value"))
        json_object_set_new(a, "value", json_deep_copy(value));
    else
        json_object_set_new(attrs, key, json_pack("{s:s, s:O, s:s, s:n}", "label", key, "value",
                                                  value, "type", "standard", "universal_id"));
}

int hrs_hrsim_set_person_field(hrs_hrsim *sim, const char *system, const char *id,
                               const char *key, const json_t *value, hrs_err *err)
{
    char which;
    if (strcmp(system, "personio") == 0) which = 'p';
    else if (strcmp(system, "alexishr") == 0) which = 'a';
    else return hrs_err_set(err, "HR simulator: unknown system '%s' (personio, alexishr)", system);
    pthread_mutex_lock(&sim->lock);
    json_t *list = which == 'p' ? sim->pio_people : sim->alexis_people;
    size_t i;
    json_t *p;
    int found = 0;
    json_array_foreach(list, i, p) {
        char pid[128];
        hrs_hrsim_person_id(p, which, pid, sizeof pid);
        if (strcmp(id, "*") != 0 && strcmp(pid, id) != 0) continue;
        set_field(p, which, key, value);
        /* As the HR systems do, a change moves the record's modification time (what
         * updated_since and filters[updated] select on), unless the test sets it itself. */
        if (strcmp(key, which == 'p' ? "last_modified_at" : "updated") != 0) {
            char now[40];
            time_t t = time(NULL);
            struct tm tm;
            gmtime_r(&t, &tm);
            strftime(now, sizeof now, which == 'p' ? "%Y-%m-%dT%H:%M:%S+00:00" : "%Y-%m-%dT%H:%M:%S.000Z", &tm);
            json_t *stamp = json_string(now);
            set_field(p, which, which == 'p' ? "last_modified_at" : "updated", stamp);
            json_decref(stamp);
        }
        found++;
        if (strcmp(id, "*") != 0) break;
    }
    pthread_mutex_unlock(&sim->lock);
    if (!found) return hrs_err_set(err, "HR simulator: %s has no person with id %s", system, id);
    return 0;
}

int hrs_hrsim_set_fault(hrs_hrsim *sim, const char *name, double value)
{
    int rc = 0;
    pthread_mutex_lock(&sim->lock);
    if (strcmp(name, "throttle_next") == 0) sim->throttle_next = (long)value;
    else if (strcmp(name, "retry_after") == 0) sim->retry_after = value != 0;
    else if (strcmp(name, "malformed_page") == 0) sim->malformed_page = (long)value;
    else if (strcmp(name, "malformed_alexis_page") == 0) sim->malformed_alexis_page = (long)value;
    else if (strcmp(name, "rate_limits") == 0) sim->rate_limits = value != 0;
    else if (strcmp(name, "expire_tokens_after") == 0) sim->expire_after = (long)value;
    else if (strcmp(name, "rotate_tokens") == 0) sim->rotate_tokens = value != 0;
    else if (strcmp(name, "expire_tokens") == 0) {
        if (value != 0) {
            json_object_clear(sim->pio_tokens);
            sim->pio_token[0] = '\0';
        }
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&sim->lock);
    return rc;
}

void hrs_hrsim_get_stats(hrs_hrsim *sim, hrs_hrsim_stats *out)
{
    pthread_mutex_lock(&sim->lock);
    *out = sim->stats;
    pthread_mutex_unlock(&sim->lock);
}
