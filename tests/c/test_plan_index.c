/* test_plan_index.c: the string map the plan indexes people and accounts with
 * (engine/plan_index.c, an internal header): replacing, entry numbers, growth, and the
 * case-insensitive maps of UPNs and mail addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../engine/plan_internal.h"

static void finds_what_was_put_and_numbers_keys_in_order(void **state)
{
    (void)state;
    plan_map m;
    int a = 1, b = 2, c = 3;
    assert_int_equal(hrs_plan_map_init(&m, 4, 0), 0);
    assert_int_equal(hrs_plan_map_put(&m, "u-1", &a), 0);
    assert_int_equal(hrs_plan_map_put(&m, "u-2", &b), 1);
    assert_int_equal(hrs_plan_map_put(&m, "", &c), 2);          /* an empty id is a key */
    assert_ptr_equal(hrs_plan_map_get(&m, "u-1"), &a);
    assert_ptr_equal(hrs_plan_map_get(&m, ""), &c);
    assert_null(hrs_plan_map_get(&m, "U-1"));                  /* case matters */
    assert_null(hrs_plan_map_get(&m, "u-3"));
    assert_null(hrs_plan_map_get(&m, NULL));
    assert_int_equal(hrs_plan_map_find(&m, NULL), -1);
    /* A key put again keeps its number and takes the new value (the last one wins). */
    assert_int_equal(hrs_plan_map_put(&m, "u-1", &c), 0);
    assert_ptr_equal(hrs_plan_map_get(&m, "u-1"), &c);
    assert_int_equal(m.n, 3);
    assert_int_equal(hrs_plan_map_put(&m, NULL, &a), 0);         /* ignored */
    assert_int_equal(m.n, 3);
    hrs_plan_map_free(&m);
}

static void grows_far_past_its_first_size(void **state)
{
    (void)state;
    enum { N = 50000 };
    static char keys[N][16];
    plan_map m;
    assert_int_equal(hrs_plan_map_init(&m, 0, 0), 0);
    for (size_t i = 0; i < N; i++) {
        snprintf(keys[i], sizeof keys[i], "%zu", i * 7919);
        assert_int_equal(hrs_plan_map_put(&m, keys[i], (const void *)(uintptr_t)(i + 1)), (long)i);
    }
    assert_int_equal(m.n, N);
    for (size_t i = 0; i < N; i++) {
        assert_int_equal((uintptr_t)hrs_plan_map_get(&m, keys[i]), i + 1);
        assert_int_equal(hrs_plan_map_find(&m, keys[i]), (long)i);
        assert_string_equal(m.entries[i].key, keys[i]);
    }
    assert_null(hrs_plan_map_get(&m, "1"));
    /* A zeroed map is empty and takes keys. */
    plan_map z;
    memset(&z, 0, sizeof z);
    assert_null(hrs_plan_map_get(&z, "x"));
    assert_int_equal(hrs_plan_map_put(&z, "x", &z), 0);
    assert_ptr_equal(hrs_plan_map_get(&z, "x"), &z);
    hrs_plan_map_free(&z);
    hrs_plan_map_free(&m);
}

static void folding_map_ignores_ascii_case_only(void **state)
{
    (void)state;
    plan_map m;
    int a = 1, b = 2;
    assert_int_equal(hrs_plan_map_init(&m, 2, 1), 0);
    assert_int_equal(hrs_plan_map_put(&m, "Ada.Lovelace@Example.com", &a), 0);
    assert_ptr_equal(hrs_plan_map_get(&m, "ada.lovelace@example.COM"), &a);
    assert_int_equal(hrs_plan_map_put(&m, "ADA.LOVELACE@EXAMPLE.COM", &b), 0);   /* the same key */
    assert_ptr_equal(hrs_plan_map_get(&m, "ada.lovelace@example.com"), &b);
    assert_string_equal(m.entries[0].key, "Ada.Lovelace@Example.com");         /* the first spelling */
    /* Only ASCII letters fold: Ä and ä stay two keys. */
    assert_int_equal(hrs_plan_map_put(&m, "J\xc3\x84GER@example.com", &a), 1);
    assert_null(hrs_plan_map_get(&m, "j\xc3\xa4ger@example.com"));
    assert_ptr_equal(hrs_plan_map_get(&m, "j\xc3\x84ger@example.com"), &a);
    /* An empty key is no key (an empty email matches nobody). */
    assert_int_equal(hrs_plan_map_put(&m, "", &a), 0);
    assert_null(hrs_plan_map_get(&m, ""));
    assert_int_equal(m.n, 2);
    hrs_plan_map_free(&m);
}

static void folding_map_compares_the_first_511_bytes(void **state)
{
    (void)state;
    char a[600], b[600];
    memset(a, 'x', sizeof a - 1);
    memset(b, 'X', sizeof b - 1);
    a[sizeof a - 1] = b[sizeof b - 1] = '\0';
    b[PLAN_MAP_FOLD_MAX + 5] = 'y';   /* differs only after the part compared */
    plan_map m;
    int v = 1;
    assert_int_equal(hrs_plan_map_init(&m, 1, 1), 0);
    assert_int_equal(hrs_plan_map_put(&m, a, &v), 0);
    assert_ptr_equal(hrs_plan_map_get(&m, b), &v);
    b[PLAN_MAP_FOLD_MAX - 1] = 'y';   /* differs inside it */
    assert_null(hrs_plan_map_get(&m, b));
    hrs_plan_map_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_what_was_put_and_numbers_keys_in_order),
        cmocka_unit_test(grows_far_past_its_first_size),
        cmocka_unit_test(folding_map_ignores_ascii_case_only),
        cmocka_unit_test(folding_map_compares_the_first_511_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
