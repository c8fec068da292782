-- Specs for hrsync.attributes: cleaning, length limits, names, dates, usageLocation, build.

local attr = require("hrsync.attributes")

describe("hrsync.attributes", function()
  describe("clean", function()
    it("trims and collapses white space", function()
      assert.are.equal("Head of Finance", attr.clean("  Head \u{00A0} of\tFinance \n"))
    end)

    it("gives nil for empty and blank strings", function()
      assert.is_nil(attr.clean(""))
      assert.is_nil(attr.clean("   "))
      assert.is_nil(attr.clean(nil))
    end)

    it("turns numbers into text and drops other types", function()
      assert.are.equal("1042", attr.clean(1042))
      assert.are.equal("1042", attr.clean(1042.0))
      assert.is_nil(attr.clean(true))
      assert.is_nil(attr.clean({}))
    end)
  end)

  describe("limit", function()
    it("documents the limits from the Graph user resource", function()
      assert.are.equal(64, attr.LIMITS.givenName)
      assert.are.equal(64, attr.LIMITS.surname)
      assert.are.equal(64, attr.LIMITS.department)
      assert.are.equal(64, attr.LIMITS.companyName)
      assert.are.equal(128, attr.LIMITS.jobTitle)
      assert.are.equal(16, attr.LIMITS.employeeId)
      assert.are.equal(256, attr.LIMITS.displayName)
    end)

    it("cuts text to the limit, counting characters, not bytes", function()
      local title = string.rep("ü", 130)
      local cut = attr.limit("jobTitle", title)
      assert.are.equal(string.rep("ü", 128), cut)
      assert.are.equal(256, #cut)   -- bytes: two per character
      assert.are.equal(string.rep("x", 64), attr.limit("department", string.rep("x", 100)))
    end)

    it("does not leave a space at the cut", function()
      local s = string.rep("a", 63) .. " bcd"
      assert.are.equal(string.rep("a", 63), attr.limit("givenName", s))
    end)

    it("leaves values within the limit and unknown properties alone", function()
      assert.are.equal("Finance", attr.limit("department", "Finance"))
      assert.are.equal(string.rep("x", 500), attr.limit("officeLocation", string.rep("x", 500)))
      assert.is_nil(attr.limit("department", nil))
      assert.are.equal(true, attr.limit("accountEnabled", true))
    end)

    it("never cuts an identifier", function()
      assert.are.equal("E-0000000000001", attr.limit("employeeId", "E-0000000000001"))
      assert.has_error(function() attr.limit("employeeId", "E-00000000000000001") end,
        "hrsync.attributes: employeeId 'E-00000000000000001' is longer than 16 characters; "
        .. "identifiers are not cut")
    end)
  end)

  describe("names", function()
    it("prefers the preferred name for the given name", function()
      assert.are.equal("Bob", attr.first_name{ first_name = "Robert", preferred_name = " Bob " })
      assert.are.equal("Robert", attr.first_name{ first_name = "Robert", preferred_name = "" })
      assert.are.equal("Robert", attr.first_name{ first_name = "Robert" })
      assert.is_nil(attr.first_name{})
    end)

    it("builds the display name", function()
      assert.are.equal("Zoë Müller-Lüdenscheidt",
        attr.display_name{ first_name = "Zoë", last_name = "Müller-Lüdenscheidt" })
      assert.are.equal("Bob Smith",
        attr.display_name{ first_name = "Robert", preferred_name = "Bob", last_name = "Smith" })
      assert.are.equal("Robert Smith", attr.display_name({ first_name = "Robert",
        preferred_name = "Bob", last_name = "Smith" }, { preferred = false }))
      assert.are.equal("Liam O'Brien", attr.display_name{ first_name = " Liam ", last_name = "O'Brien  " })
    end)

    it("copes with missing parts", function()
      assert.are.equal("Madonna", attr.display_name{ first_name = "Madonna", last_name = "" })
      assert.are.equal("Smith", attr.display_name{ last_name = "Smith" })
      assert.is_nil(attr.display_name{ first_name = " ", last_name = nil })
    end)

    it("cuts a very long display name to 256", function()
      local d = attr.display_name{ first_name = string.rep("A", 200), last_name = string.rep("B", 200) }
      assert.are.equal(256, #d)
    end)

    it("refuses a missing person", function()
      assert.has_error(function() attr.display_name(nil) end)
      assert.has_error(function() attr.first_name("Zoë") end)
    end)
  end)

  describe("usage_location and date", function()
    it("upper-cases two-letter country codes", function()
      assert.are.equal("DE", attr.usage_location("de"))
      assert.are.equal("SE", attr.usage_location(" SE "))
      assert.is_nil(attr.usage_location(""))
      assert.has_error(function() attr.usage_location("DEU") end,
        "hrsync.attributes.usage_location: 'DEU' is not a two-letter country code")
    end)

    it("formats dates for Graph", function()
      assert.are.equal("2025-04-01T00:00:00Z", attr.date("2025-04-01"))
      assert.are.equal("2025-04-01T00:00:00Z", attr.date(" 2025-04-01T09:00:00+02:00 "))
      assert.are.equal("2025-04-30T23:59:59Z", attr.date("2025-04-30", "23:59:59"))
      assert.is_nil(attr.date(nil))
      assert.is_nil(attr.date(""))
      assert.has_error(function() attr.date("01.04.2025") end,
        "hrsync.attributes.date: '01.04.2025' is not a date")
    end)
  end)

  describe("build", function()
    it("cleans and limits every value", function()
      local t = attr.build{
        givenName = "  Zoë ",
        surname = "Müller-Lüdenscheidt",
        department = string.rep("D", 70),
        jobTitle = "  Senior   Engineer ",
        employeeId = 1042,
        officeLocation = "",
        usageLocation = "de",
        accountEnabled = true,
      }
      assert.are.same({
        givenName = "Zoë",
        surname = "Müller-Lüdenscheidt",
        department = string.rep("D", 64),
        jobTitle = "Senior Engineer",
        employeeId = "1042",
        usageLocation = "DE",
        accountEnabled = true,
      }, t)
    end)

    it("drops blank values so the directory keeps its own", function()
      local t = attr.build{ mobilePhone = " ", city = "" }
      assert.is_nil(next(t))
    end)

    it("cleans lists element by element and keeps an empty list", function()
      assert.are.same({ businessPhones = { "+49 30 1234" } },
        attr.build{ businessPhones = { " +49 30 1234 ", "" } })
      assert.are.same({ businessPhones = {} }, attr.build{ businessPhones = {} })
    end)

    it("does not change the table it is given", function()
      local src = { givenName = " Zoë " }
      attr.build(src)
      assert.are.equal(" Zoë ", src.givenName)
    end)

    it("removes control characters the directory refuses", function()
      assert.are.same({ jobTitle = "Head of Finance" },
        attr.build{ jobTitle = "Head\1 of\127 Finance\u{85}" })
    end)

    describe("with the engine's hrsync_null", function()
      local NULL = setmetatable({}, { __name = "hrsync_null" })
      before_each(function() _G.hrsync_null = NULL end)
      after_each(function() _G.hrsync_null = nil end)

      it("finds the sentinel", function()
        assert.are.equal(NULL, attr.null())
      end)

      it("passes hrsync_null through as 'clear this value'", function()
        local t = attr.build{ department = NULL, jobTitle = " Controller " }
        assert.are.equal(NULL, t.department)
        assert.are.equal("Controller", t.jobTitle)
      end)

      it("turns blank values into hrsync_null with blank = 'clear'", function()
        local t = attr.build({ department = " ", officeLocation = "", displayName = "",
          givenName = "Zoë" }, { blank = "clear" })
        assert.are.equal(NULL, t.department)
        assert.are.equal(NULL, t.officeLocation)
        assert.is_nil(t.displayName)   -- cannot be cleared: left out
        assert.are.equal("Zoë", t.givenName)
      end)
    end)

    it("needs the sentinel for blank = 'clear', and knows its options", function()
      assert.is_nil(attr.null())
      assert.has_error(function() attr.build({ department = "" }, { blank = "clear" }) end,
        "hrsync.attributes.build: blank = 'clear' needs the engine's hrsync_null")
      assert.has_error(function() attr.build({}, { blank = "zap" }) end)
    end)

    it("raises on values it cannot send", function()
      assert.has_error(function() attr.build{ employeeId = string.rep("9", 17) } end)
      assert.has_error(function() attr.build{ usageLocation = "Germany" } end,
        "hrsync.attributes.build: usageLocation 'Germany' is not a two-letter country code")
      assert.has_error(function() attr.build{ givenName = function() end } end,
        "hrsync.attributes.build: givenName has a function value")
      assert.has_error(function() attr.build{ "x" } end)
      assert.has_error(function() attr.build("x") end)
    end)
  end)
end)
