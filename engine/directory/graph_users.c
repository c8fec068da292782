/* graph_users.c: reading Entra ID users (see include/hrsync/graph.h): look-ups by a property
 * ($filter, with the advanced-query headers only where Graph requires them: graph.md §1), the
 * delta query with its deltaLink and a cache of the users in the state store (graph.md §6), and
 * the read a cycle plans against, which also asks for recently linked accounts that a list may
 * not show yet (replication delay, graph.md §7). */
#include "graph_internal.h"
#include "hrsync/log.h"
#include "hrsync/store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DELTA_CURSOR "graph.users.delta"
#define RECENT_LINK_S 600            /* links younger than this are asked for by id when missing */
#define CONFIRM_BUDGET_S 15.0        /* the most a cycle waits for such accounts in all */

/* Properties that $filter accepts only as an advanced query (ConsistencyLevel: eventual and
 * $count=true; graph.md §1). */
static const char *const advanced_only[] = { "employeeHireDate", "employeeType", "companyName", "officeLocation",
                                             "mobilePhone", "postalCode", "preferredLanguage", "streetAddress", NULL };

static int needs_advanced(const char *property)
{
    if (strncasecmp(property, "onPremisesExtensionAttributes/", 30) == 0) return 1;
    for (size_t i = 0; advanced_only[i]; i++)
        if (strcasecmp(property, advanced_only[i]) == 0) return 1;
    return 0;
}

static int is_datetime(const char *property)
{
    return strcasecmp(property, "employeeHireDate") == 0 || strcasecmp(property, "employeeLeaveDateTime") == 0 ||
           strcasecmp(property, "createdDateTime") == 0;
}

int hrs_graph_find_users(hrs_graph *g, const char *property, const char *value, const char *select,
                         json_t **users, hrs_err *err)
{
    *users = NULL;
    for (const char *p = property; *p; p++)
        if (!(*p == '/' || *p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
            return hrs_err_set(err, "internal: '%s' is not a property name", property);
    /* An OData literal: a string in quotes with each quote doubled; a date-time bare. */
    size_t vl = strlen(value);
    char *lit = malloc(vl * 2 + 3);
    if (!lit) return hrs_err_set(err, "out of memory");
    size_t o = 0;
    int quoted = !is_datetime(property);
    if (quoted) lit[o++] = '\'';
    for (const char *p = value; *p; p++) {
        if (*p == '\'') lit[o++] = '\'';
        lit[o++] = *p;
    }
    if (quoted) lit[o++] = '\'';
    lit[o] = '\0';
    char *esc = hrs_http_escape(lit), *sel = select ? hrs_http_escape(select) : NULL;
    free(lit);
    if (!esc || (select && !sel)) { free(esc); free(sel); return hrs_err_set(err, "out of memory"); }
    size_t n = strlen(property) + strlen(esc) + (sel ? strlen(sel) : 0) + 80;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "/users?$filter=%s%%20eq%%20%s%s%s%s", property, esc, needs_advanced(property) ? "&$count=true" : "",
                 sel ? "&$select=" : "", sel ? sel : "");
    free(esc);
    free(sel);
    if (!path) return hrs_err_set(err, "out of memory");
    int rc = hrs_graph_get_all(g, path, users, err);
    free(path);
    return rc;
}

/* ---- delta ---------------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The select list in a canonical order (sorted, without repeats, with id): a cursor is only
 * reused for the same list. Returns a malloc'ed string or NULL. */
static char *canonical_select(const char *select)
{
    char *copy = strdup(select ? select : ""), *save = NULL;
    size_t n = 1, cap = 8;
    char **names = malloc(cap * sizeof *names);
    if (!copy || !names) { free(copy); free(names); return NULL; }
    names[0] = "id";
    for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        if (!*t) continue;
        if (n == cap) {
            char **nn = realloc(names, (cap *= 2) * sizeof *names);
            if (!nn) { free(copy); free(names); return NULL; }
            names = nn;
        }
        names[n++] = t;
    }
    qsort(names, n, sizeof *names, cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++) len += strlen(names[i]) + 1;
    char *out = malloc(len);
    if (out) {
        size_t o = 0;
        out[0] = '\0';
        for (size_t i = 0; i < n; i++) {
            if (i && strcmp(names[i], names[i - 1]) == 0) continue;
            o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", names[i]);
        }
    }
    free(copy);
    free(names);
    return out;
}

/* A delta item merged into the cached user: the properties it carries replace the cached ones
 * (null included); "manager@delta" sets or clears "manager": {"id"}; other annotations are
 * dropped. */
