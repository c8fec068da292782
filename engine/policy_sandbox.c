/* policy_sandbox.c: the Lua VM a policy runs in (see include/hrsync/policy_sandbox.h).
 *
 * Built in C when the VM is created, as an allow-list:
 *   - an allocator that refuses to grow the VM past its memory limit (Lua then raises a
 *     memory error, which fails the hook call, not the host);
 *   - the base library's harmless functions, plus wrapped load / collectgarbage / setmetatable
 *     / rawset / print; string (no dump), table, math (fixed seed), utf8, and an os table with
 *     only time/date/clock on the pinned "today";
 *   - read-only proxies of the library tables, so that one chunk cannot break another's
 *     `string.format`; the real tables are reachable only from the registry;
 *   - an environment per chunk whose globals turn strict once the chunk has run.
 * The real global table of the VM is emptied after set-up: every chunk gets its own _ENV, and
 * no function that could reach the real one is left. */
#include "hrsync/policy_sandbox.h"
#include "hrsync/log.h"
#include "hrsync/validate.h"

#include <errno.h>
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Registry keys (their addresses). */
static const char base_key = 0;   /* the sandbox's globals: allowed functions and libraries */
static const char null_key = 0;   /* the hrsync_null sentinel */
static const char lock_key = 0;   /* in an environment's metatable: true once strict */

/* Base functions kept as they are. Each is a pure function of its arguments. */
static const char *const base_allowed[] = {
    "assert", "error", "getmetatable", "ipairs", "next", "pairs", "pcall", "rawequal",
    "rawget", "rawlen", "select", "tonumber", "tostring", "type", "_VERSION", NULL
};
/* Left out on purpose: dofile and loadfile (read any file; code comes in through require),
 * warn (writes to stderr), require from package (replaced by policy_require.c). Replaced by
 * sandbox versions below: load, collectgarbage, setmetatable, rawset, print, xpcall. */

/* Fields removed from the standard library tables. */
static const char *const string_removed[] = { "dump", NULL };      /* makes bytecode */
static const char *const math_removed[] = { "randomseed", NULL };  /* reseeds from the clock */

/* Module names `require` refuses outright, with a clear message, instead of searching. */
const char *const hrs_policy_sandbox_denied_modules[] = {
    "io", "debug", "package", "coroutine", "ffi", "jit", NULL
};

/* os.date conversions allowed (C99 strftime, without the E and O modifiers). */
#define DATE_CONVERSIONS "aAbBcCdDeFgGhHIjmMnprRStTuUVwWxXyYzZ%"

/* ---- Memory ------------------------------------------------------------------------------ */

/* The lua_Alloc of every policy VM: realloc/free with a running total checked against the
 * limit. Refusing returns NULL, and Lua turns that into a memory error in the running code. */
static void *sandbox_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    hrs_sandbox *sb = ud;
    size_t old = ptr ? osize : 0;   /* with ptr NULL, osize is a type tag, not a size */
    if (nsize == 0) {
        free(ptr);
        sb->mem_used -= old;
        return NULL;
    }
    if (nsize > old && nsize - old > sb->mem_limit - sb->mem_used) return NULL;
    void *np = realloc(ptr, nsize);
    if (!np) return nsize <= old ? ptr : NULL;   /* Lua assumes shrinking never fails */
    sb->mem_used = sb->mem_used - old + nsize;
    if (nsize > old) hrs_policy_sandbox_charge(sb, nsize - old);
    return np;
}

/* Only reached if C code calls into Lua outside a protected call: a bug in hrsync. */
static int panic(lua_State *L)
{
    const char *msg = lua_tostring(L, -1);
    hrs_error("policy VM: unprotected Lua error (a bug in hrsync): %s", msg ? msg : "?");
    return 0;   /* Lua aborts */
}

/* ---- Read-only library tables ------------------------------------------------------------ */

/* __newindex of a library proxy. upvalue 1: the library's name. */
static int l_readonly_newindex(lua_State *L)
{
    return luaL_error(L, "attempt to modify the read-only table '%s'",
                      lua_tostring(L, lua_upvalueindex(1)));
}

/* The iterator that __pairs of a proxy returns: next() over the real table, which stays in
 * the upvalue (pairs must not hand the real table out). upvalue 1: the real table. */
static int l_proxy_next(lua_State *L)
{
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 2);
    if (lua_next(L, -2)) return 2;
    lua_pushnil(L);
    return 1;
}

