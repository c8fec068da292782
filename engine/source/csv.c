/* csv.c: the CSV export source. Reads an RFC 4180 file (UTF-8 with or without a BOM, any
 * one-character delimiter, quoted fields with doubled quotes and line breaks, CRLF or LF),
 * maps its columns to person fields and hands each row to the shared normalisation
 * (person.c). A row that cannot be read is quarantined with the line it starts on and skipped
 * whole; the rest of the file is still read.
 *
 * cfg: { "type": "csv", "path": "…", "delimiter": ",", "columns": { "CSV header": "field" } } */
#include "hrsync/person.h"
#include "hrsync/source.h"
#include "source_internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WHAT "CSV source"

/* One record as read: its fields, each NUL-terminated in text at off[i] (len[i] bytes). */
typedef struct csv_row {
    long line;          /* physical line where the record starts (1-based) */
    char *text;
    size_t text_len, text_cap;
    size_t *off, *len;
    size_t n, cap;      /* fields read, room in off/len */
    char bad[512];      /* why the record cannot be read, or "" */
} csv_row;

typedef struct csv_reader {
    const char *p, *end;
    long line;          /* physical line of *p */
    char delim;
} csv_reader;

static void row_free(csv_row *row)
{
    free(row->text);
    free(row->off);
    free(row->len);
    memset(row, 0, sizeof *row);
}

/* Appends n bytes to the row's text. -1 when out of memory. */
static int row_append(csv_row *row, const char *s, size_t n)
{
    if (row->text_cap - row->text_len < n + 1) {
        size_t cap = row->text_cap ? row->text_cap : 256;
        while (cap - row->text_len < n + 1) cap *= 2;
        char *t = realloc(row->text, cap);
        if (!t) return -1;
        row->text = t;
        row->text_cap = cap;
    }
    memcpy(row->text + row->text_len, s, n);
    row->text_len += n;
    return 0;
}

/* Ends the field that started at text offset start. -1 when out of memory. */
static int row_end_field(csv_row *row, size_t start)
{
    if (row->n == row->cap) {
        size_t cap = row->cap ? row->cap * 2 : 32;
        size_t *o = realloc(row->off, cap * sizeof *o);
        if (!o) return -1;
        row->off = o;
        size_t *l = realloc(row->len, cap * sizeof *l);
        if (!l) return -1;
        row->len = l;
        row->cap = cap;
    }
    row->off[row->n] = start;
    row->len[row->n] = row->text_len - start;
    row->n++;
    return row_append(row, "", 1);
}

/* Consumes one line break (CRLF, LF or a lone CR) at r->p. */
static void eol(csv_reader *r)
{
    if (*r->p == '\r' && r->p + 1 < r->end && r->p[1] == '\n') r->p++;
    r->p++;
    r->line++;
}

/* Moves r to the start of the physical line after the one holding from (which is on line). */
static void skip_line(csv_reader *r, const char *from, long line)
{
    r->p = from;
    r->line = line;
    while (r->p < r->end && *r->p != '\n' && *r->p != '\r') r->p++;
    if (r->p < r->end) eol(r);
}

/* Counts the line breaks in [s, e) into r->line. */
static void count_lines(csv_reader *r, const char *s, const char *e)
{
    for (; s < e; s++)
        if (*s == '\n' || (*s == '\r' && (s + 1 >= r->end || s[1] != '\n'))) r->line++;
}

/* Reads the next record into row. Returns 1 (a record; row->bad says whether it could be read),
 * 0 at the end of the input, -1 when out of memory. Blank lines between records are skipped. */
