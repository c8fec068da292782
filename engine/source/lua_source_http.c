/* lua_api.c: the `http` table a scripted source uses (see lua_source.h).
 *
 *   http.get(url [, opts]) / http.post(url [, opts]) / http.request(method, url [, opts])
 *       opts: query = { k = v, list = { a, b } (repeated k), obj = { sub = v } (k[sub]=v) },
 *             headers = { Name = "value" | secret }, auth = <auth>,
 *             json = table (secrets allowed as values) | form = table | body = "…",
 *             content_type = "…", any_status = true (no error on a non-2xx answer)
 *       → { status = 200, body = "…", json = <decoded, when the body is JSON> }
 *   http.secret(name)            a handle on the secret source.secrets names (never its value)
 *   http.basic(user, password)   an auth handle (each a string or a secret)
 *   http.bearer(token)           an auth handle
 *   http.token{ url =, json = | form =, path = "data.token", header = "Authorization",
 *               scheme = "Bearer", rotate = false }
 *       signs in now (POST) and returns an auth handle holding the token; a 401/403 later signs
 *       in once more and repeats the request; rotate takes a new token from the Authorization
 *       header of answers (Personio v1).
 * Only https URLs (or http to a loopback address) whose host is in source.hosts are reached;
 * the client does not follow redirects. Rate limits, 429 back-off and 5xx retries are done in C
 * (api.c). Secret values never reach Lua and are masked in every message. */
#include "hrsync/log.h"
#include "hrsync/policy_convert.h"
#include "lua_source.h"
#include "source_internal.h"

#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char secret_mt = 0;   /* registry keys: metatables of the handles */
static const char auth_mt = 0;

static lsrc *ctx_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

static void wipe_free(char *s)
{
    if (!s) return;
    memset(s, 0, strlen(s));
    free(s);
}

void hrs_lua_source_scratch_free(lsrc *ctx)
{
    hrs_api_buf_free(&ctx->url);
    hrs_api_buf_free(&ctx->body);
    for (size_t i = 0; i < ctx->nheaders; i++) wipe_free(ctx->headers[i]);
    ctx->nheaders = 0;
    ctx->headers[0] = NULL;
    hrs_http_response_clear(&ctx->resp);
    json_decref(ctx->pending);
    ctx->pending = NULL;
}

/* ---- handles ---- */

static void push_handle(lua_State *L, const void *mt, int index)
{
    int *h = lua_newuserdatauv(L, sizeof *h, 0);
    *h = index;
    lua_rawgetp(L, LUA_REGISTRYINDEX, mt);
    lua_setmetatable(L, -2);
}

/* The index held by the handle at idx if it has metatable mt, else -1. */
static int handle_of(lua_State *L, int idx, const void *mt)
{
    if (lua_type(L, idx) != LUA_TUSERDATA || !lua_getmetatable(L, idx)) return -1;
    lua_rawgetp(L, LUA_REGISTRYINDEX, mt);
    int same = lua_rawequal(L, -1, -2);
    lua_pop(L, 2);
    return same ? *(int *)lua_touserdata(L, idx) : -1;
}

static int l_secret_tostring(lua_State *L)
{
    lua_pushliteral(L, "secret(***)");
    return 1;
}

static int l_auth_tostring(lua_State *L)
{
    lua_pushliteral(L, "auth(***)");
    return 1;
}

/* The text at idx: a string, a number, a boolean, or (with secrets allowed) a secret's value.
 * Raises for anything else, naming what. */
static const char *text_arg(lua_State *L, lsrc *ctx, int idx, const char *what)
{
    int s = handle_of(L, idx, &secret_mt);
    if (s >= 0) {
        if (!ctx) luaL_error(L, "%s cannot be a secret (secrets go in headers and bodies only)", what);
        return ctx->secret_values[s];
    }
    switch (lua_type(L, idx)) {
    case LUA_TSTRING:
    case LUA_TNUMBER:
        return lua_tostring(L, idx);
    case LUA_TBOOLEAN:
        return lua_toboolean(L, idx) ? "true" : "false";
    default:
        luaL_error(L, "%s must be a string, a number, a boolean or a secret (it is a %s)", what,
                   luaL_typename(L, idx));
        return NULL;
    }
}

