/* engine_policy.c: the policy an engine runs, and changing it while the engine runs (see the
 * "policy in use" part of include/hrsync/engine.h).
 *
 * The file is read once per load: its text is what the VM runs, what is recorded with each
 * cycle (snapshot.h, for `hrsync check`), and what its version hashes, so the three always
 * agree. A reload tries the new file in a fresh VM against the persons of the last cycle
 * (hrs_policy_reload) and swaps it in only when that works; otherwise the running policy stays,
 * and the error is logged and kept for the status. A version that failed is not tried again
 * until the file changes. */
#include "engine_internal.h"
#include "hrsync/decide.h"
#include "hrsync/decide_cache.h"
#include "hrsync/log.h"
#include "hrsync/snapshot.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void utc_now(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    if (!gmtime_r(&t, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0) snprintf(out, 32, "unknown");
}

/* Loads the file's current text into a new policy. On success *p, *text, *len and version are
 * the caller's. */
static int load_file(hrs_engine *e, hrs_policy **p, char **text, size_t *len, char version[80], hrs_err *err)
{
    if (hrs_policy_file_read(e->cfg->policy_path, text, len, version, err) != 0) return hrs_err_prefix(err, "cannot load policy");
    hrs_policy_opts po = { e->cfg->policy_path, e->cfg->lib_dir, e->cfg->today, 0, 0, *text, *len };
    *p = hrs_policy_load(&po, err);
    if (*p) return 0;
    free(*text);
    *text = NULL;
    return -1;
}

static void take(hrs_engine *e, hrs_policy *p, char *text, size_t len, const char *version)
{
    hrs_policy_free(e->policy);
    e->policy = p;
    free(e->pol.text);
    e->pol.text = text;
    e->pol.len = len;
    snprintf(e->pol.version, sizeof e->pol.version, "%s", version);
    utc_now(e->pol.loaded_at);
}

int hrs_engine_policy_open(hrs_engine *e, hrs_err *err)
{
    hrs_policy *p = NULL;
    char *text = NULL, version[80];
    size_t len = 0;
    if (load_file(e, &p, &text, &len, version, err) != 0) return -1;
    take(e, p, text, len, version);
    return 0;
}

void hrs_engine_policy_close(hrs_engine *e)
{
    free(e->pol.text);
    free(e->pol.last_error);
    json_decref(e->pol.reload_problems);
    json_decref(e->last_people);
    json_decref(e->last_decisions);
    memset(&e->pol, 0, sizeof e->pol);
    e->last_people = e->last_decisions = NULL;
}

void hrs_engine_policy_record(hrs_engine *e, json_t *people, json_t *decisions, int full)
{
    json_decref(e->last_people);
    json_decref(e->last_decisions);
    e->last_people = json_incref(people);
    e->last_decisions = json_incref(decisions);
    hrs_snapshot_policy sp = { e->cfg->policy_path, e->pol.version, e->pol.text, e->pol.len };
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_snapshot_save(e->store, people, full, &sp, e->cfg->today, &err) != 0)
        hrs_warn("cannot record the persons of this cycle (hot reload and hrsync check use them): %s", err.msg);
}

hrs_decide_cache *hrs_engine_decide_cache_open(hrs_engine *e)
{
    char code[200];
    hrs_policy_code_digest(e->policy, e->pol.cache_digest);
    snprintf(code, sizeof code, "%s modules:%s", e->pol.version, e->pol.cache_digest);
    hrs_err err;
    hrs_err_clear(&err);
    hrs_decide_cache *c = hrs_decide_cache_open(e->store, code, e->cfg->today, &err);
    if (!c) hrs_warn("the policy runs for everyone this cycle: %s", err.msg);
    return c;
}

void hrs_engine_decide_cache_close(hrs_engine *e, hrs_decide_cache *c, const json_t *decisions, int full)
{
    if (!c) return;
    /* A module required inside a hook: the decisions made after it may use it, yet the key of
     * the next cycle (taken before any hook runs) would not name it. Keep nothing. */
    char digest[65];
    hrs_policy_code_digest(e->policy, digest);
    if (strcmp(digest, e->pol.cache_digest) != 0) hrs_decide_cache_forget(c);
    hrs_err err;
    hrs_err_clear(&err);
    size_t hits, misses;
    hrs_decide_cache_counts(c, &hits, &misses);
    if (hrs_decide_cache_finish(c, decisions, full, &err) != 0)
        hrs_warn("cannot keep this cycle's decisions (the next cycle runs the policy for everyone): %s", err.msg);
    hrs_debug("decisions: %zu reused, %zu made by the policy", hits, misses);
    hrs_decide_cache_free(c);
}

void hrs_engine_forget_last_cycle(hrs_engine *e)
{
    json_decref(e->last_people);
    json_decref(e->last_decisions);
    e->last_people = e->last_decisions = NULL;
}

