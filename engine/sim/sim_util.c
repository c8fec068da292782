/* sim_util.c: small helpers the simulator's files share: clocks, random ids, URL coding, base64,
 * the Graph error envelope and response building. */
#include "sim_internal.h"
#include "sim_http.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <openssl/evp.h>

double hrs_sim_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void hrs_sim_sleep_ms(double ms)
{
    if (ms <= 0) return;
    long long ns = (long long)(ms * 1e6);
    struct timespec ts = { (time_t)(ns / 1000000000LL), (long)(ns % 1000000000LL) };
    while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
}

void hrs_sim_random(void *buf, size_t n)
{
    unsigned char *p = buf;
    while (n > 0) {
        ssize_t got = getrandom(p, n, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            /* No entropy source: ids only need to be unique, not secret, in a simulator. */
            for (size_t i = 0; i < n; i++) p[i] = (unsigned char)(rand() & 0xff);
            return;
        }
        p += got;
        n -= (size_t)got;
    }
}

void hrs_sim_guid(char out[37])
{
    unsigned char b[16];
    hrs_sim_random(b, sizeof b);
    b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);   /* version 4 */
    b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);   /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
             b[13], b[14], b[15]);
}

void hrs_sim_time(char *buf, size_t n, int kind)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    size_t w = kind == SIM_TIME_ISO ? strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm)
             : kind == SIM_TIME_INNER ? strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm)
             : strftime(buf, n, "%Y-%m-%d %H:%M:%SZ", &tm);
    if (w == 0 && n) buf[0] = '\0';
}

char *hrs_sim_url_encode(const char *s)
{
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1);
    if (!out) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '$' || c == ',') {
            out[j++] = (char)c;
        } else {
            snprintf(out + j, 4, "%%%02X", c);
            j += 3;
        }
    }
    out[j] = '\0';
    return out;
}

json_t *hrs_sim_query_parse(const char *qs, size_t n)
{
    json_t *o = json_object();
    if (!o) return NULL;
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        while (end < n && qs[end] != '&') end++;
        size_t eq = i;
        while (eq < end && qs[eq] != '=') eq++;
        if (end > i) {
            char *k = hrs_simhttp_url_decode(qs + i, eq - i, 1);
            char *v = eq < end ? hrs_simhttp_url_decode(qs + eq + 1, end - eq - 1, 1) : strdup("");
            if (k && v && *k) json_object_set_new(o, k, json_string(v));
            free(k);
            free(v);
        }
        i = end + 1;
    }
    return o;
}

char *hrs_sim_b64_decode(const char *s, size_t n, size_t *outlen)
{
    /* Normalise base64url to base64 with padding, which EVP_DecodeBlock wants. */
    size_t padded = (n + 3) / 4 * 4;
    char *in = malloc(padded + 1);
    unsigned char *out = malloc(padded / 4 * 3 + 1);
    if (!in || !out) {
        free(in);
        free(out);
        return NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '-') c = '+';
        else if (c == '_') c = '/';
        else if (c == '=') break;
        else if (!isalnum((unsigned char)c) && c != '+' && c != '/') {
            free(in);
            free(out);
            return NULL;
        }
        in[j++] = c;
    }
    size_t data = j;
    while (j % 4) in[j++] = '=';
    in[j] = '\0';
    int len = j ? EVP_DecodeBlock(out, (const unsigned char *)in, (int)j) : 0;
    free(in);
    if (len < 0 || data % 4 == 1) {
        free(out);
        return NULL;
    }
    /* EVP_DecodeBlock counts the padding as zero bytes: drop them. */
    size_t real = data / 4 * 3 + (data % 4 ? data % 4 - 1 : 0);
    out[real] = '\0';
    if (outlen) *outlen = real;
    return (char *)out;
}

int hrs_sim_grow(void *arrp, size_t n, size_t *cap, size_t elem)
{
    if (n < *cap) return 0;
    size_t ncap = *cap ? *cap * 2 : 16;
    void *old, *grown;
    memcpy(&old, arrp, sizeof old);
    grown = realloc(old, ncap * elem);
    if (!grown) return -1;
    memcpy(arrp, &grown, sizeof grown);
    *cap = ncap;
    return 0;
}

size_t hrs_sim_utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xc0) != 0x80) n++;
    return n;
}

const char *hrs_sim_header(const sim_req *q, const char *lname)
{
    return q->headers ? json_string_value(json_object_get(q->headers, lname)) : NULL;
}

void hrs_sim_reply(sim_resp *r, int status, json_t *body)
{
    r->status = status;
    json_decref(r->body);
    r->body = body;
}

void hrs_sim_fail(const sim_req *q, sim_resp *r, int status, const char *code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char date[32];
    hrs_sim_time(date, sizeof date, SIM_TIME_INNER);
    json_t *inner = json_pack("{s:s, s:s, s:s}", "date", date, "request-id", q->request_id,
                              "client-request-id", q->client_request_id ? q->client_request_id
                                                                        : q->request_id);
    hrs_sim_reply(r, status, json_pack("{s:{s:s, s:s, s:o}}", "error", "code", code, "message",
                                       msg, "innerError", inner));
}

void hrs_sim_fail_detail(sim_resp *r, const char *target, const char *code)
{
    json_t *err = json_object_get(r->body, "error");
    if (!err) return;
    json_t *details = json_object_get(err, "details");
    if (!details) {
        details = json_array();
        json_object_set_new(err, "details", details);
    }
    json_array_append_new(details, json_pack("{s:s, s:s}", "target", target, "code", code));
}

void hrs_sim_resp_header(sim_resp *r, const char *name, const char *value)
{
    if (!r->headers) r->headers = json_object();
    json_object_set_new(r->headers, name, json_string(value));
}

void hrs_sim_resp_free(sim_resp *r)
{
    json_decref(r->headers);
    json_decref(r->body);
    r->headers = r->body = NULL;
}

void hrs_sim_lower(char *buf, size_t n, const char *s)
{
    size_t i = 0;
    for (; s[i] && i + 1 < n; i++) buf[i] = (char)tolower((unsigned char)s[i]);
    if (n) buf[i] = '\0';
}
