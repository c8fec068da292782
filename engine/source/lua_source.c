/* lua_source.c: HR sources scripted in Lua.
 *
 *   source = { type = "lua", script = "bamboohr.lua", hosts = { "api.bamboohr.com" },
 *              secrets = { api_key_env = "BAMBOOHR_API_KEY" }, company = "example", … }
 *
 * The script runs in the policy sandbox (policy_sandbox.h: no io, no os.execute, `require` of
 * its own folder and the shipped library, an instruction budget and a memory cap) with two
 * globals: `http` (lua_api.c: requests to the configured hosts only, auth helpers,
 * rate limits, 429 back-off and retries done in C, secrets by handle, never by value) and
 * `config` (the source table without type, script, hosts, secrets, fields, statuses,
 * rate_limit, timeout and max_shrink). It returns a list of records and, optionally, a list of
 * problems { { id = …, index = …, reason = … } } for records it could not read. Each record is
 * a table of person fields (with an optional `raw`), or any table when source.fields maps
 * person fields to its keys or dot paths. A script not found where the config says is looked
 * up among the shipped scripts (scripts/sources/). */
#include "hrsync/config.h"
#include "hrsync/log.h"
#include "hrsync/person.h"
#include "hrsync/policy_convert.h"
#include "hrsync/source.h"
#include "lua_source.h"
#include "source_internal.h"

#include <errno.h>
#include <lauxlib.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LSRC_BUDGET 500000000L            /* instructions for the whole read */
#define LSRC_MEMORY ((size_t)512 << 20)   /* bytes the VM may hold */

/* Keys that hrsync reads; everything else goes to the script as `config`. */
static const char *const own_keys[] = {
    "type", "script", "hosts", "secrets", "fields", "statuses", "rate_limit", "timeout",
    "max_shrink", NULL,
};
/* Names that look like secrets written inline. */
static const char *const inline_secrets[] = {
    "client_secret", "token", "api_key", "password", "secret", "access_token", NULL,
};

static int is_own_key(const char *k)
{
    for (size_t i = 0; own_keys[i]; i++)
        if (strcmp(own_keys[i], k) == 0) return 1;
    return 0;
}

static void lsrc_free(lsrc *ctx)
{
    if (!ctx) return;
    hrs_policy_sandbox_close(&ctx->sb);
    hrs_lua_source_scratch_free(ctx);
    for (size_t i = 0; i < ctx->nsecrets; i++) {
        free(ctx->secret_names[i]);
        memset(ctx->secret_values[i], 0, strlen(ctx->secret_values[i]));
        free(ctx->secret_values[i]);
    }
    for (size_t i = 0; i < ctx->nauths; i++) {
        char *h = ctx->auths[i].header;
        if (h) memset(h, 0, strlen(h));
        free(h);
        json_t *body = json_object_get(ctx->auths[i].refresh, "body");
        if (json_is_string(body))                  /* the sign-in body holds credentials */
            memset((char *)json_string_value(body), 0, json_string_length(body));
        json_decref(ctx->auths[i].refresh);
    }
    json_decref(ctx->hosts);
    hrs_api_free(&ctx->api);
    free(ctx);
}

/* ---- configuration ---- */

