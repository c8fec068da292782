/* http.c: the libcurl-based HTTP client used by every connector (see include/hrsync/http.h). */
#include "hrsync/http.h"

#include <ctype.h>
#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define HTTP_MAX_BODY (256u * 1024u * 1024u) /* refuse answers larger than 256 MiB */

struct hrs_http {
    CURL *curl;
    long timeout_s;
};

typedef struct {
    char *buf;
    size_t len, cap;
    int too_big;
} body_buf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    body_buf *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > HTTP_MAX_BODY) { b->too_big = 1; return 0; }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1) cap *= 2;
        char *nb = realloc(b->buf, cap);
        if (!nb) return 0;
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, ptr, n);
    b->len += n;
    b->buf[b->len] = '\0';
    return n;
}

static void copy_header_value(char *dst, size_t n, const char *v, size_t vlen)
{
    while (vlen && isspace((unsigned char)*v)) { v++; vlen--; }
    while (vlen && isspace((unsigned char)v[vlen - 1])) vlen--;
    if (vlen >= n) vlen = n - 1;
    memcpy(dst, v, vlen);
    dst[vlen] = '\0';
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
    hrs_http_response *r = ud;
    size_t n = size * nmemb;
    const char *colon = memchr(ptr, ':', n);
    if (!colon) return n;
    size_t klen = (size_t)(colon - ptr);
    const char *v = colon + 1;
    size_t vlen = n - klen - 1;
    if (klen == 10 && strncasecmp(ptr, "request-id", 10) == 0) {
        copy_header_value(r->request_id, sizeof r->request_id, v, vlen);
    } else if (klen == 11 && strncasecmp(ptr, "retry-after", 11) == 0) {
        char tmp[128];
        copy_header_value(tmp, sizeof tmp, v, vlen);
        r->retry_after = hrs_http_parse_retry_after(tmp, (double)time(NULL));
    } else if (klen == 13 && strncasecmp(ptr, "authorization", 13) == 0) {
        copy_header_value(r->authorization, sizeof r->authorization, v, vlen);
    }
    return n;
}

hrs_http *hrs_http_new(long timeout_s, hrs_err *err)
{
    hrs_http *h = calloc(1, sizeof *h);
    if (!h) { hrs_err_set(err, "out of memory"); return NULL; }
    h->curl = curl_easy_init();
    if (!h->curl) { free(h); hrs_err_set(err, "cannot initialise libcurl"); return NULL; }
    h->timeout_s = timeout_s > 0 ? timeout_s : 60;
    return h;
}

void hrs_http_free(hrs_http *h)
{
    if (!h) return;
    curl_easy_cleanup(h->curl);
    free(h);
}

void hrs_http_response_clear(hrs_http_response *r)
{
    if (!r) return;
    free(r->body);
    memset(r, 0, sizeof *r);
    r->retry_after = -1;
}

/* Strips the query string so that an error message never repeats a parameter value. */
static void url_for_message(char *dst, size_t n, const char *url)
{
    size_t l = strcspn(url, "?");
    if (l >= n) l = n - 1;
    memcpy(dst, url, l);
    dst[l] = '\0';
}

/* Sets up c for one request (after a reset); *hl receives the header list (the caller frees it
 * after the transfer). Returns 0, or -1 when out of memory. */
static int setup(CURL *c, long timeout_s, const char *method, const char *url, const char *const *headers,
                 const char *body, size_t body_len, body_buf *b, hrs_http_response *resp, char *curl_msg,
                 struct curl_slist **hl)
{
    memset(resp, 0, sizeof *resp);
    resp->retry_after = -1;
    *hl = NULL;
    curl_easy_reset(c);
    for (size_t i = 0; headers && headers[i]; i++) {
        struct curl_slist *nl = curl_slist_append(*hl, headers[i]);
        if (!nl) { curl_slist_free_all(*hl); *hl = NULL; return -1; }
        *hl = nl;
    }
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, *hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout_s);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 15L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_msg);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "hrsync");
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (strcmp(method, "HEAD") == 0) curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
    } else if (strcmp(method, "POST") == 0 || strcmp(method, "PATCH") == 0 || strcmp(method, "PUT") == 0) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
    }
    return 0;
}

