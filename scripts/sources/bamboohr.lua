-- bamboohr.lua: a BambooHR source for hrsync, scripted in Lua (shipped in scripts/sources/).
--
--   source = {
--     type = "lua", script = "bamboohr.lua",            -- found here when not next to the config
--     hosts = { "api.bamboohr.com" },
--     secrets = { api_key_env = "BAMBOOHR_API_KEY" },   -- or api_key_file = "/etc/hrsync/bamboohr.key"
--     company = "example",                              -- the BambooHR subdomain (example.bamboohr.com)
--     -- base_url = "https://api.bamboohr.com/api/gateway.php",   (the default)
--     -- fields = { "employmentHistoryStatus" },        -- more report fields, kept under raw
--     -- only_current = true,                           -- leave out people with future dates
--     statuses = { "active", "inactive" },              -- anything else is quarantined
--   }
--
-- BambooHR (shared/reference/hr-apis.md §4): HTTP Basic auth with the API key as the user name
-- and any password ("x"); Accept: application/json (the default answer is XML); a custom report,
-- POST /v1/reports/custom?format=JSON with the fields to return, reads everyone in one answer
-- (no paging). Unset dates come as "0000-00-00", status as "Active"/"Inactive".
--
-- The script runs in hrsync's sandbox: `http` and `config` are its only links to the world.
-- It returns the records (person fields plus `raw`) and the records it could not read.

local base = config.base_url or "https://api.bamboohr.com/api/gateway.php"
local company = config.company
if type(company) ~= "string" or company == "" or company:find("[/?#]") then
  error("BambooHR: set source.company to the BambooHR subdomain (example for example.bamboohr.com)")
end

local FIELDS = {
  "employeeNumber", "firstName", "lastName", "preferredName", "workEmail", "status",
  "department", "jobTitle", "location", "supervisorEId", "hireDate", "terminationDate", "gender",
}
for _, f in ipairs(config.fields or {}) do FIELDS[#FIELDS + 1] = f end

local auth = http.basic(http.secret("api_key"), "x")
local answer = http.post(base .. "/" .. company .. "/v1/reports/custom", {
  query = { format = "JSON", onlyCurrent = config.only_current and "true" or "false" },
  json = { title = "hrsync", fields = FIELDS },
  auth = auth,
})
local employees = answer.json and answer.json.employees
if type(employees) ~= "table" then
  error("BambooHR: the report answer has no list of employees (it begins: "
        .. answer.body:sub(1, 80) .. ")")
end

-- "" and "0000-00-00" mean no date.
local function date(v)
  if type(v) ~= "string" or v == "" or v == "0000-00-00" then return nil end
  return v
end

local function lower(v)
  if type(v) ~= "string" or v == "" then return nil end
  return v:lower()
end

local people, problems = {}, {}
for i, e in ipairs(employees) do
  if type(e) ~= "table" then
    problems[#problems + 1] = { index = i - 1, reason = "the report row is not an object" }
  else
    people[#people + 1] = {
      id = e.id,
      first_name = e.firstName,
      last_name = e.lastName,
      preferred_name = e.preferredName,
      email = e.workEmail,
      status = lower(e.status),
      department = e.department,
      position = e.jobTitle,
      office = e.location,
      supervisor_id = e.supervisorEId,
      hire_date = date(e.hireDate),
      termination_date = date(e.terminationDate),
      gender = lower(e.gender),
      employee_number = e.employeeNumber,
      raw = e,
    }
  end
end
return people, problems
