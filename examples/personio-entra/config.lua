-- Personio into Microsoft Entra ID the way Personio's own Entra integration behaves (see
-- policy.lua), here from a CSV export so that it runs anywhere. For the Personio API, replace
-- the source with { type = "personio", client_id = "…", client_secret_env = "PERSONIO_SECRET" }.
-- Export HRSYNC_CLIENT_SECRET (the app registration's secret) before a real run.
return {
  now = "2026-12-01",                     -- the fixtures' date; remove it to follow the clock
  source = { type = "csv", path = "people.csv" },
  directory = {
    tenant = "example.com",
    client_id = "00000000-0000-0000-0000-000000000000",
    client_secret_env = "HRSYNC_CLIENT_SECRET",
  },
  policy = "policy.lua",
  state = "personio-state.db",
}
