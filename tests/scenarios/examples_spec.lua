-- The examples under examples/ run in the demo setup: each example's own config plans and syncs
-- against the simulator (seeded with the example's directory), and each passes its own spec
-- through `hrsync test`.
local hrsync = require "hrsync"
local h = require "helpers"

local bin = (os.getenv("HRSYNC_BUILD_DIR") or "build") .. "/hrsync"

local run = h.run

local EXAMPLES = {
  { name = "personio-entra", check = function(plan)
      assert.are.equal("max.mustermann_2003@example.com", h.changes_for(plan, "2003").upn)
      assert.are.equal("create", h.changes_for(plan, "2002").action)     -- onboarding
      assert.is_nil(h.changes_for(plan, "2005"))                          -- inactive
    end },
  { name = "alexishr-entra", quarantined = { ["3003"] = "maja%.berg@example%.org is on domain example%.org" },
    check = function(plan)
      assert.are.equal("2027-01-31T23:59:59Z", h.changes_for(plan, "3002").attributes.employeeLeaveDateTime)
    end },
  { name = "department-groups", check = function(plan)
      assert.are.equal("SG-Finance", h.changes_for(plan, "1013").groups_add[1].group)
    end },
  { name = "women-starters", check = function(plan)
      assert.are.equal("Women", h.changes_for(plan, "1010").groups_add[1].group)
      assert.is_nil(h.changes_for(plan, "1007").groups_add)
    end },
  { name = "prehire", check = function(plan)
      assert.is_true(h.changes_for(plan, "1002").account_enabled)         -- employed since 2021
    end },
}

describe("the examples", function()
  local sim, secret, dir

  before_each(function()
    hrsync.log_level("error")    -- the AlexisHR example quarantines one person on purpose
    dir = h.tmpdir()
  end)

  after_each(function()
    hrsync.log_level("warn")
    if sim then sim:stop() end
    sim = nil
    os.execute("rm -rf '" .. dir .. "'")
  end)

  for _, ex in ipairs(EXAMPLES) do
    it(ex.name .. " plans and syncs its own config against the simulator", function()
      local folder = h.examples .. "/" .. ex.name
      sim, secret = h.start_sim(hrsync, { seed_file = folder .. "/directory-seed.json",
                                          client_id = "00000000-0000-0000-0000-000000000000" })
      local overrides = {
        directory = { graph_url = sim:url() .. "/v1.0", login_url = sim:url(), client_secret_env = hrsync.null,
                      client_secret_file = h.write(dir .. "/secret", secret) },
        state = dir .. "/state.db",
      }
      local plan, err = hrsync.plan(folder .. "/config.lua", overrides)
      assert.is_table(plan, err)
      assert.is_true(plan.summary.create > 0)
      local expected = ex.quarantined or {}
      local n = 0
      for _, q in ipairs(plan.quarantine) do
        n = n + 1
        assert.is_string(expected[q.person], "unexpected quarantine: " .. tostring(q.person) .. ": " .. q.reason)
        assert.matches(expected[q.person], q.reason)
      end
      for _ in pairs(expected) do n = n - 1 end
      assert.are.equal(0, n, "every expected quarantine happened")
      ex.check(plan)
      local _, result = hrsync.sync(folder .. "/config.lua", overrides)
      assert.is_table(result)
      assert.are.equal(0, result.failed)
      assert.are.equal(plan.summary.create, result.created)
    end)

    it(ex.name .. " passes its own spec through hrsync test", function()
      local out, code = run(string.format("'%s' test '%s/%s/spec'", bin, h.examples, ex.name))
      assert.are.equal(0, code, out)
      assert.matches("%d+ successes / 0 failures / 0 errors", out)
    end)
  end
end)
