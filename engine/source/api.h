/* api.h: the HTTP side shared by the API sources in engine/source/ (Personio, AlexisHR,
 * sources scripted in Lua); not part of the public API.
 *
 * An hrs_api wraps one hrs_http client with what every HR API needs: a client-side rate limit
 * (requests per second and per minute, as sliding windows), 429 back-off that honours
 * Retry-After and backs off exponentially without it, retries of 502/503/504 and transport
 * failures, and the secrets of the read, masked in every message it writes. Beside it: a
 * growable string for URLs and bodies, secrets read from an environment variable or a file,
 * and the service's own words out of an error body. */
#ifndef HRSYNC_SOURCE_API_H
#define HRSYNC_SOURCE_API_H

#include <stddef.h>
#include <jansson.h>
#include "hrsync/err.h"
#include "hrsync/http.h"

#define HRS_API_SECRETS 8

typedef struct hrs_api {
    hrs_http *http;               /* owned */
    const char *what;             /* the service, for messages ("Personio"); a literal */
    double per_second, per_minute;/* client-side limits; 0 = none */
    double *stamps;               /* ring of recent send times (monotonic seconds), owned */
    size_t cap, n, head;          /* ring size, stamps held, next slot */
    int max_throttled;            /* 429 answers taken per request before giving up */
    int max_retries;              /* 5xx / transport retries per request */
    double backoff_s;             /* first wait after a 429 without Retry-After or a 5xx */
    double max_wait_s;            /* longest single wait */
    long requests, throttled, retries;      /* counters of this client */
    char *secrets[HRS_API_SECRETS];         /* copies, wiped on free */
    size_t nsecrets;
} hrs_api;

/* Prepares a client for service `what` (a literal) with the request timeout timeout_s (0 = 60)
 * and the rate limits (0 = none). Returns 0, or -1 with err. Free with hrs_api_free. */
int hrs_api_init(hrs_api *a, const char *what, long timeout_s, double per_second,
                 double per_minute, hrs_err *err);

/* Frees the client and wipes the secrets. Safe on a zeroed or freed hrs_api. */
void hrs_api_free(hrs_api *a);

/* Keeps a copy of a secret value (client secret, token) to mask in messages, and registers it
 * with the logger. Values shorter than 4 bytes are ignored. */
void hrs_api_add_secret(hrs_api *a, const char *secret);

/* Replaces every secret of a in err->msg by "***". */
void hrs_api_redact(const hrs_api *a, hrs_err *err);

/* Sends a request through the rate limit, waiting out 429s (Retry-After, else backoff_s doubling
 * up to max_wait_s) and retrying 502/503/504 and transport failures. The last answer is returned
 * whatever its status (a 429 after max_throttled tries too); -1 only for transport failures that
 * outlasted the retries (err names the URL without its query). resp as in hrs_http_request. */
int hrs_api_send(hrs_api *a, const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, hrs_http_response *resp, hrs_err *err);

/* Fills err with "<what>: <METHOD> <url without query>: HTTP <status>: <the service's words>"
 * and sets err->http_status and err->code (the service's code when it sends one). Secrets are
 * masked. Returns -1. context (may be NULL) is added after the status: "(offset 200)". */
int hrs_api_status_error(const hrs_api *a, const char *method, const char *url,
                         const hrs_http_response *resp, const char *context, hrs_err *err);

/* The service's words out of an error body: Personio {"error":{"code","message"}}, AlexisHR
 * {"statusCode","message" (string or list),"error"}, OAuth {"error","error_description"},
 * {"message"} or {"error":"…"}; otherwise the start of the body as text. code gets the
 * service's own code ("" when none). Control characters are replaced, the text is cut on a
 * UTF-8 boundary. */
void hrs_api_error_words(const char *body, size_t len, char *out, size_t n, char *code,
                         size_t code_n);

/* Parses a JSON answer. Returns the document (caller owns), or NULL with why (the parse error
 * and the start of the body) in the caller's buffer. */
json_t *hrs_api_json(const hrs_http_response *resp, char *why, size_t n);

/* Reads the secret the source config names: cfg["<name>_env"] (an environment variable) or
 * cfg["<name>_file"] (a file, whose trailing line break is dropped; relative paths are resolved
 * by the config loader). cfg["<name>"] itself is refused: secrets are never read from the
 * config. On success *out is a new string (caller frees; wipe it first), or NULL when neither
 * key is given and required is 0. Returns 0, or -1 with err (neither key given when required,
 * the variable unset or empty, the file unreadable or empty). The message never holds the
 * value. */
int hrs_api_secret(const json_t *cfg, const char *what, const char *name, int required,
                   char **out, hrs_err *err);

/* A growable NUL-terminated string. Zero it to start; any failed append sets oom and makes later
 * appends no-ops. Free p with hrs_api_buf_free (which wipes it). */
typedef struct hrs_api_buf {
    char *p;
    size_t len, cap;
    int oom;
} hrs_api_buf;

void hrs_api_buf_add(hrs_api_buf *b, const char *s);
void hrs_api_buf_addn(hrs_api_buf *b, const char *s, size_t n);
void hrs_api_buf_addf(hrs_api_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends "?key=value" or "&key=value" (the separator chosen by whether p holds a '?'), both
 * percent-encoded. */
void hrs_api_buf_query(hrs_api_buf *b, const char *key, const char *value);
void hrs_api_buf_free(hrs_api_buf *b);

/* Copies base without its trailing slashes into a new string (caller frees), or NULL. */
char *hrs_api_base(const char *base);

/* The monotonic clock in seconds. */
double hrs_api_now(void);

/* Sleeps s seconds (s <= 0: returns at once). */
void hrs_api_sleep(double s);

/* Reads cfg.rate_limit = { per_second = N, per_minute = M } over the defaults in ps and pm;
 * rate_limit = false switches both off. Returns 0, or -1 with err naming the bad value. */
int hrs_api_cfg_rate_limit(const json_t *cfg, const char *what, double *ps, double *pm,
                           hrs_err *err);

/* Unreadable pages in a row, before the total is known, that end a read. */
#define HRS_API_MAX_BAD_PAGES 3

/* Appends each employee of a page (the array data, starting at record offset) to employees as
 * {index, employee}. Returns 0, or -1 when out of memory. */
int hrs_api_append_page(json_t *employees, const json_t *data, long offset);

/* A page of employees that could not be read: quarantines its records (offset and limit are
 * record counts) with a reason naming them and why, logs it as a warning, and moves *offset to
 * the next page. total is the record count once known (-1 before); *bad_in_row counts the
 * unreadable pages in a row (the caller resets it after a good page). Returns 0 to read on, 1
 * when that was the last page, -1 with err (also after HRS_API_MAX_BAD_PAGES in a row before
 * the total is known). */
struct hrs_person_set;
int hrs_api_reject_page(struct hrs_person_set *set, const char *what, long *offset, long limit,
                        long total, long *bad_in_row, const char *why, hrs_err *err);

/* The integer cfg[key] in [min, max], or def when absent. Returns 0, or -1 with err. */
int hrs_api_cfg_int(const json_t *cfg, const char *what, const char *key, long min, long max,
                    long def, long *out, hrs_err *err);

#endif
