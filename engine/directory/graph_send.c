/* graph_send.c: writes to Microsoft Graph in $batch requests (see hrs_graph_send in
 * include/hrsync/graph.h and graph.md §3–§5).
 *
 * The caller's requests become "wire" requests: one each, except additions of members to the
 * same group, which are packed into PATCH /groups/{id} {"members@odata.bind": […]} (≤ 20). A
 * round puts the wire requests that are due into up to `concurrency` batches of ≤ 20 (a
 * request with the one it depends on), waits for the write budget, sends the batches at once
 * over the connection pool and reads every answer by id. What is throttled or failed goes back
 * with its not-before time; the loop ends when every wire request has its outcome. */
#include "graph_internal.h"
#include "hrsync/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define THROTTLE_FACTOR 5          /* 429s tolerated per request: this many × max_retries */
#define LOOKUP_TRIES 5             /* GETs of an uncertain create's UPN before giving up */

typedef struct wire {
    char id[8];                /* its id in the batch of this round */
    const char *method;
    char *url;                 /* owned */
    json_t *body;              /* owned reference */
    size_t *members;           /* owned: indexes of the caller's requests it answers for */
    size_t nmembers;
    long dep;                  /* the wire it depends on, or -1 */
    int packed;                /* a members@odata.bind PATCH */
    int create;                /* POST /users */
    int uncertain;             /* a create sent before without an answer (timeout, 5xx) */
    int attempts, throttles;
    double not_before;
    int done;
    int batch;                 /* scratch: the batch of this round, or -1 */
    /* the answer of this round (scratch) */
    json_t *answer;            /* {id, status, headers, body} from the batch (reference) */
    int retry;                 /* scratch: sent again next round */
} wire;

typedef struct sender {
    hrs_graph *g;
    hrs_graph_req *reqs;
    size_t nreqs;
    wire *w;
    size_t n, cap;
} sender;

/* ---- packing ------------------------------------------------------------------------------ */

/* The group id of "/groups/{id}/members/$ref" into gid (size n); 0 when url is not that. */
static int member_ref_group(const char *url, char *gid, size_t n)
{
    if (!url || strncasecmp(url, "/groups/", 8) != 0) return 0;
    const char *id = url + 8, *slash = strchr(id, '/');
    if (!slash || slash == id || strcasecmp(slash, "/members/$ref") != 0 || (size_t)(slash - id) >= n) return 0;
    memcpy(gid, id, (size_t)(slash - id));
    gid[slash - id] = '\0';
    return 1;
}

static int depended_on(const hrs_graph_req *reqs, size_t n, size_t i)
{
    for (size_t k = 0; k < n; k++)
        if (reqs[k].depends_on && strcasecmp(reqs[k].depends_on, reqs[i].id) == 0) return 1;
    return 0;
}

static int packable(const hrs_graph_req *reqs, size_t n, size_t i, char *gid, size_t gn)
{
    const hrs_graph_req *q = &reqs[i];
    return q->method && strcmp(q->method, "POST") == 0 && member_ref_group(q->url, gid, gn) && !q->depends_on &&
           json_object_size(q->body) == 1 && json_is_string(json_object_get(q->body, "@odata.id")) &&
           !depended_on(reqs, n, i);
}

size_t hrs_graph_pack_member_adds(const hrs_graph_req *reqs, size_t n, size_t *pack)
{
    size_t wires = 0;
    char gid[256], other[256];
    for (size_t i = 0; i < n; i++) pack[i] = i;
    for (size_t i = 0; i < n; i++) {
        if (pack[i] != i) continue;   /* already in a pack */
        wires++;
        if (!packable(reqs, n, i, gid, sizeof gid)) continue;
        size_t size = 1;
        for (size_t k = i + 1; k < n && size < GRAPH_BIND_MAX; k++) {
            if (pack[k] != k || !packable(reqs, n, k, other, sizeof other) || strcasecmp(gid, other) != 0) continue;
            pack[k] = i;
            size++;
        }
    }
    return wires;
}

/* ---- wire requests ------------------------------------------------------------------------ */

static wire *wire_add(sender *s)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 32;
        wire *nw = realloc(s->w, cap * sizeof *nw);
        if (!nw) return NULL;
        s->w = nw;
        s->cap = cap;
    }
    wire *w = &s->w[s->n++];
    memset(w, 0, sizeof *w);
    w->dep = -1;
    w->batch = -1;
    return w;
}