/* __pairs of a library proxy. upvalue 1: its iterator. */
static int l_readonly_pairs(lua_State *L)
{
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    return 3;
}

/* [-1, +1, m] Replaces the table on top with a read-only proxy of it. */
static void make_readonly(lua_State *L, const char *name)
{
    int real = lua_gettop(L);
    lua_newtable(L);                              /* the proxy */
    lua_createtable(L, 0, 4);                     /* its metatable */
    lua_pushvalue(L, real);
    lua_setfield(L, -2, "__index");
    lua_pushstring(L, name);
    lua_pushcclosure(L, l_readonly_newindex, 1);
    lua_setfield(L, -2, "__newindex");
    lua_pushvalue(L, real);
    lua_pushcclosure(L, l_proxy_next, 1);
    lua_pushcclosure(L, l_readonly_pairs, 1);
    lua_setfield(L, -2, "__pairs");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_replace(L, real);
}

/* ---- Strict environments ----------------------------------------------------------------- */

static int env_locked(lua_State *L, int env)
{
    int locked = 0;
    if (lua_getmetatable(L, env)) {
        lua_rawgetp(L, -1, &lock_key);
        locked = lua_toboolean(L, -1);
        lua_pop(L, 2);
    }
    return locked;
}

/* __index of an environment: the sandbox's globals, then nil while the chunk loads, then an
 * error. upvalue 1: the sandbox's globals. */
static int l_env_index(lua_State *L)
{
    lua_pushvalue(L, 2);
    if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
    if (!env_locked(L, 1)) return 1;
    if (lua_type(L, 2) == LUA_TSTRING)
        return luaL_error(L, "undefined global '%s'", lua_tostring(L, 2));
    return luaL_error(L, "undefined global (a %s key)", luaL_typename(L, 2));
}

/* __newindex of an environment: declares a global while the chunk loads, raises after. */
static int l_env_newindex(lua_State *L)
{
    if (env_locked(L, 1)) {
        if (lua_type(L, 2) == LUA_TSTRING)
            return luaL_error(L, "assignment to undeclared global '%s' (declare it 'local')",
                              lua_tostring(L, 2));
        return luaL_error(L, "assignment to undeclared global (a %s key)", luaL_typename(L, 2));
    }
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 0;
}

/* [-0, +1, m] Pushes a new environment for a chunk: empty but for _G (itself), reading
 * through to the sandbox's globals, not yet strict. */
void hrs_policy_sandbox_push_env(lua_State *L)
{
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
    lua_createtable(L, 0, 4);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &base_key);
    lua_pushcclosure(L, l_env_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pushboolean(L, 0);            /* the slot exists now, so locking never allocates */
    lua_rawsetp(L, -2, &lock_key);
    lua_setmetatable(L, -2);
}

void hrs_policy_sandbox_lock_env(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx)) return;
    lua_pushboolean(L, 1);
    lua_rawsetp(L, -2, &lock_key);    /* an existing key: no allocation */
    lua_pop(L, 1);
}

/* ---- Base functions, wrapped ------------------------------------------------------------- */

/* load(chunk [, chunkname [, mode [, env]]]): text chunks given as strings only. Without
 * env, the chunk gets a fresh strict environment (never the VM's real globals). */
static int l_load(lua_State *L)
{
    if (lua_type(L, 1) != LUA_TSTRING)
        return luaL_argerror(L, 1, "string expected (reader functions are not supported in a policy)");
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    const char *chunkname = luaL_optstring(L, 2, s);
    const char *mode = luaL_optstring(L, 3, "bt");
    int has_env = !lua_isnone(L, 4);
    if (!strchr(mode, 't')) {
        luaL_pushfail(L);
        lua_pushliteral(L, "binary chunks cannot be loaded in a policy");
        return 2;
    }
    if (luaL_loadbufferx(L, s, len, chunkname, "t") != LUA_OK) {
        luaL_pushfail(L);
        lua_insert(L, -2);
        return 2;                      /* nil, message */
    }
    if (has_env) {
        lua_pushvalue(L, 4);
    } else {
        hrs_policy_sandbox_push_env(L);
        hrs_policy_sandbox_lock_env(L, -1);
    }
    if (!lua_setupvalue(L, -2, 1)) lua_pop(L, 1);
    return 1;
}

/* collectgarbage(opt): only the options that do not change how the host runs the GC. A
 * collection is charged to the budget as if it touched the whole heap, so a loop of them
 * stops. upvalue 1: the real collectgarbage. */
