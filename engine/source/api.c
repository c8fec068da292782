/* api.c: the HTTP side shared by the API sources: rate limits, 429 back-off, retries,
 * secrets, error words, URL building (see api.h). */
#include "api.h"
#include "hrsync/log.h"
#include "hrsync/person.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define API_RING_MAX 4096        /* sends remembered for the per-minute window */
#define API_WINDOW_MARGIN 0.05   /* seconds added to each window: the server's clock sees our
                                    requests a little later than we send them */

double hrs_api_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hrs_api_sleep(double s)
{
    if (s <= 0) return;
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {}
}

int hrs_api_init(hrs_api *a, const char *what, long timeout_s, double per_second,
                 double per_minute, hrs_err *err)
{
    memset(a, 0, sizeof *a);
    a->what = what;
    a->per_second = per_second > 0 ? per_second : 0;
    a->per_minute = per_minute > 0 ? per_minute : 0;
    a->max_throttled = 8;
    a->max_retries = 3;
    a->backoff_s = 1.0;
    a->max_wait_s = 60.0;
    double want = a->per_minute > a->per_second ? a->per_minute : a->per_second;
    a->cap = want > API_RING_MAX ? API_RING_MAX : (size_t)want + 1;
    if (a->per_second > 0 || a->per_minute > 0) {
        a->stamps = calloc(a->cap, sizeof *a->stamps);
        if (!a->stamps) return hrs_err_set(err, "%s: out of memory", what);
    }
    a->http = hrs_http_new(timeout_s, err);
    if (!a->http) {
        free(a->stamps);
        a->stamps = NULL;
        return hrs_err_prefix(err, "%s", what);
    }
    return 0;
}

void hrs_api_free(hrs_api *a)
{
    if (!a) return;
    hrs_http_free(a->http);
    free(a->stamps);
    for (size_t i = 0; i < a->nsecrets; i++) {
        memset(a->secrets[i], 0, strlen(a->secrets[i]));
        free(a->secrets[i]);
    }
    memset(a, 0, sizeof *a);
}

void hrs_api_add_secret(hrs_api *a, const char *secret)
{
    if (!secret || strlen(secret) < 4) return;
    hrs_log_add_secret(secret);
    for (size_t i = 0; i < a->nsecrets; i++)
        if (strcmp(a->secrets[i], secret) == 0) return;
    if (a->nsecrets == HRS_API_SECRETS) {           /* keep the newest: drop the oldest */
        memset(a->secrets[0], 0, strlen(a->secrets[0]));
        free(a->secrets[0]);
        memmove(a->secrets, a->secrets + 1, (HRS_API_SECRETS - 1) * sizeof a->secrets[0]);
        a->nsecrets--;
    }
    char *copy = strdup(secret);
    if (copy) a->secrets[a->nsecrets++] = copy;
}

void hrs_api_redact(const hrs_api *a, hrs_err *err)
{
    if (!err) return;
    for (size_t i = 0; i < a->nsecrets; i++) {
        const char *s = a->secrets[i];
        size_t sl = strlen(s);
        char *hit;
        while ((hit = strstr(err->msg, s)) != NULL) {
            size_t tail = strlen(hit + sl);
            memcpy(hit, "***", 3);
            memmove(hit + 3, hit + sl, tail + 1);
        }
    }
}

/* ---- rate limit ---- */

/* The time of the k-th most recent send (k from 1), or -1 when fewer were made. */
static double nth_recent(const hrs_api *a, size_t k)
{
    if (k == 0 || k > a->n) return -1;
    size_t idx = (a->head + a->cap - k) % a->cap;
    return a->stamps[idx];
}

/* Waits until one more request fits in both windows, then records it. */
static void rate_take(hrs_api *a)
{
    if (!a->stamps) return;
    for (;;) {
        double now = hrs_api_now(), wait = 0;
        if (a->per_second > 0) {
            size_t k = (size_t)a->per_second;
            double t = k ? nth_recent(a, k) : -1;
            if (t >= 0 && now - t < 1.0 + API_WINDOW_MARGIN) wait = t + 1.0 + API_WINDOW_MARGIN - now;
        }
        if (a->per_minute > 0) {
            size_t k = (size_t)a->per_minute;
            if (k > a->cap) k = a->cap;
            double t = nth_recent(a, k);
            if (t >= 0 && now - t < 60.0 + API_WINDOW_MARGIN) {
                double w = t + 60.0 + API_WINDOW_MARGIN - now;
                if (w > wait) wait = w;
            }
        }
        if (wait <= 0) break;
        hrs_api_sleep(wait);
    }
    a->stamps[a->head] = hrs_api_now();
    a->head = (a->head + 1) % a->cap;
    if (a->n < a->cap) a->n++;
}

