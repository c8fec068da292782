-- The women-starters example's policy, through the real engine against the simulator:
--   hrsync test examples/women-starters/spec
local testing = require("hrsync.testing")

local POLICY = "../policy.lua"

describe("female starters", function()
  local directory = testing.directory{ groups = { "Women" } }

  it("puts a woman who starts into Women, two weeks before her first day", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01", directory = directory,
      people = {
        testing.person{ id = "1", first_name = "Marie", last_name = "Curie", gender = "female",
                        status = "onboarding", hire_date = "2026-12-14" },
        testing.person{ id = "2", first_name = "Pierre", last_name = "Curie", gender = "male",
                        status = "onboarding", hire_date = "2026-12-14" },
      },
    }
    testing.expect_member("Women", "marie.curie@example.com")
    testing.expect_not_member("Women", "pierre.curie@example.com")
  end)

  it("gives no account yet to a starter further out than 14 days", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01", directory = directory,
      people = { testing.person{ id = "3", first_name = "Lise", last_name = "Meitner", gender = "Female",
                                 status = "onboarding", hire_date = "2026-12-16" } },
    }
    testing.expect_no_account("lise.meitner@example.com")
    assert.is_nil(testing.plan_for("3"))
  end)

  it("keeps women who are already employed in the group", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01", directory = directory,
      people = { testing.person{ id = "4", first_name = "Emmy", last_name = "Noether", gender = "female" } },
    }
    testing.expect_member("Women", "emmy.noether@example.com")
  end)
end)
