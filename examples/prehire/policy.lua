-- Pre-hire accounts: a starter's account is created 7 days before the hire date, disabled, and
-- enabled on the hire date itself (lifecycle.create_disabled: the engine enables an account
-- whose person's hire date has come). People already employed get enabled accounts.

local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")

local PREHIRE_DAYS = 7

local in_scope = include.all{
  include.status{ "active", "onboarding" },
  include.prehire{ days = PREHIRE_DAYS },
  include.until_termination{},
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

  lifecycle = {
    prehire_days = PREHIRE_DAYS,
    create_disabled = true,
  },
}
