/* decide.c: the policy over person records, each on their own date (see include/hrsync/decide.h).
 * The decisions of one run share their common values (hrs_snapshot_share, through the decision
 * cache's table or one of the run's own): at 100,000 people, the strings most have in common and
 * the equal group lists would otherwise be held once a person. */
#include "hrsync/decide.h"
#include "hrsync/decide_cache.h"
#include "hrsync/log.h"

#include <stdio.h>
#include <string.h>

const char *hrs_decide_failure_name(hrs_policy_failure kind)
{
    switch (kind) {
    case HRS_POLICY_BUDGET: return "budget";
    case HRS_POLICY_MEMORY: return "memory";
    case HRS_POLICY_INVALID: return "invalid";
    default: return "error";
    }
}

hrs_tz *hrs_decide_clock_open(hrs_config *cfg, hrs_tz_clock *clock, hrs_err *err)
{
    hrs_tz *tz = hrs_tz_open(cfg->lib_dir, err);
    if (!tz) return NULL;
    const json_t *zone = json_object_get(cfg->root, "timezone");
    if (zone && !json_is_string(zone)) {
        hrs_err_set(err, "%s: timezone must be a time zone name such as \"Europe/Berlin\"", cfg->path);
        hrs_tz_close(tz);
        return NULL;
    }
    if (hrs_tz_clock_init(tz, cfg->now, json_string_value(zone), clock, cfg->today, err) != 0) {
        hrs_err_prefix(err, "%s", cfg->path);
        hrs_tz_close(tz);
        return NULL;
    }
    return tz;
}

/* A person's own date (lifecycle.timezone_field names the field holding their zone; else the
 * company's) into today, pinned in the policy's sandbox for their decision; and, for someone
 * with a termination date, the instant their last day ends in that zone (the leave date hrsync
 * writes). current is the date the sandbox holds now. Returns 0, or -1 with err (an unknown
 * zone, an unreadable termination date). */
static int person_dates(const hrs_decide_ctx *c, const json_t *p, char today[11], char leave[21], hrs_err *err)
{
    const char *field = json_string_value(json_object_get(hrs_policy_lifecycle(c->policy), "timezone_field"));
    const char *zone = field ? json_string_value(json_object_get(p, field)) : NULL;
    leave[0] = '\0';
    if (hrs_tz_clock_today(c->tz, c->clock, zone, today, err) != 0)
        return hrs_err_prefix(err, "%s%s", field ? field : "timezone", field ? " (lifecycle.timezone_field)" : "");
    const char *term = json_string_value(json_object_get(p, "termination_date"));
    if (term && hrs_tz_end_of_day(c->tz, term, zone && *zone ? zone : c->clock->zone, leave, err) != 0)
        return hrs_err_prefix(err, "termination_date");
    return 0;
}

/* The sandbox's date moved to today (current: the date it holds). */
static int person_clock(const hrs_decide_ctx *c, const char today[11], char current[11], hrs_err *err)
{
    if (strcmp(today, current) != 0) {
        if (hrs_policy_set_today(c->policy, today, err) != 0) return -1;
        snprintf(current, 11, "%s", today);
    }
    return 0;
}

static json_t *failed(const char *msg, const char *kind)
{
    return json_pack("{s:s, s:s}", "error", msg, "failure", kind);
}

/* Adds the attribute and group names decision o uses to attr_names and group_names. */
static void collect_names(const json_t *o, json_t *attr_names, json_t *group_names)
{
    const char *k;
    json_t *v;
    size_t j;
    if (attr_names) json_object_foreach((json_t *)json_object_get(o, "attributes"), k, v) json_object_set(attr_names, k, json_true());
    if (group_names)
        json_array_foreach(json_object_get(o, "groups"), j, v) {
            const char *g = json_string_value(v);
            if (g) json_object_set(group_names, g, json_true());
        }
}

