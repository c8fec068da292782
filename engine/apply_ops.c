/* apply_ops.c: the operations of a plan as journal specs, and the Graph requests they become
 * (see include/hrsync/apply.h). A spec never holds a password: a create's password is made
 * each time the request is built. */
#include "apply_internal.h"
#include "hrsync/http.h"
#include "hrsync/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name, *method;
    int phase;
} kinds[K_COUNT] = {
    [K_CREATE] = { "create", "POST", 1 },          [K_UPDATE] = { "update", "PATCH", 1 },
    [K_RENAME] = { "rename", "PATCH", 2 },         [K_ENABLE] = { "enable", "PATCH", 3 },
    [K_DISABLE] = { "disable", "PATCH", 3 },       [K_LEAVE_DATE] = { "leave_date", "PATCH", 4 },
    [K_GROUP_ADD] = { "group_add", "POST", 4 },    [K_GROUP_REMOVE] = { "group_remove", "DELETE", 4 },
    [K_MANAGER] = { "manager", "PUT", 4 },         [K_REVOKE] = { "revoke", "POST", 5 },
};

const char *hrs_apply_kind_name(op_kind k) { return kinds[k].name; }
int hrs_apply_kind_phase(op_kind k) { return kinds[k].phase; }
const char *hrs_apply_kind_method(op_kind k) { return kinds[k].method; }

int hrs_apply_kind_parse(const char *name, op_kind *out)
{
    for (int k = 0; k < K_COUNT; k++)
        if (name && strcmp(name, kinds[k].name) == 0) { *out = (op_kind)k; return 0; }
    return -1;
}

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

/* ---- specs ------------------------------------------------------------------------------ */

static json_t *spec_new(op_kind k, const json_t *e)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:s, s:s?, s:s?}", "kind", kinds[k].name, "method", kinds[k].method, "phase",
                     kinds[k].phase, "person", sv(e, "person"), "name", sv(e, "name") ? sv(e, "name") : sv(e, "person"),
                     "object_id", sv(e, "object_id"), "upn", sv(e, "upn"));
}

static void add_group_specs(json_t *specs, const json_t *e, const char *key, op_kind k)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(e, key), i, g) {
        json_t *s = spec_new(k, e);
        json_object_set_new(s, "group", json_pack("{s:s, s:s}", "group", sv(g, "group"), "id", sv(g, "id")));
        json_array_append_new(specs, s);
    }
}

json_t *hrs_apply_specs(const json_t *plan, const char *today)
{
    json_t *specs = json_array();
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(plan, "changes"), i, e) {
        const char *a = sv(e, "action");
        if (!a) continue;
        if (strcmp(a, "create") == 0) {
            json_t *s = spec_new(K_CREATE, e);
            const json_t *cands = json_object_get(e, "upn_candidates");
            size_t cand = 0;
            for (size_t k = 0; k < json_array_size(cands); k++)
                if (sv(e, "upn") && strcmp(json_string_value(json_array_get(cands, k)), sv(e, "upn")) == 0) cand = k;
            json_object_set(s, "upn_candidates", (json_t *)cands);
            json_object_set_new(s, "cand", json_integer((json_int_t)cand));
            json_object_set(s, "attributes", json_object_get(e, "attributes"));
            json_object_set_new(s, "account_enabled", json_boolean(json_is_true(json_object_get(e, "account_enabled"))));
            if (sv(e, "replaces")) json_object_set_new(s, "replaces", json_string(sv(e, "replaces")));
            json_array_append_new(specs, s);
        }
        if (json_array_size(json_object_get(e, "changes"))) {
            json_t *s = spec_new(K_UPDATE, e), *set = json_object();
            size_t j;
            json_t *ch;
            json_array_foreach(json_object_get(e, "changes"), j, ch)
                json_object_set(set, sv(ch, "attribute"), json_object_get(ch, "new"));
            json_object_set_new(s, "set", set);
            json_object_set(s, "changes", json_object_get(e, "changes"));   /* old values, for the audit */
            json_array_append_new(specs, s);
        }
        const json_t *ren = json_object_get(e, "rename");
        if (ren) {
            json_t *s = spec_new(K_RENAME, e);
            const json_t *cands = json_object_get(ren, "candidates");
            size_t cand = 0;
            for (size_t k = 0; k < json_array_size(cands); k++)
                if (sv(ren, "new") && strcmp(json_string_value(json_array_get(cands, k)), sv(ren, "new")) == 0) cand = k;
            json_object_set(s, "upn_candidates", (json_t *)cands);
            json_object_set_new(s, "cand", json_integer((json_int_t)cand));
            json_object_set_new(s, "changes", json_pack("[{s:s, s:O, s:O}]", "attribute", "userPrincipalName", "old",
                                                        json_object_get(ren, "old"), "new", json_object_get(ren, "new")));
            json_array_append_new(specs, s);
        }
        if (json_object_get(e, "enable")) {
            json_t *s = spec_new(K_ENABLE, e);
            json_object_set_new(s, "changes", json_pack("[{s:s, s:b, s:b}]", "attribute", "accountEnabled", "old", 0, "new", 1));
            json_array_append_new(specs, s);
        }
        const json_t *dis = json_object_get(e, "disable");
        const char *left = strcmp(a, "leaver") == 0 ? (sv(dis, "since") ? sv(dis, "since") : today) : NULL;
        /* The person counts as processed as a leaver ("left", plan_lifecycle.c) once the last of
         * disable and revoke is done: a revoke that failed is planned again. */
        int revoke = json_is_true(json_object_get(e, "revoke"));
        if (dis) {
            json_t *s = spec_new(K_DISABLE, e);
            json_object_set_new(s, "changes", json_pack("[{s:s, s:b, s:b}]", "attribute", "accountEnabled", "old", 1, "new", 0));
            if (left && !revoke) json_object_set_new(s, "left", json_string(left));
            json_array_append_new(specs, s);
        }
        const json_t *ld = json_object_get(e, "leave_date");
        if (ld) {
            json_t *s = spec_new(K_LEAVE_DATE, e);
            json_object_set(s, "value", json_object_get(ld, "new"));
            json_object_set_new(s, "changes", json_pack("[{s:s, s:O, s:O}]", "attribute", "employeeLeaveDateTime", "old",
                                                        json_object_get(ld, "old") ? json_object_get(ld, "old") : json_null(),
                                                        "new", json_object_get(ld, "new")));
            json_array_append_new(specs, s);
        }
        add_group_specs(specs, e, "groups_add", K_GROUP_ADD);
        add_group_specs(specs, e, "groups_remove", K_GROUP_REMOVE);
        const json_t *m = json_object_get(e, "manager");
        if (m) {
            json_t *s = spec_new(K_MANAGER, e);
            json_object_set_new(s, "manager", json_pack("{s:s, s:s?, s:s?}", "person", sv(m, "person"), "name", sv(m, "name"),
                                                        "id", sv(m, "id")));
            json_array_append_new(specs, s);
        }
        if (revoke) {
            json_t *s = spec_new(K_REVOKE, e);
            if (left) json_object_set_new(s, "left", json_string(left));
            json_array_append_new(specs, s);
        }
    }
    return specs;
}

