/* test_source.c: the file-export HR sources (CSV, JSON), the shared person normalisation and
 * calendar-date parsing. Inputs are written to a temporary directory by each test. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "hrsync/person.h"
#include "hrsync/source.h"

#define HEADER "id,first_name,last_name,preferred_name,email,status,department,position,office," \
               "supervisor_id,hire_date,termination_date,gender\n"

/* A temporary directory and the files written into it. */
typedef struct fixture {
    char dir[256];
    char files[16][320];
    int nfiles;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    if (!f) return -1;
    const char *tmp = getenv("TMPDIR");
    snprintf(f->dir, sizeof f->dir, "%s/hrsync-test-source-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(f->dir)) {
        free(f);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    for (int i = 0; i < f->nfiles; i++) unlink(f->files[i]);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* Writes len bytes (strlen when len is SIZE_MAX) to name in the fixture's directory; returns the
 * path (owned by the fixture). */
static const char *write_file(fixture *f, const char *name, const char *data, size_t len)
{
    assert_true(f->nfiles < 16);
    char *path = f->files[f->nfiles++], built[sizeof f->files[0]];
    snprintf(built, sizeof built, "%s/%s", f->dir, name);
    memcpy(path, built, sizeof built);
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (len == SIZE_MAX) len = strlen(data);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    assert_int_equal(fclose(fp), 0);
    return path;
}

/* Reads a CSV file through hrs_source_read with the given extra cfg (may be NULL; stolen). */
static int read_csv(const char *path, json_t *extra, hrs_source_result *r, hrs_err *err)
{
    json_t *cfg = json_pack("{s:s, s:s}", "type", "csv", "path", path);
    assert_non_null(cfg);
    if (extra) {
        json_object_update(cfg, extra);
        json_decref(extra);
    }
    hrs_err_clear(err);
    int rc = hrs_source_read(cfg, r, err);
    json_decref(cfg);
    return rc;
}

/* The string at o[key], or "(not a string)" so that a failed comparison reports instead of
 * crashing. */
static const char *str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "(not a string)";
}

static const json_t *person(const hrs_source_result *r, const char *id)
{
    size_t i;
    json_t *p;
    json_array_foreach(r->people, i, p)
        if (strcmp(str(p, "id"), id) == 0) return p;
    return NULL;
}

/* The quarantine entry at the given line (or index, when key is "index"). */
static const json_t *quarantined(const hrs_source_result *r, const char *key, long n)
{
    size_t i;
    json_t *q;
    json_array_foreach(r->quarantine, i, q)
        if (json_integer_value(json_object_get(q, key)) == n && json_object_get(q, key)) return q;
    return NULL;
}

static void assert_contains(const char *hay, const char *needle)
{
    if (!hay || !strstr(hay, needle))
        fail_msg("\"%s\" does not contain \"%s\"", hay ? hay : "(null)", needle);
}

/* ---- CSV ---- */

static void test_csv_bom_and_normalisation(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "bom.csv",
        "\xEF\xBB\xBF" HEADER
        "1002,Zoë,Müller-Lüdenscheidt,,zoe.mueller-luedenscheidt@example.com, Active ,"
        "Engineering,Senior Backend Engineer,Berlin,1001,2021-02-15,,diverse\n"
        "1003,Liam,O'Brien,Liam O'Brien,liam.obrien@example.com,ONBOARDING,Sales,,München,1007,"
        "04.01.2027,,male\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);
    assert_int_equal(json_array_size(r.quarantine), 0);

    const json_t *zoe = person(&r, "1002");
    assert_non_null(zoe);
    assert_string_equal(str(zoe, "first_name"), "Zoë");
    assert_string_equal(str(zoe, "last_name"), "Müller-Lüdenscheidt");
    assert_true(json_is_null(json_object_get(zoe, "preferred_name")));
    assert_true(json_is_null(json_object_get(zoe, "termination_date")));
    assert_string_equal(str(zoe, "status"), "active");
    assert_string_equal(str(zoe, "hire_date"), "2021-02-15");
    assert_string_equal(str(zoe, "supervisor_id"), "1001");
    /* raw keeps the record as written, keyed by the header without the BOM */
    const json_t *raw = json_object_get(zoe, "raw");
    assert_string_equal(str(raw, "id"), "1002");
    assert_string_equal(str(raw, "status"), " Active ");
    assert_string_equal(str(raw, "termination_date"), "");

    const json_t *liam = person(&r, "1003");
    assert_non_null(liam);
    assert_string_equal(str(liam, "last_name"), "O'Brien");
    assert_string_equal(str(liam, "status"), "onboarding");
    assert_string_equal(str(liam, "hire_date"), "2027-01-04");
    assert_true(json_is_null(json_object_get(liam, "position")));
    /* every normalised key is present */
    for (const char *const *k = hrs_person_keys(); *k; k++)
        assert_non_null(json_object_get(liam, *k));
    hrs_source_result_clear(&r);
    assert_null(r.people);
}

static void test_csv_semicolon_and_tab(void **state)
{
    fixture *f = *state;
    const char *semi = write_file(f, "semi.csv",
        "id;first_name;last_name;department\n"
        "7;Anna;Schmidt, Dr.;Finance, Controlling\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(semi, json_pack("{s:s}", "delimiter", ";"), &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 1);
    assert_string_equal(str(person(&r, "7"), "last_name"), "Schmidt, Dr.");
    assert_string_equal(str(person(&r, "7"), "department"), "Finance, Controlling");
    hrs_source_result_clear(&r);

    const char *tab = write_file(f, "tab.tsv",
        "id\tfirst_name\tlast_name\n"
        "8\tBjörn\tÅkesson-Nyström\n"
        "9\t\"Tab\tinside\"\tX\n", SIZE_MAX);
    assert_int_equal(read_csv(tab, json_pack("{s:s}", "delimiter", "\t"), &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);
    assert_string_equal(str(person(&r, "8"), "last_name"), "Åkesson-Nyström");
    assert_string_equal(str(person(&r, "9"), "first_name"), "Tab\tinside");
    hrs_source_result_clear(&r);

    /* "\t" written as two characters (as in a config file) means a tab too */
    assert_int_equal(read_csv(tab, json_pack("{s:s}", "delimiter", "\\t"), &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);
    hrs_source_result_clear(&r);

    /* a delimiter of two characters is refused */
    assert_int_equal(read_csv(tab, json_pack("{s:s}", "delimiter", ";;"), &r, &err), -1);
    assert_contains(err.msg, "delimiter");
    assert_null(r.people);
}

static void test_csv_quoting(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "quotes.csv",
        "id,first_name,last_name,position\n"
        "1,\"Zoë\",\"Müller, Lüdenscheidt\",\"Says \"\"hi\"\"\"\n"
        "2,Liam,O\"Brien,\"\"\n"
        "3,\"\",Empty,x\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 3);
    assert_string_equal(str(person(&r, "1"), "last_name"), "Müller, Lüdenscheidt");
    assert_string_equal(str(person(&r, "1"), "position"), "Says \"hi\"");
    /* a quote inside an unquoted field is taken literally */
    assert_string_equal(str(person(&r, "2"), "last_name"), "O\"Brien");
    assert_true(json_is_null(json_object_get(person(&r, "2"), "position")));
    assert_true(json_is_null(json_object_get(person(&r, "3"), "first_name")));
    hrs_source_result_clear(&r);
}

static void test_csv_embedded_newline_line_numbers(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "multiline.csv",
        "id,first_name,position\n"               /* line 1 */
        "1,Katrin,\"Head of\nEngineering\"\n"    /* lines 2-3 */
        "2,Malte\n"                              /* line 4: short */
        "3,Hannah,\"Sales\r\nDevelopment\r\nRepresentative\"\n" /* lines 5-7 */
        "4,Ines,\"a,b\",extra\n"                 /* line 8: long */
        "5,Andreas,Managing Director\n",         /* line 9 */
        SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 3);
    assert_string_equal(str(person(&r, "1"), "position"), "Head of\nEngineering");
    assert_string_equal(str(person(&r, "3"), "position"), "Sales\r\nDevelopment\r\nRepresentative");
    assert_non_null(person(&r, "5"));
    assert_int_equal(json_array_size(r.quarantine), 2);
    const json_t *q = quarantined(&r, "line", 4);
    assert_non_null(q);
    assert_contains(str(q, "reason"), "2 fields where the header has 3");
    assert_null(json_object_get(q, "id")); /* never half-read */
    q = quarantined(&r, "line", 8);
    assert_non_null(q);
    assert_contains(str(q, "reason"), "4 fields");
    hrs_source_result_clear(&r);
}

static void test_csv_crlf_and_trailing_lines(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "crlf.csv",
        "id,first_name,last_name\r\n"
        "1,Katrin,Vogel\r\n"
        "\r\n"
        "2,Malte,Hansen\r\n"
        "3,Ines,Kowalczyk\r\n"
        "\r\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 3);
    assert_int_equal(json_array_size(r.quarantine), 0);
    assert_string_equal(str(person(&r, "1"), "last_name"), "Vogel");
    assert_string_equal(str(json_object_get(person(&r, "3"), "raw"), "last_name"), "Kowalczyk");
    hrs_source_result_clear(&r);

    /* no line break after the last record */
    path = write_file(f, "noeol.csv", "id,first_name\n1,Katrin\n2,Malte", SIZE_MAX);
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);
    assert_string_equal(str(person(&r, "2"), "first_name"), "Malte");
    hrs_source_result_clear(&r);
}

static void test_csv_invalid_utf8(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "latin1.csv",
        "id,first_name,last_name\n"
        "1,Katrin,Vogel\n"
        "2,Zo\xEB,M\xFCller\n"                   /* Latin-1, line 3 */
        "3,Bad,\xED\xA0\x80surrogate\n"           /* encoded surrogate, line 4 */
        "4,Ines,Kowalczyk\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);
    assert_non_null(person(&r, "1"));
    assert_non_null(person(&r, "4"));
    const json_t *q = quarantined(&r, "line", 3);
    assert_non_null(q);
    assert_contains(str(q, "reason"), "not valid UTF-8");
    assert_contains(str(q, "reason"), "first_name");
    assert_non_null(quarantined(&r, "line", 4));
    hrs_source_result_clear(&r);
}

static void test_csv_broken_quotes(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "broken.csv",
        "id,first_name,last_name\n"
        "1,\"Katrin\"x,Vogel\n"                  /* line 2: junk after a closing quote */
        "2,Malte,Hansen\n"
        "3,\"Ines,Kowalczyk\n"                   /* line 4: quote never closed */
        "4,Hannah,Becker\n"
        "5,Andreas,Lindner\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 3);
    assert_non_null(person(&r, "2"));
    assert_non_null(person(&r, "4"));
    assert_non_null(person(&r, "5"));
    assert_contains(str(quarantined(&r, "line", 2), "reason"), "after its closing quote");
    assert_contains(str(quarantined(&r, "line", 4), "reason"), "never closed");
    hrs_source_result_clear(&r);
}

static void test_csv_file_errors(void **state)
{
    fixture *f = *state;
    hrs_source_result r;
    hrs_err err;
    char path[400];
    snprintf(path, sizeof path, "%s/does-not-exist.csv", f->dir);
    assert_int_equal(read_csv(path, NULL, &r, &err), -1);
    assert_contains(err.msg, path);
    assert_contains(err.msg, strerror(ENOENT));
    assert_null(r.people);
    assert_null(r.quarantine);

    const char *empty = write_file(f, "empty.csv", "\xEF\xBB\xBF", SIZE_MAX);
    assert_int_equal(read_csv(empty, NULL, &r, &err), -1);
    assert_contains(err.msg, "no header");
    assert_contains(err.msg, empty);

    const char *noid = write_file(f, "noid.csv", "first_name,last_name\nA,B\n", SIZE_MAX);
    assert_int_equal(read_csv(noid, NULL, &r, &err), -1);
    assert_contains(err.msg, "id");

    const char *twice = write_file(f, "twice.csv", "id,email,email\n1,a,b\n", SIZE_MAX);
    assert_int_equal(read_csv(twice, NULL, &r, &err), -1);
    assert_contains(err.msg, "twice");

    json_t *cfg = json_pack("{s:s}", "type", "csv");
    assert_int_equal(hrs_source_read(cfg, &r, &err), -1);
    assert_contains(err.msg, "path");
    json_decref(cfg);
}

static void test_csv_ids_and_dates(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "ids.csv",
        HEADER
        "1001,Katrin,Vogel,,katrin.vogel@example.com,active,Engineering,,,,2019-05-01,,female\n"
        "1002,Zoë,Müller,,zoe@example.com,active,Engineering,,,1001,2021-02-15,,diverse\n"
        ",No,Id,,noid@example.com,active,Sales,,,,2020-01-01,,\n"
        "1002,Zoe,Mueller,,zoe2@example.com,active,Engineering,,,1001,2021-02-15,,diverse\n"
        "1004,Malte,Hansen,,malte@example.com,leave,Support,,,1001,2027-02-29,,male\n"
        "1005,Ines,Kowalczyk,,ines@example.com,inactive,Engineering,,,1001,2022-11-14,"
        "31.06.2024,female\n"
        "1006,Hannah,Becker,,hannah@example.com,active,Sales,,,1007,2023-10-01,2027-03-31,\n",
        SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 2);
    assert_non_null(person(&r, "1001"));
    assert_string_equal(str(person(&r, "1006"), "termination_date"), "2027-03-31");
    assert_int_equal(json_array_size(r.quarantine), 5);

    /* both records with id 1002 are quarantined, each naming both lines */
    const json_t *a = quarantined(&r, "line", 3), *b = quarantined(&r, "line", 5);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_equal(str(a, "id"), "1002");
    assert_contains(str(a, "reason"), "duplicate id \"1002\"");
    assert_contains(str(a, "reason"), "line 3 and line 5");
    assert_contains(str(b, "reason"), "line 3 and line 5");

    const json_t *noid = quarantined(&r, "line", 4);
    assert_contains(str(noid, "reason"), "no id");
    assert_null(json_object_get(noid, "id"));

    const json_t *bad = quarantined(&r, "line", 6);
    assert_string_equal(str(bad, "id"), "1004");
    assert_contains(str(bad, "reason"), "hire_date \"2027-02-29\" is not a valid date");
    bad = quarantined(&r, "line", 7);
    assert_contains(str(bad, "reason"), "termination_date \"31.06.2024\"");
    hrs_source_result_clear(&r);
}

static void test_csv_columns_mapping(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "mapped.csv",
        "Personalnummer;Vorname;Nachname;Eintritt;Kostenstelle;Notiz\n"
        "P-1;Björn;Åkesson;01.03.2022;CC-100;ignored\n", SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    json_t *extra = json_pack("{s:s, s:{s:s, s:s, s:s, s:s, s:s}}", "delimiter", ";", "columns",
                              "Personalnummer", "id", "Vorname", "first_name", "Nachname",
                              "last_name", "Eintritt", "hire_date", "Kostenstelle", "cost_center");
    assert_int_equal(read_csv(path, extra, &r, &err), 0);
    const json_t *p = person(&r, "P-1");
    assert_non_null(p);
    assert_string_equal(str(p, "first_name"), "Björn");
    assert_string_equal(str(p, "hire_date"), "2022-03-01");
    assert_string_equal(str(p, "cost_center"), "CC-100");
    assert_null(json_object_get(p, "Notiz"));                    /* unmapped: only in raw */
    assert_string_equal(str(json_object_get(p, "raw"), "Notiz"), "ignored");
    hrs_source_result_clear(&r);

    extra = json_pack("{s:s, s:{s:s, s:s}}", "delimiter", ";", "columns", "Personalnummer", "id",
                      "Vorname ", "first_name");
    assert_int_equal(read_csv(path, extra, &r, &err), -1);
    assert_contains(err.msg, "\"Vorname \"");
    assert_contains(err.msg, "not in the header");

    extra = json_pack("{s:s, s:{s:s}}", "delimiter", ";", "columns", "Vorname", "first_name");
    assert_int_equal(read_csv(path, extra, &r, &err), -1);
    assert_contains(err.msg, "person id");

    extra = json_pack("{s:s, s:{s:s, s:s}}", "delimiter", ";", "columns", "Personalnummer", "id",
                      "Vorname", "raw");
    assert_int_equal(read_csv(path, extra, &r, &err), -1);
    assert_contains(err.msg, "reserved");
}

/* Equal cells of a column are one string, shared by the people and their raw records; a cell
 * that is trimmed gets a string of its own, and its raw value stays as written. */
static void test_csv_equal_cells_share_one_string(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "shared.csv",
        HEADER
        "1,Ada,Lovelace,,,active,R&D,,Berlin,,2024-01-02,,\n"
        "2,Alan,Turing,,,active,R&D,,Berlin,,2024-01-02,,\n"
        "3,Grace,Hopper,,,active, R&D ,,Köln,,2024-01-02,,\n",
        SIZE_MAX);
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(path, NULL, &r, &err), 0);
    const json_t *a = person(&r, "1"), *b = person(&r, "2"), *c = person(&r, "3");
    assert_ptr_equal(json_object_get(a, "department"), json_object_get(b, "department"));
    assert_ptr_equal(json_object_get(a, "office"), json_object_get(b, "office"));
    assert_ptr_equal(json_object_get(a, "hire_date"), json_object_get(c, "hire_date"));
    assert_ptr_equal(json_object_get(a, "department"), json_object_get(json_object_get(a, "raw"), "department"));
    assert_string_equal(str(c, "department"), "R&D");
    assert_string_equal(str(json_object_get(c, "raw"), "department"), " R&D ");
    assert_ptr_not_equal(json_object_get(c, "department"), json_object_get(a, "department"));
    assert_string_equal(str(json_object_get(c, "raw"), "email"), "");
    assert_true(json_is_null(json_object_get(c, "email")));
    hrs_source_result_clear(&r);
}

