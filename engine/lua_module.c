/* lua_module.c: `require "hrsync"`: the engine as a Lua module, so that busted scenarios drive
 * the very same C core as the command line.
 *
 *   local hrsync = require "hrsync"
 *   local sim = hrsync.sim_start{ client_secret = "s3cret", seed_file = "seed.json" }
 *   local plan, err = hrsync.plan("config.lua", { directory = { graph_url = sim:url() .. "/v1.0" } })
 *   local plan, result = hrsync.sync("config.lua", overrides)
 *   sim:snapshot(); sim:fault("throttle_writes", 100); sim:stats(); sim:stop()
 *
 * Failures return nil and the error message (the same sentence the command line prints). */
#include "hrsync/buildinfo.h"
#include "hrsync/engine.h"
#include "hrsync/log.h"
#include "hrsync/luajson.h"
#include "hrsync/plan.h"
#include "hrsync/sim.h"

#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIM_MT "hrsync.sim"

typedef struct { hrs_sim *sim; } sim_box;

static sim_box *check_sim(lua_State *L)
{
    sim_box *b = luaL_checkudata(L, 1, SIM_MT);
    if (!b->sim) luaL_error(L, "the simulator is stopped");
    return b;
}

static const char *opt_field(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    const char *s = lua_isstring(L, -1) ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1); /* the string stays alive: it is referenced by the options table */
    return s;
}

/* hrsync.sim_start([opts]) -> sim */
static int l_sim_start(lua_State *L)
{
    hrs_sim_opts o;
    memset(&o, 0, sizeof o);
    if (lua_istable(L, 1)) {
        o.bind = opt_field(L, 1, "bind");
        o.tenant = opt_field(L, 1, "tenant");
        o.client_id = opt_field(L, 1, "client_id");
        o.client_secret = opt_field(L, 1, "client_secret");
        o.state_file = opt_field(L, 1, "state_file");
        o.seed_file = opt_field(L, 1, "seed_file");
        lua_getfield(L, 1, "port");
        o.port = (unsigned short)luaL_optinteger(L, -1, 0);
        lua_pop(L, 1);
    }
    hrs_err err;
    hrs_err_clear(&err);
    sim_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->sim = NULL;
    luaL_setmetatable(L, SIM_MT);
    b->sim = hrs_sim_start(&o, &err);
    if (!b->sim) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    return 1;
}

static int l_sim_port(lua_State *L)
{
    lua_pushinteger(L, hrs_sim_port(check_sim(L)->sim));
    return 1;
}

static int l_sim_url(lua_State *L)
{
    lua_pushfstring(L, "http://127.0.0.1:%d", (int)hrs_sim_port(check_sim(L)->sim));
    return 1;
}

static int l_sim_snapshot(lua_State *L)
{
    json_t *s = hrs_sim_snapshot(check_sim(L)->sim);
    hrs_luajson_push(L, s);
    json_decref(s);
    return 1;
}

static int l_sim_fault(lua_State *L)
{
    sim_box *b = check_sim(L);
    const char *name = luaL_checkstring(L, 2);
    double v = lua_isboolean(L, 3) ? (double)lua_toboolean(L, 3) : luaL_checknumber(L, 3);
    if (hrs_sim_set_fault(b->sim, name, v) != 0) return luaL_error(L, "unknown simulator fault '%s'", name);
    return 0;
}

static int l_sim_stats(lua_State *L)
{
    hrs_sim_stats s;
    hrs_sim_get_stats(check_sim(L)->sim, &s);
    lua_createtable(L, 0, 5);
    lua_pushinteger(L, s.requests); lua_setfield(L, -2, "requests");
    lua_pushinteger(L, s.writes); lua_setfield(L, -2, "writes");
    lua_pushinteger(L, s.throttled); lua_setfield(L, -2, "throttled");
    lua_pushinteger(L, s.batches); lua_setfield(L, -2, "batches");
    lua_pushinteger(L, s.tokens); lua_setfield(L, -2, "tokens");
    return 1;
}

static int l_sim_stop(lua_State *L)
{
    sim_box *b = luaL_checkudata(L, 1, SIM_MT);
    hrs_sim_stop(b->sim);
    b->sim = NULL;
    return 0;
}

