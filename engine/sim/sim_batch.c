/* sim_batch.c: POST /$batch (graph.md §4). At most 20 requests with unique ids (not
 * case-sensitive), else the whole batch is 400. Each request goes through the same router as a
 * plain request, so throttling and validation apply to it alone; one whose dependsOn names a
 * failed request answers 424; one with a body but no Content-Type answers 400. The answer is 200
 * with {"responses": [...]}, in shuffled order when the shuffle_batch fault is on. */
#include "sim_internal.h"
#include "sim_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The lower-case copy of a request id, the key of the status table. */
static void id_key(char *buf, size_t n, json_t *id)
{
    hrs_sim_lower(buf, n, json_string_value(id));
}

/* Checks the batch's shape before anything runs. Returns 0, or -1 after filling r. */
static int check_batch(const sim_req *q, sim_resp *r, json_t *reqs)
{
    size_t n = json_array_size(reqs), i;
    json_t *seen = json_object(), *e;
    int rc = -1;
    if (n > SIM_BATCH_MAX) {
        /* UNVERIFIED wording: the count limit is documented, Graph's message is not. */
        hrs_sim_fail(q, r, 400, "BadRequest",
                     "The number of requests in a batch cannot exceed %d.", SIM_BATCH_MAX);
        goto out;
    }
    json_array_foreach(reqs, i, e) {
        json_t *id = json_object_get(e, "id");
        const char *m = json_string_value(json_object_get(e, "method"));
        const char *url = json_string_value(json_object_get(e, "url"));
        char key[256];
        if (!json_is_object(e) || !json_is_string(id) || !*json_string_value(id) ||
            strlen(json_string_value(id)) >= sizeof key || !m || !url) {
            /* UNVERIFIED wording. */
            hrs_sim_fail(q, r, 400, "BadRequest", "Invalid batch payload format: request %zu "
                         "needs a string id, a method and a url.", i);
            goto out;
        }
        id_key(key, sizeof key, id);
        if (json_object_get(seen, key)) {
            hrs_sim_fail(q, r, 400, "BadRequest", "Request Id %s has to be unique in a batch.",
                         json_string_value(id));
            goto out;
        }
        json_t *deps = json_object_get(e, "dependsOn"), *d;
        size_t j;
        if (deps && !json_is_array(deps)) deps = NULL;
        json_array_foreach(deps, j, d) {
            char dk[256];
            if (json_is_string(d) && strlen(json_string_value(d)) < sizeof dk) {
                id_key(dk, sizeof dk, d);
                if (json_object_get(seen, dk)) continue;
            }
            /* A request may only depend on one before it. UNVERIFIED wording. */
            hrs_sim_fail(q, r, 400, "BadRequest", "Invalid dependency for request Id %s.",
                         json_string_value(id));
            goto out;
        }
        json_object_set_new(seen, key, json_true());
    }
    rc = 0;
out:
    json_decref(seen);
    return rc;
}

static int has_content_type(json_t *headers)
{
    const char *k;
    json_t *v;
    json_object_foreach(headers, k, v)
        if (strcasecmp(k, "Content-Type") == 0) return 1;
    return 0;
}

