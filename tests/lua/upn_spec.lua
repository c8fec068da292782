-- Specs for hrsync.upn: candidate generation from templates, lengths, validity, mailNickname.

local upn = require("hrsync.upn")

local function person(first, last, fields)
  local p = { id = "E1042", first_name = first, last_name = last, status = "active" }
  for k, v in pairs(fields or {}) do p[k] = v end
  return p
end

local function first_of(hook, p) return hook(p)[1] end

describe("hrsync.upn", function()
  describe("candidates", function()
    local de = upn.candidates{ "{first}.{last}", domain = "example.com", fold = "de" }
    local plain = upn.candidates{ "{first}.{last}", domain = "example.com", fold = "plain" }

    it("folds umlauts by the German rule or the plain rule", function()
      local zoe = person("Zoë", "Müller-Lüdenscheidt")
      assert.are.same({ "zoe.mueller-luedenscheidt@example.com" }, de(zoe))
      assert.are.same({ "zoe.muller-ludenscheidt@example.com" }, plain(zoe))
    end)

    it("uses the plain rule by default", function()
      local h = upn.candidates{ "{first}.{last}", domain = "example.com" }
      assert.are.equal("jorg.strass@example.com", first_of(h, person("Jörg", "Straß")))
    end)

    it("removes apostrophes by default and keeps them when asked", function()
      local liam = person("Liam", "O'Brien")
      assert.are.equal("liam.obrien@example.com", first_of(de, liam))
      assert.are.equal("liam.obrien@example.com", first_of(de, person("Liam", "O’Brien")))
      local keep = upn.candidates{ "{first}.{last}", domain = "example.com", apostrophe = true }
      assert.are.equal("liam.o'brien@example.com", first_of(keep, liam))
      assert.are.equal("liam.o'brien@example.com", first_of(keep, person("Liam", "O’Brien")))
      assert.is_true(upn.is_valid(first_of(keep, liam)))
    end)

    it("removes spaces, keeps hyphens, and can put a separator for spaces", function()
      local p = person("Anna Maria", "van der Berg-Smit")
      assert.are.equal("annamaria.vanderberg-smit@example.com", first_of(de, p))
      local dotted = upn.candidates{ "{first}.{last}", domain = "example.com", space = "." }
      assert.are.equal("anna.maria.van.der.berg-smit@example.com", first_of(dotted, p))
      assert.are.equal("anna.maria.vanderberg@example.com",
        first_of(dotted, person("Anna  Maria", "vanderBerg")))
    end)

    it("drops characters a UPN cannot hold and collapses dots", function()
      assert.are.equal("jr.sammy.davis@example.com",
        first_of(de, person("Jr. (Sammy)", ".Davis, ")))
      assert.are.equal("mary.smith@example.com", first_of(de, person("Mary.", ".Smith")))
    end)

    it("folds letters from many languages", function()
      local cases = {
        { "Łukasz", "Żółć", "lukasz.zolc" },
        { "Antonín", "Dvořák", "antonin.dvorak" },
        { "Işıl", "Güneş", "isil.guenes" },
        { "Søren", "Ågård", "soren.agard" },
        { "François", "Lefèvre", "francois.lefevre" },
        { "Íñigo", "Núñez", "inigo.nunez" },
        { "Ádám", "Kőműves", "adam.komuves" },
        { "Ștefan", "Țurcanu", "stefan.turcanu" },
      }
      for _, c in ipairs(cases) do
        assert.are.equal(c[3] .. "@example.com", first_of(de, person(c[1], c[2])))
      end
      local nordic = upn.candidates{ "{first}.{last}", domain = "example.com", fold = "nordic" }
      assert.are.equal("soeren.aagaard@example.com", first_of(nordic, person("Søren", "Ågård")))
    end)

    it("lists {n} variants in order after the plain candidate", function()
      local h = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com",
        fold = "de" }
      local list = h(person("Zoë", "Müller"))
      assert.are.equal(9, #list)
      assert.are.equal("zoe.mueller@example.com", list[1])
      assert.are.equal("zoe.mueller2@example.com", list[2])
      assert.are.equal("zoe.mueller9@example.com", list[9])
    end)

    it("takes n_start and max_n", function()
      local h = upn.candidates{ "{first}.{last}{n}", domain = "example.com", n_start = 1, max_n = 3 }
      assert.are.same({ "ada.byron1@example.com", "ada.byron2@example.com", "ada.byron3@example.com" },
        h(person("Ada", "Byron")))
    end)

    it("follows the template order of the brief's example", function()
      local h = upn.candidates{
        templates = { "{first}.{last}", "{first}.{last}{n}", "{f}{last}", "{first}.{last}_{employee_id}" },
        domain = "example.com", fold = "de", max_n = 3,
      }
      assert.are.same({
        "zoe.mueller-luedenscheidt@example.com",
        "zoe.mueller-luedenscheidt2@example.com",
        "zoe.mueller-luedenscheidt3@example.com",
        "zmueller-luedenscheidt@example.com",
        "zoe.mueller-luedenscheidt_e1042@example.com",
      }, h(person("Zoë", "Müller-Lüdenscheidt")))
    end)

    it("removes duplicate candidates case-insensitively", function()
      local h = upn.candidates{ "{first}.{last}", "{first}.{last}", "{f}.{last}", domain = "example.com" }
      assert.are.same({ "al.smith@example.com", "a.smith@example.com" }, h(person("Al", "Smith")))
      local single = upn.candidates{ "{first}", "{first}{last}", domain = "example.com" }
      assert.are.same({ "x@example.com" }, single(person("X", "")))
    end)

    it("supports initials and the middle name", function()
      local h = upn.candidates{ "{f}{m}{last}", "{first}.{middle}.{last}", "{first}.{l}",
        domain = "example.com", fold = "de" }
      assert.are.same({ "jrtolkien@example.com", "john.ronald.tolkien@example.com",
        "john.t@example.com" }, h(person("John", "Tolkien", { middle_name = "Ronald" })))
      local initials = upn.candidates{ "{f}{last}", domain = "example.com", fold = "de" }
      assert.are.equal("omueller@example.com", first_of(initials, person("Özlem", "Müller")))
      assert.are.equal("aeoo@example.com",
        first_of(upn.candidates{ "{first:2}{l}{l}", domain = "example.com", fold = "de" },
          person("Ärne", "Öst")))
    end)

    it("skips a template whose placeholders are blank for the person", function()
      local h = upn.candidates{ "{first}.{middle}.{last}", "{first}.{last}", domain = "example.com" }
      assert.are.same({ "john.tolkien@example.com" }, h(person("John", "Tolkien")))
      assert.are.same({ "john.tolkien@example.com" },
        h(person("John", "Tolkien", { middle_name = "  " })))
    end)

    it("gives an empty list for people without usable names", function()
      local h = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com" }
      assert.are.same({}, h(person("", "")))
      assert.are.same({}, h(person(nil, nil)))
      assert.are.same({}, h(person("Zoë", nil)))
      assert.are.same({}, h(person("李", "小龍")))
      assert.are.same({}, h(person("'", "-")))
    end)

    it("falls back to other templates for names that fold to nothing", function()
      local h = upn.candidates{ "{first}.{last}", "u{employee_id}", domain = "example.com" }
      assert.are.same({ "ue1042@example.com" }, h(person("Дмитрий", "Иванов")))
    end)

    it("uses employee_id, or id when there is none", function()
      local h = upn.candidates{ "{last}_{employee_id}", domain = "example.com" }
      assert.are.equal("byron_e1042@example.com", first_of(h, person("Ada", "Byron")))
      assert.are.equal("byron_77@example.com",
        first_of(h, person("Ada", "Byron", { employee_id = 77 })))
    end)

    it("reads any field by name or path, and takes {name:N} prefixes", function()
      local h = upn.candidates{ "{first:3}{last:3}", "{raw.nickname}.{department}",
        domain = "example.com", fold = "de" }
      assert.are.same({ "zoemue@example.com", "zo.finance@example.com" },
        h(person("Zoë", "Müller", { department = "Finance", raw = { nickname = "Zo" } })))
    end)

    it("uses first_name by default and preferred_name when asked", function()
      local bob = person("Robert", "Smith", { preferred_name = "Bob" })
      local legal = upn.candidates{ "{first}.{last}", domain = "example.com" }
      local pref = upn.candidates{ "{f}{first}.{last}", domain = "example.com", first = "preferred" }
      assert.are.equal("robert.smith@example.com", first_of(legal, bob))
      assert.are.equal("bbob.smith@example.com", first_of(pref, bob))
      assert.are.equal("rrobert.smith@example.com", first_of(pref, person("Robert", "Smith")))
    end)

    it("keeps case when lower = false", function()
      local h = upn.candidates{ "{first}.{last}", domain = "Example.COM", lower = false, fold = "de" }
      assert.are.equal("Zoe.Mueller@example.com", first_of(h, person("Zoë", "Müller")))
    end)

    it("takes a domain function", function()
      local h = upn.candidates{ "{first}.{last}", domain = function(p)
        return p.company == "Sub" and "sub.example.com" or "example.com"
      end }
      assert.are.equal("ada.byron@sub.example.com", first_of(h, person("Ada", "Byron", { company = "Sub" })))
      assert.are.equal("ada.byron@example.com", first_of(h, person("Ada", "Byron")))
      local bad = upn.candidates{ "{first}", domain = function() return "no domain" end }
      assert.has_error(function() bad(person("Ada", "Byron")) end)
    end)

    describe("lengths", function()
      local long_first = "Maximilian-Alexander Friedrich Wilhelm"
      local long_last = "von Hohenzollern-Sigmaringen-Wittelsbach-Habsburg-Lothringen"

      it("keeps every local part within 64 characters and every UPN valid", function()
        local h = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", "{f}{last}",
          "{first}.{last}_{employee_id}", domain = "example.com", max_n = 12 }
        local list = h(person(long_first, long_last))
        assert.are.equal(1 + 11 + 1 + 1, #list)
        for _, u in ipairs(list) do
          local loc = upn.split(u)
          assert.is_true(#loc <= 64, u)
          assert.is_true(upn.is_valid(u), u)
        end
      end)

      it("cuts the longest name part first and keeps {n} variants distinct", function()
        local h = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com",
          max_n = 12 }
        local list = h(person(long_first, long_last))
        -- 36 + 1 + 60 characters: the surname is cut to 36, then both in turn (surname first
        -- on a tie) until the local part is 64.
        assert.are.equal("maximilian-alexanderfriedrichwil.vonhohenzollern-sigmaringen-wit",
          upn.split(list[1]))
        -- The counter is never cut: the names give way to it.
        assert.are.equal("maximilian-alexanderfriedrichwi.vonhohenzollern-sigmaringen-wit2",
          upn.split(list[2]))
        assert.are.equal("maximilian-alexanderfriedrichwi.vonhohenzollern-sigmaringen-wi10",
          upn.split(list[10]))
        assert.are.equal(12, #list)
        local seen = {}
        for _, u in ipairs(list) do
          assert.is_nil(seen[u], u)
          seen[u] = true
        end
      end)

      it("cuts first and last evenly once they are the same length", function()
        local h = upn.candidates{ "{first}.{last}", domain = "example.com" }
        local u = first_of(h, person(string.rep("a", 50), string.rep("b", 50)))
        assert.are.equal(string.rep("a", 32) .. "." .. string.rep("b", 31), upn.split(u))
      end)

      it("never cuts {employee_id} or literal text", function()
        local h = upn.candidates{ "{first}.{last}_{employee_id}", domain = "example.com" }
        local u = first_of(h, person(long_first, long_last, { employee_id = "EMP-000123456" }))
        assert.matches("_emp%-000123456@example%.com$", u)
        assert.is_true(#upn.split(u) <= 64)
      end)

      it("skips a candidate whose fixed parts alone are too long", function()
        local h = upn.candidates{ "{f}_{employee_id}", "{first}", domain = "example.com" }
        assert.are.same({ "ada@example.com" },
          h(person("Ada", "Byron", { employee_id = string.rep("9", 70) })))
      end)

      it("caps a single very long name at 64", function()
        local h = upn.candidates{ "{last}", "{last}{n}", domain = "example.com", max_n = 3 }
        local list = h(person("X", string.rep("w", 300)))
        assert.are.same({ string.rep("w", 64) .. "@example.com", string.rep("w", 63) .. "2@example.com",
          string.rep("w", 63) .. "3@example.com" }, list)
      end)

      it("refuses a domain longer than 48 characters", function()
        local long = string.rep("d", 40) .. ".example.com"
        assert.has_error(function() upn.candidates{ "{first}", domain = long } end,
          "hrsync.upn.candidates: domain is 52 characters, more than 48")
      end)

      it("stays within 113 characters with the longest domain", function()
        local dom = string.rep("d", 36) .. ".example.com"   -- 48
        local h = upn.candidates{ "{first}.{last}", domain = dom }
        local u = first_of(h, person(long_first, long_last))
        assert.is_true(#u <= 113)
        assert.are.equal(113, #u)
      end)
    end)

    describe("declaration errors", function()
      it("refuses templates a UPN cannot come from", function()
        local bad = {
          { "{first} {last}", "has ' '" },
          { "{first}@example.com", "has '@'" },
          { "{first", "unclosed" },
          { "first}", "'}' without '{'" },
          { "{}", "invalid placeholder" },
          { "{first-name}", "invalid placeholder" },
          { "{n}", "no name placeholder" },
          { "x.{n}", "no name placeholder" },
          { "{first}{n}{n}", "{n} twice" },
          { "{n:2}{first}", "{n} takes no length" },
          { "{first:0}", "takes no characters" },
          { "", "non-empty" },
        }
        for _, c in ipairs(bad) do
          local ok, err = pcall(upn.candidates, { c[1], domain = "example.com" })
          assert.is_false(ok, c[1])
          assert.matches(c[2], err, 1, true)
        end
      end)

      it("refuses bad options", function()
        assert.has_error(function() upn.candidates{ "{first}" } end)
        assert.has_error(function() upn.candidates{ domain = "example.com" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "example" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "exa_mple.com" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "-x.example.com" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "exämple.com" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "example.com", fold = "x" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "example.com", max_n = 1 } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "example.com", space = " " } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "example.com", first = "nick" } end)
        assert.has_error(function() upn.candidates{ "{first}", domain = "example.com", maxn = 3 } end,
          "hrsync.upn.candidates: unknown option 'maxn'")
        assert.has_error(function()
          upn.candidates{ "{first}", templates = { "{last}" }, domain = "example.com" }
        end)
        assert.has_error(function() upn.candidates("{first}.{last}") end)
      end)

      it("raises when the hook gets no person", function()
        assert.has_error(function() de(nil) end)
      end)
    end)

    it("has a descriptor", function()
      local h = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com",
        fold = "de" }
      assert.are.same({ kind = "upn.candidates", templates = { "{first}.{last}", "{first}.{last}{n}" },
        domain = "example.com", fold = "de", n_start = 2, max_n = 9 }, upn.describe(h))
      assert.is_nil(upn.describe(print))
    end)
  end)

  describe("is_valid", function()
    it("accepts valid UPNs", function()
      for _, u in ipairs{ "zoe.mueller@example.com", "liam.o'brien@example.com",
          "a!#^~_-.b@sub.example.org", "x@example.com", "first.last2@a-b.example.com" } do
        assert.are.same({ true }, { upn.is_valid(u) }, u)
      end
      assert.is_true(upn.is_valid(string.rep("a", 64) .. "@" .. string.rep("d", 36) .. ".example.com"))
    end)

    it("refuses invalid UPNs with a reason", function()
      local cases = {
        { "zoe.mueller", "exactly one '@'" },
        { "a@b@example.com", "exactly one '@'" },
        { "@example.com", "empty local part" },
        { "zoe.@example.com", "ends with '.'" },
        { ".zoe@example.com", "starts with '.'" },
        { "zoe..m@example.com", "has '..'" },
        { "zoë@example.com", "non-ASCII" },
        { "zoe m@example.com", "has ' '" },
        { "zoe(m)@example.com", "has '('" },
        { string.rep("a", 65) .. "@example.com", "65 characters, more than 64" },
        { "a@" .. string.rep("d", 41) .. ".example.com", "more than 48" },
        { "a@example", "at least two labels" },
        { "a@example..com", "invalid label ''" },
        { "a@-example.com", "invalid label '-example'" },
        { "a@", "domain is empty" },
      }
      for _, c in ipairs(cases) do
        local ok, why = upn.is_valid(c[1])
        assert.is_false(ok, c[1])
        assert.matches(c[2], why, 1, true)
      end
      local ok, why = upn.is_valid(nil)
      assert.is_false(ok)
      assert.are.equal("UPN must be a string, got nil", why)
    end)
  end)

  describe("split and mail_nickname", function()
    it("splits at the last '@'", function()
      assert.are.same({ "zoe", "example.com" }, { upn.split("zoe@example.com") })
      assert.is_nil(upn.split("zoe"))
    end)

    it("gives the sanitised local part", function()
      assert.are.equal("zoe.mueller", upn.mail_nickname("zoe.mueller@example.com"))
      assert.are.equal("liam.o'brien", upn.mail_nickname("liam.o'brien@example.com"))
      assert.are.equal("annamaria", upn.mail_nickname("anna maria"))
      assert.are.equal(64, #upn.mail_nickname(string.rep("a", 80) .. "@example.com"))
    end)

    it("returns nil and a reason when nothing is left", function()
      local nick, why = upn.mail_nickname("((()))@example.com")
      assert.is_nil(nick)
      assert.are.equal("no mailNickname can be made from '((()))@example.com'", why)
      assert.has_error(function() upn.mail_nickname(nil) end)
    end)
  end)
end)
