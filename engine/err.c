/* err.c: formatting of hrs_err values (see include/hrsync/err.h). */
#include "hrsync/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void hrs_err_clear(hrs_err *e)
{
    if (!e) return;
    memset(e, 0, sizeof *e);
}

int hrs_err_set(hrs_err *e, const char *fmt, ...)
{
    if (!e) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    e->set = 1;
    return -1;
}

int hrs_err_prefix(hrs_err *e, const char *fmt, ...)
{
    if (!e) return -1;
    char head[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(head, sizeof head, fmt, ap);
    va_end(ap);
    char old[HRS_ERR_MAX];
    memcpy(old, e->msg, sizeof old);
    size_t hl = strlen(head);
    if (hl > sizeof e->msg - 3) hl = sizeof e->msg - 3;
    memcpy(e->msg, head, hl);
    memcpy(e->msg + hl, ": ", 2);
    size_t room = sizeof e->msg - hl - 3, ol = strnlen(old, sizeof old);
    if (ol > room) ol = room;
    memcpy(e->msg + hl + 2, old, ol);
    e->msg[hl + 2 + ol] = '\0';
    e->set = 1;
    return -1;
}
