/* personio.h: how a Personio API v1 employee becomes person fields (engine/source/personio_map.c),
 * used by the Personio source (engine/source/personio.c) and its tests.
 *
 * An employee is {"type":"Employee","attributes":{key: attribute}}. An attribute is an envelope
 * {label, value, type, universal_id} or, in answers from before about 2021, {label, value};
 * both are read, and neither type nor universal_id is required. Nested objects (supervisor,
 * department, office, team, subcompany) are {"type":…,"attributes":{…}} whose own members may
 * be envelopes or plain values. Custom attributes are "dynamic_<N>" and are found by key or by
 * label. Dates are calendar dates: "2019-05-01T00:00:00+02:00" is 2019-05-01 (the date part,
 * never converted to UTC). */
#ifndef HRSYNC_PERSONIO_H
#define HRSYNC_PERSONIO_H

#include <stddef.h>
#include <jansson.h>

/* The statuses Personio documents, lower case, NULL-terminated. */
extern const char *const hrs_personio_statuses[];

/* The attribute named key_or_label in an attributes object: by key, then by label (exactly,
 * then without regard to ASCII case). Returns the attribute as sent (borrowed; an envelope or a
 * plain value), or NULL when absent. *key_out (may be NULL) gets its key (borrowed). */
const json_t *hrs_personio_find(const json_t *attributes, const char *key_or_label,
                                const char **key_out);

/* The value inside an attribute: the envelope's "value", or the attribute itself when it is not
 * an envelope. Borrowed; NULL stays NULL. */
const json_t *hrs_personio_value(const json_t *attribute);

/* The person field an attribute key feeds by default ("supervisor" -> "supervisor_id",
 * "dynamic_…" -> NULL), or NULL. */
const char *hrs_personio_default_field(const char *key);

/* The attribute key a person field is read from by default ("supervisor_id" -> "supervisor"),
 * or NULL. */
const char *hrs_personio_default_key(const char *field);

/* Maps one employee to person fields: the normalised keys from the standard attributes
 * (department/office/team/subcompany by name, supervisor_id from the nested supervisor, with
 * supervisor_email when the nested supervisor carries it), custom fields for team, subcompany,
 * employment_type, contract_end_date and last_working_day when the answer has them, then the
 * admin's mapping `fields` (person field -> attribute key or label; may be NULL) over them.
 * Status is lower-cased and must be one of hrs_personio_statuses; date attributes become
 * "YYYY-MM-DD". Returns a new object (caller owns), or NULL with a one-sentence reason in why
 * (which names the attribute, its label and the value as Personio sent it). */
json_t *hrs_personio_employee_fields(const json_t *employee, const json_t *fields, char *why,
                                     size_t why_len);

#endif