static void wire_free(wire *w)
{
    free(w->url);
    json_decref(w->body);
    free(w->members);
}

/* A wire request for reqs[i] alone. */
static int wire_single(sender *s, size_t i)
{
    const hrs_graph_req *q = &s->reqs[i];
    wire *w = wire_add(s);
    if (!w) return -1;
    w->method = q->method;
    w->url = strdup(q->url);
    w->body = json_incref(q->body);
    w->members = malloc(sizeof *w->members);
    if (!w->url || !w->members) return -1;
    w->members[0] = i;
    w->nmembers = 1;
    w->create = strcmp(q->method, "POST") == 0 && strcasecmp(q->url, "/users") == 0;
    return 0;
}

/* The PATCH of a pack led by reqs[lead] (members: every k with pack[k] == lead). */
static int wire_pack(sender *s, const size_t *pack, size_t lead)
{
    char gid[256];
    member_ref_group(s->reqs[lead].url, gid, sizeof gid);
    wire *w = wire_add(s);
    if (!w) return -1;
    size_t count = 0;
    for (size_t k = lead; k < s->nreqs; k++) count += pack[k] == lead;
    w->members = malloc(count * sizeof *w->members);
    json_t *binds = json_array();
    size_t l = strlen(gid) + 16;
    w->url = malloc(l);
    if (!w->members || !binds || !w->url) { json_decref(binds); return -1; }
    snprintf(w->url, l, "/groups/%s", gid);
    for (size_t k = lead; k < s->nreqs; k++) {
        if (pack[k] != lead) continue;
        w->members[w->nmembers++] = k;
        json_array_append(binds, json_object_get(s->reqs[k].body, "@odata.id"));
    }
    w->method = "PATCH";
    w->body = json_pack("{s:o}", "members@odata.bind", binds);
    w->packed = 1;
    return w->body ? 0 : -1;
}

static int build_wires(sender *s)
{
    size_t *pack = malloc((s->nreqs ? s->nreqs : 1) * sizeof *pack);
    long *wire_of = malloc((s->nreqs ? s->nreqs : 1) * sizeof *wire_of);
    int rc = -1;
    if (!pack || !wire_of) goto out;
    hrs_graph_pack_member_adds(s->reqs, s->nreqs, pack);
    for (size_t i = 0; i < s->nreqs; i++) {
        wire_of[i] = -1;
        if (pack[i] != i) continue;
        size_t size = 0;
        for (size_t k = i; k < s->nreqs; k++) size += pack[k] == i;
        if ((size > 1 ? wire_pack(s, pack, i) : wire_single(s, i)) != 0) goto out;
        wire_of[i] = (long)s->n - 1;
        if (size > 1) s->g->stats.packed += (long)size;
    }
    /* dependsOn: a request and the one it names travel together. */
    for (size_t i = 0; i < s->nreqs; i++) {
        if (!s->reqs[i].depends_on || wire_of[i] < 0) continue;
        for (size_t k = 0; k < s->nreqs; k++)
            if (k != i && wire_of[k] >= 0 && strcasecmp(s->reqs[k].id, s->reqs[i].depends_on) == 0)
                s->w[wire_of[i]].dep = wire_of[k];
    }
    rc = 0;
out:
    free(pack);
    free(wire_of);
    return rc;
}

/* ---- outcomes ----------------------------------------------------------------------------- */

static const char *header_of(json_t *answer, const char *name)
{
    const char *k;
    json_t *v;
    json_object_foreach(json_object_get(answer, "headers"), k, v)
        if (strcasecmp(k, name) == 0) return json_string_value(v);
    return NULL;
}

/* Writes the final outcome of w into each of its requests: status, the answer's body (a
 * single request), and for errors Graph's code, message (with the permission hint of a 403)
 * and request-id. */
