-- AlexisHR into Microsoft Entra ID the way AlexisHR's own Entra integration behaves (see
-- policy.lua), here from a CSV export so that it runs anywhere. For the AlexisHR API, replace
-- the source with { type = "alexishr", token_env = "ALEXISHR_TOKEN" } (see the README).
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
  state = "alexishr-state.db",
}
