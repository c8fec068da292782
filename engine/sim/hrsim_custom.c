/* hrsim_custom.c: the endpoints of the HR simulator for sources scripted in Lua, both serving
 * the Personio people in other shapes:
 *   GET  /custom/people   a generic in-house API: HTTP Basic auth, page (from 1) and per_page
 *                         (1..100, default 50), {"people":[flat person…], "next": url|null}
 *   POST /bamboohr/api/gateway.php/{company}/v1/reports/custom
 *                         a BambooHR custom report (hr-apis.md §4): HTTP Basic auth with the
 *                         API key as user and any password; the body names the fields;
 *                         {"title", "fields":[{id,type,name}], "employees":[{id, …}]} when the
 *                         request accepts application/json, else XML (BambooHR's default).
 *                         Unset dates are "0000-00-00", status is "Active"/"Inactive".
 *                         onlyCurrent is accepted and not applied (no clock in the simulator). */
#include "hrsim_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void unauthorized(hrsim_resp *r, const char *realm)
{
    hrs_hrsim_reply(r, 401, json_pack("{s:s}", "error", "The credentials are missing or wrong"));
    char h[96];
    snprintf(h, sizeof h, "Basic realm=\"%s\"", realm);
    hrs_hrsim_resp_header(r, "WWW-Authenticate", h);
}

void hrs_hrsim_custom(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r)
{
    if (strcmp(q->path, "/people") != 0 || strcmp(q->method, "GET") != 0) {
        hrs_hrsim_reply(r, 404, json_pack("{s:s}", "error", "the simulator serves GET /custom/people"));
        return;
    }
    if (!hrs_hrsim_basic_ok(q, s->custom_user, s->custom_password)) {
        unauthorized(r, "custom");
        return;
    }
    if (hrs_hrsim_fault_throttle(s)) {
        s->stats.throttled++;
        hrs_hrsim_reply(r, 429, json_pack("{s:s}", "error", "too many requests"));
        hrs_hrsim_retry_after(s, r);
        return;
    }
    long page = 1, per = 50;
    const char *p = hrs_hrsim_query(q, "page"), *pp = hrs_hrsim_query(q, "per_page");
    if ((p && hrs_hrsim_long(p, 1, 1L << 30, &page) != 0) || (pp && hrs_hrsim_long(pp, 1, 100, &per) != 0)) {
        hrs_hrsim_reply(r, 400, json_pack("{s:s}", "error", "page must be 1 or more, per_page 1..100"));
        return;
    }
    json_t *people = json_array();
    long total = (long)json_array_size(s->pio_people), first = (page - 1) * per;
    for (long k = first; k < total && k < first + per; k++)
        json_array_append_new(people, hrs_hrsim_flat_person(json_array_get(s->pio_people, (size_t)k)));
    json_t *next = json_null();
    if (first + per < total) {
        char url[400];
        snprintf(url, sizeof url, "%s/custom/people?page=%ld&per_page=%ld", q->base, page + 1, per);
        json_decref(next);
        next = json_string(url);
    }
    hrs_hrsim_reply(r, 200, json_pack("{s:o, s:o, s:I}", "people", people, "next", next, "total",
                                  (json_int_t)total));
    s->stats.custom_pages++;
}

/* ---- BambooHR ---- */

/* A person's value for a BambooHR field name, as text (BambooHR sends text). */
static json_t *bamboo_value(const json_t *flat, const char *field)
{
    static const struct { const char *bamboo, *flat; } names[] = {
        { "firstName", "first_name" }, { "lastName", "last_name" },
        { "preferredName", "preferred_name" }, { "workEmail", "email" },
        { "department", "department" }, { "jobTitle", "position" }, { "location", "office" },
        { "supervisorEId", "supervisor_id" }, { "hireDate", "hire_date" },
        { "terminationDate", "termination_date" }, { "employeeNumber", "id" },
    };
    if (strcmp(field, "status") == 0) {
        const char *st = json_string_value(json_object_get(flat, "status"));
        return json_string(st && strcmp(st, "inactive") == 0 ? "Inactive" : "Active");
    }
    if (strcmp(field, "gender") == 0) {
        const char *g = json_string_value(json_object_get(flat, "gender"));
        if (!g || !*g) return json_null();
        char buf[32];
        snprintf(buf, sizeof buf, "%s", strcmp(g, "diverse") == 0 ? "Nonbinary" : g);
        buf[0] = (char)toupper((unsigned char)buf[0]);
        return json_string(buf);
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(field, names[i].bamboo) != 0) continue;
        json_t *v = json_object_get(flat, names[i].flat);
        if ((strcmp(field, "hireDate") == 0 || strcmp(field, "terminationDate") == 0) &&
            !json_is_string(v))
            return json_string("0000-00-00");
        return json_is_string(v) ? json_incref(v) : json_null();
    }
    return json_null();
}

