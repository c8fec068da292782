/* test_graph.c: the Microsoft Graph connector (engine/directory/) against the in-process
 * simulator: members@odata.bind packing, $batch answers matched by id in any order, 429 with
 * Retry-After inside a batch, the write budget that keeps under the limit, 5xx retries, a create
 * whose answer was lost (never a second account), dependsOn, 403 naming the missing permission,
 * look-ups with and without advanced queries, delta rounds with their cache, and recently
 * linked accounts that a list does not show yet. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/graph.h"
#include "hrsync/sim.h"
#include "hrsync/store.h"

#define TENANT "example.com"
#define CLIENT "app-1"
#define SECRET "s3cret-Graph"
#define NUSERS 60

typedef struct fixture {
    char dir[64], db[128], seed[128], graph_url[96], login_url[80];
    hrs_sim *sim;
    hrs_graph *graph;
    char ids[NUSERS][40];       /* the seeded users u00…u59 */
    char group[40];             /* SG-Test */
} fixture;

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static hrs_graph *client(fixture *f, const hrs_graph_ext *x)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_graph_opts go = { .graph_url = f->graph_url, .login_url = f->login_url, .tenant = TENANT, .client_id = CLIENT,
                          .client_secret = SECRET, .timeout_s = 10 };
    hrs_graph *g = hrs_graph_new_ext(&go, x, &err);
    if (!g) fail_msg("hrs_graph_new_ext: %s", err.msg);
    return g;
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hrsync-test-graph-XXXXXX");
    if (!f || !mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/state.db", f->dir);
    snprintf(f->seed, sizeof f->seed, "%s/seed.json", f->dir);
    json_t *users = json_array();
    for (int i = 0; i < NUSERS; i++) {
        char upn[64], nick[16], eid[16], id[40];
        snprintf(nick, sizeof nick, "u%02d", i);
        snprintf(upn, sizeof upn, "%s@example.com", nick);
        snprintf(eid, sizeof eid, "E%02d", i);
        snprintf(id, sizeof id, "00000000-0000-4000-8000-0000000000%02d", i);
        snprintf(f->ids[i], sizeof f->ids[i], "%s", id);
        json_array_append_new(users, json_pack("{s:s, s:s, s:s, s:s, s:b, s:s, s:s}", "id", id, "userPrincipalName", upn,
                                               "displayName", nick, "mailNickname", nick, "accountEnabled", 1,
                                               "employeeId", eid, "companyName", i % 2 ? "Contoso" : "Fabrikam"));
    }
    snprintf(f->group, sizeof f->group, "11111111-0000-4000-8000-000000000001");
    json_t *seed = json_pack("{s:[s], s:o, s:[{s:s, s:s, s:s, s:b, s:b, s:[s]}]}", "domains", "example.com", "users", users,
                             "groups", "id", f->group, "displayName", "SG-Test", "mailNickname", "sg-test", "mailEnabled", 0,
                             "securityEnabled", 1, "members", f->ids[0]);
    if (json_dump_file(seed, f->seed, 0) != 0) return -1;
    json_decref(seed);
    hrs_err err;
    hrs_err_clear(&err);
    hrs_sim_opts o = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET, .seed_file = f->seed };
    f->sim = hrs_sim_start(&o, &err);
    if (!f->sim) fail_msg("hrs_sim_start: %s", err.msg);
    snprintf(f->login_url, sizeof f->login_url, "http://127.0.0.1:%u", hrs_sim_port(f->sim));
    snprintf(f->graph_url, sizeof f->graph_url, "%s/v1.0", f->login_url);
    f->graph = client(f, NULL);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hrs_graph_free(f->graph);
    hrs_sim_stop(f->sim);
    static const char *const files[] = { "state.db", "state.db-wal", "state.db-shm", "seed.json", NULL };
    for (size_t i = 0; files[i]; i++) {
        char p[160];
        snprintf(p, sizeof p, "%s/%s", f->dir, files[i]);
        unlink(p);
    }
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A request of n: method, url (copied; freed by reqs_free), body (borrowed). */
static void req(hrs_graph_req *q, size_t i, const char *method, const char *url, json_t *body)
{
    memset(q, 0, sizeof *q);
    snprintf(q->id, sizeof q->id, "%zu", i + 1);
    q->method = method;
    q->url = strdup(url);
    q->body = body;
}

