/* config.c: loads and validates the admin's Lua configuration file (see include/hrsync/config.h). */
#include "hrsync/config.h"
#include "hrsync/buildinfo.h"
#include "hrsync/log.h"
#include "hrsync/luajson.h"
#include "hrsync/tz.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdarg.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *const top_keys[] = { "now", "timezone", "source", "directory", "policy", "state",
                                        "log_level", "lib_dir", "schedule", "http", "guardrails", "audit_log",
                                        "retention", NULL };
static const char *const dir_keys[] = { "type", "tenant", "client_id", "client_secret_env", "client_secret_file",
                                        "graph_url", "login_url", "scope", "timeout", "client_certificate_file",
                                        "client_key_file", "client_assertion_alg", "write_budget", "concurrency", "delta",
                                        NULL };

/* ---- helpers ---------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), prev[64], cur[64];
    if (la > 63 || lb > 63) return 99;
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, sizeof prev);
    }
    return prev[lb];
}

static const char *suggest(const char *key, const char *const *known)
{
    const char *best = NULL;
    size_t bd = 3;
    for (size_t i = 0; known[i]; i++) {
        size_t d = edit_distance(key, known[i]);
        if (d < bd) { bd = d; best = known[i]; }
    }
    return best;
}

/* The first line of the config file that assigns `key` (for error messages); 0 if none. */
static int line_of_key(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char buf[1024];
    int line = 0, found = 0;
    size_t kl = strlen(key);
    while (!found && fgets(buf, sizeof buf, f)) {
        line++;
        for (char *p = strstr(buf, key); p; p = strstr(p + 1, key)) {
            int start_ok = p == buf || !(p[-1] == '_' || (p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z'));
            const char *q = p + kl;
            while (*q == ' ' || *q == '\t' || *q == '"' || *q == '\'' || *q == ']') q++;
            if (start_ok && *q == '=' && q[1] != '=') { found = 1; break; }
        }
    }
    fclose(f);
    return found ? line : 0;
}

int hrs_config_key_error(const hrs_config *c, const char *key, hrs_err *err, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int line = line_of_key(c->path, key);
    if (line) return hrs_err_set(err, "%s:%d: %s", c->path, line, what);
    return hrs_err_set(err, "%s: %s", c->path, what);
}

static int check_keys(const hrs_config *c, const json_t *obj, const char *const *known, const char *section, hrs_err *err)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (size_t i = 0; known[i]; i++) ok |= strcmp(k, known[i]) == 0;
        if (ok) continue;
        if (strcmp(k, "client_secret") == 0)
            return hrs_config_key_error(c, k, err, "%sclient_secret: secrets are not read from the config file: use client_secret_env "
                             "(an environment variable) or client_secret_file", section);
        const char *s = suggest(k, known);
        char msg[300];
        snprintf(msg, sizeof msg, "unknown setting '%s%s'%s%s%s", section, k, s ? " (did you mean '" : "", s ? s : "", s ? "'?)" : "");
        return hrs_config_key_error(c, k, err, "%s", msg);
    }
    return 0;
}

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    if (slash == path) return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static char *resolve(const char *dir, const char *p)
{
    if (!p) return NULL;
    if (p[0] == '/') return strdup(p);
    size_t n = strlen(dir) + strlen(p) + 2;
    char *o = malloc(n);
    if (o) snprintf(o, n, "%s/%s", dir, p);
    return o;
}

