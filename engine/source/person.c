/* person.c: turns a connector's mapped record into the normalised person object every policy
 * sees, and runs the checks across all records of a read (missing and duplicate ids). Shared by
 * every source connector (see include/hrsync/person.h). */
#include "hrsync/person.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const person_keys[] = {
    "id", "first_name", "last_name", "preferred_name", "email", "status", "department",
    "position", "office", "supervisor_id", "hire_date", "termination_date", "gender", NULL,
};

const char *const *hrs_person_keys(void)
{
    return person_keys;
}

int hrs_person_is_key(const char *key)
{
    if (!key) return 0;
    for (size_t i = 0; person_keys[i]; i++)
        if (strcmp(person_keys[i], key) == 0) return 1;
    return 0;
}

int hrs_person_is_date_key(const char *key)
{
    return key && (strcmp(key, "hire_date") == 0 || strcmp(key, "termination_date") == 0);
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* A trimmed copy of the string s (len bytes) as a JSON string, or JSON null when nothing is left.
 * NULL when out of memory. */
static json_t *trimmed(const char *s, size_t len)
{
    while (len > 0 && is_space((unsigned char)s[0])) { s++; len--; }
    while (len > 0 && is_space((unsigned char)s[len - 1])) len--;
    return len ? json_stringn(s, len) : json_null();
}

/* The normalised value of a scalar: a trimmed string or null. Numbers and booleans are written
 * out as text. Sets *not_scalar and returns NULL for objects and arrays; NULL alone means out of
 * memory. */
static json_t *scalar_text(const json_t *v, int *not_scalar)
{
    char buf[64];
    *not_scalar = 0;
    if (!v || json_is_null(v)) return json_null();
    switch (json_typeof(v)) {
    case JSON_STRING:
        return trimmed(json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof buf, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return json_string(buf);
    case JSON_REAL: {
        double d = json_real_value(v);
        snprintf(buf, sizeof buf, "%.15g", d);
        if (strtod(buf, NULL) != d) snprintf(buf, sizeof buf, "%.17g", d);
        return json_string(buf);
    }
    case JSON_TRUE:
        return json_string("true");
    case JSON_FALSE:
        return json_string("false");
    default:
        *not_scalar = 1;
        return NULL;
    }
}

/* Copies a value into dst for a message: at most about 60 bytes (cut on a UTF-8 boundary, "…"
 * added), control characters shown as '?'. */
static void shown_value(char *dst, size_t n, const char *s)
{
    size_t o = 0, i = 0, max = 60;
    if (n == 0) return;
    for (; s[i] && o + 4 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (i >= max && (c & 0xC0) != 0x80) break;
        dst[o++] = (c < 0x20 || c == 0x7F) ? '?' : (char)c;
    }
    if (s[i] && o + 4 <= n) {
        memcpy(dst + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
    }
    dst[o] = '\0';
}

json_t *hrs_person_normalise(const json_t *fields, const json_t *raw, char *why, size_t why_len)
{
    int not_scalar = 0;
    json_t *p = json_object();
    if (!p) goto oom;

    for (size_t i = 0; person_keys[i]; i++) {
        const char *key = person_keys[i];
        json_t *v = scalar_text(fields ? json_object_get(fields, key) : NULL, &not_scalar);
        if (not_scalar) {
            snprintf(why, why_len, "%s is a JSON %s, not a text value (map a nested field such "
                     "as %s.name instead)", key,
                     json_is_object(json_object_get(fields, key)) ? "object" : "array", key);
            json_decref(p);
            return NULL;
        }
        if (!v) goto oom;
        if (json_is_string(v) && strcmp(key, "status") == 0) {
            char *low = strdup(json_string_value(v));
            if (!low) { json_decref(v); goto oom; }
            for (char *c = low; *c; c++)
                if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
            json_decref(v);
            v = json_string(low);
            free(low);
            if (!v) goto oom;
        } else if (json_is_string(v) && hrs_person_is_date_key(key)) {
            char date[11];
            const char *s = json_string_value(v);
            if (strlen(s) != json_string_length(v) || hrs_source_parse_date(s, date) != 0) {
                char shown[80];
                shown_value(shown, sizeof shown, s);
                snprintf(why, why_len, "%s \"%s\" is not a valid date (expected YYYY-MM-DD, "
                         "DD.MM.YYYY, YYYY/MM/DD or an ISO 8601 date-time)", key, shown);
                json_decref(v);
                json_decref(p);
                return NULL;
            }
            json_decref(v);
            v = json_string(date);
            if (!v) goto oom;
        }
        if (json_object_set_new(p, key, v) != 0) goto oom;
    }

    if (fields) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)fields, key, val) {
            if (hrs_person_is_key(key) || strcmp(key, "raw") == 0) continue;
            json_t *copy = json_is_string(val)
                ? trimmed(json_string_value(val), json_string_length(val))
                : json_deep_copy(val);
            if (!copy || json_object_set_new(p, key, copy) != 0) goto oom;
        }
    }

    json_t *r = raw ? json_deep_copy(raw) : json_object();
    if (!r || json_object_set_new(p, "raw", r) != 0) goto oom;
    return p;

oom:
    snprintf(why, why_len, "out of memory");
    json_decref(p);
    return NULL;
}

