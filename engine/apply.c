/* apply.c: sends a plan's operations to Graph in $batch requests, journaled, phase by phase
 * (see include/hrsync/apply.h and journal.h), and finishes an interrupted run's operations. */
#include "apply_internal.h"
#include "hrsync/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 20
#define CREATE_ROUNDS 8     /* UPN candidates tried per person at most, beyond the first */
#define NOTFOUND_ROUNDS 5   /* retries of a 404 on an account created in this run */
#define LEFT_KEY "hrsync:left"
#define GROUP_KEY "hrsync:group:"   /* applied values: a membership hrsync added (see engine.c) */

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void bump(json_t *r, const char *k, long n)
{
    json_object_set_new(r, k, json_integer(json_integer_value(json_object_get(r, k)) + n));
}

static json_t *new_result(void)
{
    return json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:b, s:[]}", "created", 0,
                     "updated", 0, "linked", 0, "renamed", 0, "enabled", 0, "disabled", 0, "leave_date", 0, "revoked", 0,
                     "manager", 0, "group_added", 0, "group_removed", 0, "failed", 0, "resumed", 0, "stopped", 0, "errors");
}

static void op_free(apply_op *o)
{
    json_decref(o->spec);
    json_decref(o->body);
    free(o->url);
}

/* What an operation is, for messages: "add to group SG-Finance". */
static void op_words(const apply_op *o, char *out, size_t n)
{
    static const char *const words[K_COUNT] = { "create", "update", "rename", "enable", "disable", "set the leave date of",
                                                "add to group", "remove from group", "set the manager of",
                                                "revoke the sessions of" };
    const char *g = sv(json_object_get(o->spec, "group"), "group");
    snprintf(out, n, "%s%s%s", words[o->kind], g ? " " : "", g ? g : "");
}

/* The action an audit event names ("add to group", with the group apart). */
static const char *audit_action(op_kind k)
{
    static const char *const names[K_COUNT] = { "create", "update", "rename", "enable", "disable", "set leave date",
                                                "add to group", "remove from group", "set manager", "revoke sessions" };
    return names[k];
}

/* The result recorded in the journal. */
static json_t *answer_of(const hrs_graph_req *q)
{
    if (!q) return json_null();
    return json_pack("{s:I, s:s, s:s, s:s, s:s?}", "status", (json_int_t)q->status, "code", q->code, "message", q->message,
                     "request_id", q->request_id, "id", sv(q->response, "id"));
}

/* ---- outcomes --------------------------------------------------------------------------- */

/* The store writes that go with a successful operation (inside the caller's transaction). */
static int record_success(apply_run *r, apply_op *o, const json_t *resp, hrs_err *err)
{
    hrs_store *st = r->ctx->store;
    const json_t *s = o->spec;
    const char *pid = sv(s, "person"), *oid = hrs_apply_target(r, o);
    json_t *applied = NULL;
    int rc = 0;
    switch (o->kind) {
    case K_CREATE: {
        oid = sv(resp, "id");
        const char *upn = sv(resp, "userPrincipalName");
        json_object_set_new(r->created, pid, json_string(oid));
        applied = json_deep_copy(json_object_get(s, "attributes"));
        if (!applied) applied = json_object();
        json_object_set_new(applied, "accountEnabled", json_boolean(json_is_true(json_object_get(s, "account_enabled"))));
        json_object_set_new(applied, LEFT_KEY, json_null());
        rc = hrs_store_link_put(st, pid, oid, upn, err);
        bump(r->result, "created", 1);
        hrs_info("created %s (%s) as %s", sv(s, "name"), pid, upn ? upn : "?");
        break;
    }
    case K_UPDATE:
        applied = json_incref(json_object_get(s, "set"));
        bump(r->result, "updated", 1);
        break;
    case K_RENAME: {
        const char *upn = json_string_value(json_array_get(json_object_get(s, "upn_candidates"),
                                                           (size_t)json_integer_value(json_object_get(s, "cand"))));
        rc = hrs_store_link_put(st, pid, oid, upn, err);
        bump(r->result, "renamed", 1);
        break;
    }
    case K_ENABLE:
        applied = json_pack("{s:b, s:n}", "accountEnabled", 1, LEFT_KEY);
        bump(r->result, "enabled", 1);
        break;
    case K_DISABLE:
        applied = json_pack("{s:b}", "accountEnabled", 0);
        if (sv(s, "left")) json_object_set_new(applied, LEFT_KEY, json_string(sv(s, "left")));
        bump(r->result, "disabled", 1);
        break;
    case K_LEAVE_DATE:
        applied = json_pack("{s:O}", "employeeLeaveDateTime", json_object_get(s, "value"));
        bump(r->result, "leave_date", 1);
        break;
    case K_REVOKE:
        if (sv(s, "left")) applied = json_pack("{s:s}", LEFT_KEY, sv(s, "left"));
        bump(r->result, "revoked", 1);
        break;
    case K_MANAGER: bump(r->result, "manager", 1); break;
    case K_GROUP_ADD:
    case K_GROUP_REMOVE: {
        /* Remembered, so that a group stays managed (and its members removable) after the policy
         * stops giving it to anyone. */
        char key[300];
        snprintf(key, sizeof key, "%s%s", GROUP_KEY, sv(json_object_get(s, "group"), "group"));
        applied = json_object();
        json_object_set_new(applied, key, o->kind == K_GROUP_ADD ? json_true() : json_null());
        bump(r->result, o->kind == K_GROUP_ADD ? "group_added" : "group_removed", 1);
        break;
    }
    default: break;
    }
    if (rc == 0 && applied) rc = hrs_store_applied_put(st, pid, applied, err);
    json_decref(applied);
    return rc;
}