static void merge_item(json_t *user, json_t *item)
{
    const char *k;
    json_t *v;
    json_object_foreach(item, k, v) {
        if (strcmp(k, "manager@delta") == 0) {
            const char *mid = NULL;
            size_t i;
            json_t *m;
            json_array_foreach(v, i, m)
                if (!json_object_get(m, "@removed") && json_string_value(json_object_get(m, "id")))
                    mid = json_string_value(json_object_get(m, "id"));
            if (mid) json_object_set_new(user, "manager", json_pack("{s:s}", "id", mid));
            else json_object_del(user, "manager");
        } else if (k[0] != '@' && !strchr(k, '@')) {
            json_object_set(user, k, v);
        }
    }
}

static int is_expired_link(const hrs_err *e)
{
    return e->http_status == 410 || strcasecmp(e->code, "syncStateNotFound") == 0 ||
           (e->http_status == 400 && strstr(e->code, "syncState") != NULL);
}

/* Follows a delta round from start to its deltaLink: *items (caller owns), *link (malloc'ed). */
static int delta_round(hrs_graph *g, const char *start, json_t **items, char **link, hrs_err *err)
{
    json_t *all = json_array();
    char *next = strdup(start);
    *items = NULL;
    *link = NULL;
    if (!all || !next) { json_decref(all); free(next); return hrs_err_set(err, "out of memory"); }
    while (next) {
        json_t *page;
        if (hrs_graph_call(g, "GET", next, NULL, &page, err) != 0) { free(next); json_decref(all); return -1; }
        free(next);
        next = NULL;
        json_t *v = json_object_get(page, "value");
        const char *nl = json_string_value(json_object_get(page, "@odata.nextLink"));
        const char *dl = json_string_value(json_object_get(page, "@odata.deltaLink"));
        if (!json_is_array(v) || (!nl && !dl)) {
            json_decref(page);
            json_decref(all);
            return hrs_err_set(err, "Graph GET /users/delta: an answer without \"value\" or without a nextLink or deltaLink");
        }
        json_array_extend(all, v);
        if (nl) next = strdup(nl);
        else *link = strdup(dl);
        json_decref(page);
        if (!next && !*link) { json_decref(all); return hrs_err_set(err, "out of memory"); }
    }
    *items = all;
    return 0;
}

/* Applies a round to the cache (everything anew when full) and stores the new cursor, in one
 * transaction. *cache: id -> user after the round. */
static int save_round(hrs_store *store, json_t *cache, json_t *items, int full, const char *cursor, hrs_err *err)
{
    if (hrs_store_begin(store, err) != 0) return -1;
    int rc = full ? hrs_store_dir_users_clear(store, err) : 0;
    json_t *touched = json_object();
    size_t i;
    json_t *it;
    json_array_foreach(items, i, it) {
        const char *id = json_string_value(json_object_get(it, "id"));
        if (!id) continue;
        if (json_object_get(it, "@removed")) {
            json_object_del(cache, id);
            json_object_set_new(touched, id, json_null());
            continue;
        }
        json_t *u = json_object_get(cache, id);
        if (!u) {
            u = json_object();
            json_object_set_new(cache, id, u);
        }
        merge_item(u, it);
        json_object_set(touched, id, u);
    }
    const char *id;
    json_t *u;
    json_object_foreach(touched, id, u) {
        if (rc != 0) break;
        rc = hrs_store_dir_user_put(store, id, json_is_null(u) ? NULL : u, err);
    }
    json_decref(touched);
    if (rc == 0) rc = hrs_store_cursor_put(store, DELTA_CURSOR, cursor, err);
    if (rc == 0) rc = hrs_store_commit(store, err);
    if (rc != 0) hrs_store_rollback(store);
    return rc;
}

/* A round the probe (hrs_graph_users_unchanged) read for select sel and did not store: its items
 * and deltaLink are handed over (*items, *link: the caller's) and forgotten. 0 when there is none. */
static int take_pending(hrs_graph *g, const char *sel, json_t **items, char **link)
{
    json_t *p = g->pending_delta;
    if (!p) return 0;
    g->pending_delta = NULL;
    const char *psel = json_string_value(json_object_get(p, "select"));
    const char *plink = json_string_value(json_object_get(p, "link"));
    int ok = psel && plink && strcmp(psel, sel) == 0 && (*link = strdup(plink)) != NULL;
    if (ok) *items = json_incref(json_object_get(p, "items"));
    json_decref(p);
    return ok;
}

/* The stored delta cursor's link when it was made for select sel against this client's graph_url
 * (malloc'ed), else NULL; *had says whether there was a cursor at all. */
