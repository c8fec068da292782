/* test_journal.c: the operation journal (engine/journal.c) and finishing an interrupted run
 * (hrs_apply_resume) against the in-process simulator: a create that reached the directory is
 * found rather than sent twice, one that did not is sent, nothing journaled holds a password,
 * and HRSYNC_CRASH_AFTER ends the process at the boundary it names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hrsync/apply.h"
#include "hrsync/graph.h"
#include "hrsync/journal.h"
#include "hrsync/sim.h"
#include "hrsync/store.h"

#define TENANT "example.com"
#define CLIENT "app-1"
#define SECRET "s3cret-Journal"

typedef struct fixture {
    char dir[64], db[128], seed[128], graph_url[96], login_url[80];
    hrs_sim *sim;
    hrs_store *store;
    hrs_journal *journal;
    hrs_graph *graph;
} fixture;

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hrsync-test-journal-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->db, sizeof f->db, "%s/state.db", f->dir);
    snprintf(f->seed, sizeof f->seed, "%s/seed.json", f->dir);
    FILE *s = fopen(f->seed, "w");
    fputs("{\"domains\":[\"example.com\"],\"users\":[],"
          "\"groups\":[{\"id\":\"g-fin\",\"displayName\":\"SG-Finance\",\"members\":[]}]}", s);
    fclose(s);
    hrs_err err;
    hrs_err_clear(&err);
    hrs_sim_opts o = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET, .seed_file = f->seed };
    f->sim = hrs_sim_start(&o, &err);
    if (!f->sim) fail_msg("hrs_sim_start: %s", err.msg);
    snprintf(f->login_url, sizeof f->login_url, "http://127.0.0.1:%u", hrs_sim_port(f->sim));
    snprintf(f->graph_url, sizeof f->graph_url, "%s/v1.0", f->login_url);
    hrs_graph_opts go = { f->graph_url, f->login_url, TENANT, CLIENT, SECRET, NULL, 0, 10 };
    f->graph = hrs_graph_new(&go, &err);
    f->store = hrs_store_open(f->db, &err);
    if (!f->graph || !f->store) fail_msg("%s", err.msg);
    f->journal = hrs_journal_open(f->store, &err);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    hrs_journal_close(f->journal);
    hrs_store_close(f->store);
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

/* A plan: Mehmet joins Finance. */
static json_t *joiner_plan(void)
{
    return J("{\"today\":\"2026-12-01\",\"changes\":[{\"person\":\"1013\",\"name\":\"Mehmet Yilmaz\",\"action\":\"create\","
             "\"upn\":\"mehmet.yilmaz@example.com\",\"upn_candidates\":[\"mehmet.yilmaz@example.com\",\"mehmet.yilmaz2@example.com\"],"
             "\"account_enabled\":true,\"attributes\":{\"displayName\":\"Mehmet Yilmaz\",\"employeeId\":\"1013\",\"department\":\"Finance\"},"
             "\"groups_add\":[{\"group\":\"SG-Finance\",\"id\":\"g-fin\"}]}]}");
}

static hrs_apply_ctx ctx_of(fixture *f, int64_t run_id)
{
    hrs_apply_ctx c = { .graph = f->graph, .store = f->store, .graph_url = f->graph_url, .journal = f->journal,
                        .run_id = run_id, .today = "2026-12-01" };
    return c;
}

static size_t users_with_employee_id(fixture *f, const char *eid, const char **upn)
{
    json_t *snap = hrs_sim_snapshot(f->sim);
    size_t n = 0, i;
    json_t *u;
    static char found[128];
    json_array_foreach(json_object_get(snap, "users"), i, u)
        if (sv(u, "employeeId") && strcmp(sv(u, "employeeId"), eid) == 0) {
            n++;
            snprintf(found, sizeof found, "%s", sv(u, "userPrincipalName"));
        }
    json_decref(snap);
    if (upn) *upn = found;
    return n;
}

