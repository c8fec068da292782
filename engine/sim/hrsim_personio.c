/* hrsim_personio.c: the Personio API v1 endpoints of the HR simulator, as documented in
 * shared/reference/hr-apis.md §1: POST /auth (credentials in the body; stable 24-hour "papi-"
 * tokens; 60/min) and GET /company/employees (bearer token; limit 50 when absent, 1..100, else
 * 400; offset as a record offset; metadata; updated_since, email, attributes[]; 300/min and
 * 15/s with 429; the token echoed in the Authorization response header). Messages that no
 * source documents are marked UNVERIFIED. */
#include "hrsim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* {"success":false,"error":{"code":…,"message":…}}, the v1 error shape. */
static void fail(hrsim_resp *r, int status, const char *message)
{
    hrs_hrsim_reply(r, status, json_pack("{s:b, s:{s:i, s:s}}", "success", 0, "error", "code", status,
                                     "message", message));
}

static void random_token(char *buf, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[16];
    FILE *f = fopen("/dev/urandom", "rb");
    size_t got = f ? fread(raw, 1, sizeof raw, f) : 0;
    if (f) fclose(f);
    for (size_t i = got; i < sizeof raw; i++) raw[i] = (unsigned char)rand();
    char h[33];
    for (size_t i = 0; i < 16; i++) {
        h[2 * i] = hex[raw[i] >> 4];
        h[2 * i + 1] = hex[raw[i] & 15];
    }
    h[32] = '\0';
    snprintf(buf, n, "papi-hrsim-%s", h);
}

/* The credentials of a POST /auth body: JSON or form. */
static void credentials(const hrsim_req *q, char *id, char *secret, size_t n)
{
    const char *type = hrs_hrsim_header(q, "content-type");
    id[0] = secret[0] = '\0';
    if (!q->body || !q->len) return;
    if (type && strncasecmp(type, "application/x-www-form-urlencoded", 33) == 0) {
        char *copy = strndup(q->body, q->len);
        json_t *form = copy ? hrs_hrsim_query_parse(copy) : NULL;
        free(copy);
        const char *a = json_string_value(json_array_get(json_object_get(form, "client_id"), 0));
        const char *b = json_string_value(json_array_get(json_object_get(form, "client_secret"), 0));
        snprintf(id, n, "%s", a ? a : "");
        snprintf(secret, n, "%s", b ? b : "");
        json_decref(form);
        return;
    }
    json_t *doc = json_loadb(q->body, q->len, 0, NULL);
    const char *a = json_string_value(json_object_get(doc, "client_id"));
    const char *b = json_string_value(json_object_get(doc, "client_secret"));
    snprintf(id, n, "%s", a ? a : "");
    snprintf(secret, n, "%s", b ? b : "");
    json_decref(doc);
}

static void auth(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r)
{
    if (strcmp(q->method, "POST") != 0) {
        fail(r, 405, "Method not allowed");
        return;
    }
    if (json_object_get(q->query, "client_id") || json_object_get(q->query, "client_secret")) {
        s->stats.query_credentials++;
        /* UNVERIFIED wording; the 403 is documented for after the 2026-12-04 removal. */
        fail(r, 403, "Query-string credentials are deprecated: send client_id and client_secret "
                     "in the request body");
        return;
    }
    if (hrs_hrsim_window_take(&s->auth_window, 0, HRSIM_AUTH_PER_MINUTE) != 0) {
        s->stats.throttled++;
        fail(r, 429, "Too Many Requests");                         /* UNVERIFIED body */
        hrs_hrsim_retry_after(s, r);
        return;
    }
    char id[256], secret[256];
    credentials(q, id, secret, sizeof id);
    if (!id[0] || !secret[0]) {
        fail(r, 400, "client_id and client_secret are required");  /* UNVERIFIED text */
        return;
    }
    if (strcmp(id, s->pio_id) != 0 || strcmp(secret, s->pio_secret) != 0) {
        fail(r, 401, "Wrong credentials");                         /* status UNVERIFIED */
        return;
    }
    double now = hrs_hrsim_mono(), issued = 0;
    json_t *t = s->pio_token[0] ? json_object_get(s->pio_tokens, s->pio_token) : NULL;
    if (t) issued = json_real_value(t);
    if (!t || now - issued >= HRSIM_TOKEN_TTL) {                  /* stable for 24 h */
        random_token(s->pio_token, sizeof s->pio_token);
        issued = now;
        json_object_set_new(s->pio_tokens, s->pio_token, json_real(now));
    }
    s->stats.personio_auth++;
    hrs_hrsim_reply(r, 200, json_pack("{s:b, s:{s:s, s:i, s:s}}", "success", 1, "data", "token",
                                  s->pio_token, "expires_in", (int)(HRSIM_TOKEN_TTL - (now - issued)),
                                  "scope", "employees:read"));
}