static int retryable(long status)
{
    return status == 502 || status == 503 || status == 504;
}

int hrs_api_send(hrs_api *a, const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, hrs_http_response *resp, hrs_err *err)
{
    int throttled = 0, retries = 0;
    double backoff = a->backoff_s;
    for (;;) {
        rate_take(a);
        a->requests++;
        if (hrs_http_request(a->http, method, url, headers, body, body_len, resp, err) != 0) {
            if (retries >= a->max_retries) {
                hrs_err_prefix(err, "%s", a->what);
                hrs_api_redact(a, err);
                return -1;
            }
            retries++;
            a->retries++;
            hrs_warn("%s: %s; retrying in %.0f s", a->what, err->msg, backoff);
            hrs_err_clear(err);
            hrs_api_sleep(backoff);
            backoff = backoff * 2 > a->max_wait_s ? a->max_wait_s : backoff * 2;
            continue;
        }
        double wait = -1;
        if (resp->status == 429 && throttled < a->max_throttled) {
            throttled++;
            a->throttled++;
            wait = resp->retry_after >= 0 ? resp->retry_after : backoff;
        } else if (retryable(resp->status) && retries < a->max_retries) {
            retries++;
            a->retries++;
            wait = resp->retry_after >= 0 ? resp->retry_after : backoff;
        }
        if (wait < 0) return 0;
        if (wait > a->max_wait_s) wait = a->max_wait_s;
        if (resp->retry_after < 0) backoff = backoff * 2 > a->max_wait_s ? a->max_wait_s : backoff * 2;
        hrs_debug("%s: HTTP %ld; waiting %.1f s before trying again", a->what, resp->status, wait);
        hrs_http_response_clear(resp);
        hrs_api_sleep(wait);
    }
}

/* ---- the service's words ---- */

/* Copies s (len bytes) into out as printable text: control characters become ' ', at most n-1
 * bytes, cut before a whole UTF-8 character, "…" when cut. */
static void printable(char *out, size_t n, const char *s, size_t len)
{
    size_t o = 0, i = 0;
    if (n == 0) return;
    while (i < len) {
        unsigned char c = (unsigned char)s[i];
        size_t cl = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
        if (cl > len - i) cl = len - i;
        if (o + cl + 4 > n) break;                  /* keep room for "…" and the NUL */
        for (size_t k = 0; k < cl; k++) {
            unsigned char b = (unsigned char)s[i + k];
            out[o++] = (b < 0x20 || b == 0x7F) ? ' ' : (char)b;
        }
        i += cl;
    }
    if (i < len && o + 4 <= n) {
        memcpy(out + o, "\xE2\x80\xA6", 3);
        o += 3;
    }
    out[o] = '\0';
}

static void json_text(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v)) printable(out, n, json_string_value(v), json_string_length(v));
    else if (json_is_integer(v)) snprintf(out, n, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else out[0] = '\0';
}

void hrs_api_error_words(const char *body, size_t len, char *out, size_t n, char *code,
                         size_t code_n)
{
    out[0] = '\0';
    if (code && code_n) code[0] = '\0';
    json_t *doc = body && len ? json_loadb(body, len, JSON_DECODE_ANY, NULL) : NULL;
    if (json_is_array(doc) && json_array_size(doc) == 1) {      /* [{status, errors:[…]}] */
        json_t *first = json_incref(json_array_get(doc, 0));
        json_decref(doc);
        doc = first;
    }
    if (json_is_object(doc)) {
        json_t *e = json_object_get(doc, "error"), *m = json_object_get(doc, "message");
        json_t *c = NULL;
        if (json_is_object(e)) {                                /* Personio, Graph */
            m = json_object_get(e, "message");
            c = json_object_get(e, "code");
        } else if (json_is_string(e) && json_is_string(json_object_get(doc, "error_description"))) {
            m = json_object_get(doc, "error_description");      /* OAuth */
            c = e;
        } else if (json_is_array(json_object_get(doc, "errors"))) {
            json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
            if (json_is_object(first)) {
                m = json_object_get(first, "detail");
                if (!m) m = json_object_get(first, "title");
            }
        }
        if (json_is_array(m)) {                                 /* AlexisHR validation list */
            size_t i, o = 0;
            json_t *item;
            json_array_foreach(m, i, item) {
                char part[256];
                json_text(item, part, sizeof part);
                if (!part[0] || o + 3 >= n) continue;
                int w = snprintf(out + o, n - o, "%s%s", o ? "; " : "", part);
                if (w < 0) break;
                o += (size_t)w < n - o ? (size_t)w : n - o - 1;
            }
        } else {
            json_text(m, out, n);
        }
        if (!out[0] && json_is_string(e)) json_text(e, out, n);
        if (code && code_n) {
            if (c) json_text(c, code, code_n);
            else if (json_is_string(e) && json_is_object(doc) && json_object_get(doc, "statusCode"))
                json_text(e, code, code_n);                     /* AlexisHR "Unauthorized" */
        }
    }
    json_decref(doc);
    if (!out[0]) {
        if (body && len) printable(out, n > 200 ? 200 : n, body, len);
        else snprintf(out, n, "(empty answer)");
    }
}

