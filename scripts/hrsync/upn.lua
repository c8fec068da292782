-- hrsync.upn: userPrincipalName candidates from templates, and UPN checks.
--
--   upn = upn.candidates{ '{first}.{last}', '{first}.{last}{n}', domain = 'example.com', fold = 'de' }
--   -- Zoë Müller-Lüdenscheidt → { 'zoe.mueller-luedenscheidt@example.com',
--   --                             'zoe.mueller-luedenscheidt2@example.com', … 9 }
--
-- The engine takes the first candidate that is free in the directory; this module only lists
-- them, in template order (a {n} template gives n = n_start … max_n in turn), deduplicated
-- case-insensitively, each one valid by upn.is_valid.
--
-- Placeholders:
--   {first}  person.first_name — the legal first name, not preferred_name: a login name lives
--            as long as the account, and nicknames change more often than legal names.
--            Option first = 'preferred' uses preferred_name when present.
--   {last}   person.last_name        {middle}  person.middle_name
--   {f} {l} {m}  the first letter of first / last / middle name (after folding: Ä → a)
--   {employee_id}  person.employee_id, or person.id when there is none
--   {n}      the collision counter
--   {name}   any other field by name, or path into a nested table ({raw.nickname})
--   {name:N} the first N characters of a placeholder's value ({first:3}{last:3})
-- A template whose placeholders (other than {n}) are blank for a person is skipped, so
-- '{first}.{middle}.{last}' only gives a candidate to people with a middle name.
--
-- Each value is folded (fold = 'plain' | 'de' | 'nordic' | custom table, see hrsync.text),
-- apostrophes are removed (apostrophe = true keeps them: Entra allows ', but many mail
-- systems and apps mishandle it), runs of white space are removed (space = '.' | '-' | '_'
-- puts that instead), hyphens are kept, other characters outside A-Z a-z 0-9 ' . - _ ! # ^ ~
-- are dropped, and the result is lowercased (lower = false keeps case). Repeated dots are
-- collapsed and dots at both ends of the local part removed.
--
-- Lengths (graph.md §1): local part ≤ 64, domain ≤ 48, whole ≤ 113. A local part that is too
-- long is shortened by cutting the longest name value one character at a time (never {n},
-- {employee_id} or {id}, never the literal text), so "{n}" variants stay distinct.

local M = {}

local type, tostring, tonumber, error, ipairs, pairs = type, tostring, tonumber, error, ipairs, pairs
local setmetatable = setmetatable
local sfind, sgmatch, sgsub, slower, smatch, ssub = string.find, string.gmatch, string.gsub, string.lower,
  string.match, string.sub
local concat = table.concat
local tointeger = math.tointeger

local text = require("hrsync.text")
local match = require("hrsync.match")

local LOCAL_MAX, DOMAIN_MAX, UPN_MAX = text.UPN_LOCAL_MAX, text.UPN_DOMAIN_MAX, text.UPN_MAX
local LOCAL_CHARS = "A-Za-z0-9'%.%-_!#%^~"
local LOCAL_DROP = "[^" .. LOCAL_CHARS .. "]"
local SPACES = "[ \t\n\v\f\r]+"

---------------------------------------------------------------------------------------------
-- Validation
---------------------------------------------------------------------------------------------

local function check_domain(d)
  if type(d) ~= "string" or d == "" then return false, "domain is empty" end
  if #d > DOMAIN_MAX then
    return false, "domain is " .. #d .. " characters, more than " .. DOMAIN_MAX
  end
  if sfind(d, "[\128-\255]") then
    return false, "domain '" .. d .. "' has non-ASCII characters"
  end
  local labels = 0
  for label in sgmatch(d .. ".", "([^.]*)%.") do
    if not smatch(label, "^[A-Za-z0-9]$") and not smatch(label, "^[A-Za-z0-9][A-Za-z0-9%-]*[A-Za-z0-9]$") then
      return false, "domain '" .. d .. "' has an invalid label '" .. label .. "'"
    end
    labels = labels + 1
  end
  if labels < 2 then return false, "domain '" .. d .. "' needs at least two labels" end
  return true
end

