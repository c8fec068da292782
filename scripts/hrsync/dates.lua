-- hrsync.dates: calendar dates and instants by pure arithmetic (no os.time / os.date).
--
-- A date is a "YYYY-MM-DD" string (proleptic Gregorian, years 0001–9999). Every function that
-- takes a date also takes an ISO 8601 date-time ("2025-03-30T23:30:00+02:00") and uses the
-- calendar date as written in it (2025-03-30), ignoring time and offset: HR systems write a hire
-- or leave day that way, and converting it to UTC would move it to the day before.
--
-- An instant is a count of seconds since 1970-01-01T00:00:00Z (an integer), or an ISO date-time
-- string with an offset ("…Z", "…+01:00"). Instants convert to a local calendar date in one of
-- a few built-in time zones whose DST rules are computed here (EU and US rules; no tz database).
--
-- Errors: parse, to_date and instant return nil plus a reason for bad input; the arithmetic
-- functions (days_between, add_days, compare, weekday, …) raise, naming the caller's line.

local M = {}

local type, tostring, tonumber, error, require = type, tostring, tonumber, error, require
local pairs = pairs
local sfind, sformat, smatch, ssub = string.find, string.format, string.match, string.sub
local sort = table.sort
local tointeger = math.tointeger

local SECONDS_PER_DAY = 86400

---------------------------------------------------------------------------------------------
-- Calendar arithmetic
---------------------------------------------------------------------------------------------

--- True for leap years of the Gregorian calendar.
function M.is_leap_year(y)
  return (y % 4 == 0 and y % 100 ~= 0) or y % 400 == 0
end

local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local DAYS_BEFORE_MONTH = { 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334 }

--- The number of days in month m (1–12) of year y.
function M.days_in_month(y, m)
  if m == 2 and M.is_leap_year(y) then return 29 end
  return MONTH_DAYS[m]
end

-- Days from 0001-01-01 to January 1st of year y.
local function days_before_year(y)
  local p = y - 1
  return p * 365 + p // 4 - p // 100 + p // 400
end

local EPOCH_OFFSET = days_before_year(1970)   -- 0001-01-01 → 1970-01-01

-- Days since 1970-01-01 for a valid y, m, d.
local function civil_to_days(y, m, d)
  local n = days_before_year(y) + DAYS_BEFORE_MONTH[m] + d - 1
  if m > 2 and M.is_leap_year(y) then n = n + 1 end
  return n - EPOCH_OFFSET
end

-- y, m, d for a count of days since 1970-01-01.
local function days_to_civil(days)
  local n = days + EPOCH_OFFSET          -- days since 0001-01-01
  local y = (n * 400) // 146097 + 1      -- estimate, then correct
  while days_before_year(y) > n do y = y - 1 end
  while days_before_year(y + 1) <= n do y = y + 1 end
  local doy = n - days_before_year(y)    -- 0-based day of year
  local leap = M.is_leap_year(y)
  local m = 12
  while m > 1 do
    local before = DAYS_BEFORE_MONTH[m] + ((leap and m > 2) and 1 or 0)
    if doy >= before then
      return y, m, doy - before + 1
    end
    m = m - 1
  end
  return y, 1, doy + 1
end

local function format_date(y, m, d)
  return sformat("%04d-%02d-%02d", y, m, d)
end

---------------------------------------------------------------------------------------------
-- Parsing
---------------------------------------------------------------------------------------------

local function num(s) return tointeger(tonumber(s)) end