void hrs_hrsim_bamboohr(hrs_hrsim *s, const hrsim_req *q, hrsim_resp *r)
{
    /* q->path is below /bamboohr: /api/gateway.php/{company}/v1/reports/custom */
    const char *prefix = "/api/gateway.php/", *tail = "/v1/reports/custom";
    size_t pl = strlen(prefix), tl = strlen(tail), len = strlen(q->path);
    if (strncmp(q->path, prefix, pl) != 0 || len <= pl + tl ||
        strcmp(q->path + len - tl, tail) != 0 || memchr(q->path + pl, '/', len - pl - tl)) {
        hrs_hrsim_reply_text(r, 404, "text/plain", "Not found: the simulator serves POST "
                         "/bamboohr/api/gateway.php/{company}/v1/reports/custom");
        return;
    }
    if (strcmp(q->method, "POST") != 0) {
        hrs_hrsim_reply_text(r, 405, "text/plain", "Method not allowed");
        return;
    }
    if (!hrs_hrsim_basic_ok(q, s->custom_user, NULL)) {
        unauthorized(r, "BambooHR");
        return;
    }
    if (hrs_hrsim_fault_throttle(s)) {
        s->stats.throttled++;
        hrs_hrsim_reply_text(r, 429, "text/plain", "Too Many Requests");
        hrs_hrsim_retry_after(s, r);
        return;
    }
    const char *accept = hrs_hrsim_header(q, "accept");
    if (!accept || !strstr(accept, "application/json")) {
        hrs_hrsim_reply_text(r, 200, "text/xml", "<?xml version=\"1.0\"?><report><employees/></report>");
        return;
    }
    json_t *body = q->len ? json_loadb(q->body, q->len, 0, NULL) : NULL;
    json_t *fields = json_object_get(body, "fields");
    if (!json_is_array(fields) || json_array_size(fields) == 0) {
        json_decref(body);
        hrs_hrsim_reply_text(r, 400, "text/plain", "The report needs a list of fields");
        return;
    }
    json_t *out_fields = json_array(), *employees = json_array();
    size_t i, j;
    json_t *f, *e;
    json_array_foreach(fields, i, f) {
        const char *name = json_is_string(f) ? json_string_value(f)
                                             : json_string_value(json_object_get(f, "id"));
        if (name)
            json_array_append_new(out_fields, json_pack("{s:s, s:s, s:s}", "id", name, "type",
                                                        "text", "name", name));
    }
    json_array_foreach(s->pio_people, i, e) {
        json_t *flat = hrs_hrsim_flat_person(e), *row = json_object();
        json_object_set(row, "id", json_object_get(flat, "id"));
        json_array_foreach(out_fields, j, f) {
            const char *name = json_string_value(json_object_get(f, "id"));
            if (strcmp(name, "id") != 0) json_object_set_new(row, name, bamboo_value(flat, name));
        }
        json_decref(flat);
        json_array_append_new(employees, row);
    }
    json_t *title = json_object_get(body, "title");
    hrs_hrsim_reply(r, 200, json_pack("{s:s, s:o, s:o}", "title", json_is_string(title)
                                  ? json_string_value(title) : "Report", "fields", out_fields,
                                  "employees", employees));
    json_decref(body);
    s->stats.custom_pages++;
}
