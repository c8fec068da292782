/* sim_groups.c: the simulated groups and their members (graph.md §3): list/get/create/PATCH
 * groups, list members with paging, add a member with members/$ref or several (≤ 20, all or
 * nothing) with members@odata.bind, remove one with members/{id}/$ref.
 *
 * As in Graph, DELETE /groups/{id}/members/{id} without /$ref deletes the member object itself. */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define NOT_FOUND "Resource '%s' does not exist or one of its queried reference-property objects " \
                  "are not present."
#define NOT_ALLOWED "Specified HTTP method is not allowed for the request target."
#define ALREADY "One or more added object references already exist for the following modified " \
                "properties: 'members'."

static void lower_key(char *buf, size_t n, const char *id) { hrs_sim_lower(buf, n, id); }

sim_group *hrs_sim_group_find(hrs_sim *s, const char *id)
{
    char k[128];
    if (strlen(id) >= sizeof k) return NULL;
    lower_key(k, sizeof k, id);
    json_t *ix = json_object_get(s->group_by_id, k);
    return ix ? s->groups[json_integer_value(ix)] : NULL;
}

void hrs_sim_group_free(sim_group *g)
{
    if (!g) return;
    json_decref(g->props);
    json_decref(g->members);
    free(g);
}

sim_group *hrs_sim_group_add(hrs_sim *s, json_t *props, hrs_err *err)
{
    const char *id = json_string_value(json_object_get(props, "id"));
    char k[128];
    if (!id || strlen(id) >= sizeof k || !json_is_string(json_object_get(props, "displayName"))) {
        json_decref(props);
        hrs_err_set(err, "a group needs an id and a displayName");
        return NULL;
    }
    if (hrs_sim_group_find(s, id) || hrs_sim_user_find(s, id, 0)) {
        hrs_err_set(err, "object %s is there twice", id);
        json_decref(props);
        return NULL;
    }
    sim_group *g = calloc(1, sizeof *g);
    if (!g || hrs_sim_grow(&s->groups, s->ngroups, &s->capgroups, sizeof *s->groups) != 0) {
        free(g);
        json_decref(props);
        hrs_err_set(err, "out of memory");
        return NULL;
    }
    g->props = props;
    g->members = json_object();
    g->seq = s->next_seq++;
    s->groups[s->ngroups] = g;
    lower_key(k, sizeof k, id);
    json_object_set_new(s->group_by_id, k, json_integer((json_int_t)s->ngroups));
    s->ngroups++;
    return g;
}

static const char *gid(const sim_group *g)
{
    return json_string_value(json_object_get(g->props, "id"));
}

static void group_delete(hrs_sim *s, sim_group *g)
{
    char k[128];
    lower_key(k, sizeof k, gid(g));
    json_t *ix = json_object_get(s->group_by_id, k);
    if (ix) s->groups[json_integer_value(ix)] = NULL;
    for (size_t i = 0; i < s->ngroups; i++)
        if (s->groups[i]) json_object_del(s->groups[i]->members, gid(g));
    json_object_del(s->group_by_id, k);
    hrs_sim_group_free(g);
}

/* The canonical id of the user (visible) or group with this id, or NULL. */
static const char *dir_object(hrs_sim *s, const char *id)
{
    sim_user *u = hrs_sim_user_find(s, id, 1);
    if (u && !strchr(id, '@')) return json_string_value(json_object_get(u->props, "id"));
    sim_group *g = hrs_sim_group_find(s, id);
    return g ? gid(g) : NULL;
}

/* Resolves a members@odata.bind list (≤ 20, every object present, none a member yet) into ids.
 * Returns 0, or -1 after filling r; nothing is changed either way. */
