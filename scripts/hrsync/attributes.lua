-- hrsync.attributes: helpers to build the Graph attribute table of a policy's attributes hook.
--
--   attributes = function(p)
--     return attr.build{
--       givenName = attr.first_name(p), surname = p.last_name,
--       displayName = attr.display_name(p), jobTitle = p.position,
--       employeeHireDate = attr.date(p.hire_date), usageLocation = 'DE',
--     }
--   end
--
-- build() trims every string, collapses inner white space, drops blank values (an HR field
-- that is empty leaves the directory value alone rather than writing ""), and cuts text to the
-- documented maximum lengths (shared/reference/graph.md §1), counted as Graph counts them
-- (UTF-16 code units). Identifiers are never cut: an employeeId longer than 16 raises, since a
-- shortened id could match another person's account.
--
-- Clearing: nil leaves the directory's value alone; the engine's sentinel hrsync_null (a
-- sandbox global) clears it. build() passes hrsync_null through, and with
-- build(t, { blank = 'clear' }) a blank HR value becomes hrsync_null instead of being left out
-- (properties that cannot be cleared, displayName, mailNickname and usageLocation, are still
-- left out).
--
-- Names: `preferred_name` is read as a preferred given name ("Bob" for Robert), as Personio
-- and AlexisHR send it; first_name() and display_name() use it when present.

local M = {}

local type, tostring, error, pairs, ipairs, pcall, rawget, rawequal =
  type, tostring, error, pairs, ipairs, pcall, rawget, rawequal
local smatch, supper = string.match, string.upper

local text = require("hrsync.text")
local dates = require("hrsync.dates")
local match = require("hrsync.match")

--- Maximum lengths of user properties (graph.md §1), in UTF-16 code units.
M.LIMITS = {
  givenName = 64, surname = 64, displayName = 256,
  department = 64, companyName = 64, jobTitle = 128, employeeId = 16,
  mailNickname = 64, mobilePhone = 64, city = 128, state = 128, country = 128,
  streetAddress = 1024, postalCode = 40, usageLocation = 2,
}

--- Properties whose values identify a person: too long raises instead of being cut.
M.IDENTIFIERS = { employeeId = true }

--- Properties that Graph does not let a client clear.
M.NOT_NULL = { displayName = true, mailNickname = true, usageLocation = true }

--- The engine's null sentinel (the global hrsync_null), or nil outside the engine.
function M.null()
  local env = _ENV
  local v = rawget(env, "hrsync_null")
  if v == nil then
    local ok, got = pcall(function() return env.hrsync_null end)
    if ok then v = got end
  end
  return v
end

--- The cleaned text of a value: trimmed, inner white space collapsed, integers without a
-- fraction; nil for nil, blank strings, tables and booleans.
function M.clean(v)
  local t = type(v)
  if t == "number" then return match.text(v) end
  if t ~= "string" then return nil end
  local s = text.squish(v)
  if s == "" then return nil end
  return s
end

--- value cut to the maximum length of property name (unchanged when name has no limit or
-- value is nil). For an identifier property, a value that is too long raises.
function M.limit(name, value)
  if value == nil then return nil end
  if type(value) ~= "string" then return value end
  local max = M.LIMITS[name]
  if max == nil or text.length(value) <= max then return value end
  if M.IDENTIFIERS[name] then
    error("hrsync.attributes: " .. name .. " '" .. value .. "' is longer than " .. max
      .. " characters; identifiers are not cut", 2)
  end
  return text.trim(text.truncate(value, max))
end

--- The preferred given name when present, else first_name (cleaned), or nil.
function M.first_name(person)
  if type(person) ~= "table" then
    error("hrsync.attributes.first_name: person table expected", 2)
  end
  return M.clean(person.preferred_name) or M.clean(person.first_name)
end

--- "<given> <last>" with given = preferred name or first name (opts.preferred = false: first
-- name only); nil when both parts are blank; cut to 256.
function M.display_name(person, opts)
  if type(person) ~= "table" then
    error("hrsync.attributes.display_name: person table expected", 2)
  end
  local given
  if opts and opts.preferred == false then
    given = M.clean(person.first_name)
  else
    given = M.first_name(person)
  end
  local last = M.clean(person.last_name)
  local s
  if given and last then s = given .. " " .. last else s = given or last end
  return M.limit("displayName", s)
end

--- A two-letter ISO 3166 country code for usageLocation, upper-cased: 'de' → 'DE'.
-- nil and blank give nil; anything else that is not two letters raises.
function M.usage_location(code)
  local s = M.clean(code)
  if s == nil then return nil end
  if not smatch(s, "^[A-Za-z][A-Za-z]$") then
    error("hrsync.attributes.usage_location: '" .. s .. "' is not a two-letter country code", 2)
  end
  return supper(s)
end

--- A date for employeeHireDate / employeeLeaveDateTime: "2025-04-01" → "2025-04-01T00:00:00Z"
-- (see hrsync.dates.graph_datetime); nil or blank → nil.
function M.date(v, time)
  local s = M.clean(v)
  if s == nil then return nil end
  local ok, res = pcall(dates.graph_datetime, s, time)
  if not ok then error("hrsync.attributes.date: '" .. s .. "' is not a date", 2) end
  return res
end

local function clean_value(name, v, level, null)
  if null ~= nil and rawequal(v, null) then return v end
  local t = type(v)
  if t == "boolean" then return v end
  if t == "string" or t == "number" then
    local s = M.clean(v)
    if name == "usageLocation" and s ~= nil then
      if not smatch(s, "^[A-Za-z][A-Za-z]$") then
        error("hrsync.attributes.build: usageLocation '" .. s
          .. "' is not a two-letter country code", level)
      end
      return supper(s)
    end
    if s ~= nil and M.IDENTIFIERS[name] and text.length(s) > M.LIMITS[name] then
      error("hrsync.attributes.build: " .. name .. " '" .. s .. "' is longer than "
        .. M.LIMITS[name] .. " characters; identifiers are not cut", level)
    end
    return M.limit(name, s)
  end
  if t == "table" then
    local out = {}
    for _, e in ipairs(v) do
      local s = clean_value(name, e, level + 1, null)
      if s ~= nil then out[#out + 1] = s end
    end
    return out
  end
  error("hrsync.attributes.build: " .. name .. " has a " .. t .. " value", level)
end

--- A cleaned copy of an attribute table (see the module comment). Keys must be Graph
-- property names (strings); booleans and hrsync_null are kept; lists are cleaned element by
-- element (an empty list stays, it clears a collection). opts.blank: 'omit' (default) leaves
-- blank values out, 'clear' turns them into hrsync_null.
function M.build(t, opts)
  if type(t) ~= "table" then error("hrsync.attributes.build: table expected", 2) end
  local blank = opts and opts.blank or "omit"
  if blank ~= "omit" and blank ~= "clear" then
    error("hrsync.attributes.build: blank must be 'omit' or 'clear'", 2)
  end
  local null = M.null()
  if blank == "clear" and null == nil then
    error("hrsync.attributes.build: blank = 'clear' needs the engine's hrsync_null", 2)
  end
  local out = {}
  for k, v in pairs(t) do
    if type(k) ~= "string" then
      error("hrsync.attributes.build: keys must be property names, got " .. tostring(k), 2)
    end
    local c = clean_value(k, v, 3, null)
    if c == nil and blank == "clear" and not M.NOT_NULL[k] and type(v) == "string" then
      c = null
    end
    out[k] = c
  end
  return out
end

return M
