-- The demo policy (examples/demo/policy.lua), loaded in the sandbox stand-in and run on
-- fictional people at a pinned date.

local here = debug.getinfo(1, "S").source:sub(2):match("^(.*)/[^/]+$") or "."
local H = dofile(here .. "/sandbox_helper.lua")

local TODAY = "2025-03-31"

local function load_demo()
  return (H.load_policy(H.root .. "/examples/demo/policy.lua",
    { hrsync_today = function() return TODAY end }))
end

local function person(fields)
  local p = {
    id = "1042", first_name = "Zoë", last_name = "Müller-Lüdenscheidt", preferred_name = "",
    email = "zoe@example.org", status = "active", department = "Finance",
    position = "Controller", office = "Berlin", supervisor_id = "1001",
    hire_date = "2021-09-01", termination_date = nil, gender = "female", raw = {},
  }
  for k, v in pairs(fields or {}) do p[k] = v end
  return p
end

describe("examples/demo/policy.lua", function()
  local policy = load_demo()

  it("returns only the hooks the engine knows", function()
    local known = { include = true, attributes = true, upn = true, groups = true, lifecycle = true }
    for k, v in pairs(policy) do
      assert.is_true(known[k] == true, "unknown hook " .. tostring(k))
      if k ~= "lifecycle" then assert.are.equal("function", type(v), k) end
    end
  end)

  it("declares the lifecycle settings", function()
    assert.are.same({
      prehire_days = 7, create_disabled = false,
      leaver = { disable = true, set_leave_date = true, remove_groups = true, revoke_sessions = true },
      rehire = "relink",
    }, policy.lifecycle)
  end)

  describe("include", function()
    it("includes active people", function()
      local ok, reason = policy.include(person())
      assert.is_true(ok)
      assert.matches("status 'active' in {active, onboarding, leave}", reason, 1, true)
    end)

    it("includes onboarding people from 7 days before the hire date", function()
      assert.is_true((policy.include(person{ status = "onboarding", hire_date = "2025-04-07" })))
      local ok, reason = policy.include(person{ status = "onboarding", hire_date = "2025-04-08" })
      assert.is_false(ok)
      assert.are.equal("prehire: in scope from 2025-04-01 (hire_date 2025-04-08 - 7 days), "
        .. "now 2025-03-31", reason)
    end)

    it("keeps people on leave in scope", function()
      assert.is_true((policy.include(person{ status = "leave" })))
    end)

    it("excludes other statuses with the reason", function()
      assert.are.same({ false, "status 'inactive' not in {active, onboarding, leave}" },
        { policy.include(person{ status = "inactive" }) })
    end)

    it("keeps a leaver through the last day and drops them the day after", function()
      assert.is_true((policy.include(person{ termination_date = "2025-03-31" })))
      assert.is_false((policy.include(person{ termination_date = "2025-03-30" })))
    end)
  end)

  describe("attributes", function()
    it("maps the HR record to Graph properties", function()
      assert.are.same({
        givenName = "Zoë", surname = "Müller-Lüdenscheidt",
        displayName = "Zoë Müller-Lüdenscheidt", department = "Finance",
        jobTitle = "Controller", employeeId = "1042", officeLocation = "Berlin",
        employeeHireDate = "2021-09-01T00:00:00Z", usageLocation = "DE",
        companyName = "Example GmbH",
      }, policy.attributes(person()))
    end)

    it("uses the preferred name for display and leaves blank fields out", function()
      local a = policy.attributes(person{ first_name = "Robert", last_name = "Smith",
        preferred_name = "Bob", office = " ", position = "", company = "Example Labs GmbH" })
      assert.are.equal("Bob", a.givenName)
      assert.are.equal("Bob Smith", a.displayName)
      assert.is_nil(a.officeLocation)
      assert.is_nil(a.jobTitle)
      assert.are.equal("Example Labs GmbH", a.companyName)
    end)
  end)

  describe("upn", function()
    it("gives first.last with German folding, then numbered variants", function()
      local list = policy.upn(person())
      assert.are.equal(9, #list)
      assert.are.equal("zoe.mueller-luedenscheidt@example.com", list[1])
      assert.are.equal("zoe.mueller-luedenscheidt2@example.com", list[2])
      assert.are.equal("zoe.mueller-luedenscheidt9@example.com", list[9])
    end)

    it("uses the legal first name and drops apostrophes", function()
      assert.are.equal("liam.obrien@example.com",
        policy.upn(person{ first_name = "Liam", last_name = "O'Brien", preferred_name = "Li" })[1])
    end)
  end)

  describe("groups", function()
    it("gives the department group and Women", function()
      assert.are.same({ "SG-Finance", "Women" }, policy.groups(person()))
    end)

    it("gives only the department group to others", function()
      assert.are.same({ "SG-Engineering" },
        policy.groups(person{ department = "Engineering", gender = "male" }))
    end)

    it("gives no department group without a department", function()
      assert.are.same({}, policy.groups(person{ department = "", gender = "diverse" }))
    end)
  end)
end)
