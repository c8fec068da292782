/* hrsim_util.c: small helpers of the HR simulator: query strings, answers, rate windows, dates,
 * Basic auth, Personio attribute envelopes (see hrsim_internal.h). */
#include "hrsim_internal.h"
#include "sim_http.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

json_t *hrs_hrsim_query_parse(const char *qs)
{
    json_t *q = json_object();
    if (!q || !qs) return q;
    const char *p = qs;
    while (*p) {
        size_t len = strcspn(p, "&");
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        char *k = hrs_simhttp_url_decode(p, kl, 1);
        char *v = eq ? hrs_simhttp_url_decode(eq + 1, len - kl - 1, 1) : strdup("");
        if (k && v && *k) {
            json_t *list = json_object_get(q, k);
            if (!list) {
                list = json_array();
                json_object_set_new(q, k, list);
            }
            json_array_append_new(list, json_string(v));
        }
        free(k);
        free(v);
        p += len;
        if (*p) p++;
    }
    return q;
}

const char *hrs_hrsim_query(const hrsim_req *q, const char *name)
{
    return json_string_value(json_array_get(json_object_get(q->query, name), 0));
}

const char *hrs_hrsim_header(const hrsim_req *q, const char *lname)
{
    return json_string_value(json_object_get(q->headers, lname));
}

void hrs_hrsim_reply(hrsim_resp *r, int status, json_t *body)
{
    r->status = status;
    free(r->body);
    r->body = body ? json_dumps(body, JSON_COMPACT) : NULL;
    r->type = "application/json; charset=utf-8";
    json_decref(body);
}

void hrs_hrsim_reply_text(hrsim_resp *r, int status, const char *type, const char *text)
{
    r->status = status;
    free(r->body);
    r->body = text ? strdup(text) : NULL;
    r->type = type;
}

void hrs_hrsim_resp_header(hrsim_resp *r, const char *name, const char *value)
{
    if (!r->headers) r->headers = json_object();
    if (r->headers) json_object_set_new(r->headers, name, json_string(value));
}

void hrs_hrsim_resp_free(hrsim_resp *r)
{
    free(r->body);
    json_decref(r->headers);
    memset(r, 0, sizeof *r);
}

double hrs_hrsim_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The k-th most recent stamp (k from 1), or -1. */
static double recent(const hrsim_window *w, size_t k)
{
    size_t cap = sizeof w->stamps / sizeof w->stamps[0];
    if (k == 0 || k > w->n || k > cap) return -1;
    return w->stamps[(w->head + cap - k) % cap];
}

int hrs_hrsim_window_take(hrsim_window *w, int per_second, int per_minute)
{
    size_t cap = sizeof w->stamps / sizeof w->stamps[0];
    double now = hrs_hrsim_mono(), t;
    if (per_second > 0 && (t = recent(w, (size_t)per_second)) >= 0 && now - t < 1.0) return -1;
    if (per_minute > 0 && (t = recent(w, (size_t)per_minute)) >= 0 && now - t < 60.0) return -1;
    w->stamps[w->head] = now;
    w->head = (w->head + 1) % cap;
    if (w->n < cap) w->n++;
    return 0;
}

/* Reads exactly n digits. */
static int num(const char **p, int n, int *v)
{
    int x = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i])) return -1;
        x = x * 10 + ((*p)[i] - '0');
    }
    *p += n;
    *v = x;
    return 0;
}

int hrs_hrsim_iso_epoch(const char *s, double *out)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, oh = 0, om = 0, sign = 1;
    const char *p = s;
    if (!s || num(&p, 4, &y) || *p++ != '-' || num(&p, 2, &mo) || *p++ != '-' || num(&p, 2, &d))
        return -1;
    if (*p == 'T' || *p == ' ') {
        p++;
        if (num(&p, 2, &h) || *p++ != ':' || num(&p, 2, &mi)) return -1;
        if (*p == ':') {
            p++;
            if (num(&p, 2, &sec)) return -1;
            if (*p == '.') {
                p++;
                while (isdigit((unsigned char)*p)) p++;
            }
        }
        if (*p == 'Z') {
            p++;
        } else if (*p == '+' || *p == '-') {
            sign = *p++ == '-' ? -1 : 1;
            if (num(&p, 2, &oh)) return -1;
            if (*p == ':') p++;
            if (*p && num(&p, 2, &om)) return -1;
        }
    }
    if (*p) return -1;
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    *out = (double)timegm(&tm) - sign * (oh * 3600.0 + om * 60.0);
    return 0;
}

int hrs_hrsim_long(const char *s, long min, long max, long *out)
{
    char *end;
    if (!s || !*s) return -1;
    long v = strtol(s, &end, 10);
    if (*end || v < min || v > max) return -1;
    *out = v;
    return 0;
}

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int hrs_hrsim_basic_ok(const hrsim_req *q, const char *user, const char *password)
{
    const char *h = hrs_hrsim_header(q, "authorization");
    if (!h || strncasecmp(h, "Basic ", 6) != 0) return 0;
    const char *b = h + 6;
    char dec[512];
    size_t o = 0;
    int bits = 0;
    unsigned acc = 0;
    for (; *b && *b != '='; b++) {
        int v = b64_value(*b);
        if (v < 0 || o + 1 >= sizeof dec) return 0;
        acc = ((acc << 6) | (unsigned)v) & 0xFFFFFFu;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            dec[o++] = (char)((acc >> bits) & 0xFFu);
        }
    }
    dec[o] = '\0';
    char *colon = strchr(dec, ':');
    if (!colon) return 0;
    *colon = '\0';
    int ok = strcmp(dec, user) == 0 && (!password || strcmp(colon + 1, password) == 0);
    memset(dec, 0, sizeof dec);
    return ok;
}

const json_t *hrs_hrsim_pio_value(const json_t *attribute)
{
    if (json_is_object(attribute) && json_object_get(attribute, "label") &&
        json_object_get(attribute, "value"))
        return json_object_get(attribute, "value");
    return attribute;
}

const json_t *hrs_hrsim_pio_attr(const json_t *employee, const char *key)
{
    return hrs_hrsim_pio_value(json_object_get(json_object_get(employee, "attributes"), key));
}

void hrs_hrsim_person_id(const json_t *person, char system, char *buf, size_t n)
{
    const json_t *id = system == 'p' ? hrs_hrsim_pio_attr(person, "id") : json_object_get(person, "id");
    if (json_is_integer(id)) snprintf(buf, n, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
    else if (json_is_string(id)) snprintf(buf, n, "%s", json_string_value(id));
    else buf[0] = '\0';
}

int hrs_hrsim_fault_throttle(hrs_hrsim *s)
{
    if (s->throttle_next <= 0) return 0;
    s->throttle_next--;
    return 1;
}

void hrs_hrsim_retry_after(const hrs_hrsim *s, hrsim_resp *r)
{
    if (s->retry_after) hrs_hrsim_resp_header(r, "Retry-After", "1");
}
