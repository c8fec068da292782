/* sim_users.c: the simulated user store and the /users routes: create, get (by id or
 * userPrincipalName), list with $filter/$select/$top/paging, PATCH, DELETE, manager/$ref and
 * revokeSignInSessions (graph.md §1, §2, §6, §9); /users/delta is in sim_delta.c. Every change
 * of a user is numbered for delta rounds.
 *
 * A user created less than replication_delay_ms ago is invisible to reads and writes by id and to
 * lists (404 / absent), as right after a real POST /users (graph.md §7), but its UPN is taken. */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOT_FOUND "Resource '%s' does not exist or one of its queried reference-property objects " \
                  "are not present."
#define NOT_ALLOWED "Specified HTTP method is not allowed for the request target."

static char *lower_dup(const char *s)
{
    char *d = strdup(s);
    if (d)
        for (char *c = d; *c; c++)
            if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    return d;
}

/* Copies the members of src into dst and releases src. */
static void merge(json_t *dst, json_t *src)
{
    json_object_update(dst, src);
    json_decref(src);
}

static int visible(hrs_sim *s, const sim_user *u)
{
    return s->replication_delay_ms <= 0 || u->created_at <= 0 ||
           hrs_sim_mono() - u->created_at >= s->replication_delay_ms / 1000.0;
}

sim_user *hrs_sim_user_find(hrs_sim *s, const char *key, int vis)
{
    char *lk = lower_dup(key);
    if (!lk) return NULL;
    json_t *ix = json_object_get(strchr(key, '@') ? s->user_by_upn : s->user_by_id, lk);
    free(lk);
    if (!ix) return NULL;
    sim_user *u = s->users[json_integer_value(ix)];
    return u && (!vis || visible(s, u)) ? u : NULL;
}

void hrs_sim_user_free(sim_user *u)
{
    if (!u) return;
    json_decref(u->props);
    free(u->manager);
    free(u->old_manager);
    free(u);
}

static void index_set(json_t *index, const char *key, size_t i)
{
    char *lk = lower_dup(key);
    if (lk) json_object_set_new(index, lk, json_integer((json_int_t)i));
    free(lk);
}

static void index_del(json_t *index, const char *key)
{
    char *lk = lower_dup(key);
    if (lk) json_object_del(index, lk);
    free(lk);
}

sim_user *hrs_sim_user_add(hrs_sim *s, json_t *props, double created_at, hrs_err *err)
{
    const char *id = json_string_value(json_object_get(props, "id"));
    const char *upn = json_string_value(json_object_get(props, "userPrincipalName"));
    if (!id || !upn) {
        json_decref(props);
        hrs_err_set(err, "a user needs an id and a userPrincipalName");
        return NULL;
    }
    if (hrs_sim_user_find(s, id, 0) || hrs_sim_user_find(s, upn, 0)) {
        hrs_err_set(err, "user %s (%s) is there twice", id, upn);
        json_decref(props);
        return NULL;
    }
    sim_user *u = calloc(1, sizeof *u);
    if (!u || hrs_sim_grow(&s->users, s->nusers, &s->capusers, sizeof *s->users) != 0) {
        free(u);
        json_decref(props);
        hrs_err_set(err, "out of memory");
        return NULL;
    }
    u->props = props;
    u->created_at = created_at;
    u->seq = s->next_seq++;
    s->users[s->nusers] = u;
    index_set(s->user_by_id, id, s->nusers);
    index_set(s->user_by_upn, upn, s->nusers);
    s->nusers++;
    return u;
}

void hrs_sim_user_delete(hrs_sim *s, sim_user *u)
{
    const char *id = json_string_value(json_object_get(u->props, "id"));
    char *lk = lower_dup(id);
    json_t *ix = lk ? json_object_get(s->user_by_id, lk) : NULL;
    free(lk);
    if (ix) s->users[json_integer_value(ix)] = NULL;
    for (size_t i = 0; i < s->nusers; i++) {
        sim_user *o = s->users[i];
        if (o && o->manager && strcasecmp(o->manager, id) == 0) {
            free(o->old_manager);
            o->old_manager = o->manager;
            o->manager = NULL;
            hrs_sim_changed(s, o);
        }
    }
    hrs_sim_tombstone(s, id);
    for (size_t i = 0; i < s->ngroups; i++)
        if (s->groups[i]) json_object_del(s->groups[i]->members, id);
    index_del(s->user_by_upn, json_string_value(json_object_get(u->props, "userPrincipalName")));
    index_del(s->user_by_id, id);
    hrs_sim_user_free(u);
}

