/* test_snapshot.c: the persons of the last cycle and its policy in the state file: replaced on a
 * full read, added to on an incremental one, unchanged records kept as they were (not even
 * rewritten); and the canonical encoding: equal for equal values whatever their keys' order,
 * different for different ones, read back as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/snapshot.h"

static char path[300];

static int setup(void **state)
{
    (void)state;
    char dir[] = "/tmp/hrsync-test-snapshot-XXXXXX";
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/state.db", dir);
    return 0;
}

static json_t *ids_of(json_t *people)
{
    json_t *ids = json_array();
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) json_array_append(ids, json_object_get(p, "id"));
    return ids;
}

static const char *changed_at(hrs_store *s, const char *id)
{
    static char out[64];
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(hrs_store_db(s), "SELECT changed_at || '/' || hash FROM person_snapshots WHERE person_id = ?1",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static void full_and_incremental_reads(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(path, &err);
    assert_non_null(s);
    json_t *people = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s}, {s:i}]", "id", "2", "department", "Sales", "id", "1",
                               "department", "Finance", "first_name", "no id", "id", 3);
    hrs_snapshot_policy pol = { "/etc/hrsync/policy.lua", "sha256:abc", "return {}\n", 10 };
    assert_int_equal(hrs_snapshot_save(s, people, 1, &pol, "2026-12-01", &err), 0);
    json_t *got, *ids;
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    ids = ids_of(got);
    json_t *want = json_pack("[s, s]", "1", "2");   /* sorted; records without a string id are left out */
    assert_true(json_equal(ids, want));
    assert_true(json_equal(json_array_get(got, 0), json_array_get(people, 1)));
    json_decref(ids);
    json_decref(want);
    json_decref(got);
    char before[64];
    snprintf(before, sizeof before, "%s", changed_at(s, "1"));

    /* Incremental: person 3 comes, 1 changes, 2 is not mentioned and stays. */
    json_t *more = json_pack("[{s:s, s:s}, {s:s, s:s}]", "id", "3", "department", "People", "id", "1", "department", "Legal");
    assert_int_equal(hrs_snapshot_save(s, more, 0, NULL, "2026-12-02", &err), 0);
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    ids = ids_of(got);
    want = json_pack("[s, s, s]", "1", "2", "3");
    assert_true(json_equal(ids, want));
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 0), "department")), "Legal");
    assert_string_not_equal(changed_at(s, "1"), before);
    json_decref(ids);
    json_decref(want);
    json_decref(got);

    /* Full: only those read are kept; the policy was left as recorded by the incremental save. */
    json_t *two = json_pack("[{s:s, s:s}]", "id", "3", "department", "People");
    assert_int_equal(hrs_snapshot_save(s, two, 1, NULL, "2026-12-03", &err), 0);
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    assert_int_equal(json_array_size(got), 1);
    json_decref(got);
    json_t *p = NULL;
    assert_int_equal(hrs_snapshot_policy_get(s, &p, &err), 0);
    assert_string_equal(json_string_value(json_object_get(p, "text")), "return {}\n");
    assert_string_equal(json_string_value(json_object_get(p, "version")), "sha256:abc");
    assert_string_equal(json_string_value(json_object_get(p, "today")), "2026-12-01");
    json_decref(p);
    json_decref(two);
    json_decref(more);
    json_decref(people);
    hrs_store_close(s);
}

static void nothing_recorded_yet(void **state)
{
    (void)state;
    char other[320];
    snprintf(other, sizeof other, "%s-empty", path);
    hrs_err err;
    hrs_store *s = hrs_store_open(other, &err);
    json_t *got = NULL, *p = json_true();
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    assert_int_equal(json_array_size(got), 0);
    assert_int_equal(hrs_snapshot_policy_get(s, &p, &err), 0);
    assert_null(p);
    json_decref(got);
    hrs_store_close(s);
}

static void hash_is_canonical(void **state)
{
    (void)state;
    hrs_err err;
    char a[65], b[65], c[65];
    json_t *x = json_pack("{s:s, s:i}", "a", "1", "b", 2), *y = json_pack("{s:i, s:s}", "b", 2, "a", "1"),
           *z = json_pack("{s:s, s:i}", "a", "1", "b", 3);
    assert_int_equal(hrs_snapshot_hash(x, a, &err), 0);
    assert_int_equal(hrs_snapshot_hash(y, b, &err), 0);
    assert_int_equal(hrs_snapshot_hash(z, c, &err), 0);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 64);
    json_decref(x);
    json_decref(y);
    json_decref(z);
}

