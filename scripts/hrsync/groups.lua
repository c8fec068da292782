-- hrsync.groups: group membership rules for a policy's groups hook.
--
-- A rule is a descriptor table { kind, rule, name?, eval } made by one of:
--   groups.by_attribute('department', { Finance = 'SG-Finance', Engineering = {'SG-Eng', 'SG-Tech'} })
--   groups.by_attribute('department', 'SG-{value}')            -- one group per value
--   groups.when(function(p) return p.gender == 'female' end, 'Women', 'women')
--   groups.rule{ name = 'women', where = { gender = 'female' }, group = 'Women' }
-- A plain function(person) → group name(s) or nil is accepted as a rule too.
--
-- groups.evaluate(rules, person) returns the group names, deduplicated (case-insensitively,
-- first spelling kept) in rule order, and for each name the descriptor of the first rule that
-- produced it: { group = 'SG-Finance', rule = 'department=Finance' }.
-- groups.hook(rules) makes the policy's groups(person) hook from the same list; it returns the
-- descriptors as a second value, which `hrsync explain` shows.
--
-- groups() is desired state: the engine adds and removes members of the managed groups every
-- cycle, so a rule cannot be "on joining only" (there is no only_joiners option; a group that
-- should be given once and then left alone must not be a managed group).

local M = {}

local type, tostring, error, pairs, ipairs = type, tostring, error, pairs, ipairs
local sfind, sgsub = string.find, string.gsub
local concat = table.concat

local text = require("hrsync.text")
local match = require("hrsync.match")