/* Copies the body's properties into props: null clears, the password is dropped. */
static void apply(json_t *props, json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        if (strchr(k, '@')) continue;
        if (json_is_null(v)) {
            json_object_del(props, k);
        } else if (strcmp(k, "passwordProfile") == 0) {
            json_t *flags = json_deep_copy(v);
            json_object_del(flags, "password");   /* the password itself is never kept */
            json_object_set_new(props, k, flags);
        } else {
            json_object_set_new(props, k, json_deep_copy(v));
        }
    }
    /* Setting mail recomputes proxyAddresses (graph.md §1). */
    if (json_object_get(body, "mail")) {
        const char *mail = json_string_value(json_object_get(props, "mail"));
        if (mail) {
            size_t n = strlen(mail) + 6;
            char *smtp = malloc(n);
            if (smtp) {
                snprintf(smtp, n, "SMTP:%s", mail);
                json_object_set_new(props, "proxyAddresses", json_pack("[s]", smtp));
                free(smtp);
            }
        } else {
            json_object_set_new(props, "proxyAddresses", json_array());
        }
    }
}

/* $expand=manager or manager($select=…): *want = 1, *msel = the manager's select (or NULL). */
static int parse_expand(const sim_req *q, sim_resp *r, int *want, json_t **msel)
{
    *want = 0;
    *msel = NULL;
    const char *e = json_string_value(json_object_get(q->query, "$expand"));
    if (!e || !*e) return 0;
    if (strncasecmp(e, "manager", 7) != 0 || (e[7] && e[7] != '(')) {
        hrs_sim_fail(q, r, 400, "BadRequest",
                     "Could not find a property named '%.*s' on type 'microsoft.graph.user'.",
                     (int)strcspn(e, "(,"), e);
        return -1;
    }
    *want = 1;
    if (!e[7]) return 0;
    const char *inner = e + 8;
    size_t n = strlen(inner);
    if (n < 1 || inner[n - 1] != ')' || strncasecmp(inner, "$select=", 8) != 0) {
        hrs_sim_fail(q, r, 400, "BadRequest", "Invalid $expand option: '%s'.", e);
        return -1;
    }
    sim_req sub = *q;
    sub.query = json_pack("{s:s%}", "$select", inner + 8, n - 9);
    int rc = hrs_sim_query_select(&sub, r, hrs_sim_user_props, "user", msel);
    json_decref(sub.query);
    return rc;
}

/* The user as a list or GET returns it. */
static json_t *user_out(hrs_sim *s, sim_user *u, json_t *select, int expand, json_t *msel)
{
    json_t *o = hrs_sim_project(u->props, select, hrs_sim_user_props);
    sim_user *m = expand && u->manager ? hrs_sim_user_find(s, u->manager, 1) : NULL;
    if (m) {
        json_t *mo = json_pack("{s:s}", "@odata.type", "#microsoft.graph.user");
        merge(mo, hrs_sim_project(m->props, msel, hrs_sim_user_props));
        json_object_set_new(o, "manager", mo);
    }
    return o;
}