--- Parses a date ("YYYY-MM-DD") or an ISO 8601 date-time
-- ("YYYY-MM-DDThh:mm[:ss[.fraction]][Z|±hh:mm|±hhmm|±hh]", 'T' or a space between).
-- Returns a table { year, month, day, hour, min, sec, offset } (offset in seconds east of UTC,
-- nil when the text has none; time fields 0 for a plain date), or nil and a reason.
function M.parse(s)
  if type(s) ~= "string" then
    return nil, "date expected as a string, got " .. type(s)
  end
  local y, mo, d, rest = smatch(s, "^(%d%d%d%d)%-(%d%d)%-(%d%d)(.*)$")
  if not y then
    return nil, "'" .. s .. "' is not a date (YYYY-MM-DD)"
  end
  y, mo, d = num(y), num(mo), num(d)
  if y < 1 or mo < 1 or mo > 12 or d < 1 or d > M.days_in_month(y, mo) then
    return nil, "'" .. s .. "' is not a valid calendar date"
  end
  local t = { year = y, month = mo, day = d, hour = 0, min = 0, sec = 0 }
  if rest == "" then return t end
  local h, mi, tail = smatch(rest, "^[Tt ](%d%d):(%d%d)(.*)$")
  if not h then
    return nil, "'" .. s .. "' has an unreadable time part"
  end
  local sec = 0
  local ss, tail2 = smatch(tail, "^:(%d%d)(.*)$")
  if ss then
    sec, tail = num(ss), tail2
    local _, frac_end = sfind(tail, "^[%.,]%d+")
    if frac_end then tail = ssub(tail, frac_end + 1) end   -- fractions are ignored
  end
  h, mi = num(h), num(mi)
  if h > 24 or mi > 59 or sec > 60 or (h == 24 and (mi > 0 or sec > 0)) then
    return nil, "'" .. s .. "' has an invalid time of day"
  end
  t.hour, t.min, t.sec = h, mi, sec
  if tail == "" then return t end
  if tail == "Z" or tail == "z" then
    t.offset = 0
    return t
  end
  local sign, oh, om = smatch(tail, "^([%+%-])(%d%d):?(%d%d)$")
  if not sign then
    sign, oh = smatch(tail, "^([%+%-])(%d%d)$")
    om = "00"
  end
  if not sign then
    return nil, "'" .. s .. "' has an unreadable UTC offset"
  end
  oh, om = num(oh), num(om)
  if oh > 18 or om > 59 then
    return nil, "'" .. s .. "' has an invalid UTC offset"
  end
  local off = oh * 3600 + om * 60
  t.offset = sign == "-" and -off or off
  return t
end

--- The calendar date of s as written, normalised to "YYYY-MM-DD", or nil and a reason.
-- A date-time keeps its own date: to_date("2025-03-31T23:30:00-05:00") == "2025-03-31".
function M.to_date(s)
  local t, err = M.parse(s)
  if not t then return nil, err end
  return format_date(t.year, t.month, t.day)
end

--- True when s is a date or date-time that parses.
function M.is_date(s)
  return (M.parse(s)) ~= nil
end

-- For the raising functions: the date's day number, or an error blamed on the caller's caller.
local function need_days(s, fname, argn)
  if type(s) == "table" then
    local ok = tointeger(s.year) and tointeger(s.month) and tointeger(s.day)
      and s.year >= 1 and s.year <= 9999
      and s.month >= 1 and s.month <= 12 and s.day >= 1
      and s.day <= M.days_in_month(s.year, s.month)
    if ok then return civil_to_days(s.year, s.month, s.day) end
    error("hrsync.dates." .. fname .. ": argument #" .. argn .. " is not a valid date table", 3)
  end
  local t, err = M.parse(s)
  if not t then
    error("hrsync.dates." .. fname .. ": argument #" .. argn .. ": " .. err, 3)
  end
  return civil_to_days(t.year, t.month, t.day)
end

---------------------------------------------------------------------------------------------
-- Day arithmetic
---------------------------------------------------------------------------------------------

--- Days since 1970-01-01 for a date (negative before).
function M.to_days(date)
  return need_days(date, "to_days", 1)
end

--- The date that is n days after 1970-01-01.
function M.from_days(n)
  if tointeger(n) == nil then
    error("hrsync.dates.from_days: integer expected, got " .. tostring(n), 2)
  end
  return format_date(days_to_civil(tointeger(n)))
end

--- The number of days from a to b (b − a): days_between("2024-02-28", "2024-03-01") == 2.
function M.days_between(a, b)
  return need_days(b, "days_between", 2) - need_days(a, "days_between", 1)
end

