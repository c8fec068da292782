/* sim_delta.c: GET /users/delta (graph.md §6; Graph's user: delta and "Use delta query").
 *
 * Every change of a user (create, update, manager, revoke) takes the next change number; a
 * deletion leaves a tombstone with its own number. The first round (no token) returns every
 * user that can be read, page by page ($skiptoken nextLinks), and ends with a deltaLink whose
 * $deltatoken holds the round's watermark; a round from a deltaLink returns the users changed
 * after that watermark, in change order, and the deleted ones as {"id", "@removed": {"reason":
 * "changed"}} (a deleted user is restorable for 30 days: graph.md §9). $select is given in the
 * first request only and is carried in the tokens; "manager" in it adds "manager@delta". A user
 * still replicating is left out and the watermark stays before its change, so a later round
 * returns it (the documented "processing delays"). $expand, $top, $orderby and $filter are
 * refused. The expire_delta_tokens fault makes every earlier token answer 400
 * syncStateNotFound, as an expired token does after seven days. */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DELTA_PAGE 200   /* users per page; Graph's page size for delta is server-driven (UNVERIFIED) */

void hrs_sim_changed(hrs_sim *s, sim_user *u) { u->changed = ++s->change_seq; }

void hrs_sim_tombstone(hrs_sim *s, const char *id)
{
    json_array_append_new(s->tombstones, json_pack("[s, I]", id, (json_int_t)++s->change_seq));
}

static int replicating(hrs_sim *s, const sim_user *u)
{
    return s->replication_delay_ms > 0 && u->created_at > 0 &&
           hrs_sim_mono() - u->created_at < s->replication_delay_ms / 1000.0;
}

/* A round's state, as its tokens carry it. */
typedef struct round {
    long gen;
    long from;        /* changes after this; -1 = the first round (everyone) */
    long mark;        /* the round's watermark: its deltaLink starts after it */
    long pos;         /* paging: the last creation (first round) or change number returned */
    char select[1024];
} round;

/* "g<gen>.f<from>.w<mark>.p<pos>.s<select>"; 0 when text is not such a token. */
static int token_parse(const char *text, round *rd)
{
    int used = 0;
    if (!text || sscanf(text, "g%ld.f%ld.w%ld.p%ld.s%n", &rd->gen, &rd->from, &rd->mark, &rd->pos, &used) != 4 || !used)
        return 0;
    snprintf(rd->select, sizeof rd->select, "%s", text + used);
    return 1;
}

/* The URL of /users/delta with a token (param "$skiptoken" or "$deltatoken"). */
static json_t *token_link(const sim_req *q, const char *param, const round *rd)
{
    char tok[1200], link[4096];
    snprintf(tok, sizeof tok, "g%ld.f%ld.w%ld.p%ld.s%s", rd->gen, rd->from, rd->mark, rd->pos, rd->select);
    char *esc = hrs_sim_url_encode(tok);
    snprintf(link, sizeof link, "%s/users/delta?%s=%s", q->base, param, esc ? esc : "");
    free(esc);
    return json_string(link);
}

/* The round's watermark: now, but before the change of any user still replicating. */
static long watermark(hrs_sim *s, long from)
{
    long mark = s->change_seq;
    for (size_t i = 0; i < s->nusers; i++) {
        sim_user *u = s->users[i];
        if (u && u->changed > from && u->changed <= mark && replicating(s, u)) mark = u->changed - 1;
    }
    return mark;
}

static json_t *item(sim_user *u, json_t *select, int manager, int first)
{
    json_t *o = hrs_sim_project(u->props, select, hrs_sim_user_props);
    if (!manager) return o;
    if (u->manager)
        json_object_set_new(o, "manager@delta", json_pack("[{s:s, s:s}]", "@odata.type", "#microsoft.graph.user",
                                                          "id", u->manager));
    else if (u->old_manager && !first)
        json_object_set_new(o, "manager@delta", json_pack("[{s:s, s:s, s:{s:s}}]", "@odata.type", "#microsoft.graph.user",
                                                          "id", u->old_manager, "@removed", "reason", "deleted"));
    return o;
}

static int refuse_options(const sim_req *q, sim_resp *r)
{
    static const char *const opts[] = { "$expand", "$top", "$orderby", "$filter", "$search", "$skip", "$count", NULL };
    for (int i = 0; opts[i]; i++)
        if (json_object_get(q->query, opts[i])) {
            hrs_sim_fail(q, r, 400, "Request_UnsupportedQuery",   /* UNVERIFIED wording */
                         "The query option %s is not supported with delta queries.", opts[i]);
            return -1;
        }
    return 0;
}

