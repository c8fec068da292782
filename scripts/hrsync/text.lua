-- hrsync.text: UTF-8 aware text helpers for policies.
--
-- Folding of diacritics to ASCII (with a choice of rules), lowercasing, whitespace cleanup,
-- length counting and truncation as Microsoft Graph counts characters (UTF-16 code units),
-- and sanitising for the two Entra name properties with strict character sets:
-- the userPrincipalName local part and mailNickname (shared/reference/graph.md §1).
--
-- Every function takes a string (integers and other numbers are converted to text; nil is
-- treated as "") and never raises on malformed UTF-8: a byte that does not start a valid
-- sequence is read as U+FFFD, which folding keeps and sanitising drops.
--
-- Pure Lua 5.4 for the policy sandbox: uses only string, table, math and utf8.

local M = {}

local type, tostring, error, pairs, ipairs = type, tostring, error, pairs, ipairs
local setmetatable = setmetatable
local tointeger = math.tointeger
local sbyte, schar, sfind, sgsub, slower, ssub, supper =
  string.byte, string.char, string.find, string.gsub, string.lower, string.sub, string.upper
local concat = table.concat
local uchar, ucodepoint, ulen = utf8.char, utf8.codepoint, utf8.len

-- Character classes are spelled out: %w and %s follow the C locale of the host process.
local SPACES = "[ \t\n\v\f\r]+"

-- Maximum lengths (graph.md §1).
M.UPN_LOCAL_MAX = 64
M.UPN_DOMAIN_MAX = 48
M.UPN_MAX = 113
M.MAIL_NICKNAME_MAX = 64

local REPLACEMENT = 0xFFFD

---------------------------------------------------------------------------------------------
-- Decoding and encoding
---------------------------------------------------------------------------------------------

local function arg_string(s, fname)
  local t = type(s)
  if t == "string" then return s end
  if s == nil then return "" end
  if t == "number" then
    local i = tointeger(s)
    return i and tostring(i) or tostring(s)
  end
  error("hrsync.text." .. fname .. ": string expected, got " .. t, 3)
end

-- Decodes s into an array of code points. Invalid or overlong sequences, surrogates and
-- values past U+10FFFF become U+FFFD, one per offending byte.
local function decode(s)
  local out, n = {}, 0
  local i, len = 1, #s
  while i <= len do
    local b = sbyte(s, i)
    local cp, need, min
    if b < 0x80 then
      cp, need = b, 0
    elseif b >= 0xC2 and b <= 0xDF then
      cp, need, min = b & 0x1F, 1, 0x80
    elseif b >= 0xE0 and b <= 0xEF then
      cp, need, min = b & 0x0F, 2, 0x800
    elseif b >= 0xF0 and b <= 0xF4 then
      cp, need, min = b & 0x07, 3, 0x10000
    end
    if need == 0 then
      n = n + 1; out[n] = cp; i = i + 1
    elseif cp == nil or i + need > len then
      n = n + 1; out[n] = REPLACEMENT; i = i + 1
    else
      local ok = true
      for k = 1, need do
        local c = sbyte(s, i + k)
        if c < 0x80 or c > 0xBF then ok = false; break end
        cp = (cp << 6) | (c & 0x3F)
      end
      if ok and need > 0 and (cp < min or cp > 0x10FFFF or (cp >= 0xD800 and cp <= 0xDFFF)) then
        ok = false
      end
      n = n + 1
      if ok then
        out[n] = cp; i = i + need + 1
      else
        out[n] = REPLACEMENT; i = i + 1
      end
    end
  end
  return out, n
end