static int l_collectgarbage(lua_State *L)
{
    static const char *const allowed[] = { "collect", "count", "step", "isrunning", NULL };
    const char *opt = luaL_optstring(L, 1, "collect");
    int i;
    for (i = 0; allowed[i] && strcmp(allowed[i], opt) != 0; i++) {}
    if (!allowed[i])
        return luaL_error(L, "collectgarbage('%s') is not allowed in a policy", opt);
    if (strcmp(opt, "collect") == 0 || strcmp(opt, "step") == 0) {
        void *ud = NULL;
        lua_getallocf(L, &ud);
        hrs_policy_sandbox_charge(ud, ((hrs_sandbox *)ud)->mem_used);
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* setmetatable(t, mt): refuses __gc, whose finalizers would run outside any budget (at
 * collection or when the VM closes). upvalue 1: the real setmetatable. */
static int l_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_error(L, "__gc metamethods are not allowed in a policy");
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* rawset(t, k, v): refuses tables with a protected metatable (environments, library
 * proxies), which would let a chunk bypass strict globals or change a library. */
static int l_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    if (lua_getmetatable(L, 1)) {
        lua_pushliteral(L, "__metatable");
        if (lua_rawget(L, -2) != LUA_TNIL)
            return luaL_error(L, "rawset on a protected table is not allowed in a policy");
        lua_pop(L, 2);
    }
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

/* The message handler a policy passes to xpcall, wrapped. When the instruction budget has
 * run out, the error is raised from inside the count hook, where Lua runs the handler with
 * hooks off: a handler that loops would never be stopped. So once the budget has tripped
 * the policy's handler is skipped and the error goes through as it is. upvalue 1: the
 * policy's handler. */
static int l_guarded_handler(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);
    if (((hrs_sandbox *)ud)->tripped) return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

/* xpcall(f, msgh, ...) with msgh guarded as above. upvalue 1: the real xpcall. */
static int l_xpcall(lua_State *L)
{
    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, l_guarded_handler, 1);
    lua_replace(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, LUA_MULTRET);
    return lua_gettop(L);
}

/* print(...): a policy's stdout is the plan, so print goes to the log (info), prefixed with
 * the caller's file:line. */
static int l_print(lua_State *L)
{
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_where(L, 1);
    luaL_addvalue(&b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    hrs_info("policy: %.1000s", lua_tostring(L, -1));
    return 0;
}

/* ---- The pinned clock -------------------------------------------------------------------- */

static hrs_sandbox *upvalue_sandbox(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* hrsync_today(): the pinned day, "YYYY-MM-DD". */
static int l_today(lua_State *L)
{
    lua_pushstring(L, upvalue_sandbox(L)->today);
    return 1;
}

/* One field of an os.time table. def < 0: required. */
static int date_field(lua_State *L, const char *key, int def, int delta)
{
    int isnum;
    int t = lua_getfield(L, 1, key);
    lua_Integer v = lua_tointegerx(L, -1, &isnum);
    lua_pop(L, 1);
    if (!isnum) {
        if (t != LUA_TNIL) return luaL_error(L, "field '%s' is not an integer", key);
        if (def < 0) return luaL_error(L, "field '%s' missing in date table", key);
        return def;
    }
    if (v < -(lua_Integer)(INT_MAX / 2) || v > (lua_Integer)(INT_MAX / 2))
        return luaL_error(L, "field '%s' is out-of-bound", key);
    return (int)v - delta;
}

/* os.time([t]): without t, the pinned day at 00:00 UTC; with a table, that date read as UTC
 * (hour defaults to 12, as in Lua). The table is not normalised in place. */
static int l_os_time(lua_State *L)
{
    hrs_sandbox *sb = upvalue_sandbox(L);
    if (lua_isnoneornil(L, 1)) {
        lua_pushinteger(L, (lua_Integer)sb->now);
        return 1;
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = date_field(L, "year", -1, 1900);
    tm.tm_mon = date_field(L, "month", -1, 1);
    tm.tm_mday = date_field(L, "day", -1, 0);
    tm.tm_hour = date_field(L, "hour", 12, 0);
    tm.tm_min = date_field(L, "min", 0, 0);
    tm.tm_sec = date_field(L, "sec", 0, 0);
    errno = 0;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 && errno != 0)
        return luaL_error(L, "time result cannot be represented");
    lua_pushinteger(L, (lua_Integer)t);
    return 1;
}

static void set_date_field(lua_State *L, const char *key, int value)
{
    lua_pushinteger(L, value);
    lua_setfield(L, -2, key);
}

/* os.date([format [, t]]): like Lua's, always in UTC (a leading '!' is accepted), t defaulting
 * to the pinned day at 00:00 UTC. */
static int l_os_date(lua_State *L)
{
    hrs_sandbox *sb = upvalue_sandbox(L);
    size_t len;
    const char *s = luaL_optlstring(L, 1, "%c", &len);
    const char *end = s + len;
    time_t t = lua_isnoneornil(L, 2) ? sb->now : (time_t)luaL_checkinteger(L, 2);
    if (s < end && *s == '!') s++;
    struct tm tm;
    if (!gmtime_r(&t, &tm)) return luaL_error(L, "date result cannot be represented");
    if (end - s == 2 && s[0] == '*' && s[1] == 't') {
        lua_createtable(L, 0, 9);
        set_date_field(L, "year", tm.tm_year + 1900);
        set_date_field(L, "month", tm.tm_mon + 1);
        set_date_field(L, "day", tm.tm_mday);
        set_date_field(L, "hour", tm.tm_hour);
        set_date_field(L, "min", tm.tm_min);
        set_date_field(L, "sec", tm.tm_sec);
        set_date_field(L, "yday", tm.tm_yday + 1);
        set_date_field(L, "wday", tm.tm_wday + 1);
        lua_pushboolean(L, 0);
        lua_setfield(L, -2, "isdst");
        return 1;
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    while (s < end) {
        if (*s != '%') {
            luaL_addchar(&b, *s++);
            continue;
        }
        s++;
        if (s >= end || *s == '\0' || !strchr(DATE_CONVERSIONS, *s))
            return luaL_error(L, "bad argument #1 to 'date' (invalid conversion '%%%c' to 'date')",
                              s < end && *s ? *s : ' ');
        char conv[3] = { '%', *s++, '\0' };
        char out[128];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
        size_t n = strftime(out, sizeof out, conv, &tm);  /* conv is checked above */
#pragma GCC diagnostic pop
        luaL_addlstring(&b, out, n);
    }
    luaL_pushresult(&b);
    return 1;
}

/* os.clock(): processor time used by the process, in seconds. */
static int l_os_clock(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)clock() / (lua_Number)CLOCKS_PER_SEC);
    return 1;
}

static const luaL_Reg os_funcs[] = {
    { "time", l_os_time },
    { "date", l_os_date },
    { "clock", l_os_clock },
    { NULL, NULL }
};

int hrs_policy_sandbox_parse_day(const char *today, time_t *out, hrs_err *err)
{
    if (!today || strlen(today) != 10)
        return hrs_err_set(err, "today '%s' is not a date YYYY-MM-DD", today ? today : "(null)");
    char dt[32];
    snprintf(dt, sizeof dt, "%sT00:00:00Z", today);
    if (!hrs_validate_datetime(dt))
        return hrs_err_set(err, "today '%s' is not a date YYYY-MM-DD", today);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    tm.tm_year = (int)strtol(today, NULL, 10) - 1900;
    tm.tm_mon = (int)strtol(today + 5, NULL, 10) - 1;
    tm.tm_mday = (int)strtol(today + 8, NULL, 10);
    *out = timegm(&tm);
    return 0;
}

/* ---- Set-up ------------------------------------------------------------------------------ */

/* [-0, +0, e] Opens a standard library, keeps its real table only in the registry's
 * _LOADED, removes `removed` from it, and publishes a read-only proxy as base[name] and
 * loaded[name]. */
static void open_lib(lua_State *L, int base, int loaded, const char *name, lua_CFunction open,
                     const char *const *removed)
{
    luaL_requiref(L, name, open, 0);
    for (; removed && *removed; removed++) {
        lua_pushnil(L);
        lua_setfield(L, -2, *removed);
    }
    make_readonly(L, name);
    lua_pushvalue(L, -1);
    lua_setfield(L, loaded, name);
    lua_setfield(L, base, name);
}

/* The protected part of hrs_policy_sandbox_open. Argument: the sandbox (light userdata). */
static int l_setup(lua_State *L)
{
    hrs_sandbox *sb = lua_touserdata(L, 1);
    lua_settop(L, 0);
    luaL_requiref(L, LUA_GNAME, luaopen_base, 0);     /* 1: the real globals */
    lua_newtable(L);                                  /* 2: the sandbox's globals */
    lua_newtable(L);                                  /* 3: package.loaded, private */
    for (const char *const *n = base_allowed; *n; n++) {
        lua_getfield(L, 1, *n);
        lua_setfield(L, 2, *n);
    }
    lua_getfield(L, 1, "collectgarbage");
    lua_pushcclosure(L, l_collectgarbage, 1);
    lua_setfield(L, 2, "collectgarbage");
    lua_getfield(L, 1, "setmetatable");
    lua_pushcclosure(L, l_setmetatable, 1);
    lua_setfield(L, 2, "setmetatable");
    lua_getfield(L, 1, "xpcall");
    lua_pushcclosure(L, l_xpcall, 1);
    lua_setfield(L, 2, "xpcall");
    lua_pushcfunction(L, l_rawset);
    lua_setfield(L, 2, "rawset");
    lua_pushcfunction(L, l_load);
    lua_setfield(L, 2, "load");
    lua_pushcfunction(L, l_print);
    lua_setfield(L, 2, "print");
    lua_pushlightuserdata(L, sb);
    lua_pushcclosure(L, l_today, 1);
    lua_setfield(L, 2, "hrsync_today");

    /* hrsync_null: an opaque value that converts to JSON null. */
    lua_newuserdatauv(L, 0, 0);
    lua_createtable(L, 0, 3);
    lua_pushliteral(L, "hrsync_null");
    lua_setfield(L, -2, "__name");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &null_key);
    lua_setfield(L, 2, "hrsync_null");

    /* Libraries. math is seeded with a constant, so a plan can be replayed. */
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, 20250101);
    lua_call(L, 1, 0);
    lua_pop(L, 1);
    open_lib(L, 2, 3, LUA_STRLIBNAME, luaopen_string, string_removed);
    open_lib(L, 2, 3, LUA_TABLIBNAME, luaopen_table, NULL);
    open_lib(L, 2, 3, LUA_MATHLIBNAME, luaopen_math, math_removed);
    open_lib(L, 2, 3, LUA_UTF8LIBNAME, luaopen_utf8, NULL);
    lua_createtable(L, 0, 3);
    lua_pushlightuserdata(L, sb);
    luaL_setfuncs(L, os_funcs, 1);
    make_readonly(L, "os");
    lua_pushvalue(L, -1);
    lua_setfield(L, 3, "os");
    lua_setfield(L, 2, "os");

    /* Strings' methods go through the proxy too, and their metatable is hidden. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_getfield(L, 2, LUA_STRLIBNAME);
    lua_setfield(L, -2, "__index");
    lua_pushliteral(L, "locked");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);

    hrs_policy_require_install(L, sb, 2, 3);

    /* Empty the real globals: nothing in the sandbox refers to them. */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        lua_pop(L, 1);
        lua_pushvalue(L, -1);
        lua_pushnil(L);
        lua_rawset(L, 1);
    }
    lua_pushvalue(L, 2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &base_key);
    return 0;
}

