/* policy_require.c: how code gets into a policy VM (see include/hrsync/policy_sandbox.h).
 *
 * Files are read as text chunks only (mode "t": bytecode can crash the interpreter), at most
 * HRS_CHUNK_MAX bytes, under the chunk name "@<path relative to its root>" so that messages
 * say "policy.lua:12" or "hrsync/upn.lua:40", not a long absolute path. Each chunk gets its own
 * environment, made strict once it has run.
 *
 * `require(name)` replaces the package library: it has no searchers list, no C loader and no
 * package table. Names are dotted words ([A-Za-z0-9_-], no "..", no "/"); "hrsync" and
 * "hrsync.*" come from the shipped library folder, everything else from the policy's own
 * folder ("lib.names" -> <policy dir>/lib/names.lua, or lib/names/init.lua). Results are
 * cached in a private table that only this file can reach; a require loop is reported. */
#include "hrsync/policy_sandbox.h"

#include <ctype.h>
#include <errno.h>
#include <lauxlib.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define HRS_CHUNK_MAX (1u << 20)      /* bytes in one policy or module file */
#define HRS_MODULE_NAME_MAX 128

static const char loaded_key = 0;     /* registry: name -> module value (package.loaded) */
static const char loading_key = 0;    /* registry: name -> true while its file runs */

/* ---- Files ------------------------------------------------------------------------------- */

typedef struct file_reader {
    FILE *f;
    size_t total;
    int too_big;
    char buf[4096];
} file_reader;

/* lua_Reader over a FILE, stopping at HRS_CHUNK_MAX. */
static const char *read_part(lua_State *L, void *ud, size_t *size)
{
    (void)L;
    file_reader *r = ud;
    *size = 0;
    if (r->too_big || feof(r->f) || ferror(r->f)) return NULL;
    size_t n = fread(r->buf, 1, sizeof r->buf, r->f);
    r->total += n;
    if (r->total > HRS_CHUNK_MAX) {
        r->too_big = 1;
        return NULL;
    }
    *size = n;
    return n ? r->buf : NULL;
}

/* [-0, +1, m] Loads the file at path as a text chunk named "@display". Pushes the function,
 * or a message naming display. Returns a Lua status. The file is closed before anything that
 * could raise. */
static int load_text_file(lua_State *L, const char *path, const char *display)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        lua_pushfstring(L, "%s: cannot open: %s", display, strerror(e));
        return LUA_ERRFILE;
    }
    file_reader r;
    memset(&r, 0, sizeof r);
    r.f = f;
    char chunkname[PATH_MAX + 2];
    snprintf(chunkname, sizeof chunkname, "@%s", display);
    int st = lua_load(L, read_part, &r, chunkname, "t");   /* never raises */
    int bad_read = ferror(f);
    fclose(f);
    if (r.too_big || bad_read) {
        lua_pop(L, 1);
        if (r.too_big)
            lua_pushfstring(L, "%s: the file is larger than %d bytes", display, (int)HRS_CHUNK_MAX);
        else
            lua_pushfstring(L, "%s: cannot read the file", display);
        return LUA_ERRFILE;
    }
    if (st != LUA_OK) {
        /* Syntax errors start with "display:line:"; others (binary chunk) get the name. */
        const char *msg = lua_tostring(L, -1);
        size_t dl = strlen(display);
        if (!msg || strncmp(msg, display, dl) != 0 || msg[dl] != ':') {
            lua_pushfstring(L, "%s: %s", display, msg ? msg : "cannot load");
            lua_remove(L, -2);
        }
    }
    return st;
}

/* Loads path with a new environment. Arguments: path, display (light userdata). */
static int l_loadfile(lua_State *L)
{
    const char *path = lua_touserdata(L, 1);
    const char *display = lua_touserdata(L, 2);
    lua_settop(L, 0);
    if (load_text_file(L, path, display) != LUA_OK) return lua_error(L);
    hrs_policy_sandbox_push_env(L);
    lua_pushvalue(L, -1);
    lua_setupvalue(L, -3, 1);        /* the chunk's _ENV */
    return 2;
}