static int resolve_binds(hrs_sim *s, const sim_req *q, sim_resp *r, json_t *binds,
                         sim_group *g, size_t other_links, json_t *ids)
{
    if (!json_is_array(binds)) {
        hrs_sim_fail(q, r, 400, "BadRequest", "The value of 'members@odata.bind' must be an "
                     "array of URLs.");   /* UNVERIFIED wording */
        return -1;
    }
    if (json_array_size(binds) + other_links > SIM_BIND_MAX) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "A resource cannot contain more than %d link changes.", SIM_BIND_MAX);
        return -1;
    }
    size_t i;
    json_t *b;
    json_array_foreach(binds, i, b) {
        char buf[256];
        json_t *wrap = json_pack("{s:O}", "@odata.id", b);
        const char *id = hrs_sim_ref_id(wrap, buf, sizeof buf);
        json_decref(wrap);
        const char *canon = id ? dir_object(s, id) : NULL;
        if (!canon) {
            hrs_sim_fail(q, r, 404, "Request_ResourceNotFound", NOT_FOUND,
                         id ? id : json_string_value(b) ? json_string_value(b) : "");
            return -1;
        }
        if ((g && json_object_get(g->members, canon)) || json_object_get(ids, canon)) {
            hrs_sim_fail(q, r, 400, "Request_BadRequest", ALREADY);
            return -1;
        }
        json_object_set_new(ids, canon, json_true());
    }
    return 0;
}

/* Checks the properties of a group body; binds receives members@odata.bind (or NULL). */
static int check_group_body(const sim_req *q, sim_resp *r, json_t **binds, size_t *owners)
{
    if (hrs_sim_need_body(q, r) != 0) return -1;
    *binds = NULL;
    *owners = 0;
    const char *k;
    json_t *v;
    json_object_foreach(q->body, k, v) {
        if (!strchr(k, '@') || strcmp(k, "@odata.type") == 0) continue;
        if (strcmp(k, "members@odata.bind") == 0) *binds = v;
        else if (strcmp(k, "owners@odata.bind") == 0) *owners = json_array_size(v);
        else {
            hrs_sim_fail(q, r, 400, "BadRequest", "The property '%s' does not exist on type "
                         "'microsoft.graph.group'. Make sure to only use property names that are "
                         "defined by the type or mark the type as open type.", k);
            return -1;
        }
    }
    return hrs_sim_check_props(q, r, q->body, hrs_sim_group_props, "group", "Group");
}

static void copy_props(json_t *props, json_t *body)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        if (strchr(k, '@')) continue;
        if (json_is_null(v)) json_object_del(props, k);
        else json_object_set_new(props, k, json_deep_copy(v));
    }
}

static void add_members(sim_group *g, json_t *ids)
{
    const char *k;
    json_t *v;
    json_object_foreach(ids, k, v) json_object_set_new(g->members, k, json_true());
}

static int nickname_taken(hrs_sim *s, const char *nick, const sim_group *self)
{
    for (size_t i = 0; nick && i < s->ngroups; i++) {
        sim_group *g = s->groups[i];
        const char *n = g ? json_string_value(json_object_get(g->props, "mailNickname")) : NULL;
        if (g && g != self && n && strcasecmp(n, nick) == 0) return 1;
    }
    return 0;
}

static void create(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    json_t *binds;
    size_t owners;
    if (check_group_body(q, r, &binds, &owners) != 0) return;
    static const char *const required[] = { "displayName", "mailEnabled", "mailNickname",
                                            "securityEnabled", NULL };
    for (int i = 0; required[i]; i++) {
        json_t *v = json_object_get(q->body, required[i]);
        if (!v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v))) {
            hrs_sim_fail(q, r, 400, "Request_BadRequest",
                         "Property %s value is required but is empty or missing.", required[i]);
            return;
        }
    }
    if (nickname_taken(s, json_string_value(json_object_get(q->body, "mailNickname")), NULL)) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "Another object with the same value for property mailNickname already "
                     "exists.");
        return;
    }
    json_t *ids = json_object();
    if (binds && resolve_binds(s, q, r, binds, NULL, owners, ids) != 0) {
        json_decref(ids);
        return;
    }
    char id[37], now[32];
    hrs_sim_guid(id);
    hrs_sim_time(now, sizeof now, SIM_TIME_ISO);
    json_t *props = json_pack("{s:s, s:s, s:[]}", "id", id, "createdDateTime", now,
                              "groupTypes");
    copy_props(props, q->body);
    hrs_err err = { 0 };
    sim_group *g = hrs_sim_group_add(s, props, &err);
    if (!g) {
        json_decref(ids);
        hrs_sim_fail(q, r, 500, "generalException", "%s", err.msg);
        return;
    }
    add_members(g, ids);
    json_decref(ids);
    json_t *body = hrs_sim_body(q, "groups", NULL, "/$entity"), *copy = json_deep_copy(g->props);
    json_object_update(body, copy);
    json_decref(copy);
    hrs_sim_reply(r, 201, body);
}

