/* tz.h: calendar dates in a time zone, for the lifecycle rules: "today" for a person in their
 * own (or the company's) time zone, and the instant a leaver's last day ends.
 *
 * The zone rules are the shipped Lua library's (scripts/hrsync/dates.lua: UTC, Etc/UTC,
 * Europe/London, Europe/Berlin, Europe/Stockholm, Europe/Helsinki, America/New_York,
 * America/Los_Angeles with the current EU and US summer-time rules), loaded into a small Lua
 * state of its own, so that C and the policies agree on every date. A zone the library does not
 * know is an error that lists the known ones. */
#ifndef HRSYNC_TZ_H
#define HRSYNC_TZ_H

#include <stdint.h>
#include "hrsync/err.h"

typedef struct hrs_tz hrs_tz;

/* Loads <lib_dir>/hrsync/dates.lua. Returns NULL with err on failure. The caller owns it. */
hrs_tz *hrs_tz_open(const char *lib_dir, hrs_err *err);
void hrs_tz_close(hrs_tz *tz);

/* The local calendar date ("YYYY-MM-DD", out holds 11 bytes) in zone at the instant t (seconds
 * since 1970-01-01T00:00:00Z). Returns 0, or -1 with err (unknown zone). */
int hrs_tz_local_date(hrs_tz *tz, int64_t t, const char *zone, char out[11], hrs_err *err);

/* The instant at which the calendar day `date` (YYYY-MM-DD) ends in zone, that is its local
 * 23:59:59, as Graph writes a DateTimeOffset: "YYYY-MM-DDThh:mm:ssZ" (out holds 21 bytes).
 * Returns 0, or -1 with err (unknown zone, bad date). */
int hrs_tz_end_of_day(hrs_tz *tz, const char *date, const char *zone, char out[21], hrs_err *err);

/* Parses an instant "YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)" into seconds since the epoch.
 * Returns 0, or -1 when s is not such an instant (no error text: callers say what they parsed). */
int hrs_tz_parse_instant(const char *s, int64_t *out);

/* The clock of one cycle. */
typedef struct hrs_tz_clock {
    int64_t instant;       /* seconds since the epoch */
    int date_only;         /* "now" was pinned as a date: that date is every person's today */
    char date[11];         /* the pinned date (date_only) */
    char zone[64];         /* the company's time zone */
} hrs_tz_clock;

/* Sets up the clock from the pinned now (a date, an instant, or "" for the system clock) and the
 * company zone (NULL or "" = "UTC"), and writes the company's today into today. Returns 0, or -1
 * with err (unknown zone, a now that is neither). */
int hrs_tz_clock_init(hrs_tz *tz, const char *now, const char *zone, hrs_tz_clock *c, char today[11], hrs_err *err);

/* A person's today: the pinned date, or the clock's instant as a date in zone (NULL or "" =
 * the company's). Returns 0, or -1 with err (unknown zone). */
int hrs_tz_clock_today(hrs_tz *tz, const hrs_tz_clock *c, const char *zone, char out[11], hrs_err *err);

#endif
