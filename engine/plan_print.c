/* plan_print.c: the readable diff of a plan, grouped by person (see include/hrsync/plan.h).
 *
 *   + create Zoë Müller-Lüdenscheidt (1002)  zoe.mueller-luedenscheidt@example.com
 *         givenName              "Zoë"
 *         + member of SG-Engineering
 *         manager                -> Katrin Vogel (1001)
 *   - disable Ines Kowalczyk (1005) ines.kowalczyk@example.com: leaver since 2024-06-30
 *         - member of SG-Engineering
 *         revoke sign-in sessions
 */
#include "hrsync/plan.h"

#include <stdlib.h>
#include <string.h>

typedef struct { const char *add, *del, *chg, *warn, *dim, *off; } palette;

static const palette colors = { "\033[32m", "\033[31m", "\033[33m", "\033[1;31m", "\033[2m", "\033[0m" };
static const palette plain = { "", "", "", "", "", "" };

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

static void print_value(FILE *out, const json_t *v)
{
    if (!v || json_is_null(v)) { fputs("(empty)", out); return; }
    if (json_is_string(v)) { fprintf(out, "\"%s\"", json_string_value(v)); return; }
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs(t ? t : "?", out);
    free(t);
}

static void print_change(FILE *out, const palette *p, const char *attr, const json_t *old, const json_t *neu)
{
    fprintf(out, "      %s%-22s%s ", p->chg, attr, p->off);
    print_value(out, old);
    fputs(" -> ", out);
    print_value(out, neu);
    fputc('\n', out);
}

static long num(const json_t *s, const char *k) { return (long)json_integer_value(json_object_get(s, k)); }

/* "Plan for D: N operations (3 to create, 1 to disable, …)": only the kinds present. */
static void print_headline(FILE *out, const json_t *plan, const palette *p)
{
    static const struct { const char *key, *words; } kinds[] = {
        { "create", "to create" }, { "update", "to update" }, { "link", "to link" }, { "enable", "to enable" },
        { "disable", "to disable" }, { "leave_date", "leave dates" }, { "revoke", "session revocations" },
        { "rename", "to rename" }, { "manager", "managers" }, { "group_add", "group additions" },
        { "group_remove", "group removals" },
    };
    const json_t *s = json_object_get(plan, "summary");
    size_t n = hrs_plan_count(plan);
    fprintf(out, "Plan for %s: %zu operation%s", sv(plan, "today"), n, n == 1 ? "" : "s");
    int first = 1;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        long v = num(s, kinds[i].key);
        if (!v) continue;
        fprintf(out, "%s%ld %s", first ? " (" : ", ", v, kinds[i].words);
        first = 0;
    }
    fputs(first ? "\n" : ")\n", out);
    fprintf(out, "%s%ld people read, %ld in scope, %ld out of scope, %ld unchanged, %ld quarantined", p->dim, num(s, "people"),
            num(s, "in_scope"), num(s, "out_of_scope"), num(s, "unchanged"), num(s, "quarantined"));
    if (num(s, "drift")) fprintf(out, ", %ld changed by hand in the directory", num(s, "drift"));
    fprintf(out, "%s\n", p->off);
}

/* The first line of an entry: its main action, the person, the account. */
static void print_header(FILE *out, const json_t *c, const palette *p)
{
    const char *a = sv(c, "action"), *upn = sv(c, "upn") ? sv(c, "upn") : "";
    const json_t *dis = json_object_get(c, "disable"), *en = json_object_get(c, "enable");
    int only_enable = en && !json_array_size(json_object_get(c, "changes")) && !json_object_get(c, "rename");
    if (strcmp(a, "create") == 0) {
        fprintf(out, "%s+ create %s (%s)  %s%s%s", p->add, sv(c, "name"), sv(c, "person"), upn,
                json_is_true(json_object_get(c, "account_enabled")) ? "" : "  [disabled]", p->off);
        if (sv(c, "replaces")) fprintf(out, "  %srehire: a new account; the old one stays disabled%s", p->dim, p->off);
    } else if (dis) {
        const char *since = sv(dis, "since");
        fprintf(out, "%s- disable %s (%s) %s: ", p->del, sv(c, "name"), sv(c, "person"), upn);
        if (strcmp(a, "leaver") == 0 && since) fprintf(out, "leaver since %s", since);
        else fprintf(out, "%s", sv(dis, "reason") ? sv(dis, "reason") : "leaver");
        fputs(p->off, out);
    } else if (strcmp(a, "leaver") == 0) {
        fprintf(out, "%s~ leaver %s (%s) %s%s", p->chg, sv(c, "name"), sv(c, "person"), upn, p->off);
    } else if (only_enable) {
        fprintf(out, "%s+ enable %s (%s) %s: %s%s", p->add, sv(c, "name"), sv(c, "person"), upn, sv(en, "reason"), p->off);
    } else {
        fprintf(out, "%s~ update %s (%s)  %s%s", p->chg, sv(c, "name"), sv(c, "person"), upn, p->off);
    }
    const char *how = sv(c, "linked_by");
    if (how && strcmp(how, "stored link") != 0) fprintf(out, "  %slinked by %s%s", p->dim, how, p->off);
    fputc('\n', out);
    if (en && !only_enable) fprintf(out, "      %s+ enable: %s%s\n", p->add, sv(en, "reason"), p->off);
}