/* http.secret(name) */
static int l_secret(lua_State *L)
{
    lsrc *ctx = ctx_of(L);
    const char *name = luaL_checkstring(L, 1);
    for (size_t i = 0; i < ctx->nsecrets; i++)
        if (strcmp(ctx->secret_names[i], name) == 0) {
            push_handle(L, &secret_mt, (int)i);
            return 1;
        }
    return luaL_error(L, "no secret named '%s' (name it in source.secrets as %s_env or %s_file)",
                      name, name, name);
}

/* Keeps header (owned, "Name: value") as a new auth handle and pushes it. */
static int new_auth(lua_State *L, lsrc *ctx, char *header, int rotate)
{
    if (!header) return luaL_error(L, "out of memory");
    if (ctx->nauths == LSRC_MAX_AUTHS) {
        wipe_free(header);
        return luaL_error(L, "more than %d auth handles", LSRC_MAX_AUTHS);
    }
    lsrc_auth *a = &ctx->auths[ctx->nauths];
    memset(a, 0, sizeof *a);
    a->header = header;
    a->rotate = rotate;
    push_handle(L, &auth_mt, (int)ctx->nauths++);
    return 1;
}

static char *base64(const char *s)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = strlen(s), o = 0;
    char *out = malloc((n + 2) / 3 * 4 + 1);
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned char)s[i] << 16;
        if (i + 1 < n) v |= (unsigned char)s[i + 1] << 8;
        if (i + 2 < n) v |= (unsigned char)s[i + 2];
        out[o++] = tbl[(v >> 18) & 63];
        out[o++] = tbl[(v >> 12) & 63];
        out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
        out[o++] = i + 2 < n ? tbl[v & 63] : '=';
    }
    out[o] = '\0';
    return out;
}

/* "Name: value" in a new string (NULL when out of memory). */
static char *header_line(const char *name, const char *value)
{
    size_t n = strlen(name) + strlen(value) + 3;
    char *h = malloc(n);
    if (h) snprintf(h, n, "%s: %s", name, value);
    return h;
}

/* http.basic(user, password) */
static int l_basic(lua_State *L)
{
    lsrc *ctx = ctx_of(L);
    const char *user = text_arg(L, ctx, 1, "the user of http.basic");
    const char *pass = lua_isnoneornil(L, 2) ? "" : text_arg(L, ctx, 2, "the password of http.basic");
    size_t n = strlen(user) + strlen(pass) + 2;
    char *pair = malloc(n), *enc = NULL, *hdr = NULL;
    if (pair) {
        snprintf(pair, n, "%s:%s", user, pass);
        enc = base64(pair);
        wipe_free(pair);
    }
    if (enc) {
        hrs_api_add_secret(&ctx->api, enc);
        size_t hn = strlen(enc) + 7;
        char *v = malloc(hn);
        if (v) {
            snprintf(v, hn, "Basic %s", enc);
            hdr = header_line("Authorization", v);
            wipe_free(v);
        }
        wipe_free(enc);
    }
    return new_auth(L, ctx, hdr, 0);
}

/* http.bearer(token) */
static int l_bearer(lua_State *L)
{
    lsrc *ctx = ctx_of(L);
    const char *token = text_arg(L, ctx, 1, "the token of http.bearer");
    hrs_api_add_secret(&ctx->api, token);
    size_t n = strlen(token) + 8;
    char *v = malloc(n), *hdr = NULL;
    if (v) {
        snprintf(v, n, "Bearer %s", token);
        hdr = header_line("Authorization", v);
        wipe_free(v);
    }
    return new_auth(L, ctx, hdr, 0);
}

/* ---- URLs and hosts ---- */

static int is_loopback(const char *host)
{
    return strcmp(host, "127.0.0.1") == 0 || strcmp(host, "::1") == 0 ||
           strcmp(host, "localhost") == 0;
}

/* Checks that url is https (or http to a loopback host) and its host is allowed. Raises with a
 * message naming the host otherwise. */
