/* sim_filter.c: the OData $filter subset the simulator understands: `prop eq|ne|gt|ge|lt|le lit`,
 * `prop in (lit, …)`, `startsWith(prop, 'x')`, `endsWith(prop, 'x')`, `not`, `and`, `or` and
 * parentheses. Strings are quoted with ' (a quote inside is written ''), and compare without
 * regard to case as directory strings do in Graph.
 *
 * Which properties and operators work without the advanced query parameters follows graph.md §1:
 * ne, not, endsWith, `eq null` and the properties marked 'a' in sim_schema.c need
 * ConsistencyLevel: eventual and $count=true; without them Graph answers 400
 * Request_UnsupportedQuery "Unsupported Query.". Lambda operators (any/all) are not simulated. */
#include "sim_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_TOKENS 2048
#define MAX_DEPTH 64

typedef enum { T_END, T_LP, T_RP, T_COMMA, T_STR, T_WORD } tok_kind;

typedef struct {
    tok_kind kind;
    char *text;   /* owned; NULL for punctuation */
    size_t pos;   /* offset in the filter text */
} tok;

typedef enum { N_OR, N_AND, N_NOT, N_CMP, N_IN, N_FN } node_kind;

struct sim_filter {
    node_kind kind;
    struct sim_filter *a, *b;  /* operands of or/and, operand of not */
    char *prop;                /* property path; canonical after hrs_sim_filter_check */
    char op[12];               /* eq ne gt ge lt le in, startswith endswith */
    json_t *vals;              /* literals: string, true/false/null, or {"raw": text} */
    char ptype;                /* the property's type, set by hrs_sim_filter_check */
};

typedef struct {
    tok *t;
    int n, i, depth;
    char *why;
    size_t whyn;
} parser;

static void free_tokens(tok *t, int n)
{
    for (int i = 0; i < n; i++) free(t[i].text);
    free(t);
}

static int lex(const char *s, tok **out, int *nout, char *why, size_t whyn)
{
    tok *t = calloc(MAX_TOKENS + 1, sizeof *t);
    if (!t) return -1;
    int n = 0;
    size_t i = 0, len = strlen(s);
    while (1) {
        while (i < len && isspace((unsigned char)s[i])) i++;
        if (n >= MAX_TOKENS) {
            snprintf(why, whyn, "the filter is too long");
            free_tokens(t, n);
            return -1;
        }
        t[n].pos = i;
        if (i >= len) {
            t[n++].kind = T_END;
            break;
        }
        char c = s[i];
        if (c == '(' || c == ')' || c == ',') {
            t[n++].kind = c == '(' ? T_LP : c == ')' ? T_RP : T_COMMA;
            i++;
        } else if (c == '\'') {
            char *buf = malloc(len - i + 1);
            size_t j = 0;
            int closed = 0;
            if (!buf) {
                free_tokens(t, n);
                return -1;
            }
            for (i++; i < len; i++) {
                if (s[i] == '\'') {
                    if (i + 1 < len && s[i + 1] == '\'') {
                        buf[j++] = '\'';
                        i++;
                    } else {
                        closed = 1;
                        i++;
                        break;
                    }
                } else {
                    buf[j++] = s[i];
                }
            }
            buf[j] = '\0';
            if (!closed) {
                snprintf(why, whyn, "unterminated string literal at position %zu", t[n].pos);
                free(buf);
                free_tokens(t, n);
                return -1;
            }
            t[n].kind = T_STR;
            t[n++].text = buf;
        } else {
            size_t j = i;
            while (j < len && !isspace((unsigned char)s[j]) && s[j] != '(' && s[j] != ')' &&
                   s[j] != ',' && s[j] != '\'')
                j++;
            t[n].kind = T_WORD;
            t[n].text = strndup(s + i, j - i);
            if (!t[n++].text) {
                free_tokens(t, n - 1);
                return -1;
            }
            i = j;
        }
    }
    *out = t;
    *nout = n;
    return 0;
}

static sim_filter *node(node_kind k)
{
    sim_filter *f = calloc(1, sizeof *f);
    if (f) f->kind = k;
    return f;
}

void hrs_sim_filter_free(sim_filter *f)
{
    if (!f) return;
    hrs_sim_filter_free(f->a);
    hrs_sim_filter_free(f->b);
    free(f->prop);
    json_decref(f->vals);
    free(f);
}

static tok *peek(parser *p) { return &p->t[p->i]; }