--- The date n days after date (n may be negative).
function M.add_days(date, n)
  local days = need_days(date, "add_days", 1)
  local k = tointeger(n)
  if k == nil then
    error("hrsync.dates.add_days: argument #2 must be an integer, got " .. tostring(n), 2)
  end
  local y, m, d = days_to_civil(days + k)
  if y < 1 or y > 9999 then
    error("hrsync.dates.add_days: result is outside the years 0001-9999", 2)
  end
  return format_date(y, m, d)
end

--- -1, 0 or 1 as date a is before, on, or after date b.
function M.compare(a, b)
  local x, y = need_days(a, "compare", 1), need_days(b, "compare", 2)
  if x < y then return -1 elseif x > y then return 1 end
  return 0
end

--- True when date a is strictly before date b.
function M.is_before(a, b)
  return need_days(a, "is_before", 1) < need_days(b, "is_before", 2)
end

--- True when date a is strictly after date b.
function M.is_after(a, b)
  return need_days(a, "is_after", 1) > need_days(b, "is_after", 2)
end

--- True when a and b are the same calendar date.
function M.is_same(a, b)
  return need_days(a, "is_same", 1) == need_days(b, "is_same", 2)
end

local WEEKDAY_NAMES = { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
  "Sunday" }

--- The ISO weekday of date: 1 = Monday … 7 = Sunday, and its English name.
function M.weekday(date)
  local wd = (need_days(date, "weekday", 1) + 3) % 7 + 1   -- 1970-01-01 was a Thursday
  return wd, WEEKDAY_NAMES[wd]
end

--- The cycle's date from hrsync.clock (the engine's pinned "now").
function M.today()
  return require("hrsync.clock").today()
end

---------------------------------------------------------------------------------------------
-- Instants and time zones
---------------------------------------------------------------------------------------------

--- Seconds since 1970-01-01T00:00:00Z for an ISO date-time with an offset or 'Z', or for an
-- integer (returned as is). A date-time without an offset is refused (nil, reason): it does
-- not name an instant.
function M.instant(v)
  if type(v) == "number" then
    local i = tointeger(v)
    if i == nil then return nil, "instant must be a whole number of seconds" end
    return i
  end
  local t, err = M.parse(v)
  if not t then return nil, err end
  if t.offset == nil then
    return nil, "'" .. v .. "' has no UTC offset ('Z' or ±hh:mm), so it is not an instant"
  end
  return civil_to_days(t.year, t.month, t.day) * SECONDS_PER_DAY
    + t.hour * 3600 + t.min * 60 + t.sec - t.offset
end

local function need_instant(v, fname)
  local t, err = M.instant(v)
  if t == nil then error("hrsync.dates." .. fname .. ": " .. err, 3) end
  return t
end

