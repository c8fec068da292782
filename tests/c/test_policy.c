/* test_policy.c: the policy VM (engine/policy*.c): loading, hooks, conversions, and the
 * sandbox's walls (forbidden calls, binary chunks, the allowed library). Budgets, the memory cap,
 * strict globals, errors, the clock and require are in test_policy_limits.c. */
#include "policy_harness.h"

static void test_good_policy_decides(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(good_policy);
    hrs_decision d;
    decide_ok(p, 1001, &d);
    assert_int_equal(d.include, 1);
    assert_string_equal(d.reason, "active");
    json_t *want = json_pack("{ss ss ss ss ss ss sn ss s[] sb si s{ss}}",
                             "givenName", "Anna", "surname", "Berg", "displayName", "Anna Berg",
                             "employeeId", "1001", "department", "Sales",
                             "employeeHireDate", "2024-02-01T00:00:00Z", "employeeLeaveDateTime",
                             "usageLocation", "DE", "businessPhones", "showInAddressList", 1,
                             "deviceEnrollmentLimit", 5, "employeeOrgData", "division", "EMEA");
    if (!json_equal(want, d.attributes)) {
        char *got = json_dumps(d.attributes, JSON_SORT_KEYS);
        fail_msg("attributes: %s", got);
    }
    json_decref(want);
    /* Keys come out sorted; the upn list keeps order and drops repeats (any case). */
    const char *first_key = json_object_iter_key(json_object_iter(d.attributes));
    assert_string_equal(first_key, "businessPhones");
    want = json_pack("[ss]", "anna.berg@example.com", "a.berg@example.com");
    assert_true(json_equal(want, d.upns));
    json_decref(want);
    want = json_pack("[ss]", "All staff", "Dept Sales");
    assert_true(json_equal(want, d.groups));
    json_decref(want);
    hrs_decision_clear(&d);
    assert_null(d.attributes);

    want = json_pack("{si sb sf s{sb} s[s]}", "create_days_before", 7, "start_disabled", 1,
                     "ratio", 0.5, "leaver", "revoke_sessions", 1, "notify", "it@example.com");
    assert_true(json_equal(want, hrs_policy_lifecycle(p)));
    json_decref(want);

    /* Not included: a reason, and nothing else. */
    json_t *leaver = person_with_id(1002);
    json_object_set_new(leaver, "status", json_string("inactive"));
    hrs_err err;
    assert_int_equal(hrs_policy_decide(p, leaver, &d, &err), 0);
    assert_int_equal(d.include, 0);
    assert_string_equal(d.reason, "status is inactive");
    assert_null(d.attributes);
    assert_null(d.upns);
    assert_null(d.groups);
    json_decref(leaver);
    hrs_policy_free(p);
    hrs_policy_free(NULL);
}

static void test_person_conversion(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(policy_of(
        "function(p) assert(p.termination_date == nil, 'null member') "
        "assert(#p.tags == 3 and p.tags[2] == hrsync_null and p.tags[3] == 'b', 'null item') "
        "assert(p.id == 'E-17' or math.type(p.id) == 'integer' and p.raw.nested.x == 1.5, 'numbers') "
        "assert(tostring(hrsync_null) and type(hrsync_null) == 'userdata', 'null') "
        "p.first_name = 'changed' return true end",
        NULL, NULL, "function(p) return { p.first_name } end"));
    hrs_decision d;
    decide_ok(p, 7, &d);
    /* Each hook gets its own copy of the person: include's change is not seen by groups. */
    assert_string_equal(json_string_value(json_array_get(d.groups, 0)), "Anna");
    assert_string_equal(json_string_value(json_object_get(d.attributes, "givenName")), "Anna");
    hrs_decision_clear(&d);
    /* A string id. */
    json_t *person = person_with_id(1);
    json_object_set_new(person, "id", json_string("E-17"));
    json_object_set_new(person, "status", json_null());
    hrs_err err;
    if (hrs_policy_decide(p, person, &d, &err) != 0) fail_msg("%s", err.msg);
    hrs_decision_clear(&d);
    json_t *not_object = json_array();
    assert_int_equal(hrs_policy_decide(p, not_object, &d, &err), -1);
    assert_contains(err.msg, "not a JSON object");
    json_decref(not_object);
    json_decref(person);
    hrs_policy_free(p);
}

