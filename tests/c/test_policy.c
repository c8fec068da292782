/* test_policy.c: the policy VM (engine/policy*.c): loading, hooks, the sandbox's walls,
 * budgets, memory cap, strict globals, errors with file:line, conversions and the clock.
 * Policies and modules are written into a mkdtemp folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrsync/policy.h"

#define assert_contains(hay, needle)                                                     \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!strstr(h_, n_)) fail_msg("expected \"%s\" in \"%s\"", n_, h_);               \
    } while (0)

#define TODAY "2025-03-14"
#define TODAY_EPOCH "1741910400"

static char dir[256];        /* the policy folder */
static char lib[300];        /* the library folder */
static char path[320];       /* dir/policy.lua */

/* ---- Helpers ----------------------------------------------------------------------------- */

static void write_file(const char *root, const char *rel, const char *data, size_t len)
{
    char p[600];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        if (mkdir(p, 0700) != 0 && errno != EEXIST) fail_msg("mkdir %s: %s", p, strerror(errno));
        *s = '/';
    }
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

static void write_text(const char *root, const char *rel, const char *text)
{
    write_file(root, rel, text, strlen(text));
}

static hrs_policy *load_with(const char *text, long budget, size_t memory, hrs_err *err)
{
    write_text(dir, "policy.lua", text);
    hrs_policy_opts o = { path, lib, TODAY, budget, memory, NULL, 0 };
    hrs_err_clear(err);
    return hrs_policy_load(&o, err);
}

static hrs_policy *load_ok(const char *text)
{
    hrs_err err;
    hrs_policy *p = load_with(text, 200000, 0, &err);
    if (!p) fail_msg("policy should load: %s", err.msg);
    return p;
}

static void assert_load_fails(const char *text, const char *needle)
{
    hrs_err err;
    hrs_policy *p = load_with(text, 200000, 0, &err);
    if (p) {
        hrs_policy_free(p);
        fail_msg("policy should not load (expected \"%s\")", needle);
    }
    assert_true(err.set);
    assert_contains(err.msg, needle);
}

/* A policy of one-line hooks: include on line 2, attributes on 3, upn on 4, groups on 5. */
#define ATTRS_OK "function(p) return { givenName = p.first_name, displayName = 'Anna Berg' } end"
#define UPN_OK "function(p) return 'anna.berg@example.com' end"
static const char *policy_of(const char *include, const char *attributes, const char *upn,
                             const char *groups)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "return {\n  include = %s,\n  attributes = %s,\n  upn = %s,\n"
             "  groups = %s,\n}\n", include, attributes ? attributes : ATTRS_OK,
             upn ? upn : UPN_OK, groups ? groups : "nil");
    return buf;
}

static json_t *person_with_id(long long id)
{
    json_t *p = json_pack("{sI ss ss ss ss ss sn s[sns] s{s{sf}}}",
                          "id", (json_int_t)id, "first_name", "Anna", "last_name", "Berg",
                          "status", "active", "department", "Sales", "hire_date", "2024-02-01",
                          "termination_date", "tags", "a", "b", "raw", "nested", "x", 1.5);
    assert_non_null(p);
    return p;
}

/* Decides for person `id`, expecting a failure of `kind`; returns the message (static). ctx
 * names the case when the expectation fails. */
static const char *decide_fails_in(hrs_policy *p, long long id, hrs_policy_failure kind, const char *ctx)
{
    static hrs_err err;
    hrs_decision d;
    json_t *person = person_with_id(id);
    hrs_err_clear(&err);
    int rc = hrs_policy_decide(p, person, &d, &err);
    json_decref(person);
    if (rc == 0) {
        hrs_decision_clear(&d);
        fail_msg("%s: decide for person %lld should fail", ctx, id);
    }
    assert_true(err.set);
    assert_null(d.attributes);
    assert_null(d.upns);
    if (hrs_policy_last_failure(p) != kind)
        fail_msg("%s: failure kind %d, expected %d: %s", ctx, (int)hrs_policy_last_failure(p), (int)kind, err.msg);
    return err.msg;
}
#define decide_fails(p, id, kind) decide_fails_in((p), (id), (kind), __func__)

static void decide_ok(hrs_policy *p, long long id, hrs_decision *d)
{
    hrs_err err;
    json_t *person = person_with_id(id);
    hrs_err_clear(&err);
    int rc = hrs_policy_decide(p, person, d, &err);
    json_decref(person);
    if (rc != 0) fail_msg("decide should succeed: %s", err.msg);
    assert_int_equal(hrs_policy_last_failure(p), HRS_POLICY_OK);
}

/* One policy whose include runs `body`, then fails with `needle` in the message. */
static void assert_include_fails(const char *body, hrs_policy_failure kind, const char *needle)
{
    char include[2048];
    snprintf(include, sizeof include, "function(p) %s return true end", body);
    hrs_policy *p = load_ok(policy_of(include, NULL, NULL, NULL));
    const char *msg = decide_fails_in(p, 1001, kind, body);
    if (!strstr(msg, needle)) fail_msg("for `%s`: expected \"%s\" in \"%s\"", body, needle, msg);
    hrs_policy_free(p);
}

