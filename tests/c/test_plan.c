/* test_plan.c: linking and planning (engine/plan.c, plan_lifecycle.c) on hand-made inputs:
 * joiners, movers, leavers, rehires, drift, renames, managers and bad HR input. */
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
    json_t *people, *decisions, *users, *groups, *links, *lifecycle, *sq, *plan, *applied, *reserved;
    int partial;
} fixture;

static void build(fixture *f)
{
    hrs_plan_input in = { "2026-12-01", f->people, f->decisions, f->users, f->groups, f->links, f->lifecycle, f->sq,
                          f->applied, f->reserved, f->partial };
    hrs_err err;
    hrs_err_clear(&err);
    json_decref(f->plan);
    f->plan = NULL;
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
    json_decref(f->applied); json_decref(f->reserved);
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


static long summary_of(const fixture *f, const char *k)
{
    return (long)json_integer_value(json_object_get(json_object_get(f->plan, "summary"), k));
}

static int has_note(const fixture *f, const char *needle)
{
    size_t i;
    json_t *n;
    json_array_foreach(json_object_get(f->plan, "notes"), i, n)
        if (strstr(json_string_value(n), needle)) return 1;
    return 0;
}

static const char *quarantine_reason(const fixture *f, const char *pid)
{
    size_t i;
    json_t *q;
    json_array_foreach(json_object_get(f->plan, "quarantine"), i, q)
        if (sv(q, "person") && strcmp(sv(q, "person"), pid) == 0) return sv(q, "reason");
    return NULL;
}

/* Grace (3) left: her linked account is enabled and in SG-RD. */
static void leaver_fixture(fixture *f)
{
    json_object_set_new(json_array_get(f->people, 2), "termination_date", json_string("2026-11-30"));
    json_object_set_new(json_array_get(f->people, 2), "hire_date", json_string("2020-01-01"));
    json_array_append_new(f->users, J("{\"id\":\"u-grace\",\"userPrincipalName\":\"grace@example.com\",\"accountEnabled\":true}"));
    json_object_set_new(f->links, "3", J("{\"object_id\":\"u-grace\",\"upn\":\"grace@example.com\"}"));
    json_object_set_new(json_object_get(json_object_get(f->groups, "SG-RD"), "members"), "u-grace", json_true());
}

static void leaver_is_disabled_leaves_groups_and_loses_sessions(void **state)
{
    fixture *f = *state;
    leaver_fixture(f);
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"leaver\":{\"set_leave_date\":true}}");
    json_object_set_new(json_object_get(f->decisions, "3"), "leave_datetime", json_string("2026-11-30T22:59:59Z"));
    build(f);
    const json_t *g = change_of(f->plan, "3");
    assert_non_null(g);
    assert_string_equal(sv(g, "action"), "leaver");
    assert_string_equal(sv(json_object_get(g, "disable"), "since"), "2026-11-30");
    assert_string_equal(sv(json_object_get(g, "leave_date"), "new"), "2026-11-30T22:59:59Z");
    assert_string_equal(sv(json_array_get(json_object_get(g, "groups_remove"), 0), "group"), "SG-RD");
    assert_true(json_is_true(json_object_get(g, "revoke")));
    assert_int_equal(summary_of(f, "disable"), 1);
    assert_int_equal(summary_of(f, "leave_date"), 1);
    assert_int_equal(summary_of(f, "revoke"), 1);
    assert_int_equal(summary_of(f, "group_remove"), 1);
    /* create Ada + her group + link/update Alan + the leaver's four */
    assert_int_equal(hrs_plan_count(f->plan), 2 + 2 + 4);
}

static void leaver_settings_are_followed(void **state)
{
    fixture *f = *state;
    leaver_fixture(f);
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"leaver\":{\"disable\":true,\"remove_groups\":false,\"revoke_sessions\":false}}");
    build(f);
    const json_t *g = change_of(f->plan, "3");
    assert_non_null(json_object_get(g, "disable"));
    assert_null(json_object_get(g, "groups_remove"));
    assert_null(json_object_get(g, "revoke"));
    assert_null(json_object_get(g, "leave_date")); /* set_leave_date is off by default */
}

