-- Specs for hrsync.groups: rules by attribute, predicates, declarative rules, evaluation.

local groups = require("hrsync.groups")
local match = require("hrsync.match")

local function person(fields)
  local p = { id = "P1", first_name = "Zoë", last_name = "Müller", status = "active" }
  for k, v in pairs(fields or {}) do p[k] = v end
  return p
end

describe("hrsync.groups", function()
  describe("by_attribute with a map", function()
    local rule = groups.by_attribute("department", {
      Finance = "SG-Finance",
      Engineering = { "SG-Engineering", "SG-Tech" },
    })

    it("maps a value to one group, with a descriptor", function()
      local names, why = groups.evaluate({ rule }, person{ department = "Finance" })
      assert.are.same({ "SG-Finance" }, names)
      assert.are.same({ { group = "SG-Finance", rule = "department=Finance" } }, why)
    end)

    it("maps a value to several groups in order", function()
      local names, why = groups.evaluate({ rule }, person{ department = "Engineering" })
      assert.are.same({ "SG-Engineering", "SG-Tech" }, names)
      assert.are.same({ { group = "SG-Engineering", rule = "department=Engineering" },
        { group = "SG-Tech", rule = "department=Engineering" } }, why)
    end)

    it("compares trimmed values case-insensitively by default", function()
      assert.are.same({ "SG-Finance" }, (groups.evaluate({ rule }, person{ department = " finance " })))
      local strict = groups.by_attribute("department", { Finance = "SG-Finance" },
        { case_sensitive = true })
      assert.are.same({}, (groups.evaluate({ strict }, person{ department = "finance" })))
    end)

    it("gives nothing for unmapped or missing values", function()
      assert.are.same({}, (groups.evaluate({ rule }, person{ department = "Legal" })))
      assert.are.same({}, (groups.evaluate({ rule }, person())))
      assert.are.same({}, (groups.evaluate({ rule }, person{ department = "" })))
    end)

    it("falls back to default groups", function()
      local r = groups.by_attribute("department", { Finance = "SG-Finance" },
        { default = "SG-Other" })
      local names, why = groups.evaluate({ r }, person{ department = "Legal" })
      assert.are.same({ "SG-Other" }, names)
      assert.are.equal("department=Legal (default)", why[1].rule)
      local _, why2 = groups.evaluate({ r }, person())
      assert.are.equal("department missing (default)", why2[1].rule)
      assert.are.same({ "SG-Finance" }, (groups.evaluate({ r }, person{ department = "Finance" })))
    end)

    it("maps numeric values and list-valued fields", function()
      local r = groups.by_attribute("cost_center", { [4711] = "CC-4711" })
      assert.are.same({ "CC-4711" }, (groups.evaluate({ r }, person{ cost_center = 4711 })))
      assert.are.same({ "CC-4711" }, (groups.evaluate({ r }, person{ cost_center = "4711" })))
      local teams = groups.by_attribute("teams", { red = "T-Red", blue = "T-Blue" })
      assert.are.same({ "T-Blue", "T-Red" },
        (groups.evaluate({ teams }, person{ teams = { "blue", "green", "red" } })))
    end)

    it("reads nested fields by path", function()
      local r = groups.by_attribute("raw.site.name", { Berlin = "SG-Berlin" })
      assert.are.same({ "SG-Berlin" },
        (groups.evaluate({ r }, person{ raw = { site = { name = "Berlin" } } })))
    end)

    it("refuses ambiguous or malformed maps", function()
      assert.has_error(function()
        groups.by_attribute("department", { Finance = "A", finance = "B" })
      end)
      assert.has_error(function() groups.by_attribute("department", { Finance = "" }) end)
      assert.has_error(function() groups.by_attribute("department", { Finance = { 1 } }) end)
      assert.has_error(function() groups.by_attribute("department", 42) end)
      assert.has_error(function() groups.by_attribute("", {}) end)
      assert.has_error(function() groups.by_attribute("department", {}, { defualt = "x" }) end,
        "hrsync.groups.by_attribute: unknown option 'defualt'")
    end)
  end)

  describe("by_attribute with a template or function", function()
    it("makes one group per value from a template", function()
      local r = groups.by_attribute("department", "SG-{value}")
      local names, why = groups.evaluate({ r }, person{ department = "Customer Success" })
      assert.are.same({ "SG-Customer Success" }, names)
      assert.are.equal("department=Customer Success", why[1].rule)
      assert.are.same({}, (groups.evaluate({ r }, person())))
    end)

    it("inserts values with % literally", function()
      local r = groups.by_attribute("department", "SG-{value}")
      assert.are.same({ "SG-100%" }, (groups.evaluate({ r }, person{ department = "100%" })))
    end)

    it("refuses a template without {value}", function()
      assert.has_error(function() groups.by_attribute("department", "SG-Finance") end,
        "hrsync.groups.by_attribute: a string map must contain {value}, e.g. 'SG-{value}'")
    end)

    it("calls a function with the value and the person", function()
      local r = groups.by_attribute("office", function(value, p)
        if p.status == "active" then return { "Office-" .. value, "Everyone" } end
      end)
      assert.are.same({ "Office-Berlin", "Everyone" },
        (groups.evaluate({ r }, person{ office = "Berlin" })))
      assert.are.same({}, (groups.evaluate({ r }, person{ office = "Berlin", status = "x" })))
    end)

    it("raises when the function returns something that is not a group", function()
      local r = groups.by_attribute("office", function() return 42 end)
      assert.has_error(function() groups.evaluate({ r }, person{ office = "Berlin" }) end)
    end)
  end)

  describe("when", function()
    it("adds groups for people the predicate accepts", function()
      local r = groups.when(function(p) return p.gender == "female" end, "Women")
      local names, why = groups.evaluate({ r }, person{ gender = "female" })
      assert.are.same({ "Women" }, names)
      assert.are.equal("when -> Women", why[1].rule)
      assert.are.same({}, (groups.evaluate({ r }, person{ gender = "male" })))
    end)

    it("uses the name given for descriptors, and takes lists", function()
      local r = groups.when(function() return true end, { "A", "B" }, "everyone")
      local _, why = groups.evaluate({ r }, person())
      assert.are.same({ { group = "A", rule = "everyone" }, { group = "B", rule = "everyone" } }, why)
    end)

    it("refuses bad arguments", function()
      assert.has_error(function() groups.when("x", "Women") end)
      assert.has_error(function() groups.when(function() end, {}) end)
      assert.has_error(function() groups.when(function() end, " ") end)
    end)
  end)

  describe("rule", function()
    it("matches where tables", function()
      local r = groups.rule{ name = "women", where = { gender = "female" }, group = "Women" }
      local names, why = groups.evaluate({ r }, person{ gender = "Female" })
      assert.are.same({ "Women" }, names)
      assert.are.same({ { group = "Women", rule = "women" } }, why)
      assert.are.same({}, (groups.evaluate({ r }, person{ gender = "male" })))
      assert.are.same({}, (groups.evaluate({ r }, person())))
    end)

    it("describes itself by its where table when unnamed", function()
      local r = groups.rule{ where = { gender = "female", office = { "Berlin", "Hamburg" } },
        groups = { "Women", "Women-DE" } }
      local _, why = groups.evaluate({ r }, person{ gender = "female", office = "Hamburg" })
      assert.are.same({ { group = "Women", rule = "gender=female and office in {Berlin, Hamburg}" },
        { group = "Women-DE", rule = "gender=female and office in {Berlin, Hamburg}" } }, why)
    end)

    it("combines where and when", function()
      local r = groups.rule{ where = { department = "Engineering" },
        when = function(p) return p.position == "Manager" end, group = "Eng-Managers" }
      assert.are.same({ "Eng-Managers" },
        (groups.evaluate({ r }, person{ department = "Engineering", position = "Manager" })))
      assert.are.same({}, (groups.evaluate({ r }, person{ department = "Engineering" })))
      assert.are.same({}, (groups.evaluate({ r }, person{ position = "Manager" })))
    end)

    it("supports predicates from hrsync.match", function()
      local r = groups.rule{ where = { supervisor_id = match.present }, group = "Has-Manager" }
      assert.are.same({ "Has-Manager" }, (groups.evaluate({ r }, person{ supervisor_id = 7 })))
      assert.are.same({}, (groups.evaluate({ r }, person())))
    end)

    it("refuses unknown keys, naming them", function()
      assert.has_error(function()
        groups.rule{ where = { gender = "female" }, group = "Women", only_joiners = true }
      end, "hrsync.groups.rule: unknown key 'only_joiners' (groups are desired state; a "
        .. "join-only group must not be a managed group)")
      assert.has_error(function() groups.rule{ where = { a = "b" }, gruop = "X" } end,
        "hrsync.groups.rule: unknown key 'gruop'")
    end)

    it("refuses incomplete rules", function()
      assert.has_error(function() groups.rule{ where = { a = "b" } } end)
      assert.has_error(function() groups.rule{ group = "X" } end)
      assert.has_error(function() groups.rule{ where = { a = "b" }, group = "X", groups = { "Y" } } end)
      assert.has_error(function() groups.rule{ when = "yes", group = "X" } end)
      assert.has_error(function() groups.rule{ where = {}, group = "X" } end)
    end)
  end)

  describe("evaluate", function()
    local rules = {
      groups.by_attribute("department", { Finance = { "SG-Finance", "All-Staff" } }),
      groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },
      groups.when(function() return true end, { "all-staff", "Everyone" }, "everyone"),
    }

    it("deduplicates case-insensitively, keeping the first rule and spelling", function()
      local names, why = groups.evaluate(rules, person{ department = "Finance", gender = "female" })
      assert.are.same({ "SG-Finance", "All-Staff", "Women", "Everyone" }, names)
      assert.are.same({
        { group = "SG-Finance", rule = "department=Finance" },
        { group = "All-Staff", rule = "department=Finance" },
        { group = "Women", rule = "women" },
        { group = "Everyone", rule = "everyone" },
      }, why)
    end)

    it("keeps the rule order stable across calls", function()
      local p = person{ department = "Finance", gender = "female" }
      local first = groups.evaluate(rules, p)
      for _ = 1, 5 do assert.are.same(first, (groups.evaluate(rules, p))) end
    end)

    it("accepts plain functions as rules", function()
      local names, why = groups.evaluate({ function(p) return p.office and ("Office-" .. p.office) end },
        person{ office = "Berlin" })
      assert.are.same({ "Office-Berlin" }, names)
      assert.are.same({ { group = "Office-Berlin", rule = "rule #1" } }, why)
      assert.are.same({}, (groups.evaluate({ function() return nil end }, person())))
    end)

    it("gives empty lists for no rules", function()
      assert.are.same({ {}, {} }, { groups.evaluate({}, person()) })
    end)

    it("refuses things that are not rules or people", function()
      assert.has_error(function() groups.evaluate({ "SG-Finance" }, person()) end)
      assert.has_error(function() groups.evaluate("x", person()) end)
      assert.has_error(function() groups.evaluate(rules, nil) end)
    end)
  end)

  describe("hook and describe", function()
    it("makes a groups hook that returns the names and the rules that chose them", function()
      local hook = groups.hook{
        groups.by_attribute("department", "SG-{value}"),
        groups.rule{ where = { gender = "female" }, group = "Women" },
      }
      local names, why = hook(person{ department = "Finance", gender = "female" })
      assert.are.same({ "SG-Finance", "Women" }, names)
      -- The engine keeps the second value for `hrsync explain`.
      assert.are.same({ { group = "SG-Finance", rule = "department=Finance" },
                        { group = "Women", rule = "gender=female" } }, why)
      names, why = hook(person())
      assert.are.same({}, names)
      assert.are.same({}, why)
    end)

    it("refuses bad rule lists when the hook is made", function()
      assert.has_error(function() groups.hook{ 42 } end)
    end)

    it("describes a rule list", function()
      assert.are.same({ "by department", "women", "rule #3" }, groups.describe{
        groups.by_attribute("department", "SG-{value}"),
        groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },
        function() end,
      })
    end)
  end)
end)
