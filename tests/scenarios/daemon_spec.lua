-- `hrsync run` as an operator runs it: the real program in the background against the simulated
-- Microsoft Graph (in this process, on loopback), an HR change reaching the directory on the next
-- cycle, SIGHUP reloading the policy (and keeping the old one when the new one is broken),
-- SIGTERM stopping cleanly between batches, one daemon per state file, and the status server
-- (/healthz, /metrics in the Prometheus text format, /status).
local hrsync = require "hrsync"
local h = require "helpers"
local cjson = require "cjson"

local bin = (os.getenv("HRSYNC_BUILD_DIR") or "build") .. "/hrsync"

local sh = h.run

local function sleep(s) os.execute("sleep " .. s) end

-- Polls cond() every 0.1 s until it returns a true value or `bound` seconds have passed; returns
-- that value (nil when it never came). A bound, not a timed assertion: callers assert the value.
local function eventually(cond, bound)
  for _ = 1, math.floor((bound or 30) * 10) do
    local v = cond()
    if v then return v end
    sleep(0.1)
  end
end

local function exists(path)
  local f = io.open(path, "r")
  if f then f:close() return true end
  return false
end

-- ---- the Prometheus text exposition format (version 0.0.4) -------------------------------
local NAME = "^[a-zA-Z_:][a-zA-Z0-9_:]*$"
local LABEL = "^[a-zA-Z_][a-zA-Z0-9_]*$"

local function parse_value(s)
  if s == "+Inf" then return math.huge elseif s == "-Inf" then return -math.huge elseif s == "NaN" then return 0 / 0 end
  -- A Go float: digits, an optional fraction and exponent (no hex, no spaces).
  if not s:match("^[-+]?%d*%.?%d*[eE]?[-+]?%d*$") or not s:match("%d") then return nil end
  return tonumber(s)
end