static void processed_leaver_is_left_alone(void **state)
{
    fixture *f = *state;
    leaver_fixture(f);
    json_object_set_new(json_array_get(f->users, 2), "accountEnabled", json_false());
    json_object_del(json_object_get(json_object_get(f->groups, "SG-RD"), "members"), "u-grace");
    f->applied = J("{\"3\":{\"accountEnabled\":false,\"hrsync:left\":\"2026-11-30\"}}");
    build(f);
    assert_null(change_of(f->plan, "3"));
}

static void leaver_whose_revoke_failed_gets_it_again(void **state)
{
    fixture *f = *state;
    leaver_fixture(f);
    json_object_set_new(json_array_get(f->users, 2), "accountEnabled", json_false());
    json_object_del(json_object_get(json_object_get(f->groups, "SG-RD"), "members"), "u-grace");
    f->applied = J("{\"3\":{\"accountEnabled\":false}}");
    build(f);
    const json_t *g = change_of(f->plan, "3");
    assert_null(json_object_get(g, "disable"));
    assert_true(json_is_true(json_object_get(g, "revoke")));
}

static void re_enabled_leaver_is_drift(void **state)
{
    fixture *f = *state;
    leaver_fixture(f);
    f->applied = J("{\"3\":{\"accountEnabled\":false,\"hrsync:left\":\"2026-11-30\"}}");
    build(f);
    const json_t *g = change_of(f->plan, "3");
    assert_string_equal(sv(json_array_get(json_object_get(g, "drift"), 0), "attribute"), "accountEnabled");
    assert_non_null(json_object_get(g, "disable"));
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"drift\":\"keep\"}");
    build(f);
    g = change_of(f->plan, "3");
    assert_null(json_object_get(g, "disable"));
    assert_string_equal(sv(json_array_get(json_object_get(g, "drift"), 0), "action"), "keep");
}

static void gone_from_source_only_when_the_source_was_read_whole(void **state)
{
    fixture *f = *state;
    json_array_append_new(f->users, J("{\"id\":\"u-old\",\"userPrincipalName\":\"old@example.com\",\"displayName\":\"Old Timer\",\"accountEnabled\":true}"));
    json_object_set_new(f->links, "9", J("{\"object_id\":\"u-old\",\"upn\":\"old@example.com\"}"));
    build(f);
    const json_t *g = change_of(f->plan, "9");
    assert_non_null(g);
    assert_non_null(json_object_get(g, "disable"));
    assert_string_equal(sv(json_object_get(g, "disable"), "reason"), "not in the source any more");
    /* A record that could not be read at all (no id) might be this person: leave them alone. */
    json_array_append_new(f->sq, J("{\"line\":7,\"reason\":\"unterminated quote\"}"));
    build(f);
    assert_null(change_of(f->plan, "9"));
    assert_true(has_note(f, "Old Timer (9, old@example.com) is not in the source"));
}

static void incremental_read_makes_nobody_a_leaver(void **state)
{
    fixture *f = *state;
    json_array_append_new(f->users, J("{\"id\":\"u-old\",\"userPrincipalName\":\"old@example.com\",\"displayName\":\"Old Timer\",\"accountEnabled\":true}"));
    json_object_set_new(f->links, "9", J("{\"object_id\":\"u-old\",\"upn\":\"old@example.com\"}"));
    /* An updated_since read returns only the people who changed: the others are not gone. */
    f->partial = 1;
    build(f);
    assert_null(change_of(f->plan, "9"));
    f->partial = 0;
    build(f);
    assert_non_null(json_object_get(change_of(f->plan, "9"), "disable"));
}

