/* personio_map.c: one Personio API v1 employee → person fields (see include/hrsync/personio.h).
 * Reads both attribute shapes ({label, value, type, universal_id} and the older {label, value}),
 * nested supervisor/department/office/team/subcompany objects, dynamic_N custom attributes by
 * key or label, and date attributes as calendar dates. */
#include "hrsync/personio.h"
#include "hrsync/person.h"
#include "hrsync/source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const hrs_personio_statuses[] = { "active", "onboarding", "leave", "inactive", NULL };

/* How an attribute's value becomes a field value. */
enum map_kind {
    K_TEXT,      /* the scalar as it is */
    K_STATUS,    /* lower-cased, checked against hrs_personio_statuses */
    K_NAME,      /* a nested object's attributes.name */
    K_ID,        /* a nested object's attributes.id */
    K_DATE,      /* a calendar date */
    K_EMAIL,     /* a nested object's attributes.email */
    K_AUTO,      /* by the attribute's type and shape (admin mappings) */
};

/* The standard attributes: person field <- attribute key. custom: a field outside the
 * normalised keys, set only when the answer has the attribute. */
static const struct {
    const char *field, *key;
    enum map_kind kind;
    int custom;
} standard[] = {
    { "id", "id", K_TEXT, 0 },
    { "first_name", "first_name", K_TEXT, 0 },
    { "last_name", "last_name", K_TEXT, 0 },
    { "preferred_name", "preferred_name", K_TEXT, 0 },
    { "email", "email", K_TEXT, 0 },
    { "gender", "gender", K_TEXT, 0 },
    { "status", "status", K_STATUS, 0 },
    { "position", "position", K_TEXT, 0 },
    { "department", "department", K_NAME, 0 },
    { "office", "office", K_NAME, 0 },
    { "supervisor_id", "supervisor", K_ID, 0 },
    { "hire_date", "hire_date", K_DATE, 0 },
    { "termination_date", "termination_date", K_DATE, 0 },
    { "supervisor_email", "supervisor", K_EMAIL, 1 },
    { "team", "team", K_NAME, 1 },
    { "subcompany", "subcompany", K_NAME, 1 },
    { "employment_type", "employment_type", K_TEXT, 1 },
    { "contract_end_date", "contract_end_date", K_DATE, 1 },
    { "last_working_day", "last_working_day", K_DATE, 1 },
};
#define N_STANDARD (sizeof standard / sizeof standard[0])

const char *hrs_personio_default_field(const char *key)
{
    for (size_t i = 0; i < N_STANDARD; i++)
        if (strcmp(standard[i].key, key) == 0) return standard[i].field;
    return NULL;
}

const char *hrs_personio_default_key(const char *field)
{
    for (size_t i = 0; i < N_STANDARD; i++)
        if (strcmp(standard[i].field, field) == 0) return standard[i].key;
    return NULL;
}

const json_t *hrs_personio_value(const json_t *attribute)
{
    if (json_is_object(attribute) && json_object_get(attribute, "label") &&
        json_object_get(attribute, "value"))
        return json_object_get(attribute, "value");
    return attribute;
}

const json_t *hrs_personio_find(const json_t *attributes, const char *key_or_label,
                                const char **key_out)
{
    const char *key;
    json_t *a;
    if (key_out) *key_out = NULL;
    if (!json_is_object(attributes) || !key_or_label) return NULL;
    void *it = json_object_iter_at((json_t *)attributes, key_or_label);
    if (it) {
        if (key_out) *key_out = json_object_iter_key(it);
        return json_object_iter_value(it);
    }
    for (int fold = 0; fold < 2; fold++) {
        json_object_foreach((json_t *)attributes, key, a) {
            const char *label = json_string_value(json_object_get(a, "label"));
            if (!label || !json_object_get(a, "value")) continue;
            if (fold ? strcasecmp(label, key_or_label) == 0 : strcmp(label, key_or_label) == 0) {
                if (key_out) *key_out = key;
                return a;
            }
        }
    }
    return NULL;
}

/* Copies s for a message: at most ~60 bytes, control characters as '?'. */
static void shown(char *dst, size_t n, const char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i] && o + 4 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (o >= 60 && (c & 0xC0) != 0x80) {
            memcpy(dst + o, "\xE2\x80\xA6", 3);
            o += 3;
            break;
        }
        dst[o++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    dst[o] = '\0';
}

/* "hire_date (\"Hire date\")" for messages. */
static void attr_name(char *dst, size_t n, const char *key, const json_t *attribute)
{
    const char *label = json_string_value(json_object_get(attribute, "label"));
    if (label && strcmp(label, key) != 0) {
        char l[96];
        shown(l, sizeof l, label);
        snprintf(dst, n, "%s (\"%s\")", key, l);
    } else {
        snprintf(dst, n, "%s", key);
    }
}

/* A member of a nested object: obj.attributes.<name> (unwrapped) or obj.<name>. */
static const json_t *nested(const json_t *obj, const char *name)
{
    const json_t *attrs = json_object_get(obj, "attributes");
    const json_t *v = json_is_object(attrs) ? json_object_get(attrs, name) : NULL;
    if (!v) v = json_object_get(obj, name);
    return hrs_personio_value(v);
}

/* A JSON scalar as a new JSON string (numbers written out), or JSON null for null. NULL for
 * objects and arrays. */
