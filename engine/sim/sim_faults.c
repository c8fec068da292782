/* sim_faults.c: the faults and limits a test can switch on (hrs_sim_set_fault,
 * hrs_sim_set_fault_text), the counters (hrs_sim_get_stats), the write token bucket behind 429
 * TooManyRequests (N writes per window per app and tenant, refilled continuously: graph.md §5),
 * and the 403 of a missing application permission (deny_permission). */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void hrs_sim_expire_tokens(hrs_sim *s)
{
    const char *k;
    json_t *t;
    double now = hrs_sim_mono();
    json_object_foreach(s->tokens, k, t)
        if (json_real_value(t) > now) json_real_set(t, now);
}

void hrs_sim_count_request(hrs_sim *s)
{
    if (s->expire_tokens_every <= 0) return;
    if (++s->since_expiry >= s->expire_tokens_every) {
        s->since_expiry = 0;
        hrs_sim_expire_tokens(s);
    }
}

int hrs_sim_set_fault(hrs_sim *sim, const char *name, double value)
{
    if (!sim || !name) return -1;
    int rc = 0;
    double v = value > 0 ? value : 0;
    pthread_mutex_lock(&sim->lock);
    if (strcmp(name, "throttle_writes") == 0) {
        sim->throttle_writes = v;
        sim->bucket = v;              /* a new budget starts full */
        sim->bucket_at = hrs_sim_mono();
    } else if (strcmp(name, "throttle_window_s") == 0) {
        sim->throttle_window_s = v > 0 ? v : SIM_WINDOW_S;
    } else if (strcmp(name, "fail_5xx") == 0) {
        sim->fail_5xx = (long)v;
    } else if (strcmp(name, "fail_5xx_batch_items") == 0) {
        sim->fail_5xx_batch_items = (long)v;
    } else if (strcmp(name, "hang_next") == 0) {
        sim->hang_next = (long)v;
    } else if (strcmp(name, "fail_after_create") == 0) {
        sim->fail_after_create = (long)v;
    } else if (strcmp(name, "slow_ms") == 0) {
        sim->slow_ms = v;
    } else if (strcmp(name, "token_ttl") == 0) {
        sim->token_ttl = v > 0 ? v : SIM_TOKEN_TTL;
    } else if (strcmp(name, "replication_delay_ms") == 0) {
        sim->replication_delay_ms = v;
    } else if (strcmp(name, "shuffle_batch") == 0) {
        sim->shuffle_batch = value != 0;
    } else if (strcmp(name, "expire_tokens") == 0) {
        if (value != 0) hrs_sim_expire_tokens(sim);
    } else if (strcmp(name, "expire_tokens_every") == 0) {
        sim->expire_tokens_every = (long)v;
        sim->since_expiry = 0;
    } else if (strcmp(name, "expire_delta_tokens") == 0) {
        if (value != 0) sim->delta_gen++;
    } else if (strcmp(name, "deny_permission") == 0) {
        if (value == 0) {
            free(sim->deny);
            sim->deny = NULL;
        } else {
            rc = -1;   /* a text value: hrs_sim_set_fault_text */
        }
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&sim->lock);
    return rc;
}

int hrs_sim_set_fault_text(hrs_sim *sim, const char *name, const char *value)
{
    if (!sim || !name) return -1;
    if (strcmp(name, "deny_permission") != 0) {
        char *end = NULL;
        double v = value && *value ? strtod(value, &end) : 0;
        if (value && *value && (!end || *end)) return -1;
        return hrs_sim_set_fault(sim, name, v);
    }
    char *copy = value && *value ? strdup(value) : NULL;
    if (value && *value && !copy) return -1;
    pthread_mutex_lock(&sim->lock);
    free(sim->deny);
    sim->deny = copy;
    pthread_mutex_unlock(&sim->lock);
    return 0;
}

void hrs_sim_get_stats(hrs_sim *sim, hrs_sim_stats *out)
{
    if (!out) return;
    memset(out, 0, sizeof *out);
    if (!sim) return;
    pthread_mutex_lock(&sim->lock);
    *out = sim->stats;
    pthread_mutex_unlock(&sim->lock);
}

int hrs_sim_throttle_take(hrs_sim *s, double *retry_after)
{
    if (s->throttle_writes <= 0) return 0;
    double window = s->throttle_window_s > 0 ? s->throttle_window_s : SIM_WINDOW_S;
    double now = hrs_sim_mono(), rate = s->throttle_writes / window;
    s->bucket += (now - s->bucket_at) * rate;
    if (s->bucket > s->throttle_writes) s->bucket = s->throttle_writes;
    s->bucket_at = now;
    if (s->bucket >= 1.0) {
        s->bucket -= 1.0;
        return 0;
    }
    /* A throttled request does not take from the budget, so Retry-After is the time until one
     * write is free again. */
    *retry_after = (1.0 - s->bucket) / rate;
    return -1;
}

/* ---- deny_permission ------------------------------------------------------------------------ */

/* "[METHOD ]/a/{id}/b": 1 when the request's method and path (or its beginning) match. */
static int path_spec_matches(const char *spec, const sim_req *q)
{
    const char *path = spec;
    const char *sp = strchr(spec, ' ');
    if (sp && spec[0] != '/') {
        if ((size_t)(sp - spec) != strlen(q->method) || strncasecmp(spec, q->method, (size_t)(sp - spec)) != 0) return 0;
        path = sp + 1;
        while (*path == ' ') path++;
    }
    const char *p = path, *r = q->path;
    for (;;) {
        while (*p == '/') p++;
        while (*r == '/') r++;
        if (!*p) return 1;            /* the spec is a beginning of the path */
        if (!*r) return 0;
        size_t pl = strcspn(p, "/"), rl = strcspn(r, "/");
        int wild = (pl == 1 && *p == '*') || (pl == 4 && strncmp(p, "{id}", 4) == 0);
        if (!wild && (pl != rl || strncasecmp(p, r, pl) != 0)) return 0;
        p += pl;
        r += rl;
    }
}

static int spec_matches(const char *spec, const sim_req *q)
{
    if (strchr(spec, '/')) return path_spec_matches(spec, q);
    /* A property: a write whose body sets it. */
    if (strcmp(q->method, "GET") == 0 || !json_is_object(q->body)) return 0;
    const char *k;
    json_t *v;
    json_object_foreach(q->body, k, v)
        if (strcasecmp(k, spec) == 0) return 1;
    return 0;
}

int hrs_sim_denied(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    if (!s->deny) return 0;
    char *copy = strdup(s->deny), *save = NULL;
    int denied = 0;
    for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t && !denied; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        size_t l = strlen(t);
        while (l && t[l - 1] == ' ') t[--l] = '\0';
        if (*t) denied = spec_matches(t, q);
    }
    free(copy);
    if (!denied) return 0;
    s->stats.denied++;
    hrs_sim_fail(q, r, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");
    return 1;
}
