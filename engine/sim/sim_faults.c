/* sim_faults.c: the faults and limits a test can switch on (hrs_sim_set_fault), the counters
 * (hrs_sim_get_stats), and the write token bucket behind 429 TooManyRequests: N writes per
 * 150-second window per app and tenant, refilled continuously (graph.md §5). */
#include "sim_internal.h"

#include <string.h>

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
    } else if (strcmp(name, "fail_5xx") == 0) {
        sim->fail_5xx = (long)v;
    } else if (strcmp(name, "slow_ms") == 0) {
        sim->slow_ms = v;
    } else if (strcmp(name, "token_ttl") == 0) {
        sim->token_ttl = v > 0 ? v : SIM_TOKEN_TTL;
    } else if (strcmp(name, "replication_delay_ms") == 0) {
        sim->replication_delay_ms = v;
    } else if (strcmp(name, "shuffle_batch") == 0) {
        sim->shuffle_batch = value != 0;
    } else if (strcmp(name, "expire_tokens") == 0) {
        if (value != 0) {   /* every token issued so far expires now */
            const char *k;
            json_t *t;
            double now = hrs_sim_mono();
            json_object_foreach(sim->tokens, k, t)
                if (json_real_value(t) > now) json_real_set(t, now);
        }
    } else {
        rc = -1;
    }
    pthread_mutex_unlock(&sim->lock);
    return rc;
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
    double now = hrs_sim_mono(), rate = s->throttle_writes / SIM_WINDOW_S;
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
