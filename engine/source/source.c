/* source.c: the entry point of the HR sources (dispatch on the configured type), the result
 * type, the shrink check, calendar-date parsing, and the small helpers the sources share. */
#include "hrsync/source.h"
#include "hrsync/validate.h"
#include "source_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The largest export file read into memory. */
#define SOURCE_FILE_MAX ((size_t)1 << 30)

typedef int (*source_reader)(const json_t *cfg, hrs_source_result *out, hrs_err *err);

static const struct {
    const char *type;
    source_reader read;
} source_types[] = {
    { "csv", hrs_source_csv_read },
    { "json", hrs_source_json_read },
    { "personio", hrs_source_personio_read },
    { "alexishr", hrs_source_alexishr_read },
    { "lua", hrs_source_lua_read },
};

#define SOURCE_TYPE_COUNT (sizeof source_types / sizeof source_types[0])

/* Writes "csv, json" into dst. */
static void known_types(char *dst, size_t n)
{
    size_t o = 0;
    dst[0] = '\0';
    for (size_t i = 0; i < SOURCE_TYPE_COUNT && o < n; i++) {
        int w = snprintf(dst + o, n - o, "%s%s", i ? ", " : "", source_types[i].type);
        if (w < 0) break;
        o += (size_t)w;
    }
}

int hrs_source_read(const json_t *cfg, hrs_source_result *out, hrs_err *err)
{
    char known[256];
    out->people = NULL;
    out->quarantine = NULL;
    out->partial = 0;
    known_types(known, sizeof known);
    if (!json_is_object(cfg))
        return hrs_err_set(err, "the source configuration is not a table (it needs a type: %s)",
                           known);
    json_t *t = json_object_get(cfg, "type");
    if (!t || json_is_null(t))
        return hrs_err_set(err, "the source has no type (known types: %s)", known);
    if (!json_is_string(t))
        return hrs_err_set(err, "the source type is not a string (known types: %s)", known);
    const char *type = json_string_value(t);
    for (size_t i = 0; i < SOURCE_TYPE_COUNT; i++)
        if (strcmp(type, source_types[i].type) == 0) return source_types[i].read(cfg, out, err);
    return hrs_err_set(err, "unknown source type \"%.64s\" (known types: %s)", type, known);
}

void hrs_source_result_clear(hrs_source_result *r)
{
    if (!r) return;
    json_decref(r->people);
    json_decref(r->quarantine);
    r->people = NULL;
    r->quarantine = NULL;
    r->partial = 0;
}

/* ---- the shrink check ---- */

#define DEFAULT_MAX_SHRINK 0.2

int hrs_source_shrink_check(size_t previous, size_t now, double max_drop_ratio, hrs_err *err)
{
    if (previous == 0 || now >= previous || max_drop_ratio >= 1.0) return 0;
    if (max_drop_ratio < 0) max_drop_ratio = 0;
    double dropped = (double)(previous - now) / (double)previous;
    if (dropped <= max_drop_ratio + 1e-12) return 0;
    return hrs_err_set(err, "the source returned %zu people where the last full read had %zu "
                       "(%.0f%% fewer, more than the %.0f%% that source.max_shrink allows): "
                       "stopping before anyone is disabled; check the HR system and its API "
                       "credential, or raise source.max_shrink if so many really left",
                       now, previous, dropped * 100.0, max_drop_ratio * 100.0);
}

int hrs_source_max_shrink(const json_t *cfg, double *out, hrs_err *err)
{
    json_t *v = json_object_get(cfg, "max_shrink");
    *out = DEFAULT_MAX_SHRINK;
    if (!v || json_is_null(v)) return 0;
    if (json_is_false(v)) {             /* the check switched off */
        *out = 1.0;
        return 0;
    }
    if (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1)
        return hrs_err_set(err, "source.max_shrink must be a number from 0 to 1 (the share of "
                           "people that may disappear between two reads; default %.1f), or "
                           "false to switch the check off",
                           DEFAULT_MAX_SHRINK);
    *out = json_number_value(v);
    return 0;
}