static void finish(sender *s, wire *w, long status, json_t *body, const char *rid)
{
    json_t *e = json_object_get(body, "error");
    const char *code = json_string_value(json_object_get(e, "code"));
    const char *msg = json_string_value(json_object_get(e, "message"));
    const char *irid = json_string_value(json_object_get(json_object_get(e, "innerError"), "request-id"));
    if (w->create && status == 201) hrs_graph_fresh_add(s->g, json_string_value(json_object_get(body, "id")));
    for (size_t m = 0; m < w->nmembers; m++) {
        hrs_graph_req *q = &s->reqs[w->members[m]];
        hrs_graph_req_clear(q);
        q->status = status;
        if (!w->packed) q->response = json_incref(body);
        q->code[0] = q->message[0] = '\0';
        snprintf(q->request_id, sizeof q->request_id, "%s", rid && *rid ? rid : irid ? irid : "");
        if (status >= 400) {
            snprintf(q->code, sizeof q->code, "%s", code ? code : "");
            snprintf(q->message, sizeof q->message, "%s", msg ? msg : "");
            hrs_graph_permission_hint(q->message, sizeof q->message, status, q->code, q->method, q->url, q->body);
        }
    }
    w->done = 1;
}

/* Sends the members of a packed request that failed as a whole (404: one of them is not
 * there or not readable yet; 400: one is a member already) again one by one, so that each gets
 * its own answer. */
static int unpack(sender *s, size_t wi)
{
    size_t nm = s->w[wi].nmembers;
    size_t *members = s->w[wi].members;
    s->w[wi].members = NULL;
    s->w[wi].nmembers = 0;
    s->w[wi].done = 1;
    int rc = 0;
    for (size_t m = 0; m < nm && rc == 0; m++) rc = wire_single(s, members[m]);
    free(members);
    return rc;
}

/* 1 when the last path segment of a reference URL is an account this client created lately. */
static int fresh_ref(hrs_graph *g, const char *ref)
{
    const char *slash = ref ? strrchr(ref, '/') : NULL;
    return slash && hrs_graph_fresh_has(g, slash + 1);
}

/* 1 when the request names (in its path or its references) an account this client created a
 * moment ago: its 404 may only mean "not replicated yet". */
static int names_fresh_account(hrs_graph *g, const wire *w)
{
    char seg[128];
    const char *p = w->url;
    while (*p) {
        while (*p == '/') p++;
        size_t l = strcspn(p, "/?");
        if (l && l < sizeof seg) {
            memcpy(seg, p, l);
            seg[l] = '\0';
            if (hrs_graph_fresh_has(g, seg)) return 1;
        }
        p += l;
        if (*p == '?') break;
    }
    if (fresh_ref(g, json_string_value(json_object_get(w->body, "@odata.id")))) return 1;
    size_t i;
    json_t *b;
    json_array_foreach(json_object_get(w->body, "members@odata.bind"), i, b)
        if (fresh_ref(g, json_string_value(b))) return 1;
    return 0;
}

static int upn_taken(long status, json_t *body)
{
    const char *msg = json_string_value(json_object_get(json_object_get(body, "error"), "message"));
    return status == 400 && msg && strstr(msg, "userPrincipalName") && strstr(msg, "already exists");
}

/* An uncertain create found its UPN taken: is the account there the one it made? Returns 1 with
 * *user (caller owns) when it carries the create's employeeId (or, without one, its
 * mailNickname and displayName), 0 when it is someone else's, -1 when it cannot be read. */
static int lookup_create(sender *s, const wire *w, json_t **user)
{
    const char *upn = json_string_value(json_object_get(w->body, "userPrincipalName"));
    *user = NULL;
    char *esc = upn ? hrs_http_escape(upn) : NULL;
    if (!esc) return -1;
    char path[1200];
    snprintf(path, sizeof path, "/users/%s?$select=id,userPrincipalName,employeeId,mailNickname,displayName,"
             "accountEnabled,mail", esc);
    free(esc);
    for (int t = 0; t < LOOKUP_TRIES; t++) {
        hrs_err e;
        hrs_err_clear(&e);
        json_t *u = NULL;
        if (hrs_graph_call(s->g, "GET", path, NULL, &u, &e) == 0) {
            const char *want = json_string_value(json_object_get(w->body, "employeeId"));
            const char *have = json_string_value(json_object_get(u, "employeeId"));
            int ours = want ? have && strcmp(want, have) == 0
                            : json_equal(json_object_get(u, "mailNickname"), json_object_get(w->body, "mailNickname")) &&
                              json_equal(json_object_get(u, "displayName"), json_object_get(w->body, "displayName"));
            if (ours) { *user = u; return 1; }
            json_decref(u);
            return 0;
        }
        if (e.http_status != 404) return -1;
        hrs_graph_sleep(hrs_graph_backoff(s->g, t + 1));   /* created, maybe not readable yet */
    }
    return -1;
}

