-- Joiners, movers and leavers told end to end: small HR files and a policy written by each
-- test, synced through the real engine into the simulator, with the date pinned through `now`.
local hrsync = require "hrsync"
local h = require "helpers"

local HEADER = "id,first_name,last_name,preferred_name,email,status,department,position,office,supervisor_id,hire_date,termination_date,gender,tz\n"

-- The policy: in scope while active, onboarding (from 7 days before the hire date) or on leave,
-- through the termination date; department groups and a Women group. `lifecycle` is Lua text.
local function policy_text(lifecycle)
  return [[
local include = require("hrsync.include")
local attr = require("hrsync.attributes")
local upn = require("hrsync.upn")
local groups = require("hrsync.groups")
local in_scope = include.all{
  include.status{ "active", "onboarding", "leave" },
  include.prehire{ days = 7 },
  include.until_termination{},
}
return {
  include = function(p) return in_scope(p) end,
  attributes = function(p)
    return attr.build{ givenName = attr.first_name(p), surname = p.last_name, displayName = attr.display_name(p),
                       department = p.department, jobTitle = p.position, employeeId = p.id, usageLocation = "DE" }
  end,
  upn = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com", fold = "de" },
  groups = groups.hook{ groups.by_attribute("department", "SG-{value}"),
                        groups.rule{ name = "women", where = { gender = "female" }, group = "Women" } },
  lifecycle = ]] .. (lifecycle or "{}") .. [[,
}
]]
end

