-- Plans as first-class objects, guardrails and the audit trail, as an admin meets them: a plan
-- stored with an id and applied later by that id; apply refused when HR or the directory changed
-- in between; a mass disable and a shrunken HR export stopped by a guardrail (exit code 3) until
-- the admin forces it; and `hrsync log` telling who was changed, how, and with which request-id.
local hrsync = require "hrsync"
local h = require "helpers"
local cjson = require "cjson"

local bin = (os.getenv("HRSYNC_BUILD_DIR") or "build") .. "/hrsync"

-- Runs a shell command; returns its output (stdout and stderr) and exit code.
local run = h.run

local function hrsync_cli(config, args)
  return run(string.format("'%s' -c '%s' %s", bin, config, args))
end

-- The demo company's CSV with the status of every person but those in keep set to inactive.
local function all_inactive_but(keep)
  local lines = {}
  for line in h.read(h.examples .. "/demo/people.csv"):gmatch("[^\n]+") do
    local id = line:match("^(%d+),")
    if id and not keep[id] then line = line:gsub(",active,", ",inactive,"):gsub(",leave,", ",inactive,") end
    lines[#lines + 1] = line
  end
  return table.concat(lines, "\n") .. "\n"
end

describe("stored plans", function()
  local sim, secret, dir, people, config

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    people = h.write(dir .. "/people.csv", h.read(h.examples .. "/demo/people.csv"))
    config = h.config(dir, sim, { secret = secret, source = string.format("{ type = 'csv', path = %q }", people) })
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("are saved by hrsync plan and applied by id, once", function()
    local out, code = hrsync_cli(config, "plan")
    assert.are.equal(2, code, out)
    local id = out:match("Saved as (p%-20261201%-%d%d%d%d); apply it with: hrsync apply p%-20261201%-%d%d%d%d\n")
    assert.is_string(id, out)
    assert.are.equal(3, #sim:snapshot().users, "planning writes nothing")

    out, code = hrsync_cli(config, "apply " .. id)
    assert.are.equal(0, code, out)
    assert.matches("Applied: %d+ created", out)
    assert.matches("Plan " .. id:gsub("%-", "%%-") .. " applied%.", out)
    local zoe = h.user_by_upn(sim:snapshot(), "zoe.mueller-luedenscheidt@example.com")
    assert.is_table(zoe)

    -- The same id again is refused, and nothing more is written.
    local writes = sim:stats().writes
    out, code = hrsync_cli(config, "apply " .. id)
    assert.are.equal(1, code, out)
    assert.matches("plan " .. id:gsub("%-", "%%-") .. " was already applied %(applied at ", out)
    assert.are.equal(writes, sim:stats().writes)

    -- An id that was never given out, and a missing one.
    out, code = hrsync_cli(config, "apply p-20261201-9999")
    assert.are.equal(1, code, out)
    assert.matches("no plan p%-20261201%-9999 in state file ", out)
    out, code = hrsync_cli(config, "apply")
    assert.are.equal(64, code, out)
  end)

  it("carry an id and the fingerprint of their inputs, in the Lua module and with --json", function()
    local plan = assert(hrsync.plan(config))
    assert.matches("^p%-20261201%-%d%d%d%d$", plan.id)
    assert.matches("^%x+$", plan.fingerprint)
    assert.are.equal(64, #plan.fingerprint)
    assert.are.same({}, plan.guardrails)
    -- Nothing changed: the same plan, the same id.
    local out, code = hrsync_cli(config, "plan --json")
    assert.are.equal(2, code, out)
    local doc = cjson.decode(out)
    assert.are.equal(plan.id, doc.id)
    assert.are.equal(plan.fingerprint, doc.fingerprint)

    local applied, result = assert(hrsync.apply(config, plan.id))
    assert.are.equal(plan.id, applied.id)
    assert.are.equal(0, result.failed)
    assert.are.equal(plan.summary.create, result.created)
    local again, err = hrsync.apply(config, plan.id)
    assert.is_nil(again)
    assert.matches("was already applied", err)
  end)

  it("are refused when HR changed since the plan was made", function()
    local plan = assert(hrsync.plan(config))
    h.write(people, h.read(people):gsub("Senior Backend Engineer", "Staff Engineer"))
    local out, code = hrsync_cli(config, "apply " .. plan.id)
    assert.are.equal(1, code, out)
    assert.are.equal("hrsync: error: HR or the directory changed since plan " .. plan.id ..
                     " was made: run hrsync plan again (changed: the HR records)\n", out)
    assert.are.equal(0, sim:stats().writes)
    -- A new plan sees the change and applies.
    local fresh = assert(hrsync.plan(config))
    assert.are_not.equal(plan.id, fresh.id)
    assert.are_not.equal(plan.fingerprint, fresh.fingerprint)
    local _, result = assert(hrsync.apply(config, fresh.id))
    assert.are.equal(0, result.failed)
    assert.are.equal("Staff Engineer", h.user_by_upn(sim:snapshot(), "zoe.mueller-luedenscheidt@example.com").jobTitle)
  end)

  it("are refused when the directory changed since the plan was made", function()
    local plan = assert(hrsync.plan(config))
    -- Meanwhile another tool (here: a second hrsync with its own state) creates an account.
    local other = h.tmpdir()
    local one = h.write(other .. "/people.csv", "id,first_name,last_name,email,status,department,position,office,hire_date\n" ..
                        "2001,Ada,Fischer,ada.fischer@example.com,active,Engineering,Engineer,Berlin,2020-01-01\n")
    local other_config = h.config(other, sim, { secret = secret, source = string.format("{ type = 'csv', path = %q }", one) })
    local _, created = assert(hrsync.sync(other_config))
    assert.are.equal(1, created.created)
    os.execute("rm -rf '" .. other .. "'")

    local writes = sim:stats().writes
    local applied, err = hrsync.apply(config, plan.id)
    assert.is_nil(applied)
    assert.are.equal("HR or the directory changed since plan " .. plan.id ..
                     " was made: run hrsync plan again (changed: the directory)", err)
    assert.are.equal(writes, sim:stats().writes)
  end)
end)

describe("guardrails", function()
  local sim, secret, dir, people, config

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    people = h.write(dir .. "/people.csv", h.read(h.examples .. "/demo/people.csv"))
    config = h.config(dir, sim, { secret = secret, source = string.format("{ type = 'csv', path = %q }", people),
                                  extra = "guardrails = { max_disable = 5, max_disable_ratio = false }," })
    local _, result = assert(hrsync.sync(config))
    assert.are.equal(0, result.failed)
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  local function enabled_count()
    local n = 0
    for _, u in ipairs(sim:snapshot().users) do
      if u.accountEnabled and u.employeeId then n = n + 1 end
    end
    return n
  end

  it("stop a mass disable until the admin forces the plan", function()
    -- Nearly everyone is inactive in the HR export.
    h.write(people, all_inactive_but{ ["1007"] = true, ["1001"] = true })
    local before, writes = enabled_count(), sim:stats().writes
    local out, code = hrsync_cli(config, "sync")
    assert.are.equal(3, code, out)
    local n, id = out:match("hrsync: error: guardrail: (%d+) disables exceed max_disable = 5; review the plan and run " ..
                            "hrsync apply (p%-20261201%-%d+) %-%-force\n")
    assert.is_string(id, out)
    assert.is_true(tonumber(n) > 5)
    assert.matches("! guardrail: " .. n .. " disables exceed max_disable = 5\n", out, 1, true)
    assert.are.equal(writes, sim:stats().writes, "nothing was applied")
    assert.are.equal(before, enabled_count())

    -- apply without --force is stopped the same way; with --force the accounts are disabled.
    out, code = hrsync_cli(config, "apply " .. id)
    assert.are.equal(3, code, out)
    assert.are.equal(writes, sim:stats().writes)
    out, code = hrsync_cli(config, "apply " .. id .. " --force")
    assert.are.equal(0, code, out)
    assert.matches(", " .. n .. " disabled, ", out, 1, true)
    assert.are.equal(before - tonumber(n), enabled_count())
    local disabled = assert(hrsync.log(config, { action = "disable" }))
    assert.are.equal(tonumber(n), #disabled)
    for _, ev in ipairs(disabled) do
      assert.are.equal(id, ev.plan)
      assert.are.equal("ok", ev.result)
    end
  end)

  it("stop the cycle when the HR export shrinks, before anything is applied", function()
    local rows = {}
    for line in h.read(people):gmatch("[^\n]+") do
      if #rows < 4 then rows[#rows + 1] = line end  -- the header and three people of thirteen
    end
    h.write(people, table.concat(rows, "\n") .. "\n")
    local writes = sim:stats().writes
    local plan, err, stopped = hrsync.sync(config)
    assert.is_nil(plan)
    -- The shrink comes first; the disables of the people "gone" from the export follow from it.
    assert.matches("^guardrail: the source returned 3 people where the last full read had 13 %(77%% fewer, more than " ..
                   "the 20%% that source%.max_shrink allows%)", err)
    assert.matches("review the plan and run hrsync apply " .. stopped.id:gsub("%-", "%%-") .. " %-%-force$", err)
    assert.are.equal("max_shrink", stopped.guardrails[1].rule)
    assert.are.equal(writes, sim:stats().writes)
    -- Forced, the same plan goes through past its guardrails; the smaller export is the new baseline.
    local forced, result = assert(hrsync.sync(config, nil, { force = true }))
    assert.are.equal(stopped.id, forced.id)
    assert.are.equal("max_shrink", forced.guardrails[1].rule)
    assert.are.equal(0, result.failed)
    assert.is_true(sim:stats().writes > writes)
    assert.are.same({}, assert(hrsync.plan(config)).guardrails)
  end)
end)

describe("the audit trail", function()
  local sim, secret, dir, config

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    config = h.config(dir, sim, { secret = secret })
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("has an event per operation of a sync, and hrsync log filters it by person", function()
    local plan, result = assert(hrsync.sync(config))
    assert.are.equal(0, result.failed)
    local events = assert(hrsync.log(config))
    local creates = assert(hrsync.log(config, { action = "create" }))
    assert.are.equal(result.created, #creates)

    -- The JSON lines next to the state file hold the same events, and no password.
    local text = h.read(dir .. "/audit.jsonl")
    local lines = 0
    for line in text:gmatch("[^\n]+") do
      lines = lines + 1
      local ev = cjson.decode(line)
      assert.are.equal(plan.id, ev.plan)
    end
    assert.are.equal(#events, lines)
    assert.is_nil(text:find("password", 1, true))

    local out, code = hrsync_cli(config, "log --person 1002")
    assert.are.equal(0, code, out)
    assert.matches("ok      create  Zoë Müller%-Lüdenscheidt %(1002%)  zoe%.mueller%-luedenscheidt@example%.com  " ..
                   plan.id:gsub("%-", "%%-") .. "\n", out)
    assert.matches("      jobTitle               \"Senior Backend Engineer\"\n", out, 1, true)
    assert.matches("ok      add to group SG%-Engineering  Zoë Müller%-Lüdenscheidt %(1002%)", out)
    local headers = 0
    for line in out:gmatch("[^\n]+") do
      if line:match("^%d%d%d%d%-%d%d%-%d%dT") then
        headers = headers + 1
        assert.truthy(line:find("(1002)", 1, true), "only Zoë's events: " .. line)
      end
    end
    assert.is_true(headers >= 2)

    out, code = hrsync_cli(config, "log --person 1001 --json")
    assert.are.equal(0, code, out)
    local katrin = cjson.decode(out)
    assert.is_true(#katrin >= 2)
    for _, ev in ipairs(katrin) do
      assert.are.equal("1001", ev.person)
      assert.are.equal("katrin.vogel@example.com", ev.upn)
      assert.is_string(ev.object_id)
      assert.is_string(ev.request_id)
    end
    local update = katrin[1]
    assert.are.equal("update", update.action)
    local seen = {}
    for _, c in ipairs(update.changes) do seen[c.attribute] = c end
    assert.are.equal("Engineering Lead", seen.jobTitle.old)
    assert.are.equal("Head of Engineering", seen.jobTitle.new)

    -- Time filters: nothing before the first event, everything up to far ahead.
    out, code = hrsync_cli(config, "log --until 2000-01-01")
    assert.are.equal(0, code, out)
    assert.are.equal("No audit events match.\n", out)
    local all = cjson.decode((hrsync_cli(config, "log --since 2000-01-01 --until 2999-12-31 --json")))
    assert.are.equal(#events, #all)
    out, code = hrsync_cli(config, "log --since yesterday")
    assert.are.equal(1, code, out)
    assert.matches("%-%-since 'yesterday' is not a date", out)
  end)
end)
