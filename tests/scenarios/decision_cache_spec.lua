-- The decision cache (engine/decide_cache.c): a cycle reuses the policy's decision for a person
-- whose record, policy code and date are those of the last cycle, and decides again when any of
-- them changed — a changed record, an edited policy, an edited module it requires (at load or
-- inside a hook) and a new day each show in the next plan.
local hrsync = require "hrsync"
local h = require "helpers"

local HEADER = "id,first_name,last_name,preferred_name,email,status,department,position,office,supervisor_id,hire_date,termination_date,gender,tz\n"
local ROWS = {
  "3001,Mara,Vogel,,mara.vogel@example.com,active,Sales,Account Manager,Berlin,,2024-01-01,,female,",
  "3002,Jonas,Brandt,,jonas.brandt@example.com,active,Engineering,Engineer,Berlin,,2024-01-01,,male,",
}

-- jobTitle: position, the module's word (lib/word.lua, required at load) and, through a module
-- required inside the hook (lib/late.lua) when lazy, a suffix; officeLocation: the sandbox's date.
local function policy_text(company, lazy)
  return [[
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local clock = require("hrsync.clock")
local word = require("lib.word")
return {
  include = function(p) return p.status == "active" end,
  attributes = function(p)
    local late = ]] .. (lazy and 'require("lib.late")' or '""') .. [[

    return attr.build{ givenName = p.first_name, surname = p.last_name, displayName = p.first_name .. " " .. p.last_name,
                       jobTitle = p.position .. " " .. word .. late, officeLocation = p.office .. " " .. clock.today(),
                       companyName = "]] .. company .. [[", employeeId = p.id, usageLocation = "DE" }
  end,
  upn = upn.candidates{ "{first}.{last}", domain = "example.com", fold = "de" },
}
]]
end

describe("the decision cache", function()
  local sim, secret, dir, config

  local function write_rows(rows) h.write(dir .. "/people.csv", HEADER .. table.concat(rows, "\n") .. "\n") end

  local function sync(now)
    local plan, result = hrsync.sync(config, now and { now = now } or nil)
    assert(plan, result)
    assert.are.equal(0, result and result.failed or 0)
    return plan
  end

  local function plan_at(now) return assert(hrsync.plan(config, now and { now = now } or nil)) end

  local function updated(plan, id)
    local c = h.changes_for(plan, id)
    assert(c and c.action == "update", "expected an update of " .. id)
    return c.attributes or c.set or c
  end

  local function user(upn) return h.user_by_upn(sim:snapshot(), upn) end

  before_each(function()
    sim, secret = h.start_sim(hrsync, {})
    dir = h.tmpdir()
    os.execute("mkdir -p '" .. dir .. "/lib'")
    write_rows(ROWS)
    h.write(dir .. "/lib/word.lua", 'return "(w1)"\n')
    h.write(dir .. "/lib/late.lua", 'return ""\n')
    h.write(dir .. "/policy.lua", policy_text("Example GmbH"))
    config = h.config(dir, sim, {
      secret = secret, policy = dir .. "/policy.lua",
      source = string.format("{ type = 'csv', path = %q, max_shrink = false }", dir .. "/people.csv"),
    })
    sync()
    assert.are.equal(0, #plan_at().changes, "in step after the first sync")
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("reuses the decisions of the last cycle when nothing changed", function()
    local out = h.run(string.format("%s -c %q plan --log-level debug", h.bin, config))
    assert.truthy(out:find("decisions: 2 reused, 0 made by the policy", 1, true), out)
  end)

  it("decides a person again when their record changed", function()
    local rows = { ROWS[1], (ROWS[2]:gsub(",Engineer,", ",Staff Engineer,")) }
    write_rows(rows)
    local plan = sync()
    assert.are.equal(1, #plan.changes)
    assert.are.equal("Staff Engineer (w1)", user("jonas.brandt@example.com").jobTitle)
    assert.are.equal("Account Manager (w1)", user("mara.vogel@example.com").jobTitle)
  end)

  it("decides everyone again when the policy file changed", function()
    h.write(dir .. "/policy.lua", policy_text("Example AG"))
    local plan = sync()
    assert.are.equal(2, #plan.changes)
    assert.are.equal("Example AG", user("mara.vogel@example.com").companyName)
    assert.are.equal("Example AG", user("jonas.brandt@example.com").companyName)
  end)

  it("decides everyone again when a module the policy requires at load changed", function()
    h.write(dir .. "/lib/word.lua", 'return "(w2)"\n')
    sync()
    assert.are.equal("Engineer (w2)", user("jonas.brandt@example.com").jobTitle)
  end)

  it("decides everyone again when a module required inside a hook changed", function()
    h.write(dir .. "/policy.lua", policy_text("Example GmbH", true))
    sync()
    sync()
    h.write(dir .. "/lib/late.lua", 'return " late"\n')
    sync()
    assert.are.equal("Engineer (w1) late", user("jonas.brandt@example.com").jobTitle)
    assert.are.equal("Account Manager (w1) late", user("mara.vogel@example.com").jobTitle)
  end)

  it("lets no cycle in which nothing changed hide an edited module, required at load or inside a hook", function()
    -- Incremental cycles with delta queries reuse the last plan with nothing to do (settled_spec).
    local ov, incr = { directory = { delta = true } }, { incremental = true }
    local function settled() return assert(hrsync.plan(config, ov, incr)).settled_since ~= nil end
    assert(hrsync.plan(config, ov))
    assert.is_true(settled())
    h.write(dir .. "/lib/word.lua", 'return "(w2)"\n')
    assert.is_false(settled())
    local p = assert(hrsync.plan(config, ov, incr))
    assert.are.equal(2, #p.changes)
    h.write(dir .. "/lib/word.lua", 'return "(w1)"\n')
    -- A module required inside a hook is not known before the hook runs: such a plan is never kept.
    h.write(dir .. "/policy.lua", policy_text("Example GmbH", true))
    assert.are.equal(0, #assert(hrsync.plan(config, ov)).changes)
    assert.is_false(settled())
    h.write(dir .. "/lib/late.lua", 'return " late"\n')
    assert.are.equal(2, #assert(hrsync.plan(config, ov, incr)).changes)
  end)

  it("decides everyone again on a new day", function()
    sync("2026-12-02")
    assert.are.equal("Berlin 2026-12-02", user("mara.vogel@example.com").officeLocation)
    assert.are.equal(0, #plan_at("2026-12-02").changes)
    sync("2026-12-01")
    assert.are.equal("Berlin 2026-12-01", user("jonas.brandt@example.com").officeLocation)
  end)

  it("forgets a person who left the source, and decides them afresh when they come back", function()
    write_rows({ ROWS[1] })
    plan_at()
    write_rows(ROWS)
    local out = h.run(string.format("%s -c %q plan --log-level debug", h.bin, config))
    assert.truthy(out:find("decisions: 1 reused, 1 made by the policy", 1, true), out)
  end)
end)
