-- The shipped library runs inside the policy sandbox: no globals read outside the allowed
-- libraries, no globals written, no io / os / debug / load, and it works in a strict
-- environment (reading an undefined global raises).

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]+$") or "."
local H = dofile(here .. "/sandbox_helper.lua")

local MODULES = { "attributes", "clock", "dates", "groups", "include", "match", "text", "upn" }

-- What a library module may read from _ENV. No os at all: dates are arithmetic on the pinned
-- clock, never the wall clock.
local ALLOWED_READS = {
  type = true, tostring = true, tonumber = true, error = true, pairs = true, ipairs = true,
  pcall = true, select = true, setmetatable = true, rawget = true, rawequal = true, next = true,
  require = true, string = true, table = true, math = true, utf8 = true,
}

describe("the shipped library in the sandbox", function()
  for _, name in ipairs(MODULES) do
    local path = H.root .. "/scripts/hrsync/" .. name .. ".lua"

    it(name .. " reads only allowed globals and writes none", function()
      local reads, writes = H.globals_used(path)
      if reads == nil then
        pending("luac5.4 is not installed")
        return
      end
      for g in pairs(reads) do
        assert.is_true(ALLOWED_READS[g] == true, name .. ".lua reads global '" .. g .. "'")
      end
      assert.are.same({}, writes, name .. ".lua writes globals")
    end)

    it(name .. " loads in a strict sandbox and returns a module table", function()
      local env = H.new()
      local mod = env.require("hrsync." .. name)
      assert.are.equal("table", type(mod))
    end)
  end

  it("works end to end inside the sandbox", function()
    local env = H.new{ hrsync_today = function() return "2025-03-31" end }
    local upn = env.require("hrsync.upn")
    local include = env.require("hrsync.include")
    local dates = env.require("hrsync.dates")
    local zoe = { id = "P1", first_name = "Zoë", last_name = "Müller-Lüdenscheidt",
      status = "onboarding", hire_date = "2025-04-07" }
    local hook = upn.candidates{ "{first}.{last}", domain = "example.com", fold = "de" }
    assert.are.same({ "zoe.mueller-luedenscheidt@example.com" }, hook(zoe))
    assert.is_true((include.prehire{ days = 7 }(zoe)))   -- now from hrsync_today()
    assert.are.equal("2025-03-31", dates.today())
    assert.are.equal("2025-03-31", dates.local_date("2025-03-30T22:30:00Z", "Europe/Berlin"))
  end)

  it("raises 'no clock' in the sandbox when the engine gives none", function()
    local env = H.new()
    local include = env.require("hrsync.include")
    local ok, err = pcall(include.prehire{ days = 7 }, { hire_date = "2025-04-07" })
    assert.is_false(ok)
    assert.matches("no clock", err, 1, true)
  end)

  it("the strict environment does catch a leaking module", function()
    local env = H.new()
    local chunk = load("leaked = 1", "=leak", "t", env)
    assert.has_error(chunk)
    local chunk2 = load("return os.getenv('HOME')", "=peek", "t", env)
    assert.has_error(chunk2)
  end)
end)
