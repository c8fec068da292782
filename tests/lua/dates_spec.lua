-- Specs for hrsync.dates: parsing, day arithmetic, weekdays, time zones with DST, Graph form.

local dates = require("hrsync.dates")
local clock = require("hrsync.clock")

describe("hrsync.dates", function()
  describe("parse", function()
    it("parses a plain date", function()
      assert.are.same({ year = 2025, month = 3, day = 31, hour = 0, min = 0, sec = 0 },
        dates.parse("2025-03-31"))
    end)

    it("parses date-times with Z, offsets and fractions", function()
      local t = dates.parse("2025-03-31T23:30:15.123+02:00")
      assert.are.same({ year = 2025, month = 3, day = 31, hour = 23, min = 30, sec = 15,
        offset = 7200 }, t)
      assert.are.equal(0, dates.parse("2025-03-31T10:00:00Z").offset)
      assert.are.equal(-5 * 3600 - 30 * 60, dates.parse("2025-03-31T10:00-0530").offset)
      assert.are.equal(3600, dates.parse("2025-03-31 10:00:00+01").offset)
      assert.is_nil(dates.parse("2025-03-31T10:00:00").offset)
    end)

    it("refuses malformed and impossible dates with a reason", function()
      local cases = { "2025-02-29", "2025-13-01", "2025-00-10", "2025-04-31", "0000-01-01",
        "31.03.2025", "2025-3-1", "", "2025-03-31T25:00:00Z", "2025-03-31T10:00:00+19:00",
        "2025-03-31T10:00:00 CET", "2025-03-31X" }
      for _, s in ipairs(cases) do
        local t, err = dates.parse(s)
        assert.is_nil(t, s)
        assert.is_string(err, s)
      end
      local t, err = dates.parse(20250331)
      assert.is_nil(t)
      assert.are.equal("date expected as a string, got number", err)
    end)

    it("accepts leap days only in leap years", function()
      assert.is_truthy(dates.parse("2024-02-29"))
      assert.is_truthy(dates.parse("2000-02-29"))
      assert.is_nil(dates.parse("1900-02-29"))
      assert.is_nil(dates.parse("2100-02-29"))
    end)
  end)

  describe("to_date", function()
    it("takes the calendar date as written, not converted to UTC", function()
      assert.are.equal("2025-03-31", dates.to_date("2025-03-31T23:30:00-05:00"))
      assert.are.equal("2025-04-01", dates.to_date("2025-04-01T00:30:00+02:00"))
      assert.are.equal("2025-03-31", dates.to_date("2025-03-31"))
    end)

    it("returns nil and a reason for bad input", function()
      local d, err = dates.to_date("2025-02-30")
      assert.is_nil(d)
      assert.are.equal("'2025-02-30' is not a valid calendar date", err)
      assert.is_false(dates.is_date("tomorrow"))
      assert.is_true(dates.is_date("2025-01-01T00:00:00Z"))
    end)
  end)

  describe("calendar facts", function()
    it("knows leap years", function()
      assert.is_true(dates.is_leap_year(2024))
      assert.is_true(dates.is_leap_year(2000))
      assert.is_false(dates.is_leap_year(1900))
      assert.is_false(dates.is_leap_year(2025))
    end)

    it("knows the length of months", function()
      assert.are.equal(29, dates.days_in_month(2024, 2))
      assert.are.equal(28, dates.days_in_month(2023, 2))
      assert.are.equal(31, dates.days_in_month(2025, 12))
      assert.are.equal(30, dates.days_in_month(2025, 4))
    end)
  end)

  describe("day arithmetic", function()
    it("counts days from the epoch and back", function()
      assert.are.equal(0, dates.to_days("1970-01-01"))
      assert.are.equal(-1, dates.to_days("1969-12-31"))
      assert.are.equal(20178, dates.to_days("2025-03-31"))
      assert.are.equal("2025-03-31", dates.from_days(20178))
      assert.are.equal("0001-01-01", dates.from_days(dates.to_days("0001-01-01")))
      assert.are.equal("9999-12-31", dates.from_days(dates.to_days("9999-12-31")))
    end)

    it("round-trips every 97th day over four centuries", function()
      local a = dates.to_days("1900-01-01")
      local b = dates.to_days("2300-12-31")
      for n = a, b, 97 do
        assert.are.equal(n, dates.to_days(dates.from_days(n)))
      end
    end)

    it("counts days between dates across leap days", function()
      assert.are.equal(2, dates.days_between("2024-02-28", "2024-03-01"))
      assert.are.equal(1, dates.days_between("2023-02-28", "2023-03-01"))
      assert.are.equal(-366, dates.days_between("2025-01-01", "2024-01-01"))
      assert.are.equal(0, dates.days_between("2025-03-31", "2025-03-31T23:00:00-08:00"))
      assert.are.equal(36524, dates.days_between("1900-01-01", "2000-01-01"))
    end)

    it("adds days over month, year and leap boundaries", function()
      assert.are.equal("2024-02-29", dates.add_days("2024-02-28", 1))
      assert.are.equal("2023-03-01", dates.add_days("2023-02-28", 1))
      assert.are.equal("2025-01-01", dates.add_days("2024-12-31", 1))
      assert.are.equal("2024-12-31", dates.add_days("2025-01-01", -1))
      assert.are.equal("2025-03-24", dates.add_days("2025-03-31", -7))
      assert.are.equal("2025-03-31", dates.add_days("2025-03-31", 0))
      assert.are.equal("2028-02-29", dates.add_days("2024-02-29", 1461))
    end)

    it("compares dates", function()
      assert.are.equal(-1, dates.compare("2025-03-30", "2025-03-31"))
      assert.are.equal(0, dates.compare("2025-03-31", "2025-03-31T12:00:00Z"))
      assert.are.equal(1, dates.compare("2026-01-01", "2025-12-31"))
      assert.is_true(dates.is_before("2024-02-29", "2024-03-01"))
      assert.is_false(dates.is_before("2024-03-01", "2024-03-01"))
      assert.is_true(dates.is_after("2024-03-01", "2024-02-29"))
      assert.is_false(dates.is_after("2024-03-01", "2024-03-01"))
      assert.is_true(dates.is_same("2024-03-01", "2024-03-01T08:00:00+09:00"))
    end)

    it("accepts date tables from parse", function()
      assert.are.equal(1, dates.days_between(dates.parse("2025-03-30"), "2025-03-31"))
      assert.has_error(function() dates.to_days({ year = 2025, month = 2, day = 30 }) end)
    end)

    it("raises on bad input, naming the function and argument", function()
      assert.has_error(function() dates.add_days("2025-02-30", 1) end,
        "hrsync.dates.add_days: argument #1: '2025-02-30' is not a valid calendar date")
      assert.has_error(function() dates.add_days("2025-01-01", 1.5) end)
      assert.has_error(function() dates.days_between("2025-01-01", nil) end)
      assert.has_error(function() dates.compare("x", "2025-01-01") end)
      assert.has_error(function() dates.add_days("9999-12-31", 1) end)
      assert.has_error(function() dates.from_days(1.5) end)
    end)
  end)

  describe("weekday", function()
    it("gives ISO weekday numbers and names", function()
      assert.are.same({ 4, "Thursday" }, { dates.weekday("1970-01-01") })
      assert.are.same({ 1, "Monday" }, { dates.weekday("2025-03-31") })
      assert.are.same({ 7, "Sunday" }, { dates.weekday("2025-03-30") })
      assert.are.same({ 4, "Thursday" }, { dates.weekday("2024-02-29") })
      assert.are.same({ 6, "Saturday" }, { dates.weekday("2000-01-01") })
      assert.are.same({ 3, "Wednesday" }, { dates.weekday("1969-12-31") })
    end)
  end)

  describe("instants", function()
    it("converts ISO date-times with offsets to seconds since the epoch", function()
      assert.are.equal(0, dates.instant("1970-01-01T00:00:00Z"))
      assert.are.equal(0, dates.instant("1970-01-01T01:00:00+01:00"))
      assert.are.equal(1743296400, dates.instant("2025-03-30T01:00:00Z"))
      assert.are.equal(1743296400, dates.instant("2025-03-30T03:00:00+02:00"))
      assert.are.equal(42, dates.instant(42))
    end)

    it("refuses a date-time without an offset", function()
      local t, err = dates.instant("2025-03-30T01:00:00")
      assert.is_nil(t)
      assert.matches("no UTC offset", err)
      assert.is_nil((dates.instant(1.5)))
    end)

    it("formats instants in UTC", function()
      assert.are.equal("1970-01-01T00:00:00Z", dates.format_instant(0))
      assert.are.equal("1969-12-31T23:59:59Z", dates.format_instant(-1))
      assert.are.equal("2025-03-30T01:00:00Z", dates.format_instant("2025-03-30T03:00:00+02:00"))
      assert.has_error(function() dates.format_instant("2025-03-30") end)
    end)
  end)

  describe("time zones", function()
    it("lists the built-in zones", function()
      assert.are.same({ "America/Los_Angeles", "America/New_York", "Etc/UTC", "Europe/Berlin",
        "Europe/Helsinki", "Europe/London", "Europe/Stockholm", "UTC" }, dates.zones())
    end)

    it("refuses an unknown zone, listing the known ones", function()
      assert.has_error(function() dates.local_date(0, "Mars/Olympus") end)
      local ok, err = pcall(dates.local_date, 0, "Europe/Paris")
      assert.is_false(ok)
      assert.matches("unknown time zone 'Europe/Paris'", err, 1, true)
      assert.matches("Europe/Berlin", err, 1, true)
    end)

    it("switches Europe/Berlin to summer time on the last Sunday of March at 01:00 UTC", function()
      assert.are.equal("2025-03-30T01:59:59+01:00",
        dates.local_time("2025-03-30T00:59:59Z", "Europe/Berlin"))
      assert.are.equal("2025-03-30T03:00:00+02:00",
        dates.local_time("2025-03-30T01:00:00Z", "Europe/Berlin"))
      assert.are.same({ 3600, false }, { dates.utc_offset("2025-03-30T00:59:59Z", "Europe/Berlin") })
      assert.are.same({ 7200, true }, { dates.utc_offset("2025-03-30T01:00:00Z", "Europe/Berlin") })
    end)

    it("switches Europe/Berlin back on the last Sunday of October at 01:00 UTC", function()
      assert.are.equal("2025-10-26T02:59:59+02:00",
        dates.local_time("2025-10-26T00:59:59Z", "Europe/Berlin"))
      assert.are.equal("2025-10-26T02:00:00+01:00",
        dates.local_time("2025-10-26T01:00:00Z", "Europe/Berlin"))
    end)

    it("uses the same EU instant in London, Stockholm and Helsinki", function()
      assert.are.equal("2024-03-31T00:59:59+00:00",
        dates.local_time("2024-03-31T00:59:59Z", "Europe/London"))
      assert.are.equal("2024-03-31T02:00:00+01:00",
        dates.local_time("2024-03-31T01:00:00Z", "Europe/London"))
      assert.are.equal("2024-03-31T03:00:00+02:00",
        dates.local_time("2024-03-31T01:00:00Z", "Europe/Stockholm"))
      assert.are.equal("2024-03-31T04:00:00+03:00",
        dates.local_time("2024-03-31T01:00:00Z", "Europe/Helsinki"))
      assert.are.equal("2024-10-27T03:59:59+03:00",
        dates.local_time("2024-10-27T00:59:59Z", "Europe/Helsinki"))
      assert.are.equal("2024-10-27T03:00:00+02:00",
        dates.local_time("2024-10-27T01:00:00Z", "Europe/Helsinki"))
    end)

    it("follows the US rule in New York: second Sunday of March, first of November", function()
      assert.are.equal("2025-03-09T01:59:59-05:00",
        dates.local_time("2025-03-09T06:59:59Z", "America/New_York"))
      assert.are.equal("2025-03-09T03:00:00-04:00",
        dates.local_time("2025-03-09T07:00:00Z", "America/New_York"))
      assert.are.equal("2025-11-02T01:59:59-04:00",
        dates.local_time("2025-11-02T05:59:59Z", "America/New_York"))
      assert.are.equal("2025-11-02T01:00:00-05:00",
        dates.local_time("2025-11-02T06:00:00Z", "America/New_York"))
    end)

    it("follows the US rule in Los Angeles", function()
      assert.are.equal("2024-03-10T01:59:59-08:00",
        dates.local_time("2024-03-10T09:59:59Z", "America/Los_Angeles"))
      assert.are.equal("2024-03-10T03:00:00-07:00",
        dates.local_time("2024-03-10T10:00:00Z", "America/Los_Angeles"))
      assert.are.equal("2024-11-03T01:59:59-07:00",
        dates.local_time("2024-11-03T08:59:59Z", "America/Los_Angeles"))
      assert.are.equal("2024-11-03T01:00:00-08:00",
        dates.local_time("2024-11-03T09:00:00Z", "America/Los_Angeles"))
    end)

    it("gives the local calendar date across midnight and DST", function()
      -- 22:30 UTC on 30 March 2025 is 00:30 on 31 March in Berlin (summer time, +2).
      assert.are.equal("2025-03-31", dates.local_date("2025-03-30T22:30:00Z", "Europe/Berlin"))
      -- The same clock time in winter (+1) stays on the same day.
      assert.are.equal("2025-01-30", dates.local_date("2025-01-30T22:30:00Z", "Europe/Berlin"))
      assert.are.equal("2025-01-30", dates.local_date("2025-01-30T22:30:00Z", "Europe/London"))
      assert.are.equal("2025-07-01", dates.local_date("2025-06-30T23:30:00Z", "Europe/London"))
      assert.are.equal("2025-03-30", dates.local_date("2025-03-31T03:59:59Z", "America/New_York"))
      assert.are.equal("2025-03-31", dates.local_date("2025-03-31T04:00:00Z", "America/New_York"))
      assert.are.equal("2025-03-31", dates.local_date("2025-03-31T04:00:00Z", "UTC"))
      assert.are.equal("2025-03-31", dates.local_date(dates.instant("2025-03-31T12:00:00Z"), "Etc/UTC"))
    end)

    it("applies the rules in leap years and on the leap day", function()
      assert.are.equal("2024-02-29", dates.local_date("2024-02-28T23:30:00Z", "Europe/Berlin"))
      assert.are.equal("2024-02-29", dates.local_date("2024-03-01T07:59:59Z", "America/Los_Angeles"))
    end)

    it("raises for an instant that is not one", function()
      assert.has_error(function() dates.local_date("2025-03-30", "Europe/Berlin") end)
      assert.has_error(function() dates.local_date("2025-03-30T10:00:00", "Europe/Berlin") end)
    end)
  end)

  describe("graph_datetime", function()
    it("gives midnight UTC of the calendar date", function()
      assert.are.equal("2025-04-01T00:00:00Z", dates.graph_datetime("2025-04-01"))
      assert.are.equal("2025-04-01T00:00:00Z", dates.graph_datetime("2025-04-01T23:00:00-05:00"))
      assert.are.equal("2024-02-29T00:00:00Z", dates.graph_datetime("2024-02-29"))
    end)

    it("takes an optional time of day", function()
      assert.are.equal("2025-04-30T23:59:59Z", dates.graph_datetime("2025-04-30", "23:59:59"))
      assert.has_error(function() dates.graph_datetime("2025-04-30", "24:00:00") end)
      assert.has_error(function() dates.graph_datetime("2025-04-30", "9:00") end)
    end)

    it("gives nil for no date and raises for a bad one", function()
      assert.is_nil(dates.graph_datetime(nil))
      assert.is_nil(dates.graph_datetime(""))
      assert.has_error(function() dates.graph_datetime("2025-02-30") end,
        "hrsync.dates.graph_datetime: '2025-02-30' is not a valid calendar date")
    end)
  end)

  describe("today", function()
    after_each(function() clock.set(nil) end)

    it("reads the pinned clock", function()
      clock.set("2025-03-31")
      assert.are.equal("2025-03-31", dates.today())
    end)
  end)
end)
