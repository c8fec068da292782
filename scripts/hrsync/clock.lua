-- hrsync.clock: the cycle's pinned "now" as a calendar date, for the library's defaults.
--
-- Policy hooks see no wall clock: the engine pins one date per cycle (so that a plan can be
-- replayed) and exposes it to the sandbox as a global function. today() reads, in this order:
--   1. a function set with clock.set (specs, or a policy that wants a fixed date);
--   2. the engine's global hrsync_today() (or hrsync_now(), the older name);
--   3. otherwise it raises "no clock".
-- The value must be "YYYY-MM-DD"; a date-time is cut to its calendar date as written.
-- Library functions that take `now` use today() only when the caller passes nil.

local M = {}

local type, error, tostring, rawget, pcall, ipairs = type, error, tostring, rawget, pcall, ipairs
local smatch = string.match

local override = nil

-- Reads a global at call time, without tripping a strict-globals guard on a missing name.
local function global(name)
  local env = _ENV
  local v = rawget(env, name)
  if v == nil then
    local ok, got = pcall(function() return env[name] end)
    if ok then v = got end
  end
  return v
end

local function check(v, source)
  if type(v) ~= "string" then
    error("hrsync.clock: " .. source .. " returned " .. type(v) .. ", expected 'YYYY-MM-DD'", 3)
  end
  local date = smatch(v, "^(%d%d%d%d%-%d%d%-%d%d)$") or smatch(v, "^(%d%d%d%d%-%d%d%-%d%d)[Tt ]")
  if not date then
    error("hrsync.clock: " .. source .. " returned '" .. v .. "', expected 'YYYY-MM-DD'", 3)
  end
  return date
end

--- The cycle's date, "YYYY-MM-DD".
function M.today()
  if override ~= nil then
    return check(override(), "clock.set function")
  end
  for _, name in ipairs({ "hrsync_today", "hrsync_now" }) do
    local f = global(name)
    if type(f) == "function" then return check(f(), name .. "()") end
    if type(f) == "string" then return check(f, name) end
  end
  error("hrsync.clock: no clock (the engine provides hrsync_today(); specs call clock.set)", 2)
end

--- Pins today() to fn's result: fn is a function returning "YYYY-MM-DD", or a date string.
-- clock.set(nil) goes back to the engine's clock.
function M.set(fn)
  if fn == nil then
    override = nil
  elseif type(fn) == "string" then
    check(fn, "clock.set")
    override = function() return fn end
  elseif type(fn) == "function" then
    override = fn
  else
    error("hrsync.clock.set: function, date string or nil expected, got " .. tostring(type(fn)), 2)
  end
end

return M
