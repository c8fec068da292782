-- The `hrsync` program as an admin runs it: demo twice, exit codes, help and version.
local h = require "helpers"

local bin = (os.getenv("HRSYNC_BUILD_DIR") or "build") .. "/hrsync"

-- Runs a shell command; returns its output (stdout and stderr) and exit code.
local run = h.run

describe("hrsync demo", function()
  local dir

  before_each(function() dir = h.tmpdir() end)
  after_each(function() os.execute("rm -rf '" .. dir .. "'") end)

  it("creates the sample company, and a second run plans nothing and writes nothing", function()
    local out, code = run(string.format("cd '%s' && '%s' demo", dir, bin))
    assert.are.equal(0, code, out)
    assert.matches("Plan for 2026%-12%-01: %d+ operations", out)
    assert.matches("%+ create Zoë Müller%-Lüdenscheidt %(1002%)  zoe%.mueller%-luedenscheidt@example%.com", out)
    assert.matches("Applied: %d+ created, 1 updated, 1 linked, %d+ group additions, 0 group removals, 10 managers set, 0 failed", out)
    assert.matches("anna%.schmidt2@example%.com", out)
    local directory = h.read(dir .. "/.hrsync-demo/directory.json")
    assert.is_nil(directory:find("password\"%s*:%s*\"", 1), "no password is kept in the simulator's state")

    local again, code2 = run(string.format("cd '%s' && '%s' demo", dir, bin))
    assert.are.equal(0, code2, again)
    assert.matches("Plan for 2026%-12%-01: 0 operations", again)
    assert.matches("Nothing to do", again)
    assert.is_nil(again:find("Applied:", 1, true))
    assert.are.equal(directory, h.read(dir .. "/.hrsync-demo/directory.json"))
  end)
end)

describe("hrsync plan exit codes", function()
  local sim, secret, dir, config
  local hrsync = require "hrsync"

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    config = h.config(dir, sim, { secret = secret })
  end)
  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("is 2 while changes are pending, 0 once synced, and 1 with one clear message on error", function()
    local out, code = run(string.format("'%s' -c '%s' plan", bin, config))
    assert.are.equal(2, code, out)
    out, code = run(string.format("'%s' -c '%s' sync", bin, config))
    assert.are.equal(0, code, out)
    out, code = run(string.format("'%s' -c '%s' plan", bin, config))
    assert.are.equal(0, code, out)
    out, code = run(string.format("'%s' -c '%s' plan --json", bin, config))
    assert.are.equal(0, code, out)
    assert.matches('"changes": %[%]', out)
    out, code = run(string.format("'%s' -c '%s/missing.lua' plan", bin, dir))
    assert.are.equal(1, code)
    assert.matches("^hrsync: error: cannot read config .*missing%.lua: No such file or directory\n$", out)
  end)

  it("plan --incremental reuses the last plan with nothing to do when nothing changed (delta queries)", function()
    h.write(config, (h.read(config):gsub("(login_url = [^\n]*\n)", "%1    delta = true,\n")))
    local out, code = run(string.format("'%s' -c '%s' sync", bin, config))
    assert.are.equal(0, code, out)
    out, code = run(string.format("'%s' -c '%s' plan", bin, config))
    assert.are.equal(0, code, out)
    assert.is_nil(out:find("nothing changed since", 1, true), out)
    out, code = run(string.format("'%s' -c '%s' plan --incremental", bin, config))
    assert.are.equal(0, code, out)
    assert.matches("nothing changed since %S+ %(source, directory, groups, policy and date are the same%)", out)
    out, code = run(string.format("'%s' -c '%s' sync --incremental", bin, config))
    assert.are.equal(0, code, out)
    assert.matches("nothing changed since", out)
  end)

  it("answers --help, --version and a wrong command line", function()
    local out, code = run(string.format("'%s' --help", bin))
    assert.are.equal(0, code)
    assert.matches("Exit codes:", out)
    out, code = run(string.format("'%s' --version", bin))
    assert.are.equal(0, code)
    assert.matches("^hrsync %d+%.%d+%.%d+", out)
    out, code = run(string.format("'%s' frobnicate", bin))
    assert.are.equal(64, code)
    assert.matches("unknown command 'frobnicate'", out)
  end)
end)
