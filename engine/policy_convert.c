/* policy_convert.c: JSON <-> Lua values for policy hooks (see include/hrsync/policy_convert.h):
 * the sandbox's dialect of the one converter (luajson.c), the shapes the Graph schema asks of
 * attributes, and lists of strings (upn, groups). Nothing here raises on the Lua -> JSON side, so
 * results are read outside protected calls. */
#include "hrsync/policy_convert.h"
#include "hrsync/graph_schema.h"
#include "hrsync/luajson.h"
#include "hrsync/policy_sandbox.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_STRINGS 1000     /* items in a upn or groups list */

/* The sandbox's dialect: hrsync_null (a full userdata kept in the registry) is null, nil is
 * refused, 32 levels into Lua, 16 out of it (which also stops tables that contain themselves),
 * 10000 entries in a returned table. */
static const hrs_luajson_dialect policy_dialect = {
    hrs_policy_sandbox_push_null, hrs_policy_sandbox_is_null, 0, 32, 16, 10000,
    "a string, number, boolean, table or hrsync_null", "hrsync_null",
};

void hrs_policy_convert_push(lua_State *L, const json_t *v)
{
    hrs_luajson_push_as(L, v, &policy_dialect);
}

json_t *hrs_policy_convert_value(lua_State *L, int idx, const char *what, hrs_err *err)
{
    return hrs_luajson_convert(L, idx, what ? what : "", (hrs_luajson_hint){ HRS_LUAJSON_ANY, NULL }, NULL,
                               &policy_dialect, err);
}

static const char *kind_of(lua_State *L, int idx)
{
    return hrs_luajson_kind(L, idx, &policy_dialect);
}

/* The shape and wording the Graph schema asks of each attribute. */
static hrs_luajson_hint attribute_hint(const char *name)
{
    const char *type = hrs_graph_schema_lookup(name);
    if (!type) return (hrs_luajson_hint){ HRS_LUAJSON_ANY, NULL };
    if (strcmp(type, "Edm.String") == 0) return (hrs_luajson_hint){ HRS_LUAJSON_ANY, "a string" };
    if (strcmp(type, "Edm.Boolean") == 0) return (hrs_luajson_hint){ HRS_LUAJSON_ANY, "a boolean" };
    if (strcmp(type, "Edm.Int32") == 0) return (hrs_luajson_hint){ HRS_LUAJSON_ANY, "an integer" };
    if (strcmp(type, "Edm.DateTimeOffset") == 0)
        return (hrs_luajson_hint){ HRS_LUAJSON_ANY, "a date-time string (YYYY-MM-DDThh:mm:ssZ)" };
    if (strcmp(type, "Collection(Edm.String)") == 0) return (hrs_luajson_hint){ HRS_LUAJSON_LIST, "a list of strings" };
    if (strncmp(type, "Collection(", 11) == 0) return (hrs_luajson_hint){ HRS_LUAJSON_LIST, "a list" };
    return (hrs_luajson_hint){ HRS_LUAJSON_OBJECT, "a table of fields" };
}

json_t *hrs_policy_convert_attributes(lua_State *L, int idx, hrs_err *err)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE) {
        hrs_err_set(err, "returned %s, expected a table of attributes", kind_of(L, idx));
        return NULL;
    }
    return hrs_luajson_convert(L, idx, "", (hrs_luajson_hint){ HRS_LUAJSON_OBJECT, NULL }, attribute_hint,
                               &policy_dialect, err);
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
