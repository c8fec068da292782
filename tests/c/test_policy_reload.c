/* test_policy_reload.c: trying a changed policy before it replaces the running one
 * (hrs_policy_reload), reading a policy file with its version, and loading a policy from text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/policy.h"
#include "hrsync/status.h"

#define assert_contains(hay, needle)                                                     \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!strstr(h_, n_)) fail_msg("expected \"%s\" in \"%s\"", n_, h_);               \
    } while (0)

static char dir[64], path[128];
static json_t *people;

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-reload-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/policy.lua", dir);
    people = json_pack("[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "id", "1", "status", "active", "id", "2", "status", "active",
                       "id", "3", "status", "inactive");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(people);
    return 0;
}

static void write_policy(const char *attributes)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "return {\n"
               "  include = function(p) return p.status == 'active' end,\n"
               "  attributes = %s,\n"
               "  upn = function(p) return p.id .. '@example.com' end,\n"
               "}\n", attributes);
    assert_int_equal(fclose(f), 0);
}

static int reload(hrs_policy **out, json_t **problems, hrs_err *err)
{
    hrs_policy_opts o = { path, NULL, "2026-12-01", 0, 0, NULL, 0 };
    hrs_err_clear(err);
    return hrs_policy_reload(&o, people, out, problems, err);
}

static void a_working_policy_is_taken(void **state)
{
    (void)state;
    write_policy("function(p) return { department = 'x' } end");
    hrs_policy *p = NULL;
    json_t *problems = NULL;
    hrs_err err;
    assert_int_equal(reload(&p, &problems, &err), 0);
    assert_non_null(p);
    assert_int_equal(json_array_size(problems), 0);
    json_decref(problems);
    hrs_policy_free(p);
}

static void failures_for_some_are_reported_not_refused(void **state)
{
    (void)state;
    write_policy("function(p) if p.id == '2' then error('no 2') end return { department = 'x' } end");
    hrs_policy *p = NULL;
    json_t *problems = NULL;
    hrs_err err;
    assert_int_equal(reload(&p, &problems, &err), 0);
    assert_non_null(p);
    assert_int_equal(json_array_size(problems), 1);
    json_t *q = json_array_get(problems, 0);
    assert_string_equal(json_string_value(json_object_get(q, "person")), "2");
    assert_string_equal(json_string_value(json_object_get(q, "failure")), "error");
    assert_contains(json_string_value(json_object_get(q, "reason")), "policy.lua:3: no 2");
    json_decref(problems);
    hrs_policy_free(p);
}

static void a_policy_that_decides_nobody_into_scope_is_refused(void **state)
{
    (void)state;
    hrs_policy *p = (hrs_policy *)1;
    json_t *problems = json_true();
    hrs_err err;
    write_policy("function(p) return { jobtitle = 'x' } end");   /* invalid for everyone in scope */
    assert_int_equal(reload(&p, &problems, &err), -1);
    assert_null(p);
    assert_null(problems);
    assert_contains(err.msg, "the policy fails for 2 of the 3 people of the last cycle and takes none of the others into scope");
    assert_contains(err.msg, "did you mean 'jobTitle'?");

    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("return { include = function(p) while true do end end, attributes = function() return {} end,\n"
          "  upn = function() return 'a@example.com' end }\n", f);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(reload(&p, NULL, &err), -1);
    assert_contains(err.msg, "the policy fails for all 3 people of the last cycle; the first: person 1: instruction budget");

    write_policy("function(p) return { department = 'x' end");   /* does not load */
    assert_int_equal(reload(&p, NULL, &err), -1);
    assert_contains(err.msg, "policy.lua:3:");
}

static void nobody_to_try_is_no_reason_to_refuse(void **state)
{
    (void)state;
    write_policy("function(p) error('never called') end");
    hrs_policy_opts o = { path, NULL, "2026-12-01", 0, 0, NULL, 0 };
    hrs_policy *p = NULL;
    hrs_err err;
    assert_int_equal(hrs_policy_reload(&o, NULL, &p, NULL, &err), 0);
    hrs_policy_free(p);
}

static void file_read_gives_text_and_version(void **state)
{
    (void)state;
    write_policy("function(p) return {} end");
    char *text = NULL, version[80], status_version[80];
    size_t len = 0;
    hrs_err err;
    assert_int_equal(hrs_policy_file_read(path, &text, &len, version, &err), 0);
    assert_int_equal(len, strlen(text));
    assert_contains(text, "attributes = function(p) return {} end");
    assert_int_equal(hrs_status_file_version(path, status_version, sizeof status_version, &err), 0);
    assert_string_equal(version, status_version);     /* what hrsync status shows */
    free(text);
    assert_int_equal(hrs_policy_file_read("/nonexistent/policy.lua", &text, &len, version, &err), -1);
    assert_contains(err.msg, "cannot open policy /nonexistent/policy.lua");
}

static void a_policy_loads_from_text_as_if_it_were_the_file(void **state)
{
    (void)state;
    write_policy("function(p) return { department = 'from the file' } end");
    const char *text = "return {\n  include = function(p) return true end,\n"
                       "  attributes = function(p) return { department = 'from the text' } end,\n"
                       "  upn = function(p) return 'a@example.com' end,\n}\n";
    hrs_policy_opts o = { path, NULL, "2026-12-01", 0, 0, text, strlen(text) };
    hrs_err err;
    hrs_policy *p = hrs_policy_load(&o, &err);
    assert_non_null(p);
    hrs_decision d;
    assert_int_equal(hrs_policy_decide(p, json_array_get(people, 0), &d, &err), 0);
    assert_string_equal(json_string_value(json_object_get(d.attributes, "department")), "from the text");
    hrs_decision_clear(&d);
    hrs_policy_free(p);
    const char *broken = "return {\n  include = \n";
    hrs_policy_opts b = { path, NULL, "2026-12-01", 0, 0, broken, strlen(broken) };
    assert_null(hrs_policy_load(&b, &err));
    assert_contains(err.msg, "policy.lua:3:");             /* named as the file it stands for */
    const char bytecode[] = "\x1bLua\x54";
    hrs_policy_opts c = { path, NULL, "2026-12-01", 0, 0, bytecode, sizeof bytecode - 1 };
    assert_null(hrs_policy_load(&c, &err));
    assert_contains(err.msg, "binary chunk");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_working_policy_is_taken),
        cmocka_unit_test(failures_for_some_are_reported_not_refused),
        cmocka_unit_test(a_policy_that_decides_nobody_into_scope_is_refused),
        cmocka_unit_test(nobody_to_try_is_no_reason_to_refuse),
        cmocka_unit_test(file_read_gives_text_and_version),
        cmocka_unit_test(a_policy_loads_from_text_as_if_it_were_the_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
