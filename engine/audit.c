/* audit.c: the audit trail of the operations sent to the directory, in SQLite and as JSON lines
 * (see include/hrsync/audit.h; the table is created by a migration in store.c). */
#include "hrsync/audit.h"
#include "hrsync/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

struct hrs_audit {
    hrs_store *store;
    char *file;              /* NULL: SQLite only */
    int fd;                  /* -1 until the first flush */
    char *buf;               /* JSON lines not yet in the file */
    size_t len, cap;
    int64_t run_id;
    char plan_id[48];
    char today[11];
    int file_failed;         /* the file could not be written: said once */
    json_t *created;         /* person id -> object id of the accounts created in this run */
};

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }

char *hrs_audit_file_of(const hrs_config *c, hrs_err *err)
{
    const json_t *v = json_object_get(c->root, "audit_log");
    if (json_is_false(v)) return NULL;
    const char *name = v ? json_string_value(v) : "audit.jsonl";
    if (!name || !*name) {
        int line = hrs_config_line_of(c, "audit_log");
        if (line) hrs_err_set(err, "%s:%d: audit_log must be a file name, or false for no audit file", c->path, line);
        else hrs_err_set(err, "%s: audit_log must be a file name, or false for no audit file", c->path);
        return NULL;
    }
    /* An explicit relative path is relative to the config's folder; the default sits next to the state file. */
    const char *base = v ? c->path : c->state_path;
    if (name[0] == '/') return strdup(name);
    const char *slash = strrchr(base, '/');
    size_t dl = slash ? (size_t)(slash - base) : 1;
    size_t n = dl + strlen(name) + 2;
    char *p = malloc(n);
    if (!p) { hrs_err_set(err, "out of memory"); return NULL; }
    if (slash) snprintf(p, n, "%.*s/%s", (int)dl, base, name);
    else snprintf(p, n, "./%s", name);
    return p;
}

/* The batch's transaction commits: its events go to the file too. */
static int on_commit(void *ud)
{
    hrs_audit *a = ud;
    hrs_err e;
    hrs_err_clear(&e);
    if (a->len && hrs_audit_flush(a, &e) != 0 && !a->file_failed) {
        a->file_failed = 1;
        hrs_error("%s (the events are kept in the state file)", e.msg);
    }
    return 0; /* never turn the commit into a rollback: the operations did happen */
}

hrs_audit *hrs_audit_open(hrs_store *s, const char *file, hrs_err *err)
{
    hrs_audit *a = calloc(1, sizeof *a);
    if (!a || (file && !(a->file = strdup(file)))) {
        free(a);
        hrs_err_set(err, "out of memory");
        return NULL;
    }
    a->store = s;
    a->fd = -1;
    a->created = json_object();
    sqlite3_commit_hook(hrs_store_db(s), on_commit, a);
    return a;
}

void hrs_audit_close(hrs_audit *a)
{
    if (!a) return;
    hrs_err e;
    hrs_err_clear(&e);
    if (hrs_audit_flush(a, &e) != 0) hrs_error("%s", e.msg);
    sqlite3_commit_hook(hrs_store_db(a->store), NULL, NULL);
    if (a->fd >= 0) close(a->fd);
    free(a->buf);
    free(a->file);
    json_decref(a->created);
    free(a);
}

void hrs_audit_begin(hrs_audit *a, int64_t run_id, const char *plan_id, const char *today)
{
    if (!a) return;
    a->run_id = run_id;
    snprintf(a->plan_id, sizeof a->plan_id, "%s", plan_id ? plan_id : "");
    snprintf(a->today, sizeof a->today, "%s", today ? today : "");
    json_object_clear(a->created);
}

