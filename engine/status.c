/* status.c: the status document of `hrsync status` and the daemon's /status (see
 * include/hrsync/status.h). */
#include "hrsync/status.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *sv(const json_t *o, const char *k) { return json_string_value(json_object_get(o, k)); }
static long long iv(const json_t *o, const char *k) { return (long long)json_integer_value(json_object_get(o, k)); }

int hrs_status_file_version(const char *path, char *out, size_t n, hrs_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return hrs_err_set(err, "cannot read %s: %s", path, strerror(errno));
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char md[EVP_MAX_MD_SIZE], chunk[8192];
    unsigned len = 0;
    int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    size_t got;
    while (ok && (got = fread(chunk, 1, sizeof chunk, f)) > 0) ok = EVP_DigestUpdate(ctx, chunk, got) == 1;
    ok = ok && !ferror(f) && EVP_DigestFinal_ex(ctx, md, &len) == 1;
    EVP_MD_CTX_free(ctx);
    fclose(f);
    if (!ok || n < 8 + 2 * (size_t)len) return hrs_err_set(err, "cannot compute the SHA-256 of %s", path);
    size_t o = (size_t)snprintf(out, n, "sha256:");
    for (unsigned i = 0; i < len; i++) o += (size_t)snprintf(out + o, n - o, "%02x", md[i]);
    return 0;
}

/* ---- the operation journal, when the state file has one ---------------------------------- */

static int table_exists(sqlite3 *db, const char *name)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1", -1, &st, NULL) != SQLITE_OK)
        return 0;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int yes = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return yes;
}

static json_t *column_value(sqlite3_stmt *st, int i)
{
    switch (sqlite3_column_type(st, i)) {
    case SQLITE_INTEGER: return json_integer((json_int_t)sqlite3_column_int64(st, i));
    case SQLITE_FLOAT: return json_real(sqlite3_column_double(st, i));
    case SQLITE_NULL: return json_null();
    default: {
        const char *t = (const char *)sqlite3_column_text(st, i);
        json_t *j = t && (t[0] == '{' || t[0] == '[') ? json_loads(t, 0, NULL) : NULL;
        return j ? j : json_string(t ? t : "");
    }
    }
}

/* Rows of a query as objects column -> value, appended to arr. */
static void rows_into(sqlite3 *db, const char *sql, json_t *arr)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return;
    while (sqlite3_step(st) == SQLITE_ROW) {
        json_t *row = json_object();
        for (int i = 0; i < sqlite3_column_count(st); i++)
            json_object_set_new(row, sqlite3_column_name(st, i), column_value(st, i));
        json_array_append_new(arr, row);
    }
    sqlite3_finalize(st);
}

/* The journal (engine/journal.c): operations pending or sent (an apply not finished), and those
 * that failed in the latest run that journaled any. */
static json_t *journal_ops(sqlite3 *db)
{
    int has = table_exists(db, "journal");
    json_t *out = json_pack("{s:b, s:[], s:[]}", "journal", has, "pending", "failed");
    if (!has) return out;
    rows_into(db, "SELECT run_id, seq, person_id, kind, method, url, status, updated_at FROM journal "
                  "WHERE status IN ('pending', 'sent') ORDER BY run_id, seq LIMIT 500", json_object_get(out, "pending"));
    rows_into(db, "SELECT run_id, seq, person_id, kind, method, url, status, result, updated_at FROM journal "
                  "WHERE status = 'failed' AND run_id = (SELECT max(run_id) FROM journal) ORDER BY seq LIMIT 500",
              json_object_get(out, "failed"));
    return out;
}

/* The latest stored plan (engine/plan_store.c): {id, at, today, status, summary} and its quarantine. */
static json_t *last_plan(sqlite3 *db, json_t **quarantine)
{
    json_t *arr = json_array();
    *quarantine = NULL;
    if (table_exists(db, "plans"))
        rows_into(db, "SELECT id, created_at AS at, today, status, json_extract(document, '$.summary') AS summary, "
                      "json_extract(document, '$.quarantine') AS quarantine FROM plans ORDER BY seq DESC LIMIT 1", arr);
    json_t *p = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    if (!p) return json_null();
    *quarantine = json_incref(json_object_get(p, "quarantine"));
    json_object_del(p, "quarantine");
    return p;
}

/* The memo of the last cycle with nothing to do (settle.h): {since} or null. */
static json_t *settled(sqlite3 *db)
{
    json_t *arr = json_array();
    if (table_exists(db, "settled")) rows_into(db, "SELECT settled_at AS since FROM settled", arr);
    json_t *m = json_incref(json_array_get(arr, 0));
    json_decref(arr);
    return m ? m : json_null();
}