static int csv_next(csv_reader *r, csv_row *row)
{
    row->n = 0;
    row->text_len = 0;
    row->bad[0] = '\0';
    while (r->p < r->end && (*r->p == '\n' || *r->p == '\r')) eol(r);
    if (r->p >= r->end) return 0;
    row->line = r->line;

    for (;;) {
        size_t start = row->text_len;
        if (r->p < r->end && *r->p == '"') {
            const char *open = r->p;
            long open_line = r->line;
            r->p++;
            for (;;) {
                const char *q = memchr(r->p, '"', (size_t)(r->end - r->p));
                const char *stop = q ? q : r->end;
                count_lines(r, r->p, stop);
                if (row_append(row, r->p, (size_t)(stop - r->p)) != 0) return -1;
                if (!q) {
                    snprintf(row->bad, sizeof row->bad, "a quoted field (field %zu, opened on "
                             "line %ld) is never closed", row->n + 1, open_line);
                    /* Take the quote as stray: go on with the line after the one it is on. */
                    skip_line(r, open, open_line);
                    return 1;
                }
                if (q + 1 < r->end && q[1] == '"') {
                    if (row_append(row, "\"", 1) != 0) return -1;
                    r->p = q + 2;
                    continue;
                }
                r->p = q + 1;
                break;
            }
            if (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r') {
                unsigned char c = (unsigned char)*r->p;
                if (c >= 0x20 && c < 0x7F)
                    snprintf(row->bad, sizeof row->bad, "field %zu has the character '%c' after "
                             "its closing quote (a quote inside a quoted field must be doubled)",
                             row->n + 1, c);
                else
                    snprintf(row->bad, sizeof row->bad, "field %zu has the byte 0x%02X after its "
                             "closing quote", row->n + 1, c);
                skip_line(r, r->p, r->line);
                return 1;
            }
        } else {
            const char *s = r->p;
            while (r->p < r->end && *r->p != r->delim && *r->p != '\n' && *r->p != '\r') r->p++;
            if (row_append(row, s, (size_t)(r->p - s)) != 0) return -1;
        }
        if (row_end_field(row, start) != 0) return -1;
        if (r->p >= r->end) return 1;
        if (*r->p == r->delim) {
            r->p++;
            if (r->p >= r->end) { /* "a,b," at the very end: the last field is empty */
                if (row_end_field(row, row->text_len) != 0) return -1;
                return 1;
            }
            continue;
        }
        eol(r);
        return 1;
    }
}

