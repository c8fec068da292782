/* luajson.c: Lua <-> JSON, the one converter of every C/Lua boundary (see include/hrsync/luajson.h).
 *
 * The Lua -> JSON side runs outside protected calls too (config.c converts the config's table
 * after its chunk has run), so it uses only API functions that neither allocate in the VM nor
 * call metamethods: lua_type, lua_next, lua_rawgeti, lua_tolstring on values that are already
 * strings, lua_tointegerx, lua_checkstack, and the dialect's is_null. Key pointers stay valid
 * because the table being read stays on the stack and nothing in the VM runs meanwhile. */
#include "hrsync/luajson.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PATH_LEN 256

/* ---- the module dialect ------------------------------------------------------------------ */

/* The address of this variable is the module's null sentinel. */
static const char null_sentinel = 0;

void hrs_luajson_push_null(lua_State *L)
{
    lua_pushlightuserdata(L, (void *)&null_sentinel);
}

static int module_is_null(lua_State *L, int idx)
{
    return lua_type(L, idx) == LUA_TLIGHTUSERDATA && lua_touserdata(L, idx) == &null_sentinel;
}

const hrs_luajson_dialect hrs_luajson_module = {
    hrs_luajson_push_null, module_is_null, 1, 32, 32, 0, "a string, number, boolean or table",
    "hrsync.null",
};

/* ---- JSON -> Lua ------------------------------------------------------------------------- */