static void print_entry(FILE *out, const json_t *c, const palette *p)
{
    print_header(out, c, p);
    const char *k;
    json_t *v, *ch;
    size_t j;
    json_object_foreach(json_object_get(c, "attributes"), k, v) {
        fprintf(out, "      %s%-22s%s ", p->add, k, p->off);
        print_value(out, v);
        fputc('\n', out);
    }
    json_array_foreach(json_object_get(c, "changes"), j, ch)
        print_change(out, p, sv(ch, "attribute"), json_object_get(ch, "old"), json_object_get(ch, "new"));
    const json_t *ren = json_object_get(c, "rename");
    if (ren) print_change(out, p, "userPrincipalName", json_object_get(ren, "old"), json_object_get(ren, "new"));
    const json_t *ld = json_object_get(c, "leave_date");
    if (ld) print_change(out, p, "employeeLeaveDateTime", json_object_get(ld, "old"), json_object_get(ld, "new"));
    json_array_foreach(json_object_get(c, "drift"), j, ch) {
        fprintf(out, "      %s! %s was changed by hand in the directory: ", p->warn, sv(ch, "attribute"));
        print_value(out, json_object_get(ch, "directory"));
        fputs(", hrsync wrote ", out);
        print_value(out, json_object_get(ch, "last_written"));
        fprintf(out, "; %s%s\n", strcmp(sv(ch, "action"), "keep") == 0 ? "kept (lifecycle.drift = keep)" : "HR wins", p->off);
    }
    json_array_foreach(json_object_get(c, "groups_add"), j, ch)
        fprintf(out, "      %s+ member of %s%s\n", p->add, sv(ch, "group"), p->off);
    json_array_foreach(json_object_get(c, "groups_remove"), j, ch)
        fprintf(out, "      %s- member of %s%s\n", p->del, sv(ch, "group"), p->off);
    const json_t *m = json_object_get(c, "manager");
    if (m) fprintf(out, "      %s%-22s%s %s%s-> %s (%s)\n", p->chg, "manager", p->off, sv(m, "old") ? sv(m, "old") : "",
                   sv(m, "old") ? " " : "", sv(m, "name"), sv(m, "person"));
    if (json_is_true(json_object_get(c, "revoke"))) fprintf(out, "      %srevoke sign-in sessions%s\n", p->del, p->off);
}

void hrs_plan_print_entry(const json_t *entry, FILE *out, int color)
{
    print_entry(out, entry, color ? &colors : &plain);
}

void hrs_plan_print(const json_t *plan, FILE *out, int color)
{
    const palette *p = color ? &colors : &plain;
    print_headline(out, plan, p);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c) {
        fputc('\n', out);
        print_entry(out, c, p);
    }
    json_array_foreach(json_object_get(plan, "quarantine"), i, c) {
        if (i == 0) fputc('\n', out);
        /* Entries from the policy name the person; entries from a source name the id and the
         * line (CSV) or index (JSON) of the record. */
        const char *who = sv(c, "person") ? sv(c, "person") : sv(c, "id");
        char where[64] = "";
        if (json_is_integer(json_object_get(c, "line")))
            snprintf(where, sizeof where, "%sline %lld", who ? ", " : "", (long long)json_integer_value(json_object_get(c, "line")));
        else if (json_is_integer(json_object_get(c, "index")))
            snprintf(where, sizeof where, "%srecord %lld", who ? ", " : "", (long long)json_integer_value(json_object_get(c, "index")));
        fprintf(out, "%s! quarantined %s%s(%s%s): %s%s\n", p->warn, sv(c, "name") ? sv(c, "name") : "", sv(c, "name") ? " " : "",
                who ? who : "", where, sv(c, "reason") ? sv(c, "reason") : "?", p->off);
    }
    json_array_foreach(json_object_get(plan, "notes"), i, c) {
        if (i == 0) fputc('\n', out);
        fprintf(out, "%snote: %s%s\n", p->dim, json_string_value(c), p->off);
    }
    if (hrs_plan_count(plan) == 0) fprintf(out, "\nNothing to do: the directory matches the policy.\n");
}

void hrs_plan_print_result(const json_t *r, FILE *out)
{
    static const struct { const char *key, *words; } more[] = {
        { "renamed", "renamed" }, { "enabled", "enabled" }, { "disabled", "disabled" },
        { "leave_date", "leave dates set" }, { "revoked", "sessions revoked" }, { "manager", "managers set" },
        { "resumed", "resumed from an interrupted run" },
    };
    fprintf(out, "\nApplied: %lld created, %lld updated, %lld linked, %lld group additions, %lld group removals",
            (long long)json_integer_value(json_object_get(r, "created")),
            (long long)json_integer_value(json_object_get(r, "updated")),
            (long long)json_integer_value(json_object_get(r, "linked")),
            (long long)json_integer_value(json_object_get(r, "group_added")),
            (long long)json_integer_value(json_object_get(r, "group_removed")));
    for (size_t i = 0; i < sizeof more / sizeof more[0]; i++) {
        long long n = (long long)json_integer_value(json_object_get(r, more[i].key));
        if (n) fprintf(out, ", %lld %s", n, more[i].words);
    }
    fprintf(out, ", %lld failed\n", (long long)json_integer_value(json_object_get(r, "failed")));
}