int hrs_person_set_init(hrs_person_set *s, hrs_err *err)
{
    s->entries = json_array();
    if (!s->entries) return hrs_err_set(err, "out of memory while reading the HR source");
    return 0;
}

void hrs_person_set_free(hrs_person_set *s)
{
    if (!s) return;
    json_decref(s->entries);
    s->entries = NULL;
}

/* A new entry {"kind", "n", "id"?} for a record. NULL when out of memory. */
static json_t *new_entry(hrs_person_where where, const char *id)
{
    json_t *e = json_object();
    if (!e) return NULL;
    if (where.kind && (json_object_set_new(e, "kind", json_string(where.kind)) != 0 ||
                       json_object_set_new(e, "n", json_integer(where.n)) != 0)) {
        json_decref(e);
        return NULL;
    }
    if (id && json_object_set_new(e, "id", json_string(id)) != 0) {
        json_decref(e);
        return NULL;
    }
    return e;
}

int hrs_person_set_add(hrs_person_set *s, hrs_person_where where, const json_t *fields,
                       const json_t *raw, hrs_err *err)
{
    char why[512];
    int not_scalar = 0;
    json_t *id = scalar_text(fields ? json_object_get(fields, "id") : NULL, &not_scalar);
    if (!id && !not_scalar) return hrs_err_set(err, "out of memory while reading the HR source");
    /* Keep the id only when it is text without NUL bytes: it names the record in messages. */
    const char *idtext = (id && json_is_string(id) &&
                          strlen(json_string_value(id)) == json_string_length(id))
        ? json_string_value(id) : NULL;

    json_t *e = new_entry(where, idtext);
    json_decref(id);
    if (!e) return hrs_err_set(err, "out of memory while reading the HR source");

    json_t *person = hrs_person_normalise(fields, raw, why, sizeof why);
    int rc = person ? json_object_set_new(e, "person", person)
                    : json_object_set_new(e, "reason", json_string(why));
    if (!person && strcmp(why, "out of memory") == 0) rc = -1;
    if (rc != 0 || json_array_append_new(s->entries, e) != 0)
        return hrs_err_set(err, "out of memory while reading the HR source");
    return 0;
}

int hrs_person_set_reject(hrs_person_set *s, hrs_person_where where, const char *id,
                          const char *reason, hrs_err *err)
{
    json_t *e = new_entry(where, id);
    if (!e || json_object_set_new(e, "reason", json_string(reason ? reason : "unreadable")) != 0 ||
        json_array_append_new(s->entries, e) != 0)
        return hrs_err_set(err, "out of memory while reading the HR source");
    return 0;
}

