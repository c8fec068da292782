/* test_decide_cache.c: the decision cache (engine/decide_cache.c): keys that follow the record,
 * the policy's code and the dates but not the order of keys; decisions kept and read back the
 * same, one by one or for many persons at once (one pass over the table), misses for another key
 * or a row an older version wrote as JSON text, and what finish writes and drops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/decide_cache.h"

static char dir[256], db_path[300];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-decide-cache-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int fresh(void **state)
{
    (void)state;
    static int n;
    snprintf(db_path, sizeof db_path, "%s/state-%d.db", dir, ++n);
    return 0;
}

static json_t *J(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static void key_of(hrs_decide_cache *c, const char *record, const char *today, const char *leave, char key[65])
{
    hrs_err err;
    hrs_err_clear(&err);
    json_t *p = J(record);
    assert_int_equal(hrs_decide_cache_key(c, p, today, leave, key, &err), 0);
    assert_int_equal(strlen(key), 64);
    json_decref(p);
}

static void keys_follow_record_code_and_dates(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(db_path, &err);
    assert_non_null(s);
    hrs_decide_cache *c = hrs_decide_cache_open(s, "sha256:aaa modules:1", "2026-12-01", &err);
    hrs_decide_cache *other = hrs_decide_cache_open(s, "sha256:bbb modules:1", "2026-12-01", &err);
    hrs_decide_cache *later = hrs_decide_cache_open(s, "sha256:aaa modules:1", "2026-12-02", &err);
    assert_non_null(c);
    assert_non_null(other);
    assert_non_null(later);
    char a[65], b[65], k[65];
    key_of(c, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1,\"y\":null}}", "2026-12-01", "", a);
    key_of(c, "{\"raw\":{\"y\":null,\"x\":1},\"last_name\":\"Vogel\",\"id\":\"1\"}", "2026-12-01", "", b);
    assert_string_equal(a, b);   /* the order of keys does not count */
    key_of(c, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1.0,\"y\":null}}", "2026-12-01", "", k);
    assert_string_not_equal(a, k);   /* 1 and 1.0 differ */
    key_of(c, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1,\"y\":\"\"}}", "2026-12-01", "", k);
    assert_string_not_equal(a, k);
    key_of(c, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1,\"y\":null}}", "2026-12-02", "", k);
    assert_string_not_equal(a, k);   /* the person's own date */
    key_of(c, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1,\"y\":null}}", "2026-12-01", "2026-12-31T22:59:59Z", k);
    assert_string_not_equal(a, k);   /* the leave instant */
    key_of(other, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1,\"y\":null}}", "2026-12-01", "", k);
    assert_string_not_equal(a, k);   /* the policy's code */
    key_of(later, "{\"id\":\"1\",\"last_name\":\"Vogel\",\"raw\":{\"x\":1,\"y\":null}}", "2026-12-01", "", k);
    assert_string_not_equal(a, k);   /* the company's date */
    hrs_decide_cache_free(c);
    hrs_decide_cache_free(other);
    hrs_decide_cache_free(later);
    hrs_store_close(s);
}

/* A decision of person n, with its keys in an order that is not sorted. */
static json_t *decision(int n)
{
    char upn[64];
    snprintf(upn, sizeof upn, "p%d@example.com", n);
    return json_pack("{s:b, s:s, s:{s:s, s:s, s:i, s:f, s:n}, s:[s], s:[s], s:s}", "include", 1, "reason", "status 'active'",
                     "attributes", "surname", "Vogel-Åkesson", "givenName", "Zoë", "level", n, "fte", 0.5, "mail",
                     "upns", upn, "groups", "SG-Sales", "today", "2026-12-02");
}

