-- AlexisHR's Entra ID integration, reproduced as an hrsync policy:
--   * the account's login name is the person's work email, and the work email's domain must be
--     a domain of the tenant: a person whose work email is on another domain is not synced but
--     quarantined, with that reason (fix the email in AlexisHR and the next cycle picks them up);
--   * the leave date is written to Entra ID as employeeLeaveDateTime as soon as HR knows it (the
--     end of the last working day, UTC), so Entra's lifecycle workflows can act on it;
--   * after the last day the account is disabled and the leave date stays written.
--   * the manager follows the supervisor in HR (hrsync's default, lifecycle.manager).

local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local text = require("hrsync.text")

local TENANT_DOMAINS = { ["example.com"] = true }

local in_scope = include.all{
  include.status{ "active" },
  include.until_termination{},
}

-- The work email, checked against the tenant's domains.
local function work_email(p)
  local email = text.lower(text.trim(p.email or ""))
  local domain = email:match("^[^@]+@([^@]+)$")
  if not domain then
    error("work email '" .. (p.email or "") .. "' is missing or not an email address", 0)
  end
  if not TENANT_DOMAINS[domain] then
    error("work email " .. email .. " is on domain " .. domain ..
          ", which is not a domain of the tenant (example.com)", 0)
  end
  return email
end

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
      employeeLeaveDateTime = attr.date(p.termination_date, "23:59:59"),
      mail = work_email(p),
    }
  end,

  upn = function(p)
    return { work_email(p) }
  end,

  lifecycle = {
    create_disabled = false,
    leaver = { disable = true, set_leave_date = true, remove_groups = false, revoke_sessions = true },
  },
}