-- A list of non-blank group names from a string or a list (nil → empty list).
local function group_list(v, what, level)
  if v == nil then return {} end
  if type(v) == "string" then
    local s = text.trim(v)
    if s == "" then error(what .. ": group name is blank", level) end
    return { s }
  end
  if type(v) ~= "table" then
    error(what .. ": group name or list of names expected, got " .. type(v), level)
  end
  local out = {}
  for i, g in ipairs(v) do
    if type(g) ~= "string" or text.trim(g) == "" then
      error(what .. ": group #" .. i .. " must be a non-blank string", level)
    end
    out[#out + 1] = text.trim(g)
  end
  return out
end

local function emit(out, names, rule)
  for _, g in ipairs(names) do out[#out + 1] = { group = g, rule = rule } end
end

local function key_of(s, sensitive)
  return sensitive and s or text.lower(s)
end

--- Groups by the value of one field (a path such as "raw.team" works too).
-- map: a table value → group name or list of names (keys compared trimmed and
-- case-insensitively unless opts.case_sensitive); or a string with "{value}", which is
-- replaced by the trimmed value (one group per value); or a function(value, person) → group
-- name(s) or nil. opts.default: group(s) for a person whose value is missing or not mapped.
-- A field holding a list of values is looked up value by value.
-- Descriptor rule: "department=Finance" (the person's value).
function M.by_attribute(field, map, opts)
  local fname = "hrsync.groups.by_attribute"
  if type(field) ~= "string" or field == "" then error(fname .. ": field name expected", 2) end
  if opts ~= nil and type(opts) ~= "table" then error(fname .. ": opts must be a table", 2) end
  opts = opts or {}
  for k in pairs(opts) do
    if k ~= "default" and k ~= "case_sensitive" then
      error(fname .. ": unknown option '" .. tostring(k) .. "'", 2)
    end
  end
  local sensitive = opts.case_sensitive == true
  local default = group_list(opts.default, fname .. " default", 3)
  local lookup

  if type(map) == "table" then
    local by_key = {}
    for k, v in pairs(map) do
      local s = match.text(k)
      if s == nil then error(fname .. ": map keys must be non-blank values", 2) end
      local key = key_of(s, sensitive)
      if by_key[key] then
        error(fname .. ": map has '" .. s .. "' more than once (keys are compared "
          .. (sensitive and "exactly" or "case-insensitively") .. ")", 2)
      end
      by_key[key] = group_list(v, fname .. " map['" .. s .. "']", 3)
    end
    lookup = function(value) return by_key[key_of(value, sensitive)] end
  elseif type(map) == "string" then
    if not sfind(map, "{value}", 1, true) then
      error(fname .. ": a string map must contain {value}, e.g. 'SG-{value}'", 2)
    end
    lookup = function(value)
      return { (sgsub(map, "{value}", (sgsub(value, "%%", "%%%%")))) }
    end
  elseif type(map) == "function" then
    lookup = function(value, person)
      return group_list(map(value, person), fname .. " map function for '" .. value .. "'", 4)
    end
  else
    error(fname .. ": map must be a table, a 'template {value}' string or a function", 2)
  end

  local desc = { kind = "by_attribute", field = field, rule = "by " .. field }
  desc.eval = function(person)
    local raw = match.get(person, field)
    local values = {}
    if type(raw) == "table" then
      for _, v in ipairs(raw) do values[#values + 1] = match.text(v) end
    else
      values[1] = match.text(raw)
    end
    local out = {}
    for _, value in ipairs(values) do
      local names = lookup(value, person)
      if names and #names > 0 then emit(out, names, field .. "=" .. value) end
    end
    if #out == 0 and #default > 0 then
      local shown = values[1] and (field .. "=" .. values[1]) or (field .. " missing")
      emit(out, default, shown .. " (default)")
    end
    return out
  end
  return desc
end

--- Groups for the people a predicate accepts: groups.when(function(p) … end, 'Women', name).
-- group: a name or a list of names. name (optional) labels the rule in descriptors.
function M.when(pred, group, name)
  local fname = "hrsync.groups.when"
  if type(pred) ~= "function" then error(fname .. ": predicate function expected", 2) end
  local names = group_list(group, fname, 3)
  if #names == 0 then error(fname .. ": no group given", 2) end
  local label = name or ("when -> " .. concat(names, ", "))
  return {
    kind = "when", name = name, rule = label,
    eval = function(person)
      local out = {}
      if pred(person) then emit(out, names, label) end
      return out
    end,
  }
end

local RULE_KEYS = { name = true, where = true, when = true, group = true, groups = true,
  case_sensitive = true }

--- A declarative rule: groups.rule{ name = 'women', where = { gender = 'female' },
-- group = 'Women' }. Keys: where (see hrsync.match), when (a predicate function(person)),
-- group or groups (a name or a list), name (label for descriptors; default: the where text),
-- case_sensitive (for where). where and when must both hold when both are given.
-- Unknown keys are refused (there is no only_joiners: see the module comment).
function M.rule(spec)
  local fname = "hrsync.groups.rule"
  if type(spec) ~= "table" then error(fname .. ": table expected", 2) end
  for k in pairs(spec) do
    if not RULE_KEYS[k] then
      local hint = k == "only_joiners"
        and " (groups are desired state; a join-only group must not be a managed group)" or ""
      error(fname .. ": unknown key '" .. tostring(k) .. "'" .. hint, 2)
    end
  end
  if spec.group ~= nil and spec.groups ~= nil then
    error(fname .. ": give group or groups, not both", 2)
  end
  local names = group_list(spec.group or spec.groups, fname, 3)
  if #names == 0 then error(fname .. ": no group given", 2) end
  if spec.where == nil and spec.when == nil then
    error(fname .. ": give where and/or when", 2)
  end
  if spec.when ~= nil and type(spec.when) ~= "function" then
    error(fname .. ": when must be a function", 2)
  end
  local pred, description
  if spec.where ~= nil then
    pred, description = match.where(spec.where, {
      caller = fname, level = 3, case_sensitive = spec.case_sensitive,
    })
  end
  local when = spec.when
  local label = spec.name or description or ("when -> " .. concat(names, ", "))
  return {
    kind = "rule", name = spec.name, rule = label, where = description,
    eval = function(person)
      local out = {}
      if pred and not pred(person) then return out end
      if when and not when(person) then return out end
      emit(out, names, label)
      return out
    end,
  }
end

local function check_rules(rules, fname, level)
  if type(rules) ~= "table" then error(fname .. ": list of rules expected", level) end
  for i = 1, #rules do
    local r = rules[i]
    local ok = type(r) == "function" or (type(r) == "table" and type(r.eval) == "function")
    if not ok then
      error(fname .. ": rule #" .. i .. " is not a rule (use groups.by_attribute, groups.when, "
        .. "groups.rule or a function)", level)
    end
  end
end

--- Evaluates rules for a person. Returns names, why: the group names (deduplicated, stable
-- order) and a parallel list of { group, rule } descriptors.
function M.evaluate(rules, person)
  check_rules(rules, "hrsync.groups.evaluate", 3)
  if type(person) ~= "table" then
    error("hrsync.groups.evaluate: person table expected, got " .. type(person), 2)
  end
  local names, why, seen = {}, {}, {}
  for i = 1, #rules do
    local r = rules[i]
    local produced
    if type(r) == "function" then
      produced = {}
      emit(produced, group_list(r(person), "hrsync.groups rule #" .. i, 3), "rule #" .. i)
    else
      produced = r.eval(person)
    end
    for _, p in ipairs(produced) do
      local key = text.lower(p.group)
      if not seen[key] then
        seen[key] = true
        names[#names + 1] = p.group
        why[#why + 1] = { group = p.group, rule = p.rule }
      end
    end
  end
  return names, why
end

--- The policy's groups hook for a list of rules: groups = groups.hook{ … }. The hook returns
-- the names and, as a second value, their { group, rule } descriptors: the engine uses the
-- names and keeps the descriptors to say why (`hrsync explain`).
function M.hook(rules)
  check_rules(rules, "hrsync.groups.hook", 3)
  return function(person)
    return M.evaluate(rules, person)
  end
end

--- A readable list of the rules: { 'by department', 'women', … } (for plans and checks).
function M.describe(rules)
  check_rules(rules, "hrsync.groups.describe", 3)
  local out = {}
  for i = 1, #rules do
    local r = rules[i]
    out[i] = type(r) == "function" and ("rule #" .. i) or r.rule
  end
  return out
end

return M