static void record_failure(apply_run *r, apply_op *o, const hrs_graph_req *q)
{
    char what[400];
    op_words(o, what, sizeof what);
    bump(r->result, "failed", 1);
    json_array_append_new(json_object_get(r->result, "errors"),
                          json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s}", "person", sv(o->spec, "person"),
                                    "name", sv(o->spec, "name"), "action", what, "status", (json_int_t)q->status,
                                    "code", q->code, "message", q->message, "request_id", q->request_id));
    hrs_error("%s %s (%s): HTTP %ld %s: %s%s%s%s", what, sv(o->spec, "name"), sv(o->spec, "person"), q->status, q->code,
              q->message, q->request_id[0] ? " (request-id " : "", q->request_id, q->request_id[0] ? ")" : "");
}

/* Records the end of an operation: its store writes and its journal row in one transaction,
 * then the boundary. ok: success (resp is Graph's answer, or the account found by a look-up);
 * otherwise q says why. Every finished operation passes here exactly once. */
static int record_outcome(apply_run *r, apply_op *o, int ok, const json_t *resp, const hrs_graph_req *q, hrs_err *err)
{
    const hrs_apply_ctx *c = r->ctx;
    if (hrs_store_begin(c->store, err) != 0) return -1;
    json_t *ans = answer_of(q);
    if (ok && !q) { json_decref(ans); ans = json_pack("{s:s?, s:s}", "id", sv(resp, "id"), "found", "by look-up"); }
    int rc = ok ? record_success(r, o, resp, err) : 0;
    if (rc == 0) rc = hrs_journal_set(c->journal, o->run_id, o->seq, ok ? "done" : "failed", NULL, NULL, NULL, ans, err);
    json_decref(ans);
    if (rc == 0) {
        /* The audit event: a look-up that found the account stands for Graph's answer. */
        hrs_graph_req found;
        if (!q) {
            memset(&found, 0, sizeof found);
            found.status = 200;
            found.response = (json_t *)resp;
        }
        rc = hrs_audit_op(c->audit, o->spec, audit_action(o->kind), json_object_get(o->spec, "group"), o->body,
                          q ? q : &found, ok, err);
    }
    if (rc == 0) rc = hrs_store_commit(c->store, err);
    if (rc != 0) { hrs_store_rollback(c->store); return -1; }
    hrs_journal_boundary(c->journal);
    if (ok) o->done = 1;
    else { o->failed = 1; record_failure(r, o, q); }
    return 0;
}