/* Values that differ, pairwise: each hashes differently from all the others. */
static void different_values_hash_differently(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "null", "true", "false", "0", "1", "-1", "1.0", "0.5", "\"\"", "\"1\"", "\"null\"", "[]", "{}", "[null]", "[[]]",
        "[\"a\",\"b\"]", "[\"ab\"]", "[\"b\",\"a\"]", "{\"a\":\"bc\"}", "{\"ab\":\"c\"}", "{\"a\":null}",
        "{\"a\":{}}", "{\"a\":[]}", "{\"a\":1,\"b\":2}", "{\"a\":2,\"b\":1}", "{\"a\":{\"b\":1}}", "{\"a\":{\"b\":1},\"c\":1}",
        "{\"a\":{\"b\":1,\"c\":1}}", "\"Zoë\"", "\"Zoe\"", "9223372036854775807", "-9223372036854775808",
    };
    enum { N = sizeof texts / sizeof texts[0] };
    char h[N][65];
    hrs_err err;
    for (size_t i = 0; i < N; i++) {
        json_t *v = json_loads(texts[i], JSON_DECODE_ANY, NULL);
        assert_non_null(v);
        assert_int_equal(hrs_snapshot_hash(v, h[i], &err), 0);
        json_decref(v);
        for (size_t j = 0; j < i; j++)
            if (strcmp(h[i], h[j]) == 0) fail_msg("%s and %s hash the same", texts[i], texts[j]);
    }
    /* -0.0 is 0.0; NULL is null. */
    char zero[65], minus[65], null[65];
    json_t *r0 = json_real(0.0), *r1 = json_real(-0.0);
    assert_int_equal(hrs_snapshot_hash(r0, zero, &err), 0);
    assert_int_equal(hrs_snapshot_hash(r1, minus, &err), 0);
    assert_int_equal(hrs_snapshot_hash(NULL, null, &err), 0);
    assert_string_equal(zero, minus);
    assert_string_equal(null, h[0]);
    json_decref(r0);
    json_decref(r1);
}

