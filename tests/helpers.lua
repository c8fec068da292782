-- helpers.lua: shared pieces of the busted scenarios: temporary folders, configs that point the
-- engine at a simulator, and lookups in a simulator snapshot.
local M = {}

M.source_dir = os.getenv("HRSYNC_SOURCE_DIR") or "."
M.build_dir = os.getenv("HRSYNC_BUILD_DIR") or "build"
M.bin = M.build_dir .. "/hrsync"
M.examples = M.source_dir .. "/examples"

-- Runs a shell command; returns its output (stdout and stderr together) and its exit code.
function M.run(cmd)
  local f = assert(io.popen(cmd .. " 2>&1; echo \"exit=$?\""))
  local out = f:read("a")
  f:close()
  local code = tonumber(out:match("exit=(%d+)%s*$"))
  return (out:gsub("exit=%d+%s*$", "")), code
end

function M.tmpdir()
  local p = os.tmpname()
  os.remove(p)
  assert(os.execute("mkdir -p '" .. p .. "'"))
  return p
end

function M.write(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
  return path
end

function M.read(path)
  local f = assert(io.open(path, "r"))
  local t = f:read("a")
  f:close()
  return t
end

-- Starts a simulator with a fresh secret. Returns sim, secret.
function M.start_sim(hrsync, opts)
  opts = opts or {}
  local secret = opts.client_secret or ("s3cret-" .. tostring(math.random(1e9)))
  local sim = assert(hrsync.sim_start{
    tenant = opts.tenant or "example.com",
    client_id = opts.client_id or "11111111-2222-3333-4444-555555555555",
    client_secret = secret,
    seed_file = opts.seed_file,
    state_file = opts.state_file,
  })
  return sim, secret
end

-- Writes a config into dir for the given sim and returns its path. opts: source (Lua text of
-- the source table), policy (path), secret, now, extra (Lua text appended in the table).
function M.config(dir, sim, opts)
  local secret_file = M.write(dir .. "/client-secret", opts.secret .. "\n")
  local text = string.format([[
return {
  now = %q,
  source = %s,
  directory = {
    tenant = "example.com",
    client_id = %q,
    client_secret_file = %q,
    graph_url = %q,
    login_url = %q,
  },
  policy = %q,
  state = %q,
  %s
}
]], opts.now or "2026-12-01", opts.source or string.format("{ type = 'csv', path = %q }", M.examples .. "/demo/people.csv"),
    opts.client_id or "11111111-2222-3333-4444-555555555555", secret_file,
    sim:url() .. "/v1.0", sim:url(), opts.policy or (M.examples .. "/demo/policy.lua"), dir .. "/state.db", opts.extra or "")
  return M.write(dir .. "/config.lua", text)
end

function M.user_by_upn(snapshot, upn)
  for _, u in ipairs(snapshot.users) do
    if u.userPrincipalName:lower() == upn:lower() then return u end
  end
end

function M.group(snapshot, name)
  for _, g in ipairs(snapshot.groups or {}) do
    if g.displayName == name then return g end
  end
end

function M.is_member(snapshot, group_name, user)
  local g = M.group(snapshot, group_name)
  for _, id in ipairs(g and g.members or {}) do
    if id == user.id then return true end
  end
  return false
end

function M.changes_for(plan, person_id)
  for _, c in ipairs(plan.changes) do
    if c.person == person_id then return c end
  end
end

return M