static void reqs_free(hrs_graph_req *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        hrs_graph_req_clear(&q[i]);
        free(q[i].url);
        json_decref(q[i].body);
    }
}

static json_t *ref_body(fixture *f, const char *id)
{
    char ref[256];
    snprintf(ref, sizeof ref, "%s/directoryObjects/%s", f->graph_url, id);
    return json_pack("{s:s}", "@odata.id", ref);
}

static json_t *group_members(fixture *f)
{
    json_t *snap = hrs_sim_snapshot(f->sim), *out = NULL;
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(snap, "groups"), i, g)
        if (strcmp(sv(g, "id"), f->group) == 0) out = json_incref(json_object_get(g, "members"));
    json_decref(snap);
    return out;
}

/* ---- packing ------------------------------------------------------------------------------ */

static void pack_member_adds_per_group_twenty_at_most(void **state)
{
    fixture *f = *state;
    hrs_graph_req q[30];
    size_t pack[30];
    char url[128];
    for (size_t i = 0; i < 25; i++) req(&q[i], i, "POST", "/groups/gA/members/$ref", ref_body(f, f->ids[i]));
    for (size_t i = 25; i < 28; i++) req(&q[i], i, "POST", "/groups/gB/members/$ref", ref_body(f, f->ids[i]));
    snprintf(url, sizeof url, "/users/%s", f->ids[0]);
    req(&q[28], 28, "PATCH", url, json_pack("{s:s}", "jobTitle", "x"));
    req(&q[29], 29, "POST", "/groups/gB/members/$ref", ref_body(f, f->ids[29]));
    q[29].depends_on = "29";                        /* depends on the PATCH: goes alone */
    size_t wires = hrs_graph_pack_member_adds(q, 30, pack);
    /* gA: 20 + 5; gB: 3; the PATCH; the dependent add. */
    assert_int_equal(wires, 5);
    for (size_t i = 0; i < 20; i++) assert_int_equal(pack[i], 0);
    for (size_t i = 20; i < 25; i++) assert_int_equal(pack[i], 20);
    for (size_t i = 25; i < 28; i++) assert_int_equal(pack[i], 25);
    assert_int_equal(pack[28], 28);
    assert_int_equal(pack[29], 29);
    reqs_free(q, 30);
}

static void send_packs_member_additions_into_bind_requests(void **state)
{
    fixture *f = *state;
    hrs_graph_req q[45];
    char url[128];
    snprintf(url, sizeof url, "/groups/%s/members/$ref", f->group);
    for (size_t i = 0; i < 45; i++) req(&q[i], i, "POST", url, ref_body(f, f->ids[i + 1]));
    hrs_sim_stats before, after;
    hrs_sim_get_stats(f->sim, &before);
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 45, &err), 0);
    for (size_t i = 0; i < 45; i++) assert_int_equal(q[i].status, 204);
    hrs_sim_get_stats(f->sim, &after);
    assert_int_equal(after.writes - before.writes, 3);   /* 20 + 20 + 5 */
    assert_int_equal(after.batches - before.batches, 1);
    assert_int_equal(hrs_graph_stats_get(f->graph)->packed, 45);
    json_t *m = group_members(f);
    assert_int_equal(json_array_size(m), 46);
    json_decref(m);
    reqs_free(q, 45);
}

static void a_pack_with_a_member_already_there_goes_again_one_by_one(void **state)
{
    fixture *f = *state;
    hrs_graph_req q[5];
    char url[128];
    snprintf(url, sizeof url, "/groups/%s/members/$ref", f->group);
    for (size_t i = 0; i < 5; i++) req(&q[i], i, "POST", url, ref_body(f, f->ids[i]));   /* ids[0] is a member */
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 5, &err), 0);
    assert_int_equal(q[0].status, 400);
    assert_non_null(strstr(q[0].message, "already exist"));
    for (size_t i = 1; i < 5; i++) assert_int_equal(q[i].status, 204);
    json_t *m = group_members(f);
    assert_int_equal(json_array_size(m), 5);
    json_decref(m);
    reqs_free(q, 5);
}

/* ---- throttling, budget, 5xx, lost answers -------------------------------------------------- */