/* ---- requests --------------------------------------------------------------------------- */

const char *hrs_apply_target(const apply_run *r, const apply_op *o)
{
    const char *oid = sv(o->spec, "object_id");
    return oid ? oid : sv(r->created, sv(o->spec, "person"));
}

/* "/<a>/<id>[/<b>/<id2>]<tail>": a relative Graph URL from path segments. */
static char *graph_path(const char *a, const char *id, const char *b, const char *id2, const char *tail)
{
    size_t n = strlen(a) + strlen(id) + (b ? strlen(b) + strlen(id2) : 0) + strlen(tail) + 8;
    char *u = malloc(n);
    if (u) snprintf(u, n, "/%s/%s%s%s%s%s%s", a, id, b ? "/" : "", b ? b : "", b ? "/" : "", b ? id2 : "", tail);
    return u;
}

static json_t *create_body(const apply_op *o, hrs_err *err)
{
    const json_t *s = o->spec;
    const char *upn = json_string_value(json_array_get(json_object_get(s, "upn_candidates"),
                                                       (size_t)json_integer_value(json_object_get(s, "cand"))));
    if (!upn) { hrs_err_set(err, "internal: create of %s without a UPN", sv(s, "person")); return NULL; }
    char password[25];
    if (hrs_password_generate(password, sizeof password, 20, err) != 0) return NULL;
    json_t *b = json_deep_copy(json_object_get(s, "attributes"));
    if (!b) b = json_object();
    json_object_set_new(b, "accountEnabled", json_boolean(json_is_true(json_object_get(s, "account_enabled"))));
    json_object_set_new(b, "userPrincipalName", json_string(upn));
    if (!json_object_get(b, "mailNickname")) {
        size_t l = strcspn(upn, "@");
        char nick[65];
        snprintf(nick, sizeof nick, "%.*s", (int)(l > 64 ? 64 : l), upn);
        json_object_set_new(b, "mailNickname", json_string(nick));
    }
    json_object_set_new(b, "passwordProfile", json_pack("{s:s, s:b}", "password", password, "forceChangePasswordNextSignIn", 1));
    memset(password, 0, sizeof password);
    return b;
}