static int is_dir(const char *p)
{
    struct stat st;
    return p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static char *first_dir(const char *env, const char *const *cands)
{
    const char *e = env ? getenv(env) : NULL;
    if (e && *e) return strdup(e);
    for (size_t i = 0; cands[i]; i++)
        if (is_dir(cands[i])) return strdup(cands[i]);
    return NULL;
}

/* An installed program (one under the install prefix's bin folder) uses the installed library and
 * examples before a source tree that may still be on disk; a program in a build folder, the reverse. */
static int installed(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = '\0';
    size_t l = strlen(HRSYNC_BINDIR);
    return strncmp(exe, HRSYNC_BINDIR, l) == 0 && exe[l] == '/';
}

char *hrs_config_find_lib_dir(void)
{
    const char *c[] = { HRSYNC_SOURCE_DIR "/scripts", HRSYNC_DATADIR "/scripts", NULL };
    const char *ci[] = { HRSYNC_DATADIR "/scripts", HRSYNC_SOURCE_DIR "/scripts", NULL };
    return first_dir("HRSYNC_LIB_DIR", installed() ? ci : c);
}

char *hrs_config_find_examples_dir(void)
{
    const char *home = getenv("HRSYNC_HOME");
    if (home && *home) {
        char *p = resolve(home, "examples");
        if (is_dir(p)) return p;
        free(p);
    }
    const char *c[] = { HRSYNC_SOURCE_DIR "/examples", HRSYNC_DATADIR "/examples", NULL };
    const char *ci[] = { HRSYNC_DATADIR "/examples", HRSYNC_SOURCE_DIR "/examples", NULL };
    return first_dir(NULL, installed() ? ci : c);
}

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

/* Runs the config chunk in a fresh VM with only base/string/table/math and os.getenv. */
static json_t *run_config(const char *path, hrs_err *err)
{
    lua_State *L = luaL_newstate();
    if (!L) { hrs_err_set(err, "out of memory"); return NULL; }
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_getfield(L, -1, "getenv");
    lua_newtable(L);
    lua_insert(L, -2);
    lua_setfield(L, -2, "getenv");
    lua_setglobal(L, "os");
    lua_settop(L, 0);
    static const char *const drop[] = { "dofile", "loadfile", "load", "require", "collectgarbage", NULL };
    for (size_t i = 0; drop[i]; i++) { lua_pushnil(L); lua_setglobal(L, drop[i]); }

    json_t *out = NULL;
    lua_pushcfunction(L, traceback);
    int st = luaL_loadfilex(L, path, "t");
    if (st == LUA_ERRFILE) {
        hrs_err_set(err, "cannot read config %s: %s", path, strerror(errno));
    } else if (st != LUA_OK) {
        hrs_err_set(err, "config %s", lua_tostring(L, -1));
    } else if (lua_pcall(L, 0, 1, 1) != LUA_OK) {
        hrs_err_set(err, "config %s", lua_tostring(L, -1));
    } else if (!lua_istable(L, -1)) {
        hrs_err_set(err, "%s: the config must return a table (it returned a %s)", path, luaL_typename(L, -1));
    } else {
        char bad[600] = "";
        out = hrs_luajson_to(L, -1, "", bad, sizeof bad);
        if (!out) hrs_err_set(err, "%s: %s", path, bad);
        else if (!json_is_object(out)) { hrs_err_set(err, "%s: the config must return a table of settings, not a list", path); json_decref(out); out = NULL; }
    }
    lua_close(L);
    return out;
}

/* ---- assembling the config -------------------------------------------------------------- */

static void merge(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v) {
        json_t *d = json_object_get(dst, k);
        if (json_is_object(d) && json_is_object(v)) merge(d, v);
        else json_object_set(dst, k, v);
    }
}

static const char *str_of(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

static char *read_secret_file(const char *path, hrs_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) { hrs_err_set(err, "cannot read the client secret file %s: %s", path, strerror(errno)); return NULL; }
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ')) buf[--n] = '\0';
    if (n == 0) { hrs_err_set(err, "the client secret file %s is empty", path); return NULL; }
    char *s = strdup(buf);
    memset(buf, 0, sizeof buf);
    return s;
}

/* client_secret_file may start with "%d/" or "$CREDENTIALS_DIRECTORY/" (systemd's LoadCredential=
 * folder); other relative paths are relative to the config's folder. */
static char *expand_credentials(const hrs_config *c, const char *dir, const char *file, hrs_err *err)
{
    static const char *const prefixes[] = { "%d/", "$CREDENTIALS_DIRECTORY/", "${CREDENTIALS_DIRECTORY}/", NULL };
    for (size_t i = 0; prefixes[i]; i++) {
        size_t l = strlen(prefixes[i]);
        if (strncmp(file, prefixes[i], l) != 0) continue;
        const char *cd = getenv("CREDENTIALS_DIRECTORY");
        if (!cd || !*cd) {
            hrs_config_key_error(c, "client_secret_file", err, "directory.client_secret_file is '%s' but $CREDENTIALS_DIRECTORY is "
                      "not set (systemd sets it for a unit with LoadCredential=)", file);
            return NULL;
        }
        size_t n = strlen(cd) + strlen(file) + 2;
        char *p = malloc(n);
        if (p) snprintf(p, n, "%s/%s", cd, file + l);
        else hrs_err_set(err, "out of memory");
        return p;
    }
    char *p = resolve(dir, file);
    if (!p) hrs_err_set(err, "out of memory");
    return p;
}