/* Position of the first byte of s[0..n) that is not valid UTF-8 (or a NUL), or SIZE_MAX. */
static size_t utf8_bad_at(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i], cp, min;
        size_t more;
        if (c < 0x80) {
            if (c == 0) return i;
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { more = 1; cp = c & 0x1F; min = 0x80; }
        else if (c >= 0xE0 && c <= 0xEF) { more = 2; cp = c & 0x0F; min = 0x800; }
        else if (c >= 0xF0 && c <= 0xF4) { more = 3; cp = c & 0x07; min = 0x10000; }
        else return i;
        if (n - i <= more) return i;
        for (size_t k = 1; k <= more; k++) {
            unsigned b = s[i + k];
            if ((b & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += more + 1;
    }
    return SIZE_MAX;
}

/* Checks every field of row; writes why into bad and returns -1 on the first bad one. names:
 * the header names (for messages), or NULL while reading the header itself. */
static int row_check_text(const csv_row *row, const json_t *names, char *bad, size_t n)
{
    for (size_t i = 0; i < row->n; i++) {
        const unsigned char *f = (const unsigned char *)row->text + row->off[i];
        size_t at = utf8_bad_at(f, row->len[i]);
        if (at == SIZE_MAX) continue;
        const char *name = names ? json_string_value(json_array_get(names, i)) : NULL;
        char which[160];
        if (name && *name)
            snprintf(which, sizeof which, "field %zu (%.100s)", i + 1, name);
        else
            snprintf(which, sizeof which, "field %zu", i + 1);
        if (f[at] == 0)
            snprintf(bad, n, "%s contains a NUL byte", which);
        else
            snprintf(bad, n, "%s is not valid UTF-8 (byte 0x%02X at position %zu); the file must "
                     "be saved as UTF-8", which, f[at], at + 1);
        return -1;
    }
    return 0;
}

/* The delimiter from cfg: "," by default; one ASCII character, or "\t" written as two
 * characters, or "tab". */
static int cfg_delimiter(const json_t *cfg, const char *path, char *out, hrs_err *err)
{
    json_t *v = json_object_get(cfg, "delimiter");
    *out = ',';
    if (!v || json_is_null(v)) return 0;
    const char *s = json_string_value(v);
    if (s && (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)) {
        *out = '\t';
        return 0;
    }
    if (!s || json_string_length(v) != 1 || (unsigned char)s[0] >= 0x80 || s[0] == '"' ||
        s[0] == '\r' || s[0] == '\n' || s[0] == '\0')
        return hrs_err_set(err, WHAT " %s: `delimiter` must be one ASCII character other than a "
                           "quote or a line break (for example \",\", \";\" or \"\\t\")", path);
    *out = s[0];
    return 0;
}

/* Reads and checks the header; fills names (trimmed header names) and targets (the person field
 * of each column, or null when the column is not mapped). */
static int read_header(csv_reader *r, csv_row *row, const char *path, const json_t *columns,
                       json_t *names, json_t *targets, hrs_err *err)
{
    int rc = csv_next(r, row);
    if (rc < 0) return hrs_err_set(err, WHAT " %s: out of memory", path);
    if (rc == 0) return hrs_err_set(err, WHAT " %s: the file is empty (no header line)", path);
    if (!row->bad[0]) row_check_text(row, NULL, row->bad, sizeof row->bad);
    if (row->bad[0])
        return hrs_err_set(err, WHAT " %s:%ld: the header line cannot be read: %s", path,
                           row->line, row->bad);

    int has_id = 0;
    for (size_t i = 0; i < row->n; i++) {
        const char *s = row->text + row->off[i];
        size_t n = row->len[i];
        while (n > 0 && (*s == ' ' || *s == '\t')) { s++; n--; }
        while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
        if (json_array_append_new(names, json_stringn(s, n)) != 0)
            return hrs_err_set(err, WHAT " %s: out of memory", path);
        const char *name = json_string_value(json_array_get(names, i));
        if (!*name && !columns)
            return hrs_err_set(err, WHAT " %s:%ld: column %zu of the header has no name (name it, "
                               "or map the columns with `columns`)", path, row->line, i + 1);
        for (size_t k = 0; *name && k < i; k++)
            if (strcmp(json_string_value(json_array_get(names, k)), name) == 0)
                return hrs_err_set(err, WHAT " %s:%ld: the header names the column \"%.100s\" "
                                   "twice (columns %zu and %zu)", path, row->line, name, k + 1,
                                   i + 1);
        json_t *target = columns ? json_object_get(columns, name) : json_array_get(names, i);
        if (!*name) target = NULL;
        if (json_array_append(targets, target ? target : json_null()) != 0)
            return hrs_err_set(err, WHAT " %s: out of memory", path);
        if (target && strcmp(json_string_value(target), "id") == 0) has_id = 1;
        if (!columns && strcmp(name, "raw") == 0)
            return hrs_err_set(err, WHAT " %s:%ld: the header has a column named \"raw\", which "
                               "is reserved for the original record; map it to another name "
                               "with `columns`", path, row->line);
    }

    if (columns) {
        const char *key;
        json_t *v;
        json_object_foreach((json_t *)columns, key, v) {
            size_t i;
            json_t *nm;
            int found = 0;
            json_array_foreach(names, i, nm)
                if (strcmp(json_string_value(nm), key) == 0) found = 1;
            if (!found)
                return hrs_err_set(err, WHAT " %s:%ld: the column \"%.100s\" named in `columns` is "
                                   "not in the header", path, row->line, key);
        }
    }
    if (!has_id)
        return hrs_err_set(err, WHAT " %s:%ld: no column gives the person id (name a column "
                           "\"id\", or map one to \"id\" with `columns`)", path, row->line);
    return 0;
}

/* Cells repeat down a column (statuses, departments, offices, first names, hire dates…): each
 * column keeps the strings it made last in a small direct-mapped cache (slots picked by the hash
 * of the text), and a cell equal to a cached string takes a new reference to it instead of a
 * string of its own. JSON strings are never changed once made. */
#define CELL_CACHE 1024            /* slots of a column */
#define CELL_CACHE_ALL (1 << 18)   /* slots of all columns together, at most */

typedef struct cell_cache {
    json_t **slot;      /* ncols * per_col, each a reference or NULL (owned) */
    size_t ncols, per_col;
    json_t *empty;      /* "" for every empty cell */
} cell_cache;

static int cache_init(cell_cache *cc, size_t ncols)
{
    cc->ncols = ncols;
    cc->per_col = CELL_CACHE;
    while (cc->per_col > 1 && cc->per_col * ncols > CELL_CACHE_ALL) cc->per_col /= 2;
    cc->slot = calloc(ncols ? ncols * cc->per_col : 1, sizeof *cc->slot);
    cc->empty = json_string("");
    return cc->slot && cc->empty ? 0 : -1;
}

static void cache_free(cell_cache *cc)
{
    for (size_t i = 0; cc->slot && i < cc->ncols * cc->per_col; i++) json_decref(cc->slot[i]);
    free(cc->slot);
    json_decref(cc->empty);
    memset(cc, 0, sizeof *cc);
}

/* The cell (text of len bytes, checked UTF-8 without NUL) of column col as a JSON string: a new
 * reference. NULL when out of memory. */
static json_t *cache_cell(cell_cache *cc, size_t col, const char *text, size_t len)
{
    if (!len) return json_incref(cc->empty);
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) h = (h ^ (unsigned char)text[i]) * 16777619u;
    json_t **slot = &cc->slot[col * cc->per_col + ((h ^ h >> 16) & (cc->per_col - 1))];
    if (*slot && json_string_length(*slot) == len && memcmp(json_string_value(*slot), text, len) == 0)
        return json_incref(*slot);
    json_t *cell = json_stringn_nocheck(text, len);
    if (!cell) return NULL;
    json_decref(*slot);
    *slot = json_incref(cell);
    return cell;
}

/* Hands one readable row to the person set. fields is the object the row's fields are put in
 * (used again for every row: each row sets the same keys). A cell is one JSON string, shared
 * by raw, fields and the person (and by the equal cells of the column that cc still holds). */
static int add_row(hrs_person_set *set, const csv_row *row, const json_t *names,
                   const json_t *targets, json_t *fields, cell_cache *cc, hrs_err *err)
{
    hrs_person_where where = { "line", row->line };
    json_t *raw = json_object();
    int rc = raw ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < row->n; i++) {
        const char *name = json_string_value(json_array_get(names, i));
        const char *target = json_string_value(json_array_get(targets, i));
        /* row_check_text found the text valid UTF-8 without NUL bytes. */
        json_t *cell = cache_cell(cc, i, row->text + row->off[i], row->len[i]);
        if (!cell || (*name && json_object_set(raw, name, cell) != 0) ||
            (target && json_object_set(fields, target, cell) != 0))
            rc = -1;
        json_decref(cell);
    }
    if (rc == 0)
        rc = hrs_person_set_add_shared(set, where, fields, raw, err);
    else
        hrs_err_set(err, WHAT ": out of memory");
    json_decref(raw);
    return rc;
}

