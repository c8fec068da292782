-- What an operator installs: every command `hrsync --help` lists is described in the manual page,
-- and the example systemd unit passes the secret as a credential the config reads with %d.
local h = require "helpers"

local bin = (os.getenv("HRSYNC_BUILD_DIR") or "build") .. "/hrsync"

local function commands()
  local f = assert(io.popen("'" .. bin .. "' --help"))
  local help = f:read("a")
  f:close()
  local list = {}
  local section = help:match("Commands:\n(.-)\n\n")
  for line in (section .. "\n"):gmatch("([^\n]*)\n") do
    local name = line:match("^  (%l+)")
    if name then list[#list + 1] = name end
  end
  return list
end

describe("the manual page", function()
  it("describes every command that --help lists", function()
    local man = h.read(h.source_dir .. "/docs/hrsync.1")
    local list = commands()
    assert.is_true(#list >= 5)
    for _, name in ipairs(list) do
      -- a command is a tagged paragraph: .TP then .B name or .BI "name" ARGS
      local found = man:find("\n%.TP\n%.BR? " .. name .. "[%s\"]") or man:find("\n%.TP\n%.BI " .. name .. " ")
      assert.is_truthy(found, "docs/hrsync.1 has no paragraph for '" .. name .. "'")
    end
  end)
end)

describe("a secret handed over by systemd (LoadCredential=)", function()
  local hrsync = require "hrsync"
  local sim, secret, dir

  before_each(function()
    sim, secret = h.start_sim(hrsync, { seed_file = h.examples .. "/demo/directory-seed.json" })
    dir = h.tmpdir()
    h.config(dir, sim, { secret = secret })
    assert(os.execute("mkdir -p '" .. dir .. "/creds'"))
    h.write(dir .. "/creds/client-secret", secret .. "\n")
    local text = h.read(dir .. "/config.lua"):gsub('client_secret_file = "[^"]*"', 'client_secret_file = "%%d/client-secret"')
    h.write(dir .. "/config.lua", text)
  end)
  after_each(function()
    sim:stop()
    os.execute("rm -rf '" .. dir .. "'")
  end)

  local function run(env)
    local f = assert(io.popen(string.format("%s '%s' -c '%s/config.lua' plan 2>&1; echo \"exit=$?\"", env, bin, dir)))
    local out = f:read("a")
    f:close()
    return out, tonumber(out:match("exit=(%d+)%s*$"))
  end

  it("reads client_secret_file = \"%d/…\" from $CREDENTIALS_DIRECTORY, and says so when it is not set", function()
    local out, code = run("CREDENTIALS_DIRECTORY='" .. dir .. "/creds'")
    assert.are.equal(2, code, out) -- the plan has changes: the secret was accepted
    assert.is_nil(out:find(secret, 1, true))
    out, code = run("env -u CREDENTIALS_DIRECTORY")
    assert.are.equal(1, code, out)
    assert.matches("config%.lua:%d+: directory%.client_secret_file is '%%d/client%-secret' but %$CREDENTIALS_DIRECTORY is not set", out)
  end)
end)
