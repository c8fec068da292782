-- Specs for hrsync.text: folding, case, white space, lengths, UPN / mailNickname sanitising.

local text = require("hrsync.text")

describe("hrsync.text", function()
  describe("fold", function()
    it("folds German names with the German rule and the plain rule", function()
      assert.are.equal("Zoe Mueller-Luedenscheidt", text.fold("Zoë Müller-Lüdenscheidt", "de"))
      assert.are.equal("Zoe Muller-Ludenscheidt", text.fold("Zoë Müller-Lüdenscheidt", "plain"))
    end)

    it("uses the plain rule by default", function()
      assert.are.equal("Jorg", text.fold("Jörg"))
    end)

    it("spells German capitals by their context", function()
      assert.are.equal("Aepfel", text.fold("Äpfel", "de"))
      assert.are.equal("AERGER", text.fold("ÄRGER", "de"))
      assert.are.equal("MUELLER-LUEDENSCHEIDT", text.fold("MÜLLER-LÜDENSCHEIDT", "de"))
      assert.are.equal("OEZTUERK", text.fold("ÖZTÜRK", "de"))
      assert.are.equal("Oeztuerk", text.fold("Öztürk", "de"))
    end)

    it("folds sharp s in every rule, in capitals too", function()
      assert.are.equal("Strasse", text.fold("Straße", "plain"))
      assert.are.equal("Strasse", text.fold("Straße", "de"))
      assert.are.equal("STRASSE", text.fold("STRAẞE", "de"))
      assert.are.equal("STRASSE", text.fold("STRAßE", "de"))
    end)

    it("covers Scandinavian letters", function()
      assert.are.equal("Bjorn Angstrom Aero", text.fold("Bjørn Ångström Ærø", "plain"))
      assert.are.equal("Bjoern Aangstroem Aeroe", text.fold("Bjørn Ångström Ærø", "nordic"))
      assert.are.equal("Soren Kierkegaard", text.fold("Søren Kierkegaard", "de"))
    end)

    it("covers French and Spanish letters", function()
      assert.are.equal("Francois Noel Helene Cecile Eve",
        text.fold("François Noël Hélène Cécile Ève"))
      assert.are.equal("Oeuvre Ile Garcon", text.fold("Œuvre Île Garçon"))
      assert.are.equal("Nunez Maria Jose Angel Lopez", text.fold("Núñez María José Ángel López"))
      assert.are.equal("Joao Sao Ines", text.fold("João São Inês"))
    end)

    it("covers Polish letters", function()
      assert.are.equal("Lukasz Zolc Swietoslaw Zrebiec Gesla",
        text.fold("Łukasz Żółć Świętosław Źrebiec Gęśla"))
    end)

    it("covers Czech and Slovak letters", function()
      assert.are.equal("Dvorak Capek Sterba Zizka Uhlir Tynka Dedic Kren Lubos",
        text.fold("Dvořák Čapek Štěrba Žižka Uhlíř Týnka Dědič Křeň Ľuboš"))
    end)

    it("covers Turkish letters", function()
      assert.are.equal("Isik Istanbul Gunes Sukru Oguz Cagla",
        text.fold("Işık İstanbul Güneş Şükrü Oğuz Çağla"))
      assert.are.equal("Isik Gunes", text.fold("Işık Güneş", "plain"))
      assert.are.equal("Isik Guenes", text.fold("Işık Güneş", "de"))
    end)

    it("covers Hungarian, Romanian, Icelandic and Croatian letters", function()
      assert.are.equal("Orsi Urge Tothne", text.fold("Őrsi Ürge Tóthné"))
      assert.are.equal("Stefanescu Tiriac", text.fold("Ștefănescu Țiriac"))
      assert.are.equal("Thorunn Gudrun", text.fold("Þórunn Guðrún"))
      assert.are.equal("Dordevic", text.fold("Đorđević"))
    end)

    it("folds decomposed (NFD) input like precomposed input", function()
      assert.are.equal("Mueller", text.fold("Mu\u{308}ller", "de"))
      assert.are.equal("Muller", text.fold("Mu\u{308}ller", "plain"))
      assert.are.equal("Jose", text.fold("Jose\u{301}", "de"))
      assert.are.equal("Aase", text.fold("A\u{30A}se", "nordic"))
    end)

    it("normalises typographic apostrophes, dashes and spaces", function()
      assert.are.equal("O'Brien", text.fold("O\u{2019}Brien"))
      assert.are.equal("O'Brien", text.fold("O\u{02BC}Brien"))
      assert.are.equal("Smith-Jones", text.fold("Smith\u{2013}Jones"))
      assert.are.equal("Ann Marie", text.fold("Ann\u{00A0}Marie"))
      assert.are.equal("AnnMarie", text.fold("Ann\u{200B}Marie\u{00AD}"))
    end)

    it("keeps characters it has no mapping for", function()
      assert.are.equal("Дмитрий", text.fold("Дмитрий"))
      assert.are.equal("李 Lee", text.fold("李 Lee"))
    end)

    it("reads malformed UTF-8 as U+FFFD instead of raising", function()
      assert.are.equal("a\u{FFFD}b", text.fold("a\xFFb"))
      assert.are.equal("a\u{FFFD}", text.fold("a\xC3"))
      assert.are.equal("\u{FFFD}\u{FFFD}", text.fold("\xED\xA0"))   -- truncated surrogate
    end)

    it("accepts a custom rule table over a base rule", function()
      local rule = { base = "de", ["é"] = "ee" }
      assert.are.equal("Reneee Mueller", text.fold("Renée Müller", rule))
      assert.are.equal("Renee Muller", text.fold("Renée Müller", { ["é"] = "e" }))
    end)

    it("returns ASCII input unchanged, nil as an empty string, numbers as text", function()
      assert.are.equal("plain ascii 123", text.fold("plain ascii 123", "de"))
      assert.are.equal("", text.fold(nil))
      assert.are.equal("1042", text.fold(1042))
    end)

    it("refuses unknown rules and bad arguments", function()
      assert.has_error(function() text.fold("x", "klingon") end,
        "hrsync.text.fold: unknown fold rule 'klingon' (use 'plain', 'de', 'nordic' or a table)")
      assert.has_error(function() text.fold({}) end)
      assert.has_error(function() text.fold("x", { base = "nope" }) end)
      assert.has_error(function() text.fold("x", { ["ab"] = "c" }) end)
    end)

    it("lists the built-in rules", function()
      assert.are.same({ "de", "nordic", "plain" }, text.rules())
    end)
  end)

  describe("lower and upper", function()
    it("lowercases ASCII and accented capitals", function()
      assert.are.equal("zoë müller-lüdenscheidt", text.lower("ZOË MÜLLER-LÜDENSCHEIDT"))
      assert.are.equal("łódź żółć", text.lower("ŁÓDŹ ŻÓŁĆ"))
      assert.are.equal("dvořák", text.lower("DVOŘÁK"))
    end)

    it("maps Turkish dotted and dotless I simply", function()
      assert.are.equal("istanbul", text.lower("İSTANBUL"))
      assert.are.equal("işik", text.lower("IŞIK"))   -- I → i: no Turkish locale rules
      assert.are.equal("ISIK", text.upper("ısık"))
    end)

    it("lowercases Greek and Cyrillic", function()
      assert.are.equal("дмитрий", text.lower("ДМИТРИЙ"))
      assert.are.equal("αθηνα", text.lower("ΑΘΗΝΑ"))
    end)

    it("uppercases and leaves ß alone", function()
      assert.are.equal("STRAßE ÄRGER", text.upper("straße ärger"))
    end)

    it("leaves other characters as they are", function()
      assert.are.equal("123 -_ 李", text.lower("123 -_ 李"))
      assert.are.equal("", text.lower(nil))
    end)
  end)

  describe("white space", function()
    it("squishes white space, Unicode spaces included", function()
      assert.are.equal("Ann Marie Smith", text.squish("  Ann \u{00A0}\t Marie\n Smith  "))
      assert.are.equal("AnnMarie", text.squish("Ann\u{200B}Marie"))
      assert.are.equal("", text.squish("   "))
      assert.are.equal("", text.squish(nil))
    end)

    it("removes control characters while squishing", function()
      assert.are.equal("a b", text.squish("a\0\1 \27b\127\u{9B}"))
      assert.are.equal("a b", text.squish("a\r\n\tb"))
    end)

    it("trims both ends only", function()
      assert.are.equal("a  b", text.trim("  a  b \t"))
      assert.are.equal("x", text.trim("\u{00A0} x \u{3000}"))
      assert.are.equal("", text.trim("\u{00A0}"))
    end)

    it("tells blank values", function()
      assert.is_true(text.is_blank(nil))
      assert.is_true(text.is_blank(""))
      assert.is_true(text.is_blank(" \t\u{00A0}"))
      assert.is_false(text.is_blank(" a "))
    end)
  end)

  describe("length and truncate", function()
    it("counts UTF-16 code units as Graph does", function()
      assert.are.equal(5, text.length("hello"))
      assert.are.equal(6, text.length("Müller"))
      assert.are.equal(3, text.length("a😀"))
      assert.are.equal(0, text.length(""))
    end)

    it("truncates without splitting a character", function()
      assert.are.equal("Mül", text.truncate("Müller", 3))
      assert.are.equal("a", text.truncate("a😀b", 2))
      assert.are.equal("a😀", text.truncate("a😀b", 3))
      assert.are.equal("short", text.truncate("short", 64))
      assert.are.equal("", text.truncate("abc", 0))
    end)

    it("refuses a bad maximum", function()
      assert.has_error(function() text.truncate("abc", -1) end)
      assert.has_error(function() text.truncate("abc", "3") end)
    end)

    it("tells ASCII strings", function()
      assert.is_true(text.is_ascii("abc-1"))
      assert.is_false(text.is_ascii("Zoë"))
    end)
  end)

  describe("sanitize_upn_local", function()
    it("keeps the UPN character set and drops the rest", function()
      assert.are.equal("a.b'c-d_e!f#g^h~i", text.sanitize_upn_local("a.b'c-d_e!f#g^h~i"))
      assert.are.equal("abcdef", text.sanitize_upn_local("a(b)c@d,e;f"))
      assert.are.equal("Zoe", text.sanitize_upn_local("Zoë"))
    end)

    it("folds with the rule given", function()
      assert.are.equal("zoe.mueller", text.sanitize_upn_local("Zoë.Müller", { fold = "de",
        lower = true }))
    end)

    it("removes spaces or puts a separator in their place", function()
      assert.are.equal("AnnMarie", text.sanitize_upn_local("Ann Marie"))
      assert.are.equal("Ann.Marie", text.sanitize_upn_local("Ann  Marie", { space = "." }))
      assert.are.equal("AnnMarie", text.sanitize_upn_local("Ann Marie", { space = "%" }))
    end)

    it("collapses repeated dots and strips dots at both ends", function()
      assert.are.equal("a.b", text.sanitize_upn_local("..a...b.."))
      assert.are.equal("a.b", text.sanitize_upn_local(". a . . b ."))
      assert.are.equal("", text.sanitize_upn_local("..."))
    end)

    it("keeps or drops apostrophes", function()
      assert.are.equal("O'Brien", text.sanitize_upn_local("O’Brien"))
      assert.are.equal("OBrien", text.sanitize_upn_local("O'Brien", { apostrophe = false }))
    end)

    it("truncates to 64 and leaves no dot at the end after cutting", function()
      local long = string.rep("a", 63) .. ".bbbb"
      assert.are.equal(string.rep("a", 63), text.sanitize_upn_local(long))
      assert.are.equal(64, #text.sanitize_upn_local(string.rep("x", 200)))
      assert.are.equal("abc", text.sanitize_upn_local("abcdef", { max = 3 }))
    end)

    it("returns an empty string when nothing is left", function()
      assert.are.equal("", text.sanitize_upn_local("李"))
      assert.are.equal("", text.sanitize_upn_local(nil))
    end)

    it("checks the character set alone", function()
      assert.is_true(text.is_upn_local_charset("o'brien.jr-1"))
      assert.is_false(text.is_upn_local_charset("o brien"))
      assert.is_false(text.is_upn_local_charset("zoë"))
    end)
  end)

  describe("sanitize_mail_nickname", function()
    it("keeps only the UPN character set by default", function()
      assert.are.equal("abcd", text.sanitize_mail_nickname("a(b)@c;d"))
      assert.are.equal("ab", text.sanitize_mail_nickname("a{b}"))
    end)

    it("follows the group rule when not strict", function()
      assert.are.equal("a{b}$%&*+=?/|`", text.sanitize_mail_nickname("a{b}$%&*+=?/|`",
        { strict = false }))
      assert.are.equal("abcdefghijk", text.sanitize_mail_nickname(
        "a@b(c)d\\e[f]g\"h;i:j<k> ,", { strict = false }))
    end)

    it("never starts with a dot and drops white space", function()
      assert.are.equal("hiddenname", text.sanitize_mail_nickname(".hidden name.x",
        { max = 11 }))
      assert.are.equal("zoe.mueller", text.sanitize_mail_nickname("..Zoë .Müller", { fold = "de",
        lower = true }))
    end)

    it("is ASCII and at most 64 characters", function()
      local nick = text.sanitize_mail_nickname(string.rep("ü", 100), { fold = "de" })
      assert.are.equal(64, #nick)
      assert.is_true(text.is_ascii(nick))
    end)
  end)

  describe("codepoints", function()
    it("decodes UTF-8 and replaces malformed bytes", function()
      assert.are.same({ 0x5A, 0x6F, 0xEB }, text.codepoints("Zoë"))
      assert.are.same({ 0x61, 0xFFFD, 0x62 }, text.codepoints("a\x80b"))
      assert.are.same({ 0xFFFD, 0xFFFD }, text.codepoints("\xC0\xAF"))   -- overlong '/'
      assert.are.same({ 0x1F600 }, text.codepoints("😀"))
    end)
  end)
end)