int hrs_policy_sandbox_loadfile(hrs_sandbox *sb, const char *path, const char *display,
                                hrs_err *err)
{
    lua_State *L = sb->L;
    lua_pushcfunction(L, l_loadfile);
    lua_pushlightuserdata(L, (void *)path);
    lua_pushlightuserdata(L, (void *)display);
    int st = lua_pcall(L, 2, 2, 0);
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        hrs_err_set(err, "%s%s", msg ? msg : "cannot load",
                    st == LUA_ERRMEM ? " (the memory limit was reached while loading)" : "");
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

/* Loads a text chunk from memory with a new environment. Arguments: text, length, display
 * (light userdata and integer). */
static int l_loadtext(lua_State *L)
{
    const char *text = lua_touserdata(L, 1);
    size_t len = (size_t)lua_tointeger(L, 2);
    const char *display = lua_touserdata(L, 3);
    lua_settop(L, 0);
    char chunkname[PATH_MAX + 2];
    snprintf(chunkname, sizeof chunkname, "@%s", display);
    if (len > HRS_CHUNK_MAX) return luaL_error(L, "%s: the file is larger than %d bytes", display, (int)HRS_CHUNK_MAX);
    if (luaL_loadbufferx(L, text, len, chunkname, "t") != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        size_t dl = strlen(display);
        if (!msg || strncmp(msg, display, dl) != 0 || msg[dl] != ':') lua_pushfstring(L, "%s: %s", display, msg ? msg : "cannot load");
        return lua_error(L);
    }
    hrs_policy_sandbox_push_env(L);
    lua_pushvalue(L, -1);
    lua_setupvalue(L, -3, 1);        /* the chunk's _ENV */
    return 2;
}

int hrs_policy_sandbox_loadtext(hrs_sandbox *sb, const char *text, size_t len, const char *display, hrs_err *err)
{
    lua_State *L = sb->L;
    lua_pushcfunction(L, l_loadtext);
    lua_pushlightuserdata(L, (void *)text);
    lua_pushinteger(L, (lua_Integer)len);
    lua_pushlightuserdata(L, (void *)display);
    int st = lua_pcall(L, 3, 2, 0);
    if (st != LUA_OK) {
        const char *msg = lua_tostring(L, -1);
        hrs_err_set(err, "%s%s", msg ? msg : "cannot load",
                    st == LUA_ERRMEM ? " (the memory limit was reached while loading)" : "");
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

/* ---- require ----------------------------------------------------------------------------- */

/* Dotted words of [A-Za-z0-9_-]: no empty word, so no "..", no leading or trailing dot. */
static int valid_module_name(const char *name, size_t len)
{
    if (len == 0 || len > HRS_MODULE_NAME_MAX || strlen(name) != len) return 0;
    size_t word = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (word == 0) return 0;
            word = 0;
        } else if (isascii(c) && (isalnum(c) || c == '_' || c == '-')) {
            word++;
        } else {
            return 0;
        }
    }
    return word > 0;
}

/* Finds the file of a module: root/rel.lua, then root/rel/init.lua. Fills path (absolute) and
 * display (relative to root). Returns 1 if found. */
static int find_module(const char *root, const char *name, char *path, size_t pn, char *display,
                       size_t dn)
{
    char rel[HRS_MODULE_NAME_MAX + 1];
    snprintf(rel, sizeof rel, "%s", name);
    for (char *c = rel; *c; c++)
        if (*c == '.') *c = '/';
    for (int i = 0; i < 2; i++) {
        int n = i == 0 ? snprintf(display, dn, "%s.lua", rel) : snprintf(display, dn, "%s/init.lua", rel);
        if (n < 0 || (size_t)n >= dn) return 0;
        n = snprintf(path, pn, "%s/%s", root, display);
        if (n < 0 || (size_t)n >= pn) return 0;
        if (access(path, R_OK) == 0) return 1;
    }
    return 0;
}

void hrs_policy_sandbox_chain_module(unsigned char md[32], const char *name, const char *path)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    if (!c || EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) { EVP_MD_CTX_free(c); return; }
    EVP_DigestUpdate(c, md, 32);
    EVP_DigestUpdate(c, name, strlen(name) + 1);
    FILE *f = fopen(path, "rb");
    char buf[8192];
    size_t n;
    if (f) {
        while ((n = fread(buf, 1, sizeof buf, f)) > 0) EVP_DigestUpdate(c, buf, n);
        if (ferror(f)) EVP_DigestUpdate(c, "\0unreadable", 11);
        fclose(f);
    } else {
        EVP_DigestUpdate(c, "\0unreadable", 11);
    }
    if (EVP_DigestFinal_ex(c, out, &len) == 1 && len == 32) memcpy(md, out, len);
    EVP_MD_CTX_free(c);
}

