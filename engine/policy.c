/* policy.c: loading a policy and running its hooks for one person (see include/hrsync/policy.h).
 *
 * Load: a fresh sandboxed VM (policy_sandbox.c) runs the file under the budget; the table it
 * returns is checked against the allowed hook names (with a "did you mean"), the hooks are
 * copied into a private table in the registry (so later changes to the policy's own table do
 * not matter), and lifecycle becomes JSON. Decide: each hook gets a fresh copy of the person,
 * runs through hrs_policy_sandbox_call, and its results are converted (policy_convert.c) and
 * checked (validate.c). Errors name the person, the hook and the admin's file:line. */
#include "hrsync/policy.h"
#include "hrsync/policy_convert.h"
#include "hrsync/policy_sandbox.h"
#include "hrsync/validate.h"

#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BUDGET 10000000L
#define DEFAULT_MEMORY ((size_t)64 << 20)

/* Hooks, by their index in the private hooks table. */
enum { H_INCLUDE = 1, H_ATTRIBUTES, H_UPN, H_GROUPS, H_COUNT };
static const char *const hook_names[H_COUNT] = { NULL, "include", "attributes", "upn", "groups" };

/* Every name a policy may return: the hooks, lifecycle, and reserved names. */
static const char *const allowed_names[] = {
    "include", "attributes", "upn", "groups", "lifecycle",
    "name", "version", "description", "settings",           /* reserved: accepted, ignored */
};
#define N_ALLOWED (sizeof allowed_names / sizeof allowed_names[0])

struct hrs_policy {
    hrs_sandbox sb;                       /* first: its address is the allocator's state */
    int hooks_ref;                        /* registry ref of the private hooks table */
    int has_groups;
    char hook_where[H_COUNT][HRS_SANDBOX_WHERE];  /* "policy.lua:12", where each is defined */
    char display[256];                    /* the policy file's name, for messages */
    json_t *lifecycle;                    /* object, owned */
    hrs_policy_failure last;              /* of the last decide */
};

/* ---- Load ---------------------------------------------------------------------------------- */

static int is_allowed(const char *name)
{
    for (size_t i = 0; i < N_ALLOWED; i++)
        if (strcmp(allowed_names[i], name) == 0) return 1;
    return 0;
}

static int hook_index(const char *name)
{
    for (int h = H_INCLUDE; h < H_COUNT; h++)
        if (strcmp(hook_names[h], name) == 0) return h;
    return 0;
}

/* Checks the names and types in the returned table at idx and converts lifecycle. Only reads
 * the stack (lua_next, no allocation), so it runs unprotected. Problems are reported in a
 * fixed order (unknown names, sorted; then hooks in order; then lifecycle), whatever the
 * table's hash order. */