/* Writes "line 7" / "index 3" for entry e into dst. */
static void where_text(char *dst, size_t n, const json_t *e)
{
    const char *kind = json_string_value(json_object_get(e, "kind"));
    if (kind)
        snprintf(dst, n, "%s %" JSON_INTEGER_FORMAT, kind,
                 json_integer_value(json_object_get(e, "n")));
    else
        snprintf(dst, n, "an unknown position");
}

/* Writes the duplicate-id reason for id, whose entries are listed (as indices into entries) in
 * idx: `duplicate id "1002" (line 3 and line 7)`. */
static void duplicate_reason(char *dst, size_t n, const char *id, const json_t *idx,
                             const json_t *entries)
{
    char shown[80];
    size_t count = json_array_size(idx), listed = count > 10 ? 10 : count;
    shown_value(shown, sizeof shown, id);
    int o = snprintf(dst, n, "duplicate id \"%s\" (", shown);
    for (size_t i = 0; i < listed && o > 0 && (size_t)o < n; i++) {
        char w[64];
        where_text(w, sizeof w, json_array_get(entries, (size_t)json_integer_value(
                                                    json_array_get(idx, i))));
        const char *sep = i == 0 ? "" : (i + 1 == listed && listed == count) ? " and " : ", ";
        o += snprintf(dst + o, n - (size_t)o, "%s%s", sep, w);
    }
    if (o > 0 && (size_t)o < n) {
        if (listed < count)
            snprintf(dst + o, n - (size_t)o, " and %zu more)", count - listed);
        else
            snprintf(dst + o, n - (size_t)o, ")");
    }
}

/* A quarantine entry for e with reason. NULL when out of memory. */
static json_t *quarantine_entry(const json_t *e, const char *reason)
{
    json_t *q = json_object();
    if (!q) return NULL;
    const char *kind = json_string_value(json_object_get(e, "kind"));
    json_t *id = json_object_get(e, "id");
    if ((kind && json_object_set(q, kind, json_object_get(e, "n")) != 0) ||
        (id && json_object_set(q, "id", id) != 0) ||
        json_object_set_new(q, "reason", json_string(reason)) != 0) {
        json_decref(q);
        return NULL;
    }
    return q;
}

int hrs_person_set_finish(hrs_person_set *s, hrs_source_result *out, hrs_err *err)
{
    out->people = json_array();
    out->quarantine = json_array();
    out->partial = 0;
    json_t *by_id = json_object(); /* id → array of entry indices */
    if (!out->people || !out->quarantine || !by_id) goto oom;

    size_t i;
    json_t *e;
    json_array_foreach(s->entries, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        if (!id) continue;
        json_t *list = json_object_get(by_id, id);
        if (!list) {
            list = json_array();
            if (!list || json_object_set_new(by_id, id, list) != 0) goto oom;
        }
        if (json_array_append_new(list, json_integer((json_int_t)i)) != 0) goto oom;
    }

    json_array_foreach(s->entries, i, e) {
        const char *id = json_string_value(json_object_get(e, "id"));
        const char *reason = json_string_value(json_object_get(e, "reason"));
        json_t *list = id ? json_object_get(by_id, id) : NULL;
        char buf[1024];
        if (list && json_array_size(list) > 1) {
            char dup[768];
            duplicate_reason(dup, sizeof dup, id, list, s->entries);
            if (reason)
                snprintf(buf, sizeof buf, "%s; also %s", reason, dup);
            else
                snprintf(buf, sizeof buf, "%s", dup);
            reason = buf;
        } else if (!reason && !id) {
            reason = "the record has no id";
        }
        if (reason) {
            json_t *q = quarantine_entry(e, reason);
            if (!q || json_array_append_new(out->quarantine, q) != 0) goto oom;
        } else if (json_array_append(out->people, json_object_get(e, "person")) != 0) {
            goto oom;
        }
    }
    json_decref(by_id);
    hrs_person_set_free(s);
    return 0;

oom:
    json_decref(by_id);
    hrs_source_result_clear(out);
    return hrs_err_set(err, "out of memory while checking the HR records");
}
