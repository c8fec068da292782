-- The test kit for admins' policies (scripts/hrsync/testing.lua) checked on the demo policy:
-- what it builds, what a run holds, and that its expectations fail with a useful message when
-- they do not hold.
local h = require "helpers"
local testing = require "hrsync.testing"

local POLICY = h.examples .. "/demo/policy.lua"

describe("hrsync.testing", function()
  it("fills in a person's defaults and removes one with testing.none", function()
    local p = testing.person{ first_name = "Zoë", last_name = "Brandt", hire_date = testing.none }
    assert.are.equal("active", p.status)
    assert.are.equal("zo.brandt@example.com", p.email)
    assert.is_nil(p.hire_date)
    assert.are_not.equal(p.id, testing.person{}.id)
  end)

  it("plans without writing, and syncs into the simulated directory", function()
    local people = { testing.person{ id = "1", first_name = "Ada", last_name = "Lovelace", department = "Finance",
                                     gender = "female" } }
    local directory = testing.directory{ groups = { "SG-Finance", "Women" },
                                         users = { testing.user{ upn = "admin@example.com" } } }
    local run = testing.plan{ policy = POLICY, now = "2026-12-01", people = people, directory = directory }
    assert.are.equal("create", run:plan_for("1").action)
    assert.is_nil(run:account("ada.lovelace@example.com"))
    assert.is_table(run:account("admin@example.com"))

    run = testing.sync{ policy = POLICY, now = "2026-12-01", people = people, directory = directory }
    run:expect_account("ada.lovelace@example.com", { department = "Finance", employeeId = "1" })
    testing.expect_member("SG-Finance", "ada.lovelace@example.com")
    testing.expect_member("Women", "ada.lovelace@example.com")
    assert.are.equal(run, testing.last)
  end)

  it("fails an expectation that does not hold, saying what it found", function()
    testing.sync{ policy = POLICY, now = "2026-12-01", directory = testing.directory{ groups = { "SG-Sales" } },
                  people = { testing.person{ id = "2", first_name = "Bo", last_name = "Berg", department = "Sales" } } }
    local ok, err = pcall(testing.expect_account, "bo.berg@example.com", { department = "Finance" })
    assert.is_false(ok)
    assert.matches('expected department of bo.berg@example.com to be "Finance", found "Sales"', err, 1, true)
    ok, err = pcall(testing.expect_account, "nobody@example.com")
    assert.is_false(ok)
    assert.matches("expected an account nobody@example.com; the directory has: bo.berg@example.com", err, 1, true)
    ok, err = pcall(testing.expect_not_member, "SG-Sales", "bo.berg@example.com")
    assert.is_false(ok)
    assert.matches("expected bo.berg@example.com not to be a member of SG-Sales", err, 1, true)
    ok, err = pcall(testing.expect_quarantined, "2")
    assert.is_false(ok)
    assert.matches("expected person 2 to be quarantined", err, 1, true)
  end)

  it("shows the quarantine reason of a person the policy cannot decide", function()
    -- The demo policy needs the groups to exist: SG-Legal does not.
    testing.sync{ policy = POLICY, now = "2026-12-01",
                  people = { testing.person{ id = "3", first_name = "Cy", last_name = "Cole", department = "Legal" } } }
    testing.expect_quarantined("3", "group 'SG%-Legal' does not exist")
    testing.expect_no_account("cy.cole@example.com")
  end)

  it("refuses a run without a policy", function()
    assert.has_error(function() testing.sync{ people = {} } end, "hrsync.testing: policy = 'path/to/policy.lua' expected")
  end)
end)