static void prehire_starts_disabled_and_is_enabled_on_the_hire_date(void **state)
{
    fixture *f = *state;
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"create_disabled\":true}");
    json_object_set_new(json_array_get(f->people, 0), "hire_date", json_string("2026-12-07"));
    build(f);
    assert_false(json_is_true(json_object_get(change_of(f->plan, "1"), "account_enabled")));
    /* The account exists, disabled, as hrsync created it. */
    json_array_append_new(f->users, J("{\"id\":\"u-ada\",\"userPrincipalName\":\"ada2@example.com\",\"accountEnabled\":false,"
                                      "\"givenName\":\"Ada\",\"employeeId\":\"1\",\"department\":\"R&D\"}"));
    json_object_set_new(f->links, "1", J("{\"object_id\":\"u-ada\",\"upn\":\"ada2@example.com\"}"));
    json_object_set_new(json_object_get(json_object_get(f->groups, "SG-RD"), "members"), "u-ada", json_true());
    f->applied = J("{\"1\":{\"accountEnabled\":false}}");
    build(f);
    assert_null(change_of(f->plan, "1"));          /* the day before: nothing */
    json_object_set_new(json_object_get(f->decisions, "1"), "today", json_string("2026-12-07"));
    build(f);
    const json_t *a = change_of(f->plan, "1");
    assert_non_null(a);
    assert_string_equal(sv(json_object_get(a, "enable"), "reason"), "hire date 2026-12-07 reached");
    assert_int_equal(summary_of(f, "enable"), 1);
}

static void rehire_relinks_or_creates_anew(void **state)
{
    fixture *f = *state;
    json_array_append_new(f->users, J("{\"id\":\"u-grace\",\"userPrincipalName\":\"grace@example.com\",\"accountEnabled\":false,"
                                      "\"employeeLeaveDateTime\":\"2025-01-31T23:59:59Z\"}"));
    json_object_set_new(f->links, "3", J("{\"object_id\":\"u-grace\",\"upn\":\"grace@example.com\"}"));
    json_object_set_new(f->decisions, "3", J("{\"include\":true,\"attributes\":{\"givenName\":\"Grace\"},"
                                            "\"upns\":[\"grace@example.com\",\"grace2@example.com\"],\"groups\":[]}"));
    f->applied = J("{\"3\":{\"accountEnabled\":false,\"hrsync:left\":\"2025-01-31\",\"employeeLeaveDateTime\":\"2025-01-31T23:59:59Z\"}}");
    build(f);
    const json_t *g = change_of(f->plan, "3");
    assert_string_equal(sv(g, "lifecycle"), "rehire");
    assert_non_null(json_object_get(g, "enable"));
    const json_t *ch = json_array_get(json_object_get(g, "changes"), 0);
    assert_string_equal(sv(ch, "attribute"), "employeeLeaveDateTime");
    assert_true(json_is_null(json_object_get(ch, "new")));
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"rehire\":\"new\"}");
    build(f);
    g = change_of(f->plan, "3");
    assert_string_equal(sv(g, "action"), "create");
    assert_string_equal(sv(g, "upn"), "grace2@example.com");
    assert_string_equal(sv(g, "replaces"), "u-grace");
}

