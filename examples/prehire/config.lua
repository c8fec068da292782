-- Accounts created a week before the first day, disabled until the hire date: IT can prepare
-- the laptop and licences, and the account signs in from day one. The people are the demo's.
-- Export HRSYNC_CLIENT_SECRET (the app registration's secret) before a real run.
return {
  now = "2026-12-01",                     -- the fixtures' date; remove it to follow the clock
  source = { type = "csv", path = "../demo/people.csv" },
  directory = {
    tenant = "example.com",
    client_id = "00000000-0000-0000-0000-000000000000",
    client_secret_env = "HRSYNC_CLIENT_SECRET",
  },
  policy = "policy.lua",
  state = "prehire-state.db",
}