static size_t patch_all(fixture *f, hrs_graph *g, size_t n, const char *title)
{
    hrs_graph_req *q = calloc(n, sizeof *q);
    char url[128];
    for (size_t i = 0; i < n; i++) {
        snprintf(url, sizeof url, "/users/%s", f->ids[i]);
        req(&q[i], i, "PATCH", url, json_pack("{s:s}", "jobTitle", title));
    }
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_graph_send(g, q, n, &err) != 0) fail_msg("hrs_graph_send: %s", err.msg);
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) ok += q[i].status == 204;
    reqs_free(q, n);
    free(q);
    return ok;
}

static void throttled_writes_wait_for_their_retry_after(void **state)
{
    fixture *f = *state;
    hrs_graph_ext x = { .write_budget = -1 };    /* no client budget: meet the 429s */
    hrs_graph *g = client(f, &x);
    hrs_sim_set_fault(f->sim, "throttle_window_s", 1);
    hrs_sim_set_fault(f->sim, "throttle_writes", 8);
    assert_int_equal(patch_all(f, g, 20, "Throttled"), 20);
    hrs_sim_stats st;
    hrs_sim_get_stats(f->sim, &st);
    assert_true(st.throttled > 0);
    assert_int_equal(hrs_graph_stats_get(g)->throttled, st.throttled);
    json_t *snap = hrs_sim_snapshot(f->sim);
    size_t i, changed = 0;
    json_t *u;
    json_array_foreach(json_object_get(snap, "users"), i, u) changed += sv(u, "jobTitle") && strcmp(sv(u, "jobTitle"), "Throttled") == 0;
    assert_int_equal(changed, 20);
    json_decref(snap);
    hrs_graph_free(g);
}

static void the_write_budget_keeps_under_the_limit(void **state)
{
    fixture *f = *state;
    hrs_graph_ext x = { .write_budget = 20, .write_window_s = 1 };
    hrs_sim_set_fault(f->sim, "throttle_window_s", 1);
    hrs_sim_set_fault(f->sim, "throttle_writes", 20);   /* a full bucket, as the client's */
    hrs_graph *g = client(f, &x);
    assert_int_equal(patch_all(f, g, 60, "Budgeted"), 60);
    hrs_sim_stats st;
    hrs_sim_get_stats(f->sim, &st);
    assert_int_equal(st.throttled, 0);
    assert_int_equal(hrs_graph_stats_get(g)->throttled, 0);
    assert_true(hrs_graph_stats_get(g)->budget_wait_s > 0);
    hrs_graph_free(g);
}

static void failed_batches_and_items_are_sent_again_and_answers_matched_by_id(void **state)
{
    fixture *f = *state;
    hrs_sim_set_fault(f->sim, "fail_5xx", 2);
    hrs_sim_set_fault(f->sim, "fail_5xx_batch_items", 3);
    hrs_sim_set_fault(f->sim, "shuffle_batch", 1);
    hrs_graph_req q[40];
    char url[128];
    for (size_t i = 0; i < 40; i++) {
        snprintf(url, sizeof url, "/users/%s?$select=id,employeeId", f->ids[i]);
        req(&q[i], i, "GET", url, NULL);
    }
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 40, &err), 0);
    for (size_t i = 0; i < 40; i++) {
        assert_int_equal(q[i].status, 200);
        assert_string_equal(sv(q[i].response, "id"), f->ids[i]);
    }
    assert_true(hrs_graph_stats_get(f->graph)->retries >= 2);
    reqs_free(q, 40);
}

static void a_create_whose_answer_was_lost_is_not_made_twice(void **state)
{
    fixture *f = *state;
    hrs_sim_set_fault(f->sim, "fail_after_create", 1);
    hrs_graph_req q[1];
    req(&q[0], 0, "POST", "/users",
        json_pack("{s:b, s:s, s:s, s:s, s:s, s:{s:s, s:b}}", "accountEnabled", 1, "displayName", "New Person", "mailNickname",
                  "new.person", "userPrincipalName", "new.person@example.com", "employeeId", "N1", "passwordProfile",
                  "password", "Xy7!pass-word", "forceChangePasswordNextSignIn", 1));
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 1, &err), 0);
    assert_int_equal(q[0].status, 201);
    json_t *snap = hrs_sim_snapshot(f->sim);
    size_t i, n = 0;
    json_t *u;
    const char *id = NULL;
    json_array_foreach(json_object_get(snap, "users"), i, u)
        if (sv(u, "employeeId") && strcmp(sv(u, "employeeId"), "N1") == 0) { n++; id = sv(u, "id"); }
    assert_int_equal(n, 1);
    assert_string_equal(sv(q[0].response, "id"), id);
    json_decref(snap);
    reqs_free(q, 1);
}

