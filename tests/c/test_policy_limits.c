/* test_policy_limits.c: the policy VM's limits and contracts: instruction budgets (also under
 * a policy's own pcall), the memory cap, strict globals, errors with file:line and traceback,
 * invalid returns, the pinned clock, require, the shipped library, private hooks. */
#include "policy_harness.h"

static void test_budget_stops_loop(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(policy_of(
        "function(p)\n    if p.id == 1 then while true do end end\n    return true\n  end", NULL, NULL, NULL));
    const char *msg = decide_fails(p, 1, HRS_POLICY_BUDGET);
    assert_contains(msg, "person 1: instruction budget of 200000 exceeded in hook 'include' (policy.lua:3)");
    hrs_decision d;
    decide_ok(p, 2, &d);               /* the VM is still usable */
    assert_int_equal(d.include, 1);
    hrs_decision_clear(&d);
    hrs_policy_free(p);
}

static void test_budget_survives_pcall(void **state)
{
    (void)state;
    assert_include_fails("local ok = pcall(function() while true do end end) "
                         "local n = 0 for i = 1, 10 do n = n + i end",
                         HRS_POLICY_BUDGET, "instruction budget of 200000 exceeded in hook 'include'");
    assert_include_fails("while true do pcall(function() while true do end end) end",
                         HRS_POLICY_BUDGET, "exceeded");
    assert_include_fails("xpcall(function() while true do end end, function() while true do end end) "
                         "local x = 1",
                         HRS_POLICY_BUDGET, "exceeded");
    assert_include_fails("xpcall(function() while true do end end, function() while true do end end)",
                         HRS_POLICY_BUDGET, "exceeded");
    assert_include_fails("xpcall(error, function(m) while true do end end, 'x')", HRS_POLICY_BUDGET, "exceeded");
    assert_include_fails("local ok, m = xpcall(error, function(m) return 'handled: ' .. m end, 'x', 0) error(m)",
                         HRS_POLICY_ERROR, "handled: x");
    assert_include_fails("for i = 1, 100 do pcall(function() while true do end end) end",
                         HRS_POLICY_BUDGET, "exceeded");
    assert_include_fails("local s = string.rep('a', 10000) "
                         "for i = 1, 1e9 do pcall(string.gsub, s, 'a', function(c) return c end) end",
                         HRS_POLICY_BUDGET, "exceeded");
    /* Work done inside C functions is charged through what it allocates. */
    assert_include_fails("for i = 1, 1e9 do collectgarbage() end", HRS_POLICY_BUDGET, "exceeded");
    assert_include_fails("for i = 1, 1e9 do local s = string.rep('x', 1 << 20) end", HRS_POLICY_BUDGET,
                         "exceeded");
    /* The main chunk has its own budget. */
    assert_load_fails("while true do end\n", "instruction budget of 200000 exceeded in the main chunk of "
                      "policy.lua (policy.lua:1)");
}

static void test_memory_cap(void **state)
{
    (void)state;
    hrs_err err;
    hrs_policy *p = load_with(policy_of(
        "function(p)\n"
        "    if p.id == 1 then local t = {} while true do t[#t + 1] = string.rep('x', 1024 * 1024) end end\n"
        "    if p.id == 2 then local s = string.rep('x', 1 << 30) end\n"
        "    if p.id == 3 then local t = {} for i = 1, 1e9 do t[i] = i end end\n"
        "    if p.id == 4 then local ok = pcall(string.rep, 'x', 1 << 30) return not ok end\n"
        "    if p.id == 5 then local t = {} for i = 1, 1e9 do t[i] = {} end end\n"
        "    return true\n  end", NULL, NULL, NULL), 100000000L, (size_t)8 << 20, &err);
    if (!p) fail_msg("%s", err.msg);
    for (int round = 0; round < 2; round++) {
        const char *msg = decide_fails(p, 1, HRS_POLICY_MEMORY);
        assert_contains(msg, "person 1: memory limit of 8 MiB exceeded in hook 'include' (near policy.lua:");
        decide_fails(p, 2, HRS_POLICY_MEMORY);
        decide_fails(p, 3, HRS_POLICY_MEMORY);
        decide_fails(p, 5, HRS_POLICY_MEMORY);
        hrs_decision d;
        decide_ok(p, 4, &d);            /* a caught memory error is the policy's own business */
        assert_int_equal(d.include, 1);
        hrs_decision_clear(&d);
        decide_ok(p, 6, &d);            /* and the next person is fine */
        hrs_decision_clear(&d);
    }
    hrs_policy_free(p);
}

