-- The department-groups example's policy, through the real engine against the simulator:
--   hrsync test examples/department-groups/spec
local testing = require("hrsync.testing")

local POLICY = "../policy.lua"
local GROUPS = { "SG-Engineering", "SG-Finance", "SG-Sales", "SG-People", "SG-Management", "SG-Staff" }

describe("department groups", function()
  it("puts each person into their department's group", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01", directory = testing.directory{ groups = GROUPS },
      people = {
        testing.person{ id = "1", first_name = "Ada", last_name = "Lovelace", department = "Finance" },
        testing.person{ id = "2", first_name = "Alan", last_name = "Turing", department = "Engineering" },
      },
    }
    testing.expect_member("SG-Finance", "ada.lovelace@example.com")
    testing.expect_not_member("SG-Engineering", "ada.lovelace@example.com")
    testing.expect_member("SG-Engineering", "alan.turing@example.com")
  end)

  it("uses SG-Staff for a department without a group of its own", function()
    testing.sync{
      policy = POLICY, now = "2026-12-01", directory = testing.directory{ groups = GROUPS },
      people = { testing.person{ id = "3", first_name = "Grace", last_name = "Hopper", department = "Legal" } },
    }
    testing.expect_member("SG-Staff", "grace.hopper@example.com")
  end)

  it("moves a person from the old department's group to the new one", function()
    local s = testing.scenario{ policy = POLICY, directory = testing.directory{ groups = GROUPS } }
    s:sync{ now = "2026-12-01",
            people = { testing.person{ id = "4", first_name = "Edsger", last_name = "Dijkstra", department = "Sales" } } }
    testing.expect_member("SG-Sales", "edsger.dijkstra@example.com")
    s:sync{ now = "2026-12-02",
            people = { testing.person{ id = "4", first_name = "Edsger", last_name = "Dijkstra", department = "Finance" } } }
    testing.expect_member("SG-Finance", "edsger.dijkstra@example.com")
    testing.expect_not_member("SG-Sales", "edsger.dijkstra@example.com")
    testing.expect_account("edsger.dijkstra@example.com", { department = "Finance" })
    s:stop()
  end)
end)