/* The bearer token of the request, if it is valid: 1; else 0 with the answer set. */
static int token_ok(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r, const char **token)
{
    const char *h = hrs_hrsim_header(q, "authorization");
    if (!h || !*h) {
        fail(r, 401, "Authorization is not provided");
        return 0;
    }
    json_t *t = strncasecmp(h, "Bearer ", 7) == 0 ? json_object_get(s->pio_tokens, h + 7) : NULL;
    if (!t || hrs_hrsim_mono() - json_real_value(t) >= HRSIM_TOKEN_TTL) {
        fail(r, 403, "Provided authorization is not valid");
        return 0;
    }
    *token = h + 7;
    return 1;
}

/* Whether employee e passes the filters of the request. */
static int selected(const json_t *e, const char *email, double since)
{
    if (email) {
        const char *em = json_string_value(hrs_hrsim_pio_attr(e, "email"));
        if (!em || strcasecmp(em, email) != 0) return 0;
    }
    if (since >= 0) {
        double t;
        const char *mod = json_string_value(hrs_hrsim_pio_attr(e, "last_modified_at"));
        if (!mod || hrs_hrsim_iso_epoch(mod, &t) != 0 || t <= since) return 0;
    }
    return 1;
}

/* A copy of e with only id and the attributes named in attributes[] (when given). */
static json_t *projected(const json_t *e, const json_t *names)
{
    if (!json_is_array(names) || json_array_size(names) == 0) return json_deep_copy(e);
    json_t *attrs = json_object_get(e, "attributes"), *keep = json_object();
    json_t *id = json_object_get(attrs, "id");
    if (id) json_object_set_new(keep, "id", json_deep_copy(id));
    size_t i;
    json_t *n;
    json_array_foreach(names, i, n) {
        json_t *a = json_object_get(attrs, json_string_value(n));
        if (a) json_object_set_new(keep, json_string_value(n), json_deep_copy(a));
    }
    json_t *out = json_deep_copy(e);
    json_object_set_new(out, "attributes", keep);
    return out;
}

