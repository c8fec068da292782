/* test_person.c: the person set every source hands its records to (engine/source/person.c):
 * what a person shares with the record it was made from and what it copies, and the checks
 * across many records (duplicate ids, missing ids) in source order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrsync/person.h"

static json_t *J(const char *text)
{
    json_error_t e;
    json_t *j = json_loads(text, 0, &e);
    if (!j) fail_msg("bad test JSON: %s", e.text);
    return j;
}

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void shared_add_keeps_raw_and_copy_add_copies_it(void **state)
{
    (void)state;
    json_t *rec = J("{\"id\":\"7\",\"first_name\":\"Ada\",\"last_name\":\" Lovelace \",\"status\":\"Active\","
                    "\"hire_date\":\"2024-01-02\",\"termination_date\":\"02.01.2025\",\"team\":{\"name\":\"R&D\"}}");
    hrs_person_set set;
    hrs_source_result r;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_person_where where = { "index", 0 };
    json_t *shared, *copied;
    assert_int_equal(hrs_person_set_init(&set, &err), 0);
    assert_int_equal(hrs_person_set_add_shared(&set, where, rec, rec, &err), 0);
    assert_int_equal(hrs_person_set_finish(&set, &r, &err), 0);
    shared = json_incref(json_array_get(r.people, 0));
    hrs_source_result_clear(&r);
    assert_int_equal(hrs_person_set_init(&set, &err), 0);
    assert_int_equal(hrs_person_set_add(&set, where, rec, rec, &err), 0);
    assert_int_equal(hrs_person_set_finish(&set, &r, &err), 0);
    copied = json_incref(json_array_get(r.people, 0));
    hrs_source_result_clear(&r);

    /* Both are the same person. */
    assert_true(json_equal(shared, copied));
    assert_string_equal(sv(shared, "last_name"), "Lovelace");
    assert_string_equal(sv(shared, "status"), "active");
    assert_string_equal(sv(shared, "termination_date"), "2025-01-02");
    assert_true(json_equal(json_object_get(shared, "raw"), rec));
    /* The shared one holds the record itself and its nested values; the other copies them. */
    assert_ptr_equal(json_object_get(shared, "raw"), rec);
    assert_ptr_equal(json_object_get(shared, "team"), json_object_get(rec, "team"));
    assert_ptr_not_equal(json_object_get(copied, "raw"), rec);
    assert_ptr_not_equal(json_object_get(copied, "team"), json_object_get(rec, "team"));
    /* Strings that need no change are never copied; those that do are. */
    assert_ptr_equal(json_object_get(copied, "first_name"), json_object_get(rec, "first_name"));
    assert_ptr_equal(json_object_get(copied, "hire_date"), json_object_get(rec, "hire_date"));
    assert_ptr_not_equal(json_object_get(copied, "last_name"), json_object_get(rec, "last_name"));
    assert_ptr_not_equal(json_object_get(copied, "status"), json_object_get(rec, "status"));
    assert_string_equal(sv(rec, "status"), "Active");   /* the record is left as it was */
    json_decref(shared);
    json_decref(copied);
    json_decref(rec);
}

static void checks_across_many_records_keep_source_order(void **state)
{
    (void)state;
    hrs_person_set set;
    hrs_source_result r;
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_person_set_init(&set, &err), 0);
    /* 5000 records: id "dup" on every 400th line (13 of them), one without an id, one that
     * cannot be read, the others unique. */
    for (long i = 0; i < 5000; i++) {
        hrs_person_where where = { "line", i + 2 };
        char id[32];
        snprintf(id, sizeof id, i % 400 == 0 ? "dup" : "%ld", i);
        json_t *fields = i == 17 ? json_object() : json_pack("{s:s, s:s}", "id", id, "last_name", "Doe");
        int rc = i == 18 ? hrs_person_set_reject(&set, where, "18", "field 3 is not valid UTF-8", &err)
                         : hrs_person_set_add(&set, where, fields, NULL, &err);
        assert_int_equal(rc, 0);
        json_decref(fields);
    }
    assert_int_equal(hrs_person_set_finish(&set, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 5000 - 13 - 2);
    assert_int_equal(json_array_size(r.quarantine), 13 + 2);
    assert_string_equal(sv(json_array_get(r.people, 0), "id"), "1");
    assert_string_equal(sv(json_array_get(r.people, 4984), "id"), "4999");
    assert_int_equal(json_object_size(json_object_get(json_array_get(r.people, 0), "raw")), 0);   /* no raw given */

    const json_t *q0 = json_array_get(r.quarantine, 0), *q1 = json_array_get(r.quarantine, 1),
                 *q2 = json_array_get(r.quarantine, 2), *last = json_array_get(r.quarantine, 14);
    assert_int_equal(json_integer_value(json_object_get(q0, "line")), 2);
    assert_string_equal(sv(q0, "id"), "dup");
    assert_string_equal(sv(q0, "reason"), "duplicate id \"dup\" (line 2, line 402, line 802, line 1202, line 1602, "
                                          "line 2002, line 2402, line 2802, line 3202, line 3602 and 3 more)");
    assert_int_equal(json_integer_value(json_object_get(q1, "line")), 19);
    assert_null(json_object_get(q1, "id"));
    assert_string_equal(sv(q1, "reason"), "the record has no id");
    assert_string_equal(sv(q2, "id"), "18");
    assert_string_equal(sv(q2, "reason"), "field 3 is not valid UTF-8");
    assert_int_equal(json_integer_value(json_object_get(last, "line")), 4802);
    assert_string_equal(sv(last, "reason"), sv(q0, "reason"));
    hrs_source_result_clear(&r);

    /* An id that is not UTF-8 cannot name a record in the quarantine. */
    assert_int_equal(hrs_person_set_init(&set, &err), 0);
    hrs_person_where where = { NULL, 0 };
    assert_int_equal(hrs_person_set_reject(&set, where, "\xff", "unreadable", &err), -1);
    hrs_person_set_free(&set);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(shared_add_keeps_raw_and_copy_add_copies_it),
        cmocka_unit_test(checks_across_many_records_keep_source_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