/* ---- Load errors ------------------------------------------------------------------------- */

static void test_syntax_error_names_line(void **state)
{
    (void)state;
    assert_load_fails("return {\n  include = function(p)\n    return true\n  end end,\n}\n",
                      "cannot load policy: policy.lua:4:");
    assert_load_fails("local x = = 1\n", "policy.lua:1:");
}

static void test_unknown_hook_did_you_mean(void **state)
{
    (void)state;
    assert_load_fails("return { include = function() return true end, atributes = function() end, "
                      "upn = function() end }\n",
                      "policy.lua: unknown hook 'atributes' (did you mean 'attributes'?); allowed names: "
                      "include, attributes, upn, groups, lifecycle");
    assert_load_fails("return { include = function() end, attributes = function() end, upn = function() end, "
                      "lifecyle = {} }\n", "(did you mean 'lifecycle'?)");
    assert_load_fails("return { include = function() end, attributes = function() end, upn = function() end, "
                      "zzz = 1, xylophone = 2 }\n", "unknown hook 'xylophone'; allowed");
}

static void test_hook_table_shape(void **state)
{
    (void)state;
    assert_load_fails("local x = 1\n", "did you forget 'return'?");
    assert_load_fails("return 42\n", "must return a table of hooks");
    assert_load_fails("return { include = 5, attributes = function() end, upn = function() end }\n",
                      "hook 'include' is a number, expected a function");
    assert_load_fails("return { include = function() end, attributes = function() end }\n",
                      "no 'upn' hook");
    assert_load_fails("return { include = function() end, attributes = function() end, upn = function() end, "
                      "lifecycle = 'soon' }\n", "'lifecycle' is a string, expected a table");
    assert_load_fails("return { include = function() end, attributes = function() end, upn = function() end, "
                      "lifecycle = { days = function() end } }\n",
                      "value of 'lifecycle.days' is a function");
    assert_load_fails("return { include = function() end, attributes = function() end, upn = function() end, "
                      "'extra' }\n", "has a number key");
    assert_load_fails("error('at load')\n", "the main chunk of policy.lua failed: policy.lua:1: at load");
    hrs_err err;
    hrs_policy_opts o = { "/nonexistent/policy.lua", lib, TODAY, 0, 0, NULL, 0 };
    assert_null(hrs_policy_load(&o, &err));
    assert_contains(err.msg, "cannot open policy /nonexistent/policy.lua");
    write_text(dir, "policy.lua", policy_of("function() return true end", NULL, NULL, NULL));
    hrs_policy_opts bad_day = { path, lib, "2025-02-30", 0, 0, NULL, 0 };
    assert_null(hrs_policy_load(&bad_day, &err));
    assert_contains(err.msg, "not a date");
    hrs_policy_opts no_lib = { path, "/nonexistent/lib", TODAY, 0, 0, NULL, 0 };
    assert_null(hrs_policy_load(&no_lib, &err));
    assert_contains(err.msg, "library folder /nonexistent/lib");
    hrs_policy_opts tiny = { path, lib, TODAY, 0, 2048, NULL, 0 };
    assert_null(hrs_policy_load(&tiny, &err));
    assert_contains(err.msg, "too small");
}

static void test_binary_chunks_refused(void **state)
{
    (void)state;
    const dumpbuf *b = bytecode();
    write_file(dir, "policy.lua", b->data, b->len);
    hrs_policy_opts o = { path, lib, TODAY, 0, 0, NULL, 0 };
    hrs_err err;
    assert_null(hrs_policy_load(&o, &err));
    assert_contains(err.msg, "policy.lua: attempt to load a binary chunk");
    write_file(dir, "binmod.lua", b->data, b->len);
    assert_include_fails("require 'binmod'", HRS_POLICY_ERROR, "binmod.lua: attempt to load a binary chunk");
    assert_include_fails("local f, e = load('\\27Lua') assert(f, e)", HRS_POLICY_ERROR,
                         "attempt to load a binary chunk");
    assert_include_fails("local f, e = load('return 1', 'x', 'b') assert(f, e)", HRS_POLICY_ERROR,
                         "binary chunks cannot be loaded");
}

/* ---- The sandbox's walls ----------------------------------------------------------------- */