/* ---- dates ---- */

/* Reads at least min and at most max ASCII digits at *s into *v and advances *s past them; -1
 * if there are fewer than min. A digit after the max-th is left for the caller to refuse. */
static int digits(const char **s, int min, int max, int *v)
{
    int n = 0, val = 0;
    while (n < max && (*s)[n] >= '0' && (*s)[n] <= '9') {
        val = val * 10 + ((*s)[n] - '0');
        n++;
    }
    if (n < min) return -1;
    *s += n;
    *v = val;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* Checks the time part after the date: hh:mm[:ss[.f…]] then nothing, Z, or ±hh[:]mm / ±hh. */
static int valid_time(const char *s)
{
    int h, mi, sec, oh, om = 0;
    if (digits(&s, 2, 2, &h) || h > 23 || *s++ != ':' || digits(&s, 2, 2, &mi) || mi > 59)
        return -1;
    if (*s == ':') {
        s++;
        if (digits(&s, 2, 2, &sec) || sec > 60) return -1;
        if (*s == '.' || *s == ',') {
            s++;
            if (!(*s >= '0' && *s <= '9')) return -1;
            while (*s >= '0' && *s <= '9') s++;
        }
    }
    if (*s == 'Z' || *s == 'z') return s[1] == '\0' ? 0 : -1;
    if (*s == '+' || *s == '-') {
        s++;
        if (digits(&s, 2, 2, &oh) || oh > 23) return -1;
        if (*s != '\0') {
            if (*s == ':') s++;
            if (digits(&s, 2, 2, &om) || om > 59) return -1;
        }
    }
    return *s == '\0' ? 0 : -1;
}

int hrs_source_parse_date(const char *s, char out[11])
{
    int y, m, d;
    const char *p = s;
    if (!s) return -1;
    if (digits(&p, 4, 4, &y) == 0 && (*p == '-' || *p == '/')) {
        char sep = *p++;
        int two = sep == '-' ? 2 : 1; /* ISO wants two digits; YYYY/M/D is tolerated */
        if (digits(&p, two, 2, &m) || *p++ != sep || digits(&p, two, 2, &d)) return -1;
        if (*p != '\0') {
            if (sep != '-' || (*p != 'T' && *p != 't' && *p != ' ') || valid_time(p + 1))
                return -1;
        }
    } else {
        p = s;
        if (digits(&p, 1, 2, &d) || *p++ != '.' || digits(&p, 1, 2, &m) || *p++ != '.' ||
            digits(&p, 4, 4, &y) || *p != '\0')
            return -1;
    }
    if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m)) return -1;
    const int parts[3] = { y, m, d }, widths[3] = { 4, 2, 2 };
    char *o = out;
    for (int k = 0; k < 3; k++) {
        if (k) *o++ = '-';
        for (int w = widths[k] - 1, v = parts[k]; w >= 0; w--, v /= 10) o[w] = (char)('0' + v % 10);
        o += widths[k];
    }
    *o = '\0';
    return 0;
}

/* ---- helpers shared by the sources ---- */

int hrs_source_cfg_check_keys(const json_t *cfg, const char *what, const char *const *known,
                              hrs_err *err)
{
    static const char *const common[] = { "type", "max_shrink" };
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cfg, k, v) {
        int ok = 0;
        size_t n = 0;
        for (size_t i = 0; i < 2; i++) ok |= strcmp(k, common[i]) == 0;
        for (; known[n]; n++) ok |= strcmp(k, known[n]) == 0;
        if (ok) continue;
        size_t kl = strlen(k);
        if (strcmp(k, "token") == 0 || strcmp(k, "password") == 0 || strcmp(k, "api_key") == 0 ||
            (kl >= 6 && strcmp(k + kl - 6, "secret") == 0))
            return hrs_err_set(err, "%s: source.%s: secrets are not read from the config file; "
                               "name an environment variable (%s_env) or a file (%s_file)", what,
                               k, k, k);
        const char *hint = hrs_validate_closest(k, known, n);
        return hrs_err_set(err, "%s: unknown setting source.%s%s%s%s", what, k,
                           hint ? " (did you mean " : "", hint ? hint : "", hint ? "?)" : "");
    }
    return 0;
}