/* Decides what becomes of w after this round's answer (status; body may be NULL). */
static int judge(sender *s, size_t wi, long status, json_t *answer, const char *batch_rid, double now)
{
    hrs_graph *g = s->g;
    wire *w = &s->w[wi];
    json_t *body = json_object_get(answer, "body");
    const char *rid = header_of(answer, "request-id");
    if (!rid || !*rid) rid = batch_rid;
    const char *ra_text = header_of(answer, "retry-after");
    double ra = ra_text ? hrs_http_parse_retry_after(ra_text, (double)time(NULL)) : -1;
    w->retry = 0;
    if (status >= 200 && status < 300) { finish(s, w, status, body, rid); return 0; }
    if (status == 429) {
        g->stats.throttled++;
        hrs_budget_throttled(&g->budget, ra, now);
        if (++w->throttles <= g->max_retries * THROTTLE_FACTOR) {
            w->retry = 1;
            w->not_before = now + (ra >= 0 ? ra : hrs_graph_backoff(g, w->throttles));
            return 0;
        }
    } else if (status >= 500 || status == 0) {
        if (w->create) w->uncertain = 1;
        if (++w->attempts <= g->max_retries) {
            w->retry = 1;
            w->not_before = now + (ra >= 0 ? ra : hrs_graph_backoff(g, w->attempts));
            return 0;
        }
    } else if (status == 424 && w->dep >= 0 && s->w[w->dep].retry) {
        w->retry = 1;   /* its dependency goes again: so does it */
        w->not_before = s->w[w->dep].not_before;
        return 0;
    } else if (w->packed && (status == 404 || status == 400)) {
        hrs_debug("a members@odata.bind request of %zu members answered %ld; sending them one by one", w->nmembers, status);
        return unpack(s, wi);
    } else if (status == 404 && names_fresh_account(g, w)) {
        /* An account created a moment ago may not be readable yet (graph.md §7): with backoff. */
        if (++w->attempts <= g->max_retries) {
            w->retry = 1;
            w->not_before = now + hrs_graph_backoff(g, w->attempts);
            return 0;
        }
    } else if (w->uncertain && upn_taken(status, body)) {
        json_t *user = NULL;
        int found = lookup_create(s, w, &user);
        if (found == 1) {
            hrs_info("the create of %s got no answer before, and the account is there: it counts as created",
                     json_string_value(json_object_get(user, "userPrincipalName")));
            finish(s, &s->w[wi], 201, user, rid);
            json_decref(user);
            return 0;
        }
        if (found < 0) {
            json_t *why = json_pack("{s:{s:s, s:s}}", "error", "code", "hrsync_CreateOutcomeUnknown", "message",
                                    "the create was sent without an answer and its userPrincipalName is taken now by an "
                                    "account that cannot be read yet; no second account is made: run again later");
            finish(s, &s->w[wi], 409, why, rid);
            json_decref(why);
            return 0;
        }
    }
    finish(s, w, status, body, rid);
    return 0;
}

/* ---- rounds ------------------------------------------------------------------------------- */

typedef struct batch {
    size_t wires[GRAPH_BATCH_MAX];
    size_t n, writes;
    char *text;        /* the request body */
} batch;

/* Puts the due wire requests into at most `concurrency` batches. The first batch waits for the
 * write budget; further ones join the round only if the budget allows them at once. */