static int is_word(parser *p, const char *w)
{
    tok *t = peek(p);
    return t->kind == T_WORD && strcasecmp(t->text, w) == 0;
}

static sim_filter *fail(parser *p, const char *what)
{
    tok *t = peek(p);
    if (!p->why[0])
        snprintf(p->why, p->whyn, "syntax error at position %zu: %s", t->pos, what);
    return NULL;
}

static json_t *literal(parser *p)
{
    tok *t = peek(p);
    json_t *v = NULL;
    if (t->kind == T_STR) {
        v = json_string(t->text);
    } else if (t->kind == T_WORD) {
        if (strcasecmp(t->text, "true") == 0) v = json_true();
        else if (strcasecmp(t->text, "false") == 0) v = json_false();
        else if (strcasecmp(t->text, "null") == 0) v = json_null();
        else v = json_pack("{s:s}", "raw", t->text);
    }
    if (v) p->i++;
    return v;
}

static sim_filter *parse_or(parser *p);

static sim_filter *parse_primary(parser *p)
{
    tok *t = peek(p);
    if (t->kind == T_LP) {
        p->i++;
        sim_filter *e = parse_or(p);
        if (!e) return NULL;
        if (peek(p)->kind != T_RP) {
            hrs_sim_filter_free(e);
            return fail(p, "')' expected");
        }
        p->i++;
        return e;
    }
    if (t->kind != T_WORD) return fail(p, "a property or function expected");
    if (p->t[p->i + 1].kind == T_LP) {   /* function call */
        const char *fn = t->text;
        if (strcasecmp(fn, "startswith") != 0 && strcasecmp(fn, "endswith") != 0)
            return fail(p, "unknown function");
        sim_filter *f = node(N_FN);
        if (!f) return NULL;
        snprintf(f->op, sizeof f->op, "%s", strcasecmp(fn, "startswith") == 0 ? "startswith"
                                                                               : "endswith");
        p->i += 2;
        if (peek(p)->kind != T_WORD || p->t[p->i + 1].kind != T_COMMA) {
            hrs_sim_filter_free(f);
            return fail(p, "a property and ',' expected");
        }
        f->prop = strdup(peek(p)->text);
        p->i += 2;
        json_t *v = literal(p);
        f->vals = json_array();
        if (!v || peek(p)->kind != T_RP) {
            json_decref(v);
            hrs_sim_filter_free(f);
            return fail(p, "a literal and ')' expected");
        }
        json_array_append_new(f->vals, v);
        p->i++;
        return f;
    }
    sim_filter *f = node(N_CMP);
    if (!f) return NULL;
    f->prop = strdup(t->text);
    f->vals = json_array();
    p->i++;
    static const char *const ops[] = { "eq", "ne", "gt", "ge", "lt", "le", "in", NULL };
    int found = 0;
    for (int k = 0; ops[k]; k++)
        if (is_word(p, ops[k])) {
            snprintf(f->op, sizeof f->op, "%s", ops[k]);
            found = 1;
        }
    if (!found) {
        hrs_sim_filter_free(f);
        return fail(p, "an operator expected");
    }
    p->i++;
    if (strcmp(f->op, "in") == 0) {
        f->kind = N_IN;
        if (peek(p)->kind != T_LP) {
            hrs_sim_filter_free(f);
            return fail(p, "'(' expected after in");
        }
        p->i++;
        while (1) {
            json_t *v = literal(p);
            if (!v) {
                hrs_sim_filter_free(f);
                return fail(p, "a literal expected");
            }
            json_array_append_new(f->vals, v);
            if (peek(p)->kind == T_COMMA) {
                p->i++;
                continue;
            }
            if (peek(p)->kind == T_RP) {
                p->i++;
                break;
            }
            hrs_sim_filter_free(f);
            return fail(p, "',' or ')' expected");
        }
        return f;
    }
    json_t *v = literal(p);
    if (!v) {
        hrs_sim_filter_free(f);
        return fail(p, "a literal expected");
    }
    json_array_append_new(f->vals, v);
    return f;
}

static sim_filter *parse_unary(parser *p)
{
    if (++p->depth > MAX_DEPTH) return fail(p, "the filter is nested too deeply");
    sim_filter *f;
    if (is_word(p, "not")) {
        p->i++;
        sim_filter *a = parse_unary(p);
        if (!a) return NULL;
        f = node(N_NOT);
        if (!f) {
            hrs_sim_filter_free(a);
            return NULL;
        }
        f->a = a;
    } else {
        f = parse_primary(p);
    }
    p->depth--;
    return f;
}

