/* plan_store.c: stored plans, their ids and the fingerprint of their inputs (see
 * include/hrsync/plan_store.h; the table is created by a migration in store.c). */
#include "hrsync/plan_store.h"
#include "hrsync/plan.h"
#include "hrsync/snapshot.h"

#include <openssl/evp.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the fingerprint -------------------------------------------------------------------- */

/* The canonical encoding (snapshot.h) of each part is hashed; an array of records is a set: each
 * record is hashed alone and the part hashes their digests in byte order, so neither the order
 * of the records nor the order of their keys counts, and no record is serialized as text. */

static int begin(EVP_MD_CTX *c, const char *label)
{
    return EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && EVP_DigestUpdate(c, label, strlen(label) + 1) == 1 ? 0 : -1;
}

static int by_digest(const void *a, const void *b) { return memcmp(a, b, 32); }

/* Feeds the set of records arr (an array; anything else is fed as a value) into part, using work
 * for the records' own digests and base, a SHA-256 begun, to start each. */
static int feed_set(EVP_MD_CTX *part, EVP_MD_CTX *work, const EVP_MD_CTX *base, const json_t *arr)
{
    if (!json_is_array(arr)) return EVP_DigestUpdate(part, "v", 1) == 1 ? hrs_snapshot_digest_update(part, arr) : -1;
    size_t n = json_array_size(arr);
    unsigned char *d = malloc(n ? n * 32 : 1);
    if (!d) return -1;
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i++) {
        unsigned len = 0;
        if (EVP_MD_CTX_copy_ex(work, base) != 1 || hrs_snapshot_digest_update(work, json_array_get(arr, i)) != 0 ||
            EVP_DigestFinal_ex(work, d + 32 * i, &len) != 1 || len != 32)
            rc = -1;
    }
    if (rc == 0 && n > 1) qsort(d, n, 32, by_digest);
    unsigned char count[8];
    for (int i = 0; i < 8; i++) count[i] = (unsigned char)((unsigned long long)n >> (8 * i));
    if (rc == 0 && (EVP_DigestUpdate(part, "s", 1) != 1 || EVP_DigestUpdate(part, count, sizeof count) != 1 ||
                    (n && EVP_DigestUpdate(part, d, n * 32) != 1)))
        rc = -1;
    free(d);
    return rc;
}

static int finish(EVP_MD_CTX *c, unsigned char md[32], char out[65])
{
    unsigned int len = 0;
    if (EVP_DigestFinal_ex(c, md, &len) != 1 || len != 32) return -1;
    for (unsigned int i = 0; i < len; i++) snprintf(out + 2 * i, 3, "%02x", md[i]);
    return 0;
}

int hrs_plan_store_fingerprint(const json_t *people, const json_t *decisions, const json_t *users,
                               const json_t *groups, hrs_plan_fingerprint *fp, hrs_err *err)
{
    EVP_MD_CTX *part = EVP_MD_CTX_new(), *work = EVP_MD_CTX_new(), *base = EVP_MD_CTX_new();
    unsigned char hr[32], pol[32], dir[32], all[32];
    int rc = -1;
    if (!part || !work || !base || EVP_DigestInit_ex(base, EVP_sha256(), NULL) != 1) goto out;
    if (begin(part, "hrsync fingerprint 2: decisions") || hrs_snapshot_digest_update(part, decisions) ||
        finish(part, pol, fp->policy))
        goto out;
    if (begin(part, "hrsync fingerprint 2: people") || feed_set(part, work, base, people) || finish(part, hr, fp->hr)) goto out;
    if (begin(part, "hrsync fingerprint 2: groups, users") || hrs_snapshot_digest_update(part, groups) ||
        feed_set(part, work, base, users) || finish(part, dir, fp->directory))
        goto out;
    if (begin(part, "hrsync fingerprint 2") || EVP_DigestUpdate(part, pol, 32) != 1 || EVP_DigestUpdate(part, hr, 32) != 1 ||
        EVP_DigestUpdate(part, dir, 32) != 1 || finish(part, all, fp->all))
        goto out;
    rc = 0;
out:
    EVP_MD_CTX_free(part);
    EVP_MD_CTX_free(work);
    EVP_MD_CTX_free(base);
    if (rc != 0) hrs_err_set(err, "computing the plan's fingerprint (SHA-256) failed");
    return rc;
}

void hrs_plan_store_what_changed(const hrs_plan_fingerprint *a, const hrs_plan_fingerprint *b, char *out, size_t n)
{
    const char *parts[3];
    size_t k = 0, o = 0;
    if (strcmp(a->hr, b->hr) != 0) parts[k++] = "the HR records";
    if (strcmp(a->directory, b->directory) != 0) parts[k++] = "the directory";
    /* Decisions follow from HR: they are named only when HR is the same (the policy changed). */
    if (strcmp(a->policy, b->policy) != 0 && strcmp(a->hr, b->hr) == 0) parts[k++] = "the policy's decisions";
    out[0] = '\0';
    for (size_t i = 0; i < k && o < n; i++) {
        int w = snprintf(out + o, n - o, "%s%s", i == 0 ? "" : (i + 1 == k ? " and " : ", "), parts[i]);
        if (w < 0) break;
        o += (size_t)w;
    }
    if (k == 0) snprintf(out, n, "%s", "the inputs");
}