static void test_many_people_small_heap(void **state)
{
    (void)state;
    hrs_err err;
    hrs_policy *p = load_with(good_policy, 0, (size_t)2 << 20, &err);
    if (!p) fail_msg("%s", err.msg);
    for (int i = 0; i < 3000; i++) {
        hrs_decision d;
        decide_ok(p, i, &d);
        hrs_decision_clear(&d);
    }
    hrs_policy_free(p);
}

/* ---- Strict globals and errors ----------------------------------------------------------- */

static void test_strict_globals(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(
        "counter = 0\n"
        "local maybe = not_defined_at_load\n"
        "local function helper() return undefined_thing end\n"
        "return {\n"
        "  include = function(p)\n"
        "    if p.id == 1 then counter = counter + 1 return counter == 1 end\n"
        "    if p.id == 2 then newglobal = 1 end\n"
        "    if p.id == 3 then return helper() end\n"
        "    if p.id == 4 then string = nil end\n"
        "    return maybe == nil\n"
        "  end,\n"
        "  attributes = function(p) return {} end,\n"
        "  upn = function(p) return 'a@example.com' end,\n"
        "}\n");
    hrs_decision d;
    decide_ok(p, 1, &d);
    assert_int_equal(d.include, 1);
    hrs_decision_clear(&d);
    assert_contains(decide_fails(p, 2, HRS_POLICY_ERROR),
                    "policy.lua:7: assignment to undeclared global 'newglobal'");
    assert_contains(decide_fails(p, 3, HRS_POLICY_ERROR), "policy.lua:3: undefined global 'undefined_thing'");
    assert_contains(decide_fails(p, 4, HRS_POLICY_ERROR), "assignment to undeclared global 'string'");
    decide_ok(p, 5, &d);
    assert_int_equal(d.include, 1);
    hrs_decision_clear(&d);
    hrs_policy_free(p);
}

static void test_errors_carry_location_and_traceback(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(
        "local util = require 'lib.util'\n"
        "local function inner(p) error('boom for ' .. p.first_name) end\n"
        "return {\n"
        "  include = function(p)\n"
        "    if p.id == 1 then inner(p) end\n"
        "    if p.id == 2 then error({ code = 7 }) end\n"
        "    if p.id == 3 then util.fail() end\n"
        "    if p.id == 4 then local t = nil; return t.x end\n"
        "    if p.id == 5 then util.leak() end\n"
        "    return true\n"
        "  end,\n"
        "  attributes = function(p) return {} end,\n"
        "  upn = function(p) return 'a@example.com' end,\n"
        "}\n");
    const char *msg = decide_fails(p, 1, HRS_POLICY_ERROR);
    assert_contains(msg, "person 1: hook 'include' failed: policy.lua:2: boom for Anna");
    assert_contains(msg, "stack traceback:");
    assert_contains(msg, "policy.lua:5: in");
    msg = decide_fails(p, 2, HRS_POLICY_ERROR);
    assert_contains(msg, "policy.lua:6: (error object is a table value)");
    msg = decide_fails(p, 3, HRS_POLICY_ERROR);
    assert_contains(msg, "lib/util.lua:3: util failed");
    assert_contains(msg, "policy.lua:7: in");
    msg = decide_fails(p, 4, HRS_POLICY_ERROR);
    assert_contains(msg, "policy.lua:8: attempt to index a nil value (local 't')");
    msg = decide_fails(p, 5, HRS_POLICY_ERROR);
    assert_contains(msg, "lib/util.lua:4: assignment to undeclared global 'leaked_global'");
    hrs_policy_free(p);
}

