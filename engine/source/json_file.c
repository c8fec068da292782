/* json_file.c: the JSON export source. Reads a JSON document holding an array of records
 * (the document itself, or the array at a dot path such as "data" or "result.employees"),
 * maps record keys (dot paths for nested values) to person fields and hands each record to the
 * shared normalisation (person.c). A record that is not an object is quarantined with its index.
 *
 * cfg: { "type": "json", "path": "…", "records": "data", "fields": { "department.name":
 *        "department", … } } */
#include "hrsync/person.h"
#include "hrsync/source.h"
#include "source_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "JSON source"

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* Writes the first keys of object o, comma-separated, into dst. */
static void some_keys(char *dst, size_t n, const json_t *o)
{
    const char *key;
    json_t *v;
    size_t o_len = 0, count = 0;
    dst[0] = '\0';
    json_object_foreach((json_t *)o, key, v) {
        if (count == 8 || o_len >= n) break;
        int w = snprintf(dst + o_len, n - o_len, "%s%.40s", count ? ", " : "", key);
        if (w < 0) break;
        o_len += (size_t)w;
        count++;
    }
    if (count < json_object_size(o) && o_len + 5 < n) snprintf(dst + o_len, n - o_len, ", …");
}

/* Finds the array of records in doc. Borrowed; NULL with err filled. */
static json_t *records_of(json_t *doc, const char *records, const char *what, hrs_err *err)
{
    char keys[400];
    if (!records) {
        if (json_is_array(doc)) return doc;
        if (json_is_object(doc)) {
            some_keys(keys, sizeof keys, doc);
            hrs_err_set(err, "%s: the document is an object, not an array of records; say which "
                        "key holds the records with `records` (the document has: %s)", what, keys);
        } else {
            hrs_err_set(err, "%s: the document is %s, not an array of records", what,
                        type_name(doc));
        }
        return NULL;
    }
    json_t *a = hrs_source_dot_get(doc, records);
    if (!a) {
        hrs_err_set(err, "%s: the document has nothing at the records path \"%.200s\"", what,
                    records);
        return NULL;
    }
    if (!json_is_array(a)) {
        hrs_err_set(err, "%s: the records path \"%.200s\" leads to %s, not an array", what,
                    records, type_name(a));
        return NULL;
    }
    return a;
}

/* Hands record i to the person set: mapped through fields when given, else as it is. */
static int add_record(hrs_person_set *set, size_t i, json_t *rec, const json_t *fields,
                      const char *what, hrs_err *err)
{
    hrs_person_where where = { "index", (long)i };
    if (!json_is_object(rec)) {
        char why[128];
        snprintf(why, sizeof why, "record %zu is %s, not an object", i, type_name(rec));
        return hrs_person_set_reject(set, where, NULL, why, err);
    }
    /* The document is let go after the read: the people keep its records instead of copies. */
    if (!fields) return hrs_person_set_add_shared(set, where, rec, rec, err);

    json_t *mapped = json_object();
    if (!mapped) return hrs_err_set(err, "%s: out of memory", what);
    const char *key;
    json_t *target;
    json_object_foreach((json_t *)fields, key, target) {
        json_t *v = hrs_source_dot_get(rec, key);
        if (json_object_set(mapped, json_string_value(target), v ? v : json_null()) != 0) {
            json_decref(mapped);
            return hrs_err_set(err, "%s: out of memory", what);
        }
    }
    int rc = hrs_person_set_add_shared(set, where, mapped, rec, err);
    json_decref(mapped);
    return rc;
}

int hrs_source_json_read(const json_t *cfg, hrs_source_result *out, hrs_err *err)
{
    const char *path, *records;
    const json_t *fields;
    out->people = NULL;
    out->quarantine = NULL;
    if (!json_is_object(cfg)) return hrs_err_set(err, WHAT ": the configuration is not a table");
    if (hrs_source_cfg_string(cfg, WHAT, "path", &path, err) != 0) return -1;
    if (!path) return hrs_err_set(err, WHAT ": `path` is required");
    char what[1100];
    snprintf(what, sizeof what, WHAT " %s", path);
    if (hrs_source_cfg_string(cfg, what, "records", &records, err) != 0 ||
        hrs_source_cfg_mapping(cfg, what, "fields", &fields, err) != 0)
        return -1;
    if (fields) {
        const char *key;
        json_t *target;
        int has_id = 0;
        json_object_foreach((json_t *)fields, key, target)
            if (strcmp(json_string_value(target), "id") == 0) has_id = 1;
        if (!has_id)
            return hrs_err_set(err, "%s: no entry of `fields` gives the person id (map a record "
                               "key to \"id\")", what);
    }

    char *buf;
    size_t len;
    if (hrs_source_read_file(WHAT, path, &buf, &len, err) != 0) return -1;
    size_t skip = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    json_error_t jerr;
    json_t *doc = json_loadb(buf + skip, len - skip, 0, &jerr);
    free(buf);
    if (!doc)
        return hrs_err_set(err, "%s:%d:%d: not valid JSON: %s", what, jerr.line, jerr.column,
                           jerr.text);

    int rc = -1;
    hrs_person_set set = { NULL };
    json_t *list = records_of(doc, records, what, err);
    if (list && hrs_person_set_init(&set, err) == 0) {
        size_t i;
        json_t *rec;
        rc = 0;
        json_array_foreach(list, i, rec)
            if ((rc = add_record(&set, i, rec, fields, what, err)) != 0) break;
        if (rc == 0) rc = hrs_person_set_finish(&set, out, err);
    }
    hrs_person_set_free(&set);
    json_decref(doc);
    return rc;
}
