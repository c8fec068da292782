/* lua_hrsim.c: the HR simulator and the HR sources in `require "hrsync"` (see
 * include/hrsync/lua_hrsim.h): hrsync.hrsim_start{…} → an object with :url(), :port(),
 * :set(), :fault(), :stats(), :stop(); hrsync.read_source{…} → the people and the quarantine a
 * source yields, for scenarios that check a source on its own. */
#include "hrsync/hrsim.h"
#include "hrsync/lua_hrsim.h"
#include "hrsync/luajson.h"
#include "hrsync/source.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define HRSIM_MT "hrsync.hrsim"

typedef struct { hrs_hrsim *sim; } hrsim_box;

static hrsim_box *check_box(lua_State *L)
{
    hrsim_box *b = luaL_checkudata(L, 1, HRSIM_MT);
    if (!b->sim) luaL_error(L, "the HR simulator is stopped");
    return b;
}

static const char *opt_string(lua_State *L, int t, const char *k)
{
    lua_getfield(L, t, k);
    const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
    lua_pop(L, 1);   /* still referenced by the options table */
    return s;
}

/* opts[k] as JSON (a new reference) or NULL when absent; raises on a value that is not data. */
static json_t *opt_json(lua_State *L, int t, const char *k)
{
    char why[300];
    json_t *j = NULL;
    if (lua_getfield(L, t, k) != LUA_TNIL) {
        j = hrs_luajson_to(L, -1, k, why, sizeof why);
        if (!j) {
            lua_pop(L, 1);
            luaL_error(L, "%s", why);
        }
    }
    lua_pop(L, 1);
    return j;
}

/* hrsync.hrsim_start([opts]) -> sim | nil, err */
static int l_hrsim_start(lua_State *L)
{
    hrs_hrsim_opts o;
    json_t *pio = NULL, *ax = NULL, *rel = NULL;
    memset(&o, 0, sizeof o);
    if (lua_istable(L, 1)) {
        o.bind = opt_string(L, 1, "bind");
        o.personio_client_id = opt_string(L, 1, "personio_client_id");
        o.personio_client_secret = opt_string(L, 1, "personio_client_secret");
        o.alexis_token = opt_string(L, 1, "alexis_token");
        o.custom_user = opt_string(L, 1, "custom_user");
        o.custom_password = opt_string(L, 1, "custom_password");
        o.fixture_dir = opt_string(L, 1, "fixture_dir");
        lua_getfield(L, 1, "port");
        o.port = (unsigned short)luaL_optinteger(L, -1, 0);
        lua_pop(L, 1);
        pio = opt_json(L, 1, "personio_people");
        ax = opt_json(L, 1, "alexis_people");
        rel = opt_json(L, 1, "alexis_relations");
        o.personio_people = pio;
        o.alexis_people = ax;
        o.alexis_relations = rel;
    }
    hrsim_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->sim = NULL;
    luaL_setmetatable(L, HRSIM_MT);
    hrs_err err;
    hrs_err_clear(&err);
    b->sim = hrs_hrsim_start(&o, &err);
    json_decref(pio);
    json_decref(ax);
    json_decref(rel);
    if (!b->sim) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    return 1;
}

static int l_hrsim_port(lua_State *L)
{
    lua_pushinteger(L, hrs_hrsim_port(check_box(L)->sim));
    return 1;
}

static int l_hrsim_url(lua_State *L)
{
    lua_pushfstring(L, "http://127.0.0.1:%d", (int)hrs_hrsim_port(check_box(L)->sim));
    return 1;
}

/* sim:set(system, id, field [, value]): nil removes the field, hrsync.null sets null. */
static int l_hrsim_set(lua_State *L)
{
    hrsim_box *b = check_box(L);
    const char *system = luaL_checkstring(L, 2);
    const char *id = luaL_checkstring(L, 3);         /* numbers are turned into text */
    const char *field = luaL_checkstring(L, 4);
    json_t *value = NULL;
    if (!lua_isnoneornil(L, 5)) {
        char why[300];
        value = hrs_luajson_to(L, 5, "value", why, sizeof why);
        if (!value) return luaL_error(L, "%s", why);
    }
    hrs_err err;
    hrs_err_clear(&err);
    int rc = hrs_hrsim_set_person_field(b->sim, system, id, field, value, &err);
    json_decref(value);
    if (rc != 0) return luaL_error(L, "%s", err.msg);
    return 0;
}

static int l_hrsim_fault(lua_State *L)
{
    hrsim_box *b = check_box(L);
    const char *name = luaL_checkstring(L, 2);
    double v = lua_isboolean(L, 3) ? (double)lua_toboolean(L, 3) : luaL_checknumber(L, 3);
    if (hrs_hrsim_set_fault(b->sim, name, v) != 0)
        return luaL_error(L, "unknown HR simulator fault '%s'", name);
    return 0;
}

static int l_hrsim_stats(lua_State *L)
{
    hrs_hrsim_stats s;
    hrs_hrsim_get_stats(check_box(L)->sim, &s);
    lua_createtable(L, 0, 7);
    lua_pushinteger(L, s.requests); lua_setfield(L, -2, "requests");
    lua_pushinteger(L, s.throttled); lua_setfield(L, -2, "throttled");
    lua_pushinteger(L, s.personio_auth); lua_setfield(L, -2, "personio_auth");
    lua_pushinteger(L, s.personio_pages); lua_setfield(L, -2, "personio_pages");
    lua_pushinteger(L, s.alexis_pages); lua_setfield(L, -2, "alexis_pages");
    lua_pushinteger(L, s.custom_pages); lua_setfield(L, -2, "custom_pages");
    lua_pushinteger(L, s.query_credentials); lua_setfield(L, -2, "query_credentials");
    return 1;
}

static int l_hrsim_stop(lua_State *L)
{
    hrsim_box *b = luaL_checkudata(L, 1, HRSIM_MT);
    hrs_hrsim_stop(b->sim);
    b->sim = NULL;
    return 0;
}

/* hrsync.read_source(source_table) -> { people, quarantine, partial } | nil, err */
static int l_read_source(lua_State *L)
{
    char why[600];
    luaL_checktype(L, 1, LUA_TTABLE);
    json_t *cfg = hrs_luajson_to(L, 1, "source", why, sizeof why);
    if (!cfg) return luaL_error(L, "%s", why);
    hrs_source_result r;
    hrs_err err;
    hrs_err_clear(&err);
    int rc = hrs_source_read(cfg, &r, &err);
    json_decref(cfg);
    if (rc != 0) {
        lua_pushnil(L);
        lua_pushstring(L, err.msg);
        return 2;
    }
    json_t *out = json_pack("{s:O, s:O, s:b}", "people", r.people, "quarantine", r.quarantine,
                            "partial", r.partial);
    hrs_source_result_clear(&r);
    if (!out) return luaL_error(L, "out of memory");
    hrs_luajson_push(L, out);
    json_decref(out);
    return 1;
}

void hrs_lua_hrsim_register(lua_State *L)
{
    static const luaL_Reg methods[] = {
        { "port", l_hrsim_port }, { "url", l_hrsim_url }, { "set", l_hrsim_set },
        { "fault", l_hrsim_fault }, { "stats", l_hrsim_stats }, { "stop", l_hrsim_stop },
        { NULL, NULL },
    };
    luaL_newmetatable(L, HRSIM_MT);
    luaL_newlib(L, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_hrsim_stop);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_hrsim_start);
    lua_setfield(L, -2, "hrsim_start");
    lua_pushcfunction(L, l_read_source);
    lua_setfield(L, -2, "read_source");
}
