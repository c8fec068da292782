/* policy_diff.c: the difference two policies make for the same persons, counted and put into
 * words (see include/hrsync/policy_diff.h). */
#include "hrsync/policy_diff.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Appends v to the array at obj[key], creating it. */
static void push(json_t *obj, const char *key, json_t *v)
{
    json_t *a = json_object_get(obj, key);
    if (!a) {
        a = json_array();
        json_object_set_new(obj, key, a);
    }
    json_array_append_new(a, v);
}

static int included(const json_t *d) { return json_is_true(json_object_get(d, "include")); }
static int failing(const json_t *d) { return !d || json_object_get(d, "error") != NULL; }

static int has_string(const json_t *arr, const char *s)
{
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
        if (json_is_string(v) && strcmp(json_string_value(v), s) == 0) return 1;
    return 0;
}

/* Groups in a but not in b, each pushed to out[group] with id. */
static void group_delta(const json_t *a, const json_t *b, json_t *out, const char *id)
{
    size_t i;
    json_t *g;
    json_array_foreach(a, i, g)
        if (json_is_string(g) && !has_string(b, json_string_value(g))) push(out, json_string_value(g), json_string(id));
}

static void compare_attributes(const json_t *old, const json_t *new, json_t *out, const char *id)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)new, k, v) {
        json_t *o = json_object_get(old, k);
        if (!o || !json_equal(o, v))
            push(out, k, json_pack("{s:s, s:O, s:O}", "person", id, "old", o ? o : json_null(), "new", v));
    }
    json_object_foreach((json_t *)old, k, v)
        if (!json_object_get(new, k)) push(out, k, json_pack("{s:s, s:O, s:n}", "person", id, "old", v, "new"));
}

static void compare(const char *id, const json_t *od, const json_t *nd, json_t *diff)
{
    if (failing(od) || failing(nd)) {
        if (failing(nd) && !failing(od)) push(diff, "failing", json_string(id));
        if (!failing(nd) && failing(od)) push(diff, "fixed", json_string(id));
        return;
    }
    int oi = included(od), ni = included(nd);
    if (!oi && !ni) return;
    const json_t *og = oi ? json_object_get(od, "groups") : NULL, *ng = ni ? json_object_get(nd, "groups") : NULL;
    group_delta(ng, og, json_object_get(diff, "groups_add"), id);
    group_delta(og, ng, json_object_get(diff, "groups_remove"), id);
    if (oi != ni) {
        push(diff, ni ? "scope_in" : "scope_out", json_string(id));
        return;
    }
    compare_attributes(json_object_get(od, "attributes"), json_object_get(nd, "attributes"),
                       json_object_get(diff, "attributes"), id);
    const json_t *ou = json_array_get(json_object_get(od, "upns"), 0), *nu = json_array_get(json_object_get(nd, "upns"), 0);
    if (json_is_string(ou) && json_is_string(nu) && strcasecmp(json_string_value(ou), json_string_value(nu)) != 0)
        push(diff, "upn", json_pack("{s:s, s:O, s:O}", "person", id, "old", ou, "new", nu));
}

json_t *hrs_policy_diff(const json_t *people, const json_t *old_decisions, const json_t *new_decisions)
{
    size_t n = json_array_size(people), k = 0, i;
    const char **ids = calloc(n ? n : 1, sizeof *ids);
    json_t *p;
    json_array_foreach(people, i, p) {
        const char *id = json_string_value(json_object_get(p, "id"));
        if (id && ids) ids[k++] = id;
    }
    if (k > 1) qsort(ids, k, sizeof *ids, cmp_str);
    json_t *diff = json_pack("{s:I, s:[], s:[], s:{}, s:{}, s:{}, s:[], s:[], s:[]}", "persons", (json_int_t)k, "scope_in",
                             "scope_out", "attributes", "groups_add", "groups_remove", "upn", "failing", "fixed");
    for (size_t j = 0; diff && j < k; j++)
        compare(ids[j], json_object_get(old_decisions, ids[j]), json_object_get(new_decisions, ids[j]), diff);
    free(ids);
    return diff;
}

/* ---- words ---- */

typedef struct { char *s; size_t n, o; int parts; } sentence;

static void say(sentence *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(sentence *b, const char *fmt, ...)
{
    if (b->o >= b->n) return;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->s + b->o, b->n - b->o, fmt, ap);
    va_end(ap);
    if (w > 0) b->o += (size_t)w < b->n - b->o ? (size_t)w : b->n - b->o - 1;
}

static const char *people_word(size_t n) { return n == 1 ? "person" : "people"; }

/* The keys of an object of arrays, largest array first (then by name). */
typedef struct { const char *key; size_t count; } keyed;

static int by_count(const void *a, const void *b)
{
    const keyed *x = a, *y = b;
    if (x->count != y->count) return x->count < y->count ? 1 : -1;
    return strcmp(x->key, y->key);
}

static keyed *ranked(const json_t *obj, size_t *n)
{
    *n = json_object_size(obj);
    keyed *v = calloc(*n ? *n : 1, sizeof *v);
    if (!v) { *n = 0; return NULL; }
    size_t i = 0;
    const char *k;
    json_t *a;
    json_object_foreach((json_t *)obj, k, a) {
        v[i].key = k;
        v[i++].count = json_array_size(a);
    }
    qsort(v, *n, sizeof *v, by_count);
    return v;
}

