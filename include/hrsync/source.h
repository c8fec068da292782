/* source.h: HR source connectors. Every source yields the same normalised person record, so
 * one policy serves any source.
 *
 * A person is a JSON object (jansson) with these normalised keys, each a string or null:
 *   id, first_name, last_name, preferred_name, email, status, department, position, office,
 *   supervisor_id, hire_date, termination_date, gender
 * plus any custom field under its own (mapped) name, and "raw": the record as the source sent
 * it. Dates are calendar dates "YYYY-MM-DD" (never shifted through UTC). */
#ifndef HRSYNC_SOURCE_H
#define HRSYNC_SOURCE_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_source_result {
    json_t *people;      /* array of person objects (owned) */
    json_t *quarantine;  /* array of {"line":N? | "index":N?, "id":…?, "reason":"…"} for records
                          * skipped (owned): "line" for files read line by line (CSV), "index"
                          * for a record's position in a JSON array or API listing; "id" when
                          * the record's id is known. An entry without an id means a record was
                          * lost whole: the person it held must not be taken as gone. */
    int partial;         /* 1 when the read was incremental (an updated_since cursor): people
                          * who are absent are unchanged, not gone; no shrink check applies */
} hrs_source_result;

/* Reads the source described by cfg (the `source` table of the config, as JSON; relative paths
 * already resolved). Records that cannot be read are put in quarantine with the reason and the
 * rest is read; -1 only when the source as a whole cannot be read (file missing, not CSV…).
 * cfg "type" picks the reader ("csv", "json", "personio", "alexishr", "lua"); an unknown type
 * is an error listing the known ones. out need not be initialised: it is overwritten, and is empty after a failure; free it
 * with hrs_source_result_clear. */
int hrs_source_read(const json_t *cfg, hrs_source_result *out, hrs_err *err);

/* CSV/JSON export readers (engine/source/csv.c, engine/source/json_file.c), called by
 * hrs_source_read; same contract.
 * csv:  path (required); delimiter (one character, default ","; "\t" or "tab" for a tab);
 *       columns (table: CSV header → person field; only mapped columns become fields; without
 *       it every header name is used as the field name). UTF-8 with or without BOM, RFC 4180
 *       quoting, CRLF or LF; blank lines are skipped. A row that cannot be read (wrong number of
 *       fields, unterminated quote, invalid UTF-8) is quarantined with the line it starts on.
 * json: path (required); records (dot path to the array of records, e.g. "data"; default: the
 *       document is the array); fields (table: record key or dot path such as
 *       "department.name" → person field; without it the record's keys are the field names).
 *       A record that is not an object is quarantined with its index. */
int hrs_source_csv_read(const json_t *cfg, hrs_source_result *out, hrs_err *err);
int hrs_source_json_read(const json_t *cfg, hrs_source_result *out, hrs_err *err);

/* API and scripted readers, called by hrs_source_read; same contract. Secrets come from
 * `<name>_env` / `<name>_file` keys (never inline), are registered with the logger and never
 * appear in a message. Records that cannot be read (a malformed page, a record without id,
 * duplicate ids, a bad date, an unknown status) are quarantined with the reason and the
 * source's own words; the rest of the read goes on.
 * personio (engine/source/personio.c): Personio API v1. base_url (default
 *       https://api.personio.de/v1), client_id, client_secret_env | client_secret_file,
 *       partner_id, app_id (the X-Personio-Partner-ID / X-Personio-App-ID headers), page_size
 *       (1..100, default 100), fields (person field = attribute key or label, e.g.
 *       { personnel_number = "dynamic_2714401" } or { personnel_number = "Personnel number" }),
 *       required_fields (list of person fields, attribute keys or labels that must be in the
 *       answer), updated_since (an incremental read; the result is partial), rate_limit
 *       ({ per_second = 15, per_minute = 300 } by default), timeout (seconds).
 * alexishr (engine/source/alexishr.c): AlexisHR API. base_url (default
 *       https://api.alexishr.com/v1), token_env | token_file, page_size (1..1000, default 100),
 *       fields (person field = record key or dot path), select (extra fields to ask for),
 *       filters ({ field = value } or { field = { ["$op"] = value } }, deepObject-encoded),
 *       updated_since (filters[updated][$gte]; the result is partial), rate_limit, timeout.
 * lua (engine/source/lua_source.c): script (the Lua file), hosts (the host names the script
 *       may reach), secrets ({ name_env = "VAR" } / { name_file = "path" }), fields (person
 *       field = record key or dot path, applied by C to what the script returns), rate_limit,
 *       timeout; every other key is passed to the script as `config`. */
int hrs_source_personio_read(const json_t *cfg, hrs_source_result *out, hrs_err *err);
int hrs_source_alexishr_read(const json_t *cfg, hrs_source_result *out, hrs_err *err);
int hrs_source_lua_read(const json_t *cfg, hrs_source_result *out, hrs_err *err);

/* The shrink check: a source that returns far fewer people than the last full read stops the
 * cycle before anything is disabled. previous is the number of people (with quarantined records)
 * of the last full read, now that of this one; max_drop_ratio is the share that may disappear
 * (source.max_shrink, default 0.2: refuse when more than 20% are gone; >= 1 turns the check off).
 * Returns 0 when the read may be used (also when previous is 0), or -1 with err naming both
 * counts and the setting. */
int hrs_source_shrink_check(size_t previous, size_t now, double max_drop_ratio, hrs_err *err);

/* Reads source.max_shrink from the source config (default 0.2; false turns the check off and
 * gives 1). Returns 0, or -1 with err when it is not a number from 0 to 1 or false. */
int hrs_source_max_shrink(const json_t *cfg, double *out, hrs_err *err);

/* Whether the source can read incrementally from a cursor (personio, alexishr: updated_since).
 * When it can, writes into out (size n) the cursor value for a read that starts at epoch:
 * five minutes earlier, in UTC, in the form the service takes ("2026-12-01T08:15:30" for
 * Personio, which does not document a zone — UTC is at or before Europe's local times, so a
 * read may repeat people but never miss one —, with "Z" for AlexisHR). Returns 1, or 0. */
int hrs_source_cursor(const json_t *cfg, long long epoch, char *out, size_t n);

/* Frees the arrays in a result and zeroes it. */
void hrs_source_result_clear(hrs_source_result *r);

/* Normalises a date written as YYYY-MM-DD, YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm], DD.MM.YYYY or
 * YYYY/MM/DD into "YYYY-MM-DD" (out must hold 11 bytes), taking the calendar date as written.
 * Returns 0, or -1 if s is not a valid date. */
int hrs_source_parse_date(const char *s, char out[11]);

#endif