static void list_groups(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    json_t *select = NULL;
    sim_filter *f = NULL;
    int top;
    long skip;
    if (hrs_sim_query_unsupported(q, r) != 0 ||
        hrs_sim_query_select(q, r, hrs_sim_group_props, "group", &select) != 0)
        return;
    if (hrs_sim_query_top(q, r, &top) != 0 || hrs_sim_query_skip(q, r, &skip) != 0 ||
        hrs_sim_query_filter(q, r, hrs_sim_group_props, "Group", &f) != 0) {
        json_decref(select);
        return;
    }
    int adv = hrs_sim_advanced(q), more = 0;
    long last = -1, total = 0;
    json_t *value = json_array();
    for (size_t i = 0; i < s->ngroups; i++) {
        sim_group *g = s->groups[i];
        if (!g || (f && !hrs_sim_filter_match(f, g->props))) continue;
        total++;
        if (g->seq <= skip) continue;
        if (json_array_size(value) < (size_t)top) {
            json_array_append_new(value, hrs_sim_project(g->props, select, hrs_sim_group_props));
            last = g->seq;
        } else {
            more = 1;
            if (!adv) break;
        }
    }
    json_t *body = hrs_sim_body(q, "groups", select, "");
    if (adv) json_object_set_new(body, "@odata.count", json_integer(total));
    if (more) hrs_sim_next_link(q, body, last);
    json_object_set_new(body, "value", value);
    hrs_sim_reply(r, 200, body);
    hrs_sim_filter_free(f);
    json_decref(select);
}

static json_t *member_out(hrs_sim *s, const char *id, json_t *select)
{
    sim_user *u = hrs_sim_user_find(s, id, 1);
    sim_group *g = u ? NULL : hrs_sim_group_find(s, id);
    if (!u && !g) return NULL;
    json_t *o = json_pack("{s:s}", "@odata.type", u ? "#microsoft.graph.user"
                                                    : "#microsoft.graph.group");
    json_t *p = u ? hrs_sim_project(u->props, select, hrs_sim_user_props)
                  : hrs_sim_project(g->props, select, hrs_sim_group_props);
    json_object_update(o, p);
    json_decref(p);
    return o;
}

static void list_members(hrs_sim *s, const sim_req *q, sim_resp *r, sim_group *g)
{
    json_t *select = NULL;
    int top;
    long skip;
    if (hrs_sim_query_unsupported(q, r) != 0 ||
        hrs_sim_query_select(q, r, hrs_sim_user_props, "directoryObject", &select) != 0)
        return;
    if (hrs_sim_query_top(q, r, &top) != 0 || hrs_sim_query_skip(q, r, &skip) != 0) {
        json_decref(select);
        return;
    }
    json_t *value = json_array();
    long pos = -1, last = -1;
    int more = 0;
    const char *k;
    json_t *v;
    json_object_foreach(g->members, k, v) {
        pos++;
        if (pos <= skip) continue;
        json_t *o = member_out(s, k, select);
        if (!o) continue;   /* still replicating */
        if (json_array_size(value) == (size_t)top) {
            json_decref(o);
            more = 1;
            break;
        }
        json_array_append_new(value, o);
        last = pos;
    }
    json_t *body = hrs_sim_body(q, "directoryObjects", select, "");
    if (more) hrs_sim_next_link(q, body, last);
    json_object_set_new(body, "value", value);
    hrs_sim_reply(r, 200, body);
    json_decref(select);
}

static void patch(hrs_sim *s, const sim_req *q, sim_resp *r, sim_group *g)
{
    json_t *binds;
    size_t owners;
    if (check_group_body(q, r, &binds, &owners) != 0) return;
    json_t *dn = json_object_get(q->body, "displayName");
    if (dn && (json_is_null(dn) || !*json_string_value(dn))) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "Invalid value specified for property 'displayName' of resource 'Group'.");
        return;
    }
    if (nickname_taken(s, json_string_value(json_object_get(q->body, "mailNickname")), g)) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "Another object with the same value for property mailNickname already "
                     "exists.");
        return;
    }
    json_t *ids = json_object();
    if (binds && resolve_binds(s, q, r, binds, g, owners, ids) != 0) {
        json_decref(ids);
        return;
    }
    copy_props(g->props, q->body);
    add_members(g, ids);
    json_decref(ids);
    hrs_sim_reply(r, 204, NULL);
}

