/* policy_call.c: every call into policy code (see include/hrsync/policy_sandbox.h).
 *
 * hrs_policy_sandbox_call is the one protected call: a count hook charges the instruction
 * budget in steps of HRS_BUDGET_STEP instructions, and a message handler adds a traceback.
 * When the budget runs out, the hook sets a flag and re-arms itself to fire on every
 * instruction, raising each time: a policy's own pcall may catch the first error, but the next
 * instruction it runs raises again, so the call cannot go on. The C side reads the flag, never
 * the message. Memory errors come from the allocator (policy_sandbox.c); the message handler
 * is not called for them, so the line to blame is the last one the counter saw.
 *
 * A C function such as string.rep is one instruction however much it does, so allocations are
 * charged too (HRS_BYTES_PER_INSTRUCTION bytes = 1 instruction): a loop that makes and drops
 * 50 MB strings stays under the memory cap but not under the budget. */
#include "hrsync/policy_sandbox.h"

#include <lauxlib.h>
#include <stdio.h>
#include <string.h>

#define HRS_BUDGET_STEP 1000   /* instructions between two hook calls (cheap, fine enough) */
#define HRS_BYTES_PER_INSTRUCTION 64   /* what an allocation costs in instructions */

static hrs_sandbox *sandbox_of(lua_State *L)
{
    void *ud = NULL;
    lua_getallocf(L, &ud);     /* the allocator's state is the sandbox */
    return ud;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    hrs_sandbox *sb = sandbox_of(L);
    if (!sb->tripped) {
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(sb->where, sizeof sb->where, "%s:%d", ar->short_src, ar->currentline);
        sb->used += sb->step;
        if (sb->used < sb->budget) return;
        sb->tripped = 1;
        memcpy(sb->trip_where, sb->where, sizeof sb->trip_where);
        lua_sethook(L, count_hook, LUA_MASKCOUNT, 1);   /* from now on, every instruction */
    }
    lua_pushfstring(L, "instruction budget of %I exceeded in %s (%s)", (lua_Integer)sb->budget,
                    sb->phase ? sb->phase : "policy code", sb->trip_where);
    lua_error(L);
}

void hrs_policy_sandbox_charge(hrs_sandbox *sb, size_t bytes)
{
    if (!sb->phase || sb->tripped) return;      /* outside a call, or already stopping */
    sb->used += (long)(bytes / HRS_BYTES_PER_INSTRUCTION);
    if (sb->used >= sb->budget)
        lua_sethook(sb->L, count_hook, LUA_MASKCOUNT, 1);  /* stop at the next instruction */
}

/* Records "file:line" of the innermost Lua frame into buf. */
static void first_lua_frame(lua_State *L, char *buf, size_t n)
{
    lua_Debug ar;
    buf[0] = '\0';
    for (int level = 1; lua_getstack(L, level, &ar); level++) {
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(buf, n, "%s:%d", ar.short_src, ar.currentline);
            return;
        }
    }
}

/* The message handler of every call: error object -> "message\nstack traceback: …". Errors
 * that are not strings (tables, nil) get the file:line of the frame that raised them. */
static int msghandler(lua_State *L)
{
    hrs_sandbox *sb = sandbox_of(L);
    first_lua_frame(L, sb->err_where, sizeof sb->err_where);
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            msg = lua_tostring(L, -1);
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
        if (sb->err_where[0]) msg = lua_pushfstring(L, "%s: %s", sb->err_where, msg);
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

/* "64 MiB" when the limit is a whole number of MiB, else bytes. */
static void format_bytes(size_t n, char *buf, size_t bn)
{
    if (n >= (1u << 20) && n % (1u << 20) == 0) snprintf(buf, bn, "%zu MiB", n >> 20);
    else snprintf(buf, bn, "%zu bytes", n);
}

int hrs_policy_sandbox_call(hrs_sandbox *sb, int nargs, int nresults, const char *phase,
                            const char *where, hrs_policy_failure *kind, hrs_err *err)
{
    lua_State *L = sb->L;
    int base = lua_gettop(L) - nargs;          /* the function's index */
    lua_pushcfunction(L, msghandler);
    lua_insert(L, base);                       /* the handler goes below the function */

    sb->used = 0;
    sb->tripped = 0;
    sb->mem_failed = 0;
    sb->phase = phase;
    snprintf(sb->where, sizeof sb->where, "%s", where ? where : "");
    sb->trip_where[0] = sb->err_where[0] = '\0';
    sb->step = sb->budget < HRS_BUDGET_STEP ? (int)sb->budget : HRS_BUDGET_STEP;
    lua_sethook(L, count_hook, LUA_MASKCOUNT, sb->step);
    int st = lua_pcall(L, nargs, nresults, base);
    lua_sethook(L, NULL, 0, 0);
    sb->phase = NULL;

    if (st == LUA_OK && !sb->tripped) {
        lua_remove(L, base);
        *kind = HRS_POLICY_OK;
        return 0;
    }
    const char *msg = st != LUA_OK ? lua_tostring(L, -1) : NULL;
    if (!msg) msg = "(no message)";
    if (sb->tripped) {
        const char *trace = strstr(msg, "\nstack traceback:");
        *kind = HRS_POLICY_BUDGET;
        hrs_err_set(err, "instruction budget of %ld exceeded in %s (%s)%s", sb->budget, phase,
                    sb->trip_where[0] ? sb->trip_where : "?", trace ? trace : "");
    } else if (st == LUA_ERRMEM || sb->mem_failed) {
        char limit[48];
        format_bytes(sb->mem_limit, limit, sizeof limit);
        *kind = HRS_POLICY_MEMORY;
        hrs_err_set(err, "memory limit of %s exceeded in %s (near %s)", limit, phase,
                    sb->where[0] ? sb->where : "?");
        lua_settop(L, base - 1);
        lua_gc(L, LUA_GCCOLLECT);              /* give the next call a clean heap */
        return -1;
    } else {
        *kind = HRS_POLICY_ERROR;
        hrs_err_set(err, "%s failed: %s", phase, msg);
    }
    lua_settop(L, base - 1);
    return -1;
}

void hrs_policy_sandbox_where(lua_State *L, int idx, char *buf, size_t n)
{
    lua_Debug ar;
    memset(&ar, 0, sizeof ar);
    lua_pushvalue(L, idx);
    if (lua_getinfo(L, ">S", &ar) && ar.linedefined > 0)
        snprintf(buf, n, "%s:%d", ar.short_src, ar.linedefined);
    else
        snprintf(buf, n, "%s", ar.short_src);
}
