/* lua_hrsim.h: the HR side of `require "hrsync"` (engine/lua_hrsim.c), kept out of
 * engine/lua_module.c so that the module file only registers it:
 *
 *   local hr = hrsync.hrsim_start{ personio_client_secret = "s3cret", … }   -- hrsim.h options
 *   hr:url()                          "http://127.0.0.1:<port>"
 *   hr:set("personio", "1002", "status", "retired")   -- nil removes, hrsync.null sets null
 *   hr:fault("throttle_next", 2)      hr:stats()      hr:stop()
 *   local r = hrsync.read_source{ type = "personio", … }   -- {people, quarantine, partial}
 *
 * Failures return nil and the message. */
#ifndef HRSYNC_LUA_HRSIM_H
#define HRSYNC_LUA_HRSIM_H

#include <lua.h>

/* [-0, +0, m] Adds hrsim_start and read_source to the table on top of the stack, and registers
 * the metatable of HR simulator objects. */
void hrs_lua_hrsim_register(lua_State *L);

#endif
