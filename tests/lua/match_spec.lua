-- Specs for hrsync.match: field access and `where` tables shared by include and groups.

local match = require("hrsync.match")

describe("hrsync.match", function()
  local person = {
    id = 1042, first_name = "Zoë", gender = "Female", department = " Finance ",
    tags = { "a", "b" }, active = true, empty = "  ",
    raw = { contract = { kind = "fixed" }, ["cost.center"] = "CC-1" },
    ["odd.key"] = "exact",
  }

  describe("get", function()
    it("reads fields and dotted paths", function()
      assert.are.equal("Zoë", match.get(person, "first_name"))
      assert.are.equal("fixed", match.get(person, "raw.contract.kind"))
      assert.is_nil(match.get(person, "raw.missing.kind"))
      assert.is_nil(match.get(person, "first_name.x"))
      assert.is_nil(match.get(nil, "x"))
    end)

    it("prefers a key that exists as written", function()
      assert.are.equal("exact", match.get(person, "odd.key"))
    end)
  end)

  describe("text", function()
    it("gives the text form of values", function()
      assert.are.equal("Finance", match.text(" Finance "))
      assert.is_nil(match.text("  "))
      assert.is_nil(match.text(nil))
      assert.are.equal("1042", match.text(1042))
      assert.are.equal("1042", match.text(1042.0))
      assert.are.equal("1.5", match.text(1.5))
      assert.are.equal("true", match.text(true))
      assert.is_nil(match.text({}))
    end)
  end)

  describe("where", function()
    it("matches equal values, trimmed and case-insensitively", function()
      local pred, desc = match.where{ gender = "female", department = "finance" }
      assert.are.equal("department=finance and gender=female", desc)
      assert.are.same({ true, desc }, { pred(person) })
    end)

    it("can compare case-sensitively", function()
      local pred = match.where({ gender = "female" }, { case_sensitive = true })
      assert.is_false((pred(person)))
    end)

    it("matches any of a list", function()
      local pred, desc = match.where{ department = { "Legal", "Finance" } }
      assert.are.equal("department in {Legal, Finance}", desc)
      assert.is_true((pred(person)))
    end)

    it("explains a failed match", function()
      local pred = match.where{ gender = "male" }
      assert.are.same({ false, "gender 'Female' does not match gender=male" }, { pred(person) })
      local pred2 = match.where{ shoe_size = 42 }
      assert.are.same({ false, "shoe_size missing does not match shoe_size=42" }, { pred2(person) })
    end)

    it("matches numbers and booleans by their text", function()
      assert.is_true((match.where{ id = "1042" }(person)))
      assert.is_true((match.where{ id = 1042 }(person)))
      assert.is_true((match.where{ active = true }(person)))
    end)

    it("supports present, absent, named and plain predicates", function()
      assert.is_true((match.where{ first_name = match.present }(person)))
      assert.is_false((match.where{ empty = match.present }(person)))
      assert.is_true((match.where{ empty = match.absent, nothing = match.absent }(person)))
      local _, d = match.where{ first_name = match.present }
      assert.are.equal("first_name present", d)
      local fixed = match.named("is fixed-term", function(v) return v == "fixed" end)
      local pred, d2 = match.where{ ["raw.contract.kind"] = fixed }
      assert.are.equal("raw.contract.kind is fixed-term", d2)
      assert.is_true((pred(person)))
      local _, d3 = match.where{ id = function(v, p) return p.id == v end }
      assert.are.equal("id matches a function", d3)
    end)

    it("refuses malformed where tables", function()
      assert.has_error(function() match.where("gender=female") end)
      assert.has_error(function() match.where{} end)
      assert.has_error(function() match.where{ gender = "" } end)
      assert.has_error(function() match.where{ gender = {} } end)
      assert.has_error(function() match.where{ gender = { "f", {} } } end)
      assert.has_error(function() match.where{ [1] = "x" } end)
      assert.has_error(function() match.named(1, 2) end)
    end)
  end)
end)
