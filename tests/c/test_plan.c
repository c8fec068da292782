/* test_plan.c: linking and planning (engine/plan.c) on hand-made inputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "hrsync/plan.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

typedef struct {
    json_t *people, *decisions, *users, *groups, *links, *lifecycle, *sq, *plan;
} fixture;

static void build(fixture *f)
{
    hrs_plan_input in = { "2026-12-01", f->people, f->decisions, f->users, f->groups, f->links, f->lifecycle, f->sq };
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_plan_build(&in, &f->plan, &err), 0);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    f->people = J("[{\"id\":\"1\",\"first_name\":\"Ada\",\"last_name\":\"Lovelace\",\"email\":\"ada@example.com\"},"
                  " {\"id\":\"2\",\"first_name\":\"Alan\",\"last_name\":\"Turing\",\"email\":\"alan@example.com\"},"
                  " {\"id\":\"3\",\"first_name\":\"Grace\",\"last_name\":\"Hopper\",\"email\":\"grace@example.com\"}]");
    f->decisions = J("{\"1\":{\"include\":true,\"attributes\":{\"givenName\":\"Ada\",\"employeeId\":\"1\",\"department\":\"R&D\"},"
                     "      \"upns\":[\"ada@example.com\",\"ada2@example.com\"],\"groups\":[\"SG-RD\"]},"
                     " \"2\":{\"include\":true,\"attributes\":{\"givenName\":\"Alan\",\"employeeId\":\"2\"},"
                     "      \"upns\":[\"alan@example.com\"],\"groups\":[]},"
                     " \"3\":{\"include\":false,\"reason\":\"inactive\"}}");
    f->users = J("[{\"id\":\"u-alan\",\"userPrincipalName\":\"Alan@example.com\",\"accountEnabled\":true,\"givenName\":\"Al\"},"
                 " {\"id\":\"u-old\",\"userPrincipalName\":\"ada@example.com\",\"accountEnabled\":false}]");
    f->groups = J("{\"SG-RD\":{\"id\":\"g1\",\"members\":{}}}");
    f->links = J("{}");
    f->lifecycle = J("{}");
    f->sq = J("[]");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    json_decref(f->people); json_decref(f->decisions); json_decref(f->users); json_decref(f->groups);
    json_decref(f->links); json_decref(f->lifecycle); json_decref(f->sq); json_decref(f->plan);
    free(f);
    return 0;
}

static const json_t *change_of(const json_t *plan, const char *pid)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c)
        if (strcmp(json_string_value(json_object_get(c, "person")), pid) == 0) return c;
    return NULL;
}

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void creates_with_first_free_upn(void **state)
{
    fixture *f = *state;
    build(f);
    const json_t *ada = change_of(f->plan, "1");
    assert_non_null(ada);
    assert_string_equal(sv(ada, "action"), "create");
    /* ada@ is held by a disabled account: it is neither linked nor reused. */
    assert_string_equal(sv(ada, "upn"), "ada2@example.com");
    assert_string_equal(sv(json_array_get(json_object_get(ada, "groups_add"), 0), "group"), "SG-RD");
    assert_true(json_is_true(json_object_get(ada, "account_enabled")));
}

static void links_by_email_case_insensitively_and_diffs_only_changes(void **state)
{
    fixture *f = *state;
    build(f);
    const json_t *alan = change_of(f->plan, "2");
    assert_non_null(alan);
    assert_string_equal(sv(alan, "action"), "update");
    assert_string_equal(sv(alan, "linked_by"), "email = userPrincipalName");
    const json_t *ch = json_object_get(alan, "changes");
    assert_int_equal(json_array_size(ch), 2); /* givenName Al -> Alan, employeeId null -> 2 */
    const json_t *summary = json_object_get(f->plan, "summary");
    assert_int_equal(json_integer_value(json_object_get(summary, "create")), 1);
    assert_int_equal(json_integer_value(json_object_get(summary, "update")), 1);
    assert_int_equal(json_integer_value(json_object_get(summary, "out_of_scope")), 1);
    assert_null(change_of(f->plan, "3"));
}