static void manual_edit_is_drift_and_the_policy_decides(void **state)
{
    fixture *f = *state;
    /* Alan: hrsync wrote givenName "Alan"; someone changed it to "Al" in Entra. */
    json_object_set_new(f->links, "2", J("{\"object_id\":\"u-alan\",\"upn\":\"alan@example.com\"}"));
    json_object_set_new(json_array_get(f->users, 0), "employeeId", json_string("2"));
    f->applied = J("{\"2\":{\"givenName\":\"Alan\",\"employeeId\":\"2\"}}");
    build(f);
    const json_t *a = change_of(f->plan, "2");
    const json_t *d = json_array_get(json_object_get(a, "drift"), 0);
    assert_string_equal(sv(d, "attribute"), "givenName");
    assert_string_equal(sv(d, "directory"), "Al");
    assert_string_equal(sv(d, "last_written"), "Alan");
    assert_string_equal(sv(d, "action"), "overwrite");
    assert_string_equal(sv(json_array_get(json_object_get(a, "changes"), 0), "new"), "Alan");
    assert_int_equal(summary_of(f, "drift"), 1);
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"drift\":\"keep\"}");
    build(f);
    a = change_of(f->plan, "2");
    assert_null(json_object_get(a, "changes"));
    assert_string_equal(sv(json_array_get(json_object_get(a, "drift"), 0), "action"), "keep");
    /* An HR change is no drift: HR now says "Alan M." */
    json_object_set_new(json_object_get(json_object_get(f->decisions, "2"), "attributes"), "givenName", json_string("Alan M."));
    build(f);
    a = change_of(f->plan, "2");
    assert_null(json_object_get(a, "drift"));
    assert_string_equal(sv(json_array_get(json_object_get(a, "changes"), 0), "new"), "Alan M.");
}

static void rename_only_when_the_policy_allows_it(void **state)
{
    fixture *f = *state;
    json_object_set_new(json_object_get(f->decisions, "2"), "upns", J("[\"alan.turing@example.com\"]"));
    build(f);
    assert_null(json_object_get(change_of(f->plan, "2"), "rename"));
    assert_true(has_note(f, "keeps the UPN Alan@example.com"));
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"rename_upn\":true}");
    build(f);
    const json_t *r = json_object_get(change_of(f->plan, "2"), "rename");
    assert_string_equal(sv(r, "old"), "Alan@example.com");
    assert_string_equal(sv(r, "new"), "alan.turing@example.com");
    assert_int_equal(summary_of(f, "rename"), 1);
}

static void managers_follow_supervisors_including_new_accounts(void **state)
{
    fixture *f = *state;
    /* Alan reports to Ada, who is created in this plan; Ada reports to Grace, out of scope. */
    json_object_set_new(json_array_get(f->people, 1), "supervisor_id", json_string("1"));
    json_object_set_new(json_array_get(f->people, 0), "supervisor_id", json_string("3"));
    build(f);
    const json_t *m = json_object_get(change_of(f->plan, "2"), "manager");
    assert_non_null(m);
    assert_string_equal(sv(m, "person"), "1");
    assert_true(json_is_null(json_object_get(m, "id")));     /* created in this run */
    assert_null(json_object_get(change_of(f->plan, "1"), "manager"));
    assert_true(has_note(f, "the manager of Ada Lovelace (1), Grace Hopper (3), is not in scope"));
    assert_int_equal(summary_of(f, "manager"), 1);
    /* Already set: nothing to do. */
    json_object_set_new(json_array_get(f->people, 1), "supervisor_id", json_null());
    json_array_append_new(f->users, J("{\"id\":\"u-boss\",\"userPrincipalName\":\"boss@example.com\",\"accountEnabled\":true,\"employeeId\":\"3\"}"));
    json_object_set_new(json_object_get(f->decisions, "3"), "include", json_true());
    json_object_set_new(json_object_get(f->decisions, "3"), "upns", J("[\"boss@example.com\"]"));
    json_object_set_new(json_object_get(f->decisions, "3"), "attributes", J("{\"employeeId\":\"3\"}"));
    build(f);
    assert_string_equal(sv(json_object_get(change_of(f->plan, "1"), "manager"), "id"), "u-boss");
}

