-- Female starters → the Women's group: a woman who joins is put into "Women" with her account,
-- before her first day. The people and the directory are the demo's (examples/demo/).
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
  state = "women-starters-state.db",
}
