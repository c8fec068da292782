/* lua_engine.h: a long-lived engine in `require "hrsync"` (engine/lua_engine.c), for scenarios
 * that need what a daemon has and a one-shot call does not: a policy loaded once and reloaded
 * while the engine stays open.
 *
 *   local e = assert(hrsync.open("config.lua", overrides))
 *   local plan = e:plan()                     -- as hrsync.plan, with this engine's policy
 *   local plan, result = e:sync()
 *   local ok, err = e:reload_policy()         -- SIGHUP: true, or nil and why the old one stays
 *   local changed, err = e:maybe_reload()     -- true (reloaded), false (unchanged), nil + err
 *   local st = e:policy_status()              -- {path, version, loaded_at, last_reload_error, …}
 *   e:close()
 *
 * Failures return nil and the message, as the rest of the module does. */
#ifndef HRSYNC_LUA_ENGINE_H
#define HRSYNC_LUA_ENGINE_H

#include <lua.h>

/* [-0, +0, m] Adds open to the table on top of the stack, and registers the metatable of
 * engine objects. */
void hrs_lua_engine_register(lua_State *L);

#endif
