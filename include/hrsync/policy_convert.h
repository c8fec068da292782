/* policy_convert.h: values across the C/Lua boundary of a policy (internal to engine/policy*.c).
 *
 * The sandbox's dialect of the one Lua <-> JSON converter (luajson.h), with hrsync_null for
 * null. JSON -> Lua builds fresh tables and may raise (memory), so it runs inside a protected
 * call. Lua -> JSON only reads the Lua stack (no allocation, no metamethods), never raises, and
 * reports problems through an hrs_err: messages name the value ("value of
 * 'employeeOrgData.division' is a function, expected a string"). The value rules are documented
 * in policy.h. Object keys come out sorted, and when several values are bad the one whose name
 * sorts first is reported, so results and messages do not depend on Lua's hash order. */
#ifndef HRSYNC_POLICY_CONVERT_H
#define HRSYNC_POLICY_CONVERT_H

#include <jansson.h>
#include <lua.h>
#include "hrsync/err.h"

/* [-0, +1, e] Pushes v as a Lua value: objects -> tables without their null members,
 * arrays -> sequences with hrsync_null for null items, numbers keep integer/float. Raises on
 * memory or nesting deeper than 32. */
void hrs_policy_convert_push(lua_State *L, const json_t *v);

/* [-0, +0, -] Converts any data value at idx (lifecycle settings): tables with keys 1..n ->
 * arrays, tables with string keys -> objects (empty -> object), strings (valid UTF-8),
 * booleans, integers, finite floats, hrsync_null -> null. what names the value in messages.
 * Returns a new reference, or NULL with err. */
json_t *hrs_policy_convert_value(lua_State *L, int idx, const char *what, hrs_err *err);

/* [-0, +0, -] Converts the table of attributes at idx. The Graph schema decides the shape of
 * each value: collection properties become arrays (an empty table is []), complex ones objects.
 * Types and limits are checked afterwards by hrs_validate_attributes. Returns a new object, or
 * NULL with err. */
json_t *hrs_policy_convert_attributes(lua_State *L, int idx, hrs_err *err);

/* [-0, +0, -] Converts a sequence of strings at idx to an array, dropping repeated items
 * (compared without regard to ASCII case when fold_case). item names one element in
 * messages ("candidate 2 is a number, expected a string"). At most 1000 items. Returns a new
 * array, or NULL with err. */
json_t *hrs_policy_convert_strings(lua_State *L, int idx, const char *item, int fold_case,
                                   hrs_err *err);

#endif
