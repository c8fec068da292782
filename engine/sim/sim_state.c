/* sim_state.c: the simulated directory as JSON: loading a seed or state file
 * ({"users": [...], "groups": [...], "domains": [...]}), the snapshot of hrs_sim_snapshot, and
 * the atomic write of the state file (temporary file, fsync, rename, fsync of the directory).
 *
 * A user record is its Graph properties plus "manager" (the manager's id) and, when a password
 * was set, "passwordProfile" without the password: no password is ever written. Seed files may
 * name managers and group members by userPrincipalName, and may carry passwords (dropped). */
#include "sim_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static void add_domain(hrs_sim *s, const char *d)
{
    if (d && *d && !hrs_sim_domain_verified(s, d))
        json_array_append_new(s->domains, json_string(d));
}

/* Puts "path: what[i]: " in front of the message in err; returns -1. */
static int prefix(hrs_err *err, const char *path, const char *what, size_t i)
{
    if (!err) return -1;
    char old[HRS_ERR_MAX];
    memcpy(old, err->msg, sizeof old);
    old[sizeof old - 1] = '\0';
    return hrs_err_set(err, "%s: %s[%zu]: %.1900s", path, what, i, old);
}

static int load_users(hrs_sim *s, const char *path, json_t *users, hrs_err *err)
{
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u) {
        if (!json_is_object(u))
            return hrs_err_set(err, "%s: users[%zu] is not an object", path, i);
        json_t *props = json_deep_copy(u);
        char *manager = json_is_string(json_object_get(props, "manager"))
                            ? strdup(json_string_value(json_object_get(props, "manager"))) : NULL;
        json_object_del(props, "manager");
        json_object_del(json_object_get(props, "passwordProfile"), "password");
        if (!json_is_string(json_object_get(props, "id"))) {
            char id[37];
            hrs_sim_guid(id);
            json_object_set_new(props, "id", json_string(id));
        }
        if (!json_object_get(props, "createdDateTime")) {
            char now[32];
            hrs_sim_time(now, sizeof now, SIM_TIME_ISO);
            json_object_set_new(props, "createdDateTime", json_string(now));
        }
        const char *upn = json_string_value(json_object_get(props, "userPrincipalName"));
        if (!upn || !strchr(upn, '@')) {
            free(manager);
            json_decref(props);
            return hrs_err_set(err, "%s: users[%zu] has no userPrincipalName", path, i);
        }
        add_domain(s, strchr(upn, '@') + 1);
        sim_user *su = hrs_sim_user_add(s, props, 0, err);
        if (!su) {
            free(manager);
            return prefix(err, path, "users", i);
        }
        su->manager = manager;
    }
    /* Managers may be written as ids or UPNs: store ids. */
    for (size_t k = 0; k < s->nusers; k++) {
        sim_user *su = s->users[k];
        if (!su || !su->manager) continue;
        sim_user *m = hrs_sim_user_find(s, su->manager, 0);
        if (!m)
            return hrs_err_set(err, "%s: the manager '%s' of %s is not a user", path, su->manager,
                                json_string_value(json_object_get(su->props, "userPrincipalName")));
        char *id = strdup(json_string_value(json_object_get(m->props, "id")));
        free(su->manager);
        su->manager = id;
    }
    return 0;
}

static int load_groups(hrs_sim *s, const char *path, json_t *groups, hrs_err *err)
{
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        if (!json_is_object(g))
            return hrs_err_set(err, "%s: groups[%zu] is not an object", path, i);
        json_t *props = json_deep_copy(g);
        json_t *members = json_incref(json_object_get(props, "members"));
        json_object_del(props, "members");
        if (!json_is_string(json_object_get(props, "id"))) {
            char id[37];
            hrs_sim_guid(id);
            json_object_set_new(props, "id", json_string(id));
        }
        if (!json_object_get(props, "groupTypes"))
            json_object_set_new(props, "groupTypes", json_array());
        sim_group *sg = hrs_sim_group_add(s, props, err);
        if (!sg) {
            json_decref(members);
            return prefix(err, path, "groups", i);
        }
        size_t j;
        json_t *m;
        json_array_foreach(members, j, m) {
            const char *key = json_string_value(m);
            sim_user *u = key ? hrs_sim_user_find(s, key, 0) : NULL;
            sim_group *mg = key && !u ? hrs_sim_group_find(s, key) : NULL;
            const char *id = u ? json_string_value(json_object_get(u->props, "id"))
                             : mg ? json_string_value(json_object_get(mg->props, "id")) : NULL;
            if (!id) {
                json_decref(members);
                return hrs_err_set(err, "%s: member '%s' of group %s is not a user or group",
                                    path, key ? key : "?",
                                    json_string_value(json_object_get(sg->props, "id")));
            }
            json_object_set_new(sg->members, id, json_true());
        }
        json_decref(members);
    }
    return 0;
}

