-- hrsync.include: composable scope filters for a policy's include hook.
--
-- Every filter is a plain function(person, now) → in_scope, reason. `reason` names the rule
-- and the values it looked at, in both outcomes ("status 'inactive' not in {active,
-- onboarding}"), so that a plan can say why a person is in or out. `now` is the cycle's date,
-- "YYYY-MM-DD"; when nil, hrsync.clock.today() is used (the engine's pinned date), so a filter
-- can be the include hook itself:
--
--   include = include.all{ include.status{'active', 'onboarding'}, include.prehire{days = 7},
--                          include.until_termination{} }
--
-- include.describe(filter) returns the filter's descriptor ({ kind, rule, … }).
--
-- Dates: a hire or termination date that is present but unreadable raises (the engine then
-- quarantines the person) instead of deciding scope, because "out of scope" would disable an
-- existing account on bad data. A missing date does not restrict scope.

local M = {}

local type, tostring, error, ipairs, pairs = type, tostring, error, ipairs, pairs
local setmetatable = setmetatable
local concat = table.concat
local tointeger = math.tointeger

local dates = require("hrsync.dates")
local clock = require("hrsync.clock")
local match = require("hrsync.match")
local text = require("hrsync.text")

-- filter function → descriptor (weak keys: descriptors go with their filters).
local descriptors = setmetatable({}, { __mode = "k" })

local function register(fn, desc)
  descriptors[fn] = desc
  return fn
end

--- The descriptor of a filter made by this module ({ kind, rule, … }), or nil. A copy.
function M.describe(filter)
  local d = descriptors[filter]
  if d == nil then return nil end
  local copy = {}
  for k, v in pairs(d) do copy[k] = v end
  return copy
end

-- The cycle's date: `now` as given (validated), or the clock's.
local function resolve_now(now, rule)
  if now == nil then now = clock.today() end
  local d, err = dates.to_date(now)
  if not d then error("hrsync.include (" .. rule .. "): now: " .. err, 3) end
  return d
end

-- A person's date field, or nil when missing; raises on an unreadable value.
local function person_date(person, field, rule)
  local v = match.get(person, field)
  if match.text(v) == nil then return nil end
  local d, err = dates.to_date(type(v) == "string" and text.trim(v) or v)
  if not d then
    error("hrsync.include (" .. rule .. "): person " .. tostring(person.id) .. " " .. field
      .. ": " .. err, 3)
  end
  return d
end

local function check_opts(opts, allowed, fname, list)
  if opts == nil then return {} end
  if type(opts) ~= "table" then error(fname .. ": options table expected", 3) end
  for k in pairs(opts) do
    if not (list and type(k) == "number") and not allowed[k] then
      error(fname .. ": unknown option '" .. tostring(k) .. "'", 3)
    end
  end
  return opts
end

local function check_person(person, rule)
  if type(person) ~= "table" then
    error("hrsync.include (" .. rule .. "): person table expected, got " .. type(person), 3)
  end
end

local function check_days(v, name, fname)
  local n = tointeger(v)
  if n == nil or n < 0 then
    error(fname .. ": " .. name .. " must be a whole number of days >= 0, got " .. tostring(v), 3)
  end
  return n
end

--- Status filter: include.status{'active', 'onboarding'} (field = 'status' by default;
-- case-insensitive). In scope when the person's status is one of the values.
function M.status(opts)
  opts = check_opts(opts, { field = true }, "hrsync.include.status", true)
  local field = opts.field or "status"
  local allowed, shown = {}, {}
  for i, v in ipairs(opts) do
    local s = match.text(v)
    if s == nil then
      error("hrsync.include.status: value #" .. i .. " must be a non-blank string", 2)
    end
    allowed[text.lower(s)] = true
    shown[#shown + 1] = s
  end
  if #shown == 0 then error("hrsync.include.status: list at least one status", 2) end
  local set = "{" .. concat(shown, ", ") .. "}"
  local rule = field .. " in " .. set
  return register(function(person)
    check_person(person, rule)
    local s = match.text(match.get(person, field))
    if s == nil then
      return false, field .. " missing, not in " .. set
    end
    if allowed[text.lower(s)] then
      return true, field .. " '" .. s .. "' in " .. set
    end
    return false, field .. " '" .. s .. "' not in " .. set
  end, { kind = "status", rule = rule, field = field, values = shown })
end

--- Pre-hire window: include.prehire{days = 7} (field = 'hire_date').
-- In scope from hire_date − days onwards (on that day itself too). A person without a hire
-- date is in scope (opts.missing = false puts them out).
function M.prehire(opts)
  opts = check_opts(opts, { days = true, field = true, missing = true }, "hrsync.include.prehire")
  local days = check_days(opts.days or 0, "days", "hrsync.include.prehire")
  local field = opts.field or "hire_date"
  local missing = opts.missing ~= false
  local rule = "prehire " .. days .. " days before " .. field
  return register(function(person, now)
    check_person(person, rule)
    now = resolve_now(now, rule)
    local hire = person_date(person, field, rule)
    if hire == nil then
      return missing, "no " .. field .. (missing and ", prehire window not applied"
        or ", out of scope")
    end
    local from = dates.add_days(hire, -days)
    if dates.is_before(now, from) then
      return false, "prehire: in scope from " .. from .. " (" .. field .. " " .. hire .. " - "
        .. days .. " days), now " .. now
    end
    return true, "prehire: in scope since " .. from .. " (" .. field .. " " .. hire .. " - "
      .. days .. " days)"
  end, { kind = "prehire", rule = rule, field = field, days = days })
end

--- Leavers: include.until_termination{grace_days = 0} (field = 'termination_date').
-- In scope up to and including termination_date + grace_days: a leaver keeps the account for
-- the whole of the last working day and is out from the next day (the cycle's date is a
-- calendar date, so "until end of day" means "while now <= termination date"). A person
-- without a termination date is in scope.
function M.until_termination(opts)
  opts = check_opts(opts, { grace_days = true, field = true }, "hrsync.include.until_termination")
  local grace = check_days(opts.grace_days or 0, "grace_days", "hrsync.include.until_termination")
  local field = opts.field or "termination_date"
  local rule = "until " .. field .. (grace > 0 and (" + " .. grace .. " days") or "")
  return register(function(person, now)
    check_person(person, rule)
    now = resolve_now(now, rule)
    local term = person_date(person, field, rule)
    if term == nil then return true, "no " .. field end
    local last = dates.add_days(term, grace)
    local shown = field .. " " .. term .. (grace > 0 and (" + " .. grace .. " days grace") or "")
    if dates.is_after(now, last) then
      return false, shown .. " has passed (last day in scope " .. last .. "), now " .. now
    end
    return true, shown .. ": in scope through " .. last
  end, { kind = "until_termination", rule = rule, field = field, grace_days = grace })
end

--- Field filter: include.where{ company = 'Example GmbH', department = {'Sales', 'Ops'} }.
-- See hrsync.match for the forms a value can take.
function M.where(spec, opts)
  local pred, description = match.where(spec, {
    caller = "hrsync.include.where", level = 3,
    case_sensitive = opts and opts.case_sensitive,
  })
  return register(function(person)
    check_person(person, description)
    return pred(person)
  end, { kind = "where", rule = description })
end

--- A named custom filter: include.when(function(person, now) … end, 'contractors with badge').
-- fn returns a truth value and optionally a reason; the name is used when it gives none.
function M.when(fn, name)
  if type(fn) ~= "function" then error("hrsync.include.when: function expected", 2) end
  name = name or "custom rule"
  return register(function(person, now)
    local ok, reason = fn(person, now)
    ok = ok and true or false
    return ok, reason or (name .. (ok and ": yes" or ": no"))
  end, { kind = "when", rule = name })
end

local function filters_of(list, fname)
  if type(list) ~= "table" then error(fname .. ": list of filters expected", 3) end
  local n = #list
  for i = 1, n do
    if type(list[i]) ~= "function" then
      error(fname .. ": element #" .. i .. " is " .. type(list[i]) .. ", not a filter function", 3)
    end
  end
  return list, n
end

local function rule_of(f)
  local d = descriptors[f]
  return d and d.rule or "custom rule"
end

local function run(f, person, now)
  local ok, reason = f(person, now)
  return ok and true or false, reason or rule_of(f)
end

--- All filters must pass (evaluated in order, stopping at the first that fails, whose reason
-- is returned). all{} is true.
function M.all(list)
  local filters, n = filters_of(list, "hrsync.include.all")
  local rules = {}
  for i = 1, n do rules[i] = rule_of(filters[i]) end
  local rule = "all of (" .. concat(rules, "; ") .. ")"
  return register(function(person, now)
    if n > 0 and now == nil then now = clock.today() end
    local reasons = {}
    for i = 1, n do
      local ok, reason = run(filters[i], person, now)
      if not ok then return false, reason end
      reasons[i] = reason
    end
    return true, n > 0 and concat(reasons, "; ") or "no conditions"
  end, { kind = "all", rule = rule })
end

--- At least one filter must pass (evaluated in order, stopping at the first that passes,
-- whose reason is returned). any{} is false.
function M.any(list)
  local filters, n = filters_of(list, "hrsync.include.any")
  local rules = {}
  for i = 1, n do rules[i] = rule_of(filters[i]) end
  local rule = "any of (" .. concat(rules, "; ") .. ")"
  return register(function(person, now)
    if n > 0 and now == nil then now = clock.today() end
    local reasons = {}
    for i = 1, n do
      local ok, reason = run(filters[i], person, now)
      if ok then return true, reason end
      reasons[i] = reason
    end
    return false, n > 0 and concat(reasons, "; ") or "no alternatives"
  end, { kind = "any", rule = rule })
end

--- The opposite of a filter: include.negate(include.where{ department = 'Board' }).
function M.negate(filter)
  if type(filter) ~= "function" then error("hrsync.include.negate: filter function expected", 2) end
  local rule = "not (" .. rule_of(filter) .. ")"
  return register(function(person, now)
    local ok, reason = run(filter, person, now)
    return not ok, "not (" .. reason .. ")"
  end, { kind = "negate", rule = rule })
end

return M
