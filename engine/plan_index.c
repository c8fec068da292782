/* plan_index.c: the indexes a plan looks things up in (see plan_internal.h): a small
 * open-addressing map of borrowed string keys, the directory's accounts by object id,
 * employeeId, UPN and mail, the UPNs taken, the managed groups and each account's memberships,
 * and the people by id. At 100,000 people these replace jansson objects of 100,000 keys, which
 * cost a hashtable node, a key copy and a value per entry. */
#include "plan_internal.h"

#include <stdlib.h>
#include <string.h>

#define sv hrs_plan_sv

/* ---- the map ---------------------------------------------------------------------------- */

static unsigned char fold_byte(unsigned char ch) { return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch - 'A' + 'a') : ch; }

/* FNV-1a over the key (folded and cut at PLAN_MAP_FOLD_MAX when folding), mixed so that every
 * bit depends on every byte; 32 bits (a map holds fewer than 2^32 keys). */
static uint32_t key_hash(const char *k, int fold)
{
    uint64_t h = 1469598103934665603ull;
    const unsigned char *s = (const unsigned char *)k;
    if (fold) {
        for (size_t i = 0; s[i] && i < PLAN_MAP_FOLD_MAX; i++) h = (h ^ fold_byte(s[i])) * 1099511628211ull;
    } else {
        for (; *s; s++) h = (h ^ *s) * 1099511628211ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 33;
    return (uint32_t)(h >> 32);
}

static int key_equal(const char *a, const char *b, int fold)
{
    if (!fold) return strcmp(a, b) == 0;
    for (size_t i = 0; i < PLAN_MAP_FOLD_MAX; i++) {
        unsigned char x = fold_byte((unsigned char)a[i]), y = fold_byte((unsigned char)b[i]);
        if (x != y) return 0;
        if (!x) return 1;
    }
    return 1;
}

static int usable_key(const plan_map *m, const char *key) { return key && (!m->fold || *key); }

static int resize_slots(plan_map *m, size_t cap)
{
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (!slots) return -1;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->slots[i]) continue;
        size_t k = (size_t)(m->slots[i] >> 32) & (cap - 1);
        while (slots[k]) k = (k + 1) & (cap - 1);
        slots[k] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int hrs_plan_map_init(plan_map *m, size_t expect, int fold)
{
    memset(m, 0, sizeof *m);
    m->fold = fold;
    size_t cap = 16;
    while (cap < expect * 2) cap *= 2;
    m->room = expect ? expect : 8;
    m->entries = malloc(m->room * sizeof *m->entries);
    if (!m->entries || resize_slots(m, cap) != 0) {
        hrs_plan_map_free(m);
        return -1;
    }
    return 0;
}

void hrs_plan_map_free(plan_map *m)
{
    free(m->slots);
    free(m->entries);
    memset(m, 0, sizeof *m);
}

/* The slot holding key (hash h), or the free slot where it would go. */
static size_t probe(const plan_map *m, const char *key, uint32_t h)
{
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = m->slots[i];
        if (!s || ((uint32_t)(s >> 32) == h && key_equal(m->entries[(uint32_t)s - 1].key, key, m->fold))) return i;
    }
}

long hrs_plan_map_find(const plan_map *m, const char *key)
{
    if (!m->cap || !usable_key(m, key)) return -1;
    uint64_t s = m->slots[probe(m, key, key_hash(key, m->fold))];
    return s ? (long)(uint32_t)s - 1 : -1;
}

const void *hrs_plan_map_get(const plan_map *m, const char *key)
{
    long i = hrs_plan_map_find(m, key);
    return i >= 0 ? m->entries[i].val : NULL;
}

long hrs_plan_map_put(plan_map *m, const char *key, const void *val)
{
    if (!usable_key(m, key)) return 0;
    if ((m->n + 1) * 2 > m->cap && resize_slots(m, m->cap ? m->cap * 2 : 16) != 0) return -1;
    uint32_t h = key_hash(key, m->fold);
    size_t i = probe(m, key, h);
    if (m->slots[i]) {
        long k = (long)(uint32_t)m->slots[i] - 1;
        m->entries[k].val = val;
        return k;
    }
    if (m->n == m->room) {
        size_t room = m->room ? m->room * 2 : 8;
        plan_map_entry *e = realloc(m->entries, room * sizeof *e);
        if (!e) return -1;
        m->entries = e;
        m->room = room;
    }
    m->entries[m->n] = (plan_map_entry){ key, val };
    m->slots[i] = (uint64_t)h << 32 | (uint64_t)(m->n + 1);
    return (long)m->n++;
}