/* Runs one entry of the batch; the result is {id, status, headers, body}. */
static json_t *run_one(hrs_sim *s, const sim_req *q, json_t *e, json_t *status)
{
    sim_req sub = { 0 };
    sim_resp sr = { 0 };
    json_t *hdrs = json_object_get(e, "headers");
    json_t *deps = json_object_get(e, "dependsOn"), *d;
    size_t j;
    hrs_sim_guid(sub.request_id);
    sub.client_request_id = q->client_request_id;
    int failed_dep = 0;
    json_array_foreach(deps, j, d) {
        char dk[256];
        id_key(dk, sizeof dk, d);
        json_int_t st = json_integer_value(json_object_get(status, dk));
        if (st < 200 || st > 299) failed_dep = 1;
    }
    if (failed_dep) {
        /* UNVERIFIED: the body Graph puts in a 424. */
        hrs_sim_fail(&sub, &sr, 424, "FailedDependency",
                     "The request depends on a request of this batch that failed.");
    } else if (json_object_get(e, "body") && !has_content_type(hdrs)) {
        hrs_sim_fail(&sub, &sr, 400, "BadRequest", "A Content-Type header is required when a "
                     "request of a batch has a body.");   /* UNVERIFIED wording */
    } else {
        const char *url = json_string_value(json_object_get(e, "url"));
        char method[16];
        snprintf(method, sizeof method, "%s", json_string_value(json_object_get(e, "method")));
        for (char *c = method; *c; c++)
            if (*c >= 'a' && *c <= 'z') *c = (char)(*c - 'a' + 'A');
        const char *qm = strchr(url, '?');
        size_t plen = qm ? (size_t)(qm - url) : strlen(url);
        const char *p = url;
        if (plen && *p == '/') {
            p++;
            plen--;
        }
        char *dec = hrs_simhttp_url_decode(p, plen, 0);
        size_t dl = dec ? strlen(dec) : 0;
        char *path = malloc(dl + 2);
        if (path) snprintf(path, dl + 2, "/%s", dec ? dec : "");
        free(dec);
        sub.method = method;
        sub.path = path ? path : "/";
        sub.query = qm ? hrs_sim_query_parse(qm + 1, strlen(qm + 1)) : json_object();
        sub.headers = json_object();
        const char *k;
        json_t *v;
        json_object_foreach(hdrs, k, v) {
            char lk[128];
            hrs_sim_lower(lk, sizeof lk, k);
            if (json_is_string(v)) json_object_set(sub.headers, lk, v);
        }
        sub.body = json_object_get(e, "body");
        sub.base = q->base;
        sub.in_batch = 1;
        if (strncmp(url, "http:", 5) == 0 || strncmp(url, "https:", 6) == 0)
            hrs_sim_fail(&sub, &sr, 400, "BadRequest", "The url of a batch request must be "
                         "relative, like /users.");   /* graph.md §4; UNVERIFIED wording */
        else
            hrs_sim_route(s, &sub, &sr);
        json_decref(sub.query);
        json_decref(sub.headers);
        free(path);
    }
    char key[256];
    id_key(key, sizeof key, json_object_get(e, "id"));
    json_object_set_new(status, key, json_integer(sr.status));
    json_t *out = json_pack("{s:O, s:i}", "id", json_object_get(e, "id"), "status", sr.status);
    json_t *h = sr.headers ? json_incref(sr.headers) : json_object();
    if (sr.body)
        json_object_set_new(h, "Content-Type", json_string("application/json;odata.metadata="
                            "minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"));
    json_object_set_new(out, "headers", h);
    if (sr.body) json_object_set(out, "body", sr.body);
    hrs_sim_resp_free(&sr);
    return out;
}

void hrs_sim_batch(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    s->stats.batches++;
    json_t *reqs = json_object_get(q->body, "requests");
    if (!json_is_array(reqs) || json_array_size(reqs) == 0) {
        hrs_sim_fail(q, r, 400, "BadRequest", "Invalid batch payload format.");  /* UNVERIFIED */
        return;
    }
    if (check_batch(q, r, reqs) != 0) return;
    json_t *status = json_object(), *responses = json_array(), *e;
    size_t i;
    json_array_foreach(reqs, i, e) json_array_append_new(responses, run_one(s, q, e, status));
    json_decref(status);
    size_t n = json_array_size(responses);
    if (s->shuffle_batch && n > 1) {
        for (size_t k = n - 1; k > 0; k--) {   /* Fisher–Yates */
            unsigned int rnd;
            hrs_sim_random(&rnd, sizeof rnd);
            size_t j = rnd % (k + 1);
            json_t *a = json_incref(json_array_get(responses, k));
            json_array_set(responses, k, json_array_get(responses, j));
            json_array_set_new(responses, j, a);
        }
    }
    hrs_sim_reply(r, 200, json_pack("{s:o}", "responses", responses));
}
