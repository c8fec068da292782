-- The Personio example's policy, run through the real engine against the simulator:
--   hrsync test examples/personio-entra/spec
local testing = require("hrsync.testing")

local POLICY = "../policy.lua"     -- relative to this spec

describe("Personio behaviour", function()
  it("gives active and onboarding people an account named first.last", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01",
      people = {
        testing.person{ id = "1", first_name = "Jonas", last_name = "Weber", status = "active" },
        testing.person{ id = "2", first_name = "Lea", last_name = "Fischer", status = "onboarding",
                        hire_date = "2027-01-04" },
        testing.person{ id = "3", first_name = "Tim", last_name = "Hoffmann", status = "inactive" },
      },
    }
    testing.expect_account("jonas.weber@example.com", { employeeId = "1", accountEnabled = true })
    testing.expect_account("lea.fischer@example.com", { employeeId = "2" })
    testing.expect_no_account("tim.hoffmann@example.com")
  end)

  it("appends _<EmployeeID> when first.last is taken", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01",
      people = { testing.person{ id = "2003", first_name = "Max", last_name = "Mustermann",
                                   email = testing.none } },
      directory = testing.directory{
        users = { testing.user{ upn = "max.mustermann@example.com", displayName = "Another Max" } },
      },
    }
    testing.expect_account("max.mustermann_2003@example.com", { employeeId = "2003" })
    assert.are.equal("create", testing.plan_for("2003").action)
  end)

  it("disables the account the day after the termination date", function()
    local s = testing.scenario{ policy = POLICY }
    local sofia = testing.person{ id = "7", first_name = "Sofia", last_name = "Rossi",
                                  termination_date = "2026-12-15" }
    s:sync{ people = { sofia }, now = "2026-12-15" }
    testing.expect_account("sofia.rossi@example.com", { accountEnabled = true })
    s:sync{ people = { sofia }, now = "2026-12-16" }
    testing.expect_account("sofia.rossi@example.com", { accountEnabled = false })
    assert.are.equal("leaver", testing.plan_for("7").lifecycle)
    s:stop()
  end)
end)