static void test_source_type_dispatch(void **state)
{
    (void)state;
    hrs_source_result r;
    hrs_err err;
    hrs_err_clear(&err);
    json_t *cfg = json_pack("{s:s, s:s}", "type", "xml", "path", "x.xml");
    assert_int_equal(hrs_source_read(cfg, &r, &err), -1);
    assert_contains(err.msg, "unknown source type \"xml\"");
    assert_contains(err.msg, "csv, json");
    json_decref(cfg);

    cfg = json_pack("{s:s}", "path", "x.csv");
    assert_int_equal(hrs_source_read(cfg, &r, &err), -1);
    assert_contains(err.msg, "no type");
    json_decref(cfg);
}

/* ---- dates ---- */

static void test_parse_date(void **state)
{
    (void)state;
    static const char *const good[][2] = {
        { "2019-05-01", "2019-05-01" },
        { "2019-05-01T00:00:00+02:00", "2019-05-01" },
        { "2026-12-31T23:30:00-05:00", "2026-12-31" },
        { "2020-01-13T00:00:00.000Z", "2020-01-13" },
        { "2027-02-28T23:59:59Z", "2027-02-28" },
        { "2024-06-30T00:00:00+0200", "2024-06-30" },
        { "2024-06-30T08:15", "2024-06-30" },
        { "01.05.2019", "2019-05-01" },
        { "4.1.2027", "2027-01-04" },
        { "2019/05/01", "2019-05-01" },
        { "2028-02-29", "2028-02-29" },
        { "2000-02-29", "2000-02-29" },
        { "29.02.2028", "2028-02-29" },
        { "2028/02/29", "2028-02-29" },
    };
    static const char *const bad[] = {
        "", "2027-02-29", "1900-02-29", "2019-13-01", "2019-00-10", "2019-04-31", "2019-05-00",
        "32.01.2020", "2019-5-1", "19-05-01", "2019-05-01T25:00:00Z", "2019-05-01T10:00:00+2",
        "2019-05-01T", "2019-05-01 junk", "2019-05-01T00:00:00+02:", "05/01/2019", "2019.05.01",
        "2019-05-01Z", " 2019-05-01", "2019-05-011", "12019-05-01", "2019-05-01T00:00:00+02:00:00",
        "2019-05-01T00:00:00+0", "2019-05-01T00:00:00.Z", "0000-01-01", "2019/05-01", "tomorrow",
    };
    char out[11];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        memset(out, 'x', sizeof out);
        if (hrs_source_parse_date(good[i][0], out) != 0) fail_msg("rejected %s", good[i][0]);
        assert_string_equal(out, good[i][1]);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (hrs_source_parse_date(bad[i], out) == 0) fail_msg("accepted \"%s\"", bad[i]);
    assert_int_equal(hrs_source_parse_date(NULL, out), -1);
}

