-- Department → security group. Each department has a group that already exists in Entra ID
-- (hrsync manages memberships, it does not create groups). People whose department has no
-- group of its own go to SG-Staff. A person who changes department leaves the old group and
-- joins the new one in the same cycle; a leaver leaves the group (lifecycle.leaver).

local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local groups = require("hrsync.groups")

local in_scope = include.all{
  include.status{ "active", "onboarding", "leave" },
  include.prehire{ days = 7 },
  include.until_termination{},
}

local department_groups = {
  groups.by_attribute("department", {
    Engineering = "SG-Engineering",
    Finance = "SG-Finance",
    Sales = "SG-Sales",
    People = "SG-People",
    Management = "SG-Management",
  }, { default = "SG-Staff" }),
}

return {
  include = function(person)
    return in_scope(person)
  end,

  attributes = function(p)
    return attr.build{
      givenName = attr.first_name(p), surname = p.last_name, displayName = attr.display_name(p),
      department = p.department, jobTitle = p.position, employeeId = p.id,
    }
  end,

  upn = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com", fold = "de" },

  groups = groups.hook(department_groups),

  lifecycle = {
    leaver = { disable = true, remove_groups = true, revoke_sessions = true },
  },
}
