/* person.h: the normalisation step shared by every HR source (CSV, JSON export, Personio,
 * AlexisHR…).
 *
 * A connector reads its records, maps each one to a flat object of field name → value (the
 * "fields"), and hands that, the original record ("raw") and where the record came from to a
 * person set. The set normalises the record into the person object described in source.h
 * (normalised keys as strings or null, calendar dates "YYYY-MM-DD", status lower-cased, custom
 * fields under their mapped names, "raw") or quarantines it with a reason. At the end the set
 * runs the checks that need every record (missing id, duplicate ids) and hands over an
 * hrs_source_result. */
#ifndef HRSYNC_PERSON_H
#define HRSYNC_PERSON_H

#include <stddef.h>
#include <jansson.h>
#include "hrsync/err.h"
#include "hrsync/source.h"

/* Where a record came from. kind is "line" (the physical line of a file where the record
 * starts, from 1) or "index" (the position in a JSON array or an API listing, from 0); it names
 * the key of the quarantine entry and appears in reasons ("line 7", "index 3"). kind NULL means
 * unknown. kind must be a string that outlives the set (a literal). */
typedef struct hrs_person_where {
    const char *kind;
    long n;
} hrs_person_where;

/* Records collected by a connector before the cross-record checks. Create with
 * hrs_person_set_init, fill with hrs_person_set_add / hrs_person_set_reject, finish with
 * hrs_person_set_finish, free with hrs_person_set_free (always safe, also after finish). */
struct hrs_person_rec; /* one record: where, id, person or reason (person.c) */
typedef struct hrs_person_set {
    struct hrs_person_rec *recs;   /* source order (owned) */
    size_t n, cap;
} hrs_person_set;

/* The normalised keys in their order, NULL-terminated. Static storage; do not free. */
const char *const *hrs_person_keys(void);

/* 1 if key is one of the normalised keys, else 0. */
int hrs_person_is_key(const char *key);

/* 1 if key is a normalised date key (hire_date, termination_date), else 0. */
int hrs_person_is_date_key(const char *key);

/* Normalises one mapped record. fields: field name → value (borrowed; strings, numbers, booleans
 * and null are turned into trimmed strings or null for the normalised keys, an empty string
 * becomes null; custom fields keep their JSON value, with strings treated the same way); the
 * key "raw" in fields is ignored. A string that needs no trimming is not copied: the person
 * holds a reference to it (JSON strings are never changed once made). raw: the record as the
 * source sent it (borrowed, deep-copied into the person; may be NULL, then "raw" is an empty
 * object). Returns a new person object
 * (caller owns it), or NULL with a one-sentence reason in why (a bad date names the field and
 * the value; "out of memory" when an allocation failed). why must hold why_len bytes. A missing
 * id is not an error here: the set's finish step reports it. */
json_t *hrs_person_normalise(const json_t *fields, const json_t *raw, char *why, size_t why_len);

/* Prepares an empty set (it allocates nothing until a record comes). Returns 0. */
int hrs_person_set_init(hrs_person_set *s, hrs_err *err);

/* Normalises one record (see hrs_person_normalise) and keeps it, or keeps it as quarantined
 * when it does not normalise. fields and raw are borrowed. Returns 0 in both cases; -1 only when
 * out of memory (err filled). */
int hrs_person_set_add(hrs_person_set *s, hrs_person_where where, const json_t *fields,
                       const json_t *raw, hrs_err *err);

/* As hrs_person_set_add, but the person keeps raw itself (a new reference, not a copy), and the
 * object and array values of custom fields too: neither may be changed afterwards. For readers
 * that make each record for the set (CSV) or let go of what they read after the read (every
 * other source). */
int hrs_person_set_add_shared(hrs_person_set *s, hrs_person_where where, const json_t *fields,
                              const json_t *raw, hrs_err *err);

/* Keeps a record that could not be read at all as quarantined, with reason (copied). id is the
 * record's id when known, else NULL. Returns 0, or -1 when out of memory (err filled). */
int hrs_person_set_reject(hrs_person_set *s, hrs_person_where where, const char *id,
                          const char *reason, hrs_err *err);

/* Runs the cross-record checks and moves the records into out (overwritten, need not be
 * initialised; the caller frees it with hrs_source_result_clear): a record without an id is
 * quarantined; when several records share an id, every one of them is quarantined with a
 * reason naming where each of them is (records already quarantined for another reason count
 * too, so the readable twin of an unreadable record is not taken). People and quarantine keep
 * the source order. Quarantine entries are {kind:n (when known), "id" (when known),
 * "reason"}. The set is left empty. Returns 0, or -1 when out of memory (err filled, out empty). */
int hrs_person_set_finish(hrs_person_set *s, hrs_source_result *out, hrs_err *err);

/* Frees what the set holds and zeroes it. */
void hrs_person_set_free(hrs_person_set *s);

#endif