static void bad_input_holds_the_people_concerned(void **state)
{
    fixture *f = *state;
    /* Alan and Grace share an email. */
    json_object_set_new(json_array_get(f->people, 2), "email", json_string("ALAN@example.com"));
    json_object_set_new(json_object_get(f->decisions, "3"), "include", json_true());
    build(f);
    assert_null(change_of(f->plan, "2"));
    assert_non_null(strstr(quarantine_reason(f, "2"), "email alan@example.com is given for persons 2, 3"));
    assert_non_null(quarantine_reason(f, "3"));
    assert_non_null(change_of(f->plan, "1"));
    /* Ada: terminated before she was hired. */
    json_object_set_new(json_array_get(f->people, 2), "email", json_null());
    json_object_set_new(json_array_get(f->people, 0), "hire_date", json_string("2026-01-01"));
    json_object_set_new(json_array_get(f->people, 0), "termination_date", json_string("2025-12-31"));
    build(f);
    assert_null(change_of(f->plan, "1"));
    assert_non_null(strstr(quarantine_reason(f, "1"), "termination date 2025-12-31 is before the hire date 2026-01-01"));
}

static void manager_loop_holds_everyone_on_it(void **state)
{
    fixture *f = *state;
    json_object_set_new(json_array_get(f->people, 0), "supervisor_id", json_string("2"));
    json_object_set_new(json_array_get(f->people, 1), "supervisor_id", json_string("1"));
    build(f);
    assert_null(change_of(f->plan, "1"));
    assert_null(change_of(f->plan, "2"));
    assert_non_null(strstr(quarantine_reason(f, "1"), "manager loop in HR (supervisor_id 1 -> 2 -> 1)"));
    assert_non_null(quarantine_reason(f, "2"));
}

static void reserved_upns_are_not_given_twice(void **state)
{
    fixture *f = *state;
    /* ada2@ is held by a pre-hire's stored link (its account not readable yet), ada3@ by an
     * unfinished create. */
    json_object_set_new(json_object_get(f->decisions, "1"), "upns", J("[\"ada2@example.com\",\"ada3@example.com\",\"ada4@example.com\"]"));
    json_object_set_new(f->links, "7", J("{\"object_id\":\"u-gone\",\"upn\":\"ada2@example.com\"}"));
    f->reserved = J("{\"ada3@example.com\":\"8\"}");
    build(f);
    assert_string_equal(sv(change_of(f->plan, "1"), "upn"), "ada4@example.com");
}

static void wrong_lifecycle_setting_is_an_error(void **state)
{
    fixture *f = *state;
    json_decref(f->lifecycle);
    f->lifecycle = J("{\"rehire\":\"recycle\"}");
    hrs_plan_input in = { "2026-12-01", f->people, f->decisions, f->users, f->groups, f->links, f->lifecycle, f->sq, NULL, NULL, 0 };
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_plan_build(&in, &f->plan, &err), -1);
    assert_non_null(strstr(err.msg, "lifecycle.rehire is 'recycle', expected \"relink\" or \"new\""));
}