/* ---- people ----------------------------------------------------------------------------- */

plan_who *hrs_plan_who(const plan_ctx *c, const char *pid)
{
    return (plan_who *)hrs_plan_map_get(&c->people_by_id, pid);
}

plan_who *hrs_plan_self(const plan_ctx *c, const plan_who *w)
{
    return w->ix >= 0 ? (plan_who *)c->people_by_id.entries[w->ix].val : NULL;
}

static int people_build(plan_ctx *c)
{
    size_t n = json_array_size(c->in->people);
    c->npeople = n;
    c->who = calloc(n ? n : 1, sizeof *c->who);
    if (!c->who || hrs_plan_map_init(&c->people_by_id, n, 0) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        plan_who *w = &c->who[i];
        w->person = json_array_get(c->in->people, i);
        w->pid = sv(w->person, "id");
        w->ix = w->pid ? hrs_plan_map_put(&c->people_by_id, w->pid, w) : -1;
        if (w->pid && w->ix < 0) return -1;
    }
    /* Records sharing an id are chained, the last first. */
    plan_who **last = calloc(c->people_by_id.n + 1, sizeof *last);
    if (!last) return -1;
    for (size_t i = 0; i < n; i++) {
        plan_who *w = &c->who[i];
        if (w->ix < 0) continue;
        w->same = last[w->ix];
        last[w->ix] = w;
    }
    free(last);
    return 0;
}

/* ---- groups ----------------------------------------------------------------------------- */

#define IX(v) ((const void *)(uintptr_t)((v) + 1))          /* an index as a map value */
#define UNIX(p) ((size_t)(uintptr_t)(p) - 1)

long hrs_plan_group_index(const plan_ctx *c, const char *name)
{
    const void *v = hrs_plan_map_get(&c->x.group_ix, name);
    return v ? (long)UNIX(v) : -1;
}

const dir_user *hrs_plan_user(const plan_ctx *c, const char *oid)
{
    return hrs_plan_map_get(&c->x.by_id, oid);
}

const uint32_t *hrs_plan_groups_of(const plan_ctx *c, long acct, size_t *n)
{
    *n = 0;
    if (acct < 0 || (size_t)acct >= c->x.by_id.n) return NULL;
    *n = c->x.member_off[acct + 1] - c->x.member_off[acct];
    return c->x.member_of + c->x.member_off[acct];
}

int hrs_plan_is_member(const plan_ctx *c, size_t g, long acct)
{
    size_t n;
    const uint32_t *gs = hrs_plan_groups_of(c, acct, &n);
    for (size_t i = 0; i < n; i++)
        if (gs[i] == g) return 1;
    return 0;
}

/* Group names in order, and the memberships of every account of by_id (a member is a key of a
 * group's "members", whatever its value; only accounts of the directory are ever asked about),
 * as lists in ascending group order. */
static int groups_build(plan_ctx *c)
{
    dir_index *x = &c->x;
    const json_t *groups = c->in->groups;
    size_t ng = json_object_size(groups), na = x->by_id.n, total = 0, n = 0;
    x->group_names = calloc(ng ? ng : 1, sizeof *x->group_names);
    x->group_objs = calloc(ng ? ng : 1, sizeof *x->group_objs);
    x->member_off = calloc(na + 1, sizeof *x->member_off);
    int rc = x->group_names && x->group_objs && x->member_off ? hrs_plan_map_init(&x->group_ix, ng, 0) : -1;
    const char *name, *oid;
    json_t *g, *v;
    json_object_foreach((json_t *)groups, name, g) {
        if (json_is_object(g)) total += json_object_size(json_object_get(g, "members"));
    }
    /* (account, group) of every membership, in group order; then counted into member_off. */
    struct pair { uint32_t acct, group; } *pairs = malloc((total ? total : 1) * sizeof *pairs);
    if (!pairs) rc = -1;
    json_object_foreach((json_t *)groups, name, g) {
        if (rc != 0) break;
        x->group_names[x->ngroups] = name;
        x->group_objs[x->ngroups] = g;
        if (hrs_plan_map_put(&x->group_ix, name, IX(x->ngroups)) < 0) rc = -1;
        if (json_is_object(g))
            json_object_foreach(json_object_get(g, "members"), oid, v) {
                long k = hrs_plan_map_find(&x->by_id, oid);
                if (k < 0) continue;
                pairs[n++] = (struct pair){ (uint32_t)k, (uint32_t)x->ngroups };
                x->member_off[k + 1]++;
            }
        x->ngroups++;
    }
    x->member_of = rc == 0 ? malloc((n ? n : 1) * sizeof *x->member_of) : NULL;
    size_t *fill = rc == 0 ? calloc(na + 1, sizeof *fill) : NULL;
    if (!x->member_of || !fill) rc = -1;
    if (rc == 0) {
        for (size_t k = 0; k < na; k++) x->member_off[k + 1] += x->member_off[k];
        for (size_t i = 0; i < n; i++) {
            uint32_t k = pairs[i].acct;
            x->member_of[x->member_off[k] + fill[k]++] = pairs[i].group;
        }
    }
    free(pairs);
    free(fill);
    return rc;
}