int hrs_policy_sandbox_open(hrs_sandbox *sb, hrs_err *err)
{
    sb->mem_used = 0;
    sb->L = lua_newstate(sandbox_alloc, sb);
    if (!sb->L)
        return hrs_err_set(err, "cannot start the policy VM: the memory limit of %zu bytes is too small",
                           sb->mem_limit);
    lua_atpanic(sb->L, panic);
    lua_pushcfunction(sb->L, l_setup);
    lua_pushlightuserdata(sb->L, sb);
    int rc = lua_pcall(sb->L, 1, 0, 0);
    if (rc != LUA_OK) {
        hrs_err_set(err, "cannot start the policy VM: %s%s", lua_tostring(sb->L, -1),
                    rc == LUA_ERRMEM ? " (the memory limit is too small)" : "");
        hrs_policy_sandbox_close(sb);
        return -1;
    }
    lua_gc(sb->L, LUA_GCGEN, 0, 0);   /* many short-lived per-person tables */
    return 0;
}

void hrs_policy_sandbox_close(hrs_sandbox *sb)
{
    if (sb && sb->L) {
        lua_close(sb->L);
        sb->L = NULL;
    }
    if (sb) {
        json_decref(sb->module_files);
        sb->module_files = NULL;
    }
}

void hrs_policy_sandbox_push_null(lua_State *L)
{
    lua_rawgetp(L, LUA_REGISTRYINDEX, &null_key);
}

int hrs_policy_sandbox_is_null(lua_State *L, int idx)
{
    if (lua_type(L, idx) != LUA_TUSERDATA) return 0;
    idx = lua_absindex(L, idx);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &null_key);
    int same = lua_rawequal(L, idx, -1);
    lua_pop(L, 1);
    return same;
}