static size_t form_batches(sender *s, batch *b, size_t max, double now)
{
    size_t nb = 0;
    for (size_t i = 0; i < s->n; i++) s->w[i].batch = -1;
    for (size_t i = 0; i < s->n; i++) {
        wire *w = &s->w[i];
        if (w->done || w->not_before > now) continue;
        long target = -1;
        if (w->dep >= 0 && !s->w[w->dep].done) {
            target = s->w[w->dep].batch;
            if (target < 0 || b[target].n == GRAPH_BATCH_MAX) continue;   /* waits for its dependency */
        } else {
            for (size_t k = 0; k < nb && target < 0; k++)
                if (b[k].n < GRAPH_BATCH_MAX) target = (long)k;
            if (target < 0) {
                if (nb == max) break;
                size_t writes = 0;
                for (size_t k = 0; k < nb; k++) writes += b[k].writes;
                if (nb > 0 && (double)(writes + GRAPH_BATCH_MAX) > hrs_budget_available(&s->g->budget, now)) break;
                memset(&b[nb], 0, sizeof b[nb]);
                target = (long)nb++;
            }
        }
        batch *t = &b[target];
        t->wires[t->n++] = i;
        t->writes += hrs_graph_is_write(w->method);
        w->batch = (int)target;
        snprintf(w->id, sizeof w->id, "%zu", t->n);
    }
    return nb;
}

static char *batch_text(sender *s, batch *b)
{
    json_t *arr = json_array();
    for (size_t k = 0; k < b->n; k++) {
        wire *w = &s->w[b->wires[k]];
        json_t *o = json_pack("{s:s, s:s, s:s}", "id", w->id, "method", w->method, "url", w->url);
        if (w->body) {
            json_object_set(o, "body", w->body);
            json_object_set_new(o, "headers", json_pack("{s:s}", "Content-Type", "application/json"));
        }
        if (w->dep >= 0 && !s->w[w->dep].done && s->w[w->dep].batch == w->batch)
            json_object_set_new(o, "dependsOn", json_pack("[s]", s->w[w->dep].id));
        json_array_append_new(arr, o);
    }
    json_t *root = json_pack("{s:o}", "requests", arr);
    char *text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    return text;
}

/* Requeues every wire of batch b after a failure of the batch as a whole. Returns -1 when one
 * has used its retries. */
static int batch_failed(sender *s, batch *b, double wait, int uncertain)
{
    int over = 0;
    for (size_t k = 0; k < b->n; k++) {
        wire *w = &s->w[b->wires[k]];
        if (uncertain && w->create) w->uncertain = 1;
        if (++w->attempts > s->g->max_retries) over = 1;
        w->not_before = hrs_graph_mono() + (wait >= 0 ? wait : hrs_graph_backoff(s->g, w->attempts));
    }
    return over ? -1 : 0;
}

/* Reads one batch's answer (status 200) and judges each of its requests. */
static int read_answer(sender *s, batch *b, hrs_http_response *r, hrs_err *err)
{
    json_t *out = json_loads(r->body, 0, NULL);
    json_t *responses = json_object_get(out, "responses");
    if (!json_is_array(responses)) {
        json_decref(out);
        return hrs_err_set(err, "Graph POST /$batch: HTTP %ld with an answer that has no \"responses\" (request-id %s)",
                           r->status, r->request_id);
    }
    for (size_t k = 0; k < b->n; k++) s->w[b->wires[k]].answer = NULL;
    size_t i;
    json_t *a;
    json_array_foreach(responses, i, a) {
        const char *id = json_string_value(json_object_get(a, "id"));
        for (size_t k = 0; id && k < b->n; k++)
            if (strcasecmp(s->w[b->wires[k]].id, id) == 0) s->w[b->wires[k]].answer = a;
    }
    double now = hrs_graph_mono();
    int rc = 0;
    /* In request order, so that a 424 sees whether its dependency goes again. */
    for (size_t k = 0; k < b->n && rc == 0; k++) {
        size_t wi = b->wires[k];
        json_t *ans = s->w[wi].answer;
        long st = ans ? (long)json_integer_value(json_object_get(ans, "status")) : 0;   /* 0: no answer for it */
        rc = judge(s, wi, st, ans, r->request_id, now);
    }
    json_decref(out);
    return rc;
}