int hrs_config_line_of(const hrs_config *c, const char *key)
{
    return line_of_key(c->path, key);
}

int hrs_config_check_keys(const hrs_config *c, const json_t *obj, const char *const *known, const char *section, hrs_err *err)
{
    return check_keys(c, obj, known, section, err);
}

static int load_directory(hrs_config *c, const char *dir, int offline, hrs_err *err)
{
    const json_t *d = json_object_get(c->root, "directory");
    if (!json_is_object(d)) return hrs_err_set(err, "%s: the config has no 'directory' table", c->path);
    if (check_keys(c, d, dir_keys, "directory.", err) != 0) return -1;
    const char *type = str_of(d, "type");
    if (type && strcmp(type, "entra") != 0) return hrs_config_key_error(c, "type", err, "directory.type '%s' is not known (known: entra)", type);
    const char *need[] = { "tenant", "client_id" };
    for (size_t i = 0; i < 2; i++)
        if (!str_of(d, need[i]) || !*str_of(d, need[i]))
            return hrs_err_set(err, "%s: directory.%s is required", c->path, need[i]);
    c->directory.tenant = strdup(str_of(d, "tenant"));
    c->directory.client_id = strdup(str_of(d, "client_id"));
    c->directory.graph_url = strdup(str_of(d, "graph_url") ? str_of(d, "graph_url") : "https://graph.microsoft.com/v1.0");
    c->directory.login_url = strdup(str_of(d, "login_url") ? str_of(d, "login_url") : "https://login.microsoftonline.com");
    c->directory.scope = strdup(str_of(d, "scope") ? str_of(d, "scope") : "https://graph.microsoft.com/.default");
    json_t *to = json_object_get(d, "timeout");
    c->directory.timeout_s = json_is_integer(to) ? (long)json_integer_value(to) : 60;
    /* A certificate (directory.client_certificate_file, + client_key_file) signs in instead of a
     * secret: its paths are relative to the config's folder (graph_config.c reads them). */
    const char *const cert_keys[] = { "client_certificate_file", "client_key_file" };
    for (size_t i = 0; i < 2; i++) {
        const char *f = str_of(d, cert_keys[i]);
        if (!f) continue;
        char *r = *f ? expand_credentials(c, dir, f, err) : NULL;
        if (!r) return *f ? -1 : hrs_config_key_error(c, cert_keys[i], err, "directory.%s is empty", cert_keys[i]);
        json_object_set_new((json_t *)d, cert_keys[i], json_string(r));
        free(r);
    }
    if (offline) return 0; /* hrs_config_load_offline: no secret */
    const char *env = str_of(d, "client_secret_env"), *file = str_of(d, "client_secret_file");
    if (str_of(d, "client_certificate_file") && !env && !file) return 0; /* graph_config.c loads the certificate */
    if (env) {
        const char *v = getenv(env);
        if (!v || !*v) return hrs_err_set(err, "%s: directory.client_secret_env names %s, which is not set", c->path, env);
        c->directory.client_secret = strdup(v);
    } else if (file) {
        char *p = expand_credentials(c, dir, file, err);
        c->directory.client_secret = p ? read_secret_file(p, err) : NULL;
        free(p);
        if (!c->directory.client_secret) return -1;
    } else {
        return hrs_err_set(err, "%s: directory needs client_secret_env (an environment variable), client_secret_file or "
                           "client_certificate_file", c->path);
    }
    hrs_log_add_secret(c->directory.client_secret);
    if (!c->directory.tenant || !c->directory.client_id || !c->directory.graph_url || !c->directory.login_url ||
        !c->directory.scope || !c->directory.client_secret)
        return hrs_err_set(err, "out of memory");
    return 0;
}

static int valid_date(const char *s)
{
    int y, m, d;
    char extra;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &extra) != 3) return 0;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1]) return 0;
    if (m == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) return 0;
    return 1;
}

