/* progress.c: the progress line of a long apply at a terminal (see include/hrsync/progress.h). */
#include "hrsync/progress.h"

#include <stdlib.h>
#include <time.h>
#include <unistd.h>

struct hrs_progress {
    FILE *out;
    size_t people;
    double start, last;
    int drawn;
};

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

hrs_progress *hrs_progress_new(FILE *out, size_t people)
{
    if (!out || !isatty(fileno(out))) return NULL;
    hrs_progress *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->out = out;
    p->people = people;
    p->start = mono();
    p->last = -1;
    return p;
}

void hrs_progress_free(hrs_progress *p) { free(p); }

static void duration(char *buf, size_t n, double s)
{
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, n, "%ldh%02ldm", t / 3600, (t % 3600) / 60);
    else if (t >= 60) snprintf(buf, n, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, n, "%lds", t);
}

void hrs_progress_format(char *buf, size_t n, size_t people, size_t done, size_t total, double elapsed_s)
{
    double rate = elapsed_s > 0 ? (double)done / elapsed_s : 0;
    size_t left = total > done ? total - done : 0;
    /* A plan larger than one write window is bound by the sustained write rate. */
    double eff = rate;
    if (total > HRS_PROGRESS_WRITE_BURST && (eff <= 0 || eff > HRS_PROGRESS_WRITE_RATE)) eff = HRS_PROGRESS_WRITE_RATE;
    char eta[32] = "?";
    if (left == 0) snprintf(eta, sizeof eta, "0s");
    else if (eff > 0) duration(eta, sizeof eta, (double)left / eff);
    int pct = total ? (int)((double)done * 100.0 / (double)total) : 100;
    snprintf(buf, n, "%zu people read · %zu/%zu operations applied (%d%%) · %.1f/s · about %s left", people, done, total,
             pct, rate, eta);
}

void hrs_progress_update(void *ud, size_t done, size_t total)
{
    hrs_progress *p = ud;
    if (!p) return;
    double now = mono();
    if (!p->drawn && now - p->start < HRS_PROGRESS_AFTER_S) return; /* a short run shows nothing */
    if (done < total && p->last >= 0 && now - p->last < 0.25) return;
    p->last = now;
    char line[256];
    hrs_progress_format(line, sizeof line, p->people, done, total, now - p->start);
    fprintf(p->out, "\r%s\033[K", line);
    fflush(p->out);
    p->drawn = 1;
}

void hrs_progress_finish(hrs_progress *p)
{
    if (p && p->drawn) fputc('\n', p->out);
}
