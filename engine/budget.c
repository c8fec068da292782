/* budget.c: the client-side write budget, a token bucket (see include/hrsync/budget.h). */
#include "hrsync/budget.h"

void hrs_budget_init(hrs_budget *b, double writes, double window_s, double now)
{
    b->capacity = writes > 0 && window_s > 0 ? writes : 0;
    b->rate = b->capacity > 0 ? writes / window_s : 0;
    b->tokens = b->capacity;
    b->at = now;
    b->paused_until = 0;
}

static void refill(hrs_budget *b, double now)
{
    if (now > b->at) {
        b->tokens += (now - b->at) * b->rate;
        if (b->tokens > b->capacity) b->tokens = b->capacity;
        b->at = now;
    }
}

double hrs_budget_wait(hrs_budget *b, double n, double now)
{
    if (b->capacity <= 0) return 0;
    refill(b, now);
    if (n > b->capacity) n = b->capacity;
    double wait = n > b->tokens ? (n - b->tokens) / b->rate : 0;
    if (b->paused_until > now + wait) wait = b->paused_until - now;
    return wait > 0 ? wait : 0;
}

double hrs_budget_available(hrs_budget *b, double now)
{
    if (b->capacity <= 0) return 1e18;
    refill(b, now);
    return b->paused_until > now ? 0 : b->tokens;
}

void hrs_budget_take(hrs_budget *b, double n, double now)
{
    if (b->capacity <= 0) return;
    refill(b, now);
    b->tokens -= n;
}

void hrs_budget_throttled(hrs_budget *b, double retry_after, double now)
{
    if (b->capacity <= 0) return;
    refill(b, now);
    if (b->tokens > 0) b->tokens = 0;
    if (retry_after > 0 && now + retry_after > b->paused_until) b->paused_until = now + retry_after;
}