/* Puts an operation back to pending (to be sent again), with its spec as it now is. */
static int set_pending(apply_run *r, apply_op *o, hrs_err *err)
{
    const hrs_apply_ctx *c = r->ctx;
    if (hrs_store_begin(c->store, err) != 0) return -1;
    if (hrs_journal_set(c->journal, o->run_id, o->seq, "pending", NULL, NULL, o->spec, NULL, err) != 0 ||
        hrs_store_commit(c->store, err) != 0) {
        hrs_store_rollback(c->store);
        return -1;
    }
    hrs_journal_boundary(c->journal);
    return 0;
}

static int fail_unsent(apply_run *r, apply_op *o, const char *why, hrs_err *err)
{
    hrs_graph_req q;
    memset(&q, 0, sizeof q);
    snprintf(q.message, sizeof q.message, "%s", why);
    return record_outcome(r, o, 0, NULL, &q, err);
}

/* Moves a create or rename to its next UPN candidate; 0 when there is none left. */
static int next_candidate(apply_op *o)
{
    size_t n = json_array_size(json_object_get(o->spec, "upn_candidates"));
    size_t cand = (size_t)json_integer_value(json_object_get(o->spec, "cand"));
    if (cand + 1 >= n || o->attempts > CREATE_ROUNDS) return 0;
    hrs_info("%s is taken; trying the next UPN candidate for %s",
             json_string_value(json_array_get(json_object_get(o->spec, "upn_candidates"), cand)), sv(o->spec, "name"));
    json_object_set_new(o->spec, "cand", json_integer((json_int_t)cand + 1));
    return 1;
}

static int is_upn_taken(const hrs_graph_req *q)
{
    return q->status == 400 && strstr(q->message, "userPrincipalName") && strstr(q->message, "already exists");
}

/* An uncertain create: is the account already there? Returns 0 when settled (done, or to be
 * sent: o->uncertain cleared when the UPN is someone else's), 1 to wait (not readable yet),
 * -1 on error. */
static int settle_uncertain(apply_run *r, apply_op *o, hrs_err *err)
{
    json_t *u = NULL;
    int found = hrs_apply_lookup(r, o, &u, err);
    if (found < 0) return -1;
    if (found == 1) {
        hrs_info("the account of %s (%s) was created before the interruption: %s", sv(o->spec, "name"), sv(o->spec, "person"),
                 sv(u, "userPrincipalName"));
        int rc = record_outcome(r, o, 1, u, NULL, err);
        json_decref(u);
        return rc;
    }
    if (found == 2) o->uncertain = 0;
    return 0;
}

static int on_result(apply_run *r, apply_op *o, const hrs_graph_req *q, hrs_err *err)
{
    o->attempts++;
    /* An account created in this run (the target, or the manager it names) may not be readable
     * yet (replication delay, graph.md §7). */
    int fresh = sv(o->spec, "object_id") == NULL ||
                (o->kind == K_MANAGER && !sv(json_object_get(o->spec, "manager"), "id"));
    if (q->status >= 200 && q->status < 300) {
        if (o->kind == K_CREATE && !sv(q->response, "id")) {
            hrs_graph_req copy = *q;
            snprintf(copy.message, sizeof copy.message, "the answer has no id");
            return record_outcome(r, o, 0, NULL, &copy, err);
        }
        return record_outcome(r, o, 1, q->response, q, err);
    }
    /* Known answers that mean "already so". */
    if (o->kind == K_GROUP_ADD && q->status == 400 && strstr(q->message, "already exist"))
        return record_outcome(r, o, 1, NULL, q, err);
    if (o->kind == K_GROUP_REMOVE && q->status == 404 && !fresh) return record_outcome(r, o, 1, NULL, q, err);
    if ((o->kind == K_CREATE || o->kind == K_RENAME) && is_upn_taken(q)) {
        if (o->kind == K_CREATE && o->uncertain) {
            /* Maybe by this very create, sent before the interruption. */
            int w = settle_uncertain(r, o, err);
            if (w < 0 || o->done) return w < 0 ? -1 : 0;
            if (o->uncertain) {
                if (o->attempts <= NOTFOUND_ROUNDS) return 0;
                hrs_graph_req copy = *q;
                snprintf(copy.message, sizeof copy.message, "the outcome of an interrupted create is unknown: %s is taken but "
                         "cannot be read; run again later", json_string_value(json_array_get(json_object_get(o->spec, "upn_candidates"),
                         (size_t)json_integer_value(json_object_get(o->spec, "cand")))));
                return record_outcome(r, o, 0, NULL, &copy, err);
            }
        }
        if (next_candidate(o)) return set_pending(r, o, err);
    }
    if (q->status == 404 && fresh && o->attempts <= NOTFOUND_ROUNDS) return set_pending(r, o, err); /* replication delay */
    return record_outcome(r, o, 0, NULL, q, err);
}

