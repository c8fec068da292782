/* test_audit.c: the audit trail (engine/audit.c): an event per operation in SQLite and in the
 * JSON-lines file, never a password or a secret, and the filters of `hrsync log`. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrsync/audit.h"
#include "hrsync/log.h"

static char dir[256], db_path[300], log_path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-audit-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int fresh(void **state)
{
    (void)state;
    static int n;
    snprintf(db_path, sizeof db_path, "%s/state-%d.db", dir, ++n);
    snprintf(log_path, sizeof log_path, "%s/audit-%d.jsonl", dir, n);
    return 0;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    static char buf[65536];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static size_t count_lines(const char *text)
{
    size_t n = 0;
    for (const char *p = text; p && *p; p++) n += *p == '\n';
    return n;
}

static void answer(hrs_graph_req *q, long status, const char *code, const char *message, const char *rid, json_t *response)
{
    memset(q, 0, sizeof *q);
    q->status = status;
    snprintf(q->code, sizeof q->code, "%s", code);
    snprintf(q->message, sizeof q->message, "%s", message);
    snprintf(q->request_id, sizeof q->request_id, "%s", rid);
    q->response = response;
}

/* A create, an update that failed, and a group addition, in one batch's transaction. */
static void record_three(hrs_store *s, hrs_audit *a)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_graph_req q;
    json_t *create = json_pack("{s:s, s:s, s:s, s:s}", "person", "1002", "name", "Zoë Müller-Lüdenscheidt", "action", "create",
                               "upn", "zoe.mueller@example.com");
    json_t *body = json_pack("{s:s, s:s, s:b, s:{s:s, s:b}}", "givenName", "Zoë", "userPrincipalName", "zoe.mueller@example.com",
                             "accountEnabled", 1, "passwordProfile", "password", "Xy7!not-in-any-log",
                             "forceChangePasswordNextSignIn", 1);
    json_t *update = json_pack("{s:s, s:s, s:s, s:s, s:s, s:[{s:s, s:s, s:s}]}", "person", "1001", "name", "Katrin Vogel",
                               "action", "update", "object_id", "obj-1001", "upn", "katrin.vogel@example.com", "changes",
                               "attribute", "jobTitle", "old", "Engineering Lead", "new", "Head of Engineering");
    json_t *patch = json_pack("{s:s}", "jobTitle", "Head of Engineering");
    json_t *group = json_pack("{s:s, s:s}", "group", "SG-Finance", "id", "grp-1");

    assert_int_equal(hrs_store_begin(s, &err), 0);
    answer(&q, 201, "", "", "rid-create", json_pack("{s:s, s:s}", "id", "obj-1002", "userPrincipalName", "zoe.mueller@example.com"));
    assert_int_equal(hrs_audit_op(a, create, "create", NULL, body, &q, 1, &err), 0);
    json_decref(q.response);
    answer(&q, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", "rid-update", NULL);
    assert_int_equal(hrs_audit_op(a, update, "update", NULL, patch, &q, 0, &err), 0);
    answer(&q, 204, "", "", "rid-group", NULL);
    assert_int_equal(hrs_audit_op(a, update, "add to group", group, NULL, &q, 1, &err), 0);
    assert_int_equal(hrs_store_commit(s, &err), 0);
    json_decref(create);
    json_decref(body);
    json_decref(update);
    json_decref(patch);
    json_decref(group);
}

static void each_operation_is_an_event_in_sqlite_and_the_file(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(db_path, &err);
    assert_non_null(s);
    hrs_audit *a = hrs_audit_open(s, log_path, &err);
    assert_non_null(a);
    hrs_audit_begin(a, 7, "p-20261201-0001", "2026-12-01");
    record_three(s, a);
    /* The batch committed: its lines are in the file already, before the audit is closed. */
    char *text = slurp(log_path);
    assert_non_null(text);
    assert_int_equal(count_lines(text), 3);
    assert_null(strstr(text, "Xy7!not-in-any-log"));
    assert_null(strstr(text, "passwordProfile"));
    struct stat st;
    assert_int_equal(stat(log_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    json_t *first = json_loads(text, JSON_DISABLE_EOF_CHECK, NULL);
    assert_non_null(first);
    assert_string_equal(json_string_value(json_object_get(first, "plan")), "p-20261201-0001");
    assert_int_equal(json_integer_value(json_object_get(first, "run")), 7);
    assert_string_equal(json_string_value(json_object_get(first, "object_id")), "obj-1002");
    assert_string_equal(json_string_value(json_object_get(first, "request_id")), "rid-create");
    assert_string_equal(json_string_value(json_object_get(first, "result")), "ok");
    json_decref(first);
    hrs_audit_close(a);

    /* The same events, read back from SQLite. */
    json_t *events;
    hrs_audit_filter all = { NULL, NULL, NULL, NULL, 0 };
    assert_int_equal(hrs_audit_query(s, &all, &events, &err), 0);
    assert_int_equal(json_array_size(events), 3);
    json_t *upd = json_array_get(events, 1);
    assert_string_equal(json_string_value(json_object_get(upd, "result")), "failed");
    assert_int_equal(json_integer_value(json_object_get(upd, "status")), 403);
    assert_string_equal(json_string_value(json_object_get(upd, "code")), "Authorization_RequestDenied");
    assert_string_equal(json_string_value(json_object_get(upd, "request_id")), "rid-update");
    json_t *ch = json_array_get(json_object_get(upd, "changes"), 0);
    assert_string_equal(json_string_value(json_object_get(ch, "old")), "Engineering Lead");
    assert_string_equal(json_string_value(json_object_get(ch, "new")), "Head of Engineering");
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 2), "group")), "SG-Finance");

    /* The readable form names the person, the failure and its request-id. */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    hrs_audit_print(events, f, 0);
    fclose(f);
    assert_non_null(strstr(out, "ok      create  Zoë Müller-Lüdenscheidt (1002)  zoe.mueller@example.com  p-20261201-0001\n"));
    assert_non_null(strstr(out, "      jobTitle               \"Engineering Lead\" -> \"Head of Engineering\"\n"));
    assert_non_null(strstr(out, "HTTP 403 Authorization_RequestDenied: Insufficient privileges to complete the operation. "
                                "(request-id rid-update)\n"));
    assert_non_null(strstr(out, "add to group SG-Finance  Katrin Vogel (1001)"));
    free(out);
    json_decref(events);
    hrs_store_close(s);
}

