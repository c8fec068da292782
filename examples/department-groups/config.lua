-- Department → security group: everyone in scope is a member of their department's group, and
-- moves with their department. The people and the directory are the demo's (examples/demo/).
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
  state = "department-groups-state.db",
}