static void check_url(lua_State *L, lsrc *ctx, const char *url)
{
    int https = strncasecmp(url, "https://", 8) == 0;
    if (!https && strncasecmp(url, "http://", 7) != 0)
        luaL_error(L, "%s: only http(s) URLs can be reached (got \"%.80s\")", ctx->what, url);
    const char *h = url + (https ? 8 : 7);
    size_t len = strcspn(h, "/?#");
    if (memchr(h, '@', len))
        luaL_error(L, "%s: URLs with credentials in them are refused; use http.basic or "
                   "http.bearer", ctx->what);
    char host[300], port[16] = "";
    const char *end = h + len, *colon;
    if (*h == '[') {                                 /* [v6]:port */
        const char *close = memchr(h, ']', len);
        if (!close) luaL_error(L, "%s: bad URL \"%.80s\"", ctx->what, url);
        snprintf(host, sizeof host, "%.*s", (int)(close - h - 1), h + 1);
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = memchr(h, ':', len);
        snprintf(host, sizeof host, "%.*s", (int)((colon ? colon : end) - h), h);
    }
    if (colon) snprintf(port, sizeof port, "%.*s", (int)(end - colon - 1), colon + 1);
    for (char *c = host; *c; c++)
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
    if (!host[0]) luaL_error(L, "%s: the URL \"%.80s\" has no host", ctx->what, url);
    size_t i;
    json_t *allowed;
    int ok = 0;
    json_array_foreach(ctx->hosts, i, allowed) {
        const char *a = json_string_value(allowed);
        const char *ac = a[0] == '[' ? strstr(a, "]:") : strrchr(a, ':');
        if (a[0] != '[' && ac && strchr(a, ':') != ac) ac = NULL;   /* a bare IPv6 address */
        char ahost[300];
        snprintf(ahost, sizeof ahost, "%.*s", (int)(ac ? ac - a : (long)strlen(a)), a);
        if (ahost[0] == '[') {
            memmove(ahost, ahost + 1, strlen(ahost));
            ahost[strcspn(ahost, "]")] = '\0';
        }
        if (strcmp(ahost, host) != 0) continue;
        if (ac && strcmp(ac + (a[0] == '[' ? 2 : 1), port) != 0) continue;
        ok = 1;
        break;
    }
    if (!ok) {
        char list[400] = "";
        size_t o = 0;
        json_array_foreach(ctx->hosts, i, allowed) {
            int w = snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", json_string_value(allowed));
            if (w < 0 || (size_t)w >= sizeof list - o) break;
            o += (size_t)w;
        }
        luaL_error(L, "%s: the host \"%s\" is not in source.hosts (allowed: %s)", ctx->what, host,
                   list[0] ? list : "none");
    }
    if (!https && !is_loopback(host))
        luaL_error(L, "%s: http://%s is refused: use https (plain http only reaches loopback "
                   "addresses)", ctx->what, host);
}

/* Appends the query table at idx to ctx->url (k=v, lists repeat k, tables nest as k[sub]). */
static void add_query(lua_State *L, lsrc *ctx, int idx, const char *prefix, int depth)
{
    if (depth > 8) luaL_error(L, "the query nests too deep");
    idx = lua_absindex(L, idx);
    lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        char key[512];
        if (len > 0 && lua_isinteger(L, -2)) {
            if (!prefix) luaL_error(L, "the query is a list; give it names: { name = value }");
            snprintf(key, sizeof key, "%s", prefix);
        } else if (lua_type(L, -2) == LUA_TSTRING) {
            const char *k = lua_tostring(L, -2);
            if (prefix) snprintf(key, sizeof key, "%s[%s]", prefix, k);
            else snprintf(key, sizeof key, "%s", k);
        } else {
            luaL_error(L, "query keys must be strings");
        }
        if (lua_type(L, -1) == LUA_TTABLE) {
            add_query(L, ctx, -1, key, depth + 1);
        } else {
            const char *v = text_arg(L, NULL, -1, "a query value");
            hrs_api_buf_query(&ctx->url, key, v);
        }
        lua_pop(L, 1);
    }
}

/* Adds "Name: value" to the request's headers. */
static void add_header(lua_State *L, lsrc *ctx, const char *name, const char *value)
{
    if (ctx->nheaders == LSRC_MAX_HEADERS) luaL_error(L, "more than %d headers", LSRC_MAX_HEADERS);
    if (strpbrk(name, ":\r\n") || strpbrk(value, "\r\n"))
        luaL_error(L, "the header %s has a line break or a colon in its name", name);
    char *h = header_line(name, value);
    if (!h) luaL_error(L, "out of memory");
    ctx->headers[ctx->nheaders++] = h;
    ctx->headers[ctx->nheaders] = NULL;
}