static void print_names_each_operation(void **state)
{
    fixture *f = *state;
    leaver_fixture(f);
    json_object_set_new(json_array_get(f->people, 2), "termination_date", json_string("2024-06-30"));
    build(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    hrs_plan_print(f->plan, out, 0);
    fclose(out);
    assert_non_null(strstr(buf, "- disable Grace Hopper (3) grace@example.com: leaver since 2024-06-30\n"));
    assert_non_null(strstr(buf, "      - member of SG-RD\n"));
    assert_non_null(strstr(buf, "      revoke sign-in sessions\n"));
    assert_non_null(strstr(buf, "1 to disable"));
    free(buf);
}

/* A company of n people in step with the directory: person i (id "p<i>", account "a<i>")
 * reports to person i / 10, is in group G-A when i is even, G-B when i is a multiple of 3, and
 * in G-C always. */
static void company_in_step(fixture *f, int n)
{
    json_decref(f->people); json_decref(f->decisions); json_decref(f->users); json_decref(f->groups);
    json_decref(f->links);
    f->people = json_array();
    f->decisions = json_object();
    f->users = json_array();
    f->links = json_object();
    json_t *ga = json_object(), *gb = json_object(), *gc = json_object();
    f->groups = json_pack("{s:{s:s, s:o}, s:{s:s, s:o}, s:{s:s, s:o}}", "G-A", "id", "ga", "members", ga, "G-B", "id", "gb",
                          "members", gb, "G-C", "id", "gc", "members", gc);
    for (int i = 0; i < n; i++) {
        char pid[16], sid[16], oid[16], mid[16], upn[64], first[16];
        snprintf(pid, sizeof pid, "p%d", i);
        snprintf(sid, sizeof sid, "p%d", i / 10);
        snprintf(oid, sizeof oid, "a%d", i);
        snprintf(mid, sizeof mid, "a%d", i / 10);
        snprintf(first, sizeof first, "F%d", i);
        snprintf(upn, sizeof upn, "f%d.last@example.com", i);
        json_array_append_new(f->people, json_pack("{s:s, s:s, s:s, s:s, s:s?}", "id", pid, "first_name", first, "last_name", "Last",
                                                   "email", upn, "supervisor_id", i ? sid : NULL));
        json_t *groups = json_array();
        if (i % 2 == 0) { json_array_append_new(groups, json_string("G-A")); json_object_set_new(ga, oid, json_true()); }
        if (i % 3 == 0) { json_array_append_new(groups, json_string("G-B")); json_object_set_new(gb, oid, json_true()); }
        json_array_append_new(groups, json_string("G-C"));
        json_object_set_new(gc, oid, json_true());
        json_object_set_new(f->decisions, pid, json_pack("{s:b, s:{s:s, s:s}, s:[s], s:o}", "include", 1, "attributes", "employeeId",
                                                         pid, "department", "R&D", "upns", upn, "groups", groups));
        json_t *u = json_pack("{s:s, s:s, s:b, s:s, s:s}", "id", oid, "userPrincipalName", upn, "accountEnabled", 1, "employeeId",
                              pid, "department", "R&D");
        if (i) json_object_set_new(u, "manager", json_pack("{s:s}", "id", mid));
        json_array_append_new(f->users, u);
        json_object_set_new(f->links, pid, json_pack("{s:s, s:s}", "object_id", oid, "upn", upn));
    }
}

static void a_company_in_step_lists_only_who_changes(void **state)
{
    fixture *f = *state;
    company_in_step(f, 3000);
    build(f);
    assert_int_equal(json_array_size(json_object_get(f->plan, "changes")), 0);
    assert_int_equal(json_array_size(json_object_get(f->plan, "quarantine")), 0);
    assert_int_equal(summary_of(f, "unchanged"), 3000);
    assert_int_equal(summary_of(f, "in_scope"), 3000);

    /* A mover; a manager changed by hand; someone who leaves two of their three groups. */
    json_object_set_new(json_object_get(json_object_get(f->decisions, "p1234"), "attributes"), "department", json_string("Sales"));
    json_object_set_new(json_object_get(json_array_get(f->users, 2000), "manager"), "id", json_string("a7"));
    json_object_set_new(json_object_get(f->decisions, "p2400"), "groups", J("[\"G-B\"]"));
    build(f);
    assert_int_equal(json_array_size(json_object_get(f->plan, "changes")), 3);
    assert_int_equal(summary_of(f, "unchanged"), 2997);
    assert_int_equal(summary_of(f, "update"), 1);
    assert_string_equal(sv(json_array_get(json_object_get(change_of(f->plan, "p1234"), "changes"), 0), "new"), "Sales");

    /* The manager alone makes an entry, with the fields of any update and in their order. */
    const json_t *m = change_of(f->plan, "p2000");
    static const char *const keys[] = { "person", "name", "action", "lifecycle", "object_id", "upn", "linked_by", "manager" };
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)m, key, v) {
        assert_true(k < sizeof keys / sizeof *keys);
        assert_string_equal(key, keys[k++]);
    }
    assert_int_equal(k, sizeof keys / sizeof *keys);
    assert_string_equal(sv(m, "name"), "F2000 Last");
    assert_string_equal(sv(m, "action"), "update");
    assert_string_equal(sv(m, "lifecycle"), "mover");
    assert_string_equal(sv(m, "linked_by"), "stored link");
    assert_string_equal(sv(json_object_get(m, "manager"), "id"), "a200");
    assert_string_equal(sv(json_object_get(m, "manager"), "old"), "a7");
    assert_string_equal(sv(json_object_get(m, "manager"), "name"), "F200 Last");

    /* Removals follow the order of the groups. */
    const json_t *rem = json_object_get(change_of(f->plan, "p2400"), "groups_remove");
    assert_int_equal(json_array_size(rem), 2);
    assert_string_equal(sv(json_array_get(rem, 0), "group"), "G-A");
    assert_string_equal(sv(json_array_get(rem, 1), "group"), "G-C");
    /* Source order. */
    assert_string_equal(sv(json_array_get(json_object_get(f->plan, "changes"), 0), "person"), "p1234");
    assert_string_equal(sv(json_array_get(json_object_get(f->plan, "changes"), 2), "person"), "p2400");
}