/* ---- the directory ---------------------------------------------------------------------- */

static int directory_build(plan_ctx *c)
{
    dir_index *x = &c->x;
    size_t n = json_array_size(c->in->users), nl = json_object_size(c->in->links),
           nr = json_object_size(c->in->reserved);
    x->users = calloc(n ? n : 1, sizeof *x->users);
    if (!x->users || hrs_plan_map_init(&x->by_id, n, 0) || hrs_plan_map_init(&x->by_employee_id, n, 0) ||
        hrs_plan_map_init(&x->by_upn, n, 1) || hrs_plan_map_init(&x->by_mail, 0, 1) ||   /* mail is often unset */
        hrs_plan_map_init(&x->taken_upns, n + (nl + nr) / 8, 1))
        return -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *u = json_array_get(c->in->users, i);
        dir_user *du = &x->users[x->nusers];
        du->id = sv(u, "id");
        if (!du->id) continue;
        x->nusers++;
        du->user = u;
        du->upn = sv(u, "userPrincipalName");
        du->enabled = hrs_plan_enabled(u);
        du->acct = hrs_plan_map_put(&x->by_id, du->id, du);
        rc |= du->acct < 0;
        const char *eid = sv(u, "employeeId");
        /* Several accounts may carry one employeeId (an old disabled one and a new one): the
         * enabled one is the one to link. */
        if (eid && *eid && (du->enabled || !hrs_plan_map_get(&x->by_employee_id, eid)))
            rc |= hrs_plan_map_put(&x->by_employee_id, eid, du) < 0;
        rc |= hrs_plan_map_put(&x->by_upn, du->upn, du) < 0;
        rc |= hrs_plan_map_put(&x->taken_upns, du->upn, "") < 0;
        rc |= hrs_plan_map_put(&x->by_mail, sv(u, "mail"), du) < 0;
    }
    /* UPNs held by stored links (an account not readable yet, a pre-hire's) stay reserved for
     * their person; those of creates an interrupted run has not finished, for everyone. */
    const char *pid, *upn;
    json_t *l;
    json_object_foreach((json_t *)c->in->links, pid, l) {
        upn = sv(l, "upn");
        if (upn && *upn && hrs_plan_map_find(&x->taken_upns, upn) < 0) rc |= hrs_plan_map_put(&x->taken_upns, upn, pid) < 0;
    }
    json_object_foreach((json_t *)c->in->reserved, upn, l) rc |= hrs_plan_map_put(&x->taken_upns, upn, "") < 0;
    x->claimed = rc == 0 ? calloc(x->by_id.n + 1, sizeof *x->claimed) : NULL;
    return x->claimed ? 0 : -1;
}

int hrs_plan_index_build(plan_ctx *c)
{
    if (people_build(c) != 0 || directory_build(c) != 0 || groups_build(c) != 0) return -1;
    return 0;
}

void hrs_plan_index_free(plan_ctx *c)
{
    dir_index *x = &c->x;
    hrs_plan_map_free(&x->by_id);
    hrs_plan_map_free(&x->by_employee_id);
    hrs_plan_map_free(&x->by_upn);
    hrs_plan_map_free(&x->by_mail);
    hrs_plan_map_free(&x->taken_upns);
    free(x->claimed);
    free(x->users);
    hrs_plan_map_free(&x->group_ix);
    free(x->group_names);
    free(x->group_objs);
    free(x->member_off);
    free(x->member_of);
    hrs_plan_map_free(&c->people_by_id);
    for (size_t i = 0; c->who && i < c->npeople; i++) json_decref(c->who[i].entry);
    free(c->who);
    c->who = NULL;
    memset(x, 0, sizeof *x);
}