/* ---- JSON ---- */

static void test_json_records_and_nested_fields(void **state)
{
    fixture *f = *state;
    const char *path = write_file(f, "export.json",
        "{\"status\":\"success\",\"data\":{\"employees\":["
        " {\"id\":1002,\"name\":{\"first\":\"Zoë\",\"last\":\"Müller-Lüdenscheidt\"},"
        "  \"department\":{\"id\":301,\"name\":\"Engineering\"},\"state\":\"Active\","
        "  \"start\":\"2021-02-15T00:00:00+01:00\",\"hours\":32,\"teams\":[{\"name\":\"Platform\"}]},"
        " \"not a record\","
        " {\"id\":\"1003\",\"name\":{\"first\":\"Liam\",\"last\":\"O'Brien\"},\"department\":null,"
        "  \"start\":\"2027-01-04\"},"
        " {\"id\":1004,\"name\":{\"first\":\"Malte\"},\"start\":\"2020-02-30\"}"
        "]}}", SIZE_MAX);
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
                            "type", "json", "path", path, "records", "data.employees", "fields",
                            "id", "id", "name.first", "first_name", "name.last", "last_name",
                            "department.name", "department", "state", "status", "start",
                            "hire_date", "hours", "weekly_hours", "teams.0.name", "team");
    hrs_source_result r;
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_source_read(cfg, &r, &err), 0);
    json_decref(cfg);
    assert_int_equal(json_array_size(r.people), 2);

    const json_t *zoe = person(&r, "1002");
    assert_non_null(zoe);
    assert_string_equal(str(zoe, "first_name"), "Zoë");
    assert_string_equal(str(zoe, "department"), "Engineering");
    assert_string_equal(str(zoe, "status"), "active");
    assert_string_equal(str(zoe, "hire_date"), "2021-02-15");
    assert_string_equal(str(zoe, "team"), "Platform");
    assert_int_equal(json_integer_value(json_object_get(zoe, "weekly_hours")), 32);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(zoe, "raw"), "id")), 1002);

    const json_t *liam = person(&r, "1003");
    assert_true(json_is_null(json_object_get(liam, "department")));
    assert_true(json_is_null(json_object_get(liam, "team")));

    assert_int_equal(json_array_size(r.quarantine), 2);
    const json_t *q = quarantined(&r, "index", 1);
    assert_non_null(q);
    assert_contains(str(q, "reason"), "record 1 is a string, not an object");
    q = quarantined(&r, "index", 3);
    assert_string_equal(str(q, "id"), "1004");
    assert_contains(str(q, "reason"), "hire_date \"2020-02-30\"");
    hrs_source_result_clear(&r);
}