/* A precompiled chunk, made by a plain Lua state (the sandbox cannot make one). */
typedef struct dumpbuf {
    char data[8192];
    size_t len;
} dumpbuf;

static int dump_writer(lua_State *L, const void *part, size_t size, void *ud)
{
    (void)L;
    dumpbuf *b = ud;
    if (b->len + size > sizeof b->data) return 1;
    memcpy(b->data + b->len, part, size);
    b->len += size;
    return 0;
}

static const dumpbuf *bytecode(void)
{
    static dumpbuf b;
    b.len = 0;
    lua_State *L = luaL_newstate();
    assert_non_null(L);
    assert_int_equal(luaL_loadstring(L, "return { include = function() return true end }"), LUA_OK);
    assert_int_equal(lua_dump(L, dump_writer, &b, 0), 0);
    lua_close(L);
    assert_true(b.len > 4 && b.data[0] == 0x1b);
    return &b;
}

/* ---- Fixture ----------------------------------------------------------------------------- */

/* Removes a folder and everything in it. */
static int remove_tree(const char *p)
{
    struct stat st;
    if (lstat(p, &st) != 0) return -1;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(p);
        if (!d) return -1;
        struct dirent *de;
        while ((de = readdir(d))) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
            char child[1024];
            snprintf(child, sizeof child, "%s/%s", p, de->d_name);
            remove_tree(child);
        }
        closedir(d);
        return rmdir(p);
    }
    return unlink(p);
}

static int group_setup(void **state)
{
    (void)state;
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/hrsync-policy-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) return -1;
    snprintf(lib, sizeof lib, "%s/lib-root", dir);
    snprintf(path, sizeof path, "%s/policy.lua", dir);
    if (mkdir(lib, 0700) != 0) return -1;
    write_text(dir, "names.lua",
               "local M = {}\n"
               "function M.display(p) return p.first_name .. ' ' .. p.last_name end\n"
               "return M\n");
    write_text(dir, "lib/util.lua",
               "local M = {}\n"
               "function M.upn(p) return (p.first_name .. '.' .. p.last_name):lower() .. '@example.com' end\n"
               "function M.fail() error('util failed') end\n"
               "function M.leak() leaked_global = 1 end\n"
               "return M\n");
    write_text(dir, "lib/pkg/init.lua", "return { from_init = true }\n");
    write_text(dir, "loop_a.lua", "return require 'loop_b'\n");
    write_text(dir, "loop_b.lua", "return require 'loop_a'\n");
    write_text(dir, "badmod.lua", "local x = 1\nerror('badmod cannot load')\n");
    write_text(dir, "declares.lua", "module_global = 'mine'\nreturn { get = function() return module_global end }\n");
    write_text(lib, "hrsync/fake.lua",
               "local M = {}\n"
               "function M.alt(p) return p.first_name:sub(1, 1):lower() .. '.' .. p.last_name:lower() .. '@example.com' end\n"
               "function M.today() return hrsync_today() end\n"
               "return M\n");
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    return remove_tree(dir);
}

/* ---- A good policy ----------------------------------------------------------------------- */

static const char good_policy[] =
    "local names = require 'names'\n"
    "local util = require 'lib.util'\n"
    "local fake = require 'hrsync.fake'\n"
    "return {\n"
    "  name = 'test policy', version = 1,\n"
    "  include = function(p)\n"
    "    if p.status ~= 'active' then return false, 'status is ' .. p.status end\n"
    "    return true, 'active'\n"
    "  end,\n"
    "  attributes = function(p)\n"
    "    return {\n"
    "      givenName = p.first_name, surname = p.last_name,\n"
    "      displayName = names.display(p),\n"
    "      employeeId = tostring(p.id),\n"
    "      department = p.department,\n"
    "      employeeHireDate = p.hire_date .. 'T00:00:00Z',\n"
    "      employeeLeaveDateTime = hrsync_null,\n"
    "      usageLocation = 'DE',\n"
    "      businessPhones = {},\n"
    "      showInAddressList = true,\n"
    "      deviceEnrollmentLimit = 5,\n"
    "      employeeOrgData = { division = 'EMEA' },\n"
    "    }\n"
    "  end,\n"
    "  upn = function(p)\n"
    "    return { util.upn(p), 'ANNA.BERG@example.com', fake.alt(p), util.upn(p) }\n"
    "  end,\n"
    "  groups = function(p) return { 'All staff', 'Dept ' .. p.department, 'All staff' } end,\n"
    "  lifecycle = { create_days_before = 7, start_disabled = true, ratio = 0.5,\n"
    "                leaver = { revoke_sessions = true }, notify = { 'it@example.com' } },\n"
    "}\n";

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
        cmocka_unit_test(test_good_policy_decides),
        cmocka_unit_test(test_person_conversion),
        cmocka_unit_test(test_syntax_error_names_line),
        cmocka_unit_test(test_unknown_hook_did_you_mean),
        cmocka_unit_test(test_hook_table_shape),
        cmocka_unit_test(test_binary_chunks_refused),
        cmocka_unit_test(test_forbidden_calls),
        cmocka_unit_test(test_allowed_library),
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