static void assert_all_done(fixture *f)
{
    json_t *ops;
    hrs_err err;
    assert_int_equal(hrs_journal_list(f->journal, 0, &ops, &err), 0);
    size_t i;
    json_t *o;
    json_array_foreach(ops, i, o) assert_string_equal(sv(o, "status"), "done");
    json_decref(ops);
}

static void journal_keeps_states_and_never_a_password(void **state)
{
    fixture *f = *state;
    hrs_err err;
    json_t *specs = J("[{\"kind\":\"create\",\"person\":\"1\",\"method\":\"POST\"},{\"kind\":\"update\",\"person\":\"2\",\"method\":\"PATCH\"}]");
    assert_int_equal(hrs_journal_add(f->journal, 7, specs, &err), 0);
    json_t *body = J("{\"userPrincipalName\":\"a@example.com\",\"passwordProfile\":{\"password\":\"Secret-123!x\","
                     "\"forceChangePasswordNextSignIn\":true}}");
    assert_int_equal(hrs_store_begin(f->store, &err), 0);
    assert_int_equal(hrs_journal_set(f->journal, 7, 1, "sent", "/users", body, NULL, NULL, &err), 0);
    assert_int_equal(hrs_store_commit(f->store, &err), 0);
    json_t *left;
    assert_int_equal(hrs_journal_unfinished(f->journal, &left, &err), 0);
    assert_int_equal(json_array_size(left), 2);
    assert_string_equal(sv(json_array_get(left, 0), "status"), "sent");
    json_decref(left);
    assert_int_equal(hrs_store_begin(f->store, &err), 0);
    assert_int_equal(hrs_journal_set(f->journal, 7, 1, "done", NULL, NULL, NULL, NULL, &err), 0);
    assert_int_equal(hrs_store_commit(f->store, &err), 0);
    assert_int_equal(hrs_journal_unfinished(f->journal, &left, &err), 0);
    assert_int_equal(json_array_size(left), 1);
    json_decref(left);
    json_t *all;
    assert_int_equal(hrs_journal_list(f->journal, 7, &all, &err), 0);
    char *text = json_dumps(all, 0);
    assert_null(strstr(text, "Secret-123!x"));
    assert_non_null(strstr(text, "forceChangePasswordNextSignIn"));
    assert_string_equal(sv(json_array_get(all, 0), "url"), "/users");
    free(text);
    json_decref(all);
    json_decref(body);
    json_decref(specs);
}

static void apply_journals_every_operation_done(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    json_t *plan = joiner_plan(), *result = NULL;
    hrs_apply_ctx c = ctx_of(f, 1);
    assert_int_equal(hrs_apply_plan(&c, plan, &result, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(result, "created")), 1);
    assert_int_equal(json_integer_value(json_object_get(result, "group_added")), 1);
    assert_all_done(f);
    json_t *all;
    assert_int_equal(hrs_journal_list(f->journal, 1, &all, &err), 0);
    assert_int_equal(json_array_size(all), 2);
    assert_string_equal(sv(json_array_get(all, 1), "url"), "/groups/g-fin/members/$ref");
    assert_null(json_object_get(json_object_get(json_object_get(json_array_get(all, 0), "body"), "passwordProfile"), "password"));
    json_decref(all);
    json_decref(result);
    json_decref(plan);
}

/* The process died after sending the create, before its answer was recorded: the account is
 * in the directory. The next run finds it and does not create a second one. */
