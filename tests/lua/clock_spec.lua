-- Specs for hrsync.clock: the pinned "now" that the library uses when no date is passed.

local clock = require("hrsync.clock")

describe("hrsync.clock", function()
  after_each(function()
    clock.set(nil)
    _G.hrsync_today = nil
    _G.hrsync_now = nil
  end)

  it("raises when there is no clock", function()
    assert.has_error(function() clock.today() end,
      "hrsync.clock: no clock (the engine provides hrsync_today(); specs call clock.set)")
  end)

  it("reads the engine's hrsync_today() global at call time", function()
    _G.hrsync_today = function() return "2025-03-31" end
    assert.are.equal("2025-03-31", clock.today())
    _G.hrsync_today = function() return "2025-04-01" end
    assert.are.equal("2025-04-01", clock.today())
  end)

  it("falls back to hrsync_now(), and accepts a plain string global", function()
    _G.hrsync_now = function() return "2025-05-05" end
    assert.are.equal("2025-05-05", clock.today())
    _G.hrsync_now = "2025-06-06"
    assert.are.equal("2025-06-06", clock.today())
  end)

  it("cuts a date-time to its calendar date as written", function()
    _G.hrsync_today = function() return "2025-03-31T23:30:00-05:00" end
    assert.are.equal("2025-03-31", clock.today())
  end)

  it("lets set() override the engine and be undone", function()
    _G.hrsync_today = function() return "2025-03-31" end
    clock.set("2030-01-01")
    assert.are.equal("2030-01-01", clock.today())
    clock.set(function() return "2031-02-02" end)
    assert.are.equal("2031-02-02", clock.today())
    clock.set(nil)
    assert.are.equal("2025-03-31", clock.today())
  end)

  it("refuses values that are not dates", function()
    assert.has_error(function() clock.set("31.03.2025") end)
    assert.has_error(function() clock.set(42) end)
    clock.set(function() return 20250331 end)
    assert.has_error(function() clock.today() end,
      "hrsync.clock: clock.set function returned number, expected 'YYYY-MM-DD'")
    clock.set(nil)
    _G.hrsync_today = function() return "soon" end
    assert.has_error(function() clock.today() end,
      "hrsync.clock: hrsync_today() returned 'soon', expected 'YYYY-MM-DD'")
  end)
end)
