/* cmd_test.c: `hrsync test [SPEC…]`: runs an admin's busted specs for their own policy (written
 * with the test kit, scripts/hrsync/testing.lua) with the paths set up: LUA_PATH reaches the
 * shipped library (so `require "hrsync.testing"` works), LUA_CPATH the Lua module of this very
 * hrsync (hrsync.so beside the program, as in a build folder; otherwise the installed one, which
 * lua5.4 finds by itself), and HRSYNC_LIB_DIR the library for the engine inside the module.
 * busted runs under lua5.4 as a child process, and its exit code is ours. SPEC defaults to
 * ./spec; busted's own options go after `--` (hrsync test -- --output=TAP spec). */
#include "hrsync/cli.h"
#include "hrsync/config.h"
#include "hrsync/log.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* The full path of program `name` on $PATH (or name itself when it has a '/'), into out. */
static int find_program(const char *name, char *out, size_t n)
{
    if (strchr(name, '/')) {
        snprintf(out, n, "%s", name);
        return access(out, X_OK) == 0 || access(out, R_OK) == 0;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        int w = snprintf(out, n, "%.*s/%s", (int)len, len ? path : ".", name);
        if (w > 0 && (size_t)w < n && access(out, X_OK) == 0) return 1;
        path += len + (colon ? 1 : 0);
    }
    return 0;
}

/* "<value><sep><old>" for a search path variable: old, or ";" so that Lua adds its defaults. */
static int prepend_env(const char *name, const char *value)
{
    const char *old = getenv(name);
    size_t n = strlen(value) + (old ? strlen(old) : 1) + 2;
    char *v = malloc(n);
    if (!v) return -1;
    snprintf(v, n, "%s;%s", value, old && *old ? old : ";");
    int rc = setenv(name, v, 1);
    free(v);
    return rc;
}

/* The folder of this program, into out (size n). */
static int program_dir(char *out, size_t n)
{
    ssize_t len = readlink("/proc/self/exe", out, n - 1);
    if (len <= 0) return 0;
    out[len] = '\0';
    char *slash = strrchr(out, '/');
    if (!slash) return 0;
    *slash = '\0';
    return 1;
}

static int setup_env(hrs_err *err)
{
    char *lib = hrs_config_find_lib_dir();
    if (!lib) return hrs_err_set(err, "cannot find the hrsync Lua library (set HRSYNC_LIB_DIR)");
    char buf[PATH_MAX * 2 + 32];
    snprintf(buf, sizeof buf, "%s/?.lua;%s/?/init.lua", lib, lib);
    int rc = prepend_env("LUA_PATH", buf) || setenv("HRSYNC_LIB_DIR", lib, 1);
    free(lib);
    char cwd[PATH_MAX];   /* hrsync.testing resolves spec-relative paths against $PWD */
    if (rc == 0 && getcwd(cwd, sizeof cwd)) rc = setenv("PWD", cwd, 1);
    char dir[PATH_MAX], so[PATH_MAX + 16];
    if (rc == 0 && program_dir(dir, sizeof dir)) {
        snprintf(so, sizeof so, "%s/hrsync.so", dir);
        struct stat st;
        if (stat(so, &st) == 0) {
            snprintf(buf, sizeof buf, "%s/?.so", dir);
            rc = prepend_env("LUA_CPATH", buf);
        }
        snprintf(so, sizeof so, "%s/hrsync", dir);
        if (rc == 0) rc = setenv("HRSYNC_BIN", so, 1);
    }
    return rc == 0 ? 0 : hrs_err_set(err, "cannot set up the environment for busted: %s", strerror(errno));
}

int hrs_cmd_test(const hrs_cli_opts *o)
{
    hrs_err err;
    hrs_err_clear(&err);
    char lua[PATH_MAX], busted[PATH_MAX];
    const char *lua_name = getenv("HRSYNC_LUA") ? getenv("HRSYNC_LUA") : "lua5.4";
    const char *busted_name = getenv("HRSYNC_BUSTED") ? getenv("HRSYNC_BUSTED") : "busted";
    if (!find_program(lua_name, lua, sizeof lua)) {
        hrs_err_set(&err, "%s not found: install it (apt-get install lua5.4) or set HRSYNC_LUA", lua_name);
        return hrs_cli_fail(&err);
    }
    if (!find_program(busted_name, busted, sizeof busted)) {
        hrs_err_set(&err, "busted not found: install it (apt-get install lua-busted) or set HRSYNC_BUSTED");
        return hrs_cli_fail(&err);
    }
    int nargs = o->argc;
    if (nargs == 0 && access("spec", F_OK) != 0) {
        fprintf(stderr, "hrsync: test needs the specs to run (files or folders; default ./spec, which does not exist here)\n"
                        "Try 'hrsync --help'.\n");
        return HRS_EXIT_USAGE;
    }
    if (setup_env(&err) != 0) return hrs_cli_fail(&err);
    if (o->now && setenv("HRSYNC_NOW", o->now, 1) != 0) {
        hrs_err_set(&err, "cannot set HRSYNC_NOW: %s", strerror(errno));
        return hrs_cli_fail(&err);
    }
    char **argv = calloc((size_t)nargs + 4, sizeof *argv);
    if (!argv) {
        hrs_err_set(&err, "out of memory");
        return hrs_cli_fail(&err);
    }
    int k = 0;
    argv[k++] = lua;
    argv[k++] = busted;
    for (int i = 0; i < nargs; i++) argv[k++] = o->argv[i];
    if (nargs == 0) argv[k++] = (char *)"spec";
    argv[k] = NULL;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        execv(lua, argv);
        fprintf(stderr, "hrsync: error: cannot run %s: %s\n", lua, strerror(errno));
        _exit(127);
    }
    free(argv);
    if (pid < 0) {
        hrs_err_set(&err, "cannot start busted: %s", strerror(errno));
        return hrs_cli_fail(&err);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            hrs_err_set(&err, "waiting for busted: %s", strerror(errno));
            return hrs_cli_fail(&err);
        }
    }
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    hrs_err_set(&err, "busted was killed by signal %d", WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return hrs_cli_fail(&err);
}
