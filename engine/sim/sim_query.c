/* sim_query.c: the OData query options shared by the simulator's collections: $select, $top,
 * $filter, $skiptoken, and the @odata.context / @odata.nextLink annotations of an answer
 * (graph.md §6: default page 100, $top 1–999, an opaque $skiptoken in an absolute nextLink). */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SKIP_PREFIX "U2lt"   /* skiptokens look opaque; the rest is a hexadecimal position */

static const char *param(const sim_req *q, const char *name)
{
    return json_string_value(json_object_get(q->query, name));
}

int hrs_sim_advanced(const sim_req *q)
{
    const char *cl = hrs_sim_header(q, "consistencylevel");
    const char *count = param(q, "$count");
    return cl && strcasecmp(cl, "eventual") == 0 && count && strcasecmp(count, "true") == 0;
}

int hrs_sim_query_unsupported(const sim_req *q, sim_resp *r)
{
    /* $skip: Graph's /users has $top but no $skip (graph.md §6). $orderby and $search work in
     * Graph (partly only as advanced queries) but are not simulated: refusing them is better than
     * answering in an order the caller did not ask for. */
    static const char *const opts[] = { "$orderby", "$search", "$skip", NULL };
    for (int i = 0; opts[i]; i++)
        if (json_object_get(q->query, opts[i])) {
            hrs_sim_fail(q, r, 400, "Request_UnsupportedQuery",
                         "The query option %s is not supported.", opts[i]);  /* UNVERIFIED */
            return -1;
        }
    return 0;
}

int hrs_sim_query_select(const sim_req *q, sim_resp *r, const sim_prop *table, const char *type,
                         json_t **out)
{
    *out = NULL;
    const char *sel = param(q, "$select");
    if (!sel || !*sel) return 0;
    json_t *names = json_array();
    json_array_append_new(names, json_string("id"));
    char *copy = strdup(sel), *save = NULL;
    if (!copy) {
        json_decref(names);
        hrs_sim_fail(q, r, 500, "generalException", "Out of memory.");
        return -1;
    }
    for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ') tok++;
        size_t n = strlen(tok);
        while (n && tok[n - 1] == ' ') tok[--n] = '\0';
        if (!n) continue;
        const sim_prop *p = hrs_sim_prop(table, tok, 0);
        const char *canon = p ? p->name : strncmp(tok, "extension_", 10) == 0 ? tok : NULL;
        if (!canon) {
            hrs_sim_fail(q, r, 400, "BadRequest",
                         "Could not find a property named '%s' on type 'microsoft.graph.%s'.", tok,
                         type);
            free(copy);
            json_decref(names);
            return -1;
        }
        int dup = 0;
        size_t i;
        json_t *v;
        json_array_foreach(names, i, v)
            if (strcmp(json_string_value(v), canon) == 0) dup = 1;
        if (!dup) json_array_append_new(names, json_string(canon));
    }
    free(copy);
    *out = names;
    return 0;
}

int hrs_sim_query_top(const sim_req *q, sim_resp *r, int *top)
{
    *top = SIM_PAGE_DEFAULT;
    const char *t = param(q, "$top");
    if (!t) return 0;
    char *end;
    long v = strtol(t, &end, 10);
    if (!*t || *end || v < 1 || v > SIM_PAGE_MAX) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "Invalid page size specified: '%s'. Must be between 1 and %d inclusive.", t,
                     SIM_PAGE_MAX);
        return -1;
    }
    *top = (int)v;
    return 0;
}

int hrs_sim_query_filter(const sim_req *q, sim_resp *r, const sim_prop *table, const char *entity,
                         sim_filter **out)
{
    *out = NULL;
    const char *text = param(q, "$filter");
    if (!text) return 0;
    char why[256];
    sim_filter *f = hrs_sim_filter_parse(text, why, sizeof why);
    if (!f) {
        /* Graph's parser reports "Invalid filter clause" followed by its own detail. */
        hrs_sim_fail(q, r, 400, "BadRequest", "Invalid filter clause: %s in '%s'.", why, text);
        return -1;
    }
    if (hrs_sim_filter_check(f, table, entity, hrs_sim_advanced(q), q, r) != 0) {
        hrs_sim_filter_free(f);
        return -1;
    }
    *out = f;
    return 0;
}

