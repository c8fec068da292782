-- The walking skeleton end to end: the sample company (a CSV export and the demo policy) synced
-- through the real engine into the simulated Microsoft Graph, then synced again with nothing
-- left to do; and the bad inputs that must stop a run with one clear message.
local hrsync = require "hrsync"
local h = require "helpers"

describe("a sync cycle of the sample company", function()
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

  it("plans accounts for the people in scope and changes nothing while planning", function()
    local plan = assert(hrsync.plan(config))
    local before = sim:snapshot()
    assert.are.equal(3, #before.users)           -- the seed only
    assert.is_true(plan.summary.create >= 8)
    -- Diacritics are folded the German way, hyphens kept.
    local zoe = h.changes_for(plan, "1002")
    assert.are.equal("create", zoe.action)
    assert.are.equal("zoe.mueller-luedenscheidt@example.com", zoe.upn)
    assert.are.equal("Müller-Lüdenscheidt", zoe.attributes.surname)
    -- An inactive leaver is out of scope; an onboarding starter weeks before the first day too.
    assert.is_nil(h.changes_for(plan, "1005"))
    assert.is_nil(h.changes_for(plan, "1003"))
    -- Katrin's existing account is linked by her email and gets her employeeId written.
    local katrin = h.changes_for(plan, "1001")
    assert.are.equal("update", katrin.action)
    assert.are.equal("email = userPrincipalName", katrin.linked_by)
    -- Planning wrote nothing.
    assert.are.equal(3, #sim:snapshot().users)
  end)

  it("creates the accounts, puts them into their groups, and a second run plans nothing", function()
    local plan, result = hrsync.sync(config)
    assert.is_table(plan, result)
    assert.are.equal(0, result.failed)
    assert.are.equal(plan.summary.create, result.created)
    local snap = sim:snapshot()
    local zoe = h.user_by_upn(snap, "zoe.mueller-luedenscheidt@example.com")
    assert.is_table(zoe)
    assert.are.equal("1002", zoe.employeeId)
    assert.are.equal("Engineering", zoe.department)
    assert.is_true(zoe.accountEnabled)
    assert.is_true(h.is_member(snap, "SG-Engineering", zoe))
    -- The Finance starter is in the Finance group, the women in the Women's group.
    local anna = h.user_by_upn(snap, "anna.schmidt2@example.com")
    assert.is_table(anna, "the disabled account holding anna.schmidt@ moves Anna to the next candidate")
    assert.is_true(h.is_member(snap, "SG-Finance", anna))
    assert.is_true(h.is_member(snap, "Women", anna))
    local katrin = h.user_by_upn(snap, "katrin.vogel@example.com")
    assert.are.equal("1001", katrin.employeeId)
    assert.are.equal(3 + result.created, #snap.users)

    local writes = sim:stats().writes
    local again = assert(hrsync.plan(config))
    assert.are.equal(0, #again.changes)
    local _, second = hrsync.sync(config)
    assert.are.equal(0, second.created + second.updated + second.group_added)
    assert.are.equal(writes, sim:stats().writes)
  end)

  it("sends only the attribute that changed when HR changes one", function()
    assert(hrsync.sync(config))
    local csv = h.read(h.examples .. "/demo/people.csv"):gsub("Senior Backend Engineer", "Staff Engineer")
    local people = h.write(dir .. "/people.csv", csv)
    local moved = h.config(dir, sim, { secret = secret, source = string.format("{ type = 'csv', path = %q }", people) })
    local plan = assert(hrsync.plan(moved))
    assert.are.equal(1, #plan.changes)
    local c = plan.changes[1]
    assert.are.equal("1002", c.person)
    assert.are.same({ { attribute = "jobTitle", old = "Senior Backend Engineer", new = "Staff Engineer" } }, c.changes)
    local _, result = hrsync.sync(moved)
    assert.are.equal(1, result.updated)
    assert.are.equal("Staff Engineer", h.user_by_upn(sim:snapshot(), "zoe.mueller-luedenscheidt@example.com").jobTitle)
  end)
end)

describe("bad input ends with one clear message and nothing written", function()
  local sim, secret, dir

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("names the file and line of a config syntax error", function()
    local config = h.write(dir .. "/config.lua", "return {\n  source = { type = 'csv' \n  policy = 'x.lua',\n}\n")
    local plan, err = hrsync.plan(config)
    assert.is_nil(plan)
    assert.matches("config%.lua:3:", err)
  end)

  it("refuses a secret written into the config", function()
    local config = h.config(dir, sim, { secret = secret })
    h.write(config, h.read(config):gsub("client_secret_file = [^\n]*", "client_secret = 'hunter2-not-here',"))
    local plan, err = hrsync.plan(config)
    assert.is_nil(plan)
    assert.matches("config%.lua:%d+: directory%.client_secret: secrets are not read from the config file", err)
    assert.is_nil(err:find("hunter2", 1, true))
  end)

  it("names the file and line of a policy syntax error", function()
    local policy = h.write(dir .. "/policy.lua", "return {\n  include = function(p) return p.status == 'active' end,\n  attributes = function(p) return { givenName = } end,\n}\n")
    local plan, err = hrsync.plan(h.config(dir, sim, { secret = secret, policy = policy }))
    assert.is_nil(plan)
    assert.matches("policy%.lua:3:", err)
  end)

  it("names an unreadable source file", function()
    local plan, err = hrsync.plan(h.config(dir, sim, { secret = secret, source = "{ type = 'csv', path = '/nonexistent/people.csv' }" }))
    assert.is_nil(plan)
    assert.matches("/nonexistent/people.csv", err, 1, true)
  end)

  it("reports a refused token with the AADSTS code, never the secret", function()
    local config = h.config(dir, sim, { secret = "wrong-secret-value" })
    local plan, err = hrsync.plan(config)
    assert.is_nil(plan)
    assert.matches("HTTP 401", err)
    assert.matches("AADSTS7000215", err)
    assert.is_nil(err:find("wrong-secret-value", 1, true))
    assert.are.equal(3, #sim:snapshot().users)
  end)

  it("reports an unreachable directory URL", function()
    local config = h.config(dir, sim, { secret = secret })
    h.write(config, h.read(config):gsub(sim:url(), "http://127.0.0.1:9"))
    local plan, err = hrsync.plan(config)
    assert.is_nil(plan)
    assert.matches("cannot reach http://127.0.0.1:9", err, 1, true)
  end)
end)