static int read_secrets(lsrc *ctx, const json_t *cfg, hrs_err *err)
{
    const json_t *sec = json_object_get(cfg, "secrets");
    if (!sec || json_is_null(sec)) return 0;
    if (!json_is_object(sec))
        return hrs_err_set(err, "%s: `secrets` must be a table such as { api_key_env = "
                           "\"BAMBOOHR_API_KEY\" } or { api_key_file = \"/etc/hrsync/key\" }",
                           ctx->what);
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)sec, k, v) {
        size_t l = strlen(k), cut;
        if (l > 4 && strcmp(k + l - 4, "_env") == 0) cut = l - 4;
        else if (l > 5 && strcmp(k + l - 5, "_file") == 0) cut = l - 5;
        else
            return hrs_err_set(err, "%s: secrets.%s: secrets are not read from the config; name "
                               "an environment variable (secrets.%s_env) or a file "
                               "(secrets.%s_file)", ctx->what, k, k, k);
        if (ctx->nsecrets == LSRC_MAX_SECRETS)
            return hrs_err_set(err, "%s: more than %d secrets", ctx->what, LSRC_MAX_SECRETS);
        char name[96];
        snprintf(name, sizeof name, "%.*s", (int)cut, k);
        for (size_t i = 0; i < ctx->nsecrets; i++)
            if (strcmp(ctx->secret_names[i], name) == 0)
                return hrs_err_set(err, "%s: the secret %s is named twice (by %s_env and %s_file)",
                                   ctx->what, name, name, name);
        char *value;
        if (hrs_api_secret(sec, ctx->what, name, 1, &value, err) != 0) return -1;
        ctx->secret_names[ctx->nsecrets] = strdup(name);
        ctx->secret_values[ctx->nsecrets] = value;
        if (!ctx->secret_names[ctx->nsecrets]) {
            memset(value, 0, strlen(value));
            free(value);
            return hrs_err_set(err, "%s: out of memory", ctx->what);
        }
        ctx->nsecrets++;
        hrs_api_add_secret(&ctx->api, value);
    }
    return 0;
}

static int read_hosts(lsrc *ctx, const json_t *cfg, hrs_err *err)
{
    const json_t *hosts = json_object_get(cfg, "hosts");
    if (!json_is_array(hosts) || json_array_size(hosts) == 0)
        return hrs_err_set(err, "%s: `hosts` must list the host names the script may reach, e.g. "
                           "hosts = { \"api.bamboohr.com\" }", ctx->what);
    ctx->hosts = json_array();
    if (!ctx->hosts) return hrs_err_set(err, "%s: out of memory", ctx->what);
    size_t i;
    json_t *h;
    json_array_foreach(hosts, i, h) {
        const char *s = json_string_value(h);
        if (!s || !*s || strpbrk(s, "/?#@ "))
            return hrs_err_set(err, "%s: hosts[%zu] must be a host name (optionally with :port), "
                               "not a URL", ctx->what, i + 1);
        char low[300];
        snprintf(low, sizeof low, "%s", s);
        for (char *c = low; *c; c++)
            if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
        json_array_append_new(ctx->hosts, json_string(low));
    }
    return 0;
}

/* Finds the script: as configured, else among the shipped scripts. abs gets its real path. */
static int find_script(lsrc *ctx, const char *script, const char *lib, char abs[PATH_MAX],
                       hrs_err *err)
{
    if (realpath(script, abs)) return 0;
    int e = errno;
    if (lib) {
        const char *base = strrchr(script, '/');
        char shipped[PATH_MAX + 64];
        snprintf(shipped, sizeof shipped, "%s/sources/%s", lib, base ? base + 1 : script);
        if (realpath(shipped, abs)) {
            hrs_info("%s: using the shipped script %s", ctx->what, abs);
            return 0;
        }
    }
    return hrs_err_set(err, "%s: cannot open the script %s: %s", ctx->what, script, strerror(e));
}