static void put_all(hrs_store *s, int n, int full, json_t *decided)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_decide_cache *c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    assert_non_null(c);
    for (int i = 0; i < n; i++) {
        char id[16], key[65];
        snprintf(id, sizeof id, "%d", i);
        memset(key, 'a' + i % 3, 64);
        key[64] = '\0';
        json_t *d = decision(i);
        hrs_decide_cache_put(c, id, key, d);
        json_object_set_new(decided, id, d);
    }
    assert_int_equal(hrs_decide_cache_finish(c, decided, full, &err), 0);
    hrs_decide_cache_free(c);
}

static long long rows(hrs_store *s)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(hrs_store_db(s), "SELECT count(*) FROM decision_cache", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    long long n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

/* Fetches persons 0 … n-1 (in reverse order, with person 1 asked for twice and person 2 not at
 * all, and key of person 3 wrong) and checks what each gets back. */
static void fetch_and_check(hrs_store *s, int n)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_decide_cache *c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    assert_non_null(c);
    size_t m = (size_t)n + 1;
    const char **ids = calloc(m, sizeof *ids), **keys = calloc(m, sizeof *keys);
    char (*idbuf)[16] = calloc(m, sizeof *idbuf), (*keybuf)[65] = calloc(m, sizeof *keybuf);
    assert_true(ids && keys && idbuf && keybuf);
    for (size_t j = 0; j < m; j++) {
        int i = j == (size_t)n ? 1 : n - 1 - (int)j;
        snprintf(idbuf[j], sizeof idbuf[j], "%d", i);
        memset(keybuf[j], i == 3 ? 'z' : 'a' + i % 3, 64);
        ids[j] = idbuf[j];
        keys[j] = i == 2 ? NULL : keybuf[j];
    }
    assert_int_equal(hrs_decide_cache_fetch(c, m, ids, keys, &err), 0);
    json_t *first = NULL;   /* the first one taken, kept to the end */
    const json_t *reason = NULL, *groups = NULL, *upn = NULL;   /* its values */
    for (size_t j = 0; j < m; j++) {
        int i = j == (size_t)n ? 1 : n - 1 - (int)j;
        json_t *got = hrs_decide_cache_take(c, j);
        if (i == 2 || i == 3) {
            assert_null(got);
            continue;
        }
        json_t *want = decision(i);
        assert_non_null(got);
        assert_true(json_equal(got, want));
        /* The keys come back in the order they were kept. */
        char *a = json_dumps(got, JSON_COMPACT), *b = json_dumps(want, JSON_COMPACT);
        assert_string_equal(a, b);
        free(a);
        free(b);
        /* Common values are held once for the run (the cache keeps them); UPNs are each their own. */
        if (!first) {
            first = json_incref(got);
            reason = json_object_get(got, "reason");
            groups = json_object_get(got, "groups");
            upn = json_array_get(json_object_get(got, "upns"), 0);
        } else {
            assert_ptr_equal(json_object_get(got, "reason"), reason);
            assert_ptr_equal(json_object_get(got, "groups"), groups);
            assert_ptr_not_equal(json_array_get(json_object_get(got, "upns"), 0), upn);
        }
        json_decref(got);
        json_decref(want);
    }
    json_decref(first);
    assert_non_null(hrs_decide_cache_share(c));
    assert_null(hrs_decide_cache_share(NULL));
    size_t hits, misses;
    hrs_decide_cache_counts(c, &hits, &misses);
    assert_int_equal(hits, (size_t)n - 2 + 1);   /* all but 2 (not asked) and 3 (another key); 1 twice */
    assert_int_equal(misses, 1);
    /* One by one. */
    json_t *one = hrs_decide_cache_get(c, "4", keybuf[n - 1 - 4]);
    assert_non_null(one);
    json_decref(one);
    assert_null(hrs_decide_cache_get(c, "4", keybuf[n - 1 - 5]));
    assert_null(hrs_decide_cache_get(c, "no one", keybuf[0]));
    free(ids);
    free(keys);
    free(idbuf);
    free(keybuf);
    hrs_decide_cache_free(c);
}