int hrs_audit_flush(hrs_audit *a, hrs_err *err)
{
    if (!a || !a->len) return 0;
    if (!a->file) { a->len = 0; return 0; }
    if (a->fd < 0) {
        a->fd = open(a->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (a->fd < 0) return hrs_err_set(err, "cannot open the audit log %s: %s", a->file, strerror(errno));
    }
    size_t off = 0;
    while (off < a->len) {
        ssize_t w = write(a->fd, a->buf + off, a->len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return hrs_err_set(err, "cannot write the audit log %s: %s", a->file, strerror(errno));
        off += (size_t)w;
    }
    a->len = 0;
    if (fsync(a->fd) != 0) return hrs_err_set(err, "cannot fsync the audit log %s: %s", a->file, strerror(errno));
    return 0;
}

static int buffer_line(hrs_audit *a, const char *line)
{
    size_t l = strlen(line);
    if (a->len + l + 2 > a->cap) {
        size_t cap = (a->cap ? a->cap * 2 : 4096) + l + 2;
        char *nb = realloc(a->buf, cap);
        if (!nb) return -1;
        a->buf = nb;
        a->cap = cap;
    }
    memcpy(a->buf + a->len, line, l);
    a->len += l;
    a->buf[a->len++] = '\n';
    return 0;
}

/* A key that could hold a password is never recorded. */
static int secret_key(const char *k)
{
    for (const char *p = k; *p; p++)
        if (strncasecmp(p, "password", 8) == 0 || strncasecmp(p, "secret", 6) == 0) return 1;
    return 0;
}

/* [{attribute, old, new}] for the values in body; old values come from the plan entry. */
static json_t *changes_of(const json_t *entry, const json_t *body)
{
    json_t *out = json_array();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        if (secret_key(k) || strncmp(k, "@odata.", 7) == 0) continue;
        const json_t *old = NULL;
        size_t i;
        json_t *c;
        json_array_foreach(json_object_get(entry, "changes"), i, c)
            if (sv(c, "attribute") && strcmp(sv(c, "attribute"), k) == 0) old = json_object_get(c, "old");
        json_array_append_new(out, json_pack("{s:s, s:O, s:O}", "attribute", k, "old", old ? old : json_null(), "new", v));
    }
    /* A manager is set by reference: the event names the manager. */
    const json_t *m = json_object_get(entry, "manager");
    if (json_is_object(m)) {
        char who[400];
        snprintf(who, sizeof who, "%s (%s)", sv(m, "name") ? sv(m, "name") : "?", sv(m, "person") ? sv(m, "person") : "?");
        json_array_append_new(out, json_pack("{s:s, s:n, s:s}", "attribute", "manager", "old", "new", who));
    }
    return out;
}

static void now_utc(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int insert_row(hrs_audit *a, const json_t *ev, hrs_err *err)
{
    sqlite3 *db = hrs_store_db(a->store);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "INSERT INTO audit (at, today, run_id, plan_id, person_id, person_name, object_id, upn, "
                               "action, group_name, changes, result, http_status, error_code, error_message, request_id) "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                           -1, &st, NULL) != SQLITE_OK)
        return hrs_err_set(err, "state file %s: writing an audit event: %s", hrs_store_path(a->store), sqlite3_errmsg(db));
    static const char *const text_cols[] = { "at", "today", NULL, "plan", "person", "name", "object_id", "upn",
                                             "action", "group", NULL, "result", NULL, "code", "message", "request_id" };
    for (int i = 0; i < 16; i++) {
        const char *v = text_cols[i] ? sv(ev, text_cols[i]) : NULL;
        if (v) sqlite3_bind_text(st, i + 1, v, -1, SQLITE_TRANSIENT);
    }
    if (a->run_id) sqlite3_bind_int64(st, 3, a->run_id);
    char *ch = json_dumps(json_object_get(ev, "changes"), JSON_COMPACT | JSON_ENCODE_ANY);
    if (ch) sqlite3_bind_text(st, 11, ch, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 13, json_integer_value(json_object_get(ev, "status")));
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(ch);
    if (rc != SQLITE_DONE)
        return hrs_err_set(err, "state file %s: writing an audit event: %s", hrs_store_path(a->store), sqlite3_errmsg(db));
    return 0;
}

