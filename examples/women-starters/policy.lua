-- Female starters → the Women's group. Starters (status onboarding) get their account 14 days
-- before the first day, and a woman is a member of "Women" from then on. Groups are desired
-- state in hrsync (the engine adds and removes members every cycle), so "Women" holds every
-- woman in scope, not only those who started after the policy was written: a membership given
-- only on joining would be removed again by the next cycle. Gender comes from HR ("female",
-- case-insensitive); people without one are in no gender group.

local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local groups = require("hrsync.groups")

local in_scope = include.all{
  include.status{ "active", "onboarding" },
  include.prehire{ days = 14 },
  include.until_termination{},
}

local rules = {
  groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },
}

return {
  include = function(person)
    return in_scope(person)
  end,

  attributes = function(p)
    return attr.build{
      givenName = attr.first_name(p), surname = p.last_name, displayName = attr.display_name(p),
      department = p.department, jobTitle = p.position, employeeId = p.id,
      employeeHireDate = attr.date(p.hire_date),
    }
  end,

  upn = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com", fold = "de" },

  groups = groups.hook(rules),
}