int hrs_apply_build(const apply_run *r, apply_op *o, hrs_err *err)
{
    json_decref(o->body);
    o->body = NULL;
    free(o->url);
    o->url = NULL;
    const json_t *s = o->spec;
    if (o->kind == K_CREATE) {
        if (!(o->body = create_body(o, err))) return -1;
        o->url = strdup("/users");
        return o->url ? 0 : hrs_err_set(err, "out of memory");
    }
    const char *oid = hrs_apply_target(r, o);
    if (!oid) return 1;
    const char *gid = sv(json_object_get(s, "group"), "id");
    char ref[600];
    switch (o->kind) {
    case K_UPDATE:
        o->body = json_deep_copy(json_object_get(s, "set"));
        break;
    case K_RENAME:
        o->body = json_pack("{s:O}", "userPrincipalName",
                            json_array_get(json_object_get(s, "upn_candidates"), (size_t)json_integer_value(json_object_get(s, "cand"))));
        break;
    case K_ENABLE:
    case K_DISABLE:
        o->body = json_pack("{s:b}", "accountEnabled", o->kind == K_ENABLE);
        break;
    case K_LEAVE_DATE:
        o->body = json_pack("{s:O}", "employeeLeaveDateTime", json_object_get(s, "value") ? json_object_get(s, "value") : json_null());
        break;
    case K_GROUP_ADD:
        snprintf(ref, sizeof ref, "%s/directoryObjects/%s", r->ctx->graph_url, oid);
        o->body = json_pack("{s:s}", "@odata.id", ref);
        o->url = graph_path("groups", gid, NULL, NULL, "/members/$ref");
        break;
    case K_GROUP_REMOVE:
        o->url = graph_path("groups", gid, "members", oid, "/$ref");
        break;
    case K_MANAGER: {
        const json_t *m = json_object_get(s, "manager");
        const char *mid = sv(m, "id") ? sv(m, "id") : sv(r->created, sv(m, "person"));
        if (!mid) return 1;
        snprintf(ref, sizeof ref, "%s/users/%s", r->ctx->graph_url, mid);
        o->body = json_pack("{s:s}", "@odata.id", ref);
        o->url = graph_path("users", oid, NULL, NULL, "/manager/$ref");
        break;
    }
    case K_REVOKE:
        o->url = graph_path("users", oid, NULL, NULL, "/revokeSignInSessions");
        break;
    default:
        break;
    }
    if (!o->url) o->url = graph_path("users", oid, NULL, NULL, "");
    return o->url ? 0 : hrs_err_set(err, "out of memory");
}

/* ---- look-ups of uncertain creates ------------------------------------------------------ */

static int is_ours(const apply_op *o, const json_t *u)
{
    const char *want = sv(json_object_get(o->spec, "attributes"), "employeeId");
    const char *have = sv(u, "employeeId");
    const char *replaces = sv(o->spec, "replaces");
    if (replaces && sv(u, "id") && strcmp(replaces, sv(u, "id")) == 0) return 0;
    return !want || (have && strcmp(want, have) == 0);
}

int hrs_apply_lookup(const apply_run *r, const apply_op *o, json_t **user, hrs_err *err)
{
    *user = NULL;
    const json_t *cands = json_object_get(o->spec, "upn_candidates");
    const char *upn = json_string_value(json_array_get(cands, (size_t)json_integer_value(json_object_get(o->spec, "cand"))));
    if (!upn) return 0;
    char *esc = hrs_http_escape(upn);
    if (!esc) return hrs_err_set(err, "out of memory");
    char path[1200];
    snprintf(path, sizeof path, "/users/%s?$select=id,userPrincipalName,employeeId,accountEnabled", esc);
    free(esc);
    json_t *u = NULL;
    hrs_err e2;
    hrs_err_clear(&e2);
    if (hrs_graph_call(r->ctx->graph, "GET", path, NULL, &u, &e2) == 0) {
        if (is_ours(o, u)) { *user = u; return 1; }
        json_decref(u);
        return 2;
    }
    if (e2.http_status != 404) { *err = e2; return -1; }
    /* Not under that UPN: by employeeId, among the UPNs this create could have used. */
    const char *eid = sv(json_object_get(o->spec, "attributes"), "employeeId");
    if (!eid) return 0;
    char lit[200];
    size_t n = 0;
    for (const char *p = eid; *p && n + 2 < sizeof lit; p++) {
        if (*p == '\'') lit[n++] = '\'';
        lit[n++] = *p;
    }
    lit[n] = '\0';
    char *lesc = hrs_http_escape(lit);
    if (!lesc) return hrs_err_set(err, "out of memory");
    snprintf(path, sizeof path, "/users?$filter=employeeId%%20eq%%20'%s'&$select=id,userPrincipalName,employeeId,accountEnabled", lesc);
    free(lesc);
    json_t *found = NULL;
    if (hrs_graph_get_all(r->ctx->graph, path, &found, err) != 0) return -1;
    size_t i;
    json_t *f;
    json_array_foreach(found, i, f) {
        const char *fu = sv(f, "userPrincipalName");
        for (size_t k = 0; fu && k < json_array_size(cands); k++) {
            if (strcasecmp(json_string_value(json_array_get(cands, k)), fu) == 0 && is_ours(o, f)) {
                *user = json_incref(f);
                json_decref(found);
                return 1;
            }
        }
    }
    json_decref(found);
    return 0;
}