--- Checks a userPrincipalName against Entra's rules (graph.md §1). Returns true, or false and
-- the reason: one '@'; local part 1–64 characters of A-Z a-z 0-9 ' . - _ ! # ^ ~, no dot at
-- either end (none before '@') and no two dots in a row; domain ≤ 48 characters of labels
-- (letters, digits, inner hyphens), at least two; ≤ 113 in all.
function M.is_valid(upn)
  if type(upn) ~= "string" then return false, "UPN must be a string, got " .. type(upn) end
  local at = sfind(upn, "@", 1, true)
  if not at or sfind(upn, "@", at + 1, true) then
    return false, "'" .. upn .. "' must contain exactly one '@'"
  end
  local loc, dom = ssub(upn, 1, at - 1), ssub(upn, at + 1)
  if loc == "" then return false, "'" .. upn .. "' has an empty local part" end
  if #upn > UPN_MAX then
    return false, "'" .. upn .. "' is " .. #upn .. " characters, more than " .. UPN_MAX
  end
  if #loc > LOCAL_MAX then
    return false, "local part is " .. #loc .. " characters, more than " .. LOCAL_MAX
  end
  if sfind(loc, "[\128-\255]") then
    return false, "local part '" .. loc .. "' has non-ASCII characters (no accents allowed)"
  end
  local bad = smatch(loc, LOCAL_DROP)
  if bad then
    return false, "local part '" .. loc .. "' has '" .. bad
      .. "' (allowed: A-Z a-z 0-9 ' . - _ ! # ^ ~)"
  end
  if ssub(loc, -1) == "." then return false, "local part '" .. loc .. "' ends with '.'" end
  if ssub(loc, 1, 1) == "." then return false, "local part '" .. loc .. "' starts with '.'" end
  if sfind(loc, "..", 1, true) then return false, "local part '" .. loc .. "' has '..'" end
  return check_domain(dom)
end

--- The local part and the domain of a UPN (split at the last '@'); nil when there is no '@'.
function M.split(upn)
  if type(upn) ~= "string" then return nil end
  local loc, dom = smatch(upn, "^(.*)@([^@]*)$")
  return loc, dom
end

--- The mailNickname for a UPN: its local part, sanitised (hrsync.text.sanitize_mail_nickname,
-- ≤ 64). Returns nil and a reason when nothing usable is left.
function M.mail_nickname(upn)
  if type(upn) ~= "string" then
    error("hrsync.upn.mail_nickname: string expected, got " .. type(upn), 2)
  end
  local loc = M.split(upn) or upn
  local nick = text.sanitize_mail_nickname(loc)
  if nick == "" then return nil, "no mailNickname can be made from '" .. upn .. "'" end
  return nick
end

---------------------------------------------------------------------------------------------
-- Templates
---------------------------------------------------------------------------------------------

local PROTECTED = { n = true, employee_id = true, id = true }