/* ---- Invalid returns --------------------------------------------------------------------- */

static void assert_invalid(const char *include, const char *attributes, const char *upn,
                           const char *groups, const char *needle)
{
    hrs_policy *p = load_ok(policy_of(include ? include : "function() return true end", attributes,
                                      upn, groups));
    const char *msg = decide_fails_in(p, 1001, HRS_POLICY_INVALID, needle);
    if (!strstr(msg, needle)) fail_msg("expected \"%s\" in \"%s\"", needle, msg);
    hrs_policy_free(p);
}

static void test_invalid_returns(void **state)
{
    (void)state;
    assert_invalid("function() end", NULL, NULL, NULL,
                   "person 1001: policy.lua:2: include(): returned nothing, expected true or false");
    assert_invalid("function() return nil end", NULL, NULL, NULL, "include(): returned nil, expected true or false");
    assert_invalid("function() return 'yes' end", NULL, NULL, NULL, "include(): returned a string, expected true");
    assert_invalid("function() return true, 5 end", NULL, NULL, NULL, "returned a number as the reason");
    assert_invalid(NULL, "function(p) return { givenName = 42 } end", NULL, NULL,
                   "person 1001: policy.lua:3: attributes(): value of 'givenName' is a number, expected a string");
    assert_invalid(NULL, "function(p) return { givenName = print } end", NULL, NULL,
                   "attributes(): value of 'givenName' is a function, expected a string");
    assert_invalid(NULL, "function(p) return { jobtitle = 'Engineer' } end", NULL, NULL,
                   "attributes(): unknown attribute 'jobtitle' (did you mean 'jobTitle'?)");
    assert_invalid(NULL, "function(p) return { employeeId = '12345678901234567' } end", NULL, NULL,
                   "value of 'employeeId' is 17 characters long, the limit is 16");
    assert_invalid(NULL, "function(p) return { hireDate = '2024-01-01T00:00:00Z' } end", NULL, NULL,
                   "use 'employeeHireDate'");
    assert_invalid(NULL, "function(p) return 'Anna' end", NULL, NULL,
                   "attributes(): returned a string, expected a table of attributes");
    assert_invalid(NULL, "function(p) return { 'Anna' } end", NULL, NULL,
                   "the returned table is a list, expected named fields");
    assert_invalid(NULL, "function(p) return { givenName = 'A', [1] = 'x' } end", NULL, NULL,
                   "mixes list items and named fields");
    assert_invalid(NULL, "function(p) return { givenName = 1.5 } end", NULL, NULL, "is a number");
    assert_invalid(NULL, "function(p) return { businessPhones = { x = '1' } } end", NULL, NULL,
                   "value of 'businessPhones' is a table of named fields, expected a list");
    assert_invalid(NULL, "function(p) return { employeeOrgData = { division = print } } end", NULL, NULL,
                   "value of 'employeeOrgData.division' is a function");
    assert_invalid(NULL, "function(p) return { b = print, a = print, c = 1 } end", NULL, NULL,
                   "value of 'a' is a function");
    assert_invalid(NULL, "function(p) local t = {} t.self = t return { employeeOrgData = t } end", NULL, NULL,
                   "nested more than");
    assert_invalid(NULL, "function(p) return { givenName = 'a\\255b' } end", NULL, NULL, "not valid UTF-8");
    assert_invalid(NULL, NULL, "function() return { 'a@example.com', 5 } end", NULL,
                   "person 1001: policy.lua:4: upn(): candidate 2 is a number, expected a string");
    assert_invalid(NULL, NULL, "function() return 'anna berg@example.com' end", NULL,
                   "upn(): candidate 1: invalid UPN 'anna berg@example.com': character ' ' is not allowed");
    assert_invalid(NULL, NULL, "function() return {} end", NULL, "upn(): returned no candidates");
    assert_invalid(NULL, NULL, "function() return nil end", NULL, "upn(): returned nil, expected a list of strings");
    assert_invalid(NULL, NULL, "function() return { [2] = 'a@example.com' } end", NULL, "not a list");
    assert_invalid(NULL, NULL, NULL, "function() return { 'Sales', {} } end",
                   "policy.lua:5: groups(): group 2 is a table, expected a string");
    assert_invalid(NULL, NULL, NULL, "function() return 'Sales' end", "groups(): returned a string");
    assert_invalid(NULL, NULL, NULL, "function() return { '' } end", "a group name is empty");

    hrs_policy *p = load_ok(policy_of("function() return true end", NULL, NULL, "function() return nil end"));
    hrs_decision d;
    decide_ok(p, 1, &d);
    assert_int_equal(json_array_size(d.groups), 0);
    hrs_decision_clear(&d);
    hrs_policy_free(p);
}