/* ---- sending ---------------------------------------------------------------------------- */

/* Marks o sent in the journal with the request about to go out. */
static int mark_sent(apply_run *r, apply_op *o, hrs_err *err)
{
    const hrs_apply_ctx *c = r->ctx;
    if (hrs_store_begin(c->store, err) != 0) return -1;
    if (hrs_journal_set(c->journal, o->run_id, o->seq, "sent", o->url, o->body ? o->body : json_null(), NULL, NULL, err) != 0 ||
        hrs_store_commit(c->store, err) != 0) {
        hrs_store_rollback(c->store);
        return -1;
    }
    hrs_journal_boundary(c->journal);
    return 0;
}

static size_t finished(const apply_op *ops, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += ops[i].done || ops[i].failed;
    return k;
}

/* send_phase with its arrays (order: the sending order; pending, reqs: chunk each). */
static int send_phase_in(apply_run *r, apply_op *ops, size_t n, int phase, const size_t *order, size_t chunk,
                         size_t *pending, hrs_graph_req *reqs, hrs_err *err)
{
    if (!order || !pending || !reqs) return hrs_err_set(err, "out of memory");
    for (int round = 0;; round++) {
        size_t np = 0, any = 0, wires = 0, run = 0;   /* wire requests in the chunk; group additions packed */
        const char *run_gid = NULL;
        for (size_t j = 0; j <= n; j++) {
            size_t i = j < n ? order[j] : n;
            const char *gid = i < n && ops[i].kind == K_GROUP_ADD ? sv(json_object_get(ops[i].spec, "group"), "id") : NULL;
            int packs = gid && run_gid && strcmp(gid, run_gid) == 0 && run % 20 != 0;   /* joins the last pack */
            int flush = (j == n) ? np > 0 : (np == chunk || (wires >= hrs_graph_send_capacity(r->ctx->graph) && !packs));
            if (flush) {
                if (hrs_graph_send(r->ctx->graph, reqs, np, err) != 0) {
                    for (size_t k = 0; k < np; k++) hrs_graph_req_clear(&reqs[k]);
                    return -1;
                }
                hrs_journal_boundary(r->ctx->journal);   /* answered, nothing recorded yet */
                int rc = 0;
                for (size_t k = 0; k < np && rc == 0; k++) rc = on_result(r, &ops[pending[k]], &reqs[k], err);
                for (size_t k = 0; k < np; k++) hrs_graph_req_clear(&reqs[k]);
                if (rc != 0) return -1;
                np = wires = run = 0;
                run_gid = NULL;
                if (r->ctx->progress) r->ctx->progress(r->ctx->progress_ud, finished(ops, n), n);
            }
            if (i == n) break;
            apply_op *o = &ops[i];
            if (o->done || o->failed || hrs_apply_kind_phase(o->kind) != phase) continue;
            if (np == 0 && r->ctx->stop && *r->ctx->stop) {   /* between batches only */
                size_t done = finished(ops, n);
                hrs_warn("stopped between batches after %zu of %zu operations; the next run finishes the rest", done, n);
                json_object_set_new(r->result, "stopped", json_true());
                return 0;
            }
            any++;
            if (o->kind == K_CREATE && o->uncertain && o->attempts == 0) {
                if (settle_uncertain(r, o, err) != 0) return -1;
                if (o->done) continue;
            }
            int b = hrs_apply_build(r, o, err);
            if (b < 0) return -1;
            if (b == 1) {
                if (fail_unsent(r, o, "not sent: the account it needs was not created", err) != 0) return -1;
                continue;
            }
            if (mark_sent(r, o, err) != 0) return -1;
            hrs_graph_req *q = &reqs[np];
            memset(q, 0, sizeof *q);
            snprintf(q->id, sizeof q->id, "%zu", np + 1);
            q->method = hrs_apply_kind_method(o->kind);
            q->url = o->url;
            q->body = o->body;
            pending[np++] = i;
            if (!gid || !run_gid || strcmp(gid, run_gid) != 0) { run_gid = gid; run = 0; }
            wires += gid && run % 20 != 0 ? 0 : 1;
            run += gid != NULL;
        }
        if (!any) return 0;
        if (round > 0) {
            struct timespec ts = { 0, 200000000L * (round > 5 ? 5 : round) };
            nanosleep(&ts, NULL);
        }
    }
}

