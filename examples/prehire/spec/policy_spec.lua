-- The prehire example's policy, through the real engine against the simulator:
--   hrsync test examples/prehire/spec
local testing = require("hrsync.testing")

local POLICY = "../policy.lua"

describe("pre-hire accounts", function()
  it("creates the account 7 days before the first day, disabled, and enables it on that day", function()
    local s = testing.scenario{ policy = POLICY }
    local kim = testing.person{ id = "1", first_name = "Kim", last_name = "Park", status = "onboarding",
                                hire_date = "2026-12-08" }
    s:sync{ people = { kim }, now = "2026-11-30" }            -- 8 days before: not yet
    testing.expect_no_account("kim.park@example.com")
    s:sync{ people = { kim }, now = "2026-12-01" }            -- 7 days before
    testing.expect_account("kim.park@example.com", { accountEnabled = false, employeeId = "1" })
    s:sync{ people = { kim }, now = "2026-12-07" }
    testing.expect_account("kim.park@example.com", { accountEnabled = false })
    s:sync{ people = { kim }, now = "2026-12-08" }            -- the first day
    testing.expect_account("kim.park@example.com", { accountEnabled = true })
    s:stop()
  end)

  it("creates people who already work here enabled", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01",
      people = { testing.person{ id = "2", first_name = "Ravi", last_name = "Shah", hire_date = "2024-03-01" } },
    }
    testing.expect_account("ravi.shah@example.com", { accountEnabled = true })
  end)
end)