int hrs_sim_query_skip(const sim_req *q, sim_resp *r, long *pos)
{
    *pos = -1;
    const char *t = param(q, "$skiptoken");
    if (!t) return 0;
    size_t pl = strlen(SKIP_PREFIX);
    char *end = NULL;
    long v = strncmp(t, SKIP_PREFIX, pl) == 0 && t[pl] ? strtol(t + pl, &end, 16) : -1;
    if (v < 0 || !end || *end) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest", "The specified page token value has "
                     "expired or is invalid.");
        return -1;
    }
    *pos = v;
    return 0;
}

static json_t *value_of(json_t *props, const char *name, const sim_prop *p)
{
    json_t *v = json_object_get(props, name);
    if (p && (p->flags & SIM_P_HIDDEN)) return json_null();
    if (v) return json_deep_copy(v);
    return p && (p->type == 'C' || p->type == 'L') ? json_array() : json_null();
}

json_t *hrs_sim_project(json_t *props, json_t *select, const sim_prop *table)
{
    json_t *out = json_object();
    if (select) {
        size_t i;
        json_t *n;
        json_array_foreach(select, i, n) {
            const char *name = json_string_value(n);
            json_object_set_new(out, name, value_of(props, name, hrs_sim_prop(table, name, 1)));
        }
        return out;
    }
    json_object_set_new(out, "id", json_deep_copy(json_object_get(props, "id")));
    for (const sim_prop *p = table; p->name; p++)
        if ((p->flags & SIM_P_DEFAULT) && strcmp(p->name, "id") != 0)
            json_object_set_new(out, p->name, value_of(props, p->name, p));
    return out;
}

json_t *hrs_sim_body(const sim_req *q, const char *what, json_t *select, const char *suffix)
{
    size_t cap = strlen(q->base) + strlen(what) + strlen(suffix) + 32, len;
    size_t i;
    json_t *n;
    json_array_foreach(select, i, n) cap += strlen(json_string_value(n)) + 1;
    char *ctx = malloc(cap);
    json_t *body = json_object();
    if (!ctx) return body;
    len = (size_t)snprintf(ctx, cap, "%s/$metadata#%s", q->base, what);
    if (select) {
        json_array_foreach(select, i, n)
            len += (size_t)snprintf(ctx + len, cap - len, "%c%s", i ? ',' : '(',
                                    json_string_value(n));
        len += (size_t)snprintf(ctx + len, cap - len, ")");
    }
    snprintf(ctx + len, cap - len, "%s", suffix);
    json_object_set_new(body, "@odata.context", json_string(ctx));
    free(ctx);
    return body;
}

void hrs_sim_next_link(const sim_req *q, json_t *body, long pos)
{
    size_t cap = strlen(q->base) + strlen(q->path) + 64, len;
    const char *k;
    json_t *v;
    json_object_foreach(q->query, k, v) cap += 3 * (strlen(k) + strlen(json_string_value(v))) + 2;
    char *link = malloc(cap);
    if (!link) return;
    len = (size_t)snprintf(link, cap, "%s%s?", q->base, q->path);
    json_object_foreach(q->query, k, v) {
        if (strcmp(k, "$skiptoken") == 0) continue;
        char *ek = hrs_sim_url_encode(k), *ev = hrs_sim_url_encode(json_string_value(v));
        if (ek && ev) len += (size_t)snprintf(link + len, cap - len, "%s=%s&", ek, ev);
        free(ek);
        free(ev);
    }
    snprintf(link + len, cap - len, "$skiptoken=%s%lx", SKIP_PREFIX, (unsigned long)pos);
    json_object_set_new(body, "@odata.nextLink", json_string(link));
    free(link);
}