typedef struct { const char *key; size_t i; } send_key;

static int send_key_cmp(const void *a, const void *b)
{
    const send_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* The order operations are sent in: as planned, except that additions to the same group come
 * together, so that hrs_graph_send packs them 20 to a request (members@odata.bind). */
static size_t *send_order(const apply_op *ops, size_t n)
{
    send_key *k = malloc((n ? n : 1) * sizeof *k);
    size_t *order = malloc((n ? n : 1) * sizeof *order);
    if (!k || !order) { free(k); free(order); return NULL; }
    for (size_t i = 0; i < n; i++) {
        const char *g = ops[i].kind == K_GROUP_ADD ? sv(json_object_get(ops[i].spec, "group"), "id") : NULL;
        k[i] = (send_key){ g ? g : "", i };
    }
    qsort(k, n, sizeof *k, send_key_cmp);
    for (size_t i = 0; i < n; i++) order[i] = k[i].i;
    free(k);
    return order;
}

/* Sends the operations of one phase through hrs_graph_send until each is done or failed, one
 * round of $batch requests at a time (a stop is honoured between rounds); with group additions,
 * 20 of them to a members@odata.bind request. */
static int send_phase(apply_run *r, apply_op *ops, size_t n, int phase, hrs_err *err)
{
    size_t chunk = hrs_graph_send_capacity(r->ctx->graph);
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind == K_GROUP_ADD && hrs_apply_kind_phase(ops[i].kind) == phase) { chunk *= 20; break; }
    size_t *order = send_order(ops, n), *pending = malloc(chunk * sizeof *pending);
    hrs_graph_req *reqs = calloc(chunk, sizeof *reqs);
    int rc = send_phase_in(r, ops, n, phase, order, chunk, pending, reqs, err);
    free(order);
    free(pending);
    free(reqs);
    return rc;
}

static int send_all(apply_run *r, apply_op *ops, size_t n, hrs_err *err)
{
    for (int phase = 1; phase <= APPLY_PHASES && !json_is_true(json_object_get(r->result, "stopped")); phase++)
        if (send_phase(r, ops, n, phase, err) != 0) return -1;
    return 0;
}

/* ---- the plan --------------------------------------------------------------------------- */

static int record_links(apply_run *r, const json_t *changes, hrs_err *err)
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
        bump(r->result, "linked", 1);
    }
    return hrs_store_commit(r->ctx->store, err);
}

/* ops[i] from specs[i]; run_id/seq as journaled. */
static apply_op *ops_from_specs(const json_t *specs, int64_t run_id, size_t *n, hrs_err *err)
{
    *n = json_array_size(specs);
    apply_op *ops = calloc(*n ? *n : 1, sizeof *ops);
    if (!ops) { hrs_err_set(err, "out of memory"); return NULL; }
    size_t i;
    json_t *s;
    json_array_foreach(specs, i, s) {
        apply_op *o = &ops[i];
        if (hrs_apply_kind_parse(sv(s, "kind"), &o->kind) != 0) {
            hrs_err_set(err, "internal: unknown operation '%s'", sv(s, "kind") ? sv(s, "kind") : "?");
            for (size_t k = 0; k < i; k++) op_free(&ops[k]);
            free(ops);
            return NULL;
        }
        o->spec = json_deep_copy(s);
        o->run_id = run_id;
        o->seq = (int)i + 1;
    }
    return ops;
}

