/* policy_harness.h: what the policy VM tests (test_policy.c, test_policy_limits.c) share: a
 * mkdtemp folder for policies and a copy of the shipped library, loaders, and assertions on
 * decisions and failures. Header-only, for the tests. */
#ifndef HRSYNC_TEST_POLICY_HARNESS_H
#define HRSYNC_TEST_POLICY_HARNESS_H

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

static inline void write_file(const char *root, const char *rel, const char *data, size_t len)
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

static inline void write_text(const char *root, const char *rel, const char *text)
{
    write_file(root, rel, text, strlen(text));
}

static inline hrs_policy *load_with(const char *text, long budget, size_t memory, hrs_err *err)
{
    write_text(dir, "policy.lua", text);
    hrs_policy_opts o = { path, lib, TODAY, budget, memory, NULL, 0 };
    hrs_err_clear(err);
    return hrs_policy_load(&o, err);
}

static inline hrs_policy *load_ok(const char *text)
{
    hrs_err err;
    hrs_policy *p = load_with(text, 200000, 0, &err);
    if (!p) fail_msg("policy should load: %s", err.msg);
    return p;
}

static inline void assert_load_fails(const char *text, const char *needle)
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
static inline const char *policy_of(const char *include, const char *attributes, const char *upn,
                             const char *groups)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "return {\n  include = %s,\n  attributes = %s,\n  upn = %s,\n"
             "  groups = %s,\n}\n", include, attributes ? attributes : ATTRS_OK,
             upn ? upn : UPN_OK, groups ? groups : "nil");
    return buf;
}

static inline json_t *person_with_id(long long id)
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
static inline const char *decide_fails_in(hrs_policy *p, long long id, hrs_policy_failure kind, const char *ctx)
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

static inline void decide_ok(hrs_policy *p, long long id, hrs_decision *d)
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
static inline void assert_include_fails(const char *body, hrs_policy_failure kind, const char *needle)
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

static inline int dump_writer(lua_State *L, const void *part, size_t size, void *ud)
{
    (void)L;
    dumpbuf *b = ud;
    if (b->len + size > sizeof b->data) return 1;
    memcpy(b->data + b->len, part, size);
    b->len += size;
    return 0;
}

static inline const dumpbuf *bytecode(void)
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
static inline int remove_tree(const char *p)
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
            int w = snprintf(child, sizeof child, "%s/%s", p, de->d_name);
            if (w > 0 && (size_t)w < sizeof child) remove_tree(child);
        }
        closedir(d);
        return rmdir(p);
    }
    return unlink(p);
}

static inline int group_setup(void **state)
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

static inline int group_teardown(void **state)
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

#endif
