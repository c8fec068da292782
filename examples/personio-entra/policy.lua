-- Personio's Entra ID integration, reproduced as an hrsync policy:
--   * in scope: employees whose status is active or onboarding (onboarding people get their
--     account before the first day), through their termination date;
--   * login names follow the schema first.last@domain; when that is taken, Personio appends the
--     employee id: first.last_<EmployeeID>@domain (Max Mustermann 2003 → max.mustermann_2003);
--   * after the termination date (or once the status is inactive) the account is disabled, not
--     deleted.
-- Names are folded to plain ASCII (Zoë → zoe), as Personio does.

local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")

local DOMAIN = "example.com"

local in_scope = include.all{
  include.status{ "active", "onboarding" },
  include.until_termination{},
}

return {
  include = function(person)
    return in_scope(person)
  end,

  attributes = function(p)
    return attr.build{
      givenName = attr.first_name(p),
      surname = p.last_name,
      displayName = attr.display_name(p),
      department = p.department,
      jobTitle = p.position,
      officeLocation = p.office,
      employeeId = p.id,
      employeeHireDate = attr.date(p.hire_date),
    }
  end,

  upn = upn.candidates{ "{first}.{last}", "{first}.{last}_{id}", domain = DOMAIN, fold = "plain" },

  lifecycle = {
    create_disabled = false,
    leaver = { disable = true, set_leave_date = false, remove_groups = false, revoke_sessions = true },
    rehire = "relink",
  },
}
