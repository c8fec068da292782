-- hrsync.testing: a test kit for your own policy. Write busted specs that build people, a
-- directory and a date, run a real cycle of the hrsync engine against its built-in Microsoft
-- Graph simulator (no tenant, no network), and check the plan, the accounts and the groups.
-- Run them with `hrsync test spec/` (which sets up the paths), or busted with the same paths.
--
--   local testing = require "hrsync.testing"
--
--   describe("my policy", function()
--     it("puts Finance people into SG-Finance", function()
--       local run = testing.sync{
--         policy = "../policy.lua",                  -- relative to this spec file
--         now = "2026-12-01",
--         people = { testing.person{ id = "1", first_name = "Ada", last_name = "Lovelace",
--                                    department = "Finance" } },
--         directory = testing.directory{ groups = { "SG-Finance" } },
--       }
--       testing.expect_account("ada.lovelace@example.com", { department = "Finance" })
--       testing.expect_member("SG-Finance", "ada.lovelace@example.com")
--       assert.are.equal("create", testing.plan_for("1").action)
--     end)
--   end)
--
-- Building the inputs:
--   testing.person{…}     a person record as a source yields it, with defaults for what you
--                         leave out (id, names, email, status "active", department, position,
--                         hire_date); testing.none removes a default (termination_date = …).
--   testing.user{…}       an account already in the directory: upn (or userPrincipalName),
--                         displayName, accountEnabled (default true), any Graph property.
--   testing.directory{ users = {…}, groups = { "SG-Finance", { name = "Women",
--                      members = { "eva@example.com" } } }, domains = {…} }
--                         the directory before the cycle; members by UPN. The domains
--                         example.com, example.org and example.net are always verified.
-- Running (every run starts a simulator and a state file of its own, and removes them after):
--   testing.plan{ policy, people, directory, now, config }  a plan only (nothing written)
--   testing.sync{ … }                                        plan and apply
--   local s = testing.scenario{ policy, directory, config }  several cycles on one directory:
--     s:sync{ people = {…}, now = "2026-12-01" }; s:sync{ people = {…}, now = "2027-01-10" }
--     s:plan{ … }; s:stop()
--   config: more config keys (e.g. { timezone = "Europe/Berlin" }); the guardrails are off
--   unless config.guardrails sets them.
-- Looking at a run (each is also a module function on the last run: testing.plan_for(id) …):
--   run.plan, run.result, run.directory (the simulator's snapshot after the run), run.error
--   run:plan_for(person_id)        the plan entry of that person, or nil
--   run:quarantine_for(person_id)  the quarantine reason, or nil
--   run:account(upn)               the account in the directory, or nil
--   run:expect_account(upn, { department = "Finance", accountEnabled = true, … })
--   run:expect_no_account(upn)
--   run:expect_member(group, upn)  run:expect_not_member(group, upn)
--   run:expect_quarantined(person_id [, pattern])
-- The expect_ functions raise an error that says what was found instead.
--
-- This module is for specs, not for policies: it needs io, os and the hrsync Lua module.

local M = {}

local hrsync = require("hrsync")

-- Quarantines and reload failures are what specs provoke: only errors are logged, unless
-- HRSYNC_LOG_LEVEL says otherwise.
if not os.getenv("HRSYNC_LOG_LEVEL") then hrsync.log_level("error") end

local type, pairs, ipairs, tostring, error, setmetatable = type, pairs, ipairs, tostring, error, setmetatable
local concat, sort = table.concat, table.sort
local sformat, sgsub, slower, smatch = string.format, string.gsub, string.lower, string.match

local TENANT = "example.com"
local CLIENT_ID = "11111111-2222-3333-4444-555555555555"
local DOMAINS = { "example.com", "example.org", "example.net" }

--- Stands for "no value": testing.person{ termination_date = testing.none } removes a default.
M.none = setmetatable({}, { __tostring = function() return "testing.none" end })

-- ---- JSON (what the simulator's seed and the JSON source read) -----------------------------

local encode

local function encode_string(s)
  return '"' .. sgsub(s, '[%c"\\]', function(c)
    local named = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
    return named[c] or sformat("\\u%04x", c:byte())
  end) .. '"'
end

local function is_list(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode_list(t)
  local out = {}
  for i = 1, #t do out[i] = encode(t[i]) end
  return "[" .. concat(out, ",") .. "]"
end

encode = function(v)
  local tv = type(v)
  if v == nil or v == hrsync.null then return "null" end
  if tv == "boolean" then return tostring(v) end
  if tv == "number" then
    if math.type(v) == "integer" then return tostring(v) end
    return sformat("%.17g", v)
  end
  if tv == "string" then return encode_string(v) end
  if tv == "table" then
    if is_list(v) then return encode_list(v) end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    sort(keys)
    local out = {}
    for _, k in ipairs(keys) do out[#out + 1] = encode_string(k) .. ":" .. encode(v[k]) end
    return "{" .. concat(out, ",") .. "}"
  end
  error("hrsync.testing: cannot write a " .. tv .. " as JSON", 3)
end

-- ---- files -----------------------------------------------------------------------------------

local function write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

local function tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"), "hrsync.testing: cannot make a temporary folder")
  return p
end

-- The folder of the spec that called a public function (level: of that spec's frame).
local function caller_dir(level)
  local src = debug.getinfo(level, "S").source
  if src:sub(1, 1) ~= "@" then return "." end
  return smatch(src:sub(2), "^(.*)/[^/]*$") or "."
end

local function absolute(path, base)
  if path:sub(1, 1) == "/" then return path end
  if base:sub(1, 1) ~= "/" then
    local pwd = os.getenv("PWD") or "."
    base = base == "." and pwd or (pwd .. "/" .. base)
  end
  return base .. "/" .. path
end

-- ---- building inputs ---------------------------------------------------------------------------

local counter = 0

local function ascii_word(s)
  return slower(sgsub(s or "", "[^%w]", ""))
end

local function merge(defaults, fields)
  for k, v in pairs(fields or {}) do
    if v == M.none then defaults[k] = nil else defaults[k] = v end
  end
  return defaults
end

--- A person record with defaults for every field not given.
function M.person(fields)
  if fields ~= nil and type(fields) ~= "table" then error("hrsync.testing.person: table expected", 2) end
  counter = counter + 1
  local p = {
    id = tostring(9000 + counter), first_name = "Alex", last_name = "Tester" .. counter,
    status = "active", department = "Engineering", position = "Engineer", office = "Berlin",
    hire_date = "2020-01-01",
  }
  local first = fields and fields.first_name or p.first_name
  local last = fields and fields.last_name or p.last_name
  p.email = ascii_word(first) .. "." .. ascii_word(last) .. "@example.com"
  return merge(p, fields)
end

--- An account in the directory before the cycle.
function M.user(fields)
  if type(fields) ~= "table" then error("hrsync.testing.user: table expected", 2) end
  local u = {}
  for k, v in pairs(fields) do if k ~= "upn" then u[k] = v end end
  u.userPrincipalName = fields.userPrincipalName or fields.upn
  if type(u.userPrincipalName) ~= "string" or not u.userPrincipalName:find("@", 1, true) then
    error("hrsync.testing.user: upn = 'name@domain' expected", 2)
  end
  local nick = smatch(u.userPrincipalName, "^([^@]+)@")
  if u.displayName == nil then u.displayName = nick end
  if u.mailNickname == nil then u.mailNickname = sgsub(nick, "[^%w%.%-_]", "") end
  if u.accountEnabled == nil then u.accountEnabled = true end
  return u
end

--- The directory before the cycle: users, groups (names, or { name, members }) and domains.
function M.directory(spec)
  spec = spec or {}
  if type(spec) ~= "table" then error("hrsync.testing.directory: table expected", 2) end
  local d = { users = {}, groups = {}, domains = {} }
  for _, u in ipairs(spec.users or {}) do d.users[#d.users + 1] = u.userPrincipalName and u or M.user(u) end
  for _, g in ipairs(spec.groups or {}) do
    if type(g) == "string" then g = { name = g } end
    local name = g.name or g.displayName
    if type(name) ~= "string" then error("hrsync.testing.directory: a group needs a name", 2) end
    d.groups[#d.groups + 1] = { displayName = name, members = g.members or {}, securityEnabled = true,
                                mailEnabled = false, mailNickname = sgsub(name, "[^%w]", "") }
  end
  for _, dom in ipairs(spec.domains or {}) do d.domains[#d.domains + 1] = dom end
  return d
end

local function seed_text(dir)
  dir = dir or M.directory{}
  local domains, seen = {}, {}
  local function add(dom) if dom and not seen[slower(dom)] then seen[slower(dom)] = true; domains[#domains + 1] = dom end end
  for _, dom in ipairs(DOMAINS) do add(dom) end
  for _, dom in ipairs(dir.domains or {}) do add(dom) end
  local groups = {}
  for i, g in ipairs(dir.groups or {}) do
    local copy = {}
    for k, v in pairs(g) do copy[k] = v end
    groups[i] = encode(copy):gsub('"members":{}', '"members":[]')
  end
  return '{"domains":' .. encode_list(domains) .. ',"users":' ..
    (#(dir.users or {}) > 0 and encode_list(dir.users) or "[]") ..
    ',"groups":[' .. concat(groups, ",") .. "]}"
end

-- ---- a scenario: one simulator and state file, one or more cycles ------------------------------

local Run = {}
Run.__index = Run

local Scenario = {}
Scenario.__index = Scenario

local function config_text(s, now)
  local extra = s.config or {}
  local guard = extra.guardrails and "" or [[
  guardrails = { max_disable = false, max_disable_ratio = false, max_group_remove = false,
                 max_rename = false, max_quarantined = false, max_quarantined_ratio = false },]]
  return sformat([[
return {
  now = %q,
  source = { type = "json", path = %q, records = "people", max_shrink = false },
  directory = { tenant = %q, client_id = %q, client_secret_file = %q, graph_url = %q, login_url = %q },
  policy = %q,
  state = %q,
%s
}
]], now, s.dir .. "/people.json", TENANT, CLIENT_ID, s.dir .. "/client-secret", s.sim:url() .. "/v1.0",
    s.sim:url(), s.policy, s.dir .. "/state.db", guard)
end

local function new_scenario(opts, base)
  if type(opts) ~= "table" then error("hrsync.testing: options table expected", 3) end
  if type(opts.policy) ~= "string" then error("hrsync.testing: policy = 'path/to/policy.lua' expected", 3) end
  local s = setmetatable({ base = base, config = opts.config }, Scenario)
  s.policy = absolute(opts.policy, base)
  s.dir = tmpdir()
  local secret = "testing-" .. tostring(os.time()) .. "-" .. tostring(counter)
  write(s.dir .. "/client-secret", secret .. "\n")
  write(s.dir .. "/seed.json", seed_text(opts.directory))
  local sim, err = hrsync.sim_start{ tenant = TENANT, client_id = CLIENT_ID, client_secret = secret,
                                     seed_file = s.dir .. "/seed.json" }
  if not sim then
    os.execute("rm -rf '" .. s.dir .. "'")
    error("hrsync.testing: the simulator did not start: " .. tostring(err), 3)
  end
  s.sim = sim
  return s
end

local function overrides_of(s)
  local ov = {}
  for k, v in pairs(s.config or {}) do ov[k] = v end
  return next(ov) and ov or nil
end

-- One cycle: writes the people, plans (and applies when apply), snapshots the directory.
local function cycle(s, opts, apply)
  opts = opts or {}
  if type(opts.people) ~= "table" then error("hrsync.testing: people = { testing.person{…}, … } expected", 3) end
  local now = opts.now or os.getenv("HRSYNC_NOW") or os.date("!%Y-%m-%d")
  write(s.dir .. "/people.json", '{"people":' .. (#opts.people > 0 and encode_list(opts.people) or "[]") .. "}")
  local config = write(s.dir .. "/config.lua", config_text(s, now))
  local run = setmetatable({ now = now }, Run)
  local plan, second, third
  if apply then plan, second, third = hrsync.sync(config, overrides_of(s))
  else plan, second = hrsync.plan(config, overrides_of(s)) end
  if plan then
    run.plan, run.result = plan, apply and second or nil
  else
    run.error, run.plan = second, third
  end
  run.directory = s.sim:snapshot()
  M.last = run
  if run.error and not opts.allow_error then
    error("hrsync.testing: the cycle failed: " .. tostring(run.error), 3)
  end
  return run
end

function Scenario:plan(opts) return cycle(self, opts, false) end
function Scenario:sync(opts) return cycle(self, opts, true) end

function Scenario:stop()
  if self.sim then self.sim:stop() end
  self.sim = nil
  if self.dir then os.execute("rm -rf '" .. self.dir .. "'") end
  self.dir = nil
end

--- Several cycles on one simulated directory: s:sync{ people, now }, s:plan{…}, s:stop().
function M.scenario(opts)
  local s = new_scenario(opts, caller_dir(3))
  return s
end

local function one_shot(opts, apply, base)
  local s = new_scenario(opts, base)
  local ok, run = pcall(cycle, s, opts, apply)
  s:stop()
  if not ok then error(run, 3) end
  return run
end

--- One plan (nothing is written): policy, people, directory, now, config.
function M.plan(opts)
  local run = one_shot(opts, false, caller_dir(3))
  return run
end

--- One sync (plan, then apply): policy, people, directory, now, config.
function M.sync(opts)
  local run = one_shot(opts, true, caller_dir(3))
  return run
end

-- ---- looking at a run ----------------------------------------------------------------------------

local function upns(run)
  local out = {}
  for _, u in ipairs(run.directory.users or {}) do out[#out + 1] = u.userPrincipalName end
  sort(out)
  return #out > 0 and concat(out, ", ") or "none"
end

local function show(v)
  if type(v) == "string" then return sformat("%q", v) end
  if type(v) == "table" then return encode(v) end
  return tostring(v)
end

function Run:plan_for(person_id)
  for _, c in ipairs(self.plan and self.plan.changes or {}) do
    if c.person == tostring(person_id) then return c end
  end
end

function Run:quarantine_for(person_id)
  for _, q in ipairs(self.plan and self.plan.quarantine or {}) do
    if q.person == tostring(person_id) or q.id == tostring(person_id) then return q.reason end
  end
end

function Run:account(upn)
  for _, u in ipairs(self.directory.users or {}) do
    if slower(u.userPrincipalName) == slower(upn) then return u end
  end
end

local function group_of(run, name)
  for _, g in ipairs(run.directory.groups or {}) do
    if g.displayName == name then return g end
  end
end

local function is_member(run, group, upn)
  local g = group_of(run, group)
  if not g then error(sformat("hrsync.testing: there is no group %q in the directory", group), 4) end
  local u = run:account(upn)
  if not u then error(sformat("hrsync.testing: there is no account %s (accounts: %s)", upn, upns(run)), 4) end
  for _, id in ipairs(g.members or {}) do
    if id == u.id then return true end
  end
  return false
end

function Run:expect_account(upn, attrs)
  local u = self:account(upn)
  if not u then error(sformat("expected an account %s; the directory has: %s", upn, upns(self)), 2) end
  for k, want in pairs(attrs or {}) do
    if u[k] ~= want then
      error(sformat("expected %s of %s to be %s, found %s", k, upn, show(want), show(u[k])), 2)
    end
  end
  return u
end

function Run:expect_no_account(upn)
  if self:account(upn) then error(sformat("expected no account %s, but there is one", upn), 2) end
end

function Run:expect_member(group, upn)
  if not is_member(self, group, upn) then error(sformat("expected %s to be a member of %s", upn, group), 2) end
end

function Run:expect_not_member(group, upn)
  if is_member(self, group, upn) then error(sformat("expected %s not to be a member of %s", upn, group), 2) end
end

function Run:expect_quarantined(person_id, pattern)
  local reason = self:quarantine_for(person_id)
  if not reason then error(sformat("expected person %s to be quarantined; they are not", tostring(person_id)), 2) end
  if pattern and not reason:find(pattern) then
    error(sformat("expected the quarantine reason of %s to match %q; it is: %s", tostring(person_id), pattern, reason), 2)
  end
  return reason
end

-- The same, on the last run.
for _, name in ipairs{ "plan_for", "quarantine_for", "account", "expect_account", "expect_no_account",
                       "expect_member", "expect_not_member", "expect_quarantined" } do
  M[name] = function(...)
    if not M.last then error("hrsync.testing." .. name .. ": no run yet (call testing.plan or testing.sync)", 2) end
    return M.last[name](M.last, ...)
  end
end

--- The folder of the spec that calls it (for paths next to the spec).
function M.here()
  return caller_dir(3)
end

M.json = encode

return M