static void the_encoding_reads_back_as_written(void **state)
{
    (void)state;
    /* More than 16 keys (sorted another way when hashed), nesting, every type, UTF-8, big numbers. */
    json_t *v = json_loads("{\"z\":1,\"y\":[true,false,null,-9223372036854775808,1e300,-0.25,\"Åkesson-Nyström\"],"
                           "\"k01\":{},\"k02\":[],\"k03\":\"\",\"k04\":{\"deep\":{\"er\":[[[{}]]]}},\"k05\":5,\"k06\":6,"
                           "\"k07\":7,\"k08\":8,\"k09\":9,\"k10\":10,\"k11\":11,\"k12\":12,\"k13\":13,\"k14\":14,"
                           "\"k15\":15,\"a\":\"last\"}", 0, NULL);
    assert_non_null(v);
    unsigned char *data;
    size_t len;
    assert_int_equal(hrs_snapshot_encode(v, &data, &len), 0);
    json_t *back = hrs_snapshot_decode(data, len);
    assert_non_null(back);
    assert_true(json_equal(v, back));
    char *a = json_dumps(v, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
    assert_string_equal(a, b);   /* keys in their order */
    free(a);
    free(b);
    json_decref(back);
    /* Cut short, a byte more, another format, JSON text: not an encoding. */
    for (size_t n = 0; n < len; n++) assert_null(hrs_snapshot_decode(data, n));
    unsigned char *more = malloc(len + 1);
    memcpy(more, data, len);
    more[len] = 'n';
    assert_null(hrs_snapshot_decode(more, len + 1));
    more[0] = 2;
    assert_null(hrs_snapshot_decode(more, len));
    assert_null(hrs_snapshot_decode("{\"a\":1}", 7));
    assert_null(hrs_snapshot_decode(NULL, 0));
    /* A string that is not UTF-8. */
    const unsigned char bad[] = { 1, 's', 2, 0xc3, 0x28 };
    assert_null(hrs_snapshot_decode(bad, sizeof bad));
    /* A count larger than the bytes left. */
    const unsigned char huge[] = { 1, 'a', 0xff, 0xff, 0xff, 0xff, 0x0f, 'n' };
    assert_null(hrs_snapshot_decode(huge, sizeof huge));
    free(more);
    free(data);
    json_decref(v);
    /* -0.0 hashes as 0.0, yet reads back as -0.0. */
    json_t *minus = json_real(-0.0);
    assert_int_equal(hrs_snapshot_encode(minus, &data, &len), 0);
    back = hrs_snapshot_decode(data, len);
    assert_non_null(back);
    char *text = json_dumps(back, JSON_ENCODE_ANY);
    assert_string_equal(text, "-0.0");
    free(text);
    json_decref(back);
    json_decref(minus);
    free(data);
    /* NULL encodes null. */
    assert_int_equal(hrs_snapshot_encode(NULL, &data, &len), 0);
    back = hrs_snapshot_decode(data, len);
    assert_true(json_is_null(back));
    json_decref(back);
    free(data);
}

/* Column col of person id's row (a static buffer). */
static const char *column(hrs_store *s, const char *col, const char *id)
{
    static char out[128];
    char sql[128];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql, "SELECT %s FROM person_snapshots WHERE person_id = ?1", col);
    assert_int_equal(sqlite3_prepare_v2(hrs_store_db(s), sql, -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return out;
}

static long long generation(hrs_store *s, const char *id)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(hrs_store_db(s), "SELECT generation FROM person_snapshots WHERE person_id = ?1", -1,
                                        &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long g = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return g;
}

static void only_changed_records_are_written(void **state)
{
    (void)state;
    char other[320];
    snprintf(other, sizeof other, "%s-writes", path);
    hrs_err err;
    hrs_store *s = hrs_store_open(other, &err);
    assert_non_null(s);
    json_t *people = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "id", "1", "department", "Sales", "id", "2",
                               "department", "Legal", "id", "3", "department", "People");
    assert_int_equal(hrs_snapshot_save(s, people, 1, NULL, "2026-12-01", &err), 0);
    long long g1 = generation(s, "1");
    /* Nothing changed (the keys in another order): no row is written. */
    json_t *same = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "department", "People", "id", "3", "id", "1",
                             "department", "Sales", "id", "2", "department", "Legal");
    assert_int_equal(hrs_snapshot_save(s, same, 1, NULL, "2026-12-02", &err), 0);
    assert_int_equal(generation(s, "1"), g1);
    assert_int_equal(generation(s, "2"), g1);
    assert_int_equal(generation(s, "3"), g1);
    /* Person 2 changes and 3 is gone: 2 is written, 1 is not, 3 is deleted. */
    json_object_set_new(json_array_get(same, 2), "department", json_string("Finance"));
    json_array_remove(same, 0);
    assert_int_equal(hrs_snapshot_save(s, same, 1, NULL, "2026-12-03", &err), 0);
    assert_int_equal(generation(s, "1"), g1);
    assert_true(generation(s, "2") > g1);
    json_t *got;
    assert_int_equal(hrs_snapshot_people(s, &got, &err), 0);
    assert_int_equal(json_array_size(got), 2);
    assert_string_equal(json_string_value(json_object_get(json_array_get(got, 1), "department")), "Finance");
    json_decref(got);
    /* A hash taken another way (an older version): the row is rewritten, its time kept. */
    char hash[128];
    snprintf(hash, sizeof hash, "%s", column(s, "hash", "1"));
    assert_int_equal(sqlite3_exec(hrs_store_db(s), "UPDATE person_snapshots SET hash = 'old', changed_at = 'then' "
                                  "WHERE person_id = '1'", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(hrs_snapshot_save(s, same, 1, NULL, "2026-12-04", &err), 0);
    assert_true(generation(s, "1") > g1);
    assert_string_equal(column(s, "hash", "1"), hash);
    assert_string_equal(column(s, "changed_at", "1"), "then");
    json_decref(people);
    json_decref(same);
    hrs_store_close(s);
}

/* A person's object as JSON text: displayName name, a long string, number n. */
static void person_text(char *out, size_t size, const char *name, const char *longer, int n)
{
    snprintf(out, size, "{\"reason\":\"status 'active'\",\"attributes\":{\"companyName\":\"Example GmbH\",\"displayName\":\"%s\","
                          "\"long\":\"%s\",\"n\":%d},\"upns\":[\"same@example.com\"],\"groups\":[\"SG-Sales\",\"Women\"],"
                          "\"deep\":{\"k\":[\"SG-Sales\"]}}", name, longer, n);
}

/* The decoded object (t shares) of text, checked equal to it, keys in their order. */
static json_t *through_table(hrs_snapshot_share *t, const char *text)
{
    json_t *v = json_loads(text, 0, NULL);
    assert_non_null(v);
    unsigned char *data;
    size_t len;
    assert_int_equal(hrs_snapshot_encode(v, &data, &len), 0);
    json_t *back = hrs_snapshot_decode_shared(data, len, t);
    free(data);
    assert_non_null(back);
    char *a = json_dumps(v, JSON_COMPACT), *b = json_dumps(back, JSON_COMPACT);
    assert_string_equal(a, b);
    free(a);
    free(b);
    json_decref(v);
    return back;
}

static const json_t *at(const json_t *o, const char *k1, const char *k2)
{
    const json_t *v = json_object_get(o, k1);
    return k2 ? json_object_get(v, k2) : v;
}

static void equal_values_are_held_once(void **state)
{
    (void)state;
    static const char *const whole[] = { "groups", NULL }, *const unique[] = { "upns", NULL };
    hrs_snapshot_share *t = hrs_snapshot_share_new(whole, unique);
    assert_non_null(t);
    char longer[400], text[1000];
    memset(longer, 'x', 300);
    longer[300] = '\0';
    person_text(text, sizeof text, "Ada", longer, 1);
    json_t *a = through_table(t, text);
    person_text(text, sizeof text, "Bo", longer, 2);
    json_t *b = through_table(t, text);
    /* Common strings once, at any depth; a person's own (upns) and long ones each their own. */
    assert_ptr_equal(at(a, "reason", NULL), at(b, "reason", NULL));
    assert_ptr_equal(at(a, "attributes", "companyName"), at(b, "attributes", "companyName"));
    assert_ptr_not_equal(at(a, "attributes", "displayName"), at(b, "attributes", "displayName"));
    assert_ptr_not_equal(at(a, "attributes", "long"), at(b, "attributes", "long"));
    assert_ptr_not_equal(at(a, "attributes", NULL), at(b, "attributes", NULL));
    assert_ptr_not_equal(json_array_get(at(a, "upns", NULL), 0), json_array_get(at(b, "upns", NULL), 0));
    assert_ptr_equal(json_array_get(at(a, "deep", "k"), 0), json_array_get(at(a, "groups", NULL), 0));
    assert_ptr_not_equal(at(a, "deep", "k"), at(b, "deep", "k"));   /* not under a key in whole */
    /* Under a key in whole: the array itself once. */
    assert_ptr_equal(at(a, "groups", NULL), at(b, "groups", NULL));
    /* An object made in memory shares the same values, and stays equal to what it was. */
    person_text(text, sizeof text, "Cy", longer, 3);
    json_t *c = json_loads(text, 0, NULL), *c0 = json_deep_copy(c);
    assert_non_null(c);
    hrs_snapshot_share_object(t, c);
    assert_true(json_equal(c, c0));
    assert_ptr_equal(at(c, "reason", NULL), at(a, "reason", NULL));
    assert_ptr_equal(at(c, "attributes", "companyName"), at(a, "attributes", "companyName"));
    assert_ptr_equal(at(c, "groups", NULL), at(a, "groups", NULL));
    assert_ptr_not_equal(json_array_get(at(c, "upns", NULL), 0), json_array_get(at(a, "upns", NULL), 0));
    /* A group list seen first in memory is shared with one decoded later. */
    json_object_set_new(c, "groups", json_pack("[s]", "SG-Finance"));
    hrs_snapshot_share_object(t, c);
    json_t *d = through_table(t, "{\"groups\":[\"SG-Finance\"]}");
    assert_ptr_equal(at(c, "groups", NULL), at(d, "groups", NULL));
    assert_true(hrs_snapshot_share_size(t) > 0);
    /* Without a table, nothing is shared; the values outlive the table. */
    json_t *e = through_table(NULL, "{\"reason\":\"status 'active'\"}");
    assert_ptr_not_equal(at(e, "reason", NULL), at(a, "reason", NULL));
    hrs_snapshot_share_free(t);
    assert_string_equal(json_string_value(at(b, "attributes", "companyName")), "Example GmbH");
    assert_string_equal(json_string_value(json_array_get(at(d, "groups", NULL), 0)), "SG-Finance");
    hrs_snapshot_share_object(NULL, c);   /* no table: nothing happens */
    json_decref(a);
    json_decref(b);
    json_decref(c);
    json_decref(c0);
    json_decref(d);
    json_decref(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(full_and_incremental_reads),
        cmocka_unit_test(nothing_recorded_yet),
        cmocka_unit_test(hash_is_canonical),
        cmocka_unit_test(different_values_hash_differently),
        cmocka_unit_test(the_encoding_reads_back_as_written),
        cmocka_unit_test(only_changed_records_are_written),
        cmocka_unit_test(equal_values_are_held_once),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
