/* luajson.h: the one converter between Lua values and JSON (jansson), used at every C/Lua
 * boundary: the Lua module and the config file (the "module" dialect below), and the policy
 * sandbox (policy_convert.h builds its conversions on the general forms with a dialect of its own).
 *
 * JSON -> Lua: objects become tables without their null members (so `p.x == nil` works), arrays
 * sequences with the dialect's null value for null items (positions kept), strings, integers,
 * floats and booleans themselves. It may raise (memory, nesting), so it runs where Lua errors are
 * caught: inside a C function called from Lua, or a protected call.
 *
 * Lua -> JSON never raises: it only reads the stack (lua_next, lua_rawgeti, lua_tolstring on
 * values that are strings, lua_checkstack), so it is safe outside protected calls. A table with
 * keys 1..n is an array, one with string keys an object (keys come out sorted), an empty table an
 * object (or an array where a list is expected); the dialect's null value is null. Refused, with a
 * message naming the value ("value of 'source.columns' is a function, expected …"): functions and
 * other values that are not data, tables mixing list items and names, lists with holes, keys that
 * are neither, strings that are not UTF-8, non-finite numbers, nesting deeper than the dialect
 * allows (which also stops tables that contain themselves). When several values are bad, the one
 * whose name sorts first is reported, whatever Lua's hash order. */
#ifndef HRSYNC_LUAJSON_H
#define HRSYNC_LUAJSON_H

#include <jansson.h>
#include <lua.h>
#include <stddef.h>
#include "hrsync/err.h"

/* What stands for JSON null on the Lua side, and the limits of one use. */
typedef struct hrs_luajson_dialect {
    void (*push_null)(lua_State *L);          /* [-0, +1, -] pushes the null value */
    int (*is_null)(lua_State *L, int idx);    /* 1 for the null value (may use one stack slot) */
    int nil_is_null;                          /* Lua -> JSON: nil is null (else refused) */
    int push_depth;                           /* JSON -> Lua: deeper nesting raises */
    int to_depth;                             /* Lua -> JSON: deeper nesting is refused */
    size_t max_entries;                       /* Lua -> JSON: entries in one table; 0 = no limit */
    const char *generic;                      /* what a value may be, for messages */
    const char *null_name;                    /* how the null value reads in messages */
} hrs_luajson_dialect;

/* The Lua module's and the config's dialect: the light userdata of hrs_luajson_push_null (the
 * module's hrsync.null) is null, nil is null, 32 levels, no entry limit. */
extern const hrs_luajson_dialect hrs_luajson_module;

/* [-0, +1, m] Pushes v as a Lua value (module dialect). */
void hrs_luajson_push(lua_State *L, const json_t *v);

/* [-0, +1, -] Pushes the module dialect's null sentinel (a light userdata). */
void hrs_luajson_push_null(lua_State *L);

/* [-0, +0, -] Converts the value at idx (module dialect). Returns a new reference, or NULL with
 * a message in why (size n) naming the path, rooted at `root`. */
json_t *hrs_luajson_to(lua_State *L, int idx, const char *root, char *why, size_t n);

/* ---- the general forms ---- */

/* [-0, +1, e] Pushes v in dialect d; raises on memory or nesting deeper than d->push_depth
 * ("the JSON value is nested more than N levels deep"). */
void hrs_luajson_push_as(lua_State *L, const json_t *v, const hrs_luajson_dialect *d);

/* The shape a table should have, and the words for what a value should be. */
typedef enum { HRS_LUAJSON_ANY, HRS_LUAJSON_LIST, HRS_LUAJSON_OBJECT } hrs_luajson_shape;
typedef struct hrs_luajson_hint {
    hrs_luajson_shape shape;
    const char *expected;                     /* NULL: the dialect's generic words */
} hrs_luajson_hint;

/* The hint for the value under key of the table being converted (one level only). */
typedef hrs_luajson_hint (*hrs_luajson_child_hint)(const char *key);

/* [-0, +0, -] Converts the value at idx in dialect d. path names it in messages ("" = "the
 * returned table"); h is the hint for the value itself, children (may be NULL) for the values of
 * its keys. Returns a new reference, or NULL with err. */
json_t *hrs_luajson_convert(lua_State *L, int idx, const char *path, hrs_luajson_hint h,
                            hrs_luajson_child_hint children, const hrs_luajson_dialect *d, hrs_err *err);

/* "nil", "a boolean", "a number", "a string", "a table", "a function", "a coroutine", the null
 * value's name (d->null_name) or "a userdata": how a value reads in messages. */
const char *hrs_luajson_kind(lua_State *L, int idx, const hrs_luajson_dialect *d);

#endif