-- Parses a template into segments: { lit = "…" } | { name = "first", take = 3 }.
local function parse_template(tpl, level)
  local fname = "hrsync.upn.candidates"
  if type(tpl) ~= "string" or tpl == "" then
    error(fname .. ": templates must be non-empty strings", level)
  end
  local segs, pos, has_n, has_field = {}, 1, false, false
  while pos <= #tpl do
    local open = sfind(tpl, "{", pos, true)
    local lit = ssub(tpl, pos, (open or #tpl + 1) - 1)
    if lit ~= "" then
      if sfind(lit, "}", 1, true) then
        error(fname .. ": template '" .. tpl .. "' has a '}' without '{'", level)
      end
      if sfind(lit, "@", 1, true) then
        error(fname .. ": template '" .. tpl .. "' has '@'; give the domain as domain = …", level)
      end
      local bad = smatch(lit, LOCAL_DROP)
      if bad then
        error(fname .. ": template '" .. tpl .. "' has '" .. bad
          .. "', which a UPN cannot contain (allowed: A-Z a-z 0-9 ' . - _ ! # ^ ~)", level)
      end
      segs[#segs + 1] = { lit = lit }
    end
    if not open then break end
    local close = sfind(tpl, "}", open + 1, true)
    if not close then error(fname .. ": template '" .. tpl .. "' has an unclosed '{'", level) end
    local inner = ssub(tpl, open + 1, close - 1)
    local name, take = smatch(inner, "^([%a_][%w_%.]*):(%d+)$")
    if not name then name = smatch(inner, "^([%a_][%w_%.]*)$") end
    if not name then
      error(fname .. ": template '" .. tpl .. "' has an invalid placeholder '{" .. inner .. "}'",
        level)
    end
    take = take and tointeger(tonumber(take)) or nil
    if take == 0 then
      error(fname .. ": template '" .. tpl .. "': {" .. inner .. "} takes no characters", level)
    end
    if name == "n" then
      if has_n then error(fname .. ": template '" .. tpl .. "' has {n} twice", level) end
      if take then error(fname .. ": template '" .. tpl .. "': {n} takes no length", level) end
      has_n = true
    else
      has_field = true
    end
    segs[#segs + 1] = { name = name, take = take }
    pos = close + 1
  end
  if not has_field then
    error(fname .. ": template '" .. tpl .. "' has no name placeholder", level)
  end
  return { source = tpl, segs = segs, has_n = has_n }
end

local OPTION_KEYS = { templates = true, domain = true, fold = true, max_n = true,
  n_start = true, apostrophe = true, space = true, first = true, lower = true }

local descriptors = setmetatable({}, { __mode = "k" })

--- Makes the upn hook: candidates(opts) returns function(person) → { "cand@domain", … }.
-- opts: templates (list; or give them as the list part of opts), domain (string, or
-- function(person) → string), fold ('plain'), max_n (9), n_start (2), apostrophe (false),
-- space (""), first ('first_name' | 'preferred'), lower (true). See the module comment.
function M.candidates(opts)
  local fname = "hrsync.upn.candidates"
  if type(opts) ~= "table" then error(fname .. ": options table expected", 2) end
  for k in pairs(opts) do
    if type(k) ~= "number" and not OPTION_KEYS[k] then
      error(fname .. ": unknown option '" .. tostring(k) .. "'", 2)
    end
  end
  local list = opts.templates
  if list == nil then
    list = {}
    for i, t in ipairs(opts) do list[i] = t end
  elseif #opts > 0 then
    error(fname .. ": give templates either as templates = {…} or as the list, not both", 2)
  end
  if type(list) ~= "table" or #list == 0 then error(fname .. ": no templates given", 2) end
  local templates = {}
  for i, t in ipairs(list) do templates[i] = parse_template(t, 3) end

  local domain = opts.domain
  if type(domain) == "string" then
    domain = slower(domain)
    local ok, why = check_domain(domain)
    if not ok then error(fname .. ": " .. why, 2) end
  elseif type(domain) ~= "function" then
    error(fname .. ": domain must be a string or a function(person)", 2)
  end

  local fold = opts.fold or "plain"
  text.fold("", fold)   -- raises now on an unknown rule, not on the first person
  local n_start = tointeger(opts.n_start or 2)
  local max_n = tointeger(opts.max_n or 9)
  if n_start == nil or n_start < 0 then error(fname .. ": n_start must be an integer >= 0", 2) end
  if max_n == nil or max_n < n_start or max_n > 9999 then
    error(fname .. ": max_n must be an integer from n_start to 9999", 2)
  end
  local keep_apostrophe = opts.apostrophe == true
  local space = opts.space or ""
  if space ~= "" and space ~= "." and space ~= "-" and space ~= "_" then
    error(fname .. ": space must be '', '.', '-' or '_'", 2)
  end
  local first_field = opts.first or "first_name"
  if first_field ~= "first_name" and first_field ~= "preferred" then
    error(fname .. ": first must be 'first_name' or 'preferred'", 2)
  end
  local lower = opts.lower ~= false

  -- One placeholder value, made UPN-safe; nil when blank. Name values are capped at 64
  -- (longer can never fit); identifiers ({employee_id}, {id}) are never cut.
  local function clean(v, whole)
    local s = match.text(v)
    if s == nil then return nil end
    -- Bound the work: 512 bytes hold far more than 64 characters can use (a cut multi-byte
    -- character at the end becomes U+FFFD and is dropped below).
    s = text.fold(ssub(s, 1, 512), fold)
    if not keep_apostrophe then s = sgsub(s, "'", "") end
    s = sgsub(s, SPACES, space)
    s = sgsub(s, LOCAL_DROP, "")
    if lower then s = slower(s) end
    if not whole then s = ssub(s, 1, LOCAL_MAX) end
    if smatch(s, "^[%.%-_'!#%^~]*$") then return nil end   -- nothing but punctuation
    return s
  end

  local function initial(v)
    local s = clean(v)
    return s and smatch(s, "[A-Za-z0-9]") or nil
  end

  local function value_of(person, name)
    if name == "first" or name == "f" then
      local v = person.first_name
      if first_field == "preferred" and match.text(person.preferred_name) then
        v = person.preferred_name
      end
      if name == "f" then return initial(v) end
      return clean(v)
    elseif name == "last" then return clean(person.last_name)
    elseif name == "l" then return initial(person.last_name)
    elseif name == "middle" then return clean(person.middle_name)
    elseif name == "m" then return initial(person.middle_name)
    elseif name == "employee_id" then
      return clean(person.employee_id, true) or clean(person.id, true)
    end
    return clean(match.get(person, name), PROTECTED[name])
  end

  local function tidy(s)
    s = sgsub(s, "%.%.+", ".")
    s = sgsub(s, "^%.+", "")
    return (sgsub(s, "%.+$", ""))
  end

  -- Renders one template with n (nil for templates without {n}); nil when it cannot fit.
  local function render(tpl, values, n)
    local parts, cuttable = {}, {}
    for i, seg in ipairs(tpl.segs) do
      if seg.lit then
        parts[i] = seg.lit
      elseif seg.name == "n" then
        parts[i] = tostring(n)
      else
        parts[i] = values[i]
        if not PROTECTED[seg.name] then cuttable[i] = true end
      end
    end
    while true do
      local s = tidy(concat(parts))
      local excess = #s - LOCAL_MAX
      if excess <= 0 then return s end
      -- Take `excess` characters off, each from the longest cuttable part (the later one on
      -- a tie), keeping at least one character of each; then cut the parts and drop the
      -- punctuation left at a cut. Dots collapsed by tidy are re-checked on the next round.
      local lens = {}
      for i in pairs(cuttable) do lens[i] = #parts[i] end
      for _ = 1, excess do
        local best, best_len = nil, 1
        for i, len in pairs(lens) do
          if len > best_len or (len == best_len and best ~= nil and i > best) then
            best, best_len = i, len
          end
        end
        if best == nil then return nil end
        lens[best] = best_len - 1
      end
      for i, len in pairs(lens) do
        if len < #parts[i] then
          local cut = ssub(parts[i], 1, len)
          local trimmed = sgsub(cut, "[%.%-_'!#%^~]+$", "")
          parts[i] = trimmed ~= "" and trimmed or cut
        end
      end
    end
  end

  local function hook(person)
    if type(person) ~= "table" then
      error(fname .. ": person table expected, got " .. type(person), 2)
    end
    local dom = domain
    if type(dom) == "function" then
      dom = dom(person)
      local ok, why = check_domain(type(dom) == "string" and slower(dom) or dom)
      if not ok then error(fname .. ": domain function: " .. why, 2) end
      dom = slower(dom)
    end
    local out, seen, memo = {}, {}, {}
    for _, tpl in ipairs(templates) do
      local values, complete = {}, true
      for i, seg in ipairs(tpl.segs) do
        if seg.name and seg.name ~= "n" then
          local v = memo[seg.name]
          if v == nil then
            v = value_of(person, seg.name) or false
            memo[seg.name] = v
          end
          if not v then complete = false; break end
          if seg.take then v = ssub(v, 1, seg.take) end
          values[i] = v
        end
      end
      if complete then
        local from, to = n_start, max_n
        if not tpl.has_n then from, to = 1, 1 end
        for n = from, to do
          local loc = render(tpl, values, tpl.has_n and n or nil)
          if loc and loc ~= "" then
            local upn = loc .. "@" .. dom
            local key = slower(upn)
            if not seen[key] and M.is_valid(upn) then
              seen[key] = true
              out[#out + 1] = upn
            end
          end
        end
      end
    end
    return out
  end

  local sources = {}
  for i, t in ipairs(templates) do sources[i] = t.source end
  descriptors[hook] = {
    kind = "upn.candidates", templates = sources,
    domain = type(domain) == "string" and domain or "(function)",
    fold = type(fold) == "string" and fold or "(custom)", n_start = n_start, max_n = max_n,
  }
  return hook
end

--- The descriptor of a hook made by candidates ({ kind, templates, domain, fold, … }), or nil.
function M.describe(hook)
  local d = descriptors[hook]
  if d == nil then return nil end
  local copy = {}
  for k, v in pairs(d) do copy[k] = v end
  return copy
end

return M