int hrs_apply_plan(const hrs_apply_ctx *ctx, const json_t *plan, json_t **result, hrs_err *err)
{
    apply_run r = { ctx, new_result(), json_object() };
    json_t *specs = hrs_apply_specs(plan, ctx->today);
    size_t n = 0;
    apply_op *ops = NULL;
    int rc = -1;
    if (record_links(&r, json_object_get(plan, "changes"), err) != 0) goto out;
    if (hrs_journal_add(ctx->journal, ctx->run_id, specs, err) != 0) goto out;
    if (!(ops = ops_from_specs(specs, ctx->run_id, &n, err))) goto out;
    rc = send_all(&r, ops, n, err);
out:
    for (size_t i = 0; i < n; i++) op_free(&ops[i]);
    free(ops);
    json_decref(specs);
    json_decref(r.created);
    *result = r.result;
    return rc;
}

/* ---- resuming --------------------------------------------------------------------------- */

/* Accounts the interrupted runs created: person -> the linked object, for each create the
 * journal has done. */
static int created_by_runs(apply_run *r, const json_t *unfinished, hrs_err *err)
{
    json_t *links = NULL, *seen = json_object();
    if (hrs_store_links(r->ctx->store, &links, err) != 0) { json_decref(seen); return -1; }
    size_t i;
    json_t *u;
    int rc = 0;
    json_array_foreach(unfinished, i, u) {
        char key[32];
        snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(u, "run_id")));
        if (json_object_get(seen, key)) continue;
        json_object_set_new(seen, key, json_true());
        json_t *rows = NULL;
        if (hrs_journal_list(r->ctx->journal, json_integer_value(json_object_get(u, "run_id")), &rows, err) != 0) { rc = -1; break; }
        size_t j;
        json_t *row;
        json_array_foreach(rows, j, row) {
            if (strcmp(sv(row, "kind"), "create") != 0 || strcmp(sv(row, "status"), "done") != 0) continue;
            const char *oid = sv(json_object_get(links, sv(row, "person")), "object_id");
            if (oid) json_object_set_new(r->created, sv(row, "person"), json_string(oid));
        }
        json_decref(rows);
    }
    json_decref(links);
    json_decref(seen);
    return rc;
}

int hrs_apply_resume(const hrs_apply_ctx *ctx, json_t **result, hrs_err *err)
{
    *result = NULL;
    json_t *unfinished = NULL;
    if (hrs_journal_unfinished(ctx->journal, &unfinished, err) != 0) return -1;
    size_t n = json_array_size(unfinished);
    if (n == 0) { json_decref(unfinished); return 0; }
    hrs_warn("finishing %zu operation%s of an interrupted run", n, n == 1 ? "" : "s");
    apply_run r = { ctx, new_result(), json_object() };
    apply_op *ops = calloc(n, sizeof *ops);
    int rc = -1;
    size_t made = 0, i;
    json_t *u;
    if (!ops) { hrs_err_set(err, "out of memory"); goto out; }
    if (created_by_runs(&r, unfinished, err) != 0) goto out;
    json_array_foreach(unfinished, i, u) {
        apply_op *o = &ops[made];
        if (hrs_apply_kind_parse(sv(u, "kind"), &o->kind) != 0) {
            hrs_err_set(err, "state file: journal operation %lld/%lld has an unknown kind '%s'",
                        (long long)json_integer_value(json_object_get(u, "run_id")),
                        (long long)json_integer_value(json_object_get(u, "seq")), sv(u, "kind"));
            goto out;
        }
        o->spec = json_deep_copy(json_object_get(u, "spec"));
        o->run_id = json_integer_value(json_object_get(u, "run_id"));
        o->seq = (int)json_integer_value(json_object_get(u, "seq"));
        o->uncertain = o->kind == K_CREATE && strcmp(sv(u, "status"), "sent") == 0;
        made++;
    }
    rc = send_all(&r, ops, made, err);
    json_object_set_new(r.result, "resumed", json_integer((json_int_t)n));
out:
    for (i = 0; i < made; i++) op_free(&ops[i]);
    free(ops);
    json_decref(unfinished);
    json_decref(r.created);
    *result = r.result;
    return rc;
}