static json_t *as_text(const json_t *v)
{
    char buf[64];
    if (!v || json_is_null(v)) return json_null();
    if (json_is_string(v)) return json_stringn(json_string_value(v), json_string_length(v));
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.15g", json_real_value(v));
        return json_string(buf);
    }
    if (json_is_boolean(v)) return json_string(json_is_true(v) ? "true" : "false");
    return NULL;
}

static int is_date_attribute(const json_t *attribute)
{
    const char *type = json_string_value(json_object_get(attribute, "type"));
    return type && strcmp(type, "date") == 0;
}

/* Converts one attribute's value by kind. Returns a new value (JSON null for null or an empty
 * string), or NULL with why. */
static json_t *convert(const char *key, const json_t *attribute, enum map_kind kind, char *why,
                       size_t n)
{
    const json_t *v = hrs_personio_value(attribute);
    char name[200], val[96];
    attr_name(name, sizeof name, key, attribute);
    if (kind == K_AUTO) {
        if (is_date_attribute(attribute)) kind = K_DATE;
        else if (json_is_object(v) && strcmp(key, "supervisor") == 0) kind = K_ID;
        else if (json_is_object(v)) kind = K_NAME;
        else if (json_is_array(v)) return json_deep_copy(v);
        else kind = K_TEXT;
    }
    if (!v || json_is_null(v) || (json_is_string(v) && json_string_length(v) == 0))
        return json_null();
    switch (kind) {
    case K_NAME:
    case K_ID:
    case K_EMAIL:
        if (json_is_object(v)) {
            json_t *t = as_text(nested(v, kind == K_NAME ? "name" : kind == K_ID ? "id" : "email"));
            if (t) return t;
            snprintf(why, n, "%s holds an object whose %s is not a text value", name,
                     kind == K_NAME ? "name" : kind == K_ID ? "id" : "email");
            return NULL;
        }
        if (kind == K_EMAIL) return json_null();
        break;
    default:
        break;
    }
    json_t *t = as_text(v);
    if (!t) {
        snprintf(why, n, "%s is a JSON %s, not a text value", name,
                 json_is_object(v) ? "object" : "array");
        return NULL;
    }
    if (kind == K_DATE && json_is_string(t)) {
        char date[11];
        if (hrs_source_parse_date(json_string_value(t), date) != 0) {
            shown(val, sizeof val, json_string_value(t));
            snprintf(why, n, "%s \"%s\" is not a valid date", name, val);
            json_decref(t);
            return NULL;
        }
        json_decref(t);
        return json_string(date);
    }
    if (kind == K_STATUS && json_is_string(t)) {
        char low[64];
        snprintf(low, sizeof low, "%s", json_string_value(t));
        for (char *c = low; *c; c++)
            if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
        for (size_t i = 0; hrs_personio_statuses[i]; i++)
            if (strcmp(low, hrs_personio_statuses[i]) == 0) {
                json_decref(t);
                return json_string(low);
            }
        shown(val, sizeof val, json_string_value(t));
        snprintf(why, n, "%s \"%s\" is not a Personio status (active, onboarding, leave, "
                 "inactive)", name, val);
        json_decref(t);
        return NULL;
    }
    return t;
}

/* Sets out[field] from attribute key (absent: null for normalised keys, nothing for custom
 * fields unless forced). Returns 0, or -1 with why. */
static int map_one(json_t *out, const json_t *attrs, const char *field, const char *key_or_label,
                   enum map_kind kind, int custom, char *why, size_t n)
{
    const char *key = NULL;
    const json_t *a = hrs_personio_find(attrs, key_or_label, &key);
    if (!a) {
        if (custom) return 0;
        return json_object_set_new(out, field, json_null()) == 0 ? 0
            : (snprintf(why, n, "out of memory"), -1);
    }
    json_t *v = convert(key, a, kind, why, n);
    if (!v) return -1;
    if (json_object_set_new(out, field, v) != 0) {
        snprintf(why, n, "out of memory");
        return -1;
    }
    return 0;
}

json_t *hrs_personio_employee_fields(const json_t *employee, const json_t *fields, char *why,
                                     size_t why_len)
{
    const json_t *attrs = json_object_get(employee, "attributes");
    if (!json_is_object(employee) || !json_is_object(attrs)) {
        snprintf(why, why_len, "the record is not an Employee object with attributes (it is %s)",
                 json_is_object(employee) ? "an object without \"attributes\""
                 : json_is_array(employee) ? "an array" : "not an object");
        return NULL;
    }
    json_t *out = json_object();
    if (!out) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    for (size_t i = 0; i < N_STANDARD; i++) {
        if (fields && json_object_get(fields, standard[i].field)) continue;   /* mapped below */
        if (map_one(out, attrs, standard[i].field, standard[i].key, standard[i].kind,
                    standard[i].custom, why, why_len) != 0)
            goto fail;
    }
    if (fields) {
        const char *field;
        json_t *target;
        json_object_foreach((json_t *)fields, field, target) {
            const char *name = json_string_value(target);
            enum map_kind kind = K_AUTO;
            if (strcmp(field, "status") == 0) kind = K_STATUS;
            else if (hrs_person_is_date_key(field)) kind = K_DATE;
            else if (strcmp(field, "supervisor_id") == 0) kind = K_ID;
            if (!name) continue;
            if (map_one(out, attrs, field, name, kind, 0, why, why_len) != 0) goto fail;
        }
    }
    return out;

fail:
    json_decref(out);
    return NULL;
}