static void a_timed_out_batch_is_sent_again_without_a_second_account(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_graph_opts go = { .graph_url = f->graph_url, .login_url = f->login_url, .tenant = TENANT, .client_id = CLIENT,
                          .client_secret = SECRET, .timeout_s = 1 };
    hrs_graph *g = hrs_graph_new(&go, &err);
    assert_non_null(g);
    json_t *out = NULL;
    assert_int_equal(hrs_graph_call(g, "GET", "/users?$top=1&$select=id", NULL, &out, &err), 0);   /* a token first */
    json_decref(out);
    hrs_sim_set_fault(f->sim, "hang_next", 1);   /* the batch is carried out, its answer comes too late */
    hrs_graph_req q[2];
    char url[128];
    req(&q[0], 0, "POST", "/users",
        json_pack("{s:b, s:s, s:s, s:s, s:s, s:{s:s}}", "accountEnabled", 1, "displayName", "Slow Answer", "mailNickname",
                  "slow.answer", "userPrincipalName", "slow.answer@example.com", "employeeId", "S1", "passwordProfile",
                  "password", "Xy7!pass-word"));
    snprintf(url, sizeof url, "/users/%s", f->ids[8]);
    req(&q[1], 1, "PATCH", url, json_pack("{s:s}", "jobTitle", "Patient"));
    assert_int_equal(hrs_graph_send(g, q, 2, &err), 0);
    assert_int_equal(q[0].status, 201);
    assert_int_equal(q[1].status, 204);
    assert_true(hrs_graph_stats_get(g)->retries >= 1);
    json_t *snap = hrs_sim_snapshot(f->sim);
    size_t i, n = 0;
    json_t *u;
    json_array_foreach(json_object_get(snap, "users"), i, u) n += sv(u, "employeeId") && strcmp(sv(u, "employeeId"), "S1") == 0;
    assert_int_equal(n, 1);
    json_decref(snap);
    reqs_free(q, 2);
    hrs_graph_free(g);
}

static void sessions_are_revoked_in_a_batch(void **state)
{
    fixture *f = *state;
    hrs_graph_req q[1];
    char url[128];
    snprintf(url, sizeof url, "/users/%s/revokeSignInSessions", f->ids[9]);
    req(&q[0], 0, "POST", url, NULL);
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 1, &err), 0);
    assert_int_equal(q[0].status, 200);
    assert_true(json_is_true(json_object_get(q[0].response, "value")));
    json_t *snap = hrs_sim_snapshot(f->sim);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(snap, "users"), i, u)
        if (strcmp(sv(u, "id"), f->ids[9]) == 0) assert_non_null(sv(u, "signInSessionsValidFromDateTime"));
    json_decref(snap);
    reqs_free(q, 1);
}

static void a_request_whose_dependency_failed_answers_424(void **state)
{
    fixture *f = *state;
    hrs_sim_set_fault_text(f->sim, "deny_permission", "employeeLeaveDateTime");
    hrs_graph_req q[2];
    char url[128];
    snprintf(url, sizeof url, "/users/%s", f->ids[1]);
    req(&q[0], 0, "PATCH", url, json_pack("{s:s}", "employeeLeaveDateTime", "2026-12-31T23:59:59Z"));
    req(&q[1], 1, "PATCH", url, json_pack("{s:b}", "accountEnabled", 0));
    q[1].depends_on = "1";
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 2, &err), 0);
    assert_int_equal(q[0].status, 403);
    assert_int_equal(q[1].status, 424);
    reqs_free(q, 2);
}

/* ---- 403: the missing permission is named --------------------------------------------------- */