static int configure(lsrc *ctx, const json_t *cfg, char abs[PATH_MAX], hrs_err *err)
{
    const char *script;
    double ps = 0, pm = 0;
    long timeout;
    snprintf(ctx->what, sizeof ctx->what, "Lua source");
    if (hrs_source_cfg_string(cfg, ctx->what, "script", &script, err) != 0) return -1;
    if (!script) return hrs_err_set(err, "Lua source: `script` is required (the Lua file)");
    const char *base = strrchr(script, '/');
    snprintf(ctx->what, sizeof ctx->what, "Lua source %.200s", base ? base + 1 : script);
    for (size_t i = 0; inline_secrets[i]; i++)
        if (json_object_get(cfg, inline_secrets[i]))
            return hrs_err_set(err, "%s: `%s`: secrets are not read from the config; name them in "
                               "source.secrets (%s_env = \"VARIABLE\" or %s_file = \"path\") and "
                               "use http.secret(\"%s\") in the script", ctx->what,
                               inline_secrets[i], inline_secrets[i], inline_secrets[i],
                               inline_secrets[i]);
    const json_t *fields = json_object_get(cfg, "fields"), *statuses = json_object_get(cfg, "statuses");
    if (fields && !json_is_null(fields)) {
        const char *f;
        json_t *v;
        if (!json_is_object(fields))
            return hrs_err_set(err, "%s: `fields` must be a table of person field = record key or "
                               "dot path", ctx->what);
        json_object_foreach((json_t *)fields, f, v)
            if (!json_is_string(v) || json_string_length(v) == 0 || strcmp(f, "raw") == 0)
                return hrs_err_set(err, "%s: fields.%s must name a record key or dot path (and "
                                   "\"raw\" is reserved)", ctx->what, f);
    }
    if (statuses && !json_is_null(statuses)) {
        size_t i;
        json_t *v;
        if (!json_is_array(statuses))
            return hrs_err_set(err, "%s: `statuses` must list the known statuses", ctx->what);
        json_array_foreach(statuses, i, v)
            if (!json_is_string(v))
                return hrs_err_set(err, "%s: statuses[%zu] must be a string", ctx->what, i + 1);
    }
    if (hrs_api_cfg_int(cfg, ctx->what, "timeout", 1, 3600, 60, &timeout, err) != 0 ||
        hrs_api_cfg_rate_limit(cfg, ctx->what, &ps, &pm, err) != 0 ||
        hrs_api_init(&ctx->api, ctx->what, timeout, ps, pm, err) != 0)
        return -1;
    ctx->api.what = ctx->what;
    if (read_hosts(ctx, cfg, err) != 0 || read_secrets(ctx, cfg, err) != 0) return -1;
    char *lib = hrs_config_find_lib_dir();
    int rc = find_script(ctx, script, lib, abs, err);
    if (rc == 0) {
        ctx->sb.lib_dir[0] = '\0';
        if (lib && !realpath(lib, ctx->sb.lib_dir)) ctx->sb.lib_dir[0] = '\0';
        const char *slash = strrchr(abs, '/');
        snprintf(ctx->sb.policy_dir, sizeof ctx->sb.policy_dir, "%.*s",
                 (int)(slash && slash != abs ? slash - abs : 1), abs);
    }
    free(lib);
    return rc;
}

/* ---- running the script ---- */

/* Protected: env (1) gets http and config; ctx (2) and the config JSON (3) as light userdata. */
static int l_install(lua_State *L)
{
    lsrc *ctx = lua_touserdata(L, 2);
    const json_t *config = lua_touserdata(L, 3);
    hrs_lua_source_push_http(L, ctx);
    lua_setfield(L, 1, "http");
    hrs_policy_convert_push(L, config);
    lua_setfield(L, 1, "config");
    return 0;
}

/* The config the script sees: the source table without hrsync's own keys. New object. */
static json_t *script_config(const json_t *cfg)
{
    json_t *c = json_object();
    const char *k;
    json_t *v;
    if (!c) return NULL;
    json_object_foreach((json_t *)cfg, k, v)
        if (!is_own_key(k) && json_object_set(c, k, v) != 0) {
            json_decref(c);
            return NULL;
        }
    return c;
}