static sim_filter *parse_binary(parser *p, int is_or)
{
    sim_filter *l = is_or ? parse_binary(p, 0) : parse_unary(p);
    while (l && is_word(p, is_or ? "or" : "and")) {
        p->i++;
        sim_filter *r = is_or ? parse_binary(p, 0) : parse_unary(p);
        if (!r) {
            hrs_sim_filter_free(l);
            return NULL;
        }
        sim_filter *n = node(is_or ? N_OR : N_AND);
        if (!n) {
            hrs_sim_filter_free(l);
            hrs_sim_filter_free(r);
            return NULL;
        }
        n->a = l;
        n->b = r;
        l = n;
    }
    return l;
}

static sim_filter *parse_or(parser *p)
{
    if (++p->depth > MAX_DEPTH) return fail(p, "the filter is nested too deeply");
    sim_filter *f = parse_binary(p, 1);
    p->depth--;
    return f;
}

sim_filter *hrs_sim_filter_parse(const char *text, char *why, size_t n)
{
    why[0] = '\0';
    tok *t;
    int nt;
    if (lex(text, &t, &nt, why, n) != 0) {
        if (!why[0]) snprintf(why, n, "out of memory");
        return NULL;
    }
    parser p = { t, nt, 0, 0, why, n };
    sim_filter *f = parse_or(&p);
    if (f && peek(&p)->kind != T_END) {
        hrs_sim_filter_free(f);
        f = fail(&p, "unexpected text after the expression");
    }
    if (!f && !why[0]) snprintf(why, n, "syntax error");
    free_tokens(t, nt);
    return f;
}

/* ---- checking ---- */

static const char *edm(char type)
{
    switch (type) {
    case 'B': return "Edm.Boolean";
    case 'D': return "Edm.DateTimeOffset";
    case 'I': return "Edm.Int32";
    default: return "Edm.String";
    }
}

/* The Edm type of a literal, or NULL for null. */
static const char *literal_type(json_t *v)
{
    if (json_is_string(v)) return "Edm.String";
    if (json_is_boolean(v)) return "Edm.Boolean";
    if (json_is_null(v)) return NULL;
    const char *raw = json_string_value(json_object_get(v, "raw"));
    if (!raw) return "Edm.Untyped";
    int digits = 1, datey = 0;
    for (const char *c = raw; *c; c++) {
        if (!isdigit((unsigned char)*c) && !(c == raw && *c == '-')) digits = 0;
        if (*c == 'T' || *c == ':') datey = 1;
    }
    if (digits) return "Edm.Int32";
    if (datey && isdigit((unsigned char)raw[0])) return "Edm.DateTimeOffset";
    return "Edm.Untyped";
}

static const char *op_kind(const char *op)
{
    if (strcmp(op, "ne") == 0) return "NotEqual";
    if (strcmp(op, "gt") == 0) return "GreaterThan";
    if (strcmp(op, "ge") == 0) return "GreaterThanOrEqual";
    if (strcmp(op, "lt") == 0) return "LessThan";
    if (strcmp(op, "le") == 0) return "LessThanOrEqual";
    return "Equal";
}