static void permission_for_names_the_graph_application_permission(void **state)
{
    (void)state;
    json_t *leave = json_pack("{s:s}", "employeeLeaveDateTime", "2026-12-31T23:59:59Z");
    json_t *enable = json_pack("{s:b}", "accountEnabled", 0), *title = json_pack("{s:s}", "jobTitle", "x");
    json_t *bind = json_pack("{s:[]}", "members@odata.bind");
    assert_string_equal(hrs_graph_permission_for("POST", "/users", title), "User.ReadWrite.All");
    assert_string_equal(hrs_graph_permission_for("PATCH", "/users/1", title), "User.ReadWrite.All");
    assert_non_null(strstr(hrs_graph_permission_for("PATCH", "/users/1", leave), "User-LifeCycleInfo.ReadWrite.All"));
    assert_non_null(strstr(hrs_graph_permission_for("PATCH", "/users/1", enable), "User.EnableDisableAccount.All"));
    assert_string_equal(hrs_graph_permission_for("POST", "/groups/g/members/$ref", NULL), "GroupMember.ReadWrite.All");
    assert_string_equal(hrs_graph_permission_for("PATCH", "/groups/g", bind), "GroupMember.ReadWrite.All");
    assert_string_equal(hrs_graph_permission_for("DELETE", "/groups/g/members/1/$ref", NULL), "GroupMember.ReadWrite.All");
    assert_non_null(strstr(hrs_graph_permission_for("POST", "/users/1/revokeSignInSessions", NULL), "User.RevokeSessions.All"));
    assert_string_equal(hrs_graph_permission_for("PUT", "/users/1/manager/$ref", NULL), "User.ReadWrite.All");
    assert_string_equal(hrs_graph_permission_for("GET", "https://graph.microsoft.com/v1.0/users?$top=999", NULL),
                        "User.Read.All");
    json_decref(leave);
    json_decref(enable);
    json_decref(title);
    json_decref(bind);
}

static void a_403_names_the_missing_permission(void **state)
{
    fixture *f = *state;
    hrs_sim_set_fault_text(f->sim, "deny_permission",
                           "employeeLeaveDateTime, PATCH /groups, POST /groups/{id}/members, /users/{id}/revokeSignInSessions");
    char url[128];
    snprintf(url, sizeof url, "/users/%s", f->ids[2]);
    json_t *leave = json_pack("{s:s}", "employeeLeaveDateTime", "2026-12-31T23:59:59Z"), *out = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_call(f->graph, "PATCH", url, leave, &out, &err), -1);
    assert_int_equal(err.http_status, 403);
    assert_string_equal(err.code, "Authorization_RequestDenied");
    assert_non_null(strstr(err.msg, "Insufficient privileges to complete the operation."));
    assert_non_null(strstr(err.msg, "User-LifeCycleInfo.ReadWrite.All"));
    assert_non_null(strstr(err.msg, "request-id"));
    json_decref(leave);
    /* In a batch: group additions (packed or not) and a revocation. */
    hrs_graph_req q[3];
    char gurl[128], rurl[128];
    snprintf(gurl, sizeof gurl, "/groups/%s/members/$ref", f->group);
    snprintf(rurl, sizeof rurl, "/users/%s/revokeSignInSessions", f->ids[3]);
    req(&q[0], 0, "POST", gurl, ref_body(f, f->ids[5]));
    req(&q[1], 1, "POST", gurl, ref_body(f, f->ids[6]));
    req(&q[2], 2, "POST", rurl, NULL);
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, 3, &err), 0);
    for (size_t i = 0; i < 2; i++) {
        assert_int_equal(q[i].status, 403);
        assert_non_null(strstr(q[i].message, "GroupMember.ReadWrite.All"));
    }
    assert_int_equal(q[2].status, 403);
    assert_non_null(strstr(q[2].message, "User.RevokeSessions.All"));
    reqs_free(q, 3);
}

/* ---- reads ---------------------------------------------------------------------------------- */

static void find_users_uses_advanced_queries_only_where_graph_requires_them(void **state)
{
    fixture *f = *state;
    json_t *users = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_find_users(f->graph, "employeeId", "E07", "id,employeeId", &users, &err), 0);
    assert_int_equal(json_array_size(users), 1);
    assert_string_equal(sv(json_array_get(users, 0), "id"), f->ids[7]);
    json_decref(users);
    assert_int_equal(hrs_graph_find_users(f->graph, "userPrincipalName", "o'brien@example.com", "id", &users, &err), 0);
    assert_int_equal(json_array_size(users), 0);
    json_decref(users);
    /* companyName filters only as an advanced query: without the headers Graph refuses it. */
    json_t *out = NULL;
    assert_int_equal(hrs_graph_call(f->graph, "GET", "/users?$filter=companyName%20eq%20'Contoso'", NULL, &out, &err), -1);
    assert_int_equal(err.http_status, 400);
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_find_users(f->graph, "companyName", "Contoso", "id,companyName", &users, &err), 0);
    assert_int_equal(json_array_size(users), NUSERS / 2);
    json_decref(users);
}