static void stored_link_and_no_change_means_unchanged(void **state)
{
    fixture *f = *state;
    json_decref(f->links);
    f->links = J("{\"2\":{\"object_id\":\"u-alan\",\"upn\":\"alan@example.com\"}}");
    json_object_set_new(json_array_get(f->users, 0), "givenName", json_string("Alan"));
    json_object_set_new(json_array_get(f->users, 0), "employeeId", json_string("2"));
    build(f);
    assert_null(change_of(f->plan, "2"));
    assert_int_equal(json_integer_value(json_object_get(json_object_get(f->plan, "summary"), "unchanged")), 1);
}

static void two_creates_do_not_share_a_upn(void **state)
{
    fixture *f = *state;
    json_object_set_new(json_object_get(f->decisions, "2"), "upns", J("[\"ada2@example.com\",\"ada3@example.com\"]"));
    json_array_remove(f->users, 0); /* Alan has no account: a create */
    build(f);
    assert_string_equal(sv(change_of(f->plan, "1"), "upn"), "ada2@example.com");
    assert_string_equal(sv(change_of(f->plan, "2"), "upn"), "ada3@example.com");
}

static void all_candidates_taken_quarantines(void **state)
{
    fixture *f = *state;
    json_object_set_new(json_object_get(f->decisions, "1"), "upns", J("[\"ada@example.com\"]"));
    build(f);
    assert_null(change_of(f->plan, "1"));
    const json_t *q = json_object_get(f->plan, "quarantine");
    assert_int_equal(json_array_size(q), 1);
    assert_non_null(strstr(sv(json_array_get(q, 0), "reason"), "UPN candidate"));
}

static void missing_group_quarantines_with_its_name(void **state)
{
    fixture *f = *state;
    json_object_set_new(f->groups, "SG-RD", json_null());
    build(f);
    assert_null(change_of(f->plan, "1"));
    assert_non_null(strstr(sv(json_array_get(json_object_get(f->plan, "quarantine"), 0), "reason"), "'SG-RD' does not exist"));
}

static void one_account_two_people_stops_both(void **state)
{
    fixture *f = *state;
    /* Ada's employeeId matches Alan's account too. */
    json_object_set_new(json_array_get(f->users, 0), "employeeId", json_string("1"));
    build(f);
    assert_null(change_of(f->plan, "1"));
    assert_null(change_of(f->plan, "2"));
    assert_int_equal(json_array_size(json_object_get(f->plan, "quarantine")), 2);
}

static void policy_error_quarantines_the_person(void **state)
{
    fixture *f = *state;
    json_object_set_new(f->decisions, "2", J("{\"error\":\"policy.lua:7: attempt to index a nil value\"}"));
    build(f);
    assert_null(change_of(f->plan, "2"));
    assert_non_null(strstr(sv(json_array_get(json_object_get(f->plan, "quarantine"), 0), "reason"), "policy.lua:7"));
    assert_non_null(change_of(f->plan, "1"));
}

static void group_removal_for_managed_groups(void **state)
{
    fixture *f = *state;
    json_decref(f->groups);
    f->groups = J("{\"SG-RD\":{\"id\":\"g1\",\"members\":{}}, \"SG-Old\":{\"id\":\"g2\",\"members\":{\"u-alan\":true}}}");
    json_object_set_new(json_object_get(f->decisions, "2"), "groups", J("[\"SG-RD\"]"));
    build(f);
    const json_t *alan = change_of(f->plan, "2");
    assert_string_equal(sv(json_array_get(json_object_get(alan, "groups_add"), 0), "group"), "SG-RD");
    assert_string_equal(sv(json_array_get(json_object_get(alan, "groups_remove"), 0), "group"), "SG-Old");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(creates_with_first_free_upn, setup, teardown),
        cmocka_unit_test_setup_teardown(links_by_email_case_insensitively_and_diffs_only_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(stored_link_and_no_change_means_unchanged, setup, teardown),
        cmocka_unit_test_setup_teardown(two_creates_do_not_share_a_upn, setup, teardown),
        cmocka_unit_test_setup_teardown(all_candidates_taken_quarantines, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_group_quarantines_with_its_name, setup, teardown),
        cmocka_unit_test_setup_teardown(one_account_two_people_stops_both, setup, teardown),
        cmocka_unit_test_setup_teardown(policy_error_quarantines_the_person, setup, teardown),
        cmocka_unit_test_setup_teardown(group_removal_for_managed_groups, setup, teardown),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
