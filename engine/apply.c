/* apply.c: sends a plan's operations to Graph in $batch requests (see include/hrsync/apply.h). */
#include "hrsync/apply.h"
#include "hrsync/log.h"
#include "hrsync/password.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 20
#define CREATE_ROUNDS 8     /* UPN candidates tried per person at most, beyond the first */
#define NOTFOUND_ROUNDS 5   /* retries of a 404 on an account created in this run */

typedef enum { OP_CREATE, OP_UPDATE, OP_GROUP_ADD, OP_GROUP_REMOVE } op_kind;

/* One operation being applied. */
typedef struct {
    op_kind kind;
    const json_t *entry;     /* the plan entry (borrowed) */
    const json_t *group;     /* {group, id} for group ops (borrowed) */
    json_t *body;            /* request body (owned) */
    char *url;               /* relative URL (owned) */
    size_t cand;             /* create: index of the UPN candidate in use */
    int done, failed, attempts;
    int fresh;               /* the target account was created in this run */
} op;

typedef struct {
    const hrs_apply_ctx *ctx;
    json_t *result;
    json_t *created;         /* person id -> object id of accounts created in this run */
} run;

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void bump(json_t *r, const char *k)
{
    json_object_set_new(r, k, json_integer(json_integer_value(json_object_get(r, k)) + 1));
}

static void op_free(op *o)
{
    json_decref(o->body);
    free(o->url);
}

/* "/<a>/<id>[/<b>/<id2>]<tail>": a relative Graph URL from path segments. */
static char *graph_path(const char *a, const char *id, const char *b, const char *id2, const char *tail)
{
    size_t n = strlen(a) + strlen(id) + (b ? strlen(b) + strlen(id2) : 0) + strlen(tail) + 8;
    char *u = malloc(n);
    if (u) snprintf(u, n, "/%s/%s%s%s%s%s%s", a, id, b ? "/" : "", b ? b : "", b ? "/" : "", b ? id2 : "", tail);
    return u;
}

static const char *op_action(const op *o)
{
    static const char *const names[] = { "create", "update", "add to group", "remove from group" };
    return names[o->kind];
}

static void record_failure(run *r, op *o, const hrs_graph_req *q)
{
    o->failed = 1;
    bump(r->result, "failed");
    const char *action = op_action(o);
    char what[400];
    snprintf(what, sizeof what, "%s%s%s", action, o->group ? " " : "", o->group ? sv(o->group, "group") : "");
    json_array_append_new(json_object_get(r->result, "errors"),
                          json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "person", sv(o->entry, "person"),
                                    "name", sv(o->entry, "name"), "action", what, "status", (json_int_t)q->status,
                                    "code", q->code, "message", q->message, "request_id", q->request_id));
    hrs_error("%s %s (%s): HTTP %ld %s: %s%s%s%s", what, sv(o->entry, "name"), sv(o->entry, "person"), q->status,
              q->code, q->message, q->request_id[0] ? " (request-id " : "", q->request_id, q->request_id[0] ? ")" : "");
}

/* ---- building requests ------------------------------------------------------------------ */

static int build_create(op *o, hrs_err *err)
{
    const json_t *e = o->entry;
    const char *upn = json_string_value(json_array_get(json_object_get(e, "upn_candidates"), o->cand));
    char password[25];
    if (hrs_password_generate(password, sizeof password, 20, err) != 0) return -1;
    json_t *b = json_deep_copy(json_object_get(e, "attributes"));
    json_object_set_new(b, "accountEnabled", json_boolean(json_is_true(json_object_get(e, "account_enabled"))));
    json_object_set_new(b, "userPrincipalName", json_string(upn));
    if (!json_object_get(b, "mailNickname")) {
        size_t l = strcspn(upn, "@");
        char nick[65];
        snprintf(nick, sizeof nick, "%.*s", (int)(l > 64 ? 64 : l), upn);
        json_object_set_new(b, "mailNickname", json_string(nick));
    }
    json_object_set_new(b, "passwordProfile", json_pack("{s:s, s:b}", "password", password, "forceChangePasswordNextSignIn", 1));
    memset(password, 0, sizeof password);
    json_decref(o->body);
    o->body = b;
    free(o->url);
    o->url = strdup("/users");
    return o->url ? 0 : hrs_err_set(err, "out of memory");
}

/* The object id an operation targets: the plan's, or the one created in this run. */
static const char *target_id(run *r, const op *o)
{
    const char *oid = sv(o->entry, "object_id");
    return oid ? oid : sv(r->created, sv(o->entry, "person"));
}

