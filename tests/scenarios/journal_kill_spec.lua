-- The crash-safe journal, proven the hard way: the real `hrsync` program applies a sample plan
-- (joiners, a mover, a rename, a leaver, managers, a UPN collision) against the `hrsync-sim`
-- program, and is made to die (_exit(137), as kill -9 would leave it) right after each journal
-- boundary in turn: N = 1, 2, … until a run gets through. After each crash a plain
-- `hrsync sync` must finish the work so that the directory equals the one an uninterrupted run
-- leaves (same UPNs, no duplicate account, every membership and manager), with every journaled
-- operation done.
local hrsync = require "hrsync"
local h = require "helpers"
local cjson = require "cjson"

local build = os.getenv("HRSYNC_BUILD_DIR") or "build"
local bin, sim_bin = build .. "/hrsync", build .. "/hrsync-sim"

local HEADER = "id,first_name,last_name,preferred_name,email,status,department,position,office,supervisor_id,hire_date,termination_date,gender\n"

local BEFORE = {
  "3101,Greta,Hahn,,,active,Engineering,Head of Engineering,Berlin,,2018-01-01,,female",
  "3102,Moritz,Kraft,,,active,Engineering,Engineer,Berlin,3101,2019-01-01,,male",
  "3103,Selin,Aydin,,,active,Finance,Accountant,Berlin,3101,2019-01-01,,female",
  "3104,Timo,Berger,,,active,Sales,Sales Rep,Berlin,3101,2019-01-01,2026-12-31,male",
  "3105,Uwe,Frank,,,active,Sales,Sales Rep,Berlin,3101,2019-01-01,,male",
}

local AFTER = {
  "3101,Greta,Hahn,,,active,Engineering,Head of Engineering,Berlin,,2018-01-01,,female",
  "3102,Moritz,Kraft,,,active,Sales,Sales Engineer,Berlin,3106,2019-01-01,,male",          -- mover, new manager
  "3103,Selin,Demir,,,active,Finance,Accountant,Berlin,3101,2019-01-01,,female",           -- name change: rename
  "3104,Timo,Berger,,,inactive,Sales,Sales Rep,Berlin,3101,2019-01-01,2026-12-31,male",    -- leaver
  "3105,Uwe,Frank,,,active,Sales,Sales Rep,Berlin,3101,2019-01-01,,male",
  "3107,Willi,Jung,,,active,Sales,Sales Rep,Berlin,3106,2026-11-20,,male",                 -- manager created below
  "3106,Vera,Lorenz,,,active,Sales,Head of Sales,Berlin,3101,2026-11-20,,female",
  "3108,Anna,Schmidt,,,active,Finance,Controller,Berlin,,2026-11-20,,female",              -- anna.schmidt@ is taken
}

local POLICY = [[
local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local groups = require("hrsync.groups")
local in_scope = include.all{ include.status{ "active" }, include.until_termination{} }
return {
  include = function(p) return in_scope(p) end,
  attributes = function(p)
    return attr.build{ givenName = p.first_name, surname = p.last_name, displayName = attr.display_name(p),
                       department = p.department, jobTitle = p.position, employeeId = p.id }
  end,
  upn = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com", fold = "de" },
  groups = groups.hook{ groups.by_attribute("department", "SG-{value}"),
                        groups.rule{ name = "women", where = { gender = "female" }, group = "Women" } },
  lifecycle = { rename_upn = true, leaver = { set_leave_date = true } },
}
]]

-- Runs a shell command; returns its exit code and output.
local function sh(cmd)
  local out, code = h.run(cmd)
  return code, out
end

local function copy(from, to)
  local code = sh(string.format("rm -f '%s' '%s-wal' '%s-shm' && if [ -e '%s' ]; then cp '%s' '%s'; fi && "
                                .. "for x in wal shm; do if [ -e '%s-'$x ]; then cp '%s-'$x '%s-'$x; fi; done",
                                to, to, to, from, from, to, from, from, to))
  assert.are.equal(0, code)