/* ---- storage ---------------------------------------------------------------------------- */

static int db_fail(hrs_store *s, hrs_err *err, const char *what)
{
    return hrs_err_set(err, "state file %s: %s: %s", hrs_store_path(s), what, sqlite3_errmsg(hrs_store_db(s)));
}

static void timestamp(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static const char *status_of(const json_t *plan)
{
    if (json_array_size(json_object_get(plan, "guardrails"))) return "stopped";
    return hrs_plan_count(plan) ? "planned" : "nothing-to-do";
}

/* The newest open plan with this fingerprint whose document (without its id) equals plan. */
static int find_same(hrs_store *s, const json_t *plan, const char *fp, char *id, size_t n, hrs_err *err)
{
    sqlite3_stmt *st;
    id[0] = '\0';
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT id, document FROM plans WHERE seq = (SELECT max(seq) FROM plans) "
                           "AND fingerprint = ?1 AND status IN ('planned', 'stopped', 'nothing-to-do')",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading plans");
    sqlite3_bind_text(st, 1, fp, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        json_t *doc = json_loads(col(st, 1), 0, NULL);
        if (doc) {
            json_object_del(doc, "id");
            if (json_equal(doc, plan)) snprintf(id, n, "%s", col(st, 0));
        }
        json_decref(doc);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "reading plans");
    return 0;
}


static int insert_plan(hrs_store *s, json_t *plan, const hrs_plan_meta *m, const char *status, hrs_err *err)
{
    sqlite3 *db = hrs_store_db(s);
    sqlite3_stmt *st;
    char ts[32], id[40], day[9] = "00000000";
    timestamp(ts);
    const char *today = json_string_value(json_object_get(plan, "today"));
    if (today && strlen(today) == 10) snprintf(day, sizeof day, "%.4s%.2s%.2s", today, today + 5, today + 8);
    if (strcmp(status, "nothing-to-do") == 0 &&
        sqlite3_exec(db, "DELETE FROM plans WHERE status = 'nothing-to-do'", NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(s, err, "dropping older plans with nothing to do");
    if (sqlite3_prepare_v2(db, "INSERT INTO plans (id, today, created_at, fingerprint, fp_hr, fp_policy, fp_directory, "
                               "records, full_read, operations, status, document) "
                               "VALUES ('', ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '{}')", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "saving a plan");
    sqlite3_bind_text(st, 1, today ? today : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ts, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 3, m->fp.all, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 4, m->fp.hr, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, m->fp.policy, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 6, m->fp.directory, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 7, (sqlite3_int64)m->records);
    sqlite3_bind_int(st, 8, m->full_read ? 1 : 0);
    sqlite3_bind_int64(st, 9, (sqlite3_int64)hrs_plan_count(plan));
    sqlite3_bind_text(st, 10, status, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(s, err, "saving a plan");
    snprintf(id, sizeof id, "p-%s-%04lld", day, (long long)sqlite3_last_insert_rowid(db));
    json_object_set_new(plan, "id", json_string(id));
    char *doc = json_dumps(plan, JSON_COMPACT);
    if (!doc) return hrs_err_set(err, "out of memory saving the plan");
    if (sqlite3_prepare_v2(db, "UPDATE plans SET id = ?1, document = ?2 WHERE seq = ?3", -1, &st, NULL) != SQLITE_OK) {
        free(doc);
        return db_fail(s, err, "saving a plan");
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, doc, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, sqlite3_last_insert_rowid(db));
    rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(doc);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "saving a plan");
}

int hrs_plan_store_save(hrs_store *s, json_t *plan, const hrs_plan_meta *meta, hrs_err *err)
{
    char same[40];
    json_object_del(plan, "id");
    if (hrs_store_begin(s, err) != 0) return -1;
    if (find_same(s, plan, meta->fp.all, same, sizeof same, err) != 0) goto fail;
    if (same[0]) {
        json_object_set_new(plan, "id", json_string(same));
    } else if (insert_plan(s, plan, meta, status_of(plan), err) != 0) {
        goto fail;
    }
    if (hrs_store_commit(s, err) != 0) goto fail;
    return 0;
fail:
    hrs_store_rollback(s);
    json_object_del(plan, "id");
    return -1;
}

int hrs_plan_store_load(hrs_store *s, const char *id, hrs_plan_stored *out, hrs_err *err)
{
    sqlite3_stmt *st;
    memset(out, 0, sizeof *out);
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT document, fingerprint, fp_hr, fp_policy, fp_directory, records, "
                           "full_read, status, created_at, applied_at, run_id FROM plans WHERE id = ?1",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading a plan");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        json_error_t je;
        out->plan = json_loads(col(st, 0), 0, &je);
        snprintf(out->meta.fp.all, sizeof out->meta.fp.all, "%s", col(st, 1));
        snprintf(out->meta.fp.hr, sizeof out->meta.fp.hr, "%s", col(st, 2));
        snprintf(out->meta.fp.policy, sizeof out->meta.fp.policy, "%s", col(st, 3));
        snprintf(out->meta.fp.directory, sizeof out->meta.fp.directory, "%s", col(st, 4));
        out->meta.records = (size_t)sqlite3_column_int64(st, 5);
        out->meta.full_read = sqlite3_column_int(st, 6);
        snprintf(out->status, sizeof out->status, "%s", col(st, 7));
        snprintf(out->created_at, sizeof out->created_at, "%s", col(st, 8));
        snprintf(out->applied_at, sizeof out->applied_at, "%s", col(st, 9));
        out->run_id = sqlite3_column_int64(st, 10);
    }
    sqlite3_finalize(st);
    if (rc == SQLITE_DONE) return hrs_err_set(err, "no plan %s in state file %s (hrsync plan prints the id of the plan it saves)",
                                              id, hrs_store_path(s));
    if (rc != SQLITE_ROW) return db_fail(s, err, "reading a plan");
    if (!out->plan) return hrs_err_set(err, "state file %s: plan %s is damaged (its document is not JSON)", hrs_store_path(s), id);
    return 0;
}

void hrs_plan_stored_clear(hrs_plan_stored *p)
{
    if (!p) return;
    json_decref(p->plan);
    p->plan = NULL;
}

int hrs_plan_store_claim(hrs_store *s, const char *id, hrs_err *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(hrs_store_db(s), "UPDATE plans SET status = 'applying' WHERE id = ?1 AND status IN ('planned', 'stopped')",
                           -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "claiming a plan");
    sqlite3_bind_text(st, 1, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return db_fail(s, err, "claiming a plan");
    if (sqlite3_changes(hrs_store_db(s)) == 1) return 0;
    hrs_plan_stored p;
    if (hrs_plan_store_load(s, id, &p, err) != 0) return -1;
    hrs_plan_stored_clear(&p);
    if (hrs_plan_store_check_open(&p, id, err) != 0) return -1;
    return hrs_err_set(err, "plan %s could not be claimed (it changed meanwhile); run hrsync plan again", id);
}

int hrs_plan_store_check_open(const hrs_plan_stored *p, const char *id, hrs_err *err)
{
    if (strcmp(p->status, "planned") == 0 || strcmp(p->status, "stopped") == 0) return 0;
    if (strcmp(p->status, "nothing-to-do") == 0) return hrs_err_set(err, "plan %s has nothing to do", id);
    if (strcmp(p->status, "applying") == 0)
        return hrs_err_set(err, "plan %s is being applied by another run (or a run that broke off; run hrsync plan again)", id);
    return hrs_err_set(err, "plan %s was already applied (%s at %s, run %lld): a plan is applied once; run hrsync plan again",
                       id, p->status, p->applied_at, (long long)p->run_id);
}

int hrs_plan_store_finish(hrs_store *s, const char *id, int64_t run_id, const char *status, const json_t *result,
                          int forced, hrs_err *err)
{
    sqlite3_stmt *st;
    char ts[32];
    timestamp(ts);
    char *text = result ? json_dumps(result, JSON_COMPACT) : NULL;
    if (sqlite3_prepare_v2(hrs_store_db(s), "UPDATE plans SET status = ?1, applied_at = ?2, run_id = ?3, result = ?4, "
                           "forced = ?5 WHERE id = ?6", -1, &st, NULL) != SQLITE_OK) {
        free(text);
        return db_fail(s, err, "recording an applied plan");
    }
    sqlite3_bind_text(st, 1, status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, ts, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, run_id);
    if (text) sqlite3_bind_text(st, 4, text, -1, SQLITE_TRANSIENT); else sqlite3_bind_null(st, 4);
    sqlite3_bind_int(st, 5, forced ? 1 : 0);
    sqlite3_bind_text(st, 6, id, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    free(text);
    return rc == SQLITE_DONE ? 0 : db_fail(s, err, "recording an applied plan");
}

int hrs_plan_store_baseline(hrs_store *s, size_t *records, hrs_err *err)
{
    sqlite3_stmt *st;
    *records = 0;
    if (sqlite3_prepare_v2(hrs_store_db(s), "SELECT records FROM plans WHERE full_read = 1 AND "
                           "status IN ('applied', 'nothing-to-do') ORDER BY seq DESC LIMIT 1", -1, &st, NULL) != SQLITE_OK)
        return db_fail(s, err, "reading the last successful run");
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *records = (size_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_fail(s, err, "reading the last successful run");
    return 0;
}
