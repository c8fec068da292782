/* err.h: the error value every fallible hrsync function fills in.
 *
 * A function that can fail returns 0 on success and -1 on failure, and on failure writes one
 * human-readable sentence into the caller's hrs_err. The sentence names what the admin needs to
 * act: the file:line, the record, the HTTP status and the service's own code and message.
 * It never contains a secret. */
#ifndef HRSYNC_ERR_H
#define HRSYNC_ERR_H

#include <stddef.h>

#define HRS_ERR_MAX 2048

typedef struct hrs_err {
    int  set;               /* 1 once a message is written */
    int  http_status;       /* HTTP status when the error came from a service, else 0 */
    char code[96];          /* service error code (Graph error.code, AADSTS…), or "" */
    char msg[HRS_ERR_MAX];  /* the sentence */
} hrs_err;

/* Resets an error to "no error". */
void hrs_err_clear(hrs_err *e);

/* Writes a formatted message (printf rules) into e; returns -1 so callers can
 * `return hrs_err_set(err, …);`. e may be NULL. */
int hrs_err_set(hrs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Puts "prefix: " in front of the message already in e; returns -1. */
int hrs_err_prefix(hrs_err *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