int hrs_audit_op(hrs_audit *a, const json_t *entry, const char *action, const json_t *group, const json_t *body,
                 const hrs_graph_req *q, int ok, hrs_err *err)
{
    if (!a) return 0;
    char at[32], msg[sizeof q->message];
    now_utc(at);
    int create = strcmp(action, "create") == 0;
    const char *oid = sv(entry, "object_id"), *upn = sv(entry, "upn");
    if (create && ok && sv(q->response, "id")) {
        oid = sv(q->response, "id");
        if (sv(entry, "person")) json_object_set_new(a->created, sv(entry, "person"), json_string(oid));
    }
    if (!oid && sv(entry, "person")) oid = sv(a->created, sv(entry, "person"));
    if (create && sv(q->response, "userPrincipalName")) upn = sv(q->response, "userPrincipalName");
    else if (create && sv(body, "userPrincipalName")) upn = sv(body, "userPrincipalName");
    json_t *ev = json_pack("{s:s, s:s?, s:s?, s:s?, s:s?, s:s?, s:s?, s:s, s:o, s:s, s:I}", "at", at,
                           "today", a->today[0] ? a->today : NULL, "plan", a->plan_id[0] ? a->plan_id : NULL,
                           "person", sv(entry, "person"), "name", sv(entry, "name"), "object_id", oid, "upn", upn,
                           "action", action, "changes", group ? json_array() : changes_of(entry, body),
                           "result", ok ? "ok" : "failed", "status", (json_int_t)q->status);
    if (!ev) return hrs_err_set(err, "out of memory writing an audit event");
    if (a->run_id) json_object_set_new(ev, "run", json_integer(a->run_id));
    if (group) json_object_set_new(ev, "group", json_string(sv(group, "group") ? sv(group, "group") : ""));
    if (q->status >= 400 && q->code[0]) json_object_set_new(ev, "code", json_string(q->code));
    if (q->status >= 400 && q->message[0]) {
        hrs_log_redact(msg, sizeof msg, q->message);
        json_object_set_new(ev, "message", json_string(msg));
    }
    if (q->request_id[0]) json_object_set_new(ev, "request_id", json_string(q->request_id));
    char *line = json_dumps(ev, JSON_COMPACT);
    int rc = line && buffer_line(a, line) == 0 ? 0 : hrs_err_set(err, "out of memory writing an audit event");
    free(line);
    if (rc == 0) rc = insert_row(a, ev, err);
    json_decref(ev);
    return rc;
}

/* ---- reading ---------------------------------------------------------------------------- */

/* s has the shape of pat ('d' a digit) and a month 01-12, a day 01-31. */
static int shaped(const char *s, const char *pat)
{
    if (strlen(s) != strlen(pat)) return 0;
    for (size_t i = 0; pat[i]; i++)
        if (pat[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != pat[i]) return 0;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static int is_date(const char *s) { return shaped(s, "dddd-dd-dd"); }
static int is_time(const char *s) { return shaped(s, "dddd-dd-ddTdd:dd:ddZ"); }

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : NULL;
}

static json_t *row_event(sqlite3_stmt *st)
{
    json_t *ev = json_object();
    static const char *const names[] = { "at", "today", "run", "plan", "person", "name", "object_id", "upn", "action",
                                         "group", "changes", "result", "status", "code", "message", "request_id" };
    for (int i = 0; i < 16; i++) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL) continue;
        if (i == 2 || i == 12) {
            json_object_set_new(ev, names[i], json_integer(sqlite3_column_int64(st, i)));
        } else if (i == 10) {
            json_t *c = json_loads(col(st, i), JSON_DECODE_ANY, NULL);
            json_object_set_new(ev, names[i], c ? c : json_array());
        } else {
            json_object_set_new(ev, names[i], json_string(col(st, i)));
        }
    }
    return ev;
}

