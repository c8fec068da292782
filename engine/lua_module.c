/* lua_module.c: `require "hrsync"`: the engine as a Lua module, so that busted scenarios drive
 * the very same C core as the command line.
 *
 *   local hrsync = require "hrsync"
 *   local sim = hrsync.sim_start{ client_secret = "s3cret", seed_file = "seed.json" }
 *   local plan, err = hrsync.plan("config.lua", { directory = { graph_url = sim:url() .. "/v1.0" } })
 *   local plan, result = hrsync.sync("config.lua", overrides)
 *   local plan = hrsync.plan(config); local plan, result = hrsync.apply(config, plan.id, { force = true })
 *   local events = hrsync.log(config, { person = "1002", action = "create", since = "2026-12-01" })
 *   sim:snapshot(); sim:fault("throttle_writes", 100); sim:stats(); sim:stop()
 *   local status, body = hrsync.http_get("http://127.0.0.1:9464/metrics")
 *   local ops = hrsync.journal(config)       -- every journaled operation {run_id, seq, kind, status…}
 *   local user = hrsync.graph(config, "PATCH", "/users/" .. id, { jobTitle = "x" })  -- a hand edit
 *   local e = hrsync.open(config); e:plan(); e:maybe_reload(); e:policy_status()  -- lua_engine.h
 *
 * Failures return nil and the error message (the same sentence the command line prints). */
#include "hrsync/audit.h"
#include "hrsync/buildinfo.h"
#include "hrsync/engine.h"
#include "hrsync/http.h"
#include "hrsync/journal.h"
#include "hrsync/log.h"
#include "hrsync/lua_engine.h"
#include "hrsync/lua_hrsim.h"
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
        o.client_certificate_file = opt_field(L, 1, "client_certificate_file");
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
    if (lua_type(L, 3) == LUA_TSTRING || lua_isnil(L, 3)) {   /* deny_permission takes text */
        if (hrs_sim_set_fault_text(b->sim, name, lua_tostring(L, 3)) != 0)
            return luaL_error(L, "unknown simulator fault '%s' or a bad value", name);
        return 0;
    }
    double v = lua_isboolean(L, 3) ? (double)lua_toboolean(L, 3) : luaL_checknumber(L, 3);
    if (hrs_sim_set_fault(b->sim, name, v) != 0) return luaL_error(L, "unknown simulator fault '%s'", name);
    return 0;
}

static int l_sim_stats(lua_State *L)
{
    hrs_sim_stats s;
    hrs_sim_get_stats(check_sim(L)->sim, &s);
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, s.requests); lua_setfield(L, -2, "requests");
    lua_pushinteger(L, s.writes); lua_setfield(L, -2, "writes");
    lua_pushinteger(L, s.throttled); lua_setfield(L, -2, "throttled");
    lua_pushinteger(L, s.batches); lua_setfield(L, -2, "batches");
    lua_pushinteger(L, s.tokens); lua_setfield(L, -2, "tokens");
    lua_pushinteger(L, s.delta_items); lua_setfield(L, -2, "delta_items");
    lua_pushinteger(L, s.denied); lua_setfield(L, -2, "denied");
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

/* opts[key] of the options table at idx (may be absent), as a boolean. */
static int flag_arg(lua_State *L, int idx, const char *key)
{
    if (!lua_istable(L, idx)) return 0;
    lua_getfield(L, idx, key);
    int f = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return f;
}

static int force_arg(lua_State *L, int idx) { return flag_arg(L, idx, "force"); }

/* A guardrail stopped the plan: nil, the reason, the stored plan. */
static int push_stopped(lua_State *L, const hrs_err *err, const json_t *plan)
{
    lua_pushnil(L);
    lua_pushstring(L, err->msg);
    hrs_luajson_push(L, plan);
    return 3;
}

/* hrsync.plan(config, [overrides], [{incremental = true}]) -> plan (stored: plan.id,
 * plan.fingerprint) | nil, err
 * hrsync.sync(config, [overrides], [{force = true, incremental = true}]) -> plan, result | nil, err
 * [, plan when a guardrail stopped it]
 * incremental: the cycle is one the daemon runs between full reconciles (hrs_engine_cycle). */