static void push_json(lua_State *L, const json_t *v, int depth, const hrs_luajson_dialect *d)
{
    if (depth > d->push_depth) luaL_error(L, "the JSON value is nested more than %d levels deep", d->push_depth);
    luaL_checkstack(L, 3, "the JSON value is nested too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        lua_createtable(L, 0, n > 10000 ? 10000 : (int)n);
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (json_is_null(x)) continue;   /* p.termination_date == nil */
            push_json(L, x, depth + 1, d);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        lua_createtable(L, n > 10000 ? 10000 : (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            const json_t *x = json_array_get(v, i);
            if (json_is_null(x)) d->push_null(L);   /* keeps positions */
            else push_json(L, x, depth + 1, d);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        break;
    }
    case JSON_STRING: lua_pushlstring(L, json_string_value(v), json_string_length(v)); break;
    case JSON_INTEGER: lua_pushinteger(L, (lua_Integer)json_integer_value(v)); break;
    case JSON_REAL: lua_pushnumber(L, (lua_Number)json_real_value(v)); break;
    case JSON_TRUE: lua_pushboolean(L, 1); break;
    case JSON_FALSE: lua_pushboolean(L, 0); break;
    case JSON_NULL: lua_pushnil(L); break;
    }
}

void hrs_luajson_push_as(lua_State *L, const json_t *v, const hrs_luajson_dialect *d)
{
    push_json(L, v, 0, d);
}

void hrs_luajson_push(lua_State *L, const json_t *v)
{
    push_json(L, v, 0, &hrs_luajson_module);
}

/* ---- Lua -> JSON ------------------------------------------------------------------------- */

typedef struct entry {
    const char *key;       /* a key string of the table being read */
    json_t *value;
} entry;

typedef struct conv {
    lua_State *L;
    const hrs_luajson_dialect *d;
} conv;

const char *hrs_luajson_kind(lua_State *L, int idx, const hrs_luajson_dialect *d)
{
    switch (lua_type(L, idx)) {
    case LUA_TNONE:
    case LUA_TNIL: return "nil";
    case LUA_TBOOLEAN: return "a boolean";
    case LUA_TNUMBER: return "a number";
    case LUA_TSTRING: return "a string";
    case LUA_TTABLE: return "a table";
    case LUA_TFUNCTION: return "a function";
    case LUA_TTHREAD: return "a coroutine";
    default: return d->is_null(L, idx) ? d->null_name : "a userdata";
    }
}

/* "value of 'x.y'" or, for the value itself, "the returned table". */
static const char *subject(const char *path, char *buf, size_t n)
{
    if (!path[0]) return "the returned table";
    snprintf(buf, n, "value of '%s'", path);
    return buf;
}

static void join(char *out, const char *path, const char *key)
{
    if (path[0]) snprintf(out, PATH_LEN, "%s.%s", path, key);
    else snprintf(out, PATH_LEN, "%s", key);
}

static json_t *to_json(const conv *c, int idx, const char *path, hrs_luajson_hint h, hrs_luajson_child_hint ch,
                       int depth, hrs_err *err);

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

static hrs_luajson_hint child_of(hrs_luajson_child_hint ch, const char *key)
{
    return ch ? ch(key) : (hrs_luajson_hint){ HRS_LUAJSON_ANY, NULL };
}

/* A table with string keys. Keys come out sorted; on failure the first bad key in sorted
 * order is reported (found in a second pass, with err). */
static json_t *object_to_json(const conv *c, int idx, const char *path, size_t count, hrs_luajson_child_hint ch,
                              int depth, hrs_err *err)
{
    lua_State *L = c->L;
    entry *e = calloc(count ? count : 1, sizeof *e);
    if (!e) {
        hrs_err_set(err, "out of memory converting %s", path[0] ? path : "the returned table");
        return NULL;
    }
    size_t n = 0;
    const char *bad = NULL;
    char cpath[PATH_LEN];
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *k = lua_tostring(L, -2);
        join(cpath, path, k);
        json_t *x = to_json(c, lua_gettop(L), cpath, child_of(ch, k), NULL, depth + 1, NULL);
        if (!x) {
            if (!bad || strcmp(k, bad) < 0) bad = k;
        } else if (n < count) {
            e[n].key = k;
            e[n++].value = x;
        } else {
            json_decref(x);
        }
        lua_pop(L, 1);
    }
    if (bad) {
        if (err) {   /* convert the first bad value again, this time for its message */
            lua_pushnil(L);
            while (lua_next(L, idx)) {
                if (strcmp(lua_tostring(L, -2), bad) == 0) {
                    join(cpath, path, bad);
                    json_decref(to_json(c, lua_gettop(L), cpath, child_of(ch, bad), NULL, depth + 1, err));
                    lua_pop(L, 2);
                    break;
                }
                lua_pop(L, 1);
            }
        }
        for (size_t i = 0; i < n; i++) json_decref(e[i].value);
        free(e);
        return NULL;
    }
    qsort(e, n, sizeof *e, cmp_entry);
    json_t *obj = json_object();
    for (size_t i = 0; i < n; i++) {
        if (!obj || json_object_set_new(obj, e[i].key, e[i].value) != 0) {
            if (obj) json_decref(obj);
            obj = NULL;
            for (size_t j = i + 1; j < n; j++) json_decref(e[j].value);
            break;
        }
    }
    free(e);
    if (!obj) hrs_err_set(err, "out of memory converting %s", path[0] ? path : "the returned table");
    return obj;
}

