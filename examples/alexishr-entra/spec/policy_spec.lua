-- The AlexisHR example's policy, run through the real engine against the simulator:
--   hrsync test examples/alexishr-entra/spec
local testing = require("hrsync.testing")

local POLICY = "../policy.lua"     -- relative to this spec

describe("AlexisHR behaviour", function()
  it("uses the work email as the login name", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01",
      people = { testing.person{ id = "1", first_name = "Elin", last_name = "Andersson",
                                 email = "Elin.Andersson@example.com" } },
    }
    testing.expect_account("elin.andersson@example.com", { employeeId = "1", mail = "elin.andersson@example.com" })
  end)

  it("quarantines a person whose work email is not on the tenant's domain, with the reason", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01",
      people = {
        testing.person{ id = "1", first_name = "Maja", last_name = "Berg", email = "maja.berg@example.org" },
        testing.person{ id = "2", first_name = "Nils", last_name = "Holm", email = "nils.holm@example.com" },
      },
    }
    testing.expect_quarantined("1", "maja%.berg@example%.org is on domain example%.org, which is not a domain of the tenant")
    testing.expect_no_account("maja.berg@example.org")
    testing.expect_account("nils.holm@example.com")
  end)

  it("writes the leave date as employeeLeaveDateTime, and disables the account after it", function()
    local s = testing.scenario{ policy = POLICY }
    local oskar = testing.person{ id = "3", first_name = "Oskar", last_name = "Lindqvist",
                                  email = "oskar.lindqvist@example.com", termination_date = "2027-01-31" }
    s:sync{ people = { oskar }, now = "2026-12-01" }
    testing.expect_account("oskar.lindqvist@example.com",
      { employeeLeaveDateTime = "2027-01-31T23:59:59Z", accountEnabled = true })
    s:sync{ people = { oskar }, now = "2027-02-01" }
    testing.expect_account("oskar.lindqvist@example.com", { accountEnabled = false })
    s:stop()
  end)
end)