static int check_hook_table(hrs_policy *p, lua_State *L, int idx, hrs_err *err)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return hrs_err_set(err, "%s: the file must return a table of hooks, e.g. return { include = …, "
                           "attributes = …, upn = … } (it returned %s)", p->display,
                           lua_type(L, idx) == LUA_TNIL ? "nothing: did you forget 'return'?"
                                                        : luaL_typename(L, idx));
    const char *unknown = NULL;          /* the unknown name that sorts first */
    int type[H_COUNT] = { 0 };           /* Lua type of each hook, LUA_TNIL if absent */
    int lifecycle = LUA_TNIL;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            const char *t = luaL_typename(L, -2);
            lua_pop(L, 2);
            return hrs_err_set(err, "%s: the returned table has a %s key; hooks are named "
                               "(include, attributes, upn, groups, lifecycle)", p->display, t);
        }
        const char *k = lua_tostring(L, -2);
        int h = hook_index(k);
        if (h) {
            type[h] = lua_type(L, -1);
            if (type[h] == LUA_TFUNCTION)
                hrs_policy_sandbox_where(L, -1, p->hook_where[h], sizeof p->hook_where[h]);
        } else if (strcmp(k, "lifecycle") == 0) {
            lifecycle = lua_type(L, -1);
        } else if (!is_allowed(k) && (!unknown || strcmp(k, unknown) < 0)) {
            unknown = k;
        }
        lua_pop(L, 1);
    }
    if (unknown) {
        const char *hint = hrs_validate_closest(unknown, allowed_names, N_ALLOWED);
        char dym[96] = "";
        if (hint) snprintf(dym, sizeof dym, " (did you mean '%s'?)", hint);
        return hrs_err_set(err, "%s: unknown hook '%s'%s; allowed names: include, attributes, upn, "
                           "groups, lifecycle (reserved: name, version, description, settings)",
                           p->display, unknown, dym);
    }
    for (int h = H_INCLUDE; h < H_COUNT; h++) {
        if (type[h] == LUA_TNIL && h != H_GROUPS)
            return hrs_err_set(err, "%s: the returned table has no '%s' hook (include, attributes "
                               "and upn are required)", p->display, hook_names[h]);
        if (type[h] != LUA_TNIL && type[h] != LUA_TFUNCTION)
            return hrs_err_set(err, "%s: hook '%s' is a %s, expected a function", p->display,
                               hook_names[h], lua_typename(L, type[h]));
    }
    p->has_groups = type[H_GROUPS] == LUA_TFUNCTION;
    if (lifecycle != LUA_TNIL && lifecycle != LUA_TTABLE)
        return hrs_err_set(err, "%s: 'lifecycle' is a %s, expected a table of settings", p->display,
                           lua_typename(L, lifecycle));
    if (lifecycle == LUA_TNIL) {
        p->lifecycle = json_object();
        return p->lifecycle ? 0 : hrs_err_set(err, "%s: out of memory", p->display);
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (strcmp(lua_tostring(L, -2), "lifecycle") == 0) {
            p->lifecycle = hrs_policy_convert_value(L, -1, "lifecycle", err);
            lua_pop(L, 2);
            break;
        }
        lua_pop(L, 1);
    }
    if (!p->lifecycle) return hrs_err_prefix(err, "%s", p->display);
    if (!json_is_object(p->lifecycle))
        return hrs_err_set(err, "%s: 'lifecycle' is a list, expected a table of named settings", p->display);
    return 0;
}

/* Copies the hooks of the table (argument 1) into a new private table, referenced from the
 * registry. Returns the reference. Runs protected: it allocates. */
static int l_keep_hooks(lua_State *L)
{
    lua_createtable(L, H_COUNT, 0);
    for (int h = H_INCLUDE; h < H_COUNT; h++) {
        lua_getfield(L, 1, hook_names[h]);
        lua_rawseti(L, -2, h);
    }
    lua_pushinteger(L, luaL_ref(L, LUA_REGISTRYINDEX));
    return 1;
}

static int resolve_paths(hrs_policy *p, const hrs_policy_opts *opts, char *abs, hrs_err *err)
{
    if (!realpath(opts->path, abs))
        return hrs_err_set(err, "cannot open policy %s: %s", opts->path, strerror(errno));
    char *slash = strrchr(abs, '/');
    snprintf(p->display, sizeof p->display, "%s", slash + 1);
    size_t dl = (size_t)(slash - abs);
    if (dl == 0) dl = 1;                 /* a file in "/" */
    snprintf(p->sb.policy_dir, sizeof p->sb.policy_dir, "%.*s", (int)dl, abs);
    if (opts->lib_dir && opts->lib_dir[0] && !realpath(opts->lib_dir, p->sb.lib_dir))
        return hrs_err_set(err, "library folder %s: %s", opts->lib_dir, strerror(errno));
    return 0;
}