static int stored_link_for(const hrs_graph *g, hrs_store *store, const char *sel, char **link, int *had, hrs_err *err)
{
    char *saved = NULL;
    *link = NULL;
    *had = 0;
    if (hrs_store_cursor_get(store, DELTA_CURSOR, &saved, err) != 0) return -1;
    json_t *cur = saved ? json_loads(saved, 0, NULL) : NULL;
    free(saved);
    const char *l = json_string_value(json_object_get(cur, "link"));
    const char *s = json_string_value(json_object_get(cur, "select"));
    *had = cur != NULL;
    /* A link of another address (graph_url changed) leads nowhere: read everyone again. */
    if (l && strncmp(l, g->base, strlen(g->base)) != 0) l = NULL;
    if (l && s && strcmp(s, sel) == 0 && !(*link = strdup(l))) {
        json_decref(cur);
        return hrs_err_set(err, "out of memory");
    }
    json_decref(cur);
    return 0;
}

/* The delta cursor as stored: {link, select} as JSON text (malloc'ed), or NULL. */
static char *cursor_text(const char *link, const char *sel)
{
    json_t *cursor = json_pack("{s:s, s:s}", "link", link, "select", sel);
    char *text = cursor ? json_dumps(cursor, JSON_COMPACT) : NULL;
    json_decref(cursor);
    return text;
}

int hrs_graph_users_delta(hrs_graph *g, hrs_store *store, const char *select, json_t **users, int *full, hrs_err *err)
{
    *users = NULL;
    *full = 1;
    char *sel = canonical_select(select), *stored_link = NULL, *link = NULL, *start = NULL;
    json_t *items = NULL, *cache = NULL;
    int rc = -1, had = 0, incremental = 0;
    if (!sel) { hrs_err_set(err, "out of memory"); goto out; }
    int pending = take_pending(g, sel, &items, &link);
    if (!pending) {
        if (stored_link_for(g, store, sel, &stored_link, &had, err) != 0) goto out;
        if (!stored_link && had) {
            hrs_info("the last delta round read other attributes, or another graph_url: reading every user again");
            g->stats.full_resyncs++;
        }
    }
    incremental = pending || stored_link;
    char *esc = hrs_http_escape(sel);
    size_t n = (esc ? strlen(esc) : 0) + 32;
    if (!esc || !(start = malloc(n))) { free(esc); hrs_err_set(err, "out of memory"); goto out; }
    snprintf(start, n, "/users/delta?$select=%s", esc);
    free(esc);
    hrs_err e2;
    hrs_err_clear(&e2);
    if (!pending && incremental && delta_round(g, stored_link, &items, &link, &e2) != 0) {
        if (!is_expired_link(&e2)) { *err = e2; goto out; }
        hrs_warn("the stored deltaLink is no longer valid (%s): reading every user again", e2.msg);
        g->stats.full_resyncs++;
        incremental = 0;
    }
    if (!incremental && delta_round(g, start, &items, &link, err) != 0) goto out;
    if (!pending) {   /* the probe counted its round already */
        g->stats.delta_rounds++;
        g->stats.users_read += (long)json_array_size(items);
    }
    if (incremental) {
        if (hrs_store_dir_users(store, &cache, err) != 0) goto out;
    } else {
        cache = json_object();
    }
    char *text = cursor_text(link, sel);
    if (!text) { hrs_err_set(err, "out of memory"); goto out; }
    rc = save_round(store, cache, items, !incremental, text, err);
    free(text);
    if (rc != 0) goto out;
    hrs_info("read %zu %s from /users/delta", json_array_size(items), incremental ? "changed users" : "users");
    json_t *arr = json_array();
    const char *id;
    json_t *u;
    json_object_foreach(cache, id, u) json_array_append(arr, u);
    *users = arr;
    *full = !incremental;
out:
    free(sel);
    free(stored_link);
    free(link);
    free(start);
    json_decref(items);
    json_decref(cache);
    return rc;
}

/* The $select of a delta round: the attributes, and manager when managers are read. */
static char *delta_select(const char *select, int managers)
{
    size_t n = strlen(select ? select : "") + 16;
    char *sel = malloc(n);
    if (sel) snprintf(sel, n, "%s%s", select ? select : "id", managers ? ",manager" : "");
    return sel;
}

