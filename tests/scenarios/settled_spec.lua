-- A cycle in which nothing changed (engine/engine_settle.c): once a cycle finds nothing to do,
-- an incremental cycle (as the daemon runs between full reconciles) whose source file, directory
-- (an empty delta round), managed groups, policy, config and date are all the same reuses that
-- plan without running the policy. Every kind of change must still reach the plan: an edited HR
-- record, an account or a group membership changed by hand in Entra, an edited policy, a new
-- day; and a full reconcile, or a setup without delta queries, always plans in full.
local hrsync = require "hrsync"
local h = require "helpers"

local INCREMENTAL = { incremental = true }

describe("a cycle in which nothing changed", function()
  local sim, secret, dir, config, csv, policy
  local ov = { directory = { delta = true } }

  local function plan(opts, overrides) return assert(hrsync.plan(config, overrides or ov, opts)) end

  local function settled(p) return p.settled_since ~= nil end

  -- Syncs until the directory is in step, then a full plan records the memo.
  local function converge()
    local _, result = hrsync.sync(config, ov)
    assert.are.equal(0, result.failed)
    local full = plan()
    assert.are.equal(0, #full.changes, hrsync.format_plan(full))
    assert.is_false(settled(full))
    return full
  end

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    csv = h.write(dir .. "/people.csv", h.read(h.examples .. "/demo/people.csv"))
    policy = h.write(dir .. "/policy.lua", h.read(h.examples .. "/demo/policy.lua"))
    config = h.config(dir, sim, { secret = secret, policy = policy,
                                  source = string.format("{ type = 'csv', path = %q }", csv) })
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("reuses the last plan with nothing to do, and says since when", function()
    local full = converge()
    local again = plan(INCREMENTAL)
    assert.is_true(settled(again))
    assert.are.equal(0, #again.changes)
    assert.are.same(full.summary, again.summary)
    assert.are.equal(full.fingerprint, again.fingerprint)
    local said = false
    for _, n in ipairs(again.notes) do said = said or n:find("nothing changed since", 1, true) ~= nil end
    assert.is_true(said, "a note says nothing changed")
    -- and again: the memo holds as long as nothing changes
    assert.is_true(settled(plan(INCREMENTAL)))
  end)

  it("plans in full for a full reconcile and without delta queries", function()
    converge()
    assert.is_false(settled(plan()))                                   -- not incremental
    assert.is_true(settled(plan(INCREMENTAL)))
    assert.is_false(settled(plan(INCREMENTAL, {})))                    -- delta off: in full,
    assert.is_false(settled(plan(INCREMENTAL)))                        -- and the memo is gone
    assert.is_true(settled(plan(INCREMENTAL)))
  end)

  it("sees an edited HR record", function()
    converge()
    local text = h.read(csv):gsub("Senior Backend Engineer", "Staff Engineer")
    h.write(csv, text)
    local p = plan(INCREMENTAL)
    assert.is_false(settled(p))
    local c = h.changes_for(p, "1002")
    assert.are.same({ { attribute = "jobTitle", old = "Senior Backend Engineer", new = "Staff Engineer" } }, c.changes)
  end)

  it("sees an account changed by hand, and the delta round that showed it is not lost", function()
    converge()
    local zoe = h.user_by_upn(sim:snapshot(), "zoe.mueller-luedenscheidt@example.com")
    assert(hrsync.graph(config, "PATCH", "/users/" .. zoe.id, { jobTitle = "Chief Everything" }))
    local p = plan(INCREMENTAL)
    assert.is_false(settled(p))
    assert.are.same({ { attribute = "jobTitle", old = "Chief Everything", new = "Senior Backend Engineer" } },
                    h.changes_for(p, "1002").changes)
    -- The next cycle still sees it (the round was stored with the plan's read, not dropped).
    assert.is_false(settled(plan(INCREMENTAL)))
    assert.is_table(h.changes_for(plan(INCREMENTAL), "1002"))
  end)

  it("sees a group membership removed by hand", function()
    converge()
    local snap = sim:snapshot()
    local katrin = h.user_by_upn(snap, "katrin.vogel@example.com")
    local women = h.group(snap, "Women")
    assert.is_true(h.is_member(snap, "Women", katrin))
    assert(hrsync.graph(config, "DELETE", "/groups/" .. women.id .. "/members/" .. katrin.id .. "/$ref"))
    local p = plan(INCREMENTAL)
    assert.is_false(settled(p))
    local c = h.changes_for(p, "1001")
    assert.are.equal("Women", c.groups_add[1].group)
  end)

  it("sees an edited policy and a new day", function()
    converge()
    h.write(policy, (h.read(policy):gsub('"Example GmbH"', '"Example Holding"')))
    local p = plan(INCREMENTAL)
    assert.is_false(settled(p))
    assert.is_true(#p.changes > 0)
    -- back as it was: the memo of the old policy no longer holds (a full plan made the new one)
    h.write(policy, h.read(h.examples .. "/demo/policy.lua"))
    assert.is_false(settled(plan(INCREMENTAL)))
    assert.is_true(settled(plan(INCREMENTAL)))
    -- Liam starts on 2027-01-04: seven days before, he comes into scope.
    local later = { directory = { delta = true }, now = "2026-12-28" }
    local next_day = plan(INCREMENTAL, later)
    assert.is_false(settled(next_day))
    assert.are.equal("create", h.changes_for(next_day, "1003").action)
  end)

  it("never plans differently from a full plan, whatever happens between cycles", function()
    -- A fixed sequence of random events; after each, the incremental plan (which may reuse the
    -- memo) must list exactly the changes a full plan of the same moment lists.
    converge()
    math.randomseed(20261201)
    local titles = { "Senior Backend Engineer", "Staff Engineer", "Principal Engineer" }
    local events = {
      function() -- HR edits Zoë's title
        local text = h.read(csv)
        local from
        for _, t in ipairs(titles) do if text:find(t, 1, true) then from = t end end
        h.write(csv, (text:gsub(from, titles[math.random(#titles)])))
      end,
      function() -- an admin edits Zoë's account
        local zoe = h.user_by_upn(sim:snapshot(), "zoe.mueller-luedenscheidt@example.com")
        assert(hrsync.graph(config, "PATCH", "/users/" .. zoe.id, { officeLocation = "Room " .. math.random(99) }))
      end,
      function() -- an admin takes Katrin out of Women (when she is in it)
        local snap = sim:snapshot()
        local katrin, women = h.user_by_upn(snap, "katrin.vogel@example.com"), h.group(snap, "Women")
        if h.is_member(snap, "Women", katrin) then
          assert(hrsync.graph(config, "DELETE", "/groups/" .. women.id .. "/members/" .. katrin.id .. "/$ref"))
        end
      end,
      function() -- a sync applies whatever is pending
        local _, result = hrsync.sync(config, ov, INCREMENTAL)
        assert.are.equal(0, result and result.failed or 0)
      end,
      function() end, -- nothing happens
      function() end,
    }
    local used = 0
    for step = 1, 24 do
      events[math.random(#events)]()
      local incr = plan(INCREMENTAL)
      local full = plan()
      if settled(incr) then used = used + 1 end
      assert.are.same(full.changes, incr.changes, "step " .. step)
      assert.are.same(full.summary, incr.summary, "step " .. step)
    end
    assert.is_true(used > 0, "the memo was used at least once")
  end)

  it("is forgotten once anything is applied", function()
    converge()
    h.write(csv, (h.read(csv):gsub("Senior Backend Engineer", "Staff Engineer")))
    local _, result = hrsync.sync(config, ov, INCREMENTAL)
    assert.are.equal(1, result.updated)
    local p = plan(INCREMENTAL)                                         -- after an apply: in full
    assert.is_false(settled(p))
    assert.are.equal(0, #p.changes)
    assert.is_true(settled(plan(INCREMENTAL)))
  end)
end)
