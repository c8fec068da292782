/* budget.h: a client-side write budget (a token bucket), so that hrsync stays under Microsoft
 * Graph's documented write limit (3,000 writes per 150 s per app and tenant, graph.md §5) and
 * rarely meets a 429 at all.
 *
 * The bucket holds at most `writes` tokens and refills continuously at writes / window_s per
 * second; every write request (POST, PATCH, PUT, DELETE, also inside a $batch) takes one. After
 * a 429 the bucket is emptied and paused for the answer's Retry-After. Time is an argument
 * (seconds on any monotonic clock), so the arithmetic is tested without sleeping. */
#ifndef HRSYNC_BUDGET_H
#define HRSYNC_BUDGET_H

typedef struct hrs_budget {
    double capacity;      /* writes per window; <= 0: no budget (never waits) */
    double rate;          /* writes per second */
    double tokens;        /* writes that may go now */
    double at;            /* when tokens was last brought up to date */
    double paused_until;  /* after a 429: nothing goes before this */
} hrs_budget;

/* Starts a full bucket of `writes` per `window_s` seconds at time now. writes <= 0 or
 * window_s <= 0 switches the budget off. */
void hrs_budget_init(hrs_budget *b, double writes, double window_s, double now);

/* Seconds to wait from now before n writes may go (0: at once). n above the capacity counts as
 * the capacity, so a large batch waits for a full bucket, never forever. */
double hrs_budget_wait(hrs_budget *b, double n, double now);

/* The writes that may go at once at time now (0 while paused after a 429; a large number when
 * there is no budget). */
double hrs_budget_available(hrs_budget *b, double now);

/* Takes n writes at time now (the bucket may go below zero: later writes then wait longer). */
void hrs_budget_take(hrs_budget *b, double n, double now);

/* The service answered 429 with Retry-After retry_after seconds (< 0: none given): the bucket
 * is emptied and nothing goes before now + retry_after. */
void hrs_budget_throttled(hrs_budget *b, double retry_after, double now);

#endif