/* One round: batches formed, budget taken, sent at once, answers judged. */
static int round_once(sender *s, int *renewed, hrs_err *err)
{
    hrs_graph *g = s->g;
    size_t max = hrs_http_pool_size(g->pool);
    batch *b = calloc(max, sizeof *b);
    hrs_http_xfer *x = calloc(max, sizeof *x);
    char *url = hrs_graph_url(g, "/$batch");
    int rc = -1;
    size_t nb = 0;
    if (!b || !x || !url) { hrs_err_set(err, "out of memory"); goto out; }
    nb = form_batches(s, b, max, hrs_graph_mono());
    if (nb == 0) { rc = 0; goto out; }
    const char *token;
    if (hrs_oauth_token(g->oauth, g->http, &token, err) != 0) goto out;
    char auth[4200];
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
    const char *hdr[] = { auth, "Accept: application/json", "Content-Type: application/json", NULL };
    for (size_t k = 0; k < nb; k++) {
        hrs_graph_budget_take(g, (double)b[k].writes);
        if (!(b[k].text = batch_text(s, &b[k]))) { hrs_err_set(err, "out of memory"); goto out_auth; }
        x[k] = (hrs_http_xfer){ .method = "POST", .url = url, .headers = hdr, .body = b[k].text,
                                .body_len = strlen(b[k].text) };
        g->stats.requests++;
        g->stats.writes += (long)b[k].writes;
    }
    if (hrs_http_pool_perform(g->pool, x, nb, err) != 0) goto out_auth;
    rc = 0;
    for (size_t k = 0; k < nb && rc == 0; k++) {
        hrs_http_response *r = &x[k].resp;
        if (x[k].rc != 0) {
            g->stats.retries++;
            hrs_warn("Graph POST /$batch: %s; sending it again", x[k].err.msg);
            if (batch_failed(s, &b[k], -1, 1) != 0) { *err = x[k].err; rc = -1; }
            continue;
        }
        if (r->status == 401) {
            if (*renewed) {
                rc = hrs_graph_error("Graph POST /$batch", r->status, r->body, r->request_id, err);
                continue;
            }
            *renewed = 1;   /* once: a new token, and the batch again */
            hrs_oauth_invalidate(g->oauth);
            for (size_t i = 0; i < b[k].n; i++) s->w[b[k].wires[i]].not_before = 0;
            continue;
        }
        if (r->status == 429 || r->status >= 500) {
            g->stats.retries++;
            if (r->status == 429) {
                g->stats.throttled++;
                hrs_budget_throttled(&g->budget, r->retry_after, hrs_graph_mono());
            }
            if (batch_failed(s, &b[k], r->retry_after, r->status != 429) != 0)
                rc = hrs_graph_error("Graph POST /$batch", r->status, r->body, r->request_id, err);
            continue;
        }
        if (r->status != 200) {
            rc = hrs_graph_error("Graph POST /$batch", r->status, r->body, r->request_id, err);
            continue;
        }
        *renewed = 0;
        rc = read_answer(s, &b[k], r, err);
    }
out_auth:
    memset(auth, 0, sizeof auth);
out:
    for (size_t k = 0; k < nb; k++) {
        free(b[k].text);
        hrs_http_response_clear(&x[k].resp);
    }
    free(b);
    free(x);
    free(url);
    return rc;
}

int hrs_graph_send(hrs_graph *g, hrs_graph_req *reqs, size_t n, hrs_err *err)
{
    for (size_t i = 0; i < n; i++) {
        reqs[i].status = 0;
        reqs[i].response = NULL;
        reqs[i].code[0] = reqs[i].message[0] = reqs[i].request_id[0] = '\0';
    }
    if (n == 0) return 0;
    sender s = { g, reqs, n, NULL, 0, 0 };
    int rc = build_wires(&s) == 0 ? 0 : hrs_err_set(err, "out of memory");
    int renewed = 0;
    while (rc == 0) {
        double now = hrs_graph_mono(), next = -1;
        size_t due = 0, open = 0;
        for (size_t i = 0; i < s.n; i++) {
            if (s.w[i].done) continue;
            open++;
            if (s.w[i].not_before <= now) due++;
            else if (next < 0 || s.w[i].not_before < next) next = s.w[i].not_before;
        }
        if (!open) break;
        if (!due) {
            hrs_debug("Graph $batch: %zu request(s) to send again in %.3f s", open, next - now);
            hrs_graph_sleep(next - now);
            continue;
        }
        rc = round_once(&s, &renewed, err);
    }
    for (size_t i = 0; i < s.n; i++) wire_free(&s.w[i]);
    free(s.w);
    return rc;
}

size_t hrs_graph_send_capacity(const hrs_graph *g) { return (size_t)g->concurrency * GRAPH_BATCH_MAX; }

