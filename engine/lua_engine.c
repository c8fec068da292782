/* lua_engine.c: engine objects for `require "hrsync"` (see include/hrsync/lua_engine.h). */
#include "hrsync/lua_engine.h"
#include "hrsync/engine.h"
#include "hrsync/luajson.h"

#include <lauxlib.h>
#include <string.h>

#define ENGINE_MT "hrsync.engine"

typedef struct { hrs_engine *e; } engine_box;

static hrs_engine *check_engine(lua_State *L)
{
    engine_box *b = luaL_checkudata(L, 1, ENGINE_MT);
    if (!b->e) luaL_error(L, "the engine is closed");
    return b->e;
}

static int fail(lua_State *L, const hrs_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg);
    return 2;
}

/* hrsync.open(config, [overrides]) -> engine | nil, err */
static int l_open(lua_State *L)
{
    const char *config = luaL_checkstring(L, 1);
    json_t *ov = NULL;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        char why[600];
        if (!(ov = hrs_luajson_to(L, 2, "overrides", why, sizeof why))) return luaL_error(L, "%s", why);
    }
    engine_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->e = NULL;
    luaL_setmetatable(L, ENGINE_MT);
    hrs_err err;
    hrs_err_clear(&err);
    b->e = hrs_engine_open(config, ov, &err);
    json_decref(ov);
    if (!b->e) return fail(L, &err);
    return 1;
}

static int l_plan(lua_State *L)
{
    hrs_engine *e = check_engine(L);
    json_t *plan = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_engine_plan(e, &plan, &err) != 0) return fail(L, &err);
    hrs_luajson_push(L, plan);
    json_decref(plan);
    return 1;
}

static int l_sync(lua_State *L)
{
    hrs_engine *e = check_engine(L);
    json_t *plan = NULL, *result = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    int rc = hrs_engine_sync(e, 0, &plan, &result, &err);
    if (rc != 0) {
        json_decref(plan);
        json_decref(result);
        return fail(L, &err);
    }
    hrs_luajson_push(L, plan);
    if (result) hrs_luajson_push(L, result); else lua_pushnil(L);
    json_decref(plan);
    json_decref(result);
    return 2;
}

/* engine:set_cycle{ full = bool, incremental = bool }: what the following cycles read (the
 * daemon's schedule as a test sets it). */
static int l_set_cycle(lua_State *L)
{
    hrs_engine *e = check_engine(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    hrs_engine_cycle c;
    memset(&c, 0, sizeof c);
    lua_getfield(L, 2, "full");
    c.full = lua_toboolean(L, -1);
    lua_getfield(L, 2, "incremental");
    c.incremental = lua_toboolean(L, -1);
    lua_pop(L, 2);
    hrs_engine_set_cycle(e, &c);
    return 0;
}

static int l_reload_policy(lua_State *L)
{
    hrs_engine *e = check_engine(L);
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_engine_reload_policy(e, &err) != 0) return fail(L, &err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_maybe_reload(lua_State *L)
{
    hrs_engine *e = check_engine(L);
    int rc = hrs_engine_maybe_reload(e);
    if (rc < 0) {
        json_t *st = hrs_engine_policy_status(e);
        lua_pushnil(L);
        lua_pushstring(L, json_string_value(json_object_get(st, "last_reload_error")));
        json_decref(st);
        return 2;
    }
    lua_pushboolean(L, rc == 1);
    return 1;
}

static int l_policy_status(lua_State *L)
{
    json_t *st = hrs_engine_policy_status(check_engine(L));
    hrs_luajson_push(L, st);
    json_decref(st);
    return 1;
}

static int l_close(lua_State *L)
{
    engine_box *b = luaL_checkudata(L, 1, ENGINE_MT);
    hrs_engine_close(b->e);
    b->e = NULL;
    return 0;
}

static const luaL_Reg methods[] = {
    { "plan", l_plan }, { "sync", l_sync }, { "set_cycle", l_set_cycle }, { "reload_policy", l_reload_policy }, { "maybe_reload", l_maybe_reload },
    { "policy_status", l_policy_status }, { "close", l_close }, { NULL, NULL },
};

void hrs_lua_engine_register(lua_State *L)
{
    luaL_newmetatable(L, ENGINE_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_close);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_open);
    lua_setfield(L, -2, "open");
}