static int set_today(hrs_sandbox *sb, const char *today, hrs_err *err)
{
    char buf[32];
    if (!today) {
        time_t now = time(NULL);
        struct tm tm;
        if (!gmtime_r(&now, &tm)) return hrs_err_set(err, "cannot read the clock");
        snprintf(buf, sizeof buf, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
        today = buf;
    }
    time_t t;
    if (hrs_policy_sandbox_parse_day(today, &t, err)) return -1;
    sb->now = t;
    memcpy(sb->today, today, 10);    /* parse_day checked it is exactly YYYY-MM-DD */
    sb->today[10] = '\0';
    return 0;
}

hrs_policy *hrs_policy_load(const hrs_policy_opts *opts, hrs_err *err)
{
    if (!opts || !opts->path) {
        hrs_err_set(err, "no policy file given");
        return NULL;
    }
    if (opts->instruction_budget < 0) {
        hrs_err_set(err, "policy %s: the instruction budget is negative", opts->path);
        return NULL;
    }
    hrs_policy *p = calloc(1, sizeof *p);
    if (!p) {
        hrs_err_set(err, "out of memory loading policy %s", opts->path);
        return NULL;
    }
    p->hooks_ref = LUA_NOREF;
    p->sb.budget = opts->instruction_budget ? opts->instruction_budget : DEFAULT_BUDGET;
    p->sb.mem_limit = opts->memory_limit ? opts->memory_limit : DEFAULT_MEMORY;
    char abs[PATH_MAX];
    if (resolve_paths(p, opts, abs, err) || set_today(&p->sb, opts->today, err) ||
        hrs_policy_sandbox_open(&p->sb, err))
        goto fail;

    lua_State *L = p->sb.L;
    if (opts->text ? hrs_policy_sandbox_loadtext(&p->sb, opts->text, opts->text_len, p->display, err)
                   : hrs_policy_sandbox_loadfile(&p->sb, abs, p->display, err))
        goto fail;                                                              /* fn, env */
    lua_insert(L, -2);                                                          /* env, fn */
    char phase[300];
    snprintf(phase, sizeof phase, "the main chunk of %s", p->display);
    hrs_policy_failure kind;
    if (hrs_policy_sandbox_call(&p->sb, 0, 1, phase, NULL, &kind, err)) goto fail;
    hrs_policy_sandbox_lock_env(L, 1);                   /* strict from now on */
    if (check_hook_table(p, L, 2, err)) goto fail;
    lua_pushcfunction(L, l_keep_hooks);
    lua_pushvalue(L, 2);
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        hrs_err_set(err, "%s: %s", p->display, lua_tostring(L, -1));
        goto fail;
    }
    p->hooks_ref = (int)lua_tointeger(L, -1);
    lua_settop(L, 0);
    return p;

fail:
    hrs_err_prefix(err, "cannot load policy");
    hrs_policy_free(p);
    return NULL;
}

int hrs_policy_set_today(hrs_policy *p, const char *today, hrs_err *err)
{
    if (!today) return hrs_err_set(err, "no date given");
    return set_today(&p->sb, today, err);
}

/* ---- Decide -------------------------------------------------------------------------------- */