static int has_header(const lsrc *ctx, const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < ctx->nheaders; i++)
        if (strncasecmp(ctx->headers[i], name, n) == 0 && ctx->headers[i][n] == ':') return 1;
    return 0;
}

/* Builds a form body from the table at idx into ctx->body. */
static void form_body(lua_State *L, lsrc *ctx, int idx)
{
    idx = lua_absindex(L, idx);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "form keys must be strings");
        const char *v = text_arg(L, ctx, -1, "a form value");
        char *ek = hrs_http_escape(lua_tostring(L, -2)), *ev = hrs_http_escape(v);
        if (ek && ev) {
            if (ctx->body.len) hrs_api_buf_add(&ctx->body, "&");
            hrs_api_buf_add(&ctx->body, ek);
            hrs_api_buf_add(&ctx->body, "=");
            hrs_api_buf_add(&ctx->body, ev);
        } else {
            ctx->body.oom = 1;
        }
        free(ek);
        wipe_free(ev);
        lua_pop(L, 1);
    }
}

/* Sets ctx->body from opts.json / opts.form / opts.body (opts at idx). Returns the content
 * type, or NULL without a body. */
static const char *request_body(lua_State *L, lsrc *ctx, int idx)
{
    const char *type = NULL;
    if (lua_getfield(L, idx, "json") != LUA_TNIL) {
        char why[300];
        ctx->pending = hrs_lua_source_to_json(L, -1, ctx, "opts.json", why, sizeof why);
        if (!ctx->pending) luaL_error(L, "%s", why);
        char *text = json_dumps(ctx->pending, JSON_COMPACT | JSON_ENCODE_ANY);
        json_decref(ctx->pending);
        ctx->pending = NULL;
        if (!text) luaL_error(L, "out of memory");
        hrs_api_buf_add(&ctx->body, text);
        wipe_free(text);
        type = "application/json";
    } else if (lua_getfield(L, idx, "form") != LUA_TNIL) {
        if (!lua_istable(L, -1)) luaL_error(L, "opts.form must be a table of name = value");
        form_body(L, ctx, -1);
        type = "application/x-www-form-urlencoded";
    } else if (lua_getfield(L, idx, "body") != LUA_TNIL) {
        size_t n;
        const char *b = luaL_checklstring(L, -1, &n);
        hrs_api_buf_addn(&ctx->body, b, n);
        type = "text/plain";
    }
    lua_settop(L, idx);
    if (lua_getfield(L, idx, "content_type") == LUA_TSTRING) type = lua_tostring(L, -1);
    lua_pop(L, 1);
    if (ctx->body.oom) luaL_error(L, "out of memory");
    return ctx->body.p ? type : NULL;
}

/* Sends the request prepared in ctx; signs in again once on 401/403 when the auth can. */
static void send(lua_State *L, lsrc *ctx, const char *method, int auth, size_t auth_pos)
{
    const char *body = ctx->body.p;
    size_t len = ctx->body.len;
    for (int attempt = 0;; attempt++) {
        hrs_err err;
        hrs_err_clear(&err);
        hrs_http_response_clear(&ctx->resp);
        if (hrs_api_send(&ctx->api, method, ctx->url.p, (const char *const *)ctx->headers, body,
                         len, &ctx->resp, &err) != 0)
            luaL_error(L, "%s", err.msg);
        long st = ctx->resp.status;
        if (attempt == 0 && auth >= 0 && ctx->auths[auth].refresh && (st == 401 || st == 403)) {
            hrs_debug("%s: HTTP %ld; signing in again", ctx->what, st);
            if (hrs_lua_source_sign_in(ctx, auth, &err) != 0) luaL_error(L, "%s", err.msg);
            wipe_free(ctx->headers[auth_pos]);
            ctx->headers[auth_pos] = strdup(ctx->auths[auth].header);
            if (!ctx->headers[auth_pos]) luaL_error(L, "out of memory");
            continue;
        }
        break;
    }
    const char *h = ctx->resp.authorization;
    if (auth >= 0 && ctx->auths[auth].rotate && ctx->resp.status / 100 == 2 &&
        strncasecmp(h, "Bearer ", 7) == 0 && h[7]) {
        char *nh = header_line("Authorization", h);
        if (nh) {
            hrs_api_add_secret(&ctx->api, h + 7);
            wipe_free(ctx->auths[auth].header);
            ctx->auths[auth].header = nh;
        }
    }
}