static void filters_pick_person_action_and_time(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_store *s = hrs_store_open(db_path, &err);
    hrs_audit *a = hrs_audit_open(s, NULL, &err);
    assert_non_null(a);
    record_three(s, a);
    hrs_audit_close(a);

    json_t *events;
    hrs_audit_filter by_person = { "1001", NULL, NULL, NULL, 0 };
    assert_int_equal(hrs_audit_query(s, &by_person, &events, &err), 0);
    assert_int_equal(json_array_size(events), 2);
    json_decref(events);
    hrs_audit_filter by_action = { NULL, "GROUP", NULL, NULL, 0 };
    assert_int_equal(hrs_audit_query(s, &by_action, &events, &err), 0);
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "action")), "add to group");
    json_decref(events);

    /* Events are stamped with the UTC time they happened; both ends of the range are inclusive. */
    hrs_audit_filter range = { NULL, NULL, "2000-01-01", "2999-12-31", 0 };
    assert_int_equal(hrs_audit_query(s, &range, &events, &err), 0);
    assert_int_equal(json_array_size(events), 3);
    const char *at = json_string_value(json_object_get(json_array_get(events, 0), "at"));
    char day[11];
    snprintf(day, sizeof day, "%.10s", at);
    json_decref(events);
    hrs_audit_filter that_day = { NULL, NULL, day, day, 0 };
    assert_int_equal(hrs_audit_query(s, &that_day, &events, &err), 0);
    assert_true(json_array_size(events) >= 1);
    json_decref(events);
    hrs_audit_filter before = { NULL, NULL, NULL, "2000-01-01", 0 };
    assert_int_equal(hrs_audit_query(s, &before, &events, &err), 0);
    assert_int_equal(json_array_size(events), 0);
    json_decref(events);
    hrs_audit_filter after = { NULL, NULL, "2999-01-01T00:00:00Z", NULL, 0 };
    assert_int_equal(hrs_audit_query(s, &after, &events, &err), 0);
    assert_int_equal(json_array_size(events), 0);
    json_decref(events);
    hrs_audit_filter last = { NULL, NULL, NULL, NULL, 1 };
    assert_int_equal(hrs_audit_query(s, &last, &events, &err), 0);
    assert_int_equal(json_array_size(events), 1);
    assert_string_equal(json_string_value(json_object_get(json_array_get(events, 0), "action")), "add to group");
    json_decref(events);

    hrs_audit_filter bad = { NULL, NULL, "yesterday", NULL, 0 };
    assert_int_equal(hrs_audit_query(s, &bad, &events, &err), -1);
    assert_string_equal(err.msg, "--since 'yesterday' is not a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    hrs_store_close(s);
}

static void a_secret_in_a_service_message_is_masked(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_log_add_secret("s3cret-client-value");
    hrs_store *s = hrs_store_open(db_path, &err);
    hrs_audit *a = hrs_audit_open(s, log_path, &err);
    json_t *entry = json_pack("{s:s, s:s, s:s}", "person", "1003", "name", "Liam O'Brien", "action", "create");
    json_t *body = json_pack("{s:s}", "userPrincipalName", "liam.obrien@example.com");
    hrs_graph_req q;
    answer(&q, 400, "Request_BadRequest", "bad value s3cret-client-value", "rid-x", NULL);
    assert_int_equal(hrs_audit_op(a, entry, "create", NULL, body, &q, 0, &err), 0); /* outside a transaction: commits at once */
    char *text = slurp(log_path);
    assert_non_null(text);
    assert_null(strstr(text, "s3cret-client-value"));
    assert_non_null(strstr(text, "\"upn\":\"liam.obrien@example.com\""));
    hrs_audit_close(a);
    json_t *events;
    hrs_audit_filter all = { NULL, NULL, NULL, NULL, 0 };
    assert_int_equal(hrs_audit_query(s, &all, &events, &err), 0);
    char *dump = json_dumps(events, 0);
    assert_null(strstr(dump, "s3cret-client-value"));
    free(dump);
    json_decref(events);
    json_decref(entry);
    json_decref(body);
    hrs_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(each_operation_is_an_event_in_sqlite_and_the_file, fresh),
        cmocka_unit_test_setup(filters_pick_person_action_and_time, fresh),
        cmocka_unit_test_setup(a_secret_in_a_service_message_is_masked, fresh),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
