/* hrsim_internal.h: the HR simulator's state and helpers, shared by engine/sim/hrsim*.c (not
 * part of the public API; see include/hrsync/hrsim.h). */
#ifndef HRSYNC_HRSIM_INTERNAL_H
#define HRSYNC_HRSIM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <jansson.h>
#include "hrsync/err.h"
#include "hrsync/hrsim.h"

#define HRSIM_BODY_MAX (1u << 20)
#define HRSIM_PIO_PER_MINUTE 300     /* GET /company/employees, from 2024-05-06 */
#define HRSIM_PIO_PER_SECOND 15
#define HRSIM_AUTH_PER_MINUTE 60     /* POST /auth */
#define HRSIM_TOKEN_TTL 86400.0

/* A sliding window of accepted requests. */
typedef struct hrsim_window {
    double stamps[HRSIM_PIO_PER_MINUTE];
    size_t head, n;
} hrsim_window;

struct hrs_hrsim {
    struct MHD_Daemon *daemon;
    pthread_mutex_t lock;            /* guards everything below */
    unsigned short port;
    char *bind;
    char *pio_id, *pio_secret, *alexis_token, *custom_user, *custom_password;
    json_t *pio_people;              /* array of Personio employees */
    json_t *alexis_people;           /* array of AlexisHR employees */
    json_t *alexis_relations;        /* {"department":[…], "office":[…]} */
    json_t *pio_tokens;              /* token -> issue time (monotonic), for valid tokens */
    char pio_token[96];              /* the credential's current token, or "" */
    hrsim_window pio_window, auth_window;
    int rate_limits, retry_after, rotate_tokens;
    long throttle_next, malformed_page, malformed_alexis_page, expire_after;
    hrs_hrsim_stats stats;
};

/* One request, as the handlers see it. */
typedef struct hrsim_req {
    const char *method;
    const char *path;                /* decoded, below the system's prefix ("/auth") */
    json_t *query;                   /* decoded name -> array of decoded values */
    json_t *headers;                 /* lower-case name -> value */
    const char *body;                /* may be NULL */
    size_t len;
    char base[300];                  /* "http://host:port", for links */
} hrsim_req;

/* One answer. */
typedef struct hrsim_resp {
    int status;
    char *body;                      /* owned text, or NULL */
    const char *type;                /* content type (a literal) */
    json_t *headers;                 /* name -> value, or NULL */
} hrsim_resp;

json_t *hrs_hrsim_query_parse(const char *qs);
const char *hrs_hrsim_query(const hrsim_req *q, const char *name);   /* the first value, or NULL */
const char *hrs_hrsim_header(const hrsim_req *q, const char *lname);
/* Sets a JSON answer (body is stolen; NULL = no body). */
void hrs_hrsim_reply(hrsim_resp *r, int status, json_t *body);
void hrs_hrsim_reply_text(hrsim_resp *r, int status, const char *type, const char *text);
void hrs_hrsim_resp_header(hrsim_resp *r, const char *name, const char *value);
void hrs_hrsim_resp_free(hrsim_resp *r);
double hrs_hrsim_mono(void);
/* Takes one request from the window: 0, or -1 (throttled) when per_second (0 = none) requests
 * were accepted in the last second or per_minute in the last minute. */
int hrs_hrsim_window_take(hrsim_window *w, int per_second, int per_minute);
/* Parses an ISO 8601 date or date-time (offset optional, taken as UTC without) into epoch
 * seconds. Returns 0, or -1. */
int hrs_hrsim_iso_epoch(const char *s, double *out);
/* A long from text: 0, or -1 when s is not a whole number in [min, max]. */
int hrs_hrsim_long(const char *s, long min, long max, long *out);
/* Checks HTTP Basic credentials: 1 if the header holds user (and password, unless NULL). */
int hrs_hrsim_basic_ok(const hrsim_req *q, const char *user, const char *password);
/* The value inside a Personio attribute envelope (or the value itself). */
const json_t *hrs_hrsim_pio_value(const json_t *attribute);
/* The employee's attribute value by key (unwrapped), or NULL. */
const json_t *hrs_hrsim_pio_attr(const json_t *employee, const char *key);
/* The id of a person as text in buf ("" when none). system: 'p' Personio, 'a' AlexisHR. */
void hrs_hrsim_person_id(const json_t *person, char system, char *buf, size_t n);
/* The 429 fault: 1 (and the counter taken) when the next data request is to be throttled. */
int hrs_hrsim_fault_throttle(hrs_hrsim *s);
/* Adds Retry-After when the simulator sends it. */
void hrs_hrsim_retry_after(const hrs_hrsim *s, hrsim_resp *r);

/* ---- the systems (called with the lock held) ---- */
void hrs_hrsim_personio(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r);
void hrs_hrsim_alexishr(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r);
void hrs_hrsim_custom(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r);
void hrs_hrsim_bamboohr(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r);
/* A Personio employee as a flat person {id, first_name, …, hire_date "YYYY-MM-DD"} (new). */
json_t *hrs_hrsim_flat_person(const json_t *employee);

#endif
