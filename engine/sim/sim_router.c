/* sim_router.c: answers one Graph request below /v1.0, whether it came over HTTP or out of a
 * $batch: the faults of batch items first, the write quota (429 with Retry-After, graph.md §5),
 * a missing permission (403, deny_permission), then the route by the first path segment. A
 * write that succeeds marks the directory dirty so the server saves it. */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SEGMENTS 16

static int is_write(const char *m)
{
    return strcmp(m, "POST") == 0 || strcmp(m, "PATCH") == 0 || strcmp(m, "PUT") == 0 ||
           strcmp(m, "DELETE") == 0;
}

static void throttled(hrs_sim *s, const sim_req *q, sim_resp *r, double retry)
{
    char ra[32], scope[256];
    hrs_sim_fail(q, r, 429, "TooManyRequests", "Please retry again later.");
    json_object_set_new(json_object_get(json_object_get(r->body, "error"), "innerError"), "code",
                        json_string("429"));
    snprintf(ra, sizeof ra, "%.3f", retry);
    snprintf(scope, sizeof scope, "Tenant_Application/ReadWrite/%s/%s",
             s->client_id ? s->client_id : "-", s->tenant ? s->tenant : "-");
    hrs_sim_resp_header(r, "Retry-After", ra);
    hrs_sim_resp_header(r, "x-ms-throttle-scope", scope);
    hrs_sim_resp_header(r, "x-ms-throttle-information", "WriteLimitExceeded");
    s->stats.throttled++;
}

/* GET /domains: the verified domains, the ones a userPrincipalName may use. */
static void domains(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    json_t *body = hrs_sim_body(q, "domains", NULL, ""), *value = json_array();
    size_t i;
    json_t *d;
    json_array_foreach(s->domains, i, d)
        json_array_append_new(value, json_pack("{s:s, s:s, s:b, s:b, s:b}", "id",
                                               json_string_value(d),
                                               "authenticationType", "Managed", "isDefault",
                                               i == 0, "isInitial", 0, "isVerified", 1));
    json_object_set_new(body, "value", value);
    hrs_sim_reply(r, 200, body);
}

void hrs_sim_route(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    char *path = strdup(q->path), *seg[MAX_SEGMENTS], *save = NULL;
    int nseg = 0;
    if (!path) {
        hrs_sim_fail(q, r, 500, "generalException", "Out of memory.");
        return;
    }
    for (char *p = strtok_r(path, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
        if (nseg == MAX_SEGMENTS) {
            hrs_sim_fail(q, r, 400, "BadRequest", "Resource not found for the segment '%s'.", p);
            free(path);
            return;
        }
        seg[nseg++] = p;
    }
    if (nseg == 0) {
        hrs_sim_fail(q, r, 400, "BadRequest", "Invalid request.");
    } else if (strcmp(seg[0], "$batch") == 0) {
        if (q->in_batch || nseg != 1)
            hrs_sim_fail(q, r, 400, "BadRequest", "Resource not found for the segment '%s'.",
                         seg[nseg - 1]);
        else if (strcmp(q->method, "POST") != 0)
            hrs_sim_fail(q, r, 405, "Request_BadRequest",
                         "Specified HTTP method is not allowed for the request target.");
        else
            hrs_sim_batch(s, q, r);   /* each request inside takes its own write */
    } else {
        double retry = 0;
        int write = is_write(q->method);
        if (q->in_batch && s->fail_5xx_batch_items > 0) {
            s->fail_5xx_batch_items--;
            hrs_sim_fail(q, r, 503, "serviceNotAvailable",   /* UNVERIFIED message */
                         "The service is temporarily unavailable. Please retry later.");
        } else if (write && hrs_sim_throttle_take(s, &retry) != 0) {
            throttled(s, q, r, retry);
        } else if (hrs_sim_denied(s, q, r)) {
            /* 403: the app lacks the permission (deny_permission fault) */
        } else {
            if (write) s->stats.writes++;
            if (strcasecmp(seg[0], "users") == 0)
                hrs_sim_users_route(s, q, r, seg, nseg);
            else if (strcasecmp(seg[0], "groups") == 0)
                hrs_sim_groups_route(s, q, r, seg, nseg);
            else if (strcasecmp(seg[0], "domains") == 0 && nseg == 1 &&
                     strcmp(q->method, "GET") == 0)
                domains(s, q, r);
            else
                hrs_sim_fail(q, r, 400, "BadRequest", "Resource not found for the segment '%s'.",
                             seg[0]);
            if (write && r->status >= 200 && r->status < 300) s->dirty = 1;
            if (r->status == 201 && nseg == 1 && strcasecmp(seg[0], "users") == 0 && s->fail_after_create > 0) {
                /* The account is made, but its answer is lost: the caller cannot tell. */
                s->fail_after_create--;
                hrs_sim_resp_free(r);
                memset(r, 0, sizeof *r);
                hrs_sim_fail(q, r, 500, "generalException", "An internal server error occurred.");  /* UNVERIFIED */
            }
        }
    }
    free(path);
}