static json_t *by_id(json_t *users, const char *id)
{
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
        if (strcmp(sv(u, "id"), id) == 0) return u;
    return NULL;
}

static void delta_rounds_read_only_the_changes_and_start_over_when_the_link_expires(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *st = hrs_store_open(f->db, &err);
    assert_non_null(st);
    json_t *users = NULL, *out = NULL;
    int full = 0;
    hrs_sim_stats s0, s1;
    /* The first round reads everyone. */
    assert_int_equal(hrs_graph_users_delta(f->graph, st, "id,jobTitle,manager", &users, &full, &err), 0);
    assert_int_equal(full, 1);
    assert_int_equal(json_array_size(users), NUSERS);
    json_decref(users);
    /* Changes: a job title, a manager, a deletion. */
    char url[160];
    snprintf(url, sizeof url, "/users/%s", f->ids[4]);
    json_t *b = json_pack("{s:s}", "jobTitle", "Head of Things");
    assert_int_equal(hrs_graph_call(f->graph, "PATCH", url, b, &out, &err), 0);
    json_decref(b);
    snprintf(url, sizeof url, "/users/%s/manager/$ref", f->ids[5]);
    char ref[200];
    snprintf(ref, sizeof ref, "%s/users/%s", f->graph_url, f->ids[4]);
    b = json_pack("{s:s}", "@odata.id", ref);
    assert_int_equal(hrs_graph_call(f->graph, "PUT", url, b, &out, &err), 0);
    json_decref(b);
    snprintf(url, sizeof url, "/users/%s", f->ids[6]);
    assert_int_equal(hrs_graph_call(f->graph, "DELETE", url, NULL, &out, &err), 0);
    hrs_sim_get_stats(f->sim, &s0);
    assert_int_equal(hrs_graph_users_delta(f->graph, st, "id,jobTitle,manager", &users, &full, &err), 0);
    hrs_sim_get_stats(f->sim, &s1);
    assert_int_equal(full, 0);
    assert_int_equal(s1.delta_items - s0.delta_items, 3);   /* only the changes travelled */
    assert_int_equal(json_array_size(users), NUSERS - 1);
    assert_string_equal(sv(by_id(users, f->ids[4]), "jobTitle"), "Head of Things");
    assert_string_equal(sv(json_object_get(by_id(users, f->ids[5]), "manager"), "id"), f->ids[4]);
    assert_null(by_id(users, f->ids[6]));
    json_decref(users);
    /* The manager removed. */
    snprintf(url, sizeof url, "/users/%s/manager/$ref", f->ids[5]);
    assert_int_equal(hrs_graph_call(f->graph, "DELETE", url, NULL, &out, &err), 0);
    assert_int_equal(hrs_graph_users_delta(f->graph, st, "id,jobTitle,manager", &users, &full, &err), 0);
    assert_null(json_object_get(by_id(users, f->ids[5]), "manager"));
    json_decref(users);
    /* An expired link: everyone again, and the same users as before. */
    hrs_sim_set_fault(f->sim, "expire_delta_tokens", 1);
    hrs_sim_get_stats(f->sim, &s0);
    assert_int_equal(hrs_graph_users_delta(f->graph, st, "id,jobTitle,manager", &users, &full, &err), 0);
    hrs_sim_get_stats(f->sim, &s1);
    assert_int_equal(full, 1);
    assert_int_equal(s1.delta_items - s0.delta_items, NUSERS - 1);
    assert_int_equal(hrs_graph_stats_get(f->graph)->full_resyncs, 1);
    assert_int_equal(json_array_size(users), NUSERS - 1);
    json_decref(users);
    /* Another attribute read: a new round from the start (the link tracks what it selected). */
    assert_int_equal(hrs_graph_users_delta(f->graph, st, "id,jobTitle,department,manager", &users, &full, &err), 0);
    assert_int_equal(full, 1);
    json_decref(users);
    hrs_store_close(st);
}