static void decisions_come_back_one_by_one_and_in_one_pass(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(db_path, &err);
    assert_non_null(s);
    json_t *decided = json_object();
    put_all(s, 300, 1, decided);
    assert_int_equal(rows(s), 300);
    fetch_and_check(s, 300);   /* most of the table: one pass */
    fetch_and_check(s, 8);     /* a few: looked up one by one */
    json_decref(decided);
    hrs_store_close(s);
}

static void a_row_in_another_format_is_a_miss(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(db_path, &err);
    assert_non_null(s);
    char key[65];
    memset(key, 'k', 64);
    key[64] = '\0';
    char sql[400];
    snprintf(sql, sizeof sql, "INSERT INTO decision_cache (person_id, key, decision) VALUES ('7', '%s', '{\"include\":false,"
             "\"reason\":\"old\"}'), ('8', '%s', x'01')", key, key);
    assert_int_equal(sqlite3_exec(hrs_store_db(s), sql, NULL, NULL, NULL), SQLITE_OK);
    hrs_decide_cache *c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    assert_null(hrs_decide_cache_get(c, "7", key));
    assert_null(hrs_decide_cache_get(c, "8", key));
    const char *ids[] = { "7", "8" }, *keys[] = { key, key };
    assert_int_equal(hrs_decide_cache_fetch(c, 2, ids, keys, &err), 0);
    assert_null(hrs_decide_cache_take(c, 0));
    assert_null(hrs_decide_cache_take(c, 1));
    assert_null(hrs_decide_cache_take(c, 2));   /* not fetched */
    /* Decided again, the row is replaced. */
    json_t *d = json_pack("{s:b, s:s}", "include", 0, "reason", "new");
    hrs_decide_cache_put(c, "7", key, d);
    assert_int_equal(hrs_decide_cache_finish(c, NULL, 0, &err), 0);
    hrs_decide_cache_free(c);
    c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    json_t *got = hrs_decide_cache_get(c, "7", key);
    assert_non_null(got);
    assert_true(json_equal(got, d));
    json_decref(got);
    json_decref(d);
    hrs_decide_cache_free(c);
    hrs_store_close(s);
}

static void finish_writes_what_changed_and_drops_who_is_gone(void **state)
{
    (void)state;
    hrs_err err;
    hrs_store *s = hrs_store_open(db_path, &err);
    assert_non_null(s);
    json_t *decided = json_object();
    put_all(s, 5, 1, decided);
    /* Nothing kept, an incremental read: nothing written, nobody dropped. */
    json_t *few = json_pack("{s:{}}", "1");
    hrs_decide_cache *c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    assert_int_equal(hrs_decide_cache_finish(c, few, 0, &err), 0);
    hrs_decide_cache_free(c);
    assert_int_equal(rows(s), 5);
    /* A full read of two persons: the others' rows go. */
    json_object_set_new(few, "3", json_object());
    c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    assert_int_equal(hrs_decide_cache_finish(c, few, 1, &err), 0);
    hrs_decide_cache_free(c);
    assert_int_equal(rows(s), 2);
    /* The policy's code changed while it ran: the table is emptied, nothing kept is written. */
    c = hrs_decide_cache_open(s, "code", "2026-12-01", &err);
    hrs_decide_cache_put(c, "9", "k", json_object_get(decided, "0"));
    hrs_decide_cache_forget(c);
    assert_int_equal(hrs_decide_cache_finish(c, few, 1, &err), 0);
    hrs_decide_cache_free(c);
    assert_int_equal(rows(s), 0);
    json_decref(few);
    json_decref(decided);
    hrs_store_close(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(keys_follow_record_code_and_dates, fresh),
        cmocka_unit_test_setup(decisions_come_back_one_by_one_and_in_one_pass, fresh),
        cmocka_unit_test_setup(a_row_in_another_format_is_a_miss, fresh),
        cmocka_unit_test_setup(finish_writes_what_changed_and_drops_who_is_gone, fresh),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
