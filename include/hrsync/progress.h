/* progress.h: one progress line on a terminal while a plan is applied: people read, operations
 * done of the total, the rate, and the time left under the Graph write limit (3,000 writes per
 * 150 s per app and tenant, about 20 per second; shared/reference/graph.md §5). Redrawn in place
 * (\r) at most every 250 ms, from the first update after HRS_PROGRESS_AFTER_S (a short run shows
 * nothing); nothing is written when the stream is not a terminal. */
#ifndef HRSYNC_PROGRESS_H
#define HRSYNC_PROGRESS_H

#include <stddef.h>
#include <stdio.h>

#define HRS_PROGRESS_WRITE_RATE 20.0   /* Graph writes per second an app may sustain */
#define HRS_PROGRESS_WRITE_BURST 3000  /* writes per 150 s window */
#define HRS_PROGRESS_AFTER_S 1.0       /* seconds before the line first appears */

typedef struct hrs_progress hrs_progress;

/* A progress line on out for a plan over `people` persons; NULL when out is not a terminal
 * (every function accepts NULL). The caller frees it with hrs_progress_free. */
hrs_progress *hrs_progress_new(FILE *out, size_t people);
void hrs_progress_free(hrs_progress *p);

/* The callback of hrs_engine_cycle / hrs_apply_ctx (ud is the hrs_progress). */
void hrs_progress_update(void *ud, size_t done, size_t total);

/* Ends the line (a newline) if anything was drawn. */
void hrs_progress_finish(hrs_progress *p);

/* Formats the line (without \r) for the given state: the text the terminal shows. */
void hrs_progress_format(char *buf, size_t n, size_t people, size_t done, size_t total, double elapsed_s);

#endif