static void test_json_document_shapes(void **state)
{
    fixture *f = *state;
    hrs_source_result r;
    hrs_err err;
    const char *arr = write_file(f, "array.json",
        "[{\"id\":\"1\",\"first_name\":\"Katrin\",\"department\":{\"name\":\"Engineering\"}},"
        " {\"id\":\"2\",\"first_name\":\"Malte\",\"cost_center\":\" CC-300 \"}]", SIZE_MAX);
    json_t *cfg = json_pack("{s:s, s:s}", "type", "json", "path", arr);
    assert_int_equal(hrs_source_read(cfg, &r, &err), 0);
    json_decref(cfg);
    /* without `fields` the keys are used as they are; an object on a normalised key is refused */
    assert_int_equal(json_array_size(r.people), 1);
    assert_string_equal(str(person(&r, "2"), "cost_center"), "CC-300");
    assert_contains(str(quarantined(&r, "index", 0), "reason"), "department is a JSON object");
    hrs_source_result_clear(&r);

    const char *obj = write_file(f, "object.json", "{\"data\":[],\"total\":0}", SIZE_MAX);
    cfg = json_pack("{s:s, s:s}", "type", "json", "path", obj);
    assert_int_equal(hrs_source_read(cfg, &r, &err), -1);
    assert_contains(err.msg, "`records`");
    assert_contains(err.msg, "data, total");
    json_decref(cfg);

    cfg = json_pack("{s:s, s:s, s:s}", "type", "json", "path", obj, "records", "total");
    assert_int_equal(hrs_source_read(cfg, &r, &err), -1);
    assert_contains(err.msg, "\"total\" leads to a number");
    json_decref(cfg);

    cfg = json_pack("{s:s, s:s, s:s}", "type", "json", "path", obj, "records", "data");
    assert_int_equal(hrs_source_read(cfg, &r, &err), 0);
    assert_int_equal(json_array_size(r.people), 0);
    hrs_source_result_clear(&r);
    json_decref(cfg);

    const char *broken = write_file(f, "broken.json", "[{\"id\": 1,}]", SIZE_MAX);
    cfg = json_pack("{s:s, s:s}", "type", "json", "path", broken);
    assert_int_equal(hrs_source_read(cfg, &r, &err), -1);
    assert_contains(err.msg, broken);
    assert_contains(err.msg, ":1:");
    json_decref(cfg);
}