static int check(sim_filter *f, const sim_prop *table, const char *entity, int adv,
                 const sim_req *q, sim_resp *r)
{
    if (f->kind == N_OR || f->kind == N_AND)
        return check(f->a, table, entity, adv, q, r) || check(f->b, table, entity, adv, q, r)
                   ? -1 : 0;
    if (f->kind == N_NOT) {
        if (check(f->a, table, entity, adv, q, r) != 0) return -1;
        if (!adv) {
            hrs_sim_fail(q, r, 400, "Request_UnsupportedQuery", "Unsupported Query.");
            return -1;
        }
        return 0;
    }
    char type = 'S', canon[160], lent[32];
    char cls = hrs_sim_filter_class(table, f->prop, &type, canon, sizeof canon);
    hrs_sim_lower(lent, sizeof lent, entity);
    if (cls == '?') {
        hrs_sim_fail(q, r, 400, "BadRequest",
                     "Could not find a property named '%s' on type 'microsoft.graph.%s'.", f->prop,
                     lent);
        return -1;
    }
    if (cls == 0 || (f->kind == N_FN && type != 'S')) {
        hrs_sim_fail(q, r, 400, "Request_UnsupportedQuery",
                     "Unsupported or invalid query filter clause specified for property '%s' of "
                     "resource '%s'.", canon, entity);
        return -1;
    }
    free(f->prop);
    f->prop = strdup(canon);
    f->ptype = type;
    int needs_adv = cls == 'a' || (f->kind == N_FN && strcmp(f->op, "endswith") == 0) ||
                    (f->kind == N_CMP && strcmp(f->op, "eq") != 0);
    size_t i;
    json_t *v;
    json_array_foreach(f->vals, i, v) {
        const char *lt = literal_type(v);
        if (!lt) {
            if (f->kind != N_CMP || (strcmp(f->op, "eq") != 0 && strcmp(f->op, "ne") != 0)) {
                hrs_sim_fail(q, r, 400, "BadRequest", "Invalid filter clause: null is only "
                             "allowed with eq and ne.");
                return -1;
            }
            needs_adv = 1;
            continue;
        }
        if (strcmp(lt, edm(type)) != 0) {
            hrs_sim_fail(q, r, 400, "BadRequest",
                         "A binary operator with incompatible types was detected. Found operand "
                         "types '%s' and '%s' for operator kind '%s'.", edm(type), lt,
                         op_kind(f->op));
            return -1;
        }
    }
    if (needs_adv && !adv) {
        hrs_sim_fail(q, r, 400, "Request_UnsupportedQuery", "Unsupported Query.");
        return -1;
    }
    return 0;
}

int hrs_sim_filter_check(sim_filter *f, const sim_prop *table, const char *entity, int advanced,
                         const sim_req *q, sim_resp *r)
{
    return check(f, table, entity, advanced, q, r);
}

/* ---- matching ---- */

static json_t *resolve(json_t *obj, const char *path)
{
    char buf[160];
    snprintf(buf, sizeof buf, "%s", path);
    char *save = NULL;
    json_t *cur = obj;
    for (char *part = strtok_r(buf, "/", &save); part && cur; part = strtok_r(NULL, "/", &save))
        cur = json_is_object(cur) ? json_object_get(cur, part) : NULL;
    return cur;
}

/* <0, 0, >0 like strcmp; 2 when the two cannot be compared. */
static int compare(json_t *v, json_t *lit)
{
    if (json_is_null(lit)) return (!v || json_is_null(v)) ? 0 : 2;
    if (!v || json_is_null(v)) return 2;
    if (json_is_boolean(lit)) return json_is_boolean(v) && json_is_true(v) == json_is_true(lit)
                                         ? 0 : 2;
    const char *ls = json_is_string(lit) ? json_string_value(lit)
                                         : json_string_value(json_object_get(lit, "raw"));
    if (json_is_integer(v) && ls) {
        long long a = json_integer_value(v), b = strtoll(ls, NULL, 10);
        return a < b ? -1 : a > b;
    }
    if (!json_is_string(v) || !ls) return 2;
    return strcasecmp(json_string_value(v), ls);
}

int hrs_sim_filter_match(const sim_filter *f, json_t *obj)
{
    switch (f->kind) {
    case N_OR: return hrs_sim_filter_match(f->a, obj) || hrs_sim_filter_match(f->b, obj);
    case N_AND: return hrs_sim_filter_match(f->a, obj) && hrs_sim_filter_match(f->b, obj);
    case N_NOT: return !hrs_sim_filter_match(f->a, obj);
    case N_IN: {
        json_t *v = resolve(obj, f->prop), *lit;
        size_t i;
        json_array_foreach(f->vals, i, lit)
            if (compare(v, lit) == 0) return 1;
        return 0;
    }
    case N_FN: {
        json_t *v = resolve(obj, f->prop);
        const char *s = json_string_value(v);
        const char *p = json_string_value(json_array_get(f->vals, 0));
        if (!s || !p) return 0;
        size_t ls = strlen(s), lp = strlen(p);
        if (lp > ls) return 0;
        return strncasecmp(f->op[0] == 's' ? s : s + ls - lp, p, lp) == 0;
    }
    case N_CMP: {
        int c = compare(resolve(obj, f->prop), json_array_get(f->vals, 0));
        if (strcmp(f->op, "eq") == 0) return c == 0;
        if (strcmp(f->op, "ne") == 0) return c != 0;
        if (c == 2) return 0;
        if (strcmp(f->op, "gt") == 0) return c > 0;
        if (strcmp(f->op, "ge") == 0) return c >= 0;
        if (strcmp(f->op, "lt") == 0) return c < 0;
        return c <= 0;
    }
    }
    return 0;
}
