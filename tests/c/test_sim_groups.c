/* test_sim_groups.c: the Microsoft Graph simulator over real HTTP: $batch, throttling,
 * replication delay, group members, managers, faults and persistence across a restart. */
#include "sim_client.h"

static json_t *by_id(resp *r)
{
    json_t *m = json_object(), *e;
    size_t i;
    json_array_foreach(json_object_get(r->body, "responses"), i, e)
        json_object_set(m, str(e, "id"), e);
    return m;
}

#define status_of(m, id) json_integer_value(at(m, id "/status"))

static void test_batch(void **state)
{
    fixture *f = *state;
    assert_int_equal(hrs_sim_set_fault(f->sim, "shuffle_batch", 1), 0);
    json_t *bad = user_body("ines.k@example.com", "1005");
    json_object_del(bad, "passwordProfile");
    json_t *batch = json_pack(
        "{s:[{s:s, s:s, s:s, s:o, s:{s:s}}, {s:s, s:s, s:s, s:[s]},"
        "    {s:s, s:s, s:s, s:o, s:{s:s}}, {s:s, s:s, s:s, s:[s]},"
        "    {s:s, s:s, s:s, s:{s:s}}, {s:s, s:s, s:s}]}", "requests",
        "id", "1", "method", "POST", "url", "/users", "body",
        user_body("hannah.becker@example.com", "1006"), "headers", "Content-Type",
        "application/json",
        "id", "2", "method", "GET", "url", "users/hannah.becker@example.com?$select=employeeId",
        "dependsOn", "1",
        "id", "3", "method", "POST", "url", "/users", "body", bad, "headers", "Content-Type",
        "application/json",
        "id", "4", "method", "GET", "url", "/users?$top=1", "dependsOn", "3",
        "id", "5", "method", "PATCH", "url", "/users/katrin.vogel@example.com", "body",
        "jobTitle", "Head of Sales",   /* a body without Content-Type */
        "id", "6", "method", "GET", "url", "/users?$filter=employeeId eq '1001'");
    int shuffled = 0;
    for (int round = 0; round < 8; round++) {
        if (round == 1) {   /* from now on request 1 only reads */
            json_t *first = at(batch, "requests/0");
            json_object_set_new(first, "method", json_string("GET"));
            json_object_set_new(first, "url", json_string("/users?$top=1"));
            json_object_del(first, "body");
        }
        resp r = call(f, "POST", "/$batch", json_incref(batch), NULL);
        assert_int_equal(r.status, 200);
        assert_int_equal(json_array_size(json_object_get(r.body, "responses")), 6);
        for (size_t i = 0; i < 6; i++) {
            char p[32], want[4];
            snprintf(p, sizeof p, "responses/%zu/id", i);
            snprintf(want, sizeof want, "%zu", i + 1);
            if (strcmp(sat(r.body, p), want) != 0) shuffled = 1;
        }
        json_t *m = by_id(&r);
        assert_int_equal(status_of(m, "1"), round == 0 ? 201 : 200);
        assert_int_equal(status_of(m, "2"), 200);
        assert_string_equal(sat(m, "2/body/employeeId"), "1006");
        assert_int_equal(status_of(m, "3"), 400);
        assert_string_equal(sat(m, "3/body/error/message"),
                            "A password must be specified to create a new user.");
        assert_int_equal(status_of(m, "4"), 424);
        assert_int_equal(status_of(m, "5"), 400);
        assert_int_equal(status_of(m, "6"), 200);
        json_decref(m);
        done(&r);
    }
    assert_true(shuffled);
    json_decref(batch);

    /* The whole batch is refused for duplicate ids (case-insensitive) and for 21 requests. */
    expect_error(f, "POST", "/$batch", json_pack("{s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}]}",
                                                 "requests", "id", "a", "method", "GET", "url",
                                                 "/users", "id", "A", "method", "GET", "url",
                                                 "/groups"),
                 NULL, 400, "BadRequest", "Request Id A has to be unique in a batch.");
    json_t *many = json_array();
    for (int i = 0; i < 21; i++) {
        char id[8];
        snprintf(id, sizeof id, "%d", i);
        json_array_append_new(many, json_pack("{s:s, s:s, s:s}", "id", id, "method", "GET",
                                              "url", "/users"));
    }
    expect_error(f, "POST", "/$batch", json_pack("{s:o}", "requests", many), NULL, 400,
                 "BadRequest", NULL);
}