/* What a module loaded now adds to the code the policy runs, and where it came from. */
static void note_module(hrs_sandbox *sb, const char *name, const char *path)
{
    hrs_policy_sandbox_chain_module(sb->modules_md, name, path);
    if (!sb->module_files) sb->module_files = json_array();
    json_array_append_new(sb->module_files, json_pack("[s, s]", name, path));
}

/* require(name). upvalue 1: the sandbox. */
static int l_require(lua_State *L)
{
    hrs_sandbox *sb = lua_touserdata(L, lua_upvalueindex(1));
    size_t len;
    const char *name = luaL_checklstring(L, 1, &len);
    lua_settop(L, 1);
    lua_rawgetp(L, LUA_REGISTRYINDEX, &loaded_key);               /* 2 */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 2) != LUA_TNIL) return 1;
    lua_pop(L, 1);
    if (!valid_module_name(name, len))
        return luaL_error(L, "module name '%s' is not allowed: use a dotted name such as "
                          "'lib.names' (lib/names.lua in the policy's folder)", name);
    for (const char *const *d = hrs_policy_sandbox_denied_modules; *d; d++)
        if (strcmp(*d, name) == 0) return luaL_error(L, "module '%s' is not available in a policy", name);

    int lib = strcmp(name, "hrsync") == 0 || strncmp(name, "hrsync.", 7) == 0;
    const char *root = lib ? sb->lib_dir : sb->policy_dir;
    if (lib && !root[0])
        return luaL_error(L, "module '%s' is part of the shipped library, but no library folder "
                          "is configured", name);
    char path[PATH_MAX], display[PATH_MAX];
    if (!find_module(root, name, path, sizeof path, display, sizeof display))
        return luaL_error(L, "module '%s' not found: no %s.lua in the %s", name, name,
                          lib ? "shipped library folder" : "policy's folder");

    lua_rawgetp(L, LUA_REGISTRYINDEX, &loading_key);              /* 3 */
    lua_pushvalue(L, 1);
    if (lua_rawget(L, 3) != LUA_TNIL)
        return luaL_error(L, "module '%s' is required again while it loads (a require loop)", name);
    lua_pop(L, 1);

    note_module(sb, name, path);
    if (load_text_file(L, path, display) != LUA_OK) return lua_error(L);   /* 4: chunk */
    hrs_policy_sandbox_push_env(L);                                         /* 5: env */
    lua_pushvalue(L, 5);
    lua_setupvalue(L, 4, 1);

    lua_pushvalue(L, 1);
    lua_pushboolean(L, 1);
    lua_rawset(L, 3);                                             /* loading[name] = true */
    lua_pushvalue(L, 4);
    lua_pushvalue(L, 1);
    lua_pushstring(L, display);
    /* A plain pcall, so the mark is cleared on error too; the error's own file:line is kept in
     * its message, and the caller's handler adds the traceback when it is raised again. */
    int st = lua_pcall(L, 2, 1, 0);                               /* 6: result or error */
    lua_pushvalue(L, 1);
    lua_pushnil(L);
    lua_rawset(L, 3);                                             /* an existing key: no allocation */
    if (st != LUA_OK) {
        if (st == LUA_ERRMEM) sb->mem_failed = 1;
        return lua_error(L);
    }
    hrs_policy_sandbox_lock_env(L, 5);
    if (lua_isnil(L, 6)) {
        lua_pop(L, 1);
        lua_pushboolean(L, 1);
    }
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 6);
    lua_rawset(L, 2);                                             /* loaded[name] = result */
    return 1;
}

void hrs_policy_require_install(lua_State *L, hrs_sandbox *sb, int base, int loaded)
{
    base = lua_absindex(L, base);
    loaded = lua_absindex(L, loaded);
    lua_pushvalue(L, loaded);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &loaded_key);
    lua_newtable(L);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &loading_key);
    lua_pushlightuserdata(L, sb);
    lua_pushcclosure(L, l_require, 1);
    lua_setfield(L, base, "require");
}