/* Runs the script; leaves records (1) and problems (2) on the stack. */
static int run(lsrc *ctx, const json_t *cfg, const char *abs, hrs_err *err)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    if (strftime(ctx->sb.today, sizeof ctx->sb.today, "%Y-%m-%d", &tm) != 10)
        return hrs_err_set(err, "%s: cannot read the clock", ctx->what);
    if (hrs_policy_sandbox_parse_day(ctx->sb.today, &ctx->sb.now, err) != 0) return -1;
    ctx->sb.budget = LSRC_BUDGET;
    ctx->sb.mem_limit = LSRC_MEMORY;
    if (hrs_policy_sandbox_open(&ctx->sb, err) != 0) return -1;
    lua_State *L = ctx->sb.L;
    const char *display = strrchr(abs, '/') ? strrchr(abs, '/') + 1 : abs;
    if (hrs_policy_sandbox_loadfile(&ctx->sb, abs, display, err) != 0) return -1;   /* fn, env */
    json_t *config = script_config(cfg);
    if (!config) return hrs_err_set(err, "%s: out of memory", ctx->what);
    lua_pushcfunction(L, l_install);
    lua_pushvalue(L, -2);
    lua_pushlightuserdata(L, ctx);
    lua_pushlightuserdata(L, config);
    int st = lua_pcall(L, 3, 0, 0);
    json_decref(config);
    if (st != LUA_OK) return hrs_err_set(err, "%s: %s", ctx->what, lua_tostring(L, -1));
    lua_pop(L, 1);                                                              /* fn */
    hrs_policy_failure kind;
    if (hrs_policy_sandbox_call(&ctx->sb, 0, 2, ctx->what, NULL, &kind, err) != 0) {
        hrs_api_redact(&ctx->api, err);
        char *trace = strstr(err->msg, "\nstack traceback:");
        if (trace) {
            hrs_debug("%s", err->msg);
            *trace = '\0';
        }
        /* "…failed: x.lua:35: Lua source x.lua: cannot reach…": name the source once. */
        char twice[340];
        snprintf(twice, sizeof twice, ": %s: ", ctx->what);
        char *dup = strstr(err->msg, twice);
        if (dup) memmove(dup + 2, dup + strlen(twice), strlen(dup + strlen(twice)) + 1);
        return -1;
    }
    hrs_lua_source_scratch_free(ctx);
    if (lua_type(L, 1) != LUA_TTABLE)
        return hrs_err_set(err, "%s: the script must return a list of records (it returned %s)",
                           ctx->what, lua_type(L, 1) == LUA_TNIL ? "nothing" : luaL_typename(L, 1));
    if (!lua_isnil(L, 2) && lua_type(L, 2) != LUA_TTABLE)
        return hrs_err_set(err, "%s: the script's second result must be a list of problems "
                           "{ id =, index =, reason = } (it is a %s)", ctx->what, luaL_typename(L, 2));
    return 0;
}

/* ---- records ---- */