static void test_throttle(void **state)
{
    fixture *f = *state;
    assert_int_equal(hrs_sim_set_fault(f->sim, "throttle_writes", 3), 0);
    json_t *b = json_pack("{s:s}", "department", "Finance");
    for (int i = 0; i < 3; i++)
        expect(f, "PATCH", "/users/katrin.vogel@example.com", json_incref(b), 204);
    resp r = call(f, "PATCH", "/users/katrin.vogel@example.com", json_incref(b), NULL);
    assert_error(&r, 429, "TooManyRequests", "Please retry again later.");
    char *end;
    double after = strtod(r.retry_after, &end);
    assert_true(r.retry_after[0] && *end == '\0');
    assert_true(after > 0 && after <= 150.0 / 3 + 0.01);   /* one write frees every 50 s */
    done(&r);
    expect(f, "GET", "/users/katrin.vogel@example.com", NULL, 200);   /* reads are not writes */

    /* Inside a batch the 429 belongs to the request, with its own Retry-After. */
    r = call(f, "POST", "/$batch", json_pack("{s:[{s:s, s:s, s:s, s:o, s:{s:s}}, {s:s, s:s, s:s}]}",
                                            "requests", "id", "w", "method", "PATCH", "url",
                                            "/users/katrin.vogel@example.com", "body", b,
                                            "headers", "Content-Type", "application/json", "id",
                                            "r", "method", "GET", "url", "/users"), NULL);
    assert_int_equal(r.status, 200);
    json_t *m = by_id(&r);
    assert_int_equal(status_of(m, "w"), 429);
    assert_int_equal(status_of(m, "r"), 200);
    const char *ra = sat(m, "w/headers/Retry-After");
    assert_true(ra && strtod(ra, NULL) > 0);
    json_decref(m);
    done(&r);
    hrs_sim_stats st;
    hrs_sim_get_stats(f->sim, &st);
    assert_int_equal(st.throttled, 2);
    assert_int_equal(st.writes, 3);
    assert_int_equal(st.batches, 1);
}

static void test_replication_delay(void **state)
{
    fixture *f = *state;
    assert_int_equal(hrs_sim_set_fault(f->sim, "replication_delay_ms", 500), 0);
    char *id = create(f, user_body("new.hire@example.com", "3001")), path[256];
    snprintf(path, sizeof path, "/users/%s", id);
    expect_error(f, "GET", path, NULL, NULL, 404, "Request_ResourceNotFound", NULL);
    expect(f, "PATCH", path, json_pack("{s:s}", "department", "IT"), 404);
    expect_error(f, "POST", "/users", user_body("new.hire@example.com", "3001"), NULL, 400, BAD,
                 "Another object with the same value for property userPrincipalName already "
                 "exists.");   /* the UPN is taken all the same */
    usleep(600 * 1000);
    expect(f, "PATCH", path, json_pack("{s:s}", "department", "IT"), 204);
    free(id);
}

/* The id of a seeded object found in the snapshot (kind "users" or "groups"). */
static char *seeded_id(fixture *f, const char *kind, const char *key, const char *value)
{
    json_t *snap = hrs_sim_snapshot(f->sim), *o;
    char *id = NULL;
    size_t i;
    json_array_foreach(json_object_get(snap, kind), i, o)
        if (strcmp(str(o, key), value) == 0) id = strdup(str(o, "id"));
    json_decref(snap);
    assert_non_null(id);
    return id;
}

static json_t *ref_body(const char *kind, const char *id)
{
    char ref[256];
    snprintf(ref, sizeof ref, "https://graph.microsoft.com/v1.0/%s/%s", kind, id);
    return json_pack("{s:s}", "@odata.id", ref);
}

static void test_members(void **state)
{
    fixture *f = *state;
    char *uid = create(f, user_body("tom.weber@example.com", "4001")), path[512];
    char *esc = curl_easy_escape(NULL, "displayName eq 'Sales'", 0);
    snprintf(path, sizeof path, "/groups?$filter=%s", esc);
    curl_free(esc);
    resp r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 1);
    char *gid = strdup(sat(r.body, "value/0/id"));
    done(&r);
    snprintf(path, sizeof path, "/groups/%s/members/$ref", gid);
    expect(f, "POST", path, ref_body("directoryObjects", uid), 204);
    expect_error(f, "POST", path, ref_body("directoryObjects", uid), NULL, 400, BAD, "One or more "
                 "added object references already exist for the following modified properties: "
                 "'members'.");

    /* Two members (seeded katrin, then tom), one per page. */
    snprintf(path, sizeof path, "/groups/%s/members?$top=1&$select=id,userPrincipalName", gid);
    r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 1);
    assert_string_equal(sat(r.body, "value/0/@odata.type"), "#microsoft.graph.user");
    assert_string_equal(sat(r.body, "value/0/userPrincipalName"), "katrin.vogel@example.com");
    snprintf(path, sizeof path, "%s", str(r.body, "@odata.nextLink"));
    done(&r);
    r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 1);
    assert_string_equal(sat(r.body, "value/0/id"), uid);
    assert_null(json_object_get(r.body, "@odata.nextLink"));
    done(&r);

    /* members@odata.bind is all or nothing: one present member spoils the lot; 21 are too many. */
    char *andreas = seeded_id(f, "users", "userPrincipalName", "andreas.lindner@example.com");
    json_t *a = ref_body("directoryObjects", andreas), *t = ref_body("directoryObjects", uid);
    snprintf(path, sizeof path, "/groups/%s", gid);
    expect_error(f, "PATCH", path, json_pack("{s:[O,O]}", "members@odata.bind",
                                             at(a, "@odata.id"), at(t, "@odata.id")),
                 NULL, 400, BAD, NULL);
    json_t *snap = hrs_sim_snapshot(f->sim);
    assert_int_equal(json_array_size(at(snap, "groups/0/members")), 2);
    json_decref(snap);
    json_t *urls = json_array();
    for (int k = 0; k < 21; k++) json_array_append(urls, at(a, "@odata.id"));
    expect(f, "PATCH", path, json_pack("{s:o}", "members@odata.bind", urls), 400);
    expect(f, "PATCH", path, json_pack("{s:[O]}", "members@odata.bind", at(a, "@odata.id")), 204);
    json_decref(a);
    json_decref(t);

    snprintf(path, sizeof path, "/groups/%s/members/%s/$ref", gid, uid);
    expect(f, "DELETE", path, NULL, 204);
    expect_error(f, "DELETE", path, NULL, NULL, 404, "Request_ResourceNotFound", NULL);
    free(andreas);
    free(gid);
    free(uid);
}