static int pick_today(hrs_config *c, const json_t *overrides, hrs_err *err)
{
    const char *v = overrides ? str_of(overrides, "now") : NULL;
    const char *from = "the override 'now'";
    if (!v && getenv("HRSYNC_NOW") && *getenv("HRSYNC_NOW")) { v = getenv("HRSYNC_NOW"); from = "HRSYNC_NOW"; }
    if (!v && str_of(c->root, "now")) { v = str_of(c->root, "now"); from = "now"; }
    if (v) {
        int64_t instant;
        if (!valid_date(v) && (strlen(v) >= sizeof c->now || hrs_tz_parse_instant(v, &instant) != 0))
            return hrs_config_key_error(c, "now", err, "%s is '%s', expected a date YYYY-MM-DD or an instant "
                             "YYYY-MM-DDThh:mm:ssZ (or with an offset ±hh:mm)", from, v);
        snprintf(c->today, sizeof c->today, "%.10s", v);
        snprintf(c->now, sizeof c->now, "%s", v);
        return 0;
    }
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(c->today, sizeof c->today, "%Y-%m-%d", &tm);
    return 0;
}

static hrs_config *load(const char *path, const json_t *overrides, int offline, hrs_err *err);

/* Resolves the file names of a source table (or its `secrets` table) against the config's
 * folder: path, script, and every key ending in _file (client_secret_file, token_file, …). */
static void resolve_source_paths(json_t *t, const char *dir)
{
    if (!json_is_object(t)) return;
    for (void *it = json_object_iter(t); it; it = json_object_iter_next(t, it)) {
        const char *k = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);
        size_t l = strlen(k);
        if (!json_is_string(v) || !(strcmp(k, "path") == 0 || strcmp(k, "script") == 0 ||
                                    (l > 5 && strcmp(k + l - 5, "_file") == 0)))
            continue;
        char *r = resolve(dir, json_string_value(v));   /* a new value: v may be shared */
        if (r) json_object_iter_set_new(t, it, json_string(r));
        free(r);
    }
}

hrs_config *hrs_config_load(const char *path, const json_t *overrides, hrs_err *err)
{
    return load(path, overrides, 0, err);
}

hrs_config *hrs_config_load_offline(const char *path, const json_t *overrides, hrs_err *err)
{
    return load(path, overrides, 1, err);
}

static hrs_config *load(const char *path, const json_t *overrides, int offline, hrs_err *err)
{
    hrs_config *c = calloc(1, sizeof *c);
    if (!c || !(c->path = strdup(path))) { free(c); hrs_err_set(err, "out of memory"); return NULL; }
    char *dir = dir_of(path);
    c->root = run_config(path, err);
    if (!c->root) goto fail;
    if (overrides) merge(c->root, overrides);
    if (check_keys(c, c->root, top_keys, "", err) != 0) goto fail;
    if (pick_today(c, overrides, err) != 0) goto fail;

    json_t *src = json_object_get(c->root, "source");
    if (!json_is_object(src)) { hrs_err_set(err, "%s: the config has no 'source' table", path); goto fail; }
    resolve_source_paths(src, dir);
    resolve_source_paths(json_object_get(src, "secrets"), dir);
    c->source = src;
    const char *pol = str_of(c->root, "policy");
    if (!pol) { hrs_err_set(err, "%s: the config has no 'policy' (the policy file)", path); goto fail; }
    c->policy_path = resolve(dir, pol);
    c->state_path = resolve(dir, str_of(c->root, "state") ? str_of(c->root, "state") : "hrsync.db");
    const char *lib = str_of(c->root, "lib_dir");
    c->lib_dir = lib ? resolve(dir, lib) : hrs_config_find_lib_dir();
    if (!c->lib_dir) { hrs_err_set(err, "cannot find the hrsync Lua library (set HRSYNC_LIB_DIR)"); goto fail; }
    if (load_directory(c, dir, offline, err) != 0) goto fail;
    free(dir);
    return c;
fail:
    free(dir);
    hrs_config_free(c);
    return NULL;
}

void hrs_config_free(hrs_config *c)
{
    if (!c) return;
    json_decref(c->root);
    free(c->path);
    free(c->policy_path);
    free(c->state_path);
    free(c->lib_dir);
    free(c->directory.graph_url);
    free(c->directory.login_url);
    free(c->directory.tenant);
    free(c->directory.client_id);
    if (c->directory.client_secret) {
        memset(c->directory.client_secret, 0, strlen(c->directory.client_secret));
        free(c->directory.client_secret);
    }
    free(c->directory.scope);
    free(c);
}