static void list(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    json_t *select = NULL, *msel = NULL;
    sim_filter *f = NULL;
    int top, expand;
    long skip;
    if (hrs_sim_query_unsupported(q, r) != 0 ||
        hrs_sim_query_select(q, r, hrs_sim_user_props, "user", &select) != 0)
        return;
    if (hrs_sim_query_top(q, r, &top) != 0 || hrs_sim_query_skip(q, r, &skip) != 0 ||
        parse_expand(q, r, &expand, &msel) != 0 ||
        hrs_sim_query_filter(q, r, hrs_sim_user_props, "User", &f) != 0) {
        json_decref(select);
        json_decref(msel);
        return;
    }
    int adv = hrs_sim_advanced(q), more = 0;
    long last = -1, total = 0;
    json_t *value = json_array();
    for (size_t i = 0; i < s->nusers; i++) {
        sim_user *u = s->users[i];
        if (!u || !visible(s, u) || (f && !hrs_sim_filter_match(f, u->props))) continue;
        total++;
        if (u->seq <= skip) continue;
        if (json_array_size(value) < (size_t)top) {
            json_array_append_new(value, user_out(s, u, select, expand, msel));
            last = u->seq;
        } else {
            more = 1;
            if (!adv) break;
        }
    }
    json_t *body = hrs_sim_body(q, "users", select, "");
    if (adv) json_object_set_new(body, "@odata.count", json_integer(total));
    if (more) hrs_sim_next_link(q, body, last);
    json_object_set_new(body, "value", value);
    hrs_sim_reply(r, 200, body);
    hrs_sim_filter_free(f);
    json_decref(select);
    json_decref(msel);
}

static void create(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    if (hrs_sim_user_validate(s, q, r, q->body, NULL) != 0) return;
    char id[37], now[32];
    hrs_sim_guid(id);
    hrs_sim_time(now, sizeof now, SIM_TIME_ISO);
    json_t *props = json_pack("{s:s, s:s, s:s}", "id", id, "createdDateTime", now,
                              "userType", "Member");
    apply(props, q->body);
    hrs_err err = { 0 };
    sim_user *u = hrs_sim_user_add(s, props, hrs_sim_mono(), &err);
    if (!u) {
        hrs_sim_fail(q, r, 500, "generalException", "%s", err.msg);
        return;
    }
    hrs_sim_changed(s, u);
    /* The created user: the default property set plus everything stored, never the password. */
    json_t *body = hrs_sim_body(q, "users", NULL, "/$entity");
    merge(body, hrs_sim_project(u->props, NULL, hrs_sim_user_props));
    const char *k;
    json_t *v;
    json_object_foreach(u->props, k, v)
        if (strcmp(k, "passwordProfile") != 0) json_object_set_new(body, k, json_deep_copy(v));
    hrs_sim_reply(r, 201, body);
}

static void get(hrs_sim *s, const sim_req *q, sim_resp *r, sim_user *u)
{
    json_t *select = NULL, *msel = NULL;
    int expand;
    if (hrs_sim_query_select(q, r, hrs_sim_user_props, "user", &select) != 0) return;
    if (parse_expand(q, r, &expand, &msel) != 0) {
        json_decref(select);
        return;
    }
    json_t *body = hrs_sim_body(q, "users", select, "/$entity");
    merge(body, user_out(s, u, select, expand, msel));
    hrs_sim_reply(r, 200, body);
    json_decref(select);
    json_decref(msel);
}

static void patch(hrs_sim *s, const sim_req *q, sim_resp *r, sim_user *u)
{
    if (hrs_sim_user_validate(s, q, r, q->body, u) != 0) return;
    const char *old = json_string_value(json_object_get(u->props, "userPrincipalName"));
    const char *neu = json_string_value(json_object_get(q->body, "userPrincipalName"));
    if (neu && strcasecmp(old, neu) != 0) {
        char *lk = lower_dup(old);
        json_t *pos = lk ? json_incref(json_object_get(s->user_by_upn, lk)) : NULL;
        if (lk) json_object_del(s->user_by_upn, lk);
        free(lk);
        lk = lower_dup(neu);
        if (lk && pos) json_object_set(s->user_by_upn, lk, pos);
        free(lk);
        json_decref(pos);
    }
    apply(u->props, q->body);
    hrs_sim_changed(s, u);
    hrs_sim_reply(r, 204, NULL);
}

