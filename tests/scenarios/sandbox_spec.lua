-- The policy sandbox through the real engine: a policy that tries to escape, to run forever or to
-- eat the memory is planned with `hrsync.plan` against the simulator, and only the person whose
-- hook misbehaves is quarantined, with the reason; the other person's account is still planned.
local hrsync = require "hrsync"
local h = require "helpers"

-- A policy whose include hook runs `body` for person 1 only.
local function policy_with(body)
  return string.format([[
return {
  include = function(p)
    if p.id == "1" then
%s
    end
    return true
  end,
  attributes = function(p) return { givenName = p.first_name, surname = p.last_name } end,
  upn = function(p) return { p.first_name:lower() .. "@example.com" } end,
}
]], body)
end

-- Lua 5.4 bytecode header ("\27Lua", version 0x54): what load must refuse.
local BYTECODE = [["\27Lua\84\0\25\147\13\10\26\10\4\8\8\120\86\0\0\0\0\0\0\0\0\0\0\0\40\119\64\1"]]

local cases = {
  { "os.execute", "os.execute('touch /tmp/hrsync-escaped')", "attempt to call a nil value %(field 'execute'%)" },
  { "io.open", "io.open('/etc/passwd')", "undefined global 'io'" },
  { "require 'ffi'", "require('ffi')", "module 'ffi' is not available in a policy" },
  { "require 'debug'", "require('debug').getregistry()", "module 'debug' is not available in a policy" },
  { "require 'io'", "require('io')", "module 'io' is not available in a policy" },
  { "load of bytecode", "local f, e = load(" .. BYTECODE .. ") assert(f, e)", "attempt to load a binary chunk" },
  { "string.dump", "string.dump(function() end)", "attempt to call a nil value %(field 'dump'%)" },
  { "package.loadlib", "package.loadlib('libc.so.6', 'system')", "undefined global 'package'" },
  { "os.getenv", "os.getenv('HOME')", "attempt to call a nil value %(field 'getenv'%)" },
  { "dofile", "dofile('/etc/passwd')", "undefined global 'dofile'" },
  { "a global write after load", "leaked = true", "assignment to undeclared global 'leaked'" },
  { "a change to a library table", "string.upper = nil", "attempt to modify the read%-only table 'string'" },
  { "a runaway loop", "while true do end", "instruction budget of %d+ exceeded in hook 'include' %(policy%.lua:%d+%)",
    "budget" },
  { "a pcall around a budget overrun", "pcall(function() while true do end end)",
    "instruction budget of %d+ exceeded in hook 'include'", "budget" },
  { "an xpcall around a budget overrun", "xpcall(function() while true do end end, function() return true end)",
    "instruction budget of %d+ exceeded in hook 'include'", "budget" },
  { "a memory bomb (one big string)", "local s = string.rep('x', 200 * 1024 * 1024)",
    "memory limit of 64 MiB exceeded in hook 'include'", "memory" },
  { "a memory bomb (a growing table)", "local t = {} for i = 1, 1e9 do t[i] = {i, i, i, i} end",
    "memory limit of 64 MiB exceeded in hook 'include'", "memory" },
}

describe("the policy sandbox, through the engine", function()
  local sim, secret, dir, people

  setup(function()
    hrsync.log_level("error")     -- each case logs the quarantine as a warning
    sim, secret = h.start_sim(hrsync, {})
    dir = h.tmpdir()
    people = h.write(dir .. "/people.json", [[
[ {"id": "1", "first_name": "Eve", "last_name": "Mallory", "status": "active"},
  {"id": "2", "first_name": "Bob", "last_name": "Builder", "status": "active"} ]
]])
  end)

  teardown(function()
    hrsync.log_level("warn")
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  for _, case in ipairs(cases) do
    local name, body, pattern, failure = case[1], case[2], case[3], case[4] or "error"
    it("quarantines the person whose hook tries " .. name .. ", and plans the others", function()
      local policy = h.write(dir .. "/policy.lua", policy_with(body))
      local config = h.config(dir, sim, { secret = secret, policy = policy,
                                          source = string.format("{ type = 'json', path = %q }", people) })
      local plan, err = hrsync.plan(config)
      assert.is_table(plan, err)
      assert.are.equal(1, #plan.quarantine, "only person 1 is quarantined")
      local q = plan.quarantine[1]
      assert.are.equal("1", q.person)
      assert.matches("person 1", q.reason, 1, true)
      assert.matches(pattern, q.reason)
      assert.are.equal(failure, q.failure)
      local bob = h.changes_for(plan, "2")
      assert.are.equal("create", bob.action)
      assert.are.equal("bob@example.com", bob.upn)
    end)
  end
end)