static void test_forbidden_calls(void **state)
{
    (void)state;
    static const struct { const char *code, *needle; } cases[] = {
        { "io.open('/etc/passwd')", "undefined global 'io'" },
        { "os.execute('true')", "field 'execute'" },
        { "os.getenv('HOME')", "field 'getenv'" },
        { "os.exit(1)", "field 'exit'" },
        { "os.remove('x')", "field 'remove'" },
        { "os.rename('x', 'y')", "field 'rename'" },
        { "require('debug').traceback()", "module 'debug' is not available in a policy" },
        { "debug.traceback()", "undefined global 'debug'" },
        { "require 'ffi'", "module 'ffi' is not available in a policy" },
        { "require 'io'", "module 'io' is not available in a policy" },
        { "require 'package'", "module 'package' is not available" },
        { "package.loadlib('x', 'y')", "undefined global 'package'" },
        { "string.dump(function() end)", "field 'dump'" },
        { "local s = '' s:dump()", "method 'dump'" },
        { "dofile('/etc/passwd')", "undefined global 'dofile'" },
        { "loadfile('/etc/passwd')", "undefined global 'loadfile'" },
        { "require '../x'", "module name '../x' is not allowed" },
        { "require 'a/b'", "module name 'a/b' is not allowed" },
        { "require '.hidden'", "is not allowed" },
        { "require 'nothere'", "module 'nothere' not found" },
        { "coroutine.create(print)", "undefined global 'coroutine'" },
        { "warn('@on')", "undefined global 'warn'" },
        { "collectgarbage('stop')", "collectgarbage('stop') is not allowed in a policy" },
        { "collectgarbage('incremental')", "is not allowed in a policy" },
        { "setmetatable({}, { __gc = function() end })", "__gc metamethods are not allowed" },
        { "rawset(_ENV, 'x', 1)", "rawset on a protected table" },
        { "rawset(string, 'upper', print)", "rawset on a protected table" },
        { "string.upper = nil", "attempt to modify the read-only table 'string'" },
        { "os.time = function() return 0 end", "read-only table 'os'" },
        { "setmetatable(string, {})", "cannot change a protected metatable" },
        { "getmetatable('').__index.upper = nil", "attempt to index" },
        { "math.randomseed(1)", "field 'randomseed'" },
        { "load('return io')().open('x')", "undefined global 'io'" },
        { "load('x = 1')()", "assignment to undeclared global 'x'" },
        { "string.rep()", "bad argument #1 to 'rep'" },
        { "local _, t = pairs(string) t.upper = nil", "read-only table 'string'" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        assert_include_fails(cases[i].code, HRS_POLICY_ERROR, cases[i].needle);
}

static void test_allowed_library(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(policy_of(
        "function(p) "
        "assert(('%s-%d'):format('a', 3) == 'a-3') "
        "assert(table.concat({ 'a', 'b' }, ',') == 'a,b') "
        "assert(utf8.len('\xc3\xa4') == 1 and math.floor(2.5) == 2) "
        "local n = 0 for k in pairs(string) do n = n + 1 end assert(n > 10, 'pairs over a library') "
        "assert(string.dump == nil and getmetatable('') == 'locked') "
        "assert(collectgarbage('count') > 0) collectgarbage() "
        "local t = setmetatable({}, { __index = function() return 1 end }) assert(t.x == 1) "
        "local r = {} rawset(r, 'k', 'v') assert(r.k == 'v') "
        "local f = load('return 1 + ...', 'expr', 't', {}) assert(f(2) == 3) "
        "assert(load('return string.upper(\"a\")')() == 'A') "
        "assert(pcall(error, 'x') == false) print('from a policy', 1, nil) "
        "assert(math.random(1, 10) >= 1 and _G == _ENV and _VERSION) "
        "return true end", NULL, NULL, NULL));
    hrs_decision d;
    decide_ok(p, 1, &d);
    hrs_decision_clear(&d);
    hrs_policy_free(p);
}

/* ---- Budget and memory ------------------------------------------------------------------- */

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_policy_decides),
        cmocka_unit_test(test_person_conversion),
        cmocka_unit_test(test_syntax_error_names_line),
        cmocka_unit_test(test_unknown_hook_did_you_mean),
        cmocka_unit_test(test_hook_table_shape),
        cmocka_unit_test(test_binary_chunks_refused),
        cmocka_unit_test(test_forbidden_calls),
        cmocka_unit_test(test_allowed_library),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
