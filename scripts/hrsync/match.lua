-- hrsync.match: reading person fields and matching them against `where` tables.
--
-- Shared by hrsync.include and hrsync.groups. A `where` table maps field names to what the
-- field must hold:
--   { gender = 'female' }                      equal (case-insensitive, trimmed)
--   { department = { 'Finance', 'Legal' } }    any of the listed values
--   { cost_center = match.present }            a non-empty value
--   { ['raw.contract'] = function(v, person) return v == 'fixed' end }   a predicate
-- Field names may be paths into nested tables ("raw.contract"); a key that exists as written
-- wins over a path. All entries must hold.

local M = {}

local type, tostring, error, pairs, ipairs = type, tostring, error, pairs, ipairs
local setmetatable = setmetatable
local sfind, sformat, ssub = string.find, string.format, string.sub
local concat, sort = table.concat, table.sort
local mtype, tointeger = math.type, math.tointeger

local text = require("hrsync.text")

--- The value at path in person: person[path] when present, else the dotted path followed
-- through nested tables ("raw.cost_center"). nil when any step is missing.
function M.get(person, path)
  if type(person) ~= "table" then return nil end
  local v = person[path]
  if v ~= nil or type(path) ~= "string" or not sfind(path, ".", 1, true) then return v end
  local cur = person
  local start = 1
  while true do
    local dot = sfind(path, ".", start, true)
    local key = ssub(path, start, dot and dot - 1 or #path)
    if type(cur) ~= "table" then return nil end
    cur = cur[key]
    if not dot then return cur end
    start = dot + 1
  end
end

--- The text form of a field value: strings trimmed (nil when blank), integers without a
-- fraction ("1042"), other numbers with up to 14 significant digits, booleans as
-- "true"/"false"; nil for nil, tables and functions.
function M.text(v)
  local t = type(v)
  if t == "string" then
    v = text.trim(v)
    if v == "" then return nil end
    return v
  elseif t == "number" then
    if mtype(v) == "integer" then return sformat("%d", v) end
    local i = tointeger(v)
    if i then return sformat("%d", i) end
    return sformat("%.14g", v)
  elseif t == "boolean" then
    return tostring(v)
  end
  return nil
end

-- Names for the built-in predicates, used in descriptions.
local predicate_names = setmetatable({}, { __mode = "k" })

--- Predicate for `where` tables: the field has a non-blank value.
function M.present(v) return M.text(v) ~= nil end
predicate_names[M.present] = "present"

--- Predicate for `where` tables: the field is missing or blank.
function M.absent(v) return M.text(v) == nil end
predicate_names[M.absent] = "absent"

--- Names a predicate for descriptions: match.named('on the payroll', fn) returns fn.
function M.named(name, fn)
  if type(name) ~= "string" or type(fn) ~= "function" then
    error("hrsync.match.named: (name, function) expected", 2)
  end
  predicate_names[fn] = name
  return fn
end

local function fold_case(s, sensitive)
  if sensitive then return s end
  return text.lower(s)
end

-- Compiles one entry of a where table into { field, test(value, person), describe }.
local function compile_entry(field, expected, sensitive, fname, level)
  local et = type(expected)
  if et == "function" then
    local name = predicate_names[expected]
    return {
      field = field,
      test = function(v, person) return expected(v, person) and true or false end,
      describe = name and (field .. " " .. name) or (field .. " matches a function"),
    }
  end
  local wanted = {}
  local shown = {}
  if et == "table" then
    if #expected == 0 then
      error(fname .. ": where." .. field .. " is an empty list", level)
    end
    for i, e in ipairs(expected) do
      local s = M.text(e)
      if s == nil then
        error(fname .. ": where." .. field .. "[" .. i .. "] must be a non-blank string, number or boolean", level)
      end
      wanted[fold_case(s, sensitive)] = true
      shown[#shown + 1] = s
    end
  else
    local s = M.text(expected)
    if s == nil then
      error(fname .. ": where." .. field .. " must be a non-blank string, number, boolean, list or function", level)
    end
    wanted[fold_case(s, sensitive)] = true
    shown[1] = s
  end
  local describe = #shown == 1 and (field .. "=" .. shown[1])
    or (field .. " in {" .. concat(shown, ", ") .. "}")
  return {
    field = field,
    test = function(v)
      local s = M.text(v)
      return s ~= nil and wanted[fold_case(s, sensitive)] == true
    end,
    describe = describe,
  }
end

--- Compiles a where table into a predicate. Returns fn, description:
--   fn(person) → true, "gender=female"  |  false, "gender 'male' does not match gender=female"
-- opts.case_sensitive = true compares values exactly (default: case-insensitive).
-- opts.caller names the public function for error messages; opts.level is the error level.
function M.where(spec, opts)
  local fname = (opts and opts.caller) or "hrsync.match.where"
  local level = (opts and opts.level) or 2
  if type(spec) ~= "table" then
    error(fname .. ": where must be a table of field = value", level)
  end
  local sensitive = opts and opts.case_sensitive or false
  local fields = {}
  for k in pairs(spec) do
    if type(k) ~= "string" then
      error(fname .. ": where keys must be field names, got " .. type(k), level)
    end
    fields[#fields + 1] = k
  end
  if #fields == 0 then error(fname .. ": where is empty", level) end
  sort(fields)
  local entries, descs = {}, {}
  for i, f in ipairs(fields) do
    entries[i] = compile_entry(f, spec[f], sensitive, fname, level + 1)
    descs[i] = entries[i].describe
  end
  local description = concat(descs, " and ")
  local function pred(person)
    for _, e in ipairs(entries) do
      local v = M.get(person, e.field)
      if not e.test(v, person) then
        local s = M.text(v)
        local got = s and ("'" .. s .. "'") or "missing"
        return false, e.field .. " " .. got .. " does not match " .. e.describe
      end
    end
    return true, description
  end
  return pred, description
end

return M
