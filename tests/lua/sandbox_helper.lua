-- Test helper: loads the shipped library and policies the way the engine's sandbox allows.
--
-- The environment holds only base functions (no load/loadfile/dofile/collectgarbage), string,
-- table, math, utf8 and os.time/os.date/os.clock, plus a require that reaches scripts/ and the
-- policy's folder. Reading an undefined global or writing any global raises, as the engine's
-- strict globals do, so a module that leaks or needs a global fails here.
-- This is a stand-in for specs; the engine's C sandbox is the real one.

local H = {}

local BASE = { "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget",
  "rawlen", "rawset", "select", "setmetatable", "getmetatable", "tonumber", "tostring", "type",
  "xpcall", "print", "_VERSION" }

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

local function find_source_dir()
  local src = debug.getinfo(1, "S").source:sub(2)
  return src:match("^(.*)/tests/lua/[^/]+$") or "."
end

H.root = find_source_dir()

--- Makes a sandbox environment. globals: extra globals such as hrsync_today.
-- policy_dir: a folder searched by require before scripts/.
function H.new(globals, policy_dir)
  local allowed = {}
  for _, name in ipairs(BASE) do allowed[name] = _G[name] end
  allowed.string = copy(string)
  allowed.table = copy(table)
  allowed.math = copy(math)
  allowed.utf8 = copy(utf8)
  allowed.os = { time = os.time, date = os.date, clock = os.clock }
  for k, v in pairs(globals or {}) do allowed[k] = v end

  local env = {}
  local loaded = {}
  local dirs = { H.root .. "/scripts" }
  if policy_dir then table.insert(dirs, 1, policy_dir) end

  allowed.require = function(name)
    if loaded[name] ~= nil then return loaded[name] end
    local rel = name:gsub("%.", "/")
    for _, dir in ipairs(dirs) do
      local path = dir .. "/" .. rel .. ".lua"
      local f = io.open(path, "r")
      if f then
        f:close()
        local chunk, err = loadfile(path, "t", env)
        if not chunk then error(err, 2) end
        local mod = chunk(name)
        if mod == nil then mod = true end
        loaded[name] = mod
        return mod
      end
    end
    error("module '" .. name .. "' not found in the sandbox", 2)
  end

  setmetatable(env, {
    __index = function(_, k)
      local v = allowed[k]
      if v == nil then error("undefined global '" .. tostring(k) .. "'", 2) end
      return v
    end,
    __newindex = function(_, k)
      error("global write to '" .. tostring(k) .. "': declare it local", 2)
    end,
  })
  return env, allowed
end

--- Loads a policy file in a fresh sandbox; returns the policy table and the environment.
function H.load_policy(path, globals)
  local dir = path:match("^(.*)/[^/]+$")
  local env = H.new(globals, dir)
  local chunk = assert(loadfile(path, "t", env))
  return chunk(), env
end

--- The globals a compiled chunk reads and writes (from luac's listing), or nil when luac5.4
-- is not installed.
function H.globals_used(path)
  local p = io.popen("luac5.4 -l -l -p '" .. path .. "' 2>/dev/null")
  if not p then return nil end
  local listing = p:read("a")
  p:close()
  if listing == "" then return nil end
  local reads, writes = {}, {}
  for op, name in listing:gmatch("([GS]ETTABUP)[^\n]-; _ENV \"([^\"]+)\"") do
    if op == "GETTABUP" then reads[name] = true else writes[name] = true end
  end
  return reads, writes
end

return H