/* Collects the clauses of the sentence, in the order they are read. */
static size_t clauses(const json_t *diff, char list[][160], size_t max)
{
    size_t c = 0, n;
    keyed *v = ranked(json_object_get(diff, "groups_add"), &n);
    for (size_t i = 0; i < n && c < max; i++)
        snprintf(list[c++], 160, "move %zu %s to %s", v[i].count, people_word(v[i].count), v[i].key);
    free(v);
    v = ranked(json_object_get(diff, "groups_remove"), &n);
    for (size_t i = 0; i < n && c < max; i++)
        snprintf(list[c++], 160, "take %zu %s out of %s", v[i].count, people_word(v[i].count), v[i].key);
    free(v);
    size_t in = json_array_size(json_object_get(diff, "scope_in")), out = json_array_size(json_object_get(diff, "scope_out"));
    if (in && c < max) snprintf(list[c++], 160, "bring %zu %s into scope", in, people_word(in));
    if (out && c < max) snprintf(list[c++], 160, "take %zu %s out of scope", out, people_word(out));
    v = ranked(json_object_get(diff, "attributes"), &n);
    for (size_t i = 0; i < n && c < max; i++)
        snprintf(list[c++], 160, "change %s for %zu %s", v[i].key, v[i].count, people_word(v[i].count));
    free(v);
    size_t upn = json_array_size(json_object_get(diff, "upn"));
    if (upn && c < max) snprintf(list[c++], 160, "rename %zu", upn);
    size_t bad = json_array_size(json_object_get(diff, "failing")), fixed = json_array_size(json_object_get(diff, "fixed"));
    if (bad && c < max) snprintf(list[c++], 160, "quarantine %zu %s the policy now fails for", bad, people_word(bad));
    if (fixed && c < max) snprintf(list[c++], 160, "decide %zu %s the old policy failed for", fixed, people_word(fixed));
    return c;
}

void hrs_policy_diff_sentence(const json_t *diff, char *out, size_t n)
{
    enum { MAX = 64, SHOWN = 4 };
    char list[MAX][160];
    size_t c = clauses(diff, list, MAX);
    sentence b = { out, n, 0, 0 };
    if (!n) return;
    out[0] = '\0';
    if (!c) {
        size_t k = (size_t)json_integer_value(json_object_get(diff, "persons"));
        say(&b, "this edit changes no decision for the %zu %s of the last cycle", k, people_word(k));
        return;
    }
    say(&b, "this edit would ");
    size_t shown = c > SHOWN ? SHOWN : c;
    for (size_t i = 0; i < shown; i++)
        say(&b, "%s%s", i == 0 ? "" : (i + 1 == shown && shown == c) ? " and " : ", ", list[i]);
    if (c > shown) say(&b, " and make %zu more change%s (below)", c - shown, c - shown == 1 ? "" : "s");
}

static void ids_line(FILE *f, const json_t *ids)
{
    size_t i;
    json_t *v;
    json_array_foreach(ids, i, v) {
        if (i == 8) {
            fprintf(f, " and %zu more", json_array_size(ids) - 8);
            break;
        }
        fprintf(f, "%s%s", i ? ", " : "", json_string_value(v));
    }
}

static void print_value(FILE *f, const json_t *v)
{
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs(t ? t : "?", f);
    free(t);
}

void hrs_policy_diff_print(const json_t *diff, FILE *f)
{
    static const struct { const char *key, *verb; } sets[] = { { "groups_add", "into" }, { "groups_remove", "out of" } };
    for (size_t s = 0; s < 2; s++) {
        size_t n;
        keyed *v = ranked(json_object_get(diff, sets[s].key), &n);
        for (size_t i = 0; i < n; i++) {
            fprintf(f, "  %zu %s %s %s: ", v[i].count, people_word(v[i].count), sets[s].verb, v[i].key);
            ids_line(f, json_object_get(json_object_get(diff, sets[s].key), v[i].key));
            fputc('\n', f);
        }
        free(v);
    }
    static const struct { const char *key, *text; } lists[] = {
        { "scope_in", "into scope" }, { "scope_out", "out of scope" },
        { "failing", "quarantined: the new policy fails for them" }, { "fixed", "decided again: the old policy failed for them" } };
    for (size_t s = 0; s < sizeof lists / sizeof *lists; s++) {
        const json_t *ids = json_object_get(diff, lists[s].key);
        if (!json_array_size(ids)) continue;
        fprintf(f, "  %zu %s %s: ", json_array_size(ids), people_word(json_array_size(ids)), lists[s].text);
        ids_line(f, ids);
        fputc('\n', f);
    }
    size_t n;
    const json_t *attrs = json_object_get(diff, "attributes");
    keyed *v = ranked(attrs, &n);
    for (size_t i = 0; i < n; i++) {
        const json_t *first = json_array_get(json_object_get(attrs, v[i].key), 0);
        fprintf(f, "  %s changes for %zu %s, e.g. %s: ", v[i].key, v[i].count, people_word(v[i].count),
                json_string_value(json_object_get(first, "person")));
        print_value(f, json_object_get(first, "old"));
        fputs(" -> ", f);
        print_value(f, json_object_get(first, "new"));
        fputc('\n', f);
    }
    free(v);
    size_t i;
    json_t *u;
    json_array_foreach(json_object_get(diff, "upn"), i, u) {
        if (i == 8) {
            fprintf(f, "  … and %zu more first UPN candidates\n", json_array_size(json_object_get(diff, "upn")) - 8);
            break;
        }
        fprintf(f, "  first UPN candidate of %s: %s -> %s\n", json_string_value(json_object_get(u, "person")),
                json_string_value(json_object_get(u, "old")), json_string_value(json_object_get(u, "new")));
    }
}
