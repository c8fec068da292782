/* settle.c: the memo of the last cycle that found nothing to do, in the state file (see
 * include/hrsync/settle.h; the table and its triggers come from migration 8 in store.c). */
#include "hrsync/settle.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int db_fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

static void copy(char *dst, size_t n, const unsigned char *src)
{
    snprintf(dst, n, "%s", src ? (const char *)src : "");
}

static json_t *parse(const unsigned char *text)
{
    return text ? json_loads((const char *)text, 0, NULL) : NULL;
}

static void field(char *dst, size_t n, const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    snprintf(dst, n, "%s", v ? v : "");
}

static void meta_from(const json_t *m, hrs_plan_meta *meta)
{
    const json_t *fp = json_object_get(m, "fp");
    memset(meta, 0, sizeof *meta);
    meta->records = (size_t)json_integer_value(json_object_get(m, "records"));
    meta->full_read = 1;
    field(meta->fp.all, sizeof meta->fp.all, fp, "all");
    field(meta->fp.hr, sizeof meta->fp.hr, fp, "hr");
    field(meta->fp.policy, sizeof meta->fp.policy, fp, "policy");
    field(meta->fp.directory, sizeof meta->fp.directory, fp, "directory");
}

int hrs_settle_load(hrs_store *s, hrs_settled *out, int *found, hrs_err *err)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    *found = 0;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT context, source, groups, inputs, plan, meta, settled_at FROM settled",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading the settled state");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        copy(out->context, sizeof out->context, sqlite3_column_text(st, 0));
        copy(out->source, sizeof out->source, sqlite3_column_text(st, 1));
        copy(out->groups, sizeof out->groups, sqlite3_column_text(st, 2));
        out->inputs = parse(sqlite3_column_text(st, 3));
        out->plan = parse(sqlite3_column_text(st, 4));
        json_t *m = parse(sqlite3_column_text(st, 5));
        meta_from(m, &out->meta);
        json_decref(m);
        copy(out->settled_at, sizeof out->settled_at, sqlite3_column_text(st, 6));
        /* A row that does not parse is as good as none: the cycle plans in full. */
        *found = json_is_object(out->inputs) && json_is_object(out->plan) && out->meta.fp.all[0];
        if (!*found) hrs_settled_clear(out);
        rc = SQLITE_DONE;
    }
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "reading the settled state");
}

static void utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) snprintf(out, 32, "unknown");
}

int hrs_settle_save(hrs_store *s, const hrs_settled *in, hrs_err *err)
{
    json_t *m = json_pack("{s:I, s:{s:s, s:s, s:s, s:s}}", "records", (json_int_t)in->meta.records, "fp", "all",
                          in->meta.fp.all, "hr", in->meta.fp.hr, "policy", in->meta.fp.policy, "directory",
                          in->meta.fp.directory);
    char *inputs = json_dumps(in->inputs, JSON_COMPACT), *plan = json_dumps(in->plan, JSON_COMPACT);
    char *meta = m ? json_dumps(m, JSON_COMPACT) : NULL, at[32];
    json_decref(m);
    int rc = -1;
    sqlite3_stmt *st = NULL;
    if (!inputs || !plan || !meta) { hrs_err_set(err, "out of memory"); goto out; }
    utc_now(at);
    if (sqlite3_prepare_v2(hrs_store_db(s),
                           "INSERT OR REPLACE INTO settled (id, context, source, groups, inputs, plan, meta, settled_at) "
                           "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &st, NULL) != SQLITE_OK) {
        db_fail(s, err, "recording the settled state");
        goto out;
    }
    const char *vals[] = { in->context, in->source, in->groups, inputs, plan, meta, at };
    for (int i = 0; i < 7; i++) sqlite3_bind_text(st, i + 1, vals[i], -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) { db_fail(s, err, "recording the settled state"); goto out; }
    rc = 0;
out:
    sqlite3_finalize(st);
    free(inputs);
    free(plan);
    free(meta);
    return rc;
}

int hrs_settle_forget(hrs_store *s, hrs_err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(hrs_store_db(s), "DELETE FROM settled", NULL, NULL, &msg) == SQLITE_OK) return 0;
    hrs_err_set(err, "state file %s: forgetting the settled state: %s", hrs_store_path(s), msg ? msg : "error");
    sqlite3_free(msg);
    return -1;
}

void hrs_settled_clear(hrs_settled *st)
{
    json_decref(st->inputs);
    json_decref(st->plan);
    memset(st, 0, sizeof *st);
}
