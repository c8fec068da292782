/* plan_print.c: the readable diff of a plan, grouped by person (see include/hrsync/plan.h). */
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

static void print_groups(FILE *out, const json_t *c, const palette *p)
{
    size_t i;
    json_t *g;
    json_array_foreach(json_object_get(c, "groups_add"), i, g)
        fprintf(out, "      %s+ member of %s%s\n", p->add, sv(g, "group"), p->off);
    json_array_foreach(json_object_get(c, "groups_remove"), i, g)
        fprintf(out, "      %s- member of %s%s\n", p->del, sv(g, "group"), p->off);
}

static long num(const json_t *s, const char *k) { return (long)json_integer_value(json_object_get(s, k)); }

void hrs_plan_print(const json_t *plan, FILE *out, int color)
{
    const palette *p = color ? &colors : &plain;
    const json_t *s = json_object_get(plan, "summary");
    size_t n = hrs_plan_count(plan);
    fprintf(out, "Plan for %s: %zu operation%s (%ld to create, %ld to update, %ld to link, %ld group additions, %ld group removals)\n",
            sv(plan, "today"), n, n == 1 ? "" : "s", num(s, "create"), num(s, "update"), num(s, "link"),
            num(s, "group_add"), num(s, "group_remove"));
    fprintf(out, "%s%ld people read, %ld in scope, %ld out of scope, %ld unchanged, %ld quarantined%s\n",
            p->dim, num(s, "people"), num(s, "in_scope"), num(s, "out_of_scope"), num(s, "unchanged"),
            num(s, "quarantined"), p->off);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(plan, "changes"), i, c) {
        const char *a = sv(c, "action");
        fputc('\n', out);
        if (strcmp(a, "create") == 0) {
            fprintf(out, "%s+ create %s (%s)  %s%s%s\n", p->add, sv(c, "name"), sv(c, "person"), sv(c, "upn"),
                    json_is_true(json_object_get(c, "account_enabled")) ? "" : "  [disabled]", p->off);
            const char *k;
            json_t *v;
            json_object_foreach(json_object_get(c, "attributes"), k, v) {
                fprintf(out, "      %s%-22s%s ", p->add, k, p->off);
                print_value(out, v);
                fputc('\n', out);
            }
        } else {
            const char *how = sv(c, "linked_by");
            fprintf(out, "%s~ update %s (%s)  %s%s", p->chg, sv(c, "name"), sv(c, "person"), sv(c, "upn") ? sv(c, "upn") : "",
                    p->off);
            if (how && strcmp(how, "stored link") != 0) fprintf(out, "  %slinked by %s%s", p->dim, how, p->off);
            fputc('\n', out);
            size_t j;
            json_t *ch;
            json_array_foreach(json_object_get(c, "changes"), j, ch) {
                fprintf(out, "      %s%-22s%s ", p->chg, sv(ch, "attribute"), p->off);
                print_value(out, json_object_get(ch, "old"));
                fputs(" -> ", out);
                print_value(out, json_object_get(ch, "new"));
                fputc('\n', out);
            }
        }
        print_groups(out, c, p);
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
    json_array_foreach(json_object_get(plan, "notes"), i, c) fprintf(out, "%snote: %s%s\n", p->dim, json_string_value(c), p->off);
    if (n == 0) fprintf(out, "\nNothing to do: the directory matches the policy.\n");
}