describe("the lifecycle of a person", function()
  local sim, secret, dir

  -- Writes people.csv (rows without the header) and policy.lua; returns the config path.
  local function setup(rows, lifecycle, extra)
    h.write(dir .. "/people.csv", HEADER .. table.concat(rows, "\n") .. "\n")
    h.write(dir .. "/policy.lua", policy_text(lifecycle))
    return h.config(dir, sim, {
      secret = secret, policy = dir .. "/policy.lua",
      source = string.format("{ type = 'csv', path = %q, max_shrink = false }", dir .. "/people.csv"),
      extra = "guardrails = { max_disable_ratio = false, max_quarantined_ratio = false },\n" .. (extra or ""),
    })
  end

  local function rewrite(rows)
    h.write(dir .. "/people.csv", HEADER .. table.concat(rows, "\n") .. "\n")
  end

  local function sync(config, now)
    local plan, result = hrsync.sync(config, now and { now = now } or nil)
    assert(plan, result)
    if result then assert.are.equal(0, result.failed, require("cjson").encode(result.errors)) end
    return plan, result
  end

  local function plan_at(config, now)
    return assert(hrsync.plan(config, now and { now = now } or nil))
  end

  local function user(upn) return h.user_by_upn(sim:snapshot(), upn) end

  local function note(plan, pattern)
    for _, n in ipairs(plan.notes) do
      if n:find(pattern, 1, true) then return n end
    end
  end

  local function quarantined(plan, id)
    for _, q in ipairs(plan.quarantine) do
      if q.person == id then return q.reason end
    end
  end

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
  end)

  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("creates a starter 7 days before the first day, disabled, and enables the account on the hire date", function()
    local config = setup({ "2001,Lena,Fischer,,lena.fischer@example.com,onboarding,Engineering,Engineer,Berlin,,2026-12-08,,female," },
                         "{ create_disabled = true }")
    assert.is_nil(h.changes_for(plan_at(config, "2026-11-30"), "2001"), "8 days before: not yet")
    local plan = sync(config, "2026-12-01")
    local c = h.changes_for(plan, "2001")
    assert.are.equal("create", c.action)
    assert.is_false(c.account_enabled)
    local lena = user("lena.fischer@example.com")
    assert.is_false(lena.accountEnabled)
    assert.is_true(h.is_member(sim:snapshot(), "SG-Engineering", lena))
    assert.are.equal(0, #plan_at(config, "2026-12-07").changes, "the day before the first day: nothing")
    plan = sync(config, "2026-12-08")
    c = h.changes_for(plan, "2001")
    assert.are.equal("hire date 2026-12-08 reached", c.enable.reason)
    assert.are.equal(1, plan.summary.enable)
    assert.matches("%+ enable Lena Fischer %(2001%) lena%.fischer@example%.com: hire date 2026%-12%-08 reached",
                   hrsync.format_plan(plan))
    assert.is_true(user("lena.fischer@example.com").accountEnabled)
    assert.are.equal(lena.id, user("lena.fischer@example.com").id)
  end)

  it("puts a Finance starter in the Finance group and a female starter in the Women group", function()
    local config = setup({
      "2002,Mehmet,Yılmaz,,,active,Finance,Accountant,München,,2026-11-15,,male,",
      "2003,Sofia,Lindqvist,,,active,Sales,Account Executive,Berlin,,2026-11-20,,female,",
    })
    sync(config)
    local snap = sim:snapshot()
    local mehmet, sofia = h.user_by_upn(snap, "mehmet.yilmaz@example.com"), h.user_by_upn(snap, "sofia.lindqvist@example.com")
    assert.is_true(h.is_member(snap, "SG-Finance", mehmet))
    assert.is_false(h.is_member(snap, "Women", mehmet))
    assert.is_true(h.is_member(snap, "SG-Sales", sofia))
    assert.is_true(h.is_member(snap, "Women", sofia))
    assert.is_false(h.is_member(snap, "SG-Finance", sofia))
  end)

  it("moves a person to another department: only the changed attributes and the managed groups", function()
    local rows = { "2004,Tobias,Wagner,,,active,Engineering,Backend Engineer,Berlin,,2022-01-01,,male," }
    local config = setup(rows)
    sync(config)
    rewrite({ "2004,Tobias,Wagner,,,active,Sales,Sales Engineer,Berlin,,2022-01-01,,male," })
    local plan = sync(config)
    local c = h.changes_for(plan, "2004")
    assert.are.same({ { attribute = "department", old = "Engineering", new = "Sales" },
                      { attribute = "jobTitle", old = "Backend Engineer", new = "Sales Engineer" } }, c.changes)
    assert.are.same({ { group = "SG-Sales", id = "a1000000-0000-4000-8000-000000000003" } }, c.groups_add)
    assert.are.same({ { group = "SG-Engineering", id = "a1000000-0000-4000-8000-000000000001" } }, c.groups_remove)
    local snap = sim:snapshot()
    local tobias = h.user_by_upn(snap, "tobias.wagner@example.com")
    assert.are.equal("Sales", tobias.department)
    assert.is_true(h.is_member(snap, "SG-Sales", tobias))
    assert.is_false(h.is_member(snap, "SG-Engineering", tobias))
  end)

  it("follows a name change: names always, the UPN only when renames are on", function()
    local config = setup({ "2005,Julia,Becker,,,active,People,People Partner,Berlin,,2021-01-01,,female," })
    sync(config)
    local id = user("julia.becker@example.com").id
    rewrite({ "2005,Julia,Schneider,,,active,People,People Partner,Berlin,,2021-01-01,,female," })
    local plan = sync(config)
    local c = h.changes_for(plan, "2005")
    assert.is_nil(c.rename)
    assert.is_truthy(note(plan, "keeps the UPN julia.becker@example.com"))
    assert.are.equal("Schneider", user("julia.becker@example.com").surname)
    assert.are.equal("Julia Schneider", user("julia.becker@example.com").displayName)

    h.write(dir .. "/policy.lua", policy_text("{ rename_upn = true }"))
    plan = sync(config)
    assert.are.equal(1, plan.summary.rename)
    assert.are.same({ old = "julia.becker@example.com", new = "julia.schneider@example.com",
                      candidates = h.changes_for(plan, "2005").rename.candidates }, h.changes_for(plan, "2005").rename)
    assert.is_nil(user("julia.becker@example.com"))
    assert.are.equal(id, user("julia.schneider@example.com").id, "the same account, renamed")
    assert.are.equal(0, #plan_at(config).changes)
  end)

  it("keeps a leaver's account through the termination date and disables it the day after", function()
    local rows = {
      "2006,Ines,Kowalczyk,,,active,Engineering,Frontend Engineer,Berlin,,2022-11-14,2026-12-10,female,",
      "2007,Paul,Richter,,,active,Engineering,Engineer,Berlin,,2022-11-14,,male,",
    }
    local config = setup(rows, "{ leaver = { disable = true, set_leave_date = true, remove_groups = true, revoke_sessions = true } }")
    sync(config, "2026-12-01")
    local ines = user("ines.kowalczyk@example.com")
    assert.is_true(h.is_member(sim:snapshot(), "Women", ines))
    assert.are.equal(0, #plan_at(config, "2026-12-09").changes, "the day before")
    assert.are.equal(0, #plan_at(config, "2026-12-10").changes, "the last day: still at work")
    local plan = sync(config, "2026-12-11")
    local c = h.changes_for(plan, "2006")
    assert.are.equal("leaver", c.action)
    assert.are.equal("2026-12-10", c.disable.since)
    assert.are.equal("2026-12-10T23:59:59Z", c.leave_date.new)
    assert.is_true(c.revoke)
    assert.are.equal(2, #c.groups_remove)
    assert.are.equal(1, plan.summary.disable)
    assert.are.equal(2, plan.summary.group_remove)
    assert.matches("%- disable Ines Kowalczyk %(2006%) ines%.kowalczyk@example%.com: leaver since 2026%-12%-10", hrsync.format_plan(plan))
    local snap = sim:snapshot()
    ines = h.user_by_upn(snap, "ines.kowalczyk@example.com")
    assert.is_table(ines, "never deleted")
    assert.is_false(ines.accountEnabled)
    assert.are.equal("2026-12-10T23:59:59Z", ines.employeeLeaveDateTime)
    assert.is_string(ines.signInSessionsValidFromDateTime)
    assert.is_false(h.is_member(snap, "Women", ines))
    assert.is_false(h.is_member(snap, "SG-Engineering", ines))
    assert.is_true(h.user_by_upn(snap, "paul.richter@example.com").accountEnabled)
    assert.are.equal(0, #plan_at(config, "2026-12-12").changes, "done once")
  end)

  it("ends the last day in the company's time zone, or in the person's own", function()
    local rows = {
      "2008,Lukas,Hoffmann,,,active,Sales,Sales Rep,Berlin,,2022-01-01,2026-12-10,male,Europe/Berlin",
      "2009,Mia,Carter,,,active,Sales,Sales Rep,New York,,2022-01-01,2026-12-10,female,America/New_York",
    }
    local config = setup(rows, "{ timezone_field = 'tz', leaver = { set_leave_date = true } }", "timezone = 'Europe/Berlin',")
    sync(config, "2026-12-01")
    -- 23:30 UTC on the 10th is already the 11th in Berlin, still the 10th in New York.
    local plan = plan_at(config, "2026-12-10T23:30:00Z")
    assert.are.equal("2026-12-11", plan.today)
    local lukas = h.changes_for(plan, "2008")
    assert.are.equal("leaver", lukas.action)
    assert.are.equal("2026-12-10T22:59:59Z", lukas.leave_date.new, "23:59:59 in Berlin")
    assert.is_nil(h.changes_for(plan, "2009"), "Mia's last day is not over in New York")
    plan = plan_at(config, "2026-12-11T05:30:00Z")
    assert.are.equal("2026-12-11T04:59:59Z", h.changes_for(plan, "2009").leave_date.new, "23:59:59 in New York")
    -- A zone hrsync does not know: the person is held back with the reason; the company's, the run.
    rewrite({ rows[1], "2009,Mia,Carter,,,active,Sales,Sales Rep,Paris,,2022-01-01,2026-12-10,female,Mars/Olympus" })
    plan = plan_at(config, "2026-12-11T05:30:00Z")
    assert.matches("tz %(lifecycle.timezone_field%): .*unknown time zone 'Mars/Olympus'", quarantined(plan, "2009"))
    local bad = setup(rows, "{}", "timezone = 'Mars/Olympus',")
    local none, err = hrsync.plan(bad)
    assert.is_nil(none)
    assert.matches("config%.lua: timezone: .*unknown time zone 'Mars/Olympus' %(built in: .*Europe/Berlin", err)
  end)

  it("disables someone whose status says so", function()
    local config = setup({ "2010,Karl,Braun,,,active,Finance,Controller,Berlin,,2020-01-01,,male," })
    sync(config)
    rewrite({ "2010,Karl,Braun,,,inactive,Finance,Controller,Berlin,,2020-01-01,,male," })
    local plan = sync(config)
    local c = h.changes_for(plan, "2010")
    assert.matches("status 'inactive' not in", c.disable.reason)
    assert.is_false(user("karl.braun@example.com").accountEnabled)
  end)

  it("relinks and re-enables a rehire, or gives a new account when the policy says so", function()
    local config = setup({ "2011,Nora,Klein,,,active,Sales,Sales Rep,Berlin,,2020-01-01,2026-06-30,female," },
                         "{ leaver = { set_leave_date = true } }")
    sync(config, "2026-06-01")
    local old = user("nora.klein@example.com")
    sync(config, "2026-07-01")
    assert.is_false(user("nora.klein@example.com").accountEnabled)
    assert.are.equal("2026-06-30T23:59:59Z", user("nora.klein@example.com").employeeLeaveDateTime)
    -- Back on 1 December.
    rewrite({ "2011,Nora,Klein,,,active,Sales,Senior Sales Rep,Berlin,,2026-12-01,,female," })
    local plan = sync(config, "2026-12-01")
    local c = h.changes_for(plan, "2011")
    assert.are.equal("rehire", c.lifecycle)
    assert.matches("rehire: left 2026%-06%-30", c.enable.reason)
    local nora = user("nora.klein@example.com")
    assert.are.equal(old.id, nora.id)
    assert.is_true(nora.accountEnabled)
    assert.is_nil(nora.employeeLeaveDateTime, "the leave date hrsync wrote is cleared")
    assert.are.equal("Senior Sales Rep", nora.jobTitle)
    assert.is_true(h.is_member(sim:snapshot(), "SG-Sales", nora))

    -- The same story with rehire = "new": a second account; the old one stays as it was.
    rewrite({ "2011,Nora,Klein,,,active,Sales,Senior Sales Rep,Berlin,,2020-01-01,2026-12-05,female," })
    sync(config, "2026-12-06")
    rewrite({ "2011,Nora,Klein,,,active,Sales,Sales Lead,Berlin,,2026-12-20,,female," })
    h.write(dir .. "/policy.lua", policy_text("{ rehire = 'new' }"))
    plan = sync(config, "2026-12-20")
    c = h.changes_for(plan, "2011")
    assert.are.equal("create", c.action)
    assert.are.equal(old.id, c.replaces)
    local new = user("nora.klein2@example.com")
    assert.is_true(new.accountEnabled)
    assert.is_false(user("nora.klein@example.com").accountEnabled)
    assert.are.equal(0, #plan_at(config, "2026-12-20").changes, "linked to the new account now")
  end)

  it("gives the next free UPN when the first is taken, also between two starters of one run", function()
    local config = setup({
      "2012,Anna,Schmidt,,,active,Finance,Controller,Berlin,,2020-01-01,,female,",   -- anna.schmidt@ is a disabled account
      "2013,Jonas,Weiß,,,active,People,Partner,Berlin,,2020-01-01,,male,",
      "2014,Jonas,Weiss,,,active,Sales,Rep,Berlin,,2020-01-01,,male,",
    })
    local plan = sync(config)
    assert.are.equal("anna.schmidt2@example.com", h.changes_for(plan, "2012").upn)
    assert.are.equal("jonas.weiss@example.com", h.changes_for(plan, "2013").upn)
    assert.are.equal("jonas.weiss2@example.com", h.changes_for(plan, "2014").upn)
    assert.are.equal("2014", user("jonas.weiss2@example.com").employeeId)
    assert.is_false(user("anna.schmidt@example.com").accountEnabled, "the old account is not touched")
  end)

  it("reports a manual edit in Entra as drift, and the policy decides who wins", function()
    local config = setup({ "2015,Emil,Vogt,,,active,Engineering,Engineer,Berlin,,2020-01-01,,male," })
    sync(config)
    local emil = user("emil.vogt@example.com")
    assert(hrsync.graph(config, "PATCH", "/users/" .. emil.id, { jobTitle = "Chief Vibes Officer" }))
    local plan = plan_at(config)
    local c = h.changes_for(plan, "2015")
    assert.are.same({ { attribute = "jobTitle", hr = "Engineer", directory = "Chief Vibes Officer",
                        last_written = "Engineer", action = "overwrite" } }, c.drift)
    assert.are.equal(1, plan.summary.drift)
    assert.matches("! jobTitle was changed by hand in the directory: \"Chief Vibes Officer\", hrsync wrote \"Engineer\"; HR wins",
                   hrsync.format_plan(plan), 1, true)

    h.write(dir .. "/policy.lua", policy_text("{ drift = 'keep' }"))
    plan = sync(config)
    c = h.changes_for(plan, "2015")
    assert.is_nil(c.changes)
    assert.are.equal("keep", c.drift[1].action)
    assert.are.equal("Chief Vibes Officer", user("emil.vogt@example.com").jobTitle)

    h.write(dir .. "/policy.lua", policy_text("{ drift = 'hr_wins' }"))
    sync(config)
    assert.are.equal("Engineer", user("emil.vogt@example.com").jobTitle)
    assert.are.equal(0, #plan_at(config).changes)
  end)

  it("sets managers, also to an account created in the same run", function()
    local config = setup({
      "2017,Ben,Krause,,,active,Engineering,Engineer,Berlin,2016,2020-01-01,,male,",   -- listed before his manager
      "2016,Clara,Wolf,,,active,Engineering,Head of Engineering,Berlin,,2020-01-01,,female,",
      "2018,Dario,Neri,,,active,Engineering,Engineer,Berlin,2099,2020-01-01,,male,",   -- no such supervisor
      "2019,Eva,Roth,,,active,Engineering,Engineer,Berlin,2020,2020-01-01,,female,",   -- supervisor out of scope
      "2020,Finn,Roth,,,inactive,Engineering,Engineer,Berlin,,2020-01-01,,male,",
    })
    local plan = sync(config)
    local ben = h.changes_for(plan, "2017")
    assert.are.equal("2016", ben.manager.person)
    assert.is_nil(ben.manager.id, "created in this run")
    assert.is_truthy(note(plan, "the manager of Dario Neri (2018), supervisor_id 2099, is not in the source"))
    assert.is_truthy(note(plan, "the manager of Eva Roth (2019), Finn Roth (2020), is not in scope"))
    local snap = sim:snapshot()
    assert.are.equal(h.user_by_upn(snap, "clara.wolf@example.com").id, h.user_by_upn(snap, "ben.krause@example.com").manager)
    assert.is_nil(h.user_by_upn(snap, "eva.roth@example.com").manager)
    assert.are.equal(0, #plan_at(config).changes, "managers are read back and match")
  end)

  it("names bad HR input in the plan and writes nothing for the people concerned", function()
    local config = setup({
      "2021,Hanna,Berg,,same@example.com,active,Sales,Rep,Berlin,,2020-01-01,,female,",
      "2022,Hannes,Berg,,same@example.com,active,Sales,Rep,Berlin,,2020-01-01,,male,",
      "2023,Ida,Lang,,,active,Sales,Rep,Berlin,2024,2020-01-01,,female,",
      "2024,Jan,Lang,,,active,Sales,Rep,Berlin,2023,2020-01-01,,male,",
      "2025,Kai,Sommer,,,active,Sales,Rep,Berlin,,2026-01-01,2025-12-31,male,",
      "2026,Lea,Winter,,,active,Sales,Rep,Berlin,2023,2020-01-01,,female,",
    })
    local plan = sync(config)
    assert.matches("email same@example.com is given for persons 2021, 2022", quarantined(plan, "2021"), 1, true)
    assert.is_string(quarantined(plan, "2022"))
    assert.matches("manager loop in HR %(supervisor_id 2023 %-> 2024 %-> 2023%)", quarantined(plan, "2023"))
    assert.is_string(quarantined(plan, "2024"))
    assert.matches("termination date 2025%-12%-31 is before the hire date 2026%-01%-01", quarantined(plan, "2025"))
    assert.is_truthy(note(plan, "the manager of Lea Winter (2026), Ida Lang (2023), is held back"))
    for _, id in ipairs({ "2021", "2022", "2023", "2024", "2025" }) do assert.is_nil(h.changes_for(plan, id)) end
    local snap = sim:snapshot()
    assert.are.equal(4, #snap.users, "only Lea was created")
    assert.is_table(h.user_by_upn(snap, "lea.winter@example.com"))
  end)

  it("treats a linked person gone from the source as a leaver only when the source was read whole", function()
    local rows = {
      "2027,Olaf,Peters,,,active,Finance,Controller,Berlin,,2020-01-01,,male,",
      "2028,Petra,Kuhn,,,active,Finance,Controller,Berlin,,2020-01-01,,female,",
    }
    local config = setup(rows)
    sync(config)
    -- Olaf's row is gone, and another row cannot be read: hrsync cannot tell, so it waits.
    h.write(dir .. "/people.csv", HEADER .. rows[2] .. "\n2029,\"broken,row\n")
    local plan = sync(config)
    assert.is_nil(h.changes_for(plan, "2027"))
    assert.is_truthy(note(plan, "Olaf Peters (2027, olaf.peters@example.com) is not in the source, but 1 record could not be read"))
    assert.is_true(user("olaf.peters@example.com").accountEnabled)
    rewrite({ rows[2] })
    plan = sync(config)
    assert.are.equal("not in the source any more", h.changes_for(plan, "2027").disable.reason)
    assert.is_false(user("olaf.peters@example.com").accountEnabled)
  end)
end)
