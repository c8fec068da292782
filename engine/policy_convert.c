/* policy_convert.c: JSON <-> Lua values for policy hooks (see include/hrsync/policy_convert.h).
 *
 * The Lua -> JSON side runs outside protected calls, so it uses only API functions that
 * neither allocate in the VM nor call metamethods: lua_type, lua_next, lua_rawgeti,
 * lua_tolstring on values that are already strings, lua_tointegerx, lua_checkstack. Key
 * pointers stay valid because the table being read stays on the stack and nothing in the VM
 * runs meanwhile. */
#include "hrsync/policy_convert.h"
#include "hrsync/graph_schema.h"
#include "hrsync/policy_sandbox.h"

#include <lauxlib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define IN_DEPTH 32          /* JSON -> Lua nesting */
#define OUT_DEPTH 16         /* Lua -> JSON nesting (also stops self-referencing tables) */
#define MAX_ENTRIES 10000    /* entries in one returned table */
#define MAX_STRINGS 1000     /* items in a upn or groups list */
#define PATH_LEN 256

/* ---- JSON -> Lua ------------------------------------------------------------------------- */

static void push_json(lua_State *L, const json_t *v, int depth)
{
    if (depth > IN_DEPTH)
        luaL_error(L, "the person record is nested more than %d levels deep", IN_DEPTH);
    luaL_checkstack(L, 3, "the person record is nested too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        lua_createtable(L, 0, n > MAX_ENTRIES ? MAX_ENTRIES : (int)n);
        const char *k;
        json_t *x;
        json_object_foreach((json_t *)v, k, x) {
            if (json_is_null(x)) continue;   /* p.termination_date == nil */
            push_json(L, x, depth + 1);
            lua_setfield(L, -2, k);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        lua_createtable(L, n > MAX_ENTRIES ? MAX_ENTRIES : (int)n, 0);
        for (size_t i = 0; i < n; i++) {
            const json_t *x = json_array_get(v, i);
            if (json_is_null(x)) hrs_policy_sandbox_push_null(L);   /* keeps positions */
            else push_json(L, x, depth + 1);
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

void hrs_policy_convert_push(lua_State *L, const json_t *v)
{
    push_json(L, v, 0);
}

/* ---- Lua -> JSON ------------------------------------------------------------------------- */

typedef enum { SHAPE_ANY, SHAPE_LIST, SHAPE_OBJECT } shape;

/* What a value should look like: its shape when it is a table, and what to say it should be
 * when it is something that cannot be converted. */
typedef struct hint {
    shape sh;
    const char *expected;
} hint;

typedef hint (*child_hint)(const char *key);

typedef struct entry {
    const char *key;       /* a key string of the table being read */
    json_t *value;
} entry;

static const char *const GENERIC = "a string, number, boolean, table or hrsync_null";

/* How a Lua value reads in a message: "a function", "nil", … */
static const char *kind_of(lua_State *L, int idx)
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
    default: return hrs_policy_sandbox_is_null(L, idx) ? "hrsync_null" : "a userdata";
    }
}

/* "value of 'x.y'" or, for the returned value itself, "the returned table". */
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

static json_t *to_json(lua_State *L, int idx, const char *path, hint h, child_hint ch,
                       int depth, hrs_err *err);

static int cmp_entry(const void *a, const void *b)
{
    return strcmp(((const entry *)a)->key, ((const entry *)b)->key);
}

/* A table with string keys. Keys come out sorted; on failure the first bad key in sorted
 * order is reported (found in a second pass, with err). */
static json_t *object_to_json(lua_State *L, int idx, const char *path, size_t count,
                              child_hint ch, int depth, hrs_err *err)
{
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
        hint h = ch ? ch(k) : (hint){ SHAPE_ANY, NULL };
        json_t *x = to_json(L, lua_gettop(L), cpath, h, NULL, depth + 1, NULL);
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
                    hint h = ch ? ch(bad) : (hint){ SHAPE_ANY, NULL };
                    json_decref(to_json(L, lua_gettop(L), cpath, h, NULL, depth + 1, err));
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
static json_t *list_to_json(lua_State *L, int idx, const char *path, lua_Integer n, int depth,
                            hrs_err *err)
{
    json_t *arr = json_array();
    if (!arr) {
        hrs_err_set(err, "out of memory converting %s", path);
        return NULL;
    }
    char cpath[PATH_LEN];
    for (lua_Integer i = 1; i <= n; i++) {
        snprintf(cpath, sizeof cpath, "%s[%lld]", path[0] ? path : "item", (long long)i);
        lua_rawgeti(L, idx, i);
        json_t *x = to_json(L, lua_gettop(L), cpath, (hint){ SHAPE_ANY, NULL }, NULL, depth + 1, err);
        lua_pop(L, 1);
        if (!x || json_array_append_new(arr, x) != 0) {
            if (x) hrs_err_set(err, "out of memory converting %s", path);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

static json_t *table_to_json(lua_State *L, int idx, const char *path, shape sh, child_hint ch,
                             int depth, hrs_err *err)
{
    char sb[PATH_LEN + 16];
    const char *what = subject(path, sb, sizeof sb);
    if (depth >= OUT_DEPTH) {
        hrs_err_set(err, "%s is nested more than %d tables deep (or contains itself)", what, OUT_DEPTH);
        return NULL;
    }
    if (!lua_checkstack(L, 4)) {
        hrs_err_set(err, "%s is nested too deep", what);
        return NULL;
    }
    size_t count = 0, strings = 0, ints = 0, others = 0;
    lua_Integer maxi = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (++count > MAX_ENTRIES) {
            lua_pop(L, 1);
            hrs_err_set(err, "%s has more than %d entries", what, MAX_ENTRIES);
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
        hrs_err_set(err, "%s is a list with holes (nil items); use hrsync_null for an empty item", what);
        return NULL;
    }
    if (sh == SHAPE_LIST && strings) {
        hrs_err_set(err, "%s is a table of named fields, expected a list", what);
        return NULL;
    }
    if (sh == SHAPE_OBJECT && ints) {
        hrs_err_set(err, "%s is a list, expected named fields (such as { givenName = … })", what);
        return NULL;
    }
    if (ints || (count == 0 && sh == SHAPE_LIST)) return list_to_json(L, idx, path, maxi, depth, err);
    return object_to_json(L, idx, path, count, ch, depth, err);
}

static json_t *to_json(lua_State *L, int idx, const char *path, hint h, child_hint ch,
                       int depth, hrs_err *err)
{
    char sb[PATH_LEN + 16];
    switch (lua_type(L, idx)) {
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
        return table_to_json(L, idx, path, h.sh, ch, depth, err);
    case LUA_TUSERDATA:
        if (hrs_policy_sandbox_is_null(L, idx)) return json_null();
        break;
    default:
        break;
    }
    hrs_err_set(err, "%s is %s, expected %s", subject(path, sb, sizeof sb), kind_of(L, idx),
                h.expected ? h.expected : GENERIC);
    return NULL;
}

json_t *hrs_policy_convert_value(lua_State *L, int idx, const char *what, hrs_err *err)
{
    return to_json(L, lua_absindex(L, idx), what ? what : "", (hint){ SHAPE_ANY, NULL }, NULL, 0, err);
}

/* The shape and wording the Graph schema asks of each attribute. */
static hint attribute_hint(const char *name)
{
    const char *type = hrs_graph_schema_lookup(name);
    if (!type) return (hint){ SHAPE_ANY, NULL };
    if (strcmp(type, "Edm.String") == 0) return (hint){ SHAPE_ANY, "a string" };
    if (strcmp(type, "Edm.Boolean") == 0) return (hint){ SHAPE_ANY, "a boolean" };
    if (strcmp(type, "Edm.Int32") == 0) return (hint){ SHAPE_ANY, "an integer" };
    if (strcmp(type, "Edm.DateTimeOffset") == 0)
        return (hint){ SHAPE_ANY, "a date-time string (YYYY-MM-DDThh:mm:ssZ)" };
    if (strcmp(type, "Collection(Edm.String)") == 0) return (hint){ SHAPE_LIST, "a list of strings" };
    if (strncmp(type, "Collection(", 11) == 0) return (hint){ SHAPE_LIST, "a list" };
    return (hint){ SHAPE_OBJECT, "a table of fields" };
}

json_t *hrs_policy_convert_attributes(lua_State *L, int idx, hrs_err *err)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) {
        hrs_err_set(err, "returned %s, expected a table of attributes", kind_of(L, idx));
        return NULL;
    }
    return table_to_json(L, idx, "", SHAPE_OBJECT, attribute_hint, 0, err);
}

json_t *hrs_policy_convert_strings(lua_State *L, int idx, const char *item, int fold_case,
                                   hrs_err *err)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) {
        hrs_err_set(err, "returned %s, expected a list of strings", kind_of(L, idx));
        return NULL;
    }
    size_t count = 0;
    int list = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        count++;
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 1) list = 0;
        else if ((size_t)lua_tointeger(L, -1) > MAX_STRINGS) list = 0;
        if (count > MAX_STRINGS) {
            lua_pop(L, 1);
            hrs_err_set(err, "returned more than %d %ss", MAX_STRINGS, item);
            return NULL;
        }
    }
    if (!list || (count && lua_rawlen(L, idx) != count)) {
        hrs_err_set(err, "returned a table that is not a list (keys must be 1, 2, 3, …)");
        return NULL;
    }
    json_t *arr = json_array();
    if (!arr) {
        hrs_err_set(err, "out of memory converting the %ss", item);
        return NULL;
    }
    for (size_t i = 1; i <= count; i++) {
        lua_rawgeti(L, idx, (lua_Integer)i);
        if (lua_type(L, -1) != LUA_TSTRING) {
            hrs_err_set(err, "%s %zu is %s, expected a string", item, i, kind_of(L, -1));
            lua_pop(L, 1);
            json_decref(arr);
            return NULL;
        }
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        if (strlen(s) != len) {
            hrs_err_set(err, "%s %zu contains a NUL byte", item, i);
            lua_pop(L, 1);
            json_decref(arr);
            return NULL;
        }
        int dup = 0;
        for (size_t j = 0; j < json_array_size(arr) && !dup; j++) {
            const char *o = json_string_value(json_array_get(arr, j));
            dup = fold_case ? strcasecmp(o, s) == 0 : strcmp(o, s) == 0;
        }
        json_t *j = dup ? NULL : json_stringn(s, len);
        lua_pop(L, 1);
        if (dup) continue;
        if (!j || json_array_append_new(arr, j) != 0) {
            hrs_err_set(err, "%s %zu is not valid UTF-8 text", item, i);
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}