local function format_clock(secs)
  return sformat("%02d:%02d:%02d", secs // 3600, secs % 3600 // 60, secs % 60)
end

--- The instant as "YYYY-MM-DDThh:mm:ssZ".
function M.format_instant(v)
  local t = need_instant(v, "format_instant")
  local days, secs = t // SECONDS_PER_DAY, t % SECONDS_PER_DAY
  return format_date(days_to_civil(days)) .. "T" .. format_clock(secs) .. "Z"
end

-- The day number of the last `wday` (1 = Monday … 7 = Sunday) of month m in year y.
local function last_weekday(y, m, wday)
  local last = civil_to_days(y, m, M.days_in_month(y, m))
  local wd = (last + 3) % 7 + 1
  return last - (wd - wday) % 7
end

-- The day number of the nth `wday` of month m in year y.
local function nth_weekday(y, m, wday, n)
  local first = civil_to_days(y, m, 1)
  local wd = (first + 3) % 7 + 1
  return first + (wday - wd) % 7 + (n - 1) * 7
end

-- DST rules: each returns the UTC instants [start, end) of summer time in year y, given the
-- zone's standard offset.
local DST_RULES = {
  -- EU (since 1996): last Sunday of March 01:00 UTC to last Sunday of October 01:00 UTC.
  eu = function(y)
    return last_weekday(y, 3, 7) * SECONDS_PER_DAY + 3600,
           last_weekday(y, 10, 7) * SECONDS_PER_DAY + 3600
  end,
  -- US (since 2007): second Sunday of March 02:00 local standard time to first Sunday of
  -- November 02:00 local daylight time.
  us = function(y, std)
    return nth_weekday(y, 3, 7, 2) * SECONDS_PER_DAY + 7200 - std,
           nth_weekday(y, 11, 7, 1) * SECONDS_PER_DAY + 7200 - (std + 3600)
  end,
}

local ZONES = {
  ["UTC"] = { std = 0 },
  ["Etc/UTC"] = { std = 0 },
  ["Europe/London"] = { std = 0, rule = "eu" },
  ["Europe/Berlin"] = { std = 3600, rule = "eu" },
  ["Europe/Stockholm"] = { std = 3600, rule = "eu" },
  ["Europe/Helsinki"] = { std = 7200, rule = "eu" },
  ["America/New_York"] = { std = -5 * 3600, rule = "us" },
  ["America/Los_Angeles"] = { std = -8 * 3600, rule = "us" },
}

--- The names of the built-in time zones, sorted.
function M.zones()
  local out = {}
  for name in pairs(ZONES) do out[#out + 1] = name end
  sort(out)
  return out
end

local function need_zone(name, fname)
  local z = ZONES[name]
  if not z then
    local list = M.zones()
    local names = ""
    for i = 1, #list do names = names .. (i > 1 and ", " or "") .. list[i] end
    error("hrsync.dates." .. fname .. ": unknown time zone '" .. tostring(name)
      .. "' (built in: " .. names .. ")", 3)
  end
  return z
end

local function offset_at(z, t)
  if not z.rule then return z.std, false end
  local y = days_to_civil(t // SECONDS_PER_DAY)
  local from, to = DST_RULES[z.rule](y, z.std)
  if t >= from and t < to then return z.std + 3600, true end
  return z.std, false
end

--- The UTC offset in seconds of zone at the instant, and whether summer time is in force.
-- The current EU and US rules are applied to every year.
function M.utc_offset(instant, zone)
  local t = need_instant(instant, "utc_offset")
  return offset_at(need_zone(zone, "utc_offset"), t)
end

--- The local calendar date ("YYYY-MM-DD") in zone at the instant:
-- local_date("2025-03-30T22:30:00Z", "Europe/Berlin") == "2025-03-31".
function M.local_date(instant, zone)
  local t = need_instant(instant, "local_date")
  local off = offset_at(need_zone(zone, "local_date"), t)
  return format_date(days_to_civil((t + off) // SECONDS_PER_DAY))
end

--- The local date and time in zone at the instant, "YYYY-MM-DDThh:mm:ss±hh:mm".
function M.local_time(instant, zone)
  local t = need_instant(instant, "local_time")
  local off = offset_at(need_zone(zone, "local_time"), t)
  local lt = t + off
  local a = off < 0 and -off or off
  return format_date(days_to_civil(lt // SECONDS_PER_DAY)) .. "T"
    .. format_clock(lt % SECONDS_PER_DAY)
    .. sformat("%s%02d:%02d", off < 0 and "-" or "+", a // 3600, a % 3600 // 60)
end

---------------------------------------------------------------------------------------------
-- Graph
---------------------------------------------------------------------------------------------

--- The form Graph expects for employeeHireDate / employeeLeaveDateTime:
-- graph_datetime("2025-04-01") == "2025-04-01T00:00:00Z". A date-time gives its calendar date
-- as written. time, optional, replaces 00:00:00 ("hh:mm:ss"). nil or "" gives nil (so an
-- absent HR date leaves the attribute out); any other unreadable value raises.
function M.graph_datetime(date, time)
  if date == nil or date == "" then return nil end
  local t, err = M.parse(date)
  if not t then error("hrsync.dates.graph_datetime: " .. err, 2) end
  if time == nil then
    time = "00:00:00"
  elseif type(time) ~= "string" or not smatch(time, "^[01]%d:[0-5]%d:[0-5]%d$")
      and not smatch(time, "^2[0-3]:[0-5]%d:[0-5]%d$") then
    error("hrsync.dates.graph_datetime: time must be 'hh:mm:ss', got " .. tostring(time), 2)
  end
  return format_date(t.year, t.month, t.day) .. "T" .. time .. "Z"
end

return M