static int build_member_op(run *r, op *o, hrs_err *err)
{
    const char *oid = target_id(r, o);
    const char *gid = sv(o->group, "id");
    if (!oid) return 1; /* the create failed: nothing to do */
    if (o->kind == OP_GROUP_ADD) {
        char ref[600];
        snprintf(ref, sizeof ref, "%s/directoryObjects/%s", r->ctx->graph_url, oid);
        o->body = json_pack("{s:s}", "@odata.id", ref);
        o->url = graph_path("groups", gid, NULL, NULL, "/members/$ref");
    } else {
        o->url = graph_path("groups", gid, "members", oid, "/$ref");
    }
    return o->url ? 0 : hrs_err_set(err, "out of memory");
}

/* ---- results ---------------------------------------------------------------------------- */

static int is_upn_taken(const hrs_graph_req *q)
{
    return q->status == 400 && strstr(q->message, "userPrincipalName") && strstr(q->message, "already exists");
}

static int on_result(run *r, op *o, const hrs_graph_req *q, hrs_err *err)
{
    const char *pid = sv(o->entry, "person");
    o->attempts++;
    if (q->status >= 200 && q->status < 300) {
        o->done = 1;
        if (o->kind == OP_CREATE) {
            const char *oid = sv(q->response, "id");
            const char *upn = sv(q->response, "userPrincipalName");
            if (!oid) { hrs_graph_req copy = *q; snprintf(copy.message, sizeof copy.message, "the answer has no id"); record_failure(r, o, &copy); return 0; }
            json_object_set_new(r->created, pid, json_string(oid));
            json_t *applied = json_deep_copy(json_object_get(o->entry, "attributes"));
            int rc = hrs_store_link_put(r->ctx->store, pid, oid, upn, err) == 0 &&
                     hrs_store_applied_put(r->ctx->store, pid, applied, err) == 0 ? 0 : -1;
            json_decref(applied);
            bump(r->result, "created");
            hrs_info("created %s (%s) as %s", sv(o->entry, "name"), pid, upn ? upn : "?");
            return rc;
        }
        if (o->kind == OP_UPDATE) {
            bump(r->result, "updated");
            return hrs_store_applied_put(r->ctx->store, pid, o->body, err);
        }
        bump(r->result, o->kind == OP_GROUP_ADD ? "group_added" : "group_removed");
        return 0;
    }
    /* Known errors that mean "already so". */
    if (o->kind == OP_GROUP_ADD && q->status == 400 && strstr(q->message, "already exist")) { o->done = 1; bump(r->result, "group_added"); return 0; }
    if (o->kind == OP_GROUP_REMOVE && q->status == 404 && !o->fresh) { o->done = 1; bump(r->result, "group_removed"); return 0; }
    if (o->kind == OP_CREATE && is_upn_taken(q)) {
        size_t n = json_array_size(json_object_get(o->entry, "upn_candidates"));
        if (o->cand + 1 < n && o->attempts <= CREATE_ROUNDS) {
            o->cand++;
            hrs_info("%s is taken; trying the next UPN candidate for %s", sv(o->entry, "upn"), sv(o->entry, "name"));
            return build_create(o, err);
        }
    }
    if (q->status == 404 && o->fresh && o->attempts <= NOTFOUND_ROUNDS) return 0; /* replication delay */
    record_failure(r, o, q);
    return 0;
}

/* Sends every pending operation of ops in batches of 20 until each is done or failed. */
static int send_all(run *r, op *ops, size_t n, hrs_err *err)
{
    for (int round = 0;; round++) {
        size_t pending[BATCH], np = 0, any = 0;
        hrs_graph_req reqs[BATCH];
        for (size_t i = 0; i <= n; i++) {
            int flush = (i == n) ? np > 0 : np == BATCH;
            if (flush) {
                if (hrs_graph_batch(r->ctx->graph, reqs, np, err) != 0) {
                    for (size_t k = 0; k < np; k++) hrs_graph_req_clear(&reqs[k]);
                    return -1;
                }
                int rc = 0;
                if (hrs_store_begin(r->ctx->store, err) != 0) rc = -1;
                for (size_t k = 0; k < np && rc == 0; k++) rc = on_result(r, &ops[pending[k]], &reqs[k], err);
                if (rc == 0) rc = hrs_store_commit(r->ctx->store, err);
                else hrs_store_rollback(r->ctx->store);
                for (size_t k = 0; k < np; k++) hrs_graph_req_clear(&reqs[k]);
                if (rc != 0) return -1;
                np = 0;
            }
            if (i == n) break;
            op *o = &ops[i];
            if (o->done || o->failed) continue;
            any++;
            hrs_graph_req *q = &reqs[np];
            memset(q, 0, sizeof *q);
            snprintf(q->id, sizeof q->id, "%zu", np + 1);
            static const char *const methods[] = { "POST", "PATCH", "POST", "DELETE" };
            q->method = methods[o->kind];
            q->url = o->url;
            q->body = o->body;
            pending[np++] = i;
        }
        if (!any) return 0;
        if (round > 0) {
            struct timespec ts = { 0, 200000000L * (round > 5 ? 5 : round) };
            nanosleep(&ts, NULL);
        }
    }
}