/* ---- Clock and require ------------------------------------------------------------------- */

static void test_pinned_clock(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(policy_of(
        "function(p) "
        "assert(hrsync_today() == '" TODAY "', hrsync_today()) "
        "assert(os.date('%Y-%m-%d') == '" TODAY "', os.date('%Y-%m-%d')) "
        "assert(os.time() == " TODAY_EPOCH ", os.time()) "
        "assert(os.time{ year = 2025, month = 3, day = 14, hour = 0 } == os.time()) "
        "assert(os.time{ year = 2025, month = 3, day = 14 } == os.time() + 12 * 3600) "
        "local t = os.date('*t') "
        "assert(t.year == 2025 and t.month == 3 and t.day == 14 and t.hour == 0 and t.wday == 6 and t.yday == 73) "
        "assert(os.date('!%Y-%m-%dT%H:%M:%SZ', os.time() + 86400) == '2025-03-15T00:00:00Z') "
        "assert(type(os.clock()) == 'number') "
        "assert(not pcall(os.date, '%Ez'), 'E modifier') "
        "assert(not pcall(os.time, { year = 2025 }), 'missing field') "
        "return true end",
        "function(p) return { employeeHireDate = os.date('%Y-%m-%dT%H:%M:%SZ') } end", NULL, NULL));
    hrs_decision d;
    decide_ok(p, 1, &d);
    assert_string_equal(json_string_value(json_object_get(d.attributes, "employeeHireDate")),
                        TODAY "T00:00:00Z");
    hrs_decision_clear(&d);
    hrs_err err;
    assert_int_equal(hrs_policy_set_today(p, "2025-13-01", &err), -1);
    assert_contains(err.msg, "not a date");
    assert_int_equal(hrs_policy_set_today(p, "2025-12-31", &err), 0);   /* the next cycle */
    assert_contains(decide_fails(p, 1, HRS_POLICY_ERROR), "2025-12-31");   /* include's asserts see it */
    hrs_policy_free(p);
}

static void test_require(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(policy_of(
        "function(p) "
        "assert(require 'names' == require 'names', 'cached') "
        "assert(require('lib.pkg').from_init, 'init.lua') "
        "assert(require('hrsync.fake').today() == '" TODAY "') "
        "local d = require 'declares' assert(d.get() == 'mine', 'module global at load') "
        "assert(not pcall(function() return module_global end), 'module globals stay in the module') "
        "return true end", NULL, NULL, NULL));
    hrs_decision d;
    decide_ok(p, 1, &d);
    hrs_decision_clear(&d);
    hrs_policy_free(p);
    assert_include_fails("require 'loop_a'", HRS_POLICY_ERROR, "module 'loop_a' is required again while it loads");
    assert_include_fails("require 'badmod'", HRS_POLICY_ERROR, "badmod.lua:2: badmod cannot load");
    /* After a failed load the module can be tried again (no stale loop mark). */
    assert_include_fails("pcall(require, 'badmod') require 'badmod'", HRS_POLICY_ERROR, "badmod cannot load");
    assert_include_fails("require 'hrsync.nothere'", HRS_POLICY_ERROR,
                         "module 'hrsync.nothere' not found: no hrsync.nothere.lua in the shipped library folder");

    /* Without a library folder, hrsync.* cannot be found. */
    write_text(dir, "policy.lua", policy_of("function() require 'hrsync.fake' return true end", NULL, NULL, NULL));
    hrs_policy_opts o = { path, NULL, TODAY, 0, 0, NULL, 0 };
    hrs_err err;
    p = hrs_policy_load(&o, &err);
    assert_non_null(p);
    assert_contains(decide_fails(p, 1, HRS_POLICY_ERROR), "no library folder is configured");
    hrs_policy_free(p);
}

