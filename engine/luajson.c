/* luajson.c: Lua <-> JSON conversion at the C/Lua boundary (see include/hrsync/luajson.h). */
#include "hrsync/luajson.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define LUAJSON_MAX_DEPTH 32

/* The address of this variable is the null sentinel. */
static const char null_sentinel = 0;

void hrs_luajson_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&null_sentinel);
}

void hrs_luajson_push(lua_State *L, const json_t *v)
{
    luaL_checkstack(L, 4, "JSON nested too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        lua_createtable(L, 0, (int)json_object_size(v));
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (json_is_null(x)) continue;
            hrs_luajson_push(L, x);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        lua_createtable(L, (int)json_array_size(v), 0);
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x) {
            if (json_is_null(x)) hrs_luajson_push_null(L);
            else hrs_luajson_push(L, x);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
    case JSON_REAL: lua_pushnumber(L, json_real_value(v)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    default: lua_pushnil(L); break;
    }
}

static json_t *convert(lua_State *L, int idx, int depth, char *path, size_t pn, char *why, size_t n);

static json_t *convert_table(lua_State *L, int idx, int depth, char *path, size_t pn, char *why, size_t n)
{
    if (depth > LUAJSON_MAX_DEPTH) { snprintf(why, n, "%s: tables nested too deep (or a cycle)", path); return NULL; }
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    json_t *out = len > 0 ? json_array() : json_object();
    size_t plen = strlen(path);
    if (len > 0) {
        lua_Integer count = 0;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            count++;
            lua_pop(L, 1);
            if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1 || lua_tointeger(L, -1) > len) {
                lua_pop(L, 1);
                snprintf(why, n, "%s: a table mixes a list with named keys", path);
                json_decref(out);
                return NULL;
            }
        }
        for (lua_Integer i = 1; i <= len; i++) {
            snprintf(path + plen, pn - plen, "[%lld]", (long long)i);
            lua_rawgeti(L, idx, i);
            json_t *x = convert(L, -1, depth + 1, path, pn, why, n);
            lua_pop(L, 1);
            if (!x) { json_decref(out); return NULL; }
            json_array_append_new(out, x);
        }
        path[plen] = '\0';
        (void)count;
        return out;
    }
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) {
            lua_pop(L, 2);
            snprintf(why, n, "%s: a table has a key that is not a string", path);
            json_decref(out);
            return NULL;
        }
        const char *k = lua_tostring(L, -2);
        snprintf(path + plen, pn - plen, "%s%s", plen ? "." : "", k);
        json_t *x = convert(L, -1, depth + 1, path, pn, why, n);
        path[plen] = '\0';
        if (!x) { lua_pop(L, 2); json_decref(out); return NULL; }
        json_object_set_new(out, k, x);
        lua_pop(L, 1);
    }
    return out;
}

static json_t *convert(lua_State *L, int idx, int depth, char *path, size_t pn, char *why, size_t n)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TNIL: return json_null();
    case LUA_TBOOLEAN: return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) return json_integer((json_int_t)lua_tointeger(L, idx));
        return json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t l;
        const char *s = lua_tolstring(L, idx, &l);
        json_t *j = json_stringn(s, l);
        if (!j) snprintf(why, n, "%s: the string is not valid UTF-8", path);
        return j;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == &null_sentinel) return json_null();
        break;
    case LUA_TTABLE: return convert_table(L, idx, depth, path, pn, why, n);
    default: break;
    }
    snprintf(why, n, "%s: a %s cannot be converted to data", path, luaL_typename(L, idx));
    return NULL;
}

json_t *hrs_luajson_to(lua_State *L, int idx, const char *root, char *why, size_t n)
{
    char path[512];
    snprintf(path, sizeof path, "%s", root ? root : "");
    luaL_checkstack(L, LUAJSON_MAX_DEPTH * 2 + 8, "converting a Lua value");
    return convert(L, idx, 0, path, sizeof path, why, n);
}