int hrs_api_status_error(const hrs_api *a, const char *method, const char *url,
                         const hrs_http_response *resp, const char *context, hrs_err *err)
{
    char words[600], code[96], shown[512];
    size_t ul = strcspn(url, "?");
    if (ul >= sizeof shown) ul = sizeof shown - 1;
    memcpy(shown, url, ul);
    shown[ul] = '\0';
    hrs_api_error_words(resp->body, resp->len, words, sizeof words, code, sizeof code);
    hrs_err_set(err, "%s: %s %s%s%s: HTTP %ld: %s%s%s%s", a->what, method, shown,
                context ? " " : "", context ? context : "", resp->status, words,
                code[0] && !strstr(words, code) ? " (code " : "", code[0] && !strstr(words, code) ? code : "",
                code[0] && !strstr(words, code) ? ")" : "");
    if (err) {
        err->http_status = (int)resp->status;
        snprintf(err->code, sizeof err->code, "%s", code);
    }
    hrs_api_redact(a, err);
    return -1;
}

json_t *hrs_api_json(const hrs_http_response *resp, char *why, size_t n)
{
    json_error_t jerr;
    json_t *doc = json_loadb(resp->body, resp->len, 0, &jerr);
    if (doc) return doc;
    char start[120];
    printable(start, sizeof start, resp->body, resp->len);
    snprintf(why, n, "the answer is not valid JSON (%s at line %d, column %d); it begins: \"%s\"",
             jerr.text, jerr.line, jerr.column, resp->len ? start : "(empty)");
    return NULL;
}

/* ---- secrets ---- */

static char *read_secret_file(const char *what, const char *key, const char *path, hrs_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        hrs_err_set(err, "%s: cannot read the file %s names (%s): %s", what, key, path,
                    strerror(errno));
        return NULL;
    }
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    int bad = ferror(f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
                 buf[n - 1] == '\t'))
        buf[--n] = '\0';
    char *s = NULL;
    if (bad) hrs_err_set(err, "%s: cannot read the file %s names (%s)", what, key, path);
    else if (n == 0) hrs_err_set(err, "%s: the file %s names (%s) is empty", what, key, path);
    else if (strlen(buf) != n) hrs_err_set(err, "%s: the file %s names (%s) holds a NUL byte", what, key, path);
    else if (!(s = strdup(buf))) hrs_err_set(err, "%s: out of memory", what);
    memset(buf, 0, sizeof buf);
    return s;
}

int hrs_api_secret(const json_t *cfg, const char *what, const char *name, int required,
                   char **out, hrs_err *err)
{
    char env_key[96], file_key[96];
    *out = NULL;
    snprintf(env_key, sizeof env_key, "%s_env", name);
    snprintf(file_key, sizeof file_key, "%s_file", name);
    if (json_object_get(cfg, name))
        return hrs_err_set(err, "%s: `%s`: secrets are not read from the config file; name an "
                           "environment variable with %s or a file with %s", what, name,
                           env_key, file_key);
    json_t *env = json_object_get(cfg, env_key), *file = json_object_get(cfg, file_key);
    if ((env && !json_is_string(env)) || (file && !json_is_string(file)))
        return hrs_err_set(err, "%s: `%s` must be a string", what,
                           env && !json_is_string(env) ? env_key : file_key);
    if (env && file)
        return hrs_err_set(err, "%s: give either %s or %s, not both", what, env_key, file_key);
    if (env) {
        const char *v = getenv(json_string_value(env));
        if (!v || !*v)
            return hrs_err_set(err, "%s: %s names the environment variable %s, which is not set",
                               what, env_key, json_string_value(env));
        *out = strdup(v);
        if (!*out) return hrs_err_set(err, "%s: out of memory", what);
        return 0;
    }
    if (file) {
        *out = read_secret_file(what, file_key, json_string_value(file), err);
        return *out ? 0 : -1;
    }
    if (required)
        return hrs_err_set(err, "%s: needs %s (an environment variable) or %s (a file) for %s",
                           what, env_key, file_key, name);
    return 0;
}

/* ---- strings and URLs ---- */