static void manager(hrs_sim *s, const sim_req *q, sim_resp *r, sim_user *u, int ref)
{
    const char *m = q->method;
    sim_user *mu = u->manager ? hrs_sim_user_find(s, u->manager, 1) : NULL;
    if (ref && strcmp(m, "PUT") == 0) {
        char buf[256];
        if (hrs_sim_need_body(q, r) != 0) return;
        const char *id = hrs_sim_ref_id(q->body, buf, sizeof buf);
        if (!id) {
            /* UNVERIFIED wording. */
            hrs_sim_fail(q, r, 400, "BadRequest", "The @odata.id of the reference is missing or "
                         "invalid.");
            return;
        }
        sim_user *target = hrs_sim_user_find(s, id, 1);
        if (!target) {
            hrs_sim_fail(q, r, 404, "Request_ResourceNotFound", NOT_FOUND, id);
            return;
        }
        if (target == u) {   /* UNVERIFIED: Graph's answer to a user managing itself */
            hrs_sim_fail(q, r, 400, "Request_BadRequest",
                         "Invalid value specified for property 'manager' of resource 'User'.");
            return;
        }
        free(u->manager);
        u->manager = strdup(json_string_value(json_object_get(target->props, "id")));
        hrs_sim_changed(s, u);
        hrs_sim_reply(r, 204, NULL);
    } else if (!mu && (strcmp(m, "GET") == 0 || (ref && strcmp(m, "DELETE") == 0))) {
        hrs_sim_fail(q, r, 404, "Request_ResourceNotFound", NOT_FOUND, "manager");
    } else if (ref && strcmp(m, "DELETE") == 0) {
        free(u->old_manager);
        u->old_manager = u->manager;
        u->manager = NULL;
        hrs_sim_changed(s, u);
        hrs_sim_reply(r, 204, NULL);
    } else if (!ref && strcmp(m, "GET") == 0) {
        json_t *select = NULL;
        if (hrs_sim_query_select(q, r, hrs_sim_user_props, "user", &select) != 0) return;
        json_t *body = hrs_sim_body(q, "directoryObjects", NULL, "/$entity");
        json_object_set_new(body, "@odata.type", json_string("#microsoft.graph.user"));
        merge(body, hrs_sim_project(mu->props, select, hrs_sim_user_props));
        hrs_sim_reply(r, 200, body);
        json_decref(select);
    } else {
        hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
    }
}

void hrs_sim_users_route(hrs_sim *s, const sim_req *q, sim_resp *r, char **seg, int nseg)
{
    const char *m = q->method;
    if (nseg == 1) {
        if (strcmp(m, "GET") == 0) list(s, q, r);
        else if (strcmp(m, "POST") == 0) create(s, q, r);
        else hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
        return;
    }
    if (nseg == 2 && (strcmp(seg[1], "delta") == 0 || strcmp(seg[1], "microsoft.graph.delta") == 0)) {
        if (strcmp(m, "GET") == 0) hrs_sim_users_delta(s, q, r);
        else hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
        return;
    }
    sim_user *u = hrs_sim_user_find(s, seg[1], 1);
    if (!u) {
        hrs_sim_fail(q, r, 404, "Request_ResourceNotFound", NOT_FOUND, seg[1]);
        return;
    }
    if (nseg == 2) {
        if (strcmp(m, "GET") == 0) get(s, q, r, u);
        else if (strcmp(m, "PATCH") == 0) patch(s, q, r, u);
        else if (strcmp(m, "DELETE") == 0) {
            hrs_sim_user_delete(s, u);
            hrs_sim_reply(r, 204, NULL);
        } else hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
    } else if (strcmp(seg[2], "manager") == 0 &&
               (nseg == 3 || (nseg == 4 && strcmp(seg[3], "$ref") == 0))) {
        manager(s, q, r, u, nseg == 4);
    } else if (nseg == 3 && strcasecmp(seg[2], "revokeSignInSessions") == 0) {
        if (strcmp(m, "POST") != 0) {
            hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
            return;
        }
        char now[32];
        hrs_sim_time(now, sizeof now, SIM_TIME_ISO);
        json_object_set_new(u->props, "signInSessionsValidFromDateTime", json_string(now));
        hrs_sim_changed(s, u);
        json_t *body = hrs_sim_body(q, "Edm.Boolean", NULL, "");
        json_object_set_new(body, "value", json_true());
        hrs_sim_reply(r, 200, body);
    } else {
        hrs_sim_fail(q, r, 400, "BadRequest", "Resource not found for the segment '%s'.", seg[2]);
    }
}
