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

/* The string v trimmed: v itself (a new reference) when there is nothing to trim, a trimmed copy
 * when there is, JSON null when nothing is left. NULL when out of memory. Strings are never
 * changed once made, so a person record may share them with the record it was made from. */
static json_t *trimmed(json_t *v)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v), a = 0, b = len;
    while (a < b && is_space((unsigned char)s[a])) a++;
    while (b > a && is_space((unsigned char)s[b - 1])) b--;
    if (a == b) return json_null();
    if (a == 0 && b == len) return json_incref(v);
    return json_stringn(s + a, b - a);
}

/* The normalised value of a scalar: a trimmed string or null. Numbers and booleans are written
 * out as text. Sets *not_scalar and returns NULL for objects and arrays; NULL alone means out of
 * memory. */
static json_t *scalar_text(json_t *v, int *not_scalar)
{
    char buf[64];
    *not_scalar = 0;
    if (!v || json_is_null(v)) return json_null();
    switch (json_typeof(v)) {
    case JSON_STRING:
        return trimmed(v);
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

/* v lower-cased (status): v itself when it has no capital letter, else a copy. NULL when out
 * of memory. */
static json_t *lower_status(json_t *v)
{
    const char *s = json_string_value(v);
    size_t n = strlen(s);
    int upper = 0;
    for (size_t i = 0; i < n && !upper; i++) upper = s[i] >= 'A' && s[i] <= 'Z';
    if (!upper && n == json_string_length(v)) return json_incref(v);
    char *low = strdup(s);
    if (!low) return NULL;
    for (char *c = low; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    json_t *out = json_string(low);
    free(low);
    return out;
}

/* hrs_person_normalise; share: keep raw and the object and array values of custom fields as
 * they are (new references) instead of copying them. */
static json_t *normalise(const json_t *fields, const json_t *raw, int share, char *why, size_t why_len)
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
            json_t *low = lower_status(v);
            json_decref(v);
            v = low;
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
            if (strcmp(s, date) != 0) {
                json_decref(v);
                v = json_string(date);
                if (!v) goto oom;
            }
        }
        if (json_object_set_new_nocheck(p, key, v) != 0) goto oom;
    }

    if (fields) {
        const char *key;
        json_t *val;
        json_object_foreach((json_t *)fields, key, val) {
            if (hrs_person_is_key(key) || strcmp(key, "raw") == 0) continue;
            json_t *copy = json_is_string(val) ? trimmed(val) : share ? json_incref(val) : json_deep_copy(val);
            if (!copy || json_object_set_new(p, key, copy) != 0) goto oom;
        }
    }

    json_t *r = !raw ? json_object() : share ? json_incref((json_t *)raw) : json_deep_copy(raw);
    if (!r || json_object_set_new_nocheck(p, "raw", r) != 0) goto oom;
    return p;

oom:
    snprintf(why, why_len, "out of memory");
    json_decref(p);
    return NULL;
}

json_t *hrs_person_normalise(const json_t *fields, const json_t *raw, char *why, size_t why_len)
{
    return normalise(fields, raw, 0, why, why_len);
}

/* One record of a set: where it came from, its id when known, and the person or the reason it
 * cannot be read. */
struct hrs_person_rec {
    hrs_person_where where;
    char *id;          /* owned, or NULL */
    json_t *person;    /* owned, or NULL */
    char *reason;      /* owned, or NULL */
};

int hrs_person_set_init(hrs_person_set *s, hrs_err *err)
{
    (void)err;
    memset(s, 0, sizeof *s);
    return 0;
}

void hrs_person_set_free(hrs_person_set *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n; i++) {
        free(s->recs[i].id);
        json_decref(s->recs[i].person);
        free(s->recs[i].reason);
    }
    free(s->recs);
    memset(s, 0, sizeof *s);
}

/* A new record at the end of the set, zeroed but for where and id (copied; NULL when unknown).
 * NULL when out of memory. */
static struct hrs_person_rec *new_rec(hrs_person_set *s, hrs_person_where where, const char *id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        struct hrs_person_rec *r = realloc(s->recs, cap * sizeof *r);
        if (!r) return NULL;
        s->recs = r;
        s->cap = cap;
    }
    char *copy = id ? strdup(id) : NULL;
    if (id && !copy) return NULL;
    struct hrs_person_rec *r = &s->recs[s->n++];
    memset(r, 0, sizeof *r);
    r->where = where;
    r->id = copy;
    return r;
}

/* hrs_person_set_add and hrs_person_set_add_shared. */
static int set_add(hrs_person_set *s, hrs_person_where where, const json_t *fields, const json_t *raw, int share,
                   hrs_err *err)
{
    char why[512];
    int not_scalar = 0;
    json_t *id = scalar_text(fields ? json_object_get(fields, "id") : NULL, &not_scalar);
    if (!id && !not_scalar) return hrs_err_set(err, "out of memory while reading the HR source");
    /* Keep the id only when it is text without NUL bytes: it names the record in messages. */
    const char *idtext = (id && json_is_string(id) &&
                          strlen(json_string_value(id)) == json_string_length(id))
        ? json_string_value(id) : NULL;

    struct hrs_person_rec *r = new_rec(s, where, idtext);
    json_decref(id);
    if (!r) return hrs_err_set(err, "out of memory while reading the HR source");

    r->person = normalise(fields, raw, share, why, sizeof why);
    if (!r->person && (strcmp(why, "out of memory") == 0 || !(r->reason = strdup(why))))
        return hrs_err_set(err, "out of memory while reading the HR source");
    return 0;
}