/* The reason a status is refused, or NULL when statuses is not set or it is known. */
static int status_ok(const json_t *statuses, const json_t *status, char *why, size_t n)
{
    if (!json_is_array(statuses) || !json_is_string(status)) return 1;
    char low[80];
    snprintf(low, sizeof low, "%s", json_string_value(status));
    for (char *c = low; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    size_t i, o;
    json_t *s;
    json_array_foreach(statuses, i, s)
        if (strcasecmp(json_string_value(s), low) == 0) return 1;
    o = (size_t)snprintf(why, n, "status \"%.60s\" is not one of the known statuses (",
                         json_string_value(status));
    json_array_foreach(statuses, i, s)
        if (o < n) o += (size_t)snprintf(why + o, n - o, "%s%s", i ? ", " : "", json_string_value(s));
    if (o < n) snprintf(why + o, n - o, ")");
    return 0;
}

/* Hands record i (1-based, on the stack at the top) to the set. */
static int add_record(lsrc *ctx, lua_State *L, const json_t *cfg, lua_Integer i,
                      hrs_person_set *set, hrs_err *err)
{
    hrs_person_where where = { "index", (long)(i - 1) };
    char why[600], what[64];
    snprintf(what, sizeof what, "record %lld", (long long)i);
    if (lua_type(L, -1) != LUA_TTABLE) {
        snprintf(why, sizeof why, "record %lld is a %s, not a table of fields", (long long)i,
                 luaL_typename(L, -1));
        return hrs_person_set_reject(set, where, NULL, why, err);
    }
    json_t *rec = hrs_lua_source_to_json(L, -1, NULL, what, why, sizeof why);
    if (!rec || !json_is_object(rec)) {
        if (rec) snprintf(why, sizeof why, "record %lld is a list, not a table of fields", (long long)i);
        json_decref(rec);
        return hrs_person_set_reject(set, where, NULL, why, err);
    }
    const json_t *fields = json_object_get(cfg, "fields");
    json_t *mapped = NULL, *raw = rec;
    if (json_is_object(fields)) {
        mapped = json_object();
        const char *f;
        json_t *path;
        json_object_foreach((json_t *)fields, f, path) {
            json_t *v = hrs_source_dot_get(rec, json_string_value(path));
            if (!mapped || json_object_set(mapped, f, v ? v : json_null()) != 0) {
                json_decref(mapped);
                json_decref(rec);
                return hrs_err_set(err, "%s: out of memory", ctx->what);
            }
        }
    } else if (json_is_object(json_object_get(rec, "raw"))) {
        raw = json_object_get(rec, "raw");
    }
    const json_t *use = mapped ? mapped : rec;
    int rc;
    if (!status_ok(json_object_get(cfg, "statuses"), json_object_get(use, "status"), why, sizeof why)) {
        json_t *id = json_object_get(use, "id");
        char idbuf[64] = "";
        if (json_is_string(id)) snprintf(idbuf, sizeof idbuf, "%s", json_string_value(id));
        else if (json_is_integer(id)) snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        rc = hrs_person_set_reject(set, where, idbuf[0] ? idbuf : NULL, why, err);
    } else {
        rc = hrs_person_set_add_shared(set, where, use, raw, err);
    }
    json_decref(mapped);
    json_decref(rec);
    return rc;
}

/* The script's own problems list at index 2. */
static int add_problems(lsrc *ctx, lua_State *L, hrs_person_set *set, hrs_err *err)
{
    if (lua_type(L, 2) != LUA_TTABLE) return 0;
    char why[300];
    json_t *list = hrs_lua_source_to_json(L, 2, NULL, "problems", why, sizeof why);
    if (!list) return hrs_err_set(err, "%s: %s", ctx->what, why);
    size_t i;
    json_t *p;
    int rc = 0;
    json_array_foreach(list, i, p) {
        json_t *id = json_object_get(p, "id"), *idx = json_object_get(p, "index");
        const char *reason = json_string_value(json_object_get(p, "reason"));
        char idbuf[64] = "";
        if (json_is_string(id)) snprintf(idbuf, sizeof idbuf, "%s", json_string_value(id));
        else if (json_is_integer(id)) snprintf(idbuf, sizeof idbuf, "%" JSON_INTEGER_FORMAT, json_integer_value(id));
        hrs_person_where where = { json_is_integer(idx) ? "index" : NULL,
                                   json_is_integer(idx) ? (long)json_integer_value(idx) : 0 };
        if ((rc = hrs_person_set_reject(set, where, idbuf[0] ? idbuf : NULL,
                                        reason ? reason : "the script could not read this record",
                                        err)) != 0)
            break;
    }
    json_decref(list);
    return rc;
}

int hrs_source_lua_read(const json_t *cfg, hrs_source_result *out, hrs_err *err)
{
    hrs_person_set set = { NULL };
    char abs[PATH_MAX];
    int rc = -1;
    out->people = out->quarantine = NULL;
    out->partial = 0;
    if (!json_is_object(cfg)) return hrs_err_set(err, "Lua source: the configuration is not a table");
    lsrc *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return hrs_err_set(err, "Lua source: out of memory");
    if (configure(ctx, cfg, abs, err) != 0 || run(ctx, cfg, abs, err) != 0 ||
        hrs_person_set_init(&set, err) != 0)
        goto done;
    lua_State *L = ctx->sb.L;
    lua_Integer n = (lua_Integer)lua_rawlen(L, 1);
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        int r = add_record(ctx, L, cfg, i, &set, err);
        lua_pop(L, 1);
        if (r != 0) goto done;
    }
    if (add_problems(ctx, L, &set, err) != 0 || hrs_person_set_finish(&set, out, err) != 0) goto done;
    hrs_info("%s: %zu people, %zu quarantined (%ld requests, %ld throttled)", ctx->what,
             json_array_size(out->people), json_array_size(out->quarantine), ctx->api.requests,
             ctx->api.throttled);
    rc = 0;
done:
    if (rc != 0) hrs_api_redact(&ctx->api, err);
    hrs_person_set_free(&set);
    lsrc_free(ctx);
    return rc;
}