int hrs_source_csv_read(const json_t *cfg, hrs_source_result *out, hrs_err *err)
{
    const char *path;
    const json_t *columns;
    char delim;
    out->people = NULL;
    out->quarantine = NULL;
    if (!json_is_object(cfg)) return hrs_err_set(err, WHAT ": the configuration is not a table");
    if (hrs_source_cfg_string(cfg, WHAT, "path", &path, err) != 0) return -1;
    if (!path) return hrs_err_set(err, WHAT ": `path` is required");
    if (cfg_delimiter(cfg, path, &delim, err) != 0) return -1;
    char what[1100];
    snprintf(what, sizeof what, WHAT " %s", path);
    if (hrs_source_cfg_mapping(cfg, what, "columns", &columns, err) != 0) return -1;

    char *buf;
    size_t len;
    if (hrs_source_read_file(WHAT, path, &buf, &len, err) != 0) return -1;

    csv_reader r = { buf, buf + len, 1, delim };
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) r.p += 3;

    csv_row row;
    memset(&row, 0, sizeof row);
    hrs_person_set set = { NULL };
    json_t *names = json_array(), *targets = json_array(), *fields = json_object();
    cell_cache cc = { NULL, 0, 0, NULL };
    int rc = -1;
    if (!names || !targets || !fields || hrs_person_set_init(&set, err) != 0) {
        hrs_err_set(err, WHAT " %s: out of memory", path);
        goto done;
    }
    if (read_header(&r, &row, path, columns, names, targets, err) != 0) goto done;
    if (cache_init(&cc, json_array_size(names)) != 0) {
        hrs_err_set(err, WHAT " %s: out of memory", path);
        goto done;
    }

    for (;;) {
        int got = csv_next(&r, &row);
        if (got < 0) {
            hrs_err_set(err, WHAT " %s: out of memory", path);
            goto done;
        }
        if (got == 0) break;
        if (!row.bad[0] && row.n != json_array_size(names))
            snprintf(row.bad, sizeof row.bad, "the row has %zu field%s where the header has %zu",
                     row.n, row.n == 1 ? "" : "s", json_array_size(names));
        if (!row.bad[0]) row_check_text(&row, names, row.bad, sizeof row.bad);
        hrs_person_where where = { "line", row.line };
        if (row.bad[0] ? hrs_person_set_reject(&set, where, NULL, row.bad, err)
                       : add_row(&set, &row, names, targets, fields, &cc, err))
            goto done;
    }
    rc = hrs_person_set_finish(&set, out, err);

done:
    hrs_person_set_free(&set);
    row_free(&row);
    json_decref(names);
    json_decref(targets);
    json_decref(fields);
    cache_free(&cc);
    free(buf);
    return rc;
}