int hrs_audit_query(hrs_store *s, const hrs_audit_filter *f, json_t **events, hrs_err *err)
{
    *events = NULL;
    if (f->since && !is_date(f->since) && !is_time(f->since))
        return hrs_err_set(err, "--since '%s' is not a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)", f->since);
    if (f->until && !is_date(f->until) && !is_time(f->until))
        return hrs_err_set(err, "--until '%s' is not a date (YYYY-MM-DD) or a UTC time (YYYY-MM-DDTHH:MM:SSZ)", f->until);
    char sql[1024];
    snprintf(sql, sizeof sql,
             "SELECT at, today, run_id, plan_id, person_id, person_name, object_id, upn, action, group_name, changes, "
             "result, http_status, error_code, error_message, request_id FROM audit WHERE 1 %s%s%s%s "
             "ORDER BY id DESC LIMIT ?5",
             f->person ? "AND person_id = ?1 " : "", f->action ? "AND instr(lower(action), lower(?2)) > 0 " : "",
             f->since ? "AND at >= ?3 " : "",
             f->until ? (is_date(f->until) ? "AND substr(at, 1, 10) <= ?4 " : "AND at <= ?4 ") : "");
    sqlite3 *db = hrs_store_db(s);
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
        return hrs_err_set(err, "state file %s: reading the audit: %s", hrs_store_path(s), sqlite3_errmsg(db));
    if (f->person) sqlite3_bind_text(st, 1, f->person, -1, SQLITE_TRANSIENT);
    if (f->action) sqlite3_bind_text(st, 2, f->action, -1, SQLITE_TRANSIENT);
    if (f->since) sqlite3_bind_text(st, 3, f->since, -1, SQLITE_TRANSIENT);
    if (f->until) sqlite3_bind_text(st, 4, f->until, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, f->limit > 0 ? f->limit : -1);
    json_t *out = json_array();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) json_array_insert_new(out, 0, row_event(st));
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        json_decref(out);
        return hrs_err_set(err, "state file %s: reading the audit: %s", hrs_store_path(s), sqlite3_errmsg(db));
    }
    *events = out;
    return 0;
}

static void print_value(FILE *out, const json_t *v)
{
    if (!v || json_is_null(v)) { fputs("(empty)", out); return; }
    char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
    fputs(t ? t : "?", out);
    free(t);
}

void hrs_audit_print(const json_t *events, FILE *out, int color)
{
    const char *bad = color ? "\033[1;31m" : "", *dim = color ? "\033[2m" : "", *off = color ? "\033[0m" : "";
    size_t i;
    json_t *ev;
    json_array_foreach(events, i, ev) {
        int ok = sv(ev, "result") && strcmp(sv(ev, "result"), "ok") == 0;
        const char *group = sv(ev, "group");
        fprintf(out, "%s  %s%-6s%s  %s%s%s  %s (%s)  %s%s%s%s%s\n", sv(ev, "at"), ok ? "" : bad, ok ? "ok" : "FAILED", off,
                sv(ev, "action"), group ? " " : "", group ? group : "", sv(ev, "name") ? sv(ev, "name") : "?",
                sv(ev, "person") ? sv(ev, "person") : "?", sv(ev, "upn") ? sv(ev, "upn") : "", dim,
                sv(ev, "plan") ? "  " : "", sv(ev, "plan") ? sv(ev, "plan") : "", off);
        size_t j;
        json_t *c;
        json_array_foreach(json_object_get(ev, "changes"), j, c) {
            fprintf(out, "      %-22s ", sv(c, "attribute") ? sv(c, "attribute") : "?");
            if (!json_is_null(json_object_get(c, "old")) || strcmp(sv(ev, "action"), "create") != 0) {
                print_value(out, json_object_get(c, "old"));
                fputs(" -> ", out);
            }
            print_value(out, json_object_get(c, "new"));
            fputc('\n', out);
        }
        const char *rid = sv(ev, "request_id");
        if (!ok || sv(ev, "code"))
            fprintf(out, "      %sHTTP %lld %s: %s%s%s%s%s\n", ok ? "" : bad, (long long)json_integer_value(json_object_get(ev, "status")),
                    sv(ev, "code") ? sv(ev, "code") : "", sv(ev, "message") ? sv(ev, "message") : "",
                    rid ? " (request-id " : "", rid ? rid : "", rid ? ")" : "", off);
    }
    if (json_array_size(events) == 0) fputs("No audit events match.\n", out);
}