static void test_manager(void **state)
{
    fixture *f = *state;
    char *boss = create(f, user_body("lena.boss@example.com", "5001"));
    expect(f, "PUT", "/users/andreas.lindner@example.com/manager/$ref", ref_body("users", boss),
           204);
    resp r = get(f, "/users/andreas.lindner@example.com/manager", NULL);
    assert_string_equal(str(r.body, "id"), boss);
    done(&r);
    expect(f, "DELETE", "/users/andreas.lindner@example.com/manager/$ref", NULL, 204);
    expect_error(f, "GET", "/users/andreas.lindner@example.com/manager", NULL, NULL, 404,
                 "Request_ResourceNotFound", "Resource 'manager' does not exist or one of its "
                 "queried reference-property objects are not present.");
    free(boss);
}

static void test_faults_and_admin(void **state)
{
    fixture *f = *state;
    resp r = call_raw(f, "POST", "/_sim/fault", "{\"name\":\"fail_5xx\",\"value\":2}",
                      "application/json", NULL);
    assert_int_equal(r.status, 204);
    done(&r);
    for (int i = 0; i < 2; i++) {
        r = call(f, "GET", "/users", NULL, NULL);
        assert_int_equal(r.status, 503);
        assert_string_equal(r.retry_after, "1");
        done(&r);
    }
    expect(f, "GET", "/users", NULL, 200);
    assert_int_equal(hrs_sim_set_fault(f->sim, "slow_ms", 200), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    expect(f, "GET", "/users", NULL, 200);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 200);
    r = call_raw(f, "POST", "/_sim/fault", "{\"name\":\"nope\",\"value\":1}", "application/json",
                 NULL);
    assert_int_equal(r.status, 400);
    done(&r);
    r = call_raw(f, "GET", "/_sim/stats", NULL, NULL, NULL);
    assert_int_equal(r.status, 200);
    assert_int_equal(json_integer_value(json_object_get(r.body, "tokens")), 1);
    assert_int_equal(json_integer_value(json_object_get(r.body, "requests")), 5);
    done(&r);
    r = call_raw(f, "GET", "/_sim/state", NULL, NULL, NULL);
    assert_int_equal(json_array_size(json_object_get(r.body, "users")), 2);
    assert_int_equal(json_array_size(json_object_get(r.body, "groups")), 1);
    done(&r);
}

static void test_persistence(void **state)
{
    fixture *f = *state;
    char *gid = seeded_id(f, "groups", "displayName", "Sales");
    char *uid = create(f, user_body("paul.persist@example.com", "6001")), path[256];
    snprintf(path, sizeof path, "/groups/%s/members/$ref", gid);
    expect(f, "POST", path, ref_body("directoryObjects", uid), 204);
    expect(f, "PUT", "/users/katrin.vogel@example.com/manager/$ref", ref_body("users", uid), 204);

    hrs_sim_stop(f->sim);
    start(f, NULL);   /* the state file exists now: the seed is not needed */
    snprintf(path, sizeof path, "/users/%s?$select=employeeId", uid);
    resp r = get(f, path, NULL);
    assert_string_equal(str(r.body, "employeeId"), "6001");
    done(&r);
    r = get(f, "/users/katrin.vogel@example.com/manager", NULL);
    assert_string_equal(str(r.body, "id"), uid);
    done(&r);
    snprintf(path, sizeof path, "/groups/%s/members?$select=id", gid);
    r = get(f, path, NULL);
    assert_int_equal(value_count(&r), 2);
    done(&r);
    free(gid);
    free(uid);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_batch, setup, teardown),
        cmocka_unit_test_setup_teardown(test_throttle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_replication_delay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_members, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manager, setup, teardown),
        cmocka_unit_test_setup_teardown(test_faults_and_admin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_persistence, setup, teardown),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