/* After a transfer: fills resp (status, body) or err (transport failure). */
static int finish(CURL *c, CURLcode rc, const char *method, const char *url, body_buf *b, const char *curl_msg,
                  hrs_http_response *resp, hrs_err *err)
{
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
    if (rc != CURLE_OK) {
        char u[512];
        url_for_message(u, sizeof u, url);
        free(b->buf);
        b->buf = NULL;
        if (b->too_big) return hrs_err_set(err, "%s %s: answer larger than %u bytes", method, u, HTTP_MAX_BODY);
        return hrs_err_set(err, "cannot reach %s: %s", u, curl_msg[0] ? curl_msg : curl_easy_strerror(rc));
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
    if (!b->buf) {
        b->buf = calloc(1, 1);
        if (!b->buf) return hrs_err_set(err, "out of memory");
    }
    resp->body = b->buf;
    resp->len = b->len;
    b->buf = NULL;
    return 0;
}

int hrs_http_request(hrs_http *h, const char *method, const char *url, const char *const *headers,
                     const char *body, size_t body_len, hrs_http_response *resp, hrs_err *err)
{
    CURL *c = h->curl;
    body_buf b = { 0 };
    struct curl_slist *hl = NULL;
    char curl_msg[CURL_ERROR_SIZE] = "";
    if (setup(c, h->timeout_s, method, url, headers, body, body_len, &b, resp, curl_msg, &hl) != 0)
        return hrs_err_set(err, "out of memory");
    CURLcode rc = curl_easy_perform(c);
    curl_slist_free_all(hl);
    return finish(c, rc, method, url, &b, curl_msg, resp, err);
}

/* ---- several requests at once (curl multi) ------------------------------------------------ */

struct hrs_http_pool {
    CURLM *multi;
    CURL **easy;
    size_t n;
    long timeout_s;
};

hrs_http_pool *hrs_http_pool_new(size_t n, long timeout_s, hrs_err *err)
{
    hrs_http_pool *p = calloc(1, sizeof *p);
    if (!p || n == 0 || !(p->easy = calloc(n, sizeof *p->easy)) || !(p->multi = curl_multi_init())) {
        hrs_http_pool_free(p);
        hrs_err_set(err, n == 0 ? "internal: an HTTP pool of 0 connections" : "cannot initialise libcurl");
        return NULL;
    }
    p->n = n;
    p->timeout_s = timeout_s > 0 ? timeout_s : 60;
    for (size_t i = 0; i < n; i++)
        if (!(p->easy[i] = curl_easy_init())) {
            hrs_http_pool_free(p);
            hrs_err_set(err, "cannot initialise libcurl");
            return NULL;
        }
    return p;
}

void hrs_http_pool_free(hrs_http_pool *p)
{
    if (!p) return;
    for (size_t i = 0; p->easy && i < p->n; i++) curl_easy_cleanup(p->easy[i]);
    free(p->easy);
    if (p->multi) curl_multi_cleanup(p->multi);
    free(p);
}

size_t hrs_http_pool_size(const hrs_http_pool *p) { return p->n; }

int hrs_http_pool_perform(hrs_http_pool *p, hrs_http_xfer *x, size_t n, hrs_err *err)
{
    if (n > p->n) return hrs_err_set(err, "internal: %zu transfers for a pool of %zu", n, p->n);
    body_buf *bufs = calloc(n ? n : 1, sizeof *bufs);
    struct curl_slist **hls = calloc(n ? n : 1, sizeof *hls);
    char (*msgs)[CURL_ERROR_SIZE] = calloc(n ? n : 1, sizeof *msgs);
    int *added = calloc(n ? n : 1, sizeof *added);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        memset(&x[i].resp, 0, sizeof x[i].resp);
        x[i].resp.retry_after = -1;
        x[i].rc = -1;
    }
    if (!bufs || !hls || !msgs || !added) { rc = hrs_err_set(err, "out of memory"); goto out; }
    for (size_t i = 0; i < n; i++) {
        hrs_err_clear(&x[i].err);
        x[i].rc = -1;
        if (setup(p->easy[i], p->timeout_s, x[i].method, x[i].url, x[i].headers, x[i].body, x[i].body_len, &bufs[i],
                  &x[i].resp, msgs[i], &hls[i]) != 0) {
            hrs_err_set(&x[i].err, "out of memory");
            continue;
        }
        curl_easy_setopt(p->easy[i], CURLOPT_PRIVATE, (void *)&x[i]);
        if (curl_multi_add_handle(p->multi, p->easy[i]) != CURLM_OK) {
            hrs_err_set(&x[i].err, "cannot start a transfer to %s", x[i].url);
            continue;
        }
        added[i] = 1;
    }
    int running = 1;
    while (running) {
        CURLMcode mc = curl_multi_perform(p->multi, &running);
        if (mc == CURLM_OK && running) mc = curl_multi_poll(p->multi, NULL, 0, 1000, NULL);
        if (mc != CURLM_OK) { rc = hrs_err_set(err, "HTTP transfers failed: %s", curl_multi_strerror(mc)); break; }
        CURLMsg *m;
        int left;
        while ((m = curl_multi_info_read(p->multi, &left))) {
            if (m->msg != CURLMSG_DONE) continue;
            for (size_t i = 0; i < n; i++) {
                if (!added[i] || p->easy[i] != m->easy_handle) continue;
                x[i].rc = finish(p->easy[i], m->data.result, x[i].method, x[i].url, &bufs[i], msgs[i], &x[i].resp,
                                 &x[i].err);
                curl_multi_remove_handle(p->multi, p->easy[i]);
                added[i] = 0;
            }
        }
    }
out:
    for (size_t i = 0; i < n && added && hls; i++) {
        if (added[i]) {
            curl_multi_remove_handle(p->multi, p->easy[i]);
            if (x[i].rc != 0 && !x[i].err.set) hrs_err_set(&x[i].err, "the transfer to %s did not finish", x[i].url);
        }
        free(bufs ? bufs[i].buf : NULL);
        curl_slist_free_all(hls[i]);
    }
    free(bufs);
    free(hls);
    free(msgs);
    free(added);
    return rc;
}

double hrs_http_parse_retry_after(const char *value, double now_epoch)
{
    if (!value || !*value) return -1;
    char *end = NULL;
    double secs = strtod(value, &end);
    if (end != value) {
        while (*end && isspace((unsigned char)*end)) end++;
        if (*end == '\0') return secs < 0 ? -1 : secs;
    }
    /* HTTP-date, e.g. "Wed, 21 Oct 2026 07:28:00 GMT". */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(value, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!p) return -1;
    double when = (double)timegm(&tm);
    return when > now_epoch ? when - now_epoch : 0;
}

char *hrs_http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *o = malloc(n * 3 + 1);
    if (!o) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') o[j++] = (char)c;
        else { o[j++] = '%'; o[j++] = hex[c >> 4]; o[j++] = hex[c & 15]; }
    }
    o[j] = '\0';
    return o;
}