-- Parses `{a="x",b="y\"z"}` from position i; returns labels table and the position after it.
local function parse_labels(line, i)
  local labels = {}
  assert(line:sub(i, i) == "{")
  i = i + 1
  while true do
    if line:sub(i, i) == "}" then return labels, i + 1 end
    local name, j = line:match("^([^=]+)=()", i)
    assert(name and name:match(LABEL), "bad label name at " .. i .. ": " .. line)
    assert(line:sub(j, j) == '"', "label value must be quoted: " .. line)
    j = j + 1
    local value = {}
    while true do
      local c = line:sub(j, j)
      assert(c ~= "", "unterminated label value: " .. line)
      if c == "\\" then
        local n = line:sub(j + 1, j + 1)
        assert(n == "\\" or n == '"' or n == "n", "bad escape in label value: " .. line)
        value[#value + 1] = n == "n" and "\n" or n
        j = j + 2
      elseif c == '"' then
        j = j + 1
        break
      else
        value[#value + 1] = c
        j = j + 1
      end
    end
    assert(labels[name] == nil, "label repeated: " .. line)
    labels[name] = table.concat(value)
    if line:sub(j, j) == "," then j = j + 1 end
    i = j
  end
end

-- Validates a whole exposition; returns { [family] = {type, samples = {{name, labels, value}}} }
-- or raises with the offending line.
local function parse_prometheus(text)
  assert(text:sub(-1) == "\n", "the exposition must end with a newline")
  local families, order = {}, {}
  local function family_of(name)
    for _, suffix in ipairs { "_bucket", "_sum", "_count" } do
      local base = name:sub(1, #name - #suffix)
      if name:sub(-#suffix) == suffix and families[base] and families[base].type == "histogram" then return base end
    end
    return name
  end
  for line in text:gmatch("([^\n]*)\n") do
    if line == "" then
      -- blank lines are allowed
    elseif line:sub(1, 1) == "#" then
      local kind, name, rest = line:match("^# (%u+) (%S+) ?(.*)$")
      if kind == "HELP" then
        assert(name:match(NAME), "bad metric name in HELP: " .. line)
      elseif kind == "TYPE" then
        assert(name:match(NAME), "bad metric name in TYPE: " .. line)
        assert(({ counter = 1, gauge = 1, histogram = 1, summary = 1, untyped = 1 })[rest], "bad TYPE: " .. line)
        assert(not families[name], "TYPE given twice or after samples: " .. line)
        families[name] = { type = rest, samples = {} }
        order[#order + 1] = name
      end
    else
      local name, i = line:match("^([^%s{]+)()")
      assert(name and name:match(NAME), "bad sample name: " .. line)
      local labels = {}
      if line:sub(i, i) == "{" then labels, i = parse_labels(line, i) end
      local rest = line:sub(i)
      local v, ts = rest:match("^ (%S+) ?(%S*)$")
      assert(v, "a sample is NAME[{labels}] VALUE [TIMESTAMP]: " .. line)
      local value = parse_value(v)
      assert(value, "bad sample value: " .. line)
      assert(ts == "" or ts:match("^%-?%d+$"), "bad timestamp: " .. line)
      local fam = family_of(name)
      families[fam] = families[fam] or { type = "untyped", samples = {} }
      local s = families[fam].samples
      s[#s + 1] = { name = name, labels = labels, value = value }
    end
  end
  -- Histograms: cumulative buckets ending in +Inf, which equals _count.
  for _, name in ipairs(order) do
    local f = families[name]
    if f.type == "histogram" then
      local last, inf, count = -1, nil, nil
      for _, s in ipairs(f.samples) do
        if s.name == name .. "_bucket" then
          assert(s.labels.le, "a bucket without le")
          assert(s.value >= last, "histogram buckets must not decrease")
          last = s.value
          if s.labels.le == "+Inf" then inf = s.value end
        elseif s.name == name .. "_count" then
          count = s.value
        end
      end
      assert(inf ~= nil and inf == count, "the +Inf bucket must equal _count in " .. name)
    elseif f.type == "counter" then
      for _, s in ipairs(f.samples) do assert(s.value >= 0, "a counter below 0: " .. s.name) end
    end
  end
  return families
end

local function sample(families, name, labels)
  local f = families[name]
  for _, s in ipairs(f and f.samples or {}) do
    local ok = s.name == name
    for k, v in pairs(labels or {}) do ok = ok and s.labels[k] == v end
    if ok then return s.value end
  end
end

describe("the Prometheus text validator of this spec", function()
  it("accepts a valid exposition and refuses broken ones", function()
    local ok = parse_prometheus('# HELP a_total A.\n# TYPE a_total counter\na_total{k="v\\"x"} 3\n' ..
                                '# TYPE d histogram\nd_bucket{le="1"} 1\nd_bucket{le="+Inf"} 2\nd_sum 3.5\nd_count 2\n')
    assert.are.equal(3, sample(ok, "a_total", { k = 'v"x' }))
    for _, bad in ipairs { "a b\n", "a{k=v} 1\n", "9a 1\n", "a 1", "# TYPE a countr\na 1\n",
                           '# TYPE d histogram\nd_bucket{le="+Inf"} 2\nd_count 3\n', "a{k=\"x} 1\n" } do
      assert.has_error(function() parse_prometheus(bad) end)
    end
  end)
end)

-- ---- the daemon --------------------------------------------------------------------------
describe("hrsync run", function()
  local sim, secret, dir, config

  -- Starts the daemon in the background; returns its pid. Its output goes to dir/NAME.log and
  -- its exit code, once it ends, to dir/NAME.exit.
  local function start(name)
    name = name or "daemon"
    local cmd = string.format("sh -c \"'%s' -c '%s' run --log-level info >'%s/%s.log' 2>&1 & echo \\$! >'%s/%s.pid'; " ..
                              "wait \\$!; echo \\$? >'%s/%s.exit'\" >/dev/null 2>&1 &",
                              bin, config, dir, name, dir, name, dir, name)
    assert(os.execute(cmd))
    local pid = eventually(function()
      local f = io.open(dir .. "/" .. name .. ".pid")
      local p = f and f:read("n")
      if f then f:close() end
      return p
    end, 10)
    assert.is_not_nil(pid, "the daemon did not start")
    return math.tointeger(pid)
  end

  local function log(name) return exists(dir .. "/" .. (name or "daemon") .. ".log") and h.read(dir .. "/" .. (name or "daemon") .. ".log") or "" end

  local function exit_code(name)
    local p = dir .. "/" .. (name or "daemon") .. ".exit"
    return exists(p) and tonumber(h.read(p)) or nil
  end

  local function port()
    return tonumber(eventually(function() return log():match("status server listening on http://127%.0%.0%.1:(%d+)") end, 20))
  end

  local function user(employee_id)
    for _, u in ipairs(sim:snapshot().users) do
      if u.employeeId == employee_id then return u end
    end
  end

  local function edit(path, from, to)
    local text = h.read(path)
    local changed, n = text:gsub(from, to)
    assert.are.equal(1, n, "expected one " .. from .. " in " .. path)
    h.write(path, changed)
  end

  local function stop(pid)
    os.execute("kill -TERM " .. pid .. " 2>/dev/null")
    return eventually(function() return exit_code() end, 60)
  end

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    h.write(dir .. "/people.csv", h.read(h.examples .. "/demo/people.csv"))
    h.write(dir .. "/policy.lua", h.read(h.examples .. "/demo/policy.lua"))
    config = h.config(dir, sim, {
      secret = secret,
      source = string.format("{ type = 'csv', path = %q }", dir .. "/people.csv"),
      policy = dir .. "/policy.lua",
      extra = "schedule = { interval = 1, jitter = 0 }, http = { listen = '127.0.0.1:0' },",
    })
  end)

  after_each(function()
    for _, name in ipairs { "daemon", "second" } do
      local f = io.open(dir .. "/" .. name .. ".pid")
      if f then
        local pid = f:read("n")
        f:close()
        if pid and not exists(dir .. "/" .. name .. ".exit") then os.execute("kill -KILL " .. math.tointeger(pid) .. " 2>/dev/null") end
      end
    end
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("brings an HR change into the directory on its next cycle, and serves health, metrics and status", function()
    -- One record HR got wrong: quarantined with its line, the rest goes on.
    local f = assert(io.open(dir .. "/people.csv", "a"))
    f:write("9999,Bad,Date,,,active,Engineering,Engineer,Berlin,,2026-13-45,,female\n")
    f:close()
    local pid = start()
    local p = port()
    assert.is_not_nil(p, log())
    assert.is_not_nil(eventually(function() return user("1002") end), log())
    assert.are.equal("Head of Engineering", user("1001").jobTitle)

    -- HR promotes Katrin; the daemon notices on a following cycle.
    edit(dir .. "/people.csv", "Head of Engineering", "VP Engineering")
    local title = eventually(function()
      local u = user("1001")
      return u and u.jobTitle == "VP Engineering" and u.jobTitle
    end)
    assert.are.equal("VP Engineering", title, log())
    assert.matches("cycle %d+ started %(full reconcile%)", log())
    assert.matches("cycle %d+ done in [%d.]+ s: %d+ people, %d+ quarantined, 1 operations planned; 0 created, 1 updated", log())

    local base = "http://127.0.0.1:" .. p
    local status, body = hrsync.http_get(base .. "/healthz")
    assert.are.equal(200, status)
    assert.are.equal("ok\n", body)

    status, body = hrsync.http_get(base .. "/metrics")
    assert.are.equal(200, status)
    local m = parse_prometheus(body)
    assert.are.equal("counter", m.hrsync_cycles_total.type)
    assert.is_true(sample(m, "hrsync_cycles_total", { result = "ok" }) >= 2)
    assert.are.equal(0, sample(m, "hrsync_cycles_total", { result = "error" }))
    assert.is_true(sample(m, "hrsync_operations_total", { kind = "create", result = "ok" }) >= 8)
    assert.is_true(sample(m, "hrsync_operations_total", { kind = "update", result = "ok" }) >= 2)
    assert.is_true(sample(m, "hrsync_graph_requests_total") > 0)
    assert.is_not_nil(sample(m, "hrsync_graph_throttled_total"))
    assert.are.equal(13, sample(m, "hrsync_source_records"))
    assert.are.equal(1, sample(m, "hrsync_quarantined"))
    assert.are.equal("histogram", m.hrsync_cycle_duration_seconds.type)
    assert.is_true(sample(m, "hrsync_last_cycle_timestamp_seconds") > 1.7e9)

    status, body = hrsync.http_get(base .. "/status")
    assert.are.equal(200, status)
    local st = cjson.decode(body)
    assert.is_true(st.daemon.running)
    assert.are.equal(pid, math.tointeger(st.daemon.pid))
    assert.matches("^sha256:%x+$", st.policy.version)
    assert.are.equal(dir .. "/policy.lua", st.policy.path)
    assert.matches("^%d+%-%d+%-%d+T", st.next_run)
    assert.is_true(#st.runs >= 2)
    assert.is_true(st.operations.journal)

    -- `hrsync status` shows the same, for a person.
    local out, code = sh(string.format("'%s' -c '%s' status", bin, config))
    assert.are.equal(0, code, out)
    assert.matches("Daemon:     running, pid " .. pid, out)
    assert.matches("Policy:     " .. dir:gsub("%p", "%%%0") .. "/policy%.lua, version sha256:%x+", out)
    assert.matches("Next run:   %d+%-", out)
    assert.matches("Quarantined: 1\n  9999 +line 15 +hire_date \"2026%-13%-45\" is not a valid date", out)
    out, code = sh(string.format("'%s' -c '%s' status --json", bin, config))
    assert.are.equal(0, code, out)
    assert.are.equal(st.policy.version, cjson.decode(out).policy.version)
    assert.are.equal("9999", st.quarantine[1].id)

    assert.are.equal(0, stop(pid), log())
    assert.matches("releasing the lease", log())
    out = sh(string.format("'%s' -c '%s' status", bin, config))
    assert.matches("Daemon:     not running", out)
    assert.is_nil(out:find("Next run:", 1, true))
  end)

  it("between full reconciles lets a cycle in which nothing changed reuse the last plan, and still sees HR changes", function()
    local text = h.read(config):gsub("schedule = { interval = 1, jitter = 0 }", "schedule = { interval = 1, jitter = 0, full_every = 1000 }")
    text = text:gsub("(login_url = [^\n]*\n)", "%1    delta = true,\n")
    h.write(config, text)
    local pid = start()
    local p = port()
    assert.is_not_nil(p, log())
    -- cycle 1 creates the accounts, cycle 2 plans in full and finds nothing to do, cycle 3 on reuse it
    local seen = eventually(function() return log():match("cycle %d+ done in [%d.]+ s: nothing changed since [^,]+, the plan of that cycle stands") end, 30)
    assert.is_not_nil(seen, log())
    edit(dir .. "/people.csv", "Head of Engineering", "VP Engineering")
    local title = eventually(function()
      local u = user("1001")
      return u and u.jobTitle == "VP Engineering" and u.jobTitle
    end)
    assert.are.equal("VP Engineering", title, log())
    local _, body = hrsync.http_get("http://127.0.0.1:" .. p .. "/metrics")
    assert.is_true(sample(parse_prometheus(body), "hrsync_cycles_unchanged_total") >= 1)
    -- once the change is applied, a full plan finds nothing to do again, and status says so
    local out = eventually(function()
      local o = sh(string.format("'%s' -c '%s' status", bin, config))
      return o:match("Unchanged:  nothing changed since %S+; incremental cycles reuse that plan") and o
    end, 20)
    assert.is_not_nil(out, log())
    assert.are.equal(0, stop(pid))
  end)

  it("reloads config and policy on SIGHUP, and keeps the running policy when the new one is broken", function()
    local pid = start()
    assert.is_not_nil(eventually(function() local u = user("1002") return u and u.companyName == "Example GmbH" end), log())

    edit(dir .. "/policy.lua", '"Example GmbH"', '"Example AG"')
    os.execute("kill -HUP " .. pid)
    local renamed = eventually(function() local u = user("1002") return u and u.companyName == "Example AG" end)
    assert.is_true(renamed, log())
    assert.matches("reloaded: policy " .. dir:gsub("%p", "%%%0") .. "/policy%.lua", log())

    -- A broken policy: the reload fails with the file:line, the running policy goes on.
    local good = h.read(dir .. "/policy.lua")
    h.write(dir .. "/policy.lua", good:gsub("local PREHIRE_DAYS = 7", "local PREHIRE_DAYS = = 7"))
    local line = 0
    for l in h.read(dir .. "/policy.lua"):gmatch("([^\n]*)\n") do
      line = line + 1
      if l:find("= = 7", 1, true) then break end
    end
    os.execute("kill -HUP " .. pid)
    local failed = eventually(function() return log():match("reload failed; the running configuration and policy stay in use: ([^\n]*)") end)
    assert.is_not_nil(failed, log())
    assert.matches("policy%.lua:" .. line .. ":", failed)
    local out = sh(string.format("'%s' -c '%s' status", bin, config))
    assert.matches("Reload:     failed at [^\n]*SIGHUP[^\n]*policy%.lua:" .. line .. ":", out)
    edit(dir .. "/people.csv", "Head of Engineering", "VP Engineering")
    assert.is_true(eventually(function() local u = user("1001") return u and u.jobTitle == "VP Engineering" end), log())
    assert.are.equal("Example AG", user("1002").companyName)

    -- A policy that loads but fails for every person of the last cycle is not swapped in either.
    h.write(dir .. "/policy.lua", good:gsub("return in_scope%(person%)", 'error("no scope today")'))
    local function failures() local n = 0 for _ in log():gmatch("reload failed") do n = n + 1 end return n end
    local before = failures()
    os.execute("kill -HUP " .. pid)
    assert.is_true(eventually(function() return failures() > before end), log())
    assert.matches("no scope today", log())
    edit(dir .. "/people.csv", "VP Engineering", "CTO")
    assert.is_true(eventually(function() local u = user("1001") return u and u.jobTitle == "CTO" end), log())
    assert.is_nil(exit_code())
    assert.are.equal(0, stop(pid), log())
  end)

  it("reloads the policy when a module it requires is edited, and keeps the running one when the module breaks", function()
    os.execute("mkdir -p '" .. dir .. "/lib'")
    h.write(dir .. "/lib/company.lua", 'return "Example GmbH"\n')
    local text = h.read(dir .. "/policy.lua")
    text = 'local company = require("lib.company")\n' .. text:gsub('p%.company or "Example GmbH"', "company")
    h.write(dir .. "/policy.lua", text)
    local pid = start()
    assert.is_not_nil(eventually(function() local u = user("1002") return u and u.companyName == "Example GmbH" end), log())
    h.write(dir .. "/lib/company.lua", 'return "Example SE"\n')
    assert.is_true(eventually(function() local u = user("1002") return u and u.companyName == "Example SE" end), log())
    assert.matches("a module policy [^\n]*policy%.lua requires changed", log())
    -- A module that no longer loads: one failed reload, logged once, and the running policy goes on.
    h.write(dir .. "/lib/company.lua", 'return = "broken"\n')
    assert.is_not_nil(eventually(function() return log():match("policy reload failed[^\n]*company%.lua:1:") end), log())
    edit(dir .. "/people.csv", "Head of Engineering", "VP Engineering")
    assert.is_true(eventually(function() local u = user("1001") return u and u.jobTitle == "VP Engineering" end), log())
    local n = 0
    for _ in log():gmatch("policy reload failed") do n = n + 1 end
    assert.are.equal(1, n, log())
    assert.are.equal("Example SE", user("1002").companyName)
    assert.are.equal(0, stop(pid), log())
  end)

  it("refuses a second daemon on the same state file", function()
    local pid = start()
    assert.is_not_nil(port(), log())
    local out, code = sh(string.format("timeout 30 '%s' -c '%s' run", bin, config))
    assert.are.equal(1, code, out)
    assert.matches("^hrsync: error: state file " .. (dir .. "/state.db"):gsub("%p", "%%%0") ..
                   " is held by pid " .. pid .. " on host %S+ until %d+%-%d+%-%d+T[%d:]+Z", out)
    -- A one-off sync respects it too.
    edit(dir .. "/people.csv", "Head of Engineering", "VP Engineering")
    assert.are.equal(0, stop(pid), log())
    out, code = sh(string.format("'%s' -c '%s' sync", bin, config))
    assert.are.equal(0, code, out)
  end)

  it("on SIGTERM finishes the batch in flight, exits 0, and the next daemon completes the work", function()
    -- 300 joiners: 15 batches of creates, each answered after 300 ms.
    local rows = { "id,first_name,last_name,email,status,department,position,office,hire_date,gender" }
    for i = 1, 300 do
      rows[#rows + 1] = string.format("%d,Test%d,Person,,active,Engineering,Engineer,Berlin,2020-01-01,", 5000 + i, i)
    end
    h.write(dir .. "/people.csv", table.concat(rows, "\n") .. "\n")
    sim:fault("slow_ms", 300)
    local pid = start()
    assert.is_not_nil(eventually(function() return sim:stats().batches >= 2 end), log())
    assert.are.equal(0, stop(pid), log())
    local done, total = log():match("stopped between batches after (%d+) of (%d+) operations")
    assert.is_not_nil(done, log())
    local created = 0
    for _, u in ipairs(sim:snapshot().users) do
      if u.employeeId and tonumber(u.employeeId) > 5000 then created = created + 1 end
    end
    assert.is_true(created > 0 and created < 300, "created " .. created)
    assert.are.equal(0, created % 20, "whole batches only, created " .. created)
    assert.matches("cycle 1 stopped", log())

    sim:fault("slow_ms", 0)
    pid = start("second")
    local all = eventually(function()
      local n = 0
      for _, u in ipairs(sim:snapshot().users) do
        if u.employeeId and tonumber(u.employeeId) > 5000 then n = n + 1 end
      end
      return n == 300
    end, 120)
    assert.is_true(all, log("second"))
    os.execute("kill -TERM " .. pid)
    assert.are.equal(0, eventually(function() return exit_code("second") end, 60))
  end)
end)