int hrs_person_set_add(hrs_person_set *s, hrs_person_where where, const json_t *fields,
                       const json_t *raw, hrs_err *err)
{
    return set_add(s, where, fields, raw, 0, err);
}

int hrs_person_set_add_shared(hrs_person_set *s, hrs_person_where where, const json_t *fields,
                              const json_t *raw, hrs_err *err)
{
    return set_add(s, where, fields, raw, 1, err);
}

int hrs_person_set_reject(hrs_person_set *s, hrs_person_where where, const char *id,
                          const char *reason, hrs_err *err)
{
    /* The id goes into the quarantine as a JSON string: it must be UTF-8. */
    json_t *valid = id ? json_string(id) : NULL;
    json_decref(valid);
    struct hrs_person_rec *r = id && !valid ? NULL : new_rec(s, where, id);
    if (!r || !(r->reason = strdup(reason ? reason : "unreadable")))
        return hrs_err_set(err, "out of memory while reading the HR source");
    return 0;
}

/* Writes "line 7" / "index 3" for record r into dst. */
static void where_text(char *dst, size_t n, const struct hrs_person_rec *r)
{
    if (r->where.kind)
        snprintf(dst, n, "%s %ld", r->where.kind, r->where.n);
    else
        snprintf(dst, n, "an unknown position");
}

/* A record's place in the sorted list of ids. */
typedef struct id_ref {
    const char *id;
    size_t at;         /* index of the record */
} id_ref;

static int id_ref_cmp(const void *a, const void *b)
{
    const id_ref *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Writes the duplicate-id reason for the count records sharing an id, listed in source order in
 * refs: `duplicate id "1002" (line 3 and line 7)`. */
static void duplicate_reason(char *dst, size_t n, const id_ref *refs, size_t count, const hrs_person_set *s)
{
    char shown[80];
    size_t listed = count > 10 ? 10 : count;
    shown_value(shown, sizeof shown, refs[0].id);
    int o = snprintf(dst, n, "duplicate id \"%s\" (", shown);
    for (size_t i = 0; i < listed && o > 0 && (size_t)o < n; i++) {
        char w[64];
        where_text(w, sizeof w, &s->recs[refs[i].at]);
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

/* A quarantine entry for r with reason. NULL when out of memory. */
static json_t *quarantine_entry(const struct hrs_person_rec *r, const char *reason)
{
    json_t *q = json_object();
    if (!q) return NULL;
    if ((r->where.kind && json_object_set_new(q, r->where.kind, json_integer(r->where.n)) != 0) ||
        (r->id && json_object_set_new(q, "id", json_string(r->id)) != 0) ||
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
    /* The ids sorted (then by position): records sharing an id are next to each other. dup[i]:
     * where the run of record i's id starts in refs, and its length, when it is longer than 1. */
    id_ref *refs = malloc((s->n ? s->n : 1) * sizeof *refs);
    size_t *dup_at = calloc(s->n ? s->n : 1, sizeof *dup_at), nrefs = 0;
    if (!out->people || !out->quarantine || !refs || !dup_at) goto oom;
    for (size_t i = 0; i < s->n; i++)
        if (s->recs[i].id) refs[nrefs++] = (id_ref){ s->recs[i].id, i };
    qsort(refs, nrefs, sizeof *refs, id_ref_cmp);
    for (size_t a = 0, b; a < nrefs; a = b) {
        for (b = a + 1; b < nrefs && strcmp(refs[b].id, refs[a].id) == 0; b++) { }
        if (b - a > 1)
            for (size_t k = a; k < b; k++) dup_at[refs[k].at] = a + 1;
    }

    for (size_t i = 0; i < s->n; i++) {
        struct hrs_person_rec *r = &s->recs[i];
        const char *reason = r->reason;
        char buf[1024];
        if (dup_at[i]) {
            size_t a = dup_at[i] - 1, count = 1;
            while (a + count < nrefs && strcmp(refs[a + count].id, refs[a].id) == 0) count++;
            char dup[768];
            duplicate_reason(dup, sizeof dup, refs + a, count, s);
            if (reason)
                snprintf(buf, sizeof buf, "%s; also %s", reason, dup);
            else
                snprintf(buf, sizeof buf, "%s", dup);
            reason = buf;
        } else if (!reason && !r->id) {
            reason = "the record has no id";
        }
        if (reason) {
            json_t *q = quarantine_entry(r, reason);
            if (!q || json_array_append_new(out->quarantine, q) != 0) goto oom;
        } else {
            if (json_array_append_new(out->people, r->person) != 0) { r->person = NULL; goto oom; }
            r->person = NULL;
        }
    }
    free(refs);
    free(dup_at);
    hrs_person_set_free(s);
    return 0;

oom:
    free(refs);
    free(dup_at);
    hrs_source_result_clear(out);
    return hrs_err_set(err, "out of memory while checking the HR records");
}