/* ---- the phases ------------------------------------------------------------------------- */

static int record_links(run *r, const json_t *changes, hrs_err *err)
{
    size_t i;
    json_t *c;
    if (hrs_store_begin(r->ctx->store, err) != 0) return -1;
    json_array_foreach(changes, i, c) {
        const char *how = sv(c, "linked_by");
        if (!how || strcmp(how, "stored link") == 0) continue;
        if (hrs_store_link_put(r->ctx->store, sv(c, "person"), sv(c, "object_id"), sv(c, "upn"), err) != 0) {
            hrs_store_rollback(r->ctx->store);
            return -1;
        }
        bump(r->result, "linked");
    }
    return hrs_store_commit(r->ctx->store, err);
}

int hrs_apply_plan(const hrs_apply_ctx *ctx, const json_t *plan, json_t **result, hrs_err *err)
{
    run r = { ctx, json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:[]}", "created", 0, "updated", 0, "linked", 0,
                             "group_added", 0, "group_removed", 0, "failed", 0, "errors"),
              json_object() };
    const json_t *changes = json_object_get(plan, "changes");
    size_t n = 0, cap = 16, i;
    op *ops = calloc(cap, sizeof *ops);
    int rc = -1;
    json_t *c;
    if (!ops) { hrs_err_set(err, "out of memory"); goto out; }
    if (record_links(&r, changes, err) != 0) goto out;

    /* Creates, then attribute updates. */
    json_array_foreach(changes, i, c) {
        if (n + 1 > cap) {
            op *no = realloc(ops, (cap *= 2) * sizeof *ops);
            if (!no) { hrs_err_set(err, "out of memory"); goto out; }
            ops = no;
        }
        op *o = &ops[n];
        memset(o, 0, sizeof *o);
        o->entry = c;
        if (strcmp(sv(c, "action"), "create") == 0) {
            o->kind = OP_CREATE;
            const json_t *cands = json_object_get(c, "upn_candidates");
            for (size_t k = 0; k < json_array_size(cands); k++)
                if (strcmp(json_string_value(json_array_get(cands, k)), sv(c, "upn")) == 0) o->cand = k;
            if (build_create(o, err) != 0) goto out;
            n++;
        } else if (json_array_size(json_object_get(c, "changes"))) {
            o->kind = OP_UPDATE;
            o->body = json_object();
            size_t j;
            json_t *ch;
            json_array_foreach(json_object_get(c, "changes"), j, ch)
                json_object_set(o->body, sv(ch, "attribute"), json_object_get(ch, "new"));
            o->url = graph_path("users", sv(c, "object_id"), NULL, NULL, "");
            n++;
        }
    }
    if (send_all(&r, ops, n, err) != 0) goto out;
    for (i = 0; i < n; i++) op_free(&ops[i]);

    /* Group memberships, once the accounts exist. */
    n = 0;
    json_array_foreach(changes, i, c) {
        static const char *const keys[] = { "groups_add", "groups_remove" };
        for (int k = 0; k < 2; k++) {
            size_t j;
            json_t *g;
            json_array_foreach(json_object_get(c, keys[k]), j, g) {
                if (n + 1 > cap) {
                    op *no = realloc(ops, (cap *= 2) * sizeof *ops);
                    if (!no) { hrs_err_set(err, "out of memory"); goto out; }
                    ops = no;
                }
                op *o = &ops[n];
                memset(o, 0, sizeof *o);
                o->entry = c;
                o->group = g;
                o->kind = k == 0 ? OP_GROUP_ADD : OP_GROUP_REMOVE;
                o->fresh = sv(c, "object_id") == NULL;
                int b = build_member_op(&r, o, err);
                if (b < 0) goto out;
                if (b == 0) n++;
            }
        }
    }
    if (send_all(&r, ops, n, err) != 0) goto out;
    rc = 0;
out:
    for (i = 0; i < n; i++) op_free(&ops[i]);
    free(ops);
    json_decref(r.created);
    *result = r.result;
    return rc;
}