/* The modules of the shipped library (scripts/hrsync/) load in the sandbox and find the clock
 * (all but hrsync.testing, which is for specs and needs io and the Lua module). */
static void test_shipped_library_loads(void **state)
{
    (void)state;
    char scripts[512], folder[600];
    snprintf(scripts, sizeof scripts, "%s/scripts", HRSYNC_TEST_SOURCE_DIR);
    snprintf(folder, sizeof folder, "%s/hrsync", scripts);
    DIR *dp = opendir(folder);
    if (!dp) {
        skip();
        return;
    }
    char body[4096] = "function(p) ";
    struct dirent *de;
    while ((de = readdir(dp))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strcmp(de->d_name + n - 4, ".lua") != 0) continue;
        if (strcmp(de->d_name, "testing.lua") == 0) continue;   /* the test kit runs in busted, not in policies */
        char line[200];
        snprintf(line, sizeof line, "require 'hrsync.%.*s' ", (int)(n - 4), de->d_name);
        strncat(body, line, sizeof body - strlen(body) - 1);
    }
    closedir(dp);
    snprintf(folder, sizeof folder, "%s/hrsync/clock.lua", scripts);
    if (access(folder, R_OK) == 0)
        strncat(body, "assert(require('hrsync.clock').today() == '" TODAY "') ",
                sizeof body - strlen(body) - 1);
    strncat(body, "return true end", sizeof body - strlen(body) - 1);
    write_text(dir, "policy.lua", policy_of(body, NULL, NULL, NULL));
    hrs_policy_opts o = { path, scripts, TODAY, 0, 0, NULL, 0 };
    hrs_err err;
    hrs_policy *p = hrs_policy_load(&o, &err);
    if (!p) fail_msg("%s", err.msg);
    hrs_decision d;
    decide_ok(p, 1, &d);
    hrs_decision_clear(&d);
    hrs_policy_free(p);
}

static void test_hooks_kept_privately(void **state)
{
    (void)state;
    hrs_policy *p = load_ok(
        "local M = {}\n"
        "function M.include(p) M.include = nil M.upn = function() return 5 end return true end\n"
        "function M.attributes(p) return {} end\n"
        "function M.upn(p) return 'a@example.com' end\n"
        "return M\n");
    hrs_decision d;
    decide_ok(p, 1, &d);
    hrs_decision_clear(&d);
    decide_ok(p, 2, &d);                /* the copy of the hooks is unchanged */
    assert_string_equal(json_string_value(json_array_get(d.upns, 0)), "a@example.com");
    hrs_decision_clear(&d);
    hrs_policy_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_budget_stops_loop),
        cmocka_unit_test(test_budget_survives_pcall),
        cmocka_unit_test(test_memory_cap),
        cmocka_unit_test(test_many_people_small_heap),
        cmocka_unit_test(test_strict_globals),
        cmocka_unit_test(test_errors_carry_location_and_traceback),
        cmocka_unit_test(test_invalid_returns),
        cmocka_unit_test(test_pinned_clock),
        cmocka_unit_test(test_require),
        cmocka_unit_test(test_shipped_library_loads),
        cmocka_unit_test(test_hooks_kept_privately),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