int hrs_sim_state_load(hrs_sim *s, const char *path, hrs_err *err)
{
    json_error_t je;
    json_t *root = json_load_file(path, 0, &je);
    if (!root) return hrs_err_set(err, "%s:%d: %s", path, je.line, je.text);
    int rc = -1;
    json_t *users = json_object_get(root, "users"), *groups = json_object_get(root, "groups");
    json_t *domains = json_object_get(root, "domains");
    if (!json_is_object(root) || (users && !json_is_array(users)) ||
        (groups && !json_is_array(groups)) || (domains && !json_is_array(domains))) {
        hrs_err_set(err, "%s: expected {\"users\": [...], \"groups\": [...], \"domains\": [...]}",
                     path);
        goto out;
    }
    size_t i;
    json_t *d;
    json_array_foreach(domains, i, d) add_domain(s, json_string_value(d));
    if (load_users(s, path, users, err) != 0 || load_groups(s, path, groups, err) != 0) goto out;
    rc = 0;
out:
    json_decref(root);
    return rc;
}

json_t *hrs_sim_state_dump(hrs_sim *s)
{
    json_t *users = json_array(), *groups = json_array();
    for (size_t i = 0; i < s->nusers; i++) {
        sim_user *u = s->users[i];
        if (!u) continue;
        json_t *o = json_deep_copy(u->props);
        if (u->manager) json_object_set_new(o, "manager", json_string(u->manager));
        json_array_append_new(users, o);
    }
    for (size_t i = 0; i < s->ngroups; i++) {
        sim_group *g = s->groups[i];
        if (!g) continue;
        json_t *o = json_deep_copy(g->props), *members = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(g->members, k, v) json_array_append_new(members, json_string(k));
        json_object_set_new(o, "members", members);
        json_array_append_new(groups, o);
    }
    return json_pack("{s:o, s:o, s:o}", "users", users, "groups", groups, "domains",
                     json_deep_copy(s->domains));
}

json_t *hrs_sim_snapshot(hrs_sim *sim)
{
    if (!sim) return NULL;
    pthread_mutex_lock(&sim->lock);
    json_t *snap = hrs_sim_state_dump(sim);
    pthread_mutex_unlock(&sim->lock);
    return snap;
}

static int fsync_dir(const char *file)
{
    char *copy = strdup(file);
    if (!copy) return -1;
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    free(copy);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int hrs_sim_state_save(hrs_sim *s, hrs_err *err)
{
    if (!s->state_file) return 0;
    size_t n = strlen(s->state_file) + 8;
    char *tmp = malloc(n);
    if (!tmp) return hrs_err_set(err, "%s: out of memory", s->state_file);
    snprintf(tmp, n, "%s.tmp", s->state_file);
    json_t *root = hrs_sim_state_dump(s);
    int rc = -1;
    FILE *f = fopen(tmp, "w");
    if (!f) {
        hrs_err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
        goto out;
    }
    if (json_dumpf(root, f, JSON_INDENT(1)) != 0 || fputc('\n', f) == EOF || fflush(f) != 0 ||
        fsync(fileno(f)) != 0) {
        hrs_err_set(err, "%s: cannot write: %s", tmp, strerror(errno));
        fclose(f);
        unlink(tmp);
        goto out;
    }
    if (fclose(f) != 0) {
        hrs_err_set(err, "%s: cannot close: %s", tmp, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, s->state_file) != 0) {
        hrs_err_set(err, "%s: cannot replace: %s", s->state_file, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (fsync_dir(s->state_file) != 0) {
        hrs_err_set(err, "%s: cannot sync its directory: %s", s->state_file, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    json_decref(root);
    free(tmp);
    return rc;
}