/* ---- the document ------------------------------------------------------------------------ */

int hrs_status_collect(hrs_store *s, const hrs_config *cfg, int nruns, json_t **out, hrs_err *err)
{
    json_t *lease = NULL, *kv = NULL, *runs = NULL;
    *out = NULL;
    if (hrs_store_lease_get(s, &lease, err) != 0 || hrs_store_status_all(s, &kv, err) != 0 ||
        hrs_store_runs(s, nruns, &runs, err) != 0) {
        json_decref(lease);
        json_decref(kv);
        return -1;
    }
    /* The daemon's values describe a running daemon only while its lease holds. */
    int running = lease && !json_is_true(json_object_get(lease, "expired")) && sv(lease, "holder") &&
                  strncmp(sv(lease, "holder"), "hrsync run", 10) == 0;
    json_t *daemon = json_object_get(kv, "daemon");
    json_t *policy = NULL;
    if (running && json_is_object(json_object_get(kv, "policy"))) {
        policy = json_deep_copy(json_object_get(kv, "policy"));
        json_object_set_new(policy, "from", json_string("daemon"));
    } else if (cfg && cfg->policy_path) {
        char version[80];
        hrs_err e2;
        hrs_err_clear(&e2);
        policy = json_pack("{s:s, s:n, s:s}", "path", cfg->policy_path, "loaded_at", "from", "config");
        if (hrs_status_file_version(cfg->policy_path, version, sizeof version, &e2) == 0)
            json_object_set_new(policy, "version", json_string(version));
        else
            json_object_set_new(policy, "error", json_string(e2.msg));
    }
    json_t *q = NULL, *lp = last_plan(hrs_store_db(s), &q);
    if (!json_is_array(q)) { json_decref(q); q = json_array(); }
    json_t *d = daemon ? json_deep_copy(daemon) : json_null();
    if (json_is_object(d)) json_object_set_new(d, "running", json_boolean(running));
    json_t *next = running ? json_object_get(kv, "next_run") : NULL;
    json_t *lc = json_object_get(kv, "last_cycle"), *rl = running ? json_object_get(kv, "reload") : NULL;
    *out = json_pack("{s:s, s:o, s:o, s:O, s:O, s:O, s:o, s:o, s:o, s:o, s:o, s:o}", "state", hrs_store_path(s),
                     "lease", lease ? lease : json_null(), "daemon", d, "next_run", next ? next : json_null(),
                     "last_cycle", lc ? lc : json_null(), "last_reload", rl ? rl : json_null(),
                     "policy", policy ? policy : json_null(), "runs", runs,
                     "operations", journal_ops(hrs_store_db(s)), "last_plan", lp, "quarantine", q,
                     "settled", settled(hrs_store_db(s)));
    json_decref(kv);
    if (!*out) return hrs_err_set(err, "out of memory");
    return 0;
}

int hrs_status_collect_path(const char *path, int nruns, json_t **out, hrs_err *err)
{
    hrs_store *s = hrs_store_open(path, err);
    if (!s) return -1;
    int rc = hrs_status_collect(s, NULL, nruns, out, err);
    hrs_store_close(s);
    return rc;
}

/* ---- for a person ------------------------------------------------------------------------ */

static long seconds_until(const char *iso)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!iso || !strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm)) return 0;
    return (long)(timegm(&tm) - time(NULL));
}

static void print_run(FILE *out, const json_t *r)
{
    const json_t *sum = json_object_get(r, "summary");
    const json_t *res = json_object_get(sum, "result");
    long dur = -seconds_until(sv(r, "started_at")) + seconds_until(sv(r, "finished_at"));
    fprintf(out, "  #%-5lld %-6s %s  %-18s", iv(r, "id"), sv(r, "mode"), sv(r, "started_at"), sv(r, "status"));
    if (json_is_object(res))
        fprintf(out, " %lld created, %lld updated, %lld linked, %lld group additions, %lld group removals, %lld failed",
                iv(res, "created"), iv(res, "updated"), iv(res, "linked"), iv(res, "group_added"), iv(res, "group_removed"),
                iv(res, "failed"));
    if (sv(r, "finished_at") && *sv(r, "finished_at")) fprintf(out, " (%ld s)", dur);
    fputc('\n', out);
}

