/* tz.c: dates in a time zone through the shipped Lua library's rules (see include/hrsync/tz.h). */
#include "hrsync/tz.h"

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct hrs_tz {
    lua_State *L;   /* holds the helper table at index 1 */
};

/* Runs with the dates module as its argument; returns the two helpers. The end of a day is its
 * local 23:59:59: the offset is taken at the UTC reading of that time and checked once more at
 * the corrected instant, which settles the days summer time starts or ends. */
static const char helper[] =
    "local dates = ...\n"
    "local function end_of_day(date, zone)\n"
    "  local d, err = dates.to_date(date)\n"
    "  if not d then error(err, 0) end\n"
    "  local base = dates.instant(d .. 'T23:59:59Z')\n"
    "  local off = dates.utc_offset(base, zone)\n"
    "  local t = base - off\n"
    "  local off2 = dates.utc_offset(t, zone)\n"
    "  if off2 ~= off then t = base - off2 end\n"
    "  return dates.format_instant(t)\n"
    "end\n"
    "return { local_date = dates.local_date, end_of_day = end_of_day }\n";

hrs_tz *hrs_tz_open(const char *lib_dir, hrs_err *err)
{
    hrs_tz *tz = calloc(1, sizeof *tz);
    if (!tz || !(tz->L = luaL_newstate())) {
        free(tz);
        hrs_err_set(err, "out of memory");
        return NULL;
    }
    lua_State *L = tz->L;
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    lua_settop(L, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/hrsync/dates.lua", lib_dir ? lib_dir : ".");
    if (luaL_loadfilex(L, path, "t") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK ||
        luaL_loadbufferx(L, helper, sizeof helper - 1, "=tz", "t") != LUA_OK) {
        hrs_err_set(err, "cannot load the date rules %s: %s", path, lua_tostring(L, -1));
        hrs_tz_close(tz);
        return NULL;
    }
    lua_insert(L, -2);                     /* helper chunk, dates */
    if (lua_pcall(L, 1, 1, 0) != LUA_OK || !lua_istable(L, -1)) {
        hrs_err_set(err, "cannot load the date rules %s: %s", path, lua_tostring(L, -1));
        hrs_tz_close(tz);
        return NULL;
    }
    return tz;
}

void hrs_tz_close(hrs_tz *tz)
{
    if (!tz) return;
    if (tz->L) lua_close(tz->L);
    free(tz);
}

/* Calls helper fn with (arg1 pushed by the caller, zone); copies the string result into out. */
static int call(hrs_tz *tz, const char *fn, const char *zone, char *out, size_t n, hrs_err *err)
{
    lua_State *L = tz->L;
    lua_getfield(L, 1, fn);
    lua_insert(L, -2);
    lua_pushstring(L, zone);
    if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
        const char *m = lua_tostring(L, -1);
        /* "hrsync.dates.local_date: unknown time zone 'X' (built in: …)" reads well as it is. */
        hrs_err_set(err, "%s", m ? m : "error in the date rules");
        lua_settop(L, 1);
        return -1;
    }
    const char *s = lua_tostring(L, -1);
    if (!s || strlen(s) >= n) {
        hrs_err_set(err, "the date rules answered something that is not a date");
        lua_settop(L, 1);
        return -1;
    }
    snprintf(out, n, "%s", s);
    lua_settop(L, 1);
    return 0;
}

int hrs_tz_local_date(hrs_tz *tz, int64_t t, const char *zone, char out[11], hrs_err *err)
{
    lua_pushinteger(tz->L, (lua_Integer)t);
    return call(tz, "local_date", zone, out, 11, err);
}

int hrs_tz_end_of_day(hrs_tz *tz, const char *date, const char *zone, char out[21], hrs_err *err)
{
    lua_pushstring(tz->L, date);
    return call(tz, "end_of_day", zone, out, 21, err);
}

int hrs_tz_parse_instant(const char *s, int64_t *out)
{
    int y, mo, d, h, mi, sec, n = 0;
    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 || n != 19) return -1;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || sec > 60) return -1;
    const char *p = s + 19;
    if (*p == '.') for (p++; *p >= '0' && *p <= '9'; p++) {}
    int64_t off = 0;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int oh, om, k = 0;
        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &k) != 2 || k != 5 || oh > 23 || om > 59) return -1;
        off = (oh * 3600 + om * 60) * (*p == '-' ? -1 : 1);
        p += 6;
    } else {
        return -1;
    }
    if (*p) return -1;
    struct tm tm = { 0 };
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    tm.tm_sec = sec;
    time_t t = timegm(&tm);    /* UTC: no process time zone involved */
    if (t == (time_t)-1) return -1;
    *out = (int64_t)t - off;
    return 0;
}

int hrs_tz_clock_init(hrs_tz *tz, const char *now, const char *zone, hrs_tz_clock *c, char today[11], hrs_err *err)
{
    memset(c, 0, sizeof *c);
    snprintf(c->zone, sizeof c->zone, "%s", zone && *zone ? zone : "UTC");
    if (now && strlen(now) == 10) {
        c->date_only = 1;
        snprintf(c->date, sizeof c->date, "%s", now);
        c->instant = (int64_t)time(NULL);
    } else if (now && *now) {
        if (hrs_tz_parse_instant(now, &c->instant) != 0) return hrs_err_set(err, "now '%s' is not a date or an instant", now);
    } else {
        c->instant = (int64_t)time(NULL);
    }
    /* Checks the zone even when a date is pinned, so a wrong name is found on the first run. */
    char d[11];
    if (hrs_tz_local_date(tz, c->instant, c->zone, d, err) != 0) return hrs_err_prefix(err, "timezone");
    snprintf(today, 11, "%s", c->date_only ? c->date : d);
    return 0;
}

int hrs_tz_clock_today(hrs_tz *tz, const hrs_tz_clock *c, const char *zone, char out[11], hrs_err *err)
{
    if (c->date_only) {
        snprintf(out, 11, "%s", c->date);
        return 0;
    }
    return hrs_tz_local_date(tz, c->instant, zone && *zone ? zone : c->zone, out, err);
}
