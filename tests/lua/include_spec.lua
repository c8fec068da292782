-- Specs for hrsync.include: scope filters, their reasons, combinators and descriptors.

local include = require("hrsync.include")
local clock = require("hrsync.clock")

local function person(fields)
  local p = { id = "P1", first_name = "Zoë", last_name = "Müller", status = "active" }
  for k, v in pairs(fields or {}) do p[k] = v end
  return p
end

local function call(f, ...)
  return { f(...) }
end

describe("hrsync.include", function()
  after_each(function() clock.set(nil) end)

  describe("status", function()
    local f = include.status{ "active", "onboarding" }

    it("accepts listed statuses, naming the rule", function()
      assert.are.same({ true, "status 'active' in {active, onboarding}" },
        call(f, person(), "2025-03-31"))
      assert.are.same({ true, "status 'Onboarding' in {active, onboarding}" },
        call(f, person{ status = " Onboarding " }, "2025-03-31"))
    end)

    it("refuses other statuses with the reason", function()
      assert.are.same({ false, "status 'inactive' not in {active, onboarding}" },
        call(f, person{ status = "inactive" }))
      assert.are.same({ false, "status missing, not in {active, onboarding}" },
        call(f, person{ status = "" }))
    end)

    it("reads another field when told", function()
      local g = include.status{ "employed", field = "raw.employment.state" }
      assert.is_true((g(person{ raw = { employment = { state = "EMPLOYED" } } })))
      assert.is_false((g(person{ raw = {} })))
    end)

    it("does not need the clock", function()
      assert.is_true((f(person())))
    end)

    it("refuses bad declarations", function()
      assert.has_error(function() include.status{} end,
        "hrsync.include.status: list at least one status")
      assert.has_error(function() include.status{ "" } end)
      assert.has_error(function() include.status{ "active", feild = "x" } end,
        "hrsync.include.status: unknown option 'feild'")
      assert.has_error(function() f("not a person") end)
    end)

    it("has a descriptor", function()
      local d = include.describe(f)
      assert.are.equal("status", d.kind)
      assert.are.equal("status in {active, onboarding}", d.rule)
      assert.are.same({ "active", "onboarding" }, d.values)
      assert.is_nil(include.describe(function() end))
    end)
  end)

  describe("prehire", function()
    local f = include.prehire{ days = 7 }
    local p = person{ hire_date = "2025-04-07" }

    it("is out of scope before hire_date - days", function()
      assert.are.same({ false, "prehire: in scope from 2025-03-31 (hire_date 2025-04-07 - 7 days), "
        .. "now 2025-03-30" }, call(f, p, "2025-03-30"))
    end)

    it("is in scope from hire_date - days on, the first day included", function()
      assert.are.same({ true, "prehire: in scope since 2025-03-31 (hire_date 2025-04-07 - 7 days)" },
        call(f, p, "2025-03-31"))
      assert.is_true((f(p, "2025-04-07")))
      assert.is_true((f(p, "2026-01-01")))
    end)

    it("counts across leap days and year ends", function()
      local g = include.prehire{ days = 2 }
      assert.is_false((g(person{ hire_date = "2024-03-01" }, "2024-02-27")))
      assert.is_true((g(person{ hire_date = "2024-03-01" }, "2024-02-28")))
      assert.is_true((include.prehire{ days = 3 }(person{ hire_date = "2025-01-02" }, "2024-12-30")))
      assert.is_false((include.prehire{ days = 3 }(person{ hire_date = "2025-01-02" }, "2024-12-29")))
    end)

    it("uses only the calendar date of a date-time hire date", function()
      assert.is_true((f(person{ hire_date = "2025-04-07T00:00:00+02:00" }, "2025-03-31")))
    end)

    it("with days = 0 admits people from the hire date", function()
      local g = include.prehire{}
      assert.is_false((g(p, "2025-04-06")))
      assert.is_true((g(p, "2025-04-07")))
    end)

    it("admits people without a hire date unless told otherwise", function()
      assert.are.same({ true, "no hire_date, prehire window not applied" },
        call(f, person(), "2025-03-31"))
      local strict = include.prehire{ days = 7, missing = false }
      assert.are.same({ false, "no hire_date, out of scope" }, call(strict, person(), "2025-03-31"))
    end)

    it("raises on an unreadable hire date instead of deciding", function()
      local ok, err = pcall(f, person{ hire_date = "07.04.2025" }, "2025-03-31")
      assert.is_false(ok)
      assert.matches("person P1 hire_date: '07.04.2025' is not a date", err, 1, true)
    end)

    it("reads the clock when now is not given", function()
      clock.set("2025-03-30")
      assert.is_false((f(p)))
      clock.set("2025-03-31")
      assert.is_true((f(p)))
    end)

    it("raises when now is not a date", function()
      assert.has_error(function() f(p, "yesterday") end)
    end)

    it("refuses bad declarations", function()
      assert.has_error(function() include.prehire{ days = -1 } end)
      assert.has_error(function() include.prehire{ days = 1.5 } end)
      assert.has_error(function() include.prehire{ day = 7 } end,
        "hrsync.include.prehire: unknown option 'day'")
      assert.has_error(function() include.prehire("7") end)
    end)
  end)

  describe("until_termination", function()
    local f = include.until_termination{}
    local leaver = person{ termination_date = "2025-03-31" }

    it("keeps a leaver in scope through the termination date itself", function()
      assert.are.same({ true, "termination_date 2025-03-31: in scope through 2025-03-31" },
        call(f, leaver, "2025-03-31"))
      assert.is_true((f(leaver, "2025-03-01")))
    end)

    it("puts a leaver out of scope from the next day", function()
      assert.are.same({ false, "termination_date 2025-03-31 has passed (last day in scope "
        .. "2025-03-31), now 2025-04-01" }, call(f, leaver, "2025-04-01"))
    end)

    it("extends scope by grace days", function()
      local g = include.until_termination{ grace_days = 2 }
      assert.is_true((g(leaver, "2025-04-02")))
      assert.are.same({ false, "termination_date 2025-03-31 + 2 days grace has passed "
        .. "(last day in scope 2025-04-02), now 2025-04-03" }, call(g, leaver, "2025-04-03"))
    end)

    it("handles a leap-day termination", function()
      local p = person{ termination_date = "2024-02-29" }
      assert.is_true((f(p, "2024-02-29")))
      assert.is_false((f(p, "2024-03-01")))
    end)

    it("keeps people without a termination date", function()
      assert.are.same({ true, "no termination_date" }, call(f, person(), "2025-03-31"))
      assert.are.same({ true, "no termination_date" }, call(f, person{ termination_date = " " },
        "2025-03-31"))
    end)

    it("raises on an unreadable termination date", function()
      assert.has_error(function() f(person{ termination_date = "2025-02-30" }, "2025-03-31") end)
    end)

    it("refuses bad declarations", function()
      assert.has_error(function() include.until_termination{ grace = 1 } end)
      assert.has_error(function() include.until_termination{ grace_days = -2 } end)
    end)
  end)

  describe("where and when", function()
    it("filters by field values", function()
      local f = include.where{ company = "Example GmbH" }
      assert.are.same({ true, "company=Example GmbH" }, call(f, person{ company = "example gmbh" }))
      assert.are.same({ false, "company 'Other AG' does not match company=Example GmbH" },
        call(f, person{ company = "Other AG" }))
      assert.are.equal("company=Example GmbH", include.describe(f).rule)
    end)

    it("wraps a custom predicate with a name", function()
      local f = include.when(function(p) return p.badge ~= nil end, "has a badge")
      assert.are.same({ true, "has a badge: yes" }, call(f, person{ badge = 1 }))
      assert.are.same({ false, "has a badge: no" }, call(f, person()))
      local g = include.when(function() return false, "vetoed by HR" end)
      assert.are.same({ false, "vetoed by HR" }, call(g, person()))
      assert.has_error(function() include.when("x") end)
    end)

    it("passes now to a custom predicate", function()
      local seen
      local f = include.when(function(_, now) seen = now; return true end)
      f(person(), "2025-03-31")
      assert.are.equal("2025-03-31", seen)
    end)
  end)

  describe("combinators", function()
    local scope = include.all{
      include.status{ "active", "onboarding" },
      include.prehire{ days = 7 },
      include.until_termination{},
    }

    it("all: in scope when every filter passes, with all reasons", function()
      local ok, reason = scope(person{ hire_date = "2024-01-01" }, "2025-03-31")
      assert.is_true(ok)
      assert.are.equal("status 'active' in {active, onboarding}; prehire: in scope since "
        .. "2023-12-25 (hire_date 2024-01-01 - 7 days); no termination_date", reason)
    end)

    it("all: stops at the first failing filter and gives its reason", function()
      assert.are.same({ false, "status 'inactive' not in {active, onboarding}" },
        call(scope, person{ status = "inactive", hire_date = "bad" }, "2025-03-31"))
      local ok, reason = scope(person{ status = "onboarding", hire_date = "2025-04-30" }, "2025-03-31")
      assert.is_false(ok)
      assert.matches("^prehire: in scope from 2025%-04%-23", reason)
    end)

    it("all: a leaver after the last day is out", function()
      local ok, reason = scope(person{ hire_date = "2020-01-01", termination_date = "2025-03-30" },
        "2025-03-31")
      assert.is_false(ok)
      assert.matches("termination_date 2025-03-30 has passed", reason, 1, true)
    end)

    it("all: reads the clock once for every filter", function()
      local calls = 0
      clock.set(function() calls = calls + 1; return "2025-03-31" end)
      assert.is_true((scope(person{ hire_date = "2025-04-01" })))
      assert.are.equal(1, calls)
    end)

    it("any: in scope when one filter passes, with its reason", function()
      local f = include.any{
        include.status{ "active" },
        include.where{ department = "Board" },
      }
      assert.are.same({ true, "department=Board" },
        call(f, person{ status = "inactive", department = "Board" }, "2025-03-31"))
      assert.are.same({ false, "status 'inactive' not in {active}; department missing does not "
        .. "match department=Board" }, call(f, person{ status = "inactive" }, "2025-03-31"))
    end)

    it("nests all inside any", function()
      local f = include.any{
        include.status{ "active" },
        include.all{ include.status{ "onboarding" }, include.prehire{ days = 7 } },
      }
      assert.is_true((f(person(), "2025-03-31")))
      assert.is_true((f(person{ status = "onboarding", hire_date = "2025-04-07" }, "2025-03-31")))
      assert.is_false((f(person{ status = "onboarding", hire_date = "2025-04-08" }, "2025-03-31")))
      assert.are.equal("any of (status in {active}; all of (status in {onboarding}; prehire 7 "
        .. "days before hire_date))", include.describe(f).rule)
    end)

    it("empty lists: all{} is true, any{} is false", function()
      assert.are.same({ true, "no conditions" }, call(include.all{}, person()))
      assert.are.same({ false, "no alternatives" }, call(include.any{}, person()))
    end)

    it("negate inverts a filter and its reason", function()
      local f = include.negate(include.where{ department = "Board" })
      assert.are.same({ false, "not (department=Board)" },
        call(f, person{ department = "board" }))
      assert.is_true((f(person{ department = "Finance" })))
      assert.are.equal("not (department=Board)", include.describe(f).rule)
      assert.has_error(function() include.negate({}) end)
    end)

    it("accepts plain functions and gives them a default reason", function()
      local f = include.all{ function() return true end }
      assert.are.same({ true, "custom rule" }, call(f, person(), "2025-03-31"))
    end)

    it("refuses lists that hold something other than filters", function()
      assert.has_error(function() include.all{ "active" } end,
        "hrsync.include.all: element #1 is string, not a filter function")
      assert.has_error(function() include.any("x") end)
    end)
  end)
end)