static int buf_grow(hrs_api_buf *b, size_t more)
{
    if (b->oom) return -1;
    if (b->cap - b->len > more) return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len <= more) cap *= 2;
    char *np = malloc(cap);
    if (!np) {
        b->oom = 1;
        return -1;
    }
    if (b->p) {
        memcpy(np, b->p, b->len + 1);
        memset(b->p, 0, b->cap);                 /* bodies can hold secrets */
        free(b->p);
    }
    b->p = np;
    b->cap = cap;
    return 0;
}

void hrs_api_buf_addn(hrs_api_buf *b, const char *s, size_t n)
{
    if (buf_grow(b, n + 1) != 0) return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void hrs_api_buf_add(hrs_api_buf *b, const char *s)
{
    hrs_api_buf_addn(b, s, strlen(s));
}

void hrs_api_buf_addf(hrs_api_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || buf_grow(b, (size_t)n + 1) != 0) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void hrs_api_buf_query(hrs_api_buf *b, const char *key, const char *value)
{
    char *k = hrs_http_escape(key), *v = hrs_http_escape(value);
    if (!k || !v) {
        b->oom = 1;
    } else {
        hrs_api_buf_add(b, b->p && strchr(b->p, '?') ? "&" : "?");
        hrs_api_buf_add(b, k);
        hrs_api_buf_add(b, "=");
        hrs_api_buf_add(b, v);
    }
    free(k);
    free(v);
}

void hrs_api_buf_free(hrs_api_buf *b)
{
    if (b->p) {
        memset(b->p, 0, b->cap);
        free(b->p);
    }
    memset(b, 0, sizeof *b);
}

char *hrs_api_base(const char *base)
{
    size_t n = strlen(base);
    while (n > 0 && base[n - 1] == '/') n--;
    return strndup(base, n);
}

/* ---- config values ---- */

static int positive_number(const json_t *v, double *out)
{
    if (!json_is_number(v) || json_number_value(v) < 0) return -1;
    *out = json_number_value(v);
    return 0;
}

int hrs_api_cfg_rate_limit(const json_t *cfg, const char *what, double *ps, double *pm,
                           hrs_err *err)
{
    json_t *rl = json_object_get(cfg, "rate_limit");
    if (!rl || json_is_null(rl)) return 0;
    if (json_is_false(rl)) {
        *ps = *pm = 0;
        return 0;
    }
    if (!json_is_object(rl))
        return hrs_err_set(err, "%s: `rate_limit` must be a table { per_second = N, per_minute "
                           "= M } or false", what);
    const char *k;
    json_t *v;
    json_object_foreach(rl, k, v) {
        double d;
        if (strcmp(k, "per_second") != 0 && strcmp(k, "per_minute") != 0)
            return hrs_err_set(err, "%s: unknown setting rate_limit.%s (known: per_second, "
                               "per_minute)", what, k);
        if (positive_number(v, &d) != 0)
            return hrs_err_set(err, "%s: rate_limit.%s must be a number >= 0 (0 = no limit)",
                               what, k);
        if (strcmp(k, "per_second") == 0) *ps = d;
        else *pm = d;
    }
    return 0;
}

int hrs_api_cfg_int(const json_t *cfg, const char *what, const char *key, long min, long max,
                    long def, long *out, hrs_err *err)
{
    json_t *v = json_object_get(cfg, key);
    *out = def;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max)
        return hrs_err_set(err, "%s: `%s` must be a whole number from %ld to %ld", what, key,
                           min, max);
    *out = (long)json_integer_value(v);
    return 0;
}

int hrs_api_append_page(json_t *employees, const json_t *data, long offset)
{
    size_t i;
    json_t *emp;
    json_array_foreach(data, i, emp) {
        json_t *e = json_pack("{s:I, s:O}", "index", (json_int_t)(offset + (long)i), "employee", emp);
        if (!e || json_array_append_new(employees, e) != 0) return -1;
    }
    return 0;
}

int hrs_api_reject_page(struct hrs_person_set *set, const char *what, long *offset, long limit,
                        long total, long *bad_in_row, const char *why, hrs_err *err)
{
    char reason[1024];
    snprintf(reason, sizeof reason, "the page of employees at offset %ld (records %ld to %ld) "
             "could not be read: %s", *offset, *offset, *offset + limit - 1, why);
    hrs_warn("%s: %s", what, reason);
    hrs_person_where where = { "index", *offset };
    if (hrs_person_set_reject(set, where, NULL, reason, err) != 0) return -1;
    if (total < 0 && ++*bad_in_row >= HRS_API_MAX_BAD_PAGES)
        return hrs_err_set(err, "%s: %ld pages in a row could not be read (the last: %s)", what, *bad_in_row, why);
    *offset += limit;
    return total >= 0 && *offset >= total ? 1 : 0;
}