/* What the first pass learns of one person: their dates and the key of their decision. */
typedef struct person_slot {
    char today[11], leave[21], key[65];   /* key: "" without a cache, or when it failed */
    int dated;                            /* 0: their dates could not be computed */
} person_slot;

static void first_pass(const hrs_decide_ctx *c, const json_t *p, person_slot *s)
{
    hrs_err err;
    hrs_err_clear(&err);
    s->key[0] = '\0';
    s->dated = person_dates(c, p, s->today, s->leave, &err) == 0;
    if (s->dated && c->cache && hrs_decide_cache_key(c->cache, p, s->today, s->leave, s->key, &err) != 0) s->key[0] = '\0';
}

/* One person (id pid, slot s) on the sandbox date *current, or cached (owned; may be NULL): the
 * decision the cache holds under their key. */
static json_t *decide_one(const hrs_decide_ctx *c, const char *pid, const json_t *p, const person_slot *s, json_t *cached,
                          char current[11], hrs_snapshot_share *share, json_t *attr_names, json_t *group_names,
                          hrs_decide_counts *n)
{
    hrs_decision d;
    hrs_err err;
    hrs_err_clear(&err);
    memset(&d, 0, sizeof d);
    if (!s->dated) {
        char today[11], leave[21];
        person_dates(c, p, today, leave, &err);   /* again, for the reason */
        n->failed++;
        n->dates++;
        return failed(err.msg, "date");
    }
    if (cached) {
        collect_names(cached, attr_names, group_names);
        n->decided++;
        return cached;
    }
    if (person_clock(c, s->today, current, &err) != 0) {
        n->failed++;
        n->dates++;
        return failed(err.msg, "date");
    }
    if (hrs_policy_decide(c->policy, p, &d, &err) != 0) {
        hrs_policy_failure kind = hrs_policy_last_failure(c->policy);
        n->failed++;
        n->by_kind[kind <= HRS_POLICY_INVALID ? kind : HRS_POLICY_ERROR]++;
        hrs_decision_clear(&d);
        return failed(err.msg, hrs_decide_failure_name(kind));
    }
    json_t *o = json_pack("{s:b, s:s}", "include", d.include, "reason", d.reason);
    if (d.include) {
        if (!json_array_size(d.upns)) {   /* the policy module checks this; kept as a guard */
            json_decref(o);
            hrs_decision_clear(&d);
            n->failed++;
            n->by_kind[HRS_POLICY_INVALID]++;
            return failed("upn() returned no candidate", "invalid");
        }
        json_object_set_new(o, "attributes", d.attributes ? json_incref(d.attributes) : json_object());
        json_object_set(o, "upns", d.upns);
        json_object_set_new(o, "groups", d.groups ? json_incref(d.groups) : json_array());
        if (d.group_rules) json_object_set(o, "group_rules", d.group_rules);
        collect_names(o, attr_names, group_names);
    }
    if (strcmp(s->today, c->today) != 0) json_object_set_new(o, "today", json_string(s->today));
    if (s->leave[0]) json_object_set_new(o, "leave_datetime", json_string(s->leave));
    hrs_decision_clear(&d);   /* o now holds the decision's values alone */
    hrs_snapshot_share_object(share, o);
    n->decided++;
    if (s->key[0]) hrs_decide_cache_put(c->cache, pid, s->key, o);
    return o;
}

/* The first pass over everyone (slots[i] for people[i]), then the cache asked for all of them
 * at once (hrs_decide_cache_take gives each). 0, or -1 when out of memory. */
static int prepare(const hrs_decide_ctx *c, const json_t *people, person_slot *slots)
{
    size_t n = json_array_size(people);
    const char **ids = calloc(n ? n : 1, sizeof *ids), **keys = calloc(n ? n : 1, sizeof *keys);
    if (!ids || !keys) {
        free(ids);
        free(keys);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(people, i);
        const char *pid = json_string_value(json_object_get(p, "id"));
        if (!pid) continue;
        first_pass(c, p, &slots[i]);
        ids[i] = pid;
        keys[i] = slots[i].key[0] ? slots[i].key : NULL;
    }
    hrs_err err;
    hrs_err_clear(&err);
    if (c->cache && hrs_decide_cache_fetch(c->cache, n, ids, keys, &err) != 0)
        hrs_warn("the decision cache cannot be read; the policy decides again whom it did not find: %s", err.msg);
    free(ids);
    free(keys);
    return 0;
}