end

-- The directory as a comparable table: users by UPN (with their manager's UPN and whether their
-- sessions were revoked) and the members of each group by UPN.
local function normalise(state)
  local by_id = {}
  for _, u in ipairs(state.users) do by_id[u.id] = u end
  local users, count = {}, {}
  for _, u in ipairs(state.users) do
    users[u.userPrincipalName:lower()] = {
      accountEnabled = u.accountEnabled, displayName = u.displayName, givenName = u.givenName, surname = u.surname,
      department = u.department, jobTitle = u.jobTitle, employeeId = u.employeeId,
      employeeLeaveDateTime = u.employeeLeaveDateTime,
      manager = u.manager and by_id[u.manager] and by_id[u.manager].userPrincipalName:lower() or nil,
      revoked = u.signInSessionsValidFromDateTime ~= nil,
    }
    if u.employeeId then count[u.employeeId] = (count[u.employeeId] or 0) + 1 end
  end
  local groups = {}
  for _, g in ipairs(state.groups) do
    local members = {}
    for _, id in ipairs(g.members or {}) do members[#members + 1] = by_id[id].userPrincipalName:lower() end
    table.sort(members)
    groups[g.displayName] = members
  end
  return { users = users, groups = groups }, count
end

describe("a sync killed at every journal boundary", function()
  local dir, secret, sim_pid, port, config, reference, sample

  local sim_pipe
  -- Starts hrsync-sim as this process's child (so it is reaped when stopped): the shell prints
  -- its pid and execs the simulator, which prints the address it listens on.
  local function start_sim()
    sim_pipe = assert(io.popen(string.format(
      "echo $$; exec env HRSYNC_TEST_SIM_SECRET='%s' '%s' --state '%s/directory.json' --seed '%s' --tenant example.com "
      .. "--client-id 11111111-2222-3333-4444-555555555555 --client-secret-env HRSYNC_TEST_SIM_SECRET 2>&1",
      secret, sim_bin, dir, h.examples .. "/demo/directory-seed.json")))
    sim_pid = sim_pipe:read("l")
    local line = sim_pipe:read("l") or ""
    port = line:match("listening on http://127%.0%.0%.1:(%d+)")
    assert.is_not_nil(port, "hrsync-sim did not start: " .. line)
    config = h.config(dir, { url = function() return "http://127.0.0.1:" .. port end }, {
      secret = secret, policy = dir .. "/policy.lua",
      source = string.format("{ type = 'csv', path = %q, max_shrink = false }", dir .. "/people.csv"),
      extra = "guardrails = { max_disable_ratio = false, max_quarantined_ratio = false, max_rename = false },",
    })
  end

  -- Returns the directory (the simulator writes its state file before it answers a write) and
  -- stops the simulator.
  local function stop_sim()
    local state = cjson.decode(h.read(dir .. "/directory.json"))
    assert.are.equal(0, (sh("kill -KILL " .. sim_pid)))
    sim_pipe:close()
    return state
  end

  local function sync(env)
    return sh(string.format("%s '%s' -c '%s' sync", env or "", bin, config))
  end

  -- Puts the directory and hrsync's state back to how the first sync left them.
  local function restore()
    copy(dir .. "/base-directory.json", dir .. "/directory.json")
    copy(dir .. "/base-state.db", dir .. "/state.db")
    h.write(dir .. "/people.csv", HEADER .. table.concat(AFTER, "\n") .. "\n")
  end

  local function assert_all_done()
    local ops = assert(hrsync.journal(config))
    local open = {}
    for _, o in ipairs(ops) do
      if o.status ~= "done" then open[#open + 1] = o.run_id .. "/" .. o.seq .. " " .. o.kind .. " " .. o.status end
    end
    assert.are.same({}, open)
    return ops
  end

  setup(function()
    dir = h.tmpdir()
    secret = "s3cret-kill-" .. tostring(math.random(1e9))
    h.write(dir .. "/policy.lua", POLICY)
    h.write(dir .. "/people.csv", HEADER .. table.concat(BEFORE, "\n") .. "\n")
    -- The starting point: the company before, synced once.
    start_sim()
    local code, out = sync()
    assert.are.equal(0, code, out)
    stop_sim()
    copy(dir .. "/directory.json", dir .. "/base-directory.json")
    copy(dir .. "/state.db", dir .. "/base-state.db")
    -- The reference: the company after, synced without interruption.
    restore()
    start_sim()
    code, out = sync()
    assert.are.equal(0, code, out)
    local ops = assert_all_done()
    reference = normalise(stop_sim())
    sample = 0
    for _, o in ipairs(ops) do if o.run_id == ops[#ops].run_id then sample = sample + 1 end end
  end)

  teardown(function()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("finishes the work after a crash at any boundary, with no duplicate and nothing lost", function()
    assert.is_true(sample >= 20, "the sample plan has " .. sample .. " operations")
    -- What the plan did, so that the comparison means something.
    assert.is_table(reference.users["anna.schmidt2@example.com"])
    assert.are.equal("vera.lorenz@example.com", reference.users["willi.jung@example.com"].manager)
    assert.are.equal("vera.lorenz@example.com", reference.users["moritz.kraft@example.com"].manager)
    assert.is_table(reference.users["selin.demir@example.com"])
    assert.is_nil(reference.users["selin.aydin@example.com"])
    assert.is_false(reference.users["timo.berger@example.com"].accountEnabled)
    assert.is_true(reference.users["timo.berger@example.com"].revoked)
    assert.are.same({ "anna.schmidt2@example.com", "greta.hahn@example.com", "selin.demir@example.com", "vera.lorenz@example.com" },
                    reference.groups["Women"])

    local boundaries, code, out = 0, nil, nil
    for n = 1, 500 do
      restore()
      start_sim()
      local crashed, cout = sync("HRSYNC_CRASH_AFTER=" .. n)
      if crashed == 0 then
        stop_sim()
        break
      end
      assert.are.equal(137, crashed, "crash run " .. n .. ": " .. cout)
      boundaries = n
      if n == 2 then
        -- A plan made now says what is unfinished (and plans around the UPNs it reserves).
        local pcode, pout = sh(string.format("'%s' -c '%s' plan", bin, config))
        assert.are.equal(2, pcode, pout)
        assert.matches("note: an interrupted run left 20 operations unfinished; the next sync finishes them first", pout, 1, true)
      end
      code, out = sync()
      assert.are.equal(0, code, "after a crash at boundary " .. n .. ": " .. out)
      assert_all_done()
      local got, count = normalise(stop_sim())
      for eid, k in pairs(count) do assert.are.equal(1, k, "accounts with employeeId " .. eid .. " after crash " .. n) end
      assert.are.same(reference, got, "directory after a crash at boundary " .. n)
    end
    -- Every operation is journaled, marked sent and marked done, and each batch's answer is a
    -- boundary of its own: well over twice the operations.
    assert.is_true(boundaries > 2 * sample, boundaries .. " boundaries for " .. sample .. " operations")
    print(string.format("# kill test: %d operations, crashed at each of %d boundaries", sample, boundaries))
  end)

  it("gets there even when every run dies after its first boundary", function()
    restore()
    start_sim()
    local runs = 0
    repeat
      local code, out = sync("HRSYNC_CRASH_AFTER=1")
      runs = runs + 1
      assert.is_true(code == 137 or code == 0, out)
    until code == 0 or runs > 300
    local code, out = sync()
    assert.are.equal(0, code, out)
    assert_all_done()
    local got, count = normalise(stop_sim())
    for eid, k in pairs(count) do assert.are.equal(1, k, "accounts with employeeId " .. eid) end
    assert.are.same(reference, got)
    assert.is_true(runs > 2 * sample, runs .. " runs")
  end)
end)