/* Pushes {status, body, json} for ctx->resp. */
static void push_response(lua_State *L, lsrc *ctx)
{
    lua_createtable(L, 0, 3);
    lua_pushinteger(L, ctx->resp.status);
    lua_setfield(L, -2, "status");
    lua_pushlstring(L, ctx->resp.body ? ctx->resp.body : "", ctx->resp.len);
    lua_setfield(L, -2, "body");
    if (ctx->resp.len) {
        ctx->pending = json_loadb(ctx->resp.body, ctx->resp.len, JSON_DECODE_ANY, NULL);
        if (ctx->pending) {
            hrs_policy_convert_push(L, ctx->pending);
            lua_setfield(L, -2, "json");
        }
    }
    hrs_lua_source_scratch_free(ctx);
}

/* The request behind http.get/post/request: method, url at idx, opts at idx+1. */
static int do_request(lua_State *L, const char *method, int idx)
{
    lsrc *ctx = ctx_of(L);
    hrs_lua_source_scratch_free(ctx);
    const char *url = luaL_checkstring(L, idx);
    int opts = idx + 1, auth = -1, any_status = 0;
    lua_settop(L, opts);                        /* the opts slot exists, nil when not given */
    if (lua_isnil(L, opts)) {
        lua_newtable(L);
        lua_replace(L, opts);
    } else {
        luaL_checktype(L, opts, LUA_TTABLE);
    }
    check_url(L, ctx, url);
    hrs_api_buf_add(&ctx->url, url);
    if (lua_getfield(L, opts, "query") == LUA_TTABLE) add_query(L, ctx, -1, NULL, 0);
    lua_settop(L, opts);
    if (lua_getfield(L, opts, "auth") != LUA_TNIL) {
        auth = handle_of(L, -1, &auth_mt);
        if (auth < 0) luaL_error(L, "opts.auth must come from http.basic, http.bearer or http.token");
    }
    lua_settop(L, opts);
    if (lua_getfield(L, opts, "headers") == LUA_TTABLE) {
        lua_pushnil(L);
        while (lua_next(L, -2)) {
            if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "header names must be strings");
            add_header(L, ctx, lua_tostring(L, -2), text_arg(L, ctx, -1, "a header value"));
            lua_pop(L, 1);
        }
    }
    lua_settop(L, opts);
    lua_getfield(L, opts, "any_status");
    any_status = lua_toboolean(L, -1);
    lua_settop(L, opts);
    const char *type = request_body(L, ctx, opts);
    if (type && !has_header(ctx, "Content-Type")) add_header(L, ctx, "Content-Type", type);
    if (!has_header(ctx, "Accept")) add_header(L, ctx, "Accept", "application/json");
    size_t auth_pos = 0;
    if (auth >= 0) {
        if (ctx->nheaders == LSRC_MAX_HEADERS) luaL_error(L, "too many headers");
        auth_pos = ctx->nheaders;
        ctx->headers[ctx->nheaders] = strdup(ctx->auths[auth].header);
        if (!ctx->headers[ctx->nheaders]) luaL_error(L, "out of memory");
        ctx->headers[++ctx->nheaders] = NULL;
    }
    if (ctx->url.oom) luaL_error(L, "out of memory");
    send(L, ctx, method, auth, auth_pos);
    if (!any_status && ctx->resp.status / 100 != 2) {
        hrs_err err;
        hrs_err_clear(&err);
        hrs_api_status_error(&ctx->api, method, ctx->url.p, &ctx->resp, NULL, &err);
        hrs_lua_source_scratch_free(ctx);
        return luaL_error(L, "%s", err.msg);
    }
    push_response(L, ctx);
    return 1;
}

static int l_get(lua_State *L) { return do_request(L, "GET", 1); }
static int l_post(lua_State *L) { return do_request(L, "POST", 1); }

static int l_request(lua_State *L)
{
    const char *m = luaL_checkstring(L, 1);
    static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", NULL };
    for (size_t i = 0; methods[i]; i++)
        if (strcmp(methods[i], m) == 0) return do_request(L, methods[i], 2);
    return luaL_error(L, "http.request: unknown method '%s'", m);
}

/* ---- sign-in (http.token) ---- */

