/* test_config.c: loading and validating the Lua configuration (engine/config.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/config.h"

static char dir[256];

static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hrsync-test-config-XXXXXX");
    assert_non_null(mkdtemp(dir));
    setenv("HRSYNC_TEST_SECRET", "not-a-real-secret", 1);
    unsetenv("HRSYNC_NOW");
    return 0;
}

static const char good[] =
    "return {\n"
    "  now = '2026-12-01',\n"
    "  source = { type = 'csv', path = 'people.csv' },\n"
    "  directory = { tenant = 'example.com', client_id = 'abc', client_secret_env = 'HRSYNC_TEST_SECRET' },\n"
    "  policy = 'policy.lua',\n"
    "}\n";

static void loads_with_defaults_and_resolved_paths(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_config *c = hrs_config_load(write_file("good.lua", good), NULL, &err);
    assert_non_null(c);
    assert_string_equal(c->today, "2026-12-01");
    assert_string_equal(c->directory.graph_url, "https://graph.microsoft.com/v1.0");
    assert_string_equal(c->directory.login_url, "https://login.microsoftonline.com");
    assert_string_equal(c->directory.client_secret, "not-a-real-secret");
    char want[600];
    snprintf(want, sizeof want, "%s/people.csv", dir);
    assert_string_equal(json_string_value(json_object_get(c->source, "path")), want);
    snprintf(want, sizeof want, "%s/hrsync.db", dir);
    assert_string_equal(c->state_path, want);
    hrs_config_free(c);
}

static void overrides_and_env_clock(void **state)
{
    (void)state;
    hrs_err err;
    json_t *ov = json_pack("{s:{s:s}}", "directory", "graph_url", "http://127.0.0.1:1/v1.0");
    setenv("HRSYNC_NOW", "2027-01-04", 1);
    hrs_config *c = hrs_config_load(write_file("good.lua", good), ov, &err);
    unsetenv("HRSYNC_NOW");
    assert_non_null(c);
    assert_string_equal(c->directory.graph_url, "http://127.0.0.1:1/v1.0");
    assert_string_equal(c->directory.tenant, "example.com");
    assert_string_equal(c->today, "2027-01-04");
    hrs_config_free(c);
    json_decref(ov);
}

static void expect_error(const char *text, const char *needle)
{
    hrs_err err;
    hrs_err_clear(&err);
    hrs_config *c = hrs_config_load(write_file("bad.lua", text), NULL, &err);
    assert_null(c);
    if (!strstr(err.msg, needle)) fail_msg("expected '%s' in: %s", needle, err.msg);
}

static void syntax_error_names_file_and_line(void **state)
{
    (void)state;
    expect_error("return {\n  source = {},\n  policy = ,\n}\n", "bad.lua:3:");
}

static void unknown_setting_suggests_and_names_line(void **state)
{
    (void)state;
    expect_error("return {\n  source = { type = 'csv', path = 'p.csv' },\n  polcy = 'x.lua',\n}\n",
                 "bad.lua:3: unknown setting 'polcy' (did you mean 'policy'?)");
}

static void inline_secret_refused_without_echo(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    const char *t = "return {\n source = { type='csv', path='p' },\n policy = 'p.lua',\n"
                    " directory = { tenant='t', client_id='c',\n   client_secret = 'sup3r-s3cret' },\n}\n";
    assert_null(hrs_config_load(write_file("bad.lua", t), NULL, &err));
    if (!strstr(err.msg, "bad.lua:5: directory.client_secret: secrets are not read from the config file"))
        fail_msg("unexpected message: %s", err.msg);
    assert_null(strstr(err.msg, "sup3r-s3cret"));
}

static void missing_secret_variable(void **state)
{
    (void)state;
    expect_error("return { source = { type='csv', path='p' }, policy = 'p.lua',\n"
                 " directory = { tenant='t', client_id='c', client_secret_env = 'HRSYNC_TEST_UNSET_VAR' } }\n",
                 "client_secret_env names HRSYNC_TEST_UNSET_VAR, which is not set");
}

static void secret_file_is_read_and_trimmed(void **state)
{
    (void)state;
    write_file("secret.txt", "from-a-file\n");
    hrs_err err;
    hrs_config *c = hrs_config_load(write_file("f.lua", "return { source = { type='csv', path='p' }, policy = 'p.lua',\n"
                                    " directory = { tenant='t', client_id='c', client_secret_file = 'secret.txt' } }\n"), NULL, &err);
    assert_non_null(c);
    assert_string_equal(c->directory.client_secret, "from-a-file");
    hrs_config_free(c);
}

static void bad_date_and_sandbox(void **state)
{
    (void)state;
    expect_error("return { now = '2026-02-30', source = { type='csv', path='p' }, policy='p.lua',\n"
                 " directory = { tenant='t', client_id='c', client_secret_env='HRSYNC_TEST_SECRET' } }\n",
                 "expected a date YYYY-MM-DD");
    expect_error("local f = io.open('/etc/passwd')\nreturn {}\n", "bad.lua:1:");
    expect_error("os.execute('true')\nreturn {}\n", "bad.lua:1:");
    expect_error("return 42\n", "must return a table");
    expect_error("return { source = { type='csv', path='p' }, policy = function() end }\n", "value of 'policy' is a function");
}

static void missing_file(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    assert_null(hrs_config_load("/nonexistent/hrsync.lua", NULL, &err));
    assert_non_null(strstr(err.msg, "cannot read config /nonexistent/hrsync.lua"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(loads_with_defaults_and_resolved_paths),
        cmocka_unit_test(overrides_and_env_clock),
        cmocka_unit_test(syntax_error_names_file_and_line),
        cmocka_unit_test(unknown_setting_suggests_and_names_line),
        cmocka_unit_test(inline_secret_refused_without_echo),
        cmocka_unit_test(missing_secret_variable),
        cmocka_unit_test(secret_file_is_read_and_trimmed),
        cmocka_unit_test(bad_date_and_sandbox),
        cmocka_unit_test(missing_file),
    };
    return cmocka_run_group_tests_name("config", tests, setup, NULL);
}