int hrs_graph_users_unchanged(hrs_graph *g, hrs_store *store, const char *select, int managers, int *unchanged,
                              hrs_err *err)
{
    *unchanged = 0;
    if (!g->delta || !store) return 0;
    char *wanted = delta_select(select, managers), *sel = wanted ? canonical_select(wanted) : NULL;
    char *stored_link = NULL, *link = NULL, *text = NULL;
    json_t *items = NULL;
    int had = 0, rc = -1;
    free(wanted);
    if (!sel) { hrs_err_set(err, "out of memory"); goto out; }
    if (stored_link_for(g, store, sel, &stored_link, &had, err) != 0) goto out;
    rc = 0;
    if (!stored_link) goto out;   /* the next read is a full one */
    hrs_err e2;
    hrs_err_clear(&e2);
    if (delta_round(g, stored_link, &items, &link, &e2) != 0) {
        if (!is_expired_link(&e2)) { *err = e2; rc = -1; }
        goto out;                 /* an expired link: the next read finds it so and reads everyone */
    }
    g->stats.delta_rounds++;
    g->stats.users_read += (long)json_array_size(items);
    if (json_array_size(items) == 0) {
        text = cursor_text(link, sel);
        rc = text ? hrs_store_cursor_put(store, DELTA_CURSOR, text, err) : hrs_err_set(err, "out of memory");
        *unchanged = rc == 0;
        goto out;
    }
    json_decref(g->pending_delta);
    g->pending_delta = json_pack("{s:s, s:s, s:O}", "select", sel, "link", link, "items", items);
    if (!g->pending_delta) rc = hrs_err_set(err, "out of memory");
out:
    free(sel);
    free(stored_link);
    free(link);
    free(text);
    json_decref(items);
    return rc;
}

/* ---- the read of a cycle ------------------------------------------------------------------- */

/* Accounts linked recently that the read did not return are asked for by id (a new account may
 * answer 404 for a while): found ones are added to users. */
static int confirm_recent_links(hrs_graph *g, hrs_store *store, const char *select, int managers, json_t *users,
                                hrs_err *err)
{
    json_t *recent = NULL;
    if (!store || hrs_store_links_recent(store, RECENT_LINK_S, &recent, err) != 0) return store ? -1 : 0;
    if (json_object_size(recent) == 0) {   /* the usual cycle: no index of every user needed */
        json_decref(recent);
        return 0;
    }
    json_t *have = json_object();
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        const char *id = json_string_value(json_object_get(u, "id"));
        if (id) json_object_set_new(have, id, json_true());
    }
    double deadline = hrs_graph_mono() + CONFIRM_BUDGET_S;
    int rc = 0;
    const char *pid;
    json_t *oid;
    json_object_foreach(recent, pid, oid) {
        const char *id = json_string_value(oid);
        if (!id || json_object_get(have, id)) continue;
        char *esc = hrs_http_escape(select ? select : "id"), path[2400];
        if (!esc) { rc = hrs_err_set(err, "out of memory"); break; }
        snprintf(path, sizeof path, "/users/%s?$select=%s%s", id, esc, managers ? "&$expand=manager($select=id)" : "");
        free(esc);
        for (int t = 0;; t++) {
            hrs_err e2;
            hrs_err_clear(&e2);
            json_t *found = NULL;
            if (hrs_graph_call(g, "GET", path, NULL, &found, &e2) == 0) {
                hrs_info("the account %s of person %s is readable by id though the list did not show it yet", id, pid);
                json_object_del(found, "@odata.context");
                json_array_append_new(users, found);
                break;
            }
            if (e2.http_status != 404) { *err = e2; rc = -1; break; }
            double wait = hrs_graph_backoff(g, t + 1);
            if (hrs_graph_mono() + wait > deadline) {
                hrs_warn("the account %s linked to person %s cannot be read (%s)", id, pid, e2.msg);
                break;
            }
            hrs_graph_sleep(wait);
        }
        if (rc != 0) break;
    }
    json_decref(have);
    json_decref(recent);
    return rc;
}

int hrs_graph_read_users(hrs_graph *g, hrs_store *store, const char *select, int managers, json_t **users,
                         hrs_err *err)
{
    *users = NULL;
    if (g->delta && store) {
        char *sel = delta_select(select, managers);
        if (!sel) return hrs_err_set(err, "out of memory");
        int full;
        int rc = hrs_graph_users_delta(g, store, sel, users, &full, err);
        free(sel);
        if (rc != 0) return -1;
    } else {
        char *esc = select ? strdup(select) : NULL;
        size_t n = (esc ? strlen(esc) : 0) + 80;
        char *path = malloc(n);
        if (!path || (select && !esc)) { free(esc); free(path); return hrs_err_set(err, "out of memory"); }
        /* $expand=manager is documented for /users; Graph then pages by 100 whatever $top says,
         * and the pages are followed. */
        snprintf(path, n, "/users?$select=%s&$top=999%s", esc ? esc : "id", managers ? "&$expand=manager($select=id)" : "");
        free(esc);
        int rc = hrs_graph_get_all(g, path, users, err);
        free(path);
        if (rc != 0) return -1;
        g->stats.users_read += (long)json_array_size(*users);
    }
    if (confirm_recent_links(g, store, select, managers, *users, err) != 0) {
        json_decref(*users);
        *users = NULL;
        return -1;
    }
    return 0;
}