int hrs_lua_source_sign_in(lsrc *ctx, int auth, hrs_err *err)
{
    lsrc_auth *a = &ctx->auths[auth];
    const json_t *r = a->refresh;
    const char *url = json_string_value(json_object_get(r, "url"));
    const char *body = json_string_value(json_object_get(r, "body"));
    const char *type = json_string_value(json_object_get(r, "type"));
    const char *path = json_string_value(json_object_get(r, "path"));
    const char *header = json_string_value(json_object_get(r, "header"));
    const char *scheme = json_string_value(json_object_get(r, "scheme"));
    char ct[200];
    snprintf(ct, sizeof ct, "Content-Type: %s", type);
    const char *hdr[] = { ct, "Accept: application/json", NULL };
    hrs_http_response resp;
    if (hrs_api_send(&ctx->api, "POST", url, hdr, body, body ? strlen(body) : 0, &resp, err) != 0)
        return -1;
    if (resp.status / 100 != 2) {
        hrs_api_status_error(&ctx->api, "POST", url, &resp, "(sign-in)", err);
        hrs_http_response_clear(&resp);
        return -1;
    }
    json_t *doc = json_loadb(resp.body, resp.len, 0, NULL);
    hrs_http_response_clear(&resp);
    json_t *tok = doc ? hrs_source_dot_get(doc, path) : NULL;
    if (!json_is_string(tok) || json_string_length(tok) == 0) {
        json_decref(doc);
        return hrs_err_set(err, "%s: POST %.200s: the answer has no token at \"%s\"", ctx->what,
                           url, path);
    }
    hrs_api_add_secret(&ctx->api, json_string_value(tok));
    size_t n = strlen(scheme) + json_string_length(tok) + 2;
    char *value = malloc(n), *h = NULL;
    if (value) {
        snprintf(value, n, "%s%s%s", scheme, *scheme ? " " : "", json_string_value(tok));
        h = header_line(header, value);
        wipe_free(value);
    }
    json_decref(doc);
    if (!h) return hrs_err_set(err, "%s: out of memory", ctx->what);
    wipe_free(a->header);
    a->header = h;
    return 0;
}

/* http.token{ url =, json = | form =, path =, header =, scheme =, rotate = } */
static int l_token(lua_State *L)
{
    lsrc *ctx = ctx_of(L);
    hrs_lua_source_scratch_free(ctx);
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    const char *type = request_body(L, ctx, 1);                 /* leaves the stack at 1 */
    if (!type) luaL_error(L, "http.token needs json = {…} or form = {…} with the credentials");
    lua_getfield(L, 1, "url");                                  /* 2 */
    const char *url = luaL_checkstring(L, 2);
    check_url(L, ctx, url);
    const char *opt[3] = { "path", "header", "scheme" };
    const char *val[3] = { "access_token", "Authorization", "Bearer" };
    for (int i = 0; i < 3; i++) {                               /* 3, 4, 5 */
        lua_getfield(L, 1, opt[i]);
        if (lua_type(L, -1) == LUA_TSTRING) val[i] = lua_tostring(L, -1);
        else if (!lua_isnil(L, -1)) luaL_error(L, "http.token: %s must be a string", opt[i]);
    }
    lua_getfield(L, 1, "rotate");
    int rotate = lua_toboolean(L, -1);
    if (ctx->nauths == LSRC_MAX_AUTHS) luaL_error(L, "more than %d auth handles", LSRC_MAX_AUTHS);
    lsrc_auth *a = &ctx->auths[ctx->nauths];
    memset(a, 0, sizeof *a);
    a->refresh = json_pack("{s:s, s:s%, s:s, s:s, s:s, s:s}", "url", url, "body", ctx->body.p,
                           ctx->body.len, "type", type, "path", val[0], "header", val[1],
                           "scheme", val[2]);
    a->rotate = rotate;
    a->header = strdup("X-Hrsync-Unsigned: 1");
    hrs_lua_source_scratch_free(ctx);
    if (!a->refresh || !a->header) {
        json_decref(a->refresh);
        free(a->header);
        memset(a, 0, sizeof *a);
        return luaL_error(L, "out of memory");
    }
    int index = (int)ctx->nauths++;
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_lua_source_sign_in(ctx, index, &err) != 0) return luaL_error(L, "%s", err.msg);
    push_handle(L, &auth_mt, index);
    return 1;
}

