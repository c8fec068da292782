/* policy_sandbox.h: the Lua VM behind a policy (internal to engine/policy*.c).
 *
 * One hrs_sandbox owns one lua_State, made with an allocator that enforces the memory limit.
 * The VM holds an allow-list of the standard library (see policy.h for the list), read-only
 * library tables, a strict environment per chunk, the pinned clock and a `require` limited
 * to the policy's folder and the shipped library. Every call into Lua goes through
 * hrs_policy_sandbox_call, which counts instructions and adds a traceback to errors.
 *
 * Implemented in policy_sandbox.c (VM, libraries, environments, clock), policy_require.c
 * (files and require) and policy_call.c (budget, message handler, protected calls).
 *
 * Stack effects use the Lua manual's notation [-o, +p, x]. */
#ifndef HRSYNC_POLICY_SANDBOX_H
#define HRSYNC_POLICY_SANDBOX_H

#include <jansson.h>
#include <limits.h>
#include <lua.h>
#include <stddef.h>
#include <time.h>

#include "hrsync/err.h"
#include "hrsync/policy.h"

#define HRS_SANDBOX_WHERE 96      /* room for "file.lua:123" */

typedef struct hrs_sandbox {
    lua_State *L;                 /* owned; closed by hrs_policy_sandbox_close */
    /* Memory, kept by the allocator. */
    size_t mem_limit;             /* bytes the VM may hold */
    size_t mem_used;              /* bytes it holds now */
    int mem_failed;               /* a memory error was re-raised as a plain error (require) */
    /* Instructions, kept by the count hook during hrs_policy_sandbox_call. */
    long budget;                  /* per call */
    long used;                    /* counted in the current call (in steps) */
    int step;                     /* instructions between two hook calls */
    int tripped;                  /* the budget ran out in the current call */
    const char *phase;            /* what runs, for messages: "hook 'include'" */
    char where[HRS_SANDBOX_WHERE];      /* last Lua line the counter saw, or the hook's own */
    char trip_where[HRS_SANDBOX_WHERE]; /* the line where the budget ran out */
    char err_where[HRS_SANDBOX_WHERE];  /* the first Lua frame of the last error */
    /* The clock. */
    time_t now;                   /* the pinned day at 00:00 UTC */
    char today[11];               /* the same as YYYY-MM-DD */
    /* Where require looks. */
    char policy_dir[PATH_MAX];    /* absolute */
    char lib_dir[PATH_MAX];       /* absolute, or "" for none */
    /* What require loaded: a SHA-256 chained over each module's name and text, in load order
     * (hrs_policy_code_digest; the engine's decision cache keys on it). */
    unsigned char modules_md[32];
    json_t *module_files;         /* [[name, path], …] of those modules in load order (owned), so
                                     hrs_policy_modules_on_disk can tell when one was edited */
} hrs_sandbox;

/* modules_md = SHA-256(modules_md || name || 0 || the bytes of the file at path) (an unreadable
 * file adds a mark of its own): the chain hrs_sandbox.modules_md keeps (policy_require.c). */
void hrs_policy_sandbox_chain_module(unsigned char md[32], const char *name, const char *path);

/* Parses "YYYY-MM-DD" into the day's 00:00 UTC. Returns 0, or -1 with err. */
int hrs_policy_sandbox_parse_day(const char *today, time_t *out, hrs_err *err);

/* Creates sb->L. The caller has set mem_limit, budget, now/today and the folders. Returns 0,
 * or -1 with err (the limit is too small, out of memory). */
int hrs_policy_sandbox_open(hrs_sandbox *sb, hrs_err *err);

/* Closes sb->L (if any). */
void hrs_policy_sandbox_close(hrs_sandbox *sb);

/* [-0, +2, -] Loads the text chunk in file `path` under chunk name "@<display>", with a new
 * environment. Pushes the function and its environment. Returns 0, or -1 with err (cannot
 * read, syntax error, binary chunk, memory) and nothing pushed. */
int hrs_policy_sandbox_loadfile(hrs_sandbox *sb, const char *path, const char *display,
                                hrs_err *err);

/* [-0, +2, -] As hrs_policy_sandbox_loadfile, for a chunk held in memory (text, len bytes):
 * `hrsync check` loads the policy text recorded with the last cycle this way. */
int hrs_policy_sandbox_loadtext(hrs_sandbox *sb, const char *text, size_t len, const char *display, hrs_err *err);

/* [-0, +0, -] Makes the environment at idx strict: reading an undefined global or assigning
 * a new one raises from now on. */
void hrs_policy_sandbox_lock_env(lua_State *L, int idx);

/* [-(nargs+1), +nresults, -] Calls the function below nargs arguments under the instruction
 * budget, with a message handler that adds a traceback. phase names what runs in messages
 * ("hook 'include'"); where is the line to blame for a memory error when the counter saw no
 * line (the hook's definition), or NULL. On success returns 0 with the results pushed
 * (LUA_MULTRET allowed). On failure pops the function and arguments and returns -1 with err:
 *   HRS_POLICY_ERROR  "<phase> failed: <Lua message>\nstack traceback: …"
 *   HRS_POLICY_BUDGET "instruction budget of N exceeded in <phase> (<file:line>)\n…"
 *   HRS_POLICY_MEMORY "memory limit of N bytes exceeded in <phase> (near <file:line>)"
 * and *kind set; the budget is recognised by a flag the hook sets, not by the text. */
int hrs_policy_sandbox_call(hrs_sandbox *sb, int nargs, int nresults, const char *phase,
                            const char *where, hrs_policy_failure *kind, hrs_err *err);

/* [-0, +1, m] Pushes a new environment for a chunk (empty but for _G, reading through to the
 * sandbox's globals, not yet strict). */
void hrs_policy_sandbox_push_env(lua_State *L);

/* Module names that `require` refuses with "not available in a policy" (NULL-terminated). */
extern const char *const hrs_policy_sandbox_denied_modules[];

/* [-0, +0, e] Called while the VM is set up (policy_require.c): sets base.require, the
 * searcher rooted at sb's folders, caching in the private table at index `loaded`. */
void hrs_policy_require_install(lua_State *L, hrs_sandbox *sb, int base, int loaded);

/* Charges an allocation of `bytes` against the current call's instruction budget (called by
 * the allocator; lua_sethook is safe there, as from a signal handler). No-op between calls. */
void hrs_policy_sandbox_charge(hrs_sandbox *sb, size_t bytes);

/* [-0, +1, -] Pushes the sentinel that stands for JSON null (the global hrsync_null). */
void hrs_policy_sandbox_push_null(lua_State *L);

/* [-0, +0, -] Returns 1 if the value at idx is the null sentinel. */
int hrs_policy_sandbox_is_null(lua_State *L, int idx);

/* Writes "<short_src>:<line>" of the Lua function at idx (where it is defined) into buf.
 * [-0, +0, -] */
void hrs_policy_sandbox_where(lua_State *L, int idx, char *buf, size_t n);

#endif