int hrs_source_read_file(const char *what, const char *path, char **buf, size_t *len,
                         hrs_err *err)
{
    *buf = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return hrs_err_set(err, "%s: cannot open %s: %s", what, path, strerror(errno));

    size_t cap = 64 * 1024, n = 0;
    char *b = malloc(cap);
    if (!b) {
        fclose(f);
        return hrs_err_set(err, "%s: out of memory reading %s", what, path);
    }
    for (;;) {
        if (cap - n < 2) {
            if (cap >= SOURCE_FILE_MAX) {
                free(b);
                fclose(f);
                return hrs_err_set(err, "%s: %s is larger than %zu MiB", what, path,
                                   SOURCE_FILE_MAX >> 20);
            }
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                fclose(f);
                return hrs_err_set(err, "%s: out of memory reading %s", what, path);
            }
            b = nb;
            cap *= 2;
        }
        size_t got = fread(b + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    if (ferror(f)) {
        int e = errno;
        free(b);
        fclose(f);
        return hrs_err_set(err, "%s: cannot read %s: %s", what, path, strerror(e));
    }
    fclose(f);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
}

int hrs_source_cfg_string(const json_t *cfg, const char *what, const char *key,
                          const char **out, hrs_err *err)
{
    json_t *v = json_object_get(cfg, key);
    *out = NULL;
    if (!v || json_is_null(v)) return 0;
    if (!json_is_string(v) || json_string_length(v) == 0)
        return hrs_err_set(err, "%s: `%s` must be a non-empty string", what, key);
    *out = json_string_value(v);
    return 0;
}

int hrs_source_cfg_mapping(const json_t *cfg, const char *what, const char *key,
                           const json_t **out, hrs_err *err)
{
    json_t *m = json_object_get(cfg, key);
    *out = NULL;
    if (!m || json_is_null(m)) return 0;
    if (!json_is_object(m))
        return hrs_err_set(err, "%s: `%s` must be a table of source name = person field",
                           what, key);
    const char *name;
    json_t *field;
    json_object_foreach(m, name, field) {
        const char *f = json_string_value(field);
        if (!f || !*f)
            return hrs_err_set(err, "%s: %s[\"%s\"] must name a person field (a non-empty "
                               "string)", what, key, name);
        if (strcmp(f, "raw") == 0)
            return hrs_err_set(err, "%s: %s[\"%s\"] maps to \"raw\", which is reserved for the "
                               "original record", what, key, name);
        const char *other;
        json_t *of;
        json_object_foreach(m, other, of) {
            if (other == name) break;
            if (strcmp(json_string_value(of), f) == 0)
                return hrs_err_set(err, "%s: %s maps both \"%s\" and \"%s\" to the field "
                                   "\"%s\"", what, key, other, name, f);
        }
    }
    *out = m;
    return 0;
}

json_t *hrs_source_dot_get(const json_t *v, const char *path)
{
    const char *p = path;
    json_t *cur = (json_t *)v;
    while (cur) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        if (json_is_object(cur)) {
            cur = json_object_getn(cur, p, n);
        } else if (json_is_array(cur) && n > 0 && n < 10 && strspn(p, "0123456789") >= n) {
            size_t idx = 0;
            for (size_t i = 0; i < n; i++) idx = idx * 10 + (size_t)(p[i] - '0');
            cur = json_array_get(cur, idx);
        } else {
            return NULL;
        }
        if (!dot) return cur;
        p = dot + 1;
    }
    return NULL;
}

int hrs_source_cursor(const json_t *cfg, long long epoch, char *out, size_t n)
{
    const char *type = json_string_value(json_object_get(cfg, "type"));
    int personio = type && strcmp(type, "personio") == 0, alexis = type && strcmp(type, "alexishr") == 0;
    if (!personio && !alexis) return 0;
    time_t t = (time_t)(epoch - 300);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, n, alexis ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S", &tm);
    return 1;
}