local function encode(cps, n)
  local parts = {}
  for k = 1, (n or #cps) do
    local cp = cps[k]
    parts[k] = cp < 0x80 and schar(cp) or uchar(cp)
  end
  return concat(parts)
end

--- Returns the code points of s as an array (malformed bytes read as U+FFFD).
function M.codepoints(s)
  return (decode(arg_string(s, "codepoints")))
end

---------------------------------------------------------------------------------------------
-- Case tables: simple one-to-one mappings for Latin, Greek and Cyrillic letters
---------------------------------------------------------------------------------------------

local TO_LOWER, TO_UPPER = {}, {}

local function pair(up, low)
  TO_LOWER[up] = low
  TO_UPPER[low] = up
end

for cp = 0xC0, 0xDE do                       -- Latin-1: À..Þ  ↔ à..þ (not × / ÷)
  if cp ~= 0xD7 then pair(cp, cp + 0x20) end
end
pair(0x178, 0xFF)                             -- Ÿ ÿ
for cp = 0x100, 0x137, 2 do pair(cp, cp + 1) end   -- Ā..ķ
for cp = 0x139, 0x148, 2 do pair(cp, cp + 1) end   -- Ĺ..ň
for cp = 0x14A, 0x177, 2 do pair(cp, cp + 1) end   -- Ŋ..ŷ
for cp = 0x179, 0x17E, 2 do pair(cp, cp + 1) end   -- Ź..ž
TO_LOWER[0x130] = 0x69                        -- İ → i (Turkish dotted capital I)
TO_UPPER[0x131] = 0x49                        -- ı → I (Turkish dotless small i)
TO_UPPER[0x69] = nil
pair(0x1A0, 0x1A1)                            -- Ơ ơ
pair(0x1AF, 0x1B0)                            -- Ư ư
for cp = 0x1CD, 0x1DC, 2 do pair(cp, cp + 1) end   -- Ǎ..ǜ (pinyin tones)
pair(0x218, 0x219)                            -- Ș ș (Romanian)
pair(0x21A, 0x21B)                            -- Ț ț
pair(0x18F, 0x259)                            -- Ə ə (Azerbaijani)
TO_LOWER[0x1E9E] = 0xDF                       -- ẞ → ß (capital sharp s)
for cp = 0x391, 0x3A9 do                      -- Greek Α..Ω (no final-sigma slot)
  if cp ~= 0x3A2 then pair(cp, cp + 0x20) end
end
for cp = 0x410, 0x42F do pair(cp, cp + 0x20) end   -- Cyrillic А..Я
for cp = 0x400, 0x40F do pair(cp, cp + 0x50) end   -- Cyrillic Ѐ..Џ

local function is_upper_letter(cp)
  if cp == nil then return false end
  if cp >= 0x41 and cp <= 0x5A then return true end
  return TO_LOWER[cp] ~= nil
end

local function is_letter(cp)
  if cp == nil then return false end
  if (cp >= 0x41 and cp <= 0x5A) or (cp >= 0x61 and cp <= 0x7A) then return true end
  return TO_LOWER[cp] ~= nil or TO_UPPER[cp] ~= nil or cp == 0xDF
end

--- Lowercases s: ASCII plus the Latin, Greek and Cyrillic letters of the case tables.
-- Other characters are unchanged. ("ÄRGER" → "ärger", "İstanbul" → "istanbul").
function M.lower(s)
  s = arg_string(s, "lower")
  if not sfind(s, "[\128-\255]") then return slower(s) end
  local cps, n = decode(s)
  for k = 1, n do
    local cp = cps[k]
    if cp >= 0x41 and cp <= 0x5A then
      cps[k] = cp + 0x20
    else
      cps[k] = TO_LOWER[cp] or cp
    end
  end
  return encode(cps, n)
end

--- Uppercases s (inverse of lower for the same letters; ß stays ß).
function M.upper(s)
  s = arg_string(s, "upper")
  if not sfind(s, "[\128-\255]") then return supper(s) end
  local cps, n = decode(s)
  for k = 1, n do
    local cp = cps[k]
    if cp >= 0x61 and cp <= 0x7A then
      cps[k] = cp - 0x20
    else
      cps[k] = TO_UPPER[cp] or cp
    end
  end
  return encode(cps, n)
end

---------------------------------------------------------------------------------------------
-- Folding
---------------------------------------------------------------------------------------------

-- The "plain" rule: each letter to its base letter(s), dropping the mark.
-- Letters with no single base letter expand (æ → ae, œ → oe, ß → ss, þ → th, ĳ → ij).
local PLAIN_CHARS = {
  -- Latin-1 Supplement
  ["À"] = "A", ["Á"] = "A", ["Â"] = "A", ["Ã"] = "A", ["Ä"] = "A", ["Å"] = "A", ["Æ"] = "Ae",
  ["Ç"] = "C", ["È"] = "E", ["É"] = "E", ["Ê"] = "E", ["Ë"] = "E", ["Ì"] = "I", ["Í"] = "I",
  ["Î"] = "I", ["Ï"] = "I", ["Ð"] = "D", ["Ñ"] = "N", ["Ò"] = "O", ["Ó"] = "O", ["Ô"] = "O",
  ["Õ"] = "O", ["Ö"] = "O", ["Ø"] = "O", ["Ù"] = "U", ["Ú"] = "U", ["Û"] = "U", ["Ü"] = "U",
  ["Ý"] = "Y", ["Þ"] = "Th", ["ß"] = "ss",
  ["à"] = "a", ["á"] = "a", ["â"] = "a", ["ã"] = "a", ["ä"] = "a", ["å"] = "a", ["æ"] = "ae",
  ["ç"] = "c", ["è"] = "e", ["é"] = "e", ["ê"] = "e", ["ë"] = "e", ["ì"] = "i", ["í"] = "i",
  ["î"] = "i", ["ï"] = "i", ["ð"] = "d", ["ñ"] = "n", ["ò"] = "o", ["ó"] = "o", ["ô"] = "o",
  ["õ"] = "o", ["ö"] = "o", ["ø"] = "o", ["ù"] = "u", ["ú"] = "u", ["û"] = "u", ["ü"] = "u",
  ["ý"] = "y", ["þ"] = "th", ["ÿ"] = "y",
  -- Latin Extended-A (Polish, Czech, Slovak, Hungarian, Turkish, Baltic, Croatian, Maltese…)
  ["Ā"] = "A", ["ā"] = "a", ["Ă"] = "A", ["ă"] = "a", ["Ą"] = "A", ["ą"] = "a",
  ["Ć"] = "C", ["ć"] = "c", ["Ĉ"] = "C", ["ĉ"] = "c", ["Ċ"] = "C", ["ċ"] = "c",
  ["Č"] = "C", ["č"] = "c", ["Ď"] = "D", ["ď"] = "d", ["Đ"] = "D", ["đ"] = "d",
  ["Ē"] = "E", ["ē"] = "e", ["Ĕ"] = "E", ["ĕ"] = "e", ["Ė"] = "E", ["ė"] = "e",
  ["Ę"] = "E", ["ę"] = "e", ["Ě"] = "E", ["ě"] = "e", ["Ĝ"] = "G", ["ĝ"] = "g",
  ["Ğ"] = "G", ["ğ"] = "g", ["Ġ"] = "G", ["ġ"] = "g", ["Ģ"] = "G", ["ģ"] = "g",
  ["Ĥ"] = "H", ["ĥ"] = "h", ["Ħ"] = "H", ["ħ"] = "h", ["Ĩ"] = "I", ["ĩ"] = "i",
  ["Ī"] = "I", ["ī"] = "i", ["Ĭ"] = "I", ["ĭ"] = "i", ["Į"] = "I", ["į"] = "i",
  ["İ"] = "I", ["ı"] = "i", ["Ĳ"] = "Ij", ["ĳ"] = "ij", ["Ĵ"] = "J", ["ĵ"] = "j",
  ["Ķ"] = "K", ["ķ"] = "k", ["ĸ"] = "k", ["Ĺ"] = "L", ["ĺ"] = "l", ["Ļ"] = "L",
  ["ļ"] = "l", ["Ľ"] = "L", ["ľ"] = "l", ["Ŀ"] = "L", ["ŀ"] = "l", ["Ł"] = "L",
  ["ł"] = "l", ["Ń"] = "N", ["ń"] = "n", ["Ņ"] = "N", ["ņ"] = "n", ["Ň"] = "N",
  ["ň"] = "n", ["ŉ"] = "n", ["Ŋ"] = "N", ["ŋ"] = "n", ["Ō"] = "O", ["ō"] = "o",
  ["Ŏ"] = "O", ["ŏ"] = "o", ["Ő"] = "O", ["ő"] = "o", ["Œ"] = "Oe", ["œ"] = "oe",
  ["Ŕ"] = "R", ["ŕ"] = "r", ["Ŗ"] = "R", ["ŗ"] = "r", ["Ř"] = "R", ["ř"] = "r",
  ["Ś"] = "S", ["ś"] = "s", ["Ŝ"] = "S", ["ŝ"] = "s", ["Ş"] = "S", ["ş"] = "s",
  ["Š"] = "S", ["š"] = "s", ["Ţ"] = "T", ["ţ"] = "t", ["Ť"] = "T", ["ť"] = "t",
  ["Ŧ"] = "T", ["ŧ"] = "t", ["Ũ"] = "U", ["ũ"] = "u", ["Ū"] = "U", ["ū"] = "u",
  ["Ŭ"] = "U", ["ŭ"] = "u", ["Ů"] = "U", ["ů"] = "u", ["Ű"] = "U", ["ű"] = "u",
  ["Ų"] = "U", ["ų"] = "u", ["Ŵ"] = "W", ["ŵ"] = "w", ["Ŷ"] = "Y", ["ŷ"] = "y",
  ["Ÿ"] = "Y", ["Ź"] = "Z", ["ź"] = "z", ["Ż"] = "Z", ["ż"] = "z", ["Ž"] = "Z",
  ["ž"] = "z", ["ſ"] = "s",
  -- Latin Extended-B / Additional (Romanian comma-below, Vietnamese horn, pinyin, Azeri)
  ["Ș"] = "S", ["ș"] = "s", ["Ț"] = "T", ["ț"] = "t", ["Ơ"] = "O", ["ơ"] = "o",
  ["Ư"] = "U", ["ư"] = "u", ["Ǎ"] = "A", ["ǎ"] = "a", ["Ǐ"] = "I", ["ǐ"] = "i",
  ["Ǒ"] = "O", ["ǒ"] = "o", ["Ǔ"] = "U", ["ǔ"] = "u", ["Ǖ"] = "U", ["ǖ"] = "u",
  ["Ǘ"] = "U", ["ǘ"] = "u", ["Ǚ"] = "U", ["ǚ"] = "u", ["Ǜ"] = "U", ["ǜ"] = "u",
  ["Ə"] = "E", ["ə"] = "e", ["ẞ"] = "Ss",
}

-- Punctuation and spacing that folding normalises under every rule.
local PUNCT_CHARS = {
  ["\u{2019}"] = "'", ["\u{2018}"] = "'", ["\u{02BC}"] = "'", ["\u{00B4}"] = "'",
  ["\u{2032}"] = "'", ["\u{02B9}"] = "'", ["\u{201B}"] = "'",
  ["\u{2010}"] = "-", ["\u{2011}"] = "-", ["\u{2012}"] = "-", ["\u{2013}"] = "-",
  ["\u{2014}"] = "-", ["\u{2212}"] = "-",
  ["\u{00A0}"] = " ", ["\u{2002}"] = " ", ["\u{2003}"] = " ", ["\u{2007}"] = " ",
  ["\u{2009}"] = " ", ["\u{200A}"] = " ", ["\u{202F}"] = " ", ["\u{3000}"] = " ",
  ["\u{00AD}"] = "", ["\u{200B}"] = "", ["\u{200C}"] = "", ["\u{200D}"] = "",
  ["\u{2060}"] = "", ["\u{FEFF}"] = "",
}

-- German: umlauts as their two-letter spellings (ä → ae), ß → ss.
local DE_CHARS = {
  ["Ä"] = "Ae", ["Ö"] = "Oe", ["Ü"] = "Ue", ["ä"] = "ae", ["ö"] = "oe", ["ü"] = "ue",
  ["ß"] = "ss", ["ẞ"] = "Ss",
}

-- Nordic: German plus å → aa, ø → oe (the Danish/Norwegian spellings; æ → ae as in plain).
local NORDIC_CHARS = {
  ["Ä"] = "Ae", ["Ö"] = "Oe", ["Ü"] = "Ue", ["ä"] = "ae", ["ö"] = "oe", ["ü"] = "ue",
  ["Å"] = "Aa", ["å"] = "aa", ["Ø"] = "Oe", ["ø"] = "oe",
}

-- A precomposed letter for base + combining mark, where folding it differs from dropping
-- the mark (decomposed input such as "u\u{308}" from macOS exports).
local COMPOSE = {
  [0x308] = { [0x61] = 0xE4, [0x6F] = 0xF6, [0x75] = 0xFC, [0x41] = 0xC4, [0x4F] = 0xD6,
              [0x55] = 0xDC },
  [0x30A] = { [0x61] = 0xE5, [0x41] = 0xC5 },
}

local function is_combining(cp)
  return (cp >= 0x300 and cp <= 0x36F) or (cp >= 0x1AB0 and cp <= 0x1AFF)
    or (cp >= 0x1DC0 and cp <= 0x1DFF) or (cp >= 0x20D0 and cp <= 0x20FF)
    or (cp >= 0xFE20 and cp <= 0xFE2F)
end

local function by_codepoint(chars, into)
  into = into or {}
  for k, v in pairs(chars) do into[ucodepoint(k)] = v end
  return into
end

local function build_rule(...)
  local map = {}
  for _, chars in ipairs({ ... }) do by_codepoint(chars, map) end
  return map
end

local RULES = {
  plain = build_rule(PLAIN_CHARS, PUNCT_CHARS),
  de = build_rule(PLAIN_CHARS, PUNCT_CHARS, DE_CHARS),
  nordic = build_rule(PLAIN_CHARS, PUNCT_CHARS, NORDIC_CHARS),
}

-- Custom rule tables are compiled once and cached (weak keys: they go with their owner).
local compiled = setmetatable({}, { __mode = "k" })

local function rule_map(rule, fname)
  if rule == nil then return RULES.plain end
  if type(rule) == "string" then
    local map = RULES[rule]
    if not map then
      error("hrsync.text." .. fname .. ": unknown fold rule '" .. rule
        .. "' (use 'plain', 'de', 'nordic' or a table)", 3)
    end
    return map
  end
  if type(rule) ~= "table" then
    error("hrsync.text." .. fname .. ": fold rule must be a name or a table, got " .. type(rule), 3)
  end
  local map = compiled[rule]
  if map then return map end
  local base = rule.base or "plain"
  local base_map = RULES[base]
  if not base_map then
    error("hrsync.text." .. fname .. ": unknown base rule '" .. tostring(base) .. "'", 3)
  end
  map = {}
  for k, v in pairs(base_map) do map[k] = v end
  for k, v in pairs(rule) do
    if k ~= "base" then
      if type(k) ~= "string" or type(v) ~= "string" or ulen(k) ~= 1 then
        error("hrsync.text." .. fname .. ": custom rule entries map one character to a string", 3)
      end
      map[ucodepoint(k)] = v
    end
  end
  compiled[rule] = map
  return map
end

--- Folds diacritics and typographic punctuation of s to ASCII.
-- rule: 'plain' (default; ä → a, ø → o, ß → ss), 'de' (ä → ae, ö → oe, ü → ue, ß → ss; other
-- letters as plain), 'nordic' (as 'de' plus å → aa, ø → oe), or a table of single characters
-- to replacements, applied over { base = 'plain' | 'de' | 'nordic' }.
-- Expansions of a capital follow the case around it: "Äpfel" → "Aepfel", "ÄRGER" → "AERGER".
-- Typographic apostrophes become ', dashes become -, non-breaking and other spaces become " ",
-- zero-width characters and soft hyphens are removed, combining marks are dropped (after
-- composing a/o/u + U+0308 and a + U+030A, so decomposed umlauts fold like precomposed ones).
-- Characters with no mapping (other scripts, symbols) are kept as they are.
function M.fold(s, rule)
  s = arg_string(s, "fold")
  local map = rule_map(rule, "fold")
  if not sfind(s, "[\128-\255]") then return s end
  local cps, n = decode(s)
  -- Compose base + combining mark where it matters, drop other marks.
  local comp, m = {}, 0
  for k = 1, n do
    local cp = cps[k]
    if is_combining(cp) then
      local with = COMPOSE[cp]
      local prev = comp[m]
      if with and prev and with[prev] then comp[m] = with[prev] end
    else
      m = m + 1; comp[m] = cp
    end
  end
  local out = {}
  for k = 1, m do
    local cp = comp[k]
    local rep = cp >= 0x80 and map[cp] or nil
    if rep == nil then
      out[k] = cp < 0x80 and schar(cp) or uchar(cp)
    elseif #rep > 1 and (is_upper_letter(cp) or cp == 0xDF) then
      -- All capitals when the next letter is a capital, or when this is the last letter of
      -- a word whose previous letter is a capital ("ÄRGER", "STRAẞE", "MÜLLER-LÜDENSCHEIDT").
      -- A small ß between capitals ("STRAßE") also becomes "SS".
      local nxt, prev = comp[k + 1], comp[k - 1]
      local caps
      if cp == 0xDF then
        caps = is_upper_letter(prev) and (is_upper_letter(nxt) or not is_letter(nxt))
      else
        caps = is_upper_letter(nxt) or (not is_letter(nxt) and is_upper_letter(prev))
      end
      if caps then
        out[k] = supper(rep)
      else
        out[k] = rep
      end
    else
      out[k] = rep
    end
  end
  return concat(out)
end

--- The names of the built-in fold rules.
function M.rules()
  return { "de", "nordic", "plain" }
end

--- True when s has only ASCII bytes.
function M.is_ascii(s)
  s = arg_string(s, "is_ascii")
  return not sfind(s, "[\128-\255]")
end

---------------------------------------------------------------------------------------------
-- Whitespace, length, truncation
---------------------------------------------------------------------------------------------

--- Trims s and collapses every run of white space (including non-breaking and other Unicode
-- spaces) to one ASCII space; removes zero-width characters and other control characters
-- (C0 except white space, DEL, C1), which directory values may not hold. nil → "".
function M.squish(s)
  s = arg_string(s, "squish")
  s = sgsub(s, "[%z\1-\8\14-\31\127]", "")
  if sfind(s, "[\128-\255]") then
    local cps, n = decode(s)
    local out = {}
    for k = 1, n do
      local cp = cps[k]
      local rep = cp >= 0x80 and PUNCT_CHARS[uchar(cp)] or nil
      if rep == " " or rep == "" then
        out[k] = rep
      elseif cp == 0x85 or cp == 0x2028 or cp == 0x2029 then
        out[k] = " "
      elseif cp >= 0x80 and cp <= 0x9F then
        out[k] = ""
      else
        out[k] = cp < 0x80 and schar(cp) or uchar(cp)
      end
    end
    s = concat(out)
  end
  s = sgsub(s, SPACES, " ")
  return (sgsub(s, "^ ?(.-) ?$", "%1"))
end

--- Trims white space (ASCII and Unicode spaces) from both ends of s.
function M.trim(s)
  s = arg_string(s, "trim")
  s = sgsub(s, "^" .. SPACES, "")
  s = sgsub(s, SPACES .. "$", "")
  if sfind(s, "[\128-\255]") then
    -- Unicode spaces at the ends: strip them through decode, only when present.
    local cps, n = decode(s)
    local function space(cp)
      return cp == 0x85 or (cp >= 0x80 and (PUNCT_CHARS[uchar(cp)] == " "
        or PUNCT_CHARS[uchar(cp)] == "")) or (cp < 0x80 and sfind(schar(cp), SPACES) ~= nil)
    end
    local a, b = 1, n
    while a <= b and space(cps[a]) do a = a + 1 end
    while b >= a and space(cps[b]) do b = b - 1 end
    if a > 1 or b < n then
      local out = {}
      for k = a, b do out[#out + 1] = cps[k] end
      s = encode(out, #out)
    end
  end
  return s
end

--- True when s is nil, empty, or only white space.
function M.is_blank(s)
  if s == nil then return true end
  return M.trim(s) == ""
end

--- The length of s as Microsoft Graph counts it: UTF-16 code units (a character outside the
-- Basic Multilingual Plane, such as an emoji, counts 2).
function M.length(s)
  s = arg_string(s, "length")
  if not sfind(s, "[\128-\255]") then return #s end
  local cps, n = decode(s)
  local len = 0
  for k = 1, n do len = len + (cps[k] >= 0x10000 and 2 or 1) end
  return len
end

--- Truncates s to at most max UTF-16 code units without splitting a character.
-- Returns s unchanged when it fits.
function M.truncate(s, max)
  s = arg_string(s, "truncate")
  if type(max) ~= "number" or max < 0 then
    error("hrsync.text.truncate: max must be a non-negative number", 2)
  end
  if #s <= max then return s end
  local cps, n = decode(s)
  local len, out = 0, {}
  for k = 1, n do
    local w = cps[k] >= 0x10000 and 2 or 1
    if len + w > max then break end
    len = len + w
    out[k] = cps[k]
  end
  return encode(out, #out)
end

---------------------------------------------------------------------------------------------
-- Sanitising for Entra names
---------------------------------------------------------------------------------------------

-- userPrincipalName local part: A-Z a-z 0-9 ' . - _ ! # ^ ~ (graph.md §1).
local UPN_DROP = "[^A-Za-z0-9'%.%-_!#%^~]"
local UPN_DROP_NO_APOS = "[^A-Za-z0-9%.%-_!#%^~]"

local function tidy_dots(s)
  s = sgsub(s, "%.%.+", ".")
  s = sgsub(s, "^%.+", "")
  return (sgsub(s, "%.+$", ""))
end

local function option(opts, key, default)
  if opts == nil then return default end
  local v = opts[key]
  if v == nil then return default end
  return v
end

--- Sanitises s into a userPrincipalName local part.
-- Folds (opts.fold, default 'plain'), replaces each run of white space with opts.space
-- (default "" — removed), drops every character outside A-Z a-z 0-9 ' . - _ ! # ^ ~
-- (and ' too when opts.apostrophe == false), collapses repeated dots, strips dots at both ends
-- (a '.' may not stand before '@'), lowercases when opts.lower is true, and truncates to
-- opts.max (default 64) characters. May return "".
function M.sanitize_upn_local(s, opts)
  s = arg_string(s, "sanitize_upn_local")
  if opts ~= nil and type(opts) ~= "table" then
    error("hrsync.text.sanitize_upn_local: opts must be a table", 2)
  end
  s = M.fold(s, option(opts, "fold", "plain"))
  s = sgsub(s, SPACES, (sgsub(option(opts, "space", ""), "%%", "%%%%")))
  s = sgsub(s, option(opts, "apostrophe", true) and UPN_DROP or UPN_DROP_NO_APOS, "")
  if option(opts, "lower", false) then s = slower(s) end
  s = tidy_dots(s)
  s = ssub(s, 1, option(opts, "max", M.UPN_LOCAL_MAX))
  return tidy_dots(s)
end

-- mailNickname: the group rule (printable ASCII except @ ( ) \ [ ] " ; : < > , and space)
-- or, strict (default), the UPN character set, which is a subset of it (graph.md §1).
local NICK_DROP_LOOSE = "[^!#-'%*%+%-%./0-9=%?A-Z%^_`a-z{|}~]"

--- Sanitises s into a mailNickname: folds (opts.fold, default 'plain'), drops white space and
-- characters that are not allowed, collapses repeated dots, strips dots at both ends, and
-- truncates to opts.max (default 64). With opts.strict = false the group rule is used
-- (printable ASCII except @ ( ) \ [ ] " ; : < > , and space); by default (strict) only the
-- UPN character set is kept, which is the safe choice while the user rule is undocumented.
-- opts.lower lowercases. May return "".
function M.sanitize_mail_nickname(s, opts)
  s = arg_string(s, "sanitize_mail_nickname")
  if opts ~= nil and type(opts) ~= "table" then
    error("hrsync.text.sanitize_mail_nickname: opts must be a table", 2)
  end
  s = M.fold(s, option(opts, "fold", "plain"))
  if option(opts, "strict", true) then
    s = sgsub(s, UPN_DROP, "")
  else
    s = sgsub(s, NICK_DROP_LOOSE, "")
  end
  if option(opts, "lower", false) then s = slower(s) end
  s = tidy_dots(s)
  s = ssub(s, 1, option(opts, "max", M.MAIL_NICKNAME_MAX))
  return tidy_dots(s)
end

--- True when every character of s is allowed in a UPN local part (does not check dots or
-- length; see hrsync.upn.is_valid for the whole rule).
function M.is_upn_local_charset(s)
  s = arg_string(s, "is_upn_local_charset")
  return not sfind(s, UPN_DROP)
end

return M