void hrs_status_print(const json_t *st, FILE *out)
{
    const json_t *lease = json_object_get(st, "lease"), *d = json_object_get(st, "daemon");
    fprintf(out, "State file: %s\n", sv(st, "state"));
    if (json_is_object(d) && json_is_true(json_object_get(d, "running"))) {
        fprintf(out, "Daemon:     running, pid %lld on %s since %s; cycle %lld (%s)\n", iv(d, "pid"), sv(d, "host"),
                sv(d, "started_at"), iv(d, "cycle"), sv(d, "phase") ? sv(d, "phase") : "?");
        if (sv(d, "http")) fprintf(out, "            status at http://%s/status, metrics at /metrics\n", sv(d, "http"));
    } else if (json_is_object(lease) && !json_is_true(json_object_get(lease, "expired"))) {
        fprintf(out, "Engine:     %s holds the state file until %s\n", sv(lease, "holder"), sv(lease, "expires_at"));
    } else {
        fprintf(out, "Daemon:     not running\n");
    }
    const char *next = sv(st, "next_run");
    if (next) fprintf(out, "Next run:   %s (in %ld s)\n", next, seconds_until(next) > 0 ? seconds_until(next) : 0);
    const json_t *lc = json_object_get(st, "last_cycle");
    if (json_is_object(lc))
        fprintf(out, "Last cycle: #%lld at %s: %s in %.2f s, %lld people, %lld operations%s%s%s\n", iv(lc, "cycle"),
                sv(lc, "at"), sv(lc, "result"), json_number_value(json_object_get(lc, "seconds")), iv(lc, "people"),
                iv(lc, "operations"), sv(lc, "unchanged_since") ? " (nothing changed)" : "", sv(lc, "error") ? ": " : "",
                sv(lc, "error") ? sv(lc, "error") : "");
    const json_t *settled_memo = json_object_get(st, "settled");
    if (json_is_object(settled_memo))
        fprintf(out, "Unchanged:  nothing changed since %s; incremental cycles reuse that plan until something does\n",
                sv(settled_memo, "since"));
    const json_t *p = json_object_get(st, "policy");
    if (json_is_object(p))
        fprintf(out, "Policy:     %s, version %s%s%s%s\n", sv(p, "path"), sv(p, "version") ? sv(p, "version") : "unknown",
                sv(p, "loaded_at") ? " (loaded " : " (the file on disk", sv(p, "loaded_at") ? sv(p, "loaded_at") : "", ")");
    if (json_is_object(p) && sv(p, "last_reload_error"))
        fprintf(out, "Policy reload: failed at %s; the policy above stays in use: %s\n",
                sv(p, "last_reload_at") ? sv(p, "last_reload_at") : "?", sv(p, "last_reload_error"));
    const json_t *rl = json_object_get(st, "last_reload");
    if (json_is_object(rl) && !json_is_true(json_object_get(rl, "ok")))
        fprintf(out, "Reload:     failed at %s (%s); the policy above stays in use: %s\n", sv(rl, "at"), sv(rl, "trigger"),
                sv(rl, "error"));
    const json_t *runs = json_object_get(st, "runs");
    fprintf(out, "Last runs:%s\n", json_array_size(runs) ? "" : "  none yet");
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r) print_run(out, r);
    const json_t *ops = json_object_get(st, "operations");
    if (json_is_true(json_object_get(ops, "journal")))
        fprintf(out, "Operations: %zu pending, %zu failed (from the journal)\n", json_array_size(json_object_get(ops, "pending")),
                json_array_size(json_object_get(ops, "failed")));
    else
        fprintf(out, "Operations: no operation journal in this state file\n");
    const json_t *lp = json_object_get(st, "last_plan"), *q = json_object_get(st, "quarantine");
    if (json_is_object(lp)) {
        const json_t *sum = json_object_get(lp, "summary");
        fprintf(out, "Last plan:  %s for %s: %lld people, %lld in scope, %lld quarantined\n", sv(lp, "at"), sv(lp, "today"),
                iv(sum, "people"), iv(sum, "in_scope"), iv(sum, "quarantined"));
    }
    fprintf(out, "Quarantined: %zu\n", json_array_size(q));
    json_t *e;
    json_array_foreach(q, i, e) {
        const char *who = sv(e, "person") ? sv(e, "person") : sv(e, "id");
        char where[64] = "";
        if (json_is_integer(json_object_get(e, "line"))) snprintf(where, sizeof where, "line %lld", iv(e, "line"));
        else if (json_is_integer(json_object_get(e, "index"))) snprintf(where, sizeof where, "record %lld", iv(e, "index"));
        fprintf(out, "  %-10s %-28s %s\n", who ? who : "?", sv(e, "name") ? sv(e, "name") : where,
                sv(e, "reason") ? sv(e, "reason") : "");
    }
}