static void interrupted_create_that_arrived_is_found_not_repeated(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    json_t *plan = joiner_plan();
    json_t *specs = hrs_apply_specs(plan, "2026-12-01");
    assert_int_equal(hrs_journal_add(f->journal, 1, specs, &err), 0);
    assert_int_equal(hrs_store_begin(f->store, &err), 0);
    assert_int_equal(hrs_journal_set(f->journal, 1, 1, "sent", "/users", NULL, NULL, NULL, &err), 0);
    assert_int_equal(hrs_store_commit(f->store, &err), 0);
    json_t *made = NULL, *body = J("{\"accountEnabled\":true,\"displayName\":\"Mehmet Yilmaz\",\"mailNickname\":\"mehmet.yilmaz\","
                                   "\"userPrincipalName\":\"mehmet.yilmaz@example.com\",\"employeeId\":\"1013\","
                                   "\"passwordProfile\":{\"password\":\"Xy7!pass-word-long\"}}");
    assert_int_equal(hrs_graph_call(f->graph, "POST", "/users", body, &made, &err), 0);
    json_t *result = NULL;
    hrs_apply_ctx c = ctx_of(f, 2);
    assert_int_equal(hrs_apply_resume(&c, &result, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(result, "resumed")), 2);
    assert_int_equal(json_integer_value(json_object_get(result, "created")), 1);
    assert_int_equal(json_integer_value(json_object_get(result, "failed")), 0);
    const char *upn;
    assert_int_equal(users_with_employee_id(f, "1013", &upn), 1);
    assert_string_equal(upn, "mehmet.yilmaz@example.com");
    json_t *links;
    assert_int_equal(hrs_store_links(f->store, &links, &err), 0);
    assert_string_equal(sv(json_object_get(links, "1013"), "object_id"), sv(made, "id"));
    json_t *snap = hrs_sim_snapshot(f->sim);
    assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(snap, "groups"), 0), "members")), 1);
    assert_all_done(f);
    json_decref(snap);
    json_decref(links);
    json_decref(result);
    json_decref(made);
    json_decref(body);
    json_decref(specs);
    json_decref(plan);
}

/* The same, but the create never left: it is sent now, once. */
static void interrupted_create_that_never_arrived_is_sent(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    json_t *plan = joiner_plan();
    json_t *specs = hrs_apply_specs(plan, "2026-12-01");
    assert_int_equal(hrs_journal_add(f->journal, 1, specs, &err), 0);
    assert_int_equal(hrs_store_begin(f->store, &err), 0);
    assert_int_equal(hrs_journal_set(f->journal, 1, 1, "sent", "/users", NULL, NULL, NULL, &err), 0);
    assert_int_equal(hrs_store_commit(f->store, &err), 0);
    json_t *result = NULL;
    hrs_apply_ctx c = ctx_of(f, 2);
    assert_int_equal(hrs_apply_resume(&c, &result, &err), 0);
    assert_int_equal(json_integer_value(json_object_get(result, "created")), 1);
    assert_int_equal(users_with_employee_id(f, "1013", NULL), 1);
    assert_all_done(f);
    /* Nothing is left: a second resume has nothing to do. */
    json_decref(result);
    assert_int_equal(hrs_apply_resume(&c, &result, &err), 0);
    assert_null(result);
    json_decref(specs);
    json_decref(plan);
}

static void crash_hook_ends_the_process_at_the_named_boundary(void **state)
{
    fixture *f = *state;
    for (int n = 1; n <= 3; n++) {
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            char v[8];
            snprintf(v, sizeof v, "%d", n);
            setenv("HRSYNC_CRASH_AFTER", v, 1);
            hrs_err err;
            hrs_journal *j = hrs_journal_open(f->store, &err);
            hrs_journal_boundary(j);
            hrs_journal_boundary(j);
            _exit(0);   /* past two boundaries */
        }
        int st = 0;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), n <= 2 ? 137 : 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(journal_keeps_states_and_never_a_password, setup, teardown),
        cmocka_unit_test_setup_teardown(apply_journals_every_operation_done, setup, teardown),
        cmocka_unit_test_setup_teardown(interrupted_create_that_arrived_is_found_not_repeated, setup, teardown),
        cmocka_unit_test_setup_teardown(interrupted_create_that_never_arrived_is_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(crash_hook_ends_the_process_at_the_named_boundary, setup, teardown),
    };
    return cmocka_run_group_tests_name("journal", tests, NULL, NULL);
}
