-- Changing a policy while hrsync runs, and the tools that show what a policy does: a hot reload
-- that succeeds, reloads that fail and keep the running policy, `hrsync check` (problems as
-- file:line and the difference an edit makes) and `hrsync explain PERSON`.
local hrsync = require "hrsync"
local h = require "helpers"

local bin = (os.getenv("HRSYNC_BUILD_DIR") or "build") .. "/hrsync"

-- Runs a shell command; returns its output (stdout and stderr) and exit code.
local run = h.run

local function demo_policy()
  return h.read(h.examples .. "/demo/policy.lua")
end

-- The demo policy with a replacement made (plain text, exactly once).
local function edited(from, to)
  local text = demo_policy()
  local i, j = text:find(from, 1, true)
  assert(i, "the demo policy no longer contains: " .. from)
  return text:sub(1, i - 1) .. to .. text:sub(j + 1)
end

describe("policy tools", function()
  local sim, secret, dir, policy, config

  before_each(function()
    hrsync.log_level("quiet")    -- reloads that fail are logged as errors: expected here
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    policy = h.write(dir .. "/policy.lua", demo_policy())
    config = h.config(dir, sim, { secret = secret, policy = policy })
  end)

  after_each(function()
    hrsync.log_level("warn")
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  describe("hot reload", function()
    it("swaps in a changed policy that works for the people of the last cycle", function()
      local e = assert(hrsync.open(config))
      local before = e:policy_status()
      assert.matches("^sha256:%x+$", before.version)
      local plan = assert(e:plan())
      assert.are.equal("Senior Backend Engineer", h.changes_for(plan, "1002").attributes.jobTitle)
      assert.is_false(e:maybe_reload())           -- the file did not change

      h.write(policy, edited("jobTitle = p.position,", "jobTitle = 'Team ' .. p.position,"))
      assert.is_true(e:maybe_reload())
      local after = e:policy_status()
      assert.are_not.equal(before.version, after.version)
      assert.is_nil(after.last_reload_error)
      assert.is_string(after.last_reload_at)
      plan = assert(e:plan())
      assert.are.equal("Team Senior Backend Engineer", h.changes_for(plan, "1002").attributes.jobTitle)
      assert.is_false(e:maybe_reload())
      e:close()
    end)

    it("keeps the running policy when the new one does not load, and reports file:line", function()
      local e = assert(hrsync.open(config))
      assert(e:plan())
      local version = e:policy_status().version
      h.write(policy, edited("department = p.department,", "department = p.department +,"))
      local ok, err = e:maybe_reload()
      assert.is_nil(ok)
      assert.matches("policy%.lua:%d+: unexpected symbol", err)
      local st = e:policy_status()
      assert.are.equal(version, st.version)
      assert.matches("policy%.lua:%d+:", st.last_reload_error)
      -- The old policy goes on deciding, and the same broken file is not tried again.
      local plan = assert(e:plan())
      assert.are.equal("Engineering", h.changes_for(plan, "1002").attributes.department)
      assert.is_false(e:maybe_reload())
      e:close()
    end)

    it("keeps the running policy when the new one fails for everyone it takes into scope", function()
      local e = assert(hrsync.open(config))
      assert(e:plan())
      local version = e:policy_status().version
      h.write(policy, edited("department = p.department,", "department = p.department .. p.no_such_field,"))
      local ok, err = e:reload_policy()            -- as on SIGHUP
      assert.is_nil(ok)
      assert.matches("the policy fails for 11 of the 13 people of the last cycle and takes none of the others into "
        .. "scope; the first failure: person %d+: hook 'attributes' failed: policy%.lua:%d+: attempt to concatenate", err)
      assert.are.equal(version, e:policy_status().version)
      assert.is_table(e:plan())

      -- Fixed: the reload goes through, and a failure for some people only quarantines them.
      h.write(policy, edited("department = p.department,", "department = p.id == '1002' and p.x.y or p.department,"))
      assert.is_true(e:reload_policy())
      local st = e:policy_status()
      assert.are_not.equal(version, st.version)
      assert.is_nil(st.last_reload_error)
      assert.are.equal(1, #st.problems)
      assert.are.equal("1002", st.problems[1].person)
      local plan = assert(e:plan())
      assert.is_nil(h.changes_for(plan, "1002"))
      assert.is_table(h.changes_for(plan, "1001"))
      e:close()
    end)

    it("tries a new policy on the persons the state file recorded when the engine has not read any", function()
      assert(hrsync.plan(config))                   -- a cycle records the persons
      local e = assert(hrsync.open(config))         -- a fresh engine, as after a restart
      h.write(policy, edited("return in_scope(person)", "error('no include today')"))
      local ok, err = e:reload_policy()
      assert.is_nil(ok)
      assert.matches("the policy fails for all 13 people of the last cycle; the first: person %d+: hook 'include' "
        .. "failed: policy%.lua:%d+: no include today", err)
      e:close()
    end)
  end)

  describe("hrsync check", function()
    it("says what an edit changes compared with the policy of the last cycle", function()
      assert(hrsync.sync(config))
      h.write(policy, edited([[groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },]],
        [[groups.rule{ name = "women", where = { gender = "female" }, group = "Women" },
  groups.rule{ name = "finance in München", where = { office = "München" }, group = "SG-Finance" },]]))
      local out, code = run(string.format("'%s' -c '%s' check", bin, config))
      assert.are.equal(0, code, out)
      assert.matches("against the 13 people of the last cycle", out, 1, true)
      assert.matches("No problems.", out, 1, true)
      -- München: Liam is out of scope; Malte, Hannah and Anna (1011) are in; Mehmet is in Finance already.
      assert.matches("This edit would move 3 people to SG-Finance.", out, 1, true)
      assert.matches("3 people into SG-Finance: 1004, 1006, 1011", out, 1, true)

      h.write(policy, edited([["{first}.{last}", "{first}.{last}{n}",]], [["{f}{last}", "{f}{last}{n}",]]))
      out, code = run(string.format("'%s' -c '%s' check", bin, config))
      assert.are.equal(0, code, out)
      assert.matches("This edit would rename 11.", out, 1, true)
      assert.matches("first UPN candidate of 1002: zoe.mueller-luedenscheidt@example.com -> zmueller-luedenscheidt@example.com", out, 1, true)
    end)

    it("prints each problem as file:line, with did-you-mean, and exits 1", function()
      assert(hrsync.plan(config))
      h.write(policy, edited("jobTitle = p.position,", "jobtitle = p.position,"))
      local out, code = run(string.format("'%s' -c '%s' check", bin, config))
      assert.are.equal(1, code, out)
      assert.matches("policy%.lua:%d+: attributes%(%): unknown attribute 'jobtitle' %(did you mean 'jobTitle'%?%) %(persons 1001, 1002", out)
      assert.matches("1 problem.", out, 1, true)
      assert.matches("This edit would quarantine 11 people the policy now fails for", out, 1, true)

      h.write(policy, edited("department = p.department,", "department = p.department,\n      x = ,"))
      out, code = run(string.format("'%s' -c '%s' check --json", bin, config))
      assert.are.equal(1, code, out)
      assert.matches('"where": "policy.lua:%d+"', out)
      assert.matches("unexpected symbol near ','", out, 1, true)
    end)

    it("reads the source when no cycle has run yet", function()
      local out, code = run(string.format("'%s' -c '%s' check", bin, config))
      assert.are.equal(0, code, out)
      assert.matches("against the 13 people of the source", out, 1, true)
      assert.matches("No policy is recorded for a last cycle yet", out, 1, true)
    end)
  end)

  describe("hrsync explain", function()
    it("shows the fields, the include rule, the attributes, the UPN candidates, the groups and the operations", function()
      local out, code = run(string.format("'%s' -c '%s' explain 1011", bin, config))
      assert.are.equal(0, code, out)
      assert.matches("Person 1011: Anna Schmidt (as of 2026-12-01, plan p-", out, 1, true)
      assert.matches("department%s+People", out)
      assert.matches("Include: yes — status 'active' in {active, onboarding, leave}", out, 1, true)
      assert.matches("jobTitle%s+People Partner", out)
      -- The first candidate is held by a disabled account, the second by the other Anna's new one.
      assert.matches("1%. anna%.schmidt@example%.com%s+taken in the directory by Anna Schmidt %(former employee%) %(disabled account", out)
      assert.matches("2%. anna%.schmidt2@example%.com%s+taken by the new account of Anna Schmidt %(1010%) in this plan", out)
      assert.matches("3%. anna%.schmidt3@example%.com%s+free in the directory: used for the new account", out)
      assert.matches("SG%-People%s+department=People", out)
      assert.matches("Women%s+women", out)
      assert.matches("+ create Anna Schmidt (1011)  anna.schmidt3@example.com", out, 1, true)
      assert.matches("+ member of SG-People", out, 1, true)
    end)

    it("says why a person is out of scope, and answers --json", function()
      local out, code = run(string.format("'%s' -c '%s' explain 1003 --json", bin, config))
      assert.are.equal(0, code, out)
      assert.matches('"decision": false', out, 1, true)
      assert.matches("prehire: in scope from 2026-12-28", out, 1, true)
      out, code = run(string.format("'%s' -c '%s' explain 9999", bin, config))
      assert.are.equal(1, code, out)
      assert.matches("no person '9999' in the source %(13 people read", out)
    end)
  end)
end)