/* The Personio fixture read as a JSON export: nested attribute values and dates with an offset.
 * (The Personio connector proper lives elsewhere; this checks dot paths on the real shape.) */
static void test_json_personio_fixture(void **state)
{
    (void)state;
    const char *shared = getenv("HRSYNC_SHARED_DIR");
    if (!shared) skip();
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/personio-v1-employees-page.json", shared);
    if (access(path, R_OK) != 0) skip();
    json_t *cfg = json_pack("{s:s, s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:s, s:s}}",
                            "type", "json", "path", path, "records", "data", "fields",
                            "attributes.id.value", "id",
                            "attributes.first_name.value", "first_name",
                            "attributes.last_name.value", "last_name",
                            "attributes.status.value", "status",
                            "attributes.department.value.attributes.name", "department",
                            "attributes.supervisor.value.attributes.id.value", "supervisor_id",
                            "attributes.hire_date.value", "hire_date");
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(hrs_source_read(cfg, &r, &err), 0);
    json_decref(cfg);
    assert_int_equal(json_array_size(r.people), 6);
    assert_int_equal(json_array_size(r.quarantine), 0);
    const json_t *katrin = person(&r, "1001");
    assert_string_equal(str(katrin, "hire_date"), "2019-05-01");
    assert_string_equal(str(katrin, "supervisor_id"), "1007");
    assert_string_equal(str(katrin, "department"), "Engineering");
    assert_string_equal(str(person(&r, "1002"), "hire_date"), "2021-02-15");
    assert_string_equal(str(person(&r, "1003"), "hire_date"), "2027-01-04");
    assert_string_equal(str(person(&r, "1002"), "first_name"), "Zoë");
    hrs_source_result_clear(&r);
}

