/* test_policy_diff.c: what a policy edit changes, counted and put into words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrsync/policy_diff.h"

static json_t *in(const char *dept, const char *upn, json_t *groups)
{
    return json_pack("{s:b, s:s, s:{s:s}, s:[s], s:o}", "include", 1, "reason", "", "attributes", "department", dept, "upns",
                     upn, "groups", groups);
}

static void counts_moves_scope_attributes_renames(void **state)
{
    (void)state;
    json_t *people = json_pack("[{s:s}, {s:s}, {s:s}, {s:s}, {s:s}, {s:s}]", "id", "6", "id", "5", "id", "4", "id", "3",
                               "id", "2", "id", "1");
    json_t *old = json_pack("{s:o, s:o, s:o, s:o, s:{s:b}, s:{s:s}}",
                            "1", in("Sales", "a@example.com", json_pack("[s]", "SG-Sales")),
                            "2", in("Sales", "b@example.com", json_pack("[s]", "SG-Sales")),
                            "3", in("Finance", "c@example.com", json_pack("[s]", "SG-Finance")),
                            "4", in("Finance", "d@example.com", json_array()),
                            "5", "include", 0,
                            "6", "error", "boom");
    json_t *new = json_pack("{s:o, s:o, s:o, s:{s:b}, s:o, s:{s:s}}",
                            "1", in("Sales", "a@example.com", json_pack("[s, s]", "SG-Sales", "SG-Finance")),
                            "2", in("Finance", "b@example.com", json_pack("[s]", "SG-Finance")),
                            "3", in("Finance", "cc@example.com", json_pack("[s]", "SG-Finance")),
                            "4", "include", 0,
                            "5", in("Sales", "e@example.com", json_pack("[s]", "SG-Finance")),
                            "6", "error", "boom");
    json_t *d = hrs_policy_diff(people, old, new);
    char *text = json_dumps(d, JSON_SORT_KEYS | JSON_COMPACT);
    assert_string_equal(text,
        "{\"attributes\":{\"department\":[{\"new\":\"Finance\",\"old\":\"Sales\",\"person\":\"2\"}]},\"failing\":[],\"fixed\":[],"
        "\"groups_add\":{\"SG-Finance\":[\"1\",\"2\",\"5\"]},\"groups_remove\":{\"SG-Sales\":[\"2\"]},\"persons\":6,"
        "\"scope_in\":[\"5\"],\"scope_out\":[\"4\"],\"upn\":[{\"new\":\"cc@example.com\",\"old\":\"c@example.com\",\"person\":\"3\"}]}");
    free(text);
    char s[400];
    hrs_policy_diff_sentence(d, s, sizeof s);
    assert_string_equal(s, "this edit would move 3 people to SG-Finance, take 1 person out of SG-Sales, bring 1 person into scope, "
                           "take 1 person out of scope and make 2 more changes (below)");
    json_decref(d);
    json_decref(old);
    json_decref(new);
    json_decref(people);
}

static void says_when_nothing_changes_and_counts_failures(void **state)
{
    (void)state;
    json_t *people = json_pack("[{s:s}, {s:s}]", "id", "1", "id", "2");
    json_t *old = json_pack("{s:o, s:{s:s}}", "1", in("Sales", "a@example.com", json_array()), "2", "error", "x");
    json_t *d = hrs_policy_diff(people, old, old);
    char s[400];
    hrs_policy_diff_sentence(d, s, sizeof s);
    assert_string_equal(s, "this edit changes no decision for the 2 people of the last cycle");
    json_decref(d);
    json_t *new = json_pack("{s:{s:s}, s:o}", "1", "error", "y", "2", in("Sales", "b@example.com", json_array()));
    d = hrs_policy_diff(people, old, new);
    hrs_policy_diff_sentence(d, s, sizeof s);
    assert_string_equal(s, "this edit would quarantine 1 person the policy now fails for and decide 1 person the old policy failed for");
    json_decref(d);
    json_decref(old);
    json_decref(new);
    json_decref(people);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(counts_moves_scope_attributes_renames),
        cmocka_unit_test(says_when_nothing_changes_and_counts_failures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
