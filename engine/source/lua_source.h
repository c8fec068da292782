/* lua_source.h: the state of one read of a source scripted in Lua, shared by lua_source.c (the
 * sandbox, the script, its records) and lua_source_http.c (the `http` table the script uses).
 * Internal to engine/source/. */
#ifndef HRSYNC_LUA_SOURCE_H
#define HRSYNC_LUA_SOURCE_H

#include <jansson.h>
#include <lua.h>
#include "hrsync/policy_sandbox.h"
#include "api.h"

#define LSRC_MAX_SECRETS 16
#define LSRC_MAX_AUTHS 16
#define LSRC_MAX_HEADERS 32

/* An auth handle made by http.basic / http.bearer / http.token. */
typedef struct lsrc_auth {
    char *header;             /* "Authorization: …" (owned, wiped) */
    json_t *refresh;          /* http.token: {url, body, type, path, scheme} to sign in again on
                                 401/403, or NULL (owned) */
    int rotate;               /* take a new bearer token from the Authorization response header */
} lsrc_auth;

typedef struct lsrc {
    hrs_sandbox sb;           /* the policy sandbox the script runs in */
    hrs_api api;              /* rate limits, 429 back-off, retries, secrets for messages */
    char what[320];           /* "Lua source bamboohr.lua", for messages */
    json_t *hosts;            /* array of allowed "host" or "host:port", lower case (owned) */
    char *secret_names[LSRC_MAX_SECRETS];
    char *secret_values[LSRC_MAX_SECRETS];  /* owned, wiped */
    size_t nsecrets;
    lsrc_auth auths[LSRC_MAX_AUTHS];
    size_t nauths;
    /* Scratch of the http call in progress: freed at the start of the next call and at the
     * end, so that a Lua error raised mid-call leaks nothing. */
    hrs_api_buf url, body;
    char *headers[LSRC_MAX_HEADERS + 1];
    size_t nheaders;
    hrs_http_response resp;
    json_t *pending;          /* a JSON value being converted for Lua */
} lsrc;

/* [-0, +1, e] Pushes the `http` table whose functions act on ctx. Runs inside a protected
 * call. */
void hrs_lua_source_push_http(lua_State *L, lsrc *ctx);

/* POSTs the sign-in request of auth handle `auth` (made by http.token) and sets its header from
 * the token in the answer. Returns 0, or -1 with err (secrets masked). */
int hrs_lua_source_sign_in(lsrc *ctx, int auth, hrs_err *err);

/* Frees the scratch of the last http call. */
void hrs_lua_source_scratch_free(lsrc *ctx);

/* [-0, +0, -] Converts a Lua value at idx to JSON (tables, strings, numbers, booleans,
 * hrsync_null); secret handles become their values when ctx is not NULL (for request bodies),
 * and are refused when it is. what names the value in messages. NULL with why. */
json_t *hrs_lua_source_to_json(lua_State *L, int idx, lsrc *ctx, const char *what, char *why,
                         size_t n);

#endif