/* ---- the demo company ---- */

static void test_demo_people_csv(void **state)
{
    (void)state;
    hrs_source_result r;
    hrs_err err;
    assert_int_equal(read_csv(HRSYNC_TEST_SOURCE_DIR "/examples/demo/people.csv", NULL, &r, &err),
                     0);
    assert_int_equal(json_array_size(r.quarantine), 0);
    assert_true(json_array_size(r.people) >= 12);
    /* every supervisor is in the file */
    size_t i;
    json_t *p;
    json_array_foreach(r.people, i, p) {
        const char *sup = json_string_value(json_object_get(p, "supervisor_id"));
        if (sup && !person(&r, sup)) fail_msg("%s: supervisor %s is not in the file", str(p, "id"), sup);
    }
    assert_string_equal(str(person(&r, "1003"), "hire_date"), "2027-01-04");
    assert_string_equal(str(person(&r, "1006"), "termination_date"), "2027-03-31");
    assert_string_equal(str(person(&r, "1002"), "first_name"), "Zoë");
    hrs_source_result_clear(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_csv_bom_and_normalisation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_semicolon_and_tab, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_quoting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_embedded_newline_line_numbers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_crlf_and_trailing_lines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_invalid_utf8, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_broken_quotes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_ids_and_dates, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_columns_mapping, setup, teardown),
        cmocka_unit_test(test_source_type_dispatch),
        cmocka_unit_test(test_parse_date),
        cmocka_unit_test_setup_teardown(test_json_records_and_nested_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_document_shapes, setup, teardown),
        cmocka_unit_test(test_json_personio_fixture),
        cmocka_unit_test(test_demo_people_csv),
        cmocka_unit_test_setup_teardown(test_csv_equal_cells_share_one_string, setup, teardown),
    };
    return cmocka_run_group_tests_name("source", tests, NULL, NULL);
}
