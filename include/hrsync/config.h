/* config.h: the admin's configuration, a Lua file that returns a table.
 *
 *   return {
 *     source    = { type = "csv", path = "people.csv" },
 *     directory = { tenant = "…", client_id = "…", client_secret_env = "HRSYNC_CLIENT_SECRET" },
 *     policy    = "policy.lua",
 *     state     = "hrsync.db",
 *   }
 *
 * The file runs in a small sandbox (no io, no os.execute; os.getenv is allowed). Relative paths
 * are resolved against the config file's folder. Secrets are never read from the file itself:
 * only from the environment variable or the file that the config names. Errors name the
 * config's file:line. */
#ifndef HRSYNC_CONFIG_H
#define HRSYNC_CONFIG_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_config {
    char *path;            /* the config file */
    json_t *root;          /* the returned table as JSON, paths resolved, overrides merged */
    const json_t *source;  /* borrowed from root */
    char *policy_path;
    char *state_path;
    char *lib_dir;         /* the shipped Lua library */
    char today[11];        /* the cycle's "now" (YYYY-MM-DD): overrides.now, HRSYNC_NOW, now, clock */
    char now[40];          /* the pinned "now" as given: a date, or an instant
                              YYYY-MM-DDThh:mm:ss(Z|±hh:mm) (today is then its date as written
                              until the engine takes it into the company's time zone); "" when
                              the clock is used */
    struct {
        char *graph_url, *login_url, *tenant, *client_id, *client_secret, *scope;
        long timeout_s;
    } directory;
} hrs_config;

/* Loads path. overrides (may be NULL) is an object merged over the returned table, used by the
 * demo and the tests to point the config at a simulator. The caller owns the result. */
hrs_config *hrs_config_load(const char *path, const json_t *overrides, hrs_err *err);
void hrs_config_free(hrs_config *c);

/* As hrs_config_load, for commands that never reach the directory (status): the client secret
 * is neither read nor required, and directory.client_secret stays NULL. */
hrs_config *hrs_config_load_offline(const char *path, const json_t *overrides, hrs_err *err);

/* The first line of the config file that assigns key (for messages "file:line: …"); 0 if none. */
int hrs_config_line_of(const hrs_config *c, const char *key);

/* Sets err to "file:line: <fmt…>" naming the line that assigns key (or "file: …" when none) and
 * returns -1. */
int hrs_config_key_error(const hrs_config *c, const char *key, hrs_err *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Refuses a key of obj (a table of the config) that is not in known (NULL-terminated), naming
 * the file:line, section + key and the nearest known key ("did you mean"). Returns 0 or -1. */
int hrs_config_check_keys(const hrs_config *c, const json_t *obj, const char *const *known, const char *section,
                          hrs_err *err);

/* Finds the shipped Lua library folder: $HRSYNC_LIB_DIR, the source tree, or the install
 * folder. Returns a newly allocated path or NULL. */
char *hrs_config_find_lib_dir(void);

/* Finds a folder of examples/ ($HRSYNC_HOME/examples, the source tree, or the install folder).
 * Returns a newly allocated path or NULL. */
char *hrs_config_find_examples_dir(void);

#endif