/* ---- Lua -> JSON ---- */

json_t *hrs_lua_source_to_json(lua_State *L, int idx, lsrc *ctx, const char *what, char *why, size_t n)
{
    idx = lua_absindex(L, idx);
    int s = handle_of(L, idx, &secret_mt);
    if (s >= 0) {
        if (ctx) return json_string(ctx->secret_values[s]);
        snprintf(why, n, "%s is a secret, which a record may not hold", what);
        return NULL;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return json_null();
    case LUA_TBOOLEAN:
        return json_boolean(lua_toboolean(L, idx));
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) return json_integer((json_int_t)lua_tointeger(L, idx));
        return json_real(lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *str = lua_tolstring(L, idx, &len);
        json_t *j = json_stringn(str, len);
        if (!j) snprintf(why, n, "%s is not valid UTF-8 text", what);
        return j;
    }
    case LUA_TUSERDATA:
        if (hrs_policy_sandbox_is_null(L, idx)) return json_null();
        break;
    case LUA_TTABLE: {
        if (!lua_checkstack(L, 4)) {
            snprintf(why, n, "%s nests too deep", what);
            return NULL;
        }
        lua_Integer len = (lua_Integer)lua_rawlen(L, idx);
        json_t *out = len > 0 ? json_array() : json_object();
        if (!out) break;
        lua_pushnil(L);
        while (lua_next(L, idx)) {
            int is_index = lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1 &&
                           lua_tointeger(L, -2) <= len;
            if ((len > 0 && !is_index) || (len == 0 && lua_type(L, -2) != LUA_TSTRING)) {
                snprintf(why, n, len > 0 ? "%s mixes a list with named keys"
                                         : "%s has a key that is not a string", what);
                lua_pop(L, 2);
                json_decref(out);
                return NULL;
            }
            if (len == 0) {
                char sub[256];
                snprintf(sub, sizeof sub, "%.150s.%.100s", what, lua_tostring(L, -2));
                json_t *v = hrs_lua_source_to_json(L, -1, ctx, sub, why, n);
                if (!v || json_object_set_new(out, lua_tostring(L, -2), v) != 0) {
                    if (v) snprintf(why, n, "%s has a key that is not valid UTF-8", what);
                    lua_pop(L, 2);
                    json_decref(out);
                    return NULL;
                }
            }
            lua_pop(L, 1);
        }
        for (lua_Integer i = 1; i <= len; i++) {     /* in order, now that keys are checked */
            char sub[256];
            lua_rawgeti(L, idx, i);
            snprintf(sub, sizeof sub, "%.200s[%lld]", what, (long long)i);
            json_t *v = hrs_lua_source_to_json(L, -1, ctx, sub, why, n);
            lua_pop(L, 1);
            if (!v || json_array_append_new(out, v) != 0) {
                json_decref(out);
                return NULL;
            }
        }
        return out;
    }
    default:
        break;
    }
    snprintf(why, n, "%s is a %s, which is not data", what, luaL_typename(L, idx));
    return NULL;
}

/* ---- the table ---- */

void hrs_lua_source_push_http(lua_State *L, lsrc *ctx)
{
    static const luaL_Reg funcs[] = {
        { "get", l_get }, { "post", l_post }, { "request", l_request }, { "secret", l_secret },
        { "basic", l_basic }, { "bearer", l_bearer }, { "token", l_token }, { NULL, NULL },
    };
    const void *keys[2] = { &secret_mt, &auth_mt };
    lua_CFunction tostr[2] = { l_secret_tostring, l_auth_tostring };
    const char *names[2] = { "hrsync_secret", "hrsync_auth" };
    for (int i = 0; i < 2; i++) {
        lua_createtable(L, 0, 3);
        lua_pushcfunction(L, tostr[i]);
        lua_setfield(L, -2, "__tostring");
        lua_pushstring(L, names[i]);
        lua_setfield(L, -2, "__name");
        lua_pushliteral(L, "locked");
        lua_setfield(L, -2, "__metatable");
        lua_rawsetp(L, LUA_REGISTRYINDEX, keys[i]);
    }
    lua_createtable(L, 0, 7);
    lua_pushlightuserdata(L, ctx);
    luaL_setfuncs(L, funcs, 1);
}