static void employees(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r)
{
    const char *token;
    long limit = 50, offset = 0;
    double since = -1;
    if (strcmp(q->method, "GET") != 0) {
        fail(r, 405, "Method not allowed");
        return;
    }
    if (!token_ok(s, q, r, &token)) return;
    if (hrs_hrsim_fault_throttle(s) ||
        (s->rate_limits && hrs_hrsim_window_take(&s->pio_window, HRSIM_PIO_PER_SECOND,
                                             HRSIM_PIO_PER_MINUTE) != 0)) {
        s->stats.throttled++;
        fail(r, 429, "Too Many Requests");                         /* UNVERIFIED body */
        hrs_hrsim_retry_after(s, r);
        return;
    }
    const char *l = hrs_hrsim_query(q, "limit"), *o = hrs_hrsim_query(q, "offset");
    const char *us = hrs_hrsim_query(q, "updated_since"), *email = hrs_hrsim_query(q, "email");
    if (l && hrs_hrsim_long(l, 1, 100, &limit) != 0) {
        fail(r, 400, "The limit must be between 1 and 100.");     /* after the 2025-01-31 cap */
        return;
    }
    if (o && hrs_hrsim_long(o, 0, 1L << 30, &offset) != 0) {
        fail(r, 400, "The offset must be 0 or greater.");          /* UNVERIFIED text */
        return;
    }
    if (us && hrs_hrsim_iso_epoch(us, &since) != 0) {
        fail(r, 400, "updated_since must be an ISO 8601 date");     /* UNVERIFIED text */
        return;
    }
    json_t *names = json_object_get(q->query, "attributes[]");
    json_t *all = json_array(), *data = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(s->pio_people, i, e)
        if (selected(e, email, since)) json_array_append(all, e);
    long total = (long)json_array_size(all);
    for (long k = offset; k < total && k < offset + limit; k++)
        json_array_append_new(data, projected(json_array_get(all, (size_t)k), names));
    json_decref(all);
    json_t *body = json_pack("{s:b, s:{s:I, s:I, s:I}, s:I, s:I, s:o}", "success", 1, "metadata",
                             "total_elements", (json_int_t)total, "current_page",
                             (json_int_t)(offset / limit), "total_pages",
                             (json_int_t)((total + limit - 1) / limit), "offset", (json_int_t)offset,
                             "limit", (json_int_t)limit, "data", data);
    char hdr[160];
    if (s->rotate_tokens) {          /* one-time tokens, as before mid-2023: a new one per answer */
        json_object_del(s->pio_tokens, token);
        random_token(s->pio_token, sizeof s->pio_token);
        json_object_set_new(s->pio_tokens, s->pio_token, json_real(hrs_hrsim_mono()));
        token = s->pio_token;
    }
    snprintf(hdr, sizeof hdr, "Bearer %s", token);
    if (s->malformed_page > 0 && offset == s->malformed_page - 1) {
        char *text = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        if (text) text[strlen(text) / 2] = '\0';                    /* cut mid-way */
        hrs_hrsim_reply_text(r, 200, "application/json; charset=utf-8", text);
        free(text);
    } else {
        hrs_hrsim_reply(r, 200, body);
    }
    hrs_hrsim_resp_header(r, "Authorization", hdr);
    s->stats.personio_pages++;
    if (s->expire_after > 0 && --s->expire_after == 0) {       /* the fault: tokens expire now */
        json_object_clear(s->pio_tokens);
        s->pio_token[0] = '\0';
    }
}

void hrs_hrsim_personio(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r)
{
    if (strcmp(q->path, "/auth") == 0) auth(s, q, r);
    else if (strcmp(q->path, "/company/employees") == 0) employees(s, q, r);
    else fail(r, 404, "Not found: the simulator serves /auth and /company/employees");
}

/* ---- the flat shape, for the other endpoints ---- */

static json_t *text_of(const json_t *v)
{
    char buf[64];
    if (json_is_string(v)) return json_string(json_string_value(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(buf);
    }
    return json_null();
}

/* The date part of a Personio date ("2019-05-01T00:00:00+02:00" -> "2019-05-01"). */
static json_t *date_of(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || strlen(s) < 10) return json_null();
    return json_stringn(s, 10);
}

static json_t *nested(const json_t *v, const char *name)
{
    const json_t *a = json_object_get(v, "attributes");
    return text_of(hrs_hrsim_pio_value(json_object_get(a, name)));
}

json_t *hrs_hrsim_flat_person(const json_t *e)
{
    static const char *const plain[] = { "first_name", "last_name", "preferred_name", "email",
                                         "status", "position", "gender", NULL };
    json_t *p = json_object();
    json_object_set_new(p, "id", text_of(hrs_hrsim_pio_attr(e, "id")));
    for (size_t i = 0; plain[i]; i++)
        json_object_set_new(p, plain[i], text_of(hrs_hrsim_pio_attr(e, plain[i])));
    json_object_set_new(p, "department", nested(hrs_hrsim_pio_attr(e, "department"), "name"));
    json_object_set_new(p, "office", nested(hrs_hrsim_pio_attr(e, "office"), "name"));
    json_object_set_new(p, "supervisor_id", nested(hrs_hrsim_pio_attr(e, "supervisor"), "id"));
    json_object_set_new(p, "hire_date", date_of(hrs_hrsim_pio_attr(e, "hire_date")));
    json_object_set_new(p, "termination_date", date_of(hrs_hrsim_pio_attr(e, "termination_date")));
    return p;
}