/* The select list of the round: parsed names (with id) and whether manager is tracked. */
static int round_select(const sim_req *q, sim_resp *r, const char *text, json_t **select, int *manager)
{
    char buf[1024];
    size_t o = 0;
    *manager = 0;
    *select = NULL;
    if (!text || !*text) return 0;
    char *copy = strdup(text), *save = NULL;
    if (!copy) return -1;
    buf[0] = '\0';
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        if (strcasecmp(t, "manager") == 0) { *manager = 1; continue; }
        o += (size_t)snprintf(buf + o, sizeof buf - (o < sizeof buf ? o : sizeof buf), "%s%s", o ? "," : "", t);
        if (o >= sizeof buf) break;
    }
    free(copy);
    sim_req sub = *q;
    sub.query = json_pack("{s:s}", "$select", buf[0] ? buf : "id");
    int rc = hrs_sim_query_select(&sub, r, hrs_sim_user_props, "user", select);
    json_decref(sub.query);
    return rc;
}

typedef struct change { long number; sim_user *u; const char *gone; } change;

static int change_cmp(const void *a, const void *b)
{
    const change *x = a, *y = b;
    return (x->number > y->number) - (x->number < y->number);
}

void hrs_sim_users_delta(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    const char *skip = json_string_value(json_object_get(q->query, "$skiptoken"));
    const char *dtok = json_string_value(json_object_get(q->query, "$deltatoken"));
    round rd;
    memset(&rd, 0, sizeof rd);
    if (skip || dtok) {
        if (!token_parse(skip ? skip : dtok, &rd) || rd.gen != s->delta_gen) {
            hrs_sim_fail(q, r, 400, "syncStateNotFound", "The sync state generation is not found. The delta token is "
                         "expired and data must be synchronized again.");
            return;
        }
        if (dtok) {   /* a new round from the last one's watermark */
            rd.from = rd.mark;
            rd.mark = watermark(s, rd.from);
            rd.pos = rd.from;
        }
    } else {
        if (refuse_options(q, r) != 0) return;
        const char *sel = json_string_value(json_object_get(q->query, "$select"));
        snprintf(rd.select, sizeof rd.select, "%s", sel ? sel : "");
        rd.gen = s->delta_gen;
        rd.from = -1;
        rd.mark = watermark(s, -1);
        rd.pos = -1;
    }
    json_t *select = NULL;
    int manager = 0;
    if (round_select(q, r, rd.select, &select, &manager) != 0) {
        if (!r->status) hrs_sim_fail(q, r, 500, "generalException", "Out of memory.");
        return;
    }
    json_t *value = json_array();
    int more = 0;
    if (rd.from < 0) {
        /* The first round: everyone readable now, in creation order. */
        for (size_t i = 0; i < s->nusers; i++) {
            sim_user *u = s->users[i];
            if (!u || u->seq <= rd.pos || replicating(s, u)) continue;
            if (json_array_size(value) == DELTA_PAGE) { more = 1; break; }
            json_array_append_new(value, item(u, select, manager, 1));
            rd.pos = u->seq;
        }
    } else {
        /* The changes in (from, mark], in change order, after the page position. */
        size_t cap = s->nusers + json_array_size(s->tombstones) + 1, n = 0;
        change *c = malloc(cap * sizeof *c);
        for (size_t i = 0; c && i < s->nusers; i++) {
            sim_user *u = s->users[i];
            if (u && u->changed > rd.pos && u->changed <= rd.mark && !replicating(s, u))
                c[n++] = (change){ u->changed, u, NULL };
        }
        size_t i;
        json_t *t;
        json_array_foreach(s->tombstones, i, t) {
            long num = (long)json_integer_value(json_array_get(t, 1));
            if (c && num > rd.pos && num <= rd.mark) c[n++] = (change){ num, NULL, json_string_value(json_array_get(t, 0)) };
        }
        if (c) qsort(c, n, sizeof *c, change_cmp);
        for (size_t k = 0; c && k < n; k++) {
            if (json_array_size(value) == DELTA_PAGE) { more = 1; break; }
            json_array_append_new(value, c[k].u ? item(c[k].u, select, manager, 0)
                                                : json_pack("{s:s, s:{s:s}}", "id", c[k].gone, "@removed", "reason",
                                                            "changed"));
            rd.pos = c[k].number;
        }
        free(c);
    }
    s->stats.delta_items += (long)json_array_size(value);
    json_t *body = hrs_sim_body(q, "users", select, "");
    if (more) {
        json_object_set_new(body, "@odata.nextLink", token_link(q, "$skiptoken", &rd));
    } else {
        round next = rd;
        next.pos = rd.mark;
        json_object_set_new(body, "@odata.deltaLink", token_link(q, "$deltatoken", &next));
    }
    json_object_set_new(body, "value", value);
    hrs_sim_reply(r, 200, body);
    json_decref(select);
}