static int run_cycle(lua_State *L, int apply)
{
    const char *config = luaL_checkstring(L, 1);
    json_t *ov = overrides_arg(L, 2), *plan = NULL, *result = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    int nret;
    hrs_engine *e = hrs_engine_open(config, ov, &err);
    json_decref(ov);
    if (e) {
        hrs_engine_cycle cyc = { .incremental = flag_arg(L, 3, "incremental") };
        hrs_engine_set_cycle(e, &cyc);
    }
    int rc = !e ? -1 : apply ? hrs_engine_sync(e, force_arg(L, 3), &plan, &result, &err) : hrs_engine_plan(e, &plan, &err);
    if (rc != 0) {
        nret = rc == HRS_ENGINE_STOPPED ? push_stopped(L, &err, plan) : push_failure(L, &err);
        json_decref(plan);
        json_decref(result);
        hrs_engine_close(e);
        return nret;
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

/* hrsync.apply(config, plan_id, [{force = true, overrides = {…}}]) -> plan, result | nil, err
 * [, plan when a guardrail stopped it]: applies a stored plan as `hrsync apply` does. */
static int l_apply(lua_State *L)
{
    const char *config = luaL_checkstring(L, 1);
    const char *id = luaL_checkstring(L, 2);
    json_t *ov = NULL, *plan = NULL, *result = NULL;
    if (lua_istable(L, 3)) {
        lua_getfield(L, 3, "overrides");
        ov = overrides_arg(L, lua_gettop(L));
        lua_pop(L, 1);
    }
    hrs_err err;
    hrs_err_clear(&err);
    int nret = 2;
    hrs_engine *e = hrs_engine_open(config, ov, &err);
    json_decref(ov);
    int rc = e ? hrs_engine_apply_stored(e, id, force_arg(L, 3), &plan, &result, &err) : -1;
    if (rc == HRS_ENGINE_STOPPED) nret = push_stopped(L, &err, plan);
    else if (rc != 0) nret = push_failure(L, &err);
    else {
        hrs_luajson_push(L, plan);
        if (result) hrs_luajson_push(L, result); else lua_pushnil(L);
    }
    json_decref(plan);
    json_decref(result);
    hrs_engine_close(e);
    return nret;
}

/* hrsync.log(config, [{person, action, since, until, limit}]) -> events (oldest first) | nil, err */
static int l_log(lua_State *L)
{
    const char *config = luaL_checkstring(L, 1);
    hrs_audit_filter f = { NULL, NULL, NULL, NULL, 0 };
    if (lua_istable(L, 2)) {
        f.person = opt_field(L, 2, "person");
        f.action = opt_field(L, 2, "action");
        f.since = opt_field(L, 2, "since");
        f.until = opt_field(L, 2, "until");
        lua_getfield(L, 2, "limit");
        f.limit = (int)luaL_optinteger(L, -1, 0);
        lua_pop(L, 1);
    }
    hrs_err err;
    hrs_err_clear(&err);
    json_t *events = NULL;
    hrs_store *s = NULL;
    hrs_config *c = hrs_config_load_offline(config, NULL, &err);
    int ok = c && (s = hrs_store_open(c->state_path, &err)) && hrs_audit_query(s, &f, &events, &err) == 0;
    hrs_store_close(s);
    hrs_config_free(c);
    if (!ok) return push_failure(L, &err);
    hrs_luajson_push(L, events);
    json_decref(events);
    return 1;
}

/* hrsync.journal(config) -> the journaled operations, oldest first | nil, err */
static int l_journal(lua_State *L)
{
    const char *config = luaL_checkstring(L, 1);
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ops = NULL;
    hrs_store *s = NULL;
    hrs_journal *j = NULL;
    hrs_config *c = hrs_config_load_offline(config, NULL, &err);
    int ok = c && (s = hrs_store_open(c->state_path, &err)) && (j = hrs_journal_open(s, &err)) &&
             hrs_journal_list(j, 0, &ops, &err) == 0;
    hrs_journal_close(j);
    hrs_store_close(s);
    hrs_config_free(c);
    if (!ok) return push_failure(L, &err);
    hrs_luajson_push(L, ops);
    json_decref(ops);
    return 1;
}

/* hrsync.graph(config, method, path, [body], [overrides]) -> answer (true for 204) | nil, err:
 * one Graph request with the config's client, as an admin's hand edit in Entra. */
static int l_graph(lua_State *L)
{
    const char *config = luaL_checkstring(L, 1), *method = luaL_checkstring(L, 2), *path = luaL_checkstring(L, 3);
    json_t *body = NULL, *ov = overrides_arg(L, 5), *out = NULL;
    if (lua_istable(L, 4)) {
        char why[600];
        if (!(body = hrs_luajson_to(L, 4, "body", why, sizeof why))) { json_decref(ov); return luaL_error(L, "%s", why); }
    }
    hrs_err err;
    hrs_err_clear(&err);
    hrs_engine *e = hrs_engine_open(config, ov, &err);
    int ok = e && hrs_engine_graph_call(e, method, path, body, &out, &err) == 0;
    hrs_engine_close(e);
    json_decref(body);
    json_decref(ov);
    if (!ok) return push_failure(L, &err);
    if (out) hrs_luajson_push(L, out); else lua_pushboolean(L, 1);
    json_decref(out);
    return 1;
}

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

/* hrsync.http_get(url) -> status, body | nil, err: a plain GET (scenarios read the daemon's
 * /healthz, /metrics and /status with it). */
static int l_http_get(lua_State *L)
{
    const char *url = luaL_checkstring(L, 1);
    hrs_err err;
    hrs_err_clear(&err);
    hrs_http *h = hrs_http_new(10, &err);
    hrs_http_response r;
    memset(&r, 0, sizeof r);
    if (!h || hrs_http_request(h, "GET", url, NULL, NULL, 0, &r, &err) != 0) {
        hrs_http_free(h);
        return push_failure(L, &err);
    }
    lua_pushinteger(L, r.status);
    lua_pushlstring(L, r.body, r.len);
    hrs_http_response_clear(&r);
    hrs_http_free(h);
    return 2;
}

static const luaL_Reg module_functions[] = {
    { "sim_start", l_sim_start }, { "plan", l_plan }, { "sync", l_sync }, { "format_plan", l_format_plan },
    { "log_level", l_log_level }, { "http_get", l_http_get }, { "apply", l_apply }, { "log", l_log },
    { "journal", l_journal }, { "graph", l_graph }, { NULL, NULL },
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
    hrs_lua_hrsim_register(L);     /* hrsim_start, read_source (engine/lua_hrsim.c) */
    hrs_lua_engine_register(L);    /* open: a long-lived engine (engine/lua_engine.c) */
    lua_pushliteral(L, HRSYNC_VERSION);
    lua_setfield(L, -2, "version");
    hrs_luajson_push_null(L);
    lua_setfield(L, -2, "null");
    return 1;
}
