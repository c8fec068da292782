-- BambooHR into Microsoft Entra ID, through the source scripted in Lua that hrsync ships
-- (scripts/sources/bamboohr.lua). Export BAMBOOHR_API_KEY (a BambooHR API key of a user who may
-- read the fields of the report) and HRSYNC_CLIENT_SECRET (the app registration's secret).
return {
  source = {
    type = "lua",
    script = "bamboohr.lua",              -- not in this folder: the shipped script is used
    hosts = { "api.bamboohr.com" },       -- the only host the script may reach
    secrets = { api_key_env = "BAMBOOHR_API_KEY" },
    company = "example",                  -- example.bamboohr.com
    statuses = { "active", "inactive" },  -- any other status is quarantined
    max_shrink = 0.2,                     -- stop when more than 20% of the people disappear
  },

  directory = {
    tenant = "example.com",
    client_id = "00000000-0000-0000-0000-000000000000",
    client_secret_env = "HRSYNC_CLIENT_SECRET",
  },

  policy = "../demo/policy.lua",          -- any policy: every source yields the same person
  state = "bamboohr-state.db",
}