json_t *hrs_decide_people(const hrs_decide_ctx *c, const json_t *people, json_t *attr_names, json_t *group_names,
                          hrs_decide_counts *counts)
{
    hrs_decide_counts n;
    memset(&n, 0, sizeof n);
    json_t *out = json_object();
    char current[11];
    snprintf(current, sizeof current, "%s", c->today);
    size_t count = json_array_size(people);
    person_slot *slots = calloc(count ? count : 1, sizeof *slots), one;
    hrs_snapshot_share *own = c->cache ? NULL : hrs_decide_cache_share_new();   /* NULL: nothing shared */
    hrs_snapshot_share *share = c->cache ? hrs_decide_cache_share(c->cache) : own;
    if (slots && prepare(c, people, slots) != 0) {
        free(slots);
        slots = NULL;
    }   /* short of memory: each person on their own, the cache asked one by one */
    size_t i;
    json_t *p;
    json_array_foreach(people, i, p) {
        const char *pid = json_string_value(json_object_get(p, "id"));
        if (!pid) continue;
        json_t *hit = NULL;
        const person_slot *s = slots ? &slots[i] : &one;
        if (slots) {
            hit = c->cache ? hrs_decide_cache_take(c->cache, i) : NULL;
        } else {
            first_pass(c, p, &one);
            if (one.key[0]) hit = hrs_decide_cache_get(c->cache, pid, one.key);
        }
        json_object_set_new(out, pid, decide_one(c, pid, p, s, hit, current, share, attr_names, group_names, &n));
    }
    free(slots);
    hrs_snapshot_share_free(own);
    hrs_err err;
    hrs_err_clear(&err);
    if (strcmp(current, c->today) != 0 && hrs_policy_set_today(c->policy, c->today, &err) != 0) hrs_error("%s", err.msg);
    if (counts) *counts = n;
    return out;
}

/* Appends ", <count> <what>" (or the first item without the comma) to out. */
static void item(char *out, size_t size, size_t *o, size_t count, const char *what)
{
    if (!count || *o >= size) return;
    int w = snprintf(out + *o, size - *o, "%s%zu %s", out[*o - 1] == '(' ? "" : ", ", count, what);
    if (w > 0) *o += (size_t)w < size - *o ? (size_t)w : size - *o - 1;
}

void hrs_decide_counts_text(const hrs_decide_counts *n, char *out, size_t size)
{
    if (!size) return;
    out[0] = '\0';
    if (!n->failed) return;
    size_t total = n->decided + n->failed;
    int w = snprintf(out, size, "the policy failed for %zu of %zu %s (", n->failed, total, total == 1 ? "person" : "people");
    if (w < 0 || (size_t)w >= size) return;
    size_t o = (size_t)w;
    size_t errors = n->by_kind[HRS_POLICY_ERROR] + n->by_kind[HRS_POLICY_OK];
    item(out, size, &o, errors, errors == 1 ? "error" : "errors");
    item(out, size, &o, n->by_kind[HRS_POLICY_BUDGET], "over the instruction budget");
    item(out, size, &o, n->by_kind[HRS_POLICY_MEMORY], "over the memory limit");
    item(out, size, &o, n->by_kind[HRS_POLICY_INVALID], n->by_kind[HRS_POLICY_INVALID] == 1 ? "invalid return" : "invalid returns");
    item(out, size, &o, n->dates, n->dates == 1 ? "unusable date or time zone" : "unusable dates or time zones");
    if (o + 1 < size) {
        out[o++] = ')';
        out[o] = '\0';
    }
}