/* A table with keys 1..n. */
static json_t *list_to_json(const conv *c, int idx, const char *path, lua_Integer n, int depth, hrs_err *err)
{
    json_t *arr = json_array();
    if (!arr) {
        hrs_err_set(err, "out of memory converting %s", path);
        return NULL;
    }
    char cpath[PATH_LEN];
    for (lua_Integer i = 1; i <= n; i++) {
        snprintf(cpath, sizeof cpath, "%s[%lld]", path[0] ? path : "item", (long long)i);
        lua_rawgeti(c->L, idx, i);
        json_t *x = to_json(c, lua_gettop(c->L), cpath, (hrs_luajson_hint){ HRS_LUAJSON_ANY, NULL }, NULL, depth + 1, err);
        lua_pop(c->L, 1);
        if (!x || json_array_append_new(arr, x) != 0) {
            if (x) hrs_err_set(err, "out of memory converting %s", path);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *table_to_json(const conv *c, int idx, const char *path, hrs_luajson_shape sh, hrs_luajson_child_hint ch,
                             int depth, hrs_err *err)
{
    lua_State *L = c->L;
    char sb[PATH_LEN + 16];
    const char *what = subject(path, sb, sizeof sb);
    if (depth >= c->d->to_depth) {
        hrs_err_set(err, "%s is nested more than %d tables deep (or contains itself)", what, c->d->to_depth);
        return NULL;
    }
    if (!lua_checkstack(L, 5)) {
        hrs_err_set(err, "%s is nested too deep", what);
        return NULL;
    }
    size_t count = 0, strings = 0, ints = 0, others = 0;
    lua_Integer maxi = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (++count > c->d->max_entries && c->d->max_entries) {
            lua_pop(L, 1);
            hrs_err_set(err, "%s has more than %zu entries", what, c->d->max_entries);
            return NULL;
        }
        if (lua_type(L, -1) == LUA_TSTRING) {
            strings++;
        } else if (lua_isinteger(L, -1) && lua_tointeger(L, -1) >= 1) {
            ints++;
            if (lua_tointeger(L, -1) > maxi) maxi = lua_tointeger(L, -1);
        } else {
            others++;
        }
    }
    if (others) {
        hrs_err_set(err, "%s has a key that is neither a name nor a list position", what);
        return NULL;
    }
    if (strings && ints) {
        hrs_err_set(err, "%s mixes list items and named fields", what);
        return NULL;
    }
    if (ints && (lua_Integer)ints != maxi) {
        hrs_err_set(err, "%s is a list with holes (nil items); use %s for an empty item", what, c->d->null_name);
        return NULL;
    }
    if (sh == HRS_LUAJSON_LIST && strings) {
        hrs_err_set(err, "%s is a table of named fields, expected a list", what);
        return NULL;
    }
    if (sh == HRS_LUAJSON_OBJECT && ints) {
        hrs_err_set(err, "%s is a list, expected named fields (such as { givenName = … })", what);
        return NULL;
    }
    if (ints || (count == 0 && sh == HRS_LUAJSON_LIST)) return list_to_json(c, idx, path, maxi, depth, err);
    return object_to_json(c, idx, path, count, ch, depth, err);
}

static json_t *to_json(const conv *c, int idx, const char *path, hrs_luajson_hint h, hrs_luajson_child_hint ch,
                       int depth, hrs_err *err)
{
    lua_State *L = c->L;
    char sb[PATH_LEN + 16];
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        if (c->d->nil_is_null) return json_null();
        break;
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) return json_integer((json_int_t)lua_tointeger(L, idx));
        if (!isfinite(lua_tonumber(L, idx))) {
            hrs_err_set(err, "%s is not a finite number", subject(path, sb, sizeof sb));
            return NULL;
        }
        return json_real((double)lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        json_t *j = json_stringn(s, len);
        if (!j) hrs_err_set(err, "%s is not valid UTF-8 text", subject(path, sb, sizeof sb));
        return j;
    }
    case LUA_TTABLE:
        return table_to_json(c, idx, path, h.shape, ch, depth, err);
    case LUA_TUSERDATA:
    case LUA_TLIGHTUSERDATA:
        if (c->d->is_null(L, idx)) return json_null();
        break;
    default:
        break;
    }
    hrs_err_set(err, "%s is %s, expected %s", subject(path, sb, sizeof sb), hrs_luajson_kind(L, idx, c->d),
                h.expected ? h.expected : c->d->generic);
    return NULL;
}

json_t *hrs_luajson_convert(lua_State *L, int idx, const char *path, hrs_luajson_hint h,
                            hrs_luajson_child_hint children, const hrs_luajson_dialect *d, hrs_err *err)
{
    conv c = { L, d };
    if (!lua_checkstack(L, 5)) {
        hrs_err_set(err, "no room on the Lua stack to convert a value");
        return NULL;
    }
    return to_json(&c, lua_absindex(L, idx), path ? path : "", h, children, 0, err);
}

json_t *hrs_luajson_to(lua_State *L, int idx, const char *root, char *why, size_t n)
{
    hrs_err err;
    hrs_err_clear(&err);
    json_t *j = hrs_luajson_convert(L, idx, root, (hrs_luajson_hint){ HRS_LUAJSON_ANY, NULL }, NULL, &hrs_luajson_module, &err);
    if (!j && n) snprintf(why, n, "%s", err.set ? err.msg : "the value cannot be converted to JSON");
    return j;
}