/* Converts the optional overrides table at idx; raises on a value that is not data. */
static json_t *overrides_arg(lua_State *L, int idx)
{
    if (lua_isnoneornil(L, idx)) return NULL;
    luaL_checktype(L, idx, LUA_TTABLE);
    char why[600];
    json_t *j = hrs_luajson_to(L, idx, "overrides", why, sizeof why);
    if (!j) luaL_error(L, "%s", why);
    return j;
}

static int push_failure(lua_State *L, const hrs_err *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg);
    return 2;
}

/* hrsync.plan(config, [overrides]) -> plan | nil, err
 * hrsync.sync(config, [overrides]) -> plan, result | nil, err */
static int run_cycle(lua_State *L, int apply)
{
    const char *config = luaL_checkstring(L, 1);
    json_t *ov = overrides_arg(L, 2), *plan = NULL, *result = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    int nret;
    hrs_engine *e = hrs_engine_open(config, ov, &err);
    json_decref(ov);
    if (!e || hrs_engine_plan(e, &plan, &err) != 0) {
        hrs_engine_close(e);
        return push_failure(L, &err);
    }
    if (apply && hrs_plan_count(plan) > 0 && hrs_engine_apply(e, plan, &result, &err) != 0) {
        json_decref(plan);
        json_decref(result);
        hrs_engine_close(e);
        return push_failure(L, &err);
    }
    hrs_luajson_push(L, plan);
    nret = 1;
    if (apply) {
        if (!result) result = json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:[]}", "created", 0, "updated", 0, "linked", 0,
                                        "group_added", 0, "group_removed", 0, "failed", 0, "errors");
        json_t *stats = hrs_engine_stats(e);
        json_object_set_new(result, "graph", stats);
        hrs_luajson_push(L, result);
        nret = 2;
    }
    json_decref(plan);
    json_decref(result);
    hrs_engine_close(e);
    return nret;
}

static int l_plan(lua_State *L) { return run_cycle(L, 0); }
static int l_sync(lua_State *L) { return run_cycle(L, 1); }

/* hrsync.format_plan(plan_table) -> the readable diff as a string */
static int l_format_plan(lua_State *L)
{
    char why[600];
    json_t *plan = hrs_luajson_to(L, 1, "plan", why, sizeof why);
    if (!plan) return luaL_error(L, "%s", why);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) { json_decref(plan); return luaL_error(L, "out of memory"); }
    hrs_plan_print(plan, f, 0);
    fclose(f);
    lua_pushlstring(L, buf, len);
    free(buf);
    json_decref(plan);
    return 1;
}

/* hrsync.log_level("debug"|"info"|"warn"|"error"|"quiet") */
static int l_log_level(lua_State *L)
{
    int lvl = hrs_log_level_parse(luaL_checkstring(L, 1));
    if (lvl < 0) return luaL_error(L, "unknown log level '%s'", lua_tostring(L, 1));
    hrs_log_setup((hrs_log_level)lvl, 0);
    return 0;
}

static const luaL_Reg sim_methods[] = {
    { "port", l_sim_port }, { "url", l_sim_url }, { "snapshot", l_sim_snapshot }, { "fault", l_sim_fault },
    { "stats", l_sim_stats }, { "stop", l_sim_stop }, { NULL, NULL },
};

static const luaL_Reg module_functions[] = {
    { "sim_start", l_sim_start }, { "plan", l_plan }, { "sync", l_sync }, { "format_plan", l_format_plan },
    { "log_level", l_log_level }, { NULL, NULL },
};

int luaopen_hrsync(lua_State *L);

int luaopen_hrsync(lua_State *L)
{
    luaL_newmetatable(L, SIM_MT);
    luaL_newlib(L, sim_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_sim_stop);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    hrs_log_setup(HRS_LOG_WARN, 0);
    luaL_newlib(L, module_functions);
    lua_pushliteral(L, HRSYNC_VERSION);
    lua_setfield(L, -2, "version");
    hrs_luajson_push_null(L);
    lua_setfield(L, -2, "null");
    return 1;
}
