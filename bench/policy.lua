-- The benchmark's policy: the demo policy's rules (examples/demo/policy.lua) with one more UPN
-- template, so that every one of 100,000 people finds a free login name: first.last,
-- first.last2 … first.last9, then first.last.<employee id>.
local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local groups = require("hrsync.groups")

local in_scope = include.all{
  include.status{ "active", "onboarding", "leave" },
  include.prehire{ days = 7 },
  include.until_termination{},
}

local group_rules = {
  groups.by_attribute("department", "SG-{value}"),
  groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },
}

return {
  include = function(person) return in_scope(person) end,

  attributes = function(p)
    return attr.build{
      givenName = attr.first_name(p),
      surname = p.last_name,
      displayName = attr.display_name(p),
      department = p.department,
      jobTitle = p.position,
      employeeId = p.id,
      officeLocation = p.office,
      employeeHireDate = attr.date(p.hire_date),
      usageLocation = "DE",
      companyName = "Example GmbH",
    }
  end,

  upn = upn.candidates{
    "{first}.{last}", "{first}.{last}{n}", "{first}.{last}.{employee_id}",
    domain = "example.com", fold = "de",
  },

  groups = groups.hook(group_rules),

  lifecycle = {
    create_disabled = false,
    leaver = { disable = true, set_leave_date = false, remove_groups = true, revoke_sessions = false },
  },
}
