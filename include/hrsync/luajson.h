/* luajson.h: conversion between Lua values and JSON (jansson) at the C/Lua boundary.
 *
 * Lua -> JSON: nil -> null, booleans, integers and floats, strings; a table with keys 1..n
 * (n > 0) -> array, a table with string keys -> object, an empty table -> object; the light
 * userdata HRS_LUAJSON_NULL (pushed by hrs_luajson_push_null) -> null. Anything else (functions,
 * mixed tables, cycles) is refused with a message naming the path ("attributes.givenName").
 * JSON -> Lua: null -> nil inside objects (so `p.x == nil` works) and the null sentinel inside
 * arrays (so that positions are kept). */
#ifndef HRSYNC_LUAJSON_H
#define HRSYNC_LUAJSON_H

#include <jansson.h>
#include <lua.h>

/* [-0, +1, m] Pushes v as a Lua value. */
void hrs_luajson_push(lua_State *L, const json_t *v);

/* [-0, +1, -] Pushes the null sentinel (a light userdata). */
void hrs_luajson_push_null(lua_State *L);

/* [-0, +0, m] Converts the value at idx. Returns a new reference, or NULL with a message in
 * why (size n) naming the path, rooted at `root`. */
json_t *hrs_luajson_to(lua_State *L, int idx, const char *root, char *why, size_t n);

#endif