static void people_sharing_an_email_in_any_case_are_held_in_source_order(void **state)
{
    fixture *f = *state;
    company_in_step(f, 50);
    json_object_set_new(json_array_get(f->people, 40), "email", json_string("Shared@Example.COM"));
    json_object_set_new(json_array_get(f->people, 7), "email", json_string("shared@example.com"));
    json_object_set_new(json_array_get(f->people, 23), "email", json_string("SHARED@EXAMPLE.COM"));
    build(f);
    assert_non_null(strstr(quarantine_reason(f, "p40"), "email shared@example.com is given for persons p7, p23, p40 in HR"));
    assert_non_null(quarantine_reason(f, "p7"));
    assert_non_null(quarantine_reason(f, "p23"));
    /* The first of them comes first in the quarantine. */
    assert_string_equal(sv(json_array_get(json_object_get(f->plan, "quarantine"), 0), "person"), "p7");
    assert_null(change_of(f->plan, "p7"));
    assert_int_equal(summary_of(f, "unchanged"), 47);
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
        cmocka_unit_test_setup_teardown(leaver_is_disabled_leaves_groups_and_loses_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(leaver_settings_are_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(processed_leaver_is_left_alone, setup, teardown),
        cmocka_unit_test_setup_teardown(leaver_whose_revoke_failed_gets_it_again, setup, teardown),
        cmocka_unit_test_setup_teardown(re_enabled_leaver_is_drift, setup, teardown),
        cmocka_unit_test_setup_teardown(gone_from_source_only_when_the_source_was_read_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(incremental_read_makes_nobody_a_leaver, setup, teardown),
        cmocka_unit_test_setup_teardown(prehire_starts_disabled_and_is_enabled_on_the_hire_date, setup, teardown),
        cmocka_unit_test_setup_teardown(rehire_relinks_or_creates_anew, setup, teardown),
        cmocka_unit_test_setup_teardown(manual_edit_is_drift_and_the_policy_decides, setup, teardown),
        cmocka_unit_test_setup_teardown(rename_only_when_the_policy_allows_it, setup, teardown),
        cmocka_unit_test_setup_teardown(managers_follow_supervisors_including_new_accounts, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_input_holds_the_people_concerned, setup, teardown),
        cmocka_unit_test_setup_teardown(manager_loop_holds_everyone_on_it, setup, teardown),
        cmocka_unit_test_setup_teardown(reserved_upns_are_not_given_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_lifecycle_setting_is_an_error, setup, teardown),
        cmocka_unit_test_setup_teardown(print_names_each_operation, setup, teardown),
        cmocka_unit_test_setup_teardown(a_company_in_step_lists_only_who_changes, setup, teardown),
        cmocka_unit_test_setup_teardown(people_sharing_an_email_in_any_case_are_held_in_source_order, setup, teardown),
    };
    return cmocka_run_group_tests_name("plan", tests, NULL, NULL);
}