static void a_delta_round_follows_its_nextlinks_to_the_deltalink(void **state)
{
    fixture *f = *state;
    enum { MORE = 250 };
    hrs_graph_req *q = calloc(MORE, sizeof *q);
    for (size_t i = 0; i < MORE; i++) {
        char upn[64], nick[32];
        snprintf(nick, sizeof nick, "more%03zu", i);
        snprintf(upn, sizeof upn, "%s@example.com", nick);
        req(&q[i], i, "POST", "/users", json_pack("{s:b, s:s, s:s, s:s, s:{s:s}}", "accountEnabled", 1, "displayName", nick,
                                                   "mailNickname", nick, "userPrincipalName", upn, "passwordProfile",
                                                   "password", "Xy7!pass-word"));
    }
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_graph_send(f->graph, q, MORE, &err), 0);
    for (size_t i = 0; i < MORE; i++) assert_int_equal(q[i].status, 201);
    reqs_free(q, MORE);
    free(q);
    hrs_store *st = hrs_store_open(f->db, &err);
    json_t *users = NULL;
    int full = 0;
    long before = hrs_graph_stats_get(f->graph)->requests;
    assert_int_equal(hrs_graph_users_delta(f->graph, st, "id,displayName", &users, &full, &err), 0);
    assert_int_equal(json_array_size(users), NUSERS + MORE);
    assert_true(hrs_graph_stats_get(f->graph)->requests - before >= 2);   /* more than one page */
    json_decref(users);
    hrs_store_close(st);
}

static void a_recently_linked_account_the_list_does_not_show_is_asked_for_by_id(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *st = hrs_store_open(f->db, &err);
    assert_non_null(st);
    hrs_sim_set_fault(f->sim, "replication_delay_ms", 1200);
    json_t *b = json_pack("{s:b, s:s, s:s, s:s, s:s, s:{s:s}}", "accountEnabled", 1, "displayName", "Late Riser", "mailNickname",
                          "late.riser", "userPrincipalName", "late.riser@example.com", "employeeId", "L1", "passwordProfile",
                          "password", "Xy7!pass-word"),
           *made = NULL, *users = NULL;
    assert_int_equal(hrs_graph_call(f->graph, "POST", "/users", b, &made, &err), 0);
    json_decref(b);
    assert_int_equal(hrs_store_link_put(st, "P-L1", sv(made, "id"), "late.riser@example.com", &err), 0);
    assert_int_equal(hrs_graph_read_users(f->graph, st, "id,employeeId", 0, &users, &err), 0);
    assert_int_equal(json_array_size(users), NUSERS + 1);
    assert_non_null(by_id(users, sv(made, "id")));
    json_decref(users);
    json_decref(made);
    hrs_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(pack_member_adds_per_group_twenty_at_most, setup, teardown),
        cmocka_unit_test_setup_teardown(send_packs_member_additions_into_bind_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(a_pack_with_a_member_already_there_goes_again_one_by_one, setup, teardown),
        cmocka_unit_test_setup_teardown(throttled_writes_wait_for_their_retry_after, setup, teardown),
        cmocka_unit_test_setup_teardown(the_write_budget_keeps_under_the_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_batches_and_items_are_sent_again_and_answers_matched_by_id, setup, teardown),
        cmocka_unit_test_setup_teardown(a_create_whose_answer_was_lost_is_not_made_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(a_timed_out_batch_is_sent_again_without_a_second_account, setup, teardown),
        cmocka_unit_test_setup_teardown(sessions_are_revoked_in_a_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(a_request_whose_dependency_failed_answers_424, setup, teardown),
        cmocka_unit_test(permission_for_names_the_graph_application_permission),
        cmocka_unit_test_setup_teardown(a_403_names_the_missing_permission, setup, teardown),
        cmocka_unit_test_setup_teardown(find_users_uses_advanced_queries_only_where_graph_requires_them, setup, teardown),
        cmocka_unit_test_setup_teardown(delta_rounds_read_only_the_changes_and_start_over_when_the_link_expires, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(a_delta_round_follows_its_nextlinks_to_the_deltalink, setup, teardown),
        cmocka_unit_test_setup_teardown(a_recently_linked_account_the_list_does_not_show_is_asked_for_by_id, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
