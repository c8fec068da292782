-- The sample company: HR data from a CSV export, synced into Microsoft Entra ID.
-- `hrsync demo` points the directory at the local simulator; to use a real tenant, set
-- tenant and client_id to your app registration's and export HRSYNC_DEMO_CLIENT_SECRET.
return {
  -- The fixtures' reference date: every date rule is evaluated as of this day.
  now = "2026-12-01",

  source = {
    type = "csv",
    path = "people.csv",
  },

  directory = {
    tenant = "example.com",
    client_id = "5a0c6f5e-0d1e-4d6b-9c1a-2f1e0de70001",
    client_secret_env = "HRSYNC_DEMO_CLIENT_SECRET",
    -- graph_url = "https://graph.microsoft.com/v1.0",      (the default)
    -- login_url = "https://login.microsoftonline.com",     (the default)
  },

  policy = "policy.lua",
  state = "demo-state.db",
}
