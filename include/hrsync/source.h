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
} hrs_source_result;

/* Reads the source described by cfg (the `source` table of the config, as JSON; relative paths
 * already resolved). Records that cannot be read are put in quarantine with the reason and the
 * rest is read; -1 only when the source as a whole cannot be read (file missing, not CSV…).
 * cfg "type" picks the reader ("csv", "json"); an unknown type is an error listing the known
 * ones. out need not be initialised: it is overwritten, and is empty after a failure; free it
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

/* Frees the arrays in a result and zeroes it. */
void hrs_source_result_clear(hrs_source_result *r);

/* Normalises a date written as YYYY-MM-DD, YYYY-MM-DDThh:mm:ss[.fff][Z|±hh:mm], DD.MM.YYYY or
 * YYYY/MM/DD into "YYYY-MM-DD" (out must hold 11 bytes), taking the calendar date as written.
 * Returns 0, or -1 if s is not a valid date. */
int hrs_source_parse_date(const char *s, char out[11]);

#endif
