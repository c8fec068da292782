-- Demo policy: Personio-style people into Entra ID for Example GmbH (fictional).
--
-- In scope: people whose status is active, onboarding or on leave (an account is kept through
-- parental leave or a sabbatical), from 7 days before their hire date,
-- through their termination date (the last day included). Attributes map the HR record to
-- Graph user properties; login names are first.last@example.com with German spelling of
-- umlauts (Zoë Müller → zoe.mueller), then first.last2 … first.last9 when taken. Groups:
-- one per department ("SG-Finance"), and "Women" for people whose gender is female.

local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local groups = require("hrsync.groups")

local PREHIRE_DAYS = 7

local in_scope = include.all{
  include.status{ "active", "onboarding", "leave" },
  include.prehire{ days = PREHIRE_DAYS },
  include.until_termination{},
}

local group_rules = {
  groups.by_attribute("department", "SG-{value}"),
  groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },
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
      employeeId = p.id,
      officeLocation = p.office,
      employeeHireDate = attr.date(p.hire_date),
      usageLocation = "DE",
      companyName = p.company or "Example GmbH",
    }
  end,

  upn = upn.candidates{
    "{first}.{last}", "{first}.{last}{n}",
    domain = "example.com", fold = "de",
  },

  groups = groups.hook(group_rules),

  lifecycle = {
    prehire_days = PREHIRE_DAYS,
    create_disabled = false,
    leaver = { disable = true, set_leave_date = true, remove_groups = true,
               revoke_sessions = true },
    rehire = "relink",
  },
}