/* Protected: converts the person (argument 2, light userdata) and calls the hook (1). */
static int l_invoke(lua_State *L)
{
    const json_t *person = lua_touserdata(L, 2);
    lua_settop(L, 1);
    hrs_policy_convert_push(L, person);
    lua_call(L, 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* Calls a hook; its results are left at 1..n. Returns n, or -1 with err. */
static int call_hook(hrs_policy *p, int hook, const json_t *person, const char *label, hrs_err *err)
{
    lua_State *L = p->sb.L;
    lua_settop(L, 0);
    lua_pushcfunction(L, l_invoke);
    lua_rawgeti(L, LUA_REGISTRYINDEX, p->hooks_ref);
    lua_rawgeti(L, -1, hook);
    lua_remove(L, -2);
    lua_pushlightuserdata(L, (void *)person);
    char phase[64];
    snprintf(phase, sizeof phase, "hook '%s'", hook_names[hook]);
    if (hrs_policy_sandbox_call(&p->sb, 2, LUA_MULTRET, phase, p->hook_where[hook], &p->last, err))
        return hrs_err_prefix(err, "%s", label);
    return lua_gettop(L);
}

/* A Lua value's type with an article, for messages: "nil", "a string", … */
static const char *a_type(lua_State *L, int idx)
{
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL: return "nil";
    case LUA_TBOOLEAN: return "a boolean";
    case LUA_TNUMBER: return "a number";
    case LUA_TSTRING: return "a string";
    case LUA_TTABLE: return "a table";
    case LUA_TFUNCTION: return "a function";
    default: return "a userdata";
    }
}

/* An invalid return: "person 7: policy.lua:12: attributes(): <what was wrong>". */
static int invalid(hrs_policy *p, int hook, const char *label, hrs_err *err)
{
    p->last = HRS_POLICY_INVALID;
    return hrs_err_prefix(err, "%s: %s: %s()", label, p->hook_where[hook], hook_names[hook]);
}

static void person_label(const json_t *person, char *buf, size_t n)
{
    const json_t *id = json_object_get(person, "id");
    if (json_is_string(id)) snprintf(buf, n, "person %.64s", json_string_value(id));
    else if (json_is_integer(id)) snprintf(buf, n, "person %lld", (long long)json_integer_value(id));
    else snprintf(buf, n, "person (no id)");
}

static int decide_include(hrs_policy *p, const json_t *person, const char *label,
                          hrs_decision *out, hrs_err *err)
{
    lua_State *L = p->sb.L;
    int n = call_hook(p, H_INCLUDE, person, label, err);
    if (n < 0) return -1;
    if (n < 1 || lua_type(L, 1) != LUA_TBOOLEAN) {
        hrs_err_set(err, "returned %s, expected true or false (and an optional reason)",
                    n < 1 ? "nothing" : a_type(L, 1));
        return invalid(p, H_INCLUDE, label, err);
    }
    if (n >= 2 && !lua_isnil(L, 2) && lua_type(L, 2) != LUA_TSTRING) {
        hrs_err_set(err, "returned %s as the reason, expected a string", a_type(L, 2));
        return invalid(p, H_INCLUDE, label, err);
    }
    out->include = lua_toboolean(L, 1);
    if (n >= 2 && lua_type(L, 2) == LUA_TSTRING) snprintf(out->reason, sizeof out->reason, "%s", lua_tostring(L, 2));
    return 0;
}

static int decide_attributes(hrs_policy *p, const json_t *person, const char *label,
                             hrs_decision *out, hrs_err *err)
{
    if (call_hook(p, H_ATTRIBUTES, person, label, err) < 0) return -1;
    out->attributes = hrs_policy_convert_attributes(p->sb.L, 1, err);
    if (!out->attributes || hrs_validate_attributes(out->attributes, err))
        return invalid(p, H_ATTRIBUTES, label, err);
    return 0;
}

static int decide_upn(hrs_policy *p, const json_t *person, const char *label, hrs_decision *out,
                      hrs_err *err)
{
    lua_State *L = p->sb.L;
    int n = call_hook(p, H_UPN, person, label, err);
    if (n < 0) return -1;
    if (n >= 1 && lua_type(L, 1) == LUA_TSTRING) {      /* one candidate, as a string */
        size_t len;
        const char *s = lua_tolstring(L, 1, &len);
        json_t *one = strlen(s) == len ? json_stringn(s, len) : NULL;
        out->upns = one ? json_array() : NULL;
        if (!out->upns || json_array_append_new(out->upns, one) != 0) {
            if (!out->upns) json_decref(one);
            hrs_err_set(err, "returned a string that is not valid UTF-8 text or contains a NUL byte");
            return invalid(p, H_UPN, label, err);
        }
    } else {
        out->upns = hrs_policy_convert_strings(L, 1, "candidate", 1, err);
        if (!out->upns) return invalid(p, H_UPN, label, err);
    }
    if (json_array_size(out->upns) == 0) {
        hrs_err_set(err, "returned no candidates");
        return invalid(p, H_UPN, label, err);
    }
    for (size_t i = 0; i < json_array_size(out->upns); i++) {
        if (hrs_validate_upn(json_string_value(json_array_get(out->upns, i)), err)) {
            hrs_err_prefix(err, "candidate %zu", i + 1);
            return invalid(p, H_UPN, label, err);
        }
    }
    return 0;
}

/* The optional second value of groups(): a list of {group = "…", rule = "…"} (what
 * hrsync.groups.evaluate returns). It only explains, so items of another shape are left out
 * rather than failing the person; NULL when nothing usable remains. */
static json_t *group_rules(lua_State *L, int idx)
{
    json_t *all = hrs_policy_convert_value(L, idx, "groups() second value", NULL);
    json_t *out = json_is_array(all) ? json_array() : NULL;
    size_t i;
    json_t *r;
    json_array_foreach(all, i, r) {
        const json_t *g = json_object_get(r, "group"), *rule = json_object_get(r, "rule");
        if (json_is_string(g) && json_is_string(rule))
            json_array_append_new(out, json_pack("{s:O, s:O}", "group", g, "rule", rule));
    }
    json_decref(all);
    if (out && json_array_size(out) == 0) {
        json_decref(out);
        out = NULL;
    }
    return out;
}

static int decide_groups(hrs_policy *p, const json_t *person, const char *label,
                         hrs_decision *out, hrs_err *err)
{
    if (!p->has_groups) {
        out->groups = json_array();
        return out->groups ? 0 : hrs_err_set(err, "%s: out of memory", label);
    }
    lua_State *L = p->sb.L;
    int n = call_hook(p, H_GROUPS, person, label, err);
    if (n < 0) return -1;
    if (n < 1 || lua_isnil(L, 1)) {
        out->groups = json_array();
        return out->groups ? 0 : hrs_err_set(err, "%s: out of memory", label);
    }
    out->groups = hrs_policy_convert_strings(L, 1, "group", 0, err);
    if (!out->groups) return invalid(p, H_GROUPS, label, err);
    for (size_t i = 0; i < json_array_size(out->groups); i++)
        if (hrs_validate_group_name(json_string_value(json_array_get(out->groups, i)), err))
            return invalid(p, H_GROUPS, label, err);
    if (n >= 2 && lua_type(L, 2) == LUA_TTABLE) out->group_rules = group_rules(L, 2);
    return 0;
}

int hrs_policy_decide(hrs_policy *p, const json_t *person, hrs_decision *out, hrs_err *err)
{
    memset(out, 0, sizeof *out);
    p->last = HRS_POLICY_OK;
    char label[96];
    if (!json_is_object(person)) {
        p->last = HRS_POLICY_INVALID;
        return hrs_err_set(err, "the person record is not a JSON object");
    }
    person_label(person, label, sizeof label);
    int rc = decide_include(p, person, label, out, err);
    if (rc == 0 && out->include)
        rc = decide_attributes(p, person, label, out, err) || decide_upn(p, person, label, out, err) ||
             decide_groups(p, person, label, out, err) ? -1 : 0;
    lua_settop(p->sb.L, 0);
    if (rc) {
        if (p->last == HRS_POLICY_OK) p->last = HRS_POLICY_ERROR;
        hrs_decision_clear(out);
    }
    return rc;
}

hrs_policy_failure hrs_policy_last_failure(const hrs_policy *p)
{
    return p ? p->last : HRS_POLICY_OK;
}

const json_t *hrs_policy_lifecycle(const hrs_policy *p)
{
    return p->lifecycle;
}

void hrs_policy_code_digest(const hrs_policy *p, char out[65])
{
    for (size_t i = 0; i < sizeof p->sb.modules_md; i++) snprintf(out + 2 * i, 3, "%02x", p->sb.modules_md[i]);
}

int hrs_policy_modules_on_disk(const hrs_policy *p, char out[65])
{
    unsigned char md[32];
    memset(md, 0, sizeof md);
    size_t i;
    json_t *m;
    json_array_foreach(p->sb.module_files, i, m)
        hrs_policy_sandbox_chain_module(md, json_string_value(json_array_get(m, 0)), json_string_value(json_array_get(m, 1)));
    for (size_t k = 0; k < sizeof md; k++) snprintf(out + 2 * k, 3, "%02x", md[k]);
    return memcmp(md, p->sb.modules_md, sizeof md) != 0;
}

void hrs_decision_clear(hrs_decision *d)
{
    if (!d) return;
    json_decref(d->attributes);
    json_decref(d->upns);
    json_decref(d->groups);
    json_decref(d->group_rules);
    memset(d, 0, sizeof *d);
}

void hrs_policy_free(hrs_policy *p)
{
    if (!p) return;
    hrs_policy_sandbox_close(&p->sb);
    json_decref(p->lifecycle);
    free(p);
}