void hrs_engine_last_cycle(const hrs_engine *e, const json_t **people, const json_t **decisions)
{
    if (people) *people = e->last_people;
    if (decisions) *decisions = e->last_decisions;
}

json_t *hrs_engine_policy_status(const hrs_engine *e)
{
    return json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:O?}", "path", e->cfg->policy_path, "version", e->pol.version,
                     "loaded_at", e->pol.loaded_at, "last_reload_at", e->pol.last_reload_at[0] ? e->pol.last_reload_at : NULL,
                     "last_reload_error", e->pol.last_error, "problems", e->pol.reload_problems);
}

static void reload_failed(hrs_engine *e, const char *version, const hrs_err *err)
{
    free(e->pol.last_error);
    e->pol.last_error = strdup(err->msg);
    snprintf(e->pol.failed_version, sizeof e->pol.failed_version, "%s", version ? version : "");
    hrs_error("policy reload failed; the running policy (%s) stays in use: %s", e->pol.version, err->msg);
}

/* The persons a new policy is tried on: those of this engine's last read, else those recorded in
 * the state file by the last cycle (caller owns). */
static json_t *last_persons(hrs_engine *e)
{
    if (e->last_people) return json_incref(e->last_people);
    json_t *people = NULL;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_snapshot_people(e->store, &people, &err) != 0) {
        hrs_warn("the new policy is tried without the persons of the last cycle: %s", err.msg);
        return json_array();
    }
    return people;
}

int hrs_engine_reload_policy(hrs_engine *e, hrs_err *err)
{
    char *text = NULL, version[80] = "";
    size_t len = 0;
    utc_now(e->pol.last_reload_at);
    if (hrs_policy_file_read(e->cfg->policy_path, &text, &len, version, err) != 0) {
        hrs_err_prefix(err, "cannot load policy");
        reload_failed(e, NULL, err);
        return -1;
    }
    hrs_policy_opts po = { e->cfg->policy_path, e->cfg->lib_dir, e->cfg->today, 0, 0, text, len };
    json_t *people = last_persons(e), *problems = NULL;
    hrs_policy *p = NULL;
    int rc = hrs_policy_reload(&po, people, &p, &problems, err);
    size_t tried = json_array_size(people);
    json_decref(people);
    if (rc != 0) {
        free(text);
        reload_failed(e, version, err);
        return -1;
    }
    char old_code[65], new_code[65];
    hrs_policy_code_digest(e->policy, old_code);
    hrs_policy_code_digest(p, new_code);
    int same = strcmp(version, e->pol.version) == 0 && strcmp(old_code, new_code) == 0;
    take(e, p, text, len, version);
    free(e->pol.last_error);
    e->pol.last_error = NULL;
    e->pol.failed_version[0] = '\0';
    e->pol.failed_modules[0] = '\0';
    json_decref(e->pol.reload_problems);
    e->pol.reload_problems = problems;
    size_t bad = json_array_size(problems);
    hrs_info("policy %s %s (%s), tried on the %zu people of the last cycle", e->cfg->policy_path,
             same ? "reloaded unchanged" : "reloaded", version, tried);
    if (bad)
        hrs_warn("the new policy fails for %zu of them; the next plan quarantines them (the first: %s)", bad,
                 json_string_value(json_object_get(json_array_get(problems, 0), "reason")));
    return 0;
}

int hrs_engine_maybe_reload(hrs_engine *e)
{
    char *text = NULL, version[80];
    size_t len = 0;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_policy_file_read(e->cfg->policy_path, &text, &len, version, &err) != 0) {
        /* An editor may be replacing the file right now: say so once, try again next time. */
        if (strcmp(e->pol.failed_version, "unreadable") != 0) {
            hrs_warn("policy %s cannot be read now; the running policy stays in use: %s", e->cfg->policy_path, err.msg);
            snprintf(e->pol.failed_version, sizeof e->pol.failed_version, "unreadable");
        }
        return 0;
    }
    free(text);
    if (strcmp(version, e->pol.version) == 0 || strcmp(version, e->pol.failed_version) == 0) {
        if (strcmp(e->pol.failed_version, "unreadable") == 0) e->pol.failed_version[0] = '\0';
        /* The file is as loaded: a module it required may have been edited. */
        char disk[65];
        if (!hrs_policy_modules_on_disk(e->policy, disk) || strcmp(disk, e->pol.failed_modules) == 0) return 0;
        hrs_info("a module policy %s requires changed; trying the policy on the people of the last cycle",
                 e->cfg->policy_path);
        hrs_err_clear(&err);
        int rc = hrs_engine_reload_policy(e, &err);
        if (rc != 0) snprintf(e->pol.failed_modules, sizeof e->pol.failed_modules, "%s", disk);
        return rc == 0 ? 1 : -1;
    }
    hrs_info("policy %s changed (%s); trying it on the people of the last cycle", e->cfg->policy_path, version);
    hrs_err_clear(&err);
    return hrs_engine_reload_policy(e, &err) == 0 ? 1 : -1;
}