static void members_route(hrs_sim *s, const sim_req *q, sim_resp *r, sim_group *g, char **seg,
                          int nseg)
{
    const char *m = q->method;
    if (nseg == 3) {
        if (strcmp(m, "GET") == 0) list_members(s, q, r, g);
        else hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
    } else if (nseg == 4 && strcmp(seg[3], "$ref") == 0) {
        if (strcmp(m, "POST") != 0) {
            hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
            return;
        }
        if (hrs_sim_need_body(q, r) != 0) return;
        char buf[256];
        if (!hrs_sim_ref_id(q->body, buf, sizeof buf)) {
            hrs_sim_fail(q, r, 400, "BadRequest", "The @odata.id of the reference is missing or "
                         "invalid.");   /* UNVERIFIED wording */
            return;
        }
        json_t *one = json_pack("[O]", json_object_get(q->body, "@odata.id"));
        json_t *ids = json_object();
        if (resolve_binds(s, q, r, one, g, 0, ids) == 0) {
            add_members(g, ids);
            hrs_sim_reply(r, 204, NULL);
        }
        json_decref(one);
        json_decref(ids);
    } else if ((nseg == 4 || (nseg == 5 && strcmp(seg[4], "$ref") == 0)) &&
               strcmp(m, "DELETE") == 0) {
        const char *id = dir_object(s, seg[3]);
        if (!id || !json_object_get(g->members, id)) {
            hrs_sim_fail(q, r, 404, "Request_ResourceNotFound", NOT_FOUND, seg[3]);
            return;
        }
        if (nseg == 5) {
            json_object_del(g->members, id);
        } else {
            /* Without /$ref Graph deletes the member object itself (graph.md §3). */
            sim_user *u = hrs_sim_user_find(s, id, 1);
            sim_group *mg = u ? NULL : hrs_sim_group_find(s, id);
            if (u) hrs_sim_user_delete(s, u);
            else if (mg) group_delete(s, mg);
        }
        hrs_sim_reply(r, 204, NULL);
    } else if (nseg >= 4) {
        hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
    }
}

void hrs_sim_groups_route(hrs_sim *s, const sim_req *q, sim_resp *r, char **seg, int nseg)
{
    const char *m = q->method;
    if (nseg == 1) {
        if (strcmp(m, "GET") == 0) list_groups(s, q, r);
        else if (strcmp(m, "POST") == 0) create(s, q, r);
        else hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
        return;
    }
    sim_group *g = hrs_sim_group_find(s, seg[1]);
    if (!g) {
        hrs_sim_fail(q, r, 404, "Request_ResourceNotFound", NOT_FOUND, seg[1]);
        return;
    }
    if (nseg == 2) {
        if (strcmp(m, "GET") == 0) {
            json_t *select = NULL;
            if (hrs_sim_query_select(q, r, hrs_sim_group_props, "group", &select) != 0) return;
            json_t *body = hrs_sim_body(q, "groups", select, "/$entity");
            json_t *p = hrs_sim_project(g->props, select, hrs_sim_group_props);
            json_object_update(body, p);
            json_decref(p);
            json_decref(select);
            hrs_sim_reply(r, 200, body);
        } else if (strcmp(m, "PATCH") == 0) {
            patch(s, q, r, g);
        } else if (strcmp(m, "DELETE") == 0) {
            group_delete(s, g);
            hrs_sim_reply(r, 204, NULL);
        } else {
            hrs_sim_fail(q, r, 405, "Request_BadRequest", NOT_ALLOWED);
        }
    } else if (strcmp(seg[2], "members") == 0) {
        members_route(s, q, r, g, seg, nseg);
    } else {
        hrs_sim_fail(q, r, 400, "BadRequest", "Resource not found for the segment '%s'.", seg[2]);
    }
}
