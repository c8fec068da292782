/* cli.c: the `hrsync` command line: option parsing, the commands, exit codes. */
#include "hrsync/cli.h"
#include "hrsync/buildinfo.h"
#include "hrsync/demo.h"
#include "hrsync/engine.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct {
    const char *config;
    const char *now;
    const char *state_dir;
    int json;
    int color;
} cli_opts;

static const char usage_text[] =
    "Usage: hrsync [OPTIONS] COMMAND\n"
    "\n"
    "Keeps Microsoft Entra ID in step with an HR system, by rules written in Lua.\n"
    "\n"
    "Commands:\n"
    "  plan     read HR and the directory, print what a sync would change; change nothing\n"
    "  sync     plan, then apply the plan to the directory\n"
    "  demo     sync the sample company (examples/demo) into a local simulator\n"
    "\n"
    "Options:\n"
    "  -c, --config FILE     the configuration (a Lua file); default ./hrsync.lua\n"
    "      --json            print the plan (and result) as JSON\n"
    "      --now DATE        pin today's date (YYYY-MM-DD) for date rules; also HRSYNC_NOW\n"
    "      --state-dir DIR   demo: where the demo keeps its state (default ./.hrsync-demo)\n"
    "      --log-level LVL   debug, info, warn (default), error, quiet\n"
    "      --log-json        log as JSON lines\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Exit codes:\n"
    "  0   done; for plan: nothing to do\n"
    "  1   error (the message says what and where); nothing half-written\n"
    "  2   plan: changes pending\n"
    "  64  the command line is wrong\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "hrsync: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'hrsync --help'.\n");
    return HRS_EXIT_USAGE;
}

static int fail(const hrs_err *err)
{
    hrs_error("%s", err->msg);
    return HRS_EXIT_ERROR;
}

static void print_json(const json_t *j)
{
    char *t = json_dumps(j, JSON_INDENT(2));
    if (t) printf("%s\n", t);
    free(t);
}

static json_t *overrides_of(const cli_opts *o)
{
    return o->now ? json_pack("{s:s}", "now", o->now) : NULL;
}

static int cmd_plan_or_sync(const cli_opts *o, int apply)
{
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = overrides_of(o), *plan = NULL, *result = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_engine *e = hrs_engine_open(o->config, ov, &err);
    if (!e) goto out;
    if (hrs_engine_plan(e, &plan, &err) != 0) goto out;
    size_t n = hrs_plan_count(plan);
    if (!apply) {
        if (o->json) print_json(plan); else hrs_plan_print(plan, stdout, o->color);
        code = n ? HRS_EXIT_PENDING : HRS_EXIT_OK;
        goto out;
    }
    if (!o->json) hrs_plan_print(plan, stdout, o->color);
    if (n == 0) { if (o->json) print_json(plan); code = HRS_EXIT_OK; goto out; }
    if (hrs_engine_apply(e, plan, &result, &err) != 0) goto out;
    long failed = (long)json_integer_value(json_object_get(result, "failed"));
    if (o->json) {
        json_t *both = json_pack("{s:O, s:O}", "plan", plan, "result", result);
        print_json(both);
        json_decref(both);
    } else {
        printf("\nApplied: %lld created, %lld updated, %lld linked, %lld group additions, %lld group removals, %ld failed\n",
               (long long)json_integer_value(json_object_get(result, "created")),
               (long long)json_integer_value(json_object_get(result, "updated")),
               (long long)json_integer_value(json_object_get(result, "linked")),
               (long long)json_integer_value(json_object_get(result, "group_added")),
               (long long)json_integer_value(json_object_get(result, "group_removed")), failed);
    }
    code = failed ? HRS_EXIT_ERROR : HRS_EXIT_OK;
    if (failed) hrs_error("%ld operation%s failed; the others were applied", failed, failed == 1 ? "" : "s");
out:
    if (err.set) fail(&err);
    json_decref(plan);
    json_decref(result);
    json_decref(ov);
    hrs_engine_close(e);
    return code;
}

static int cmd_demo(const cli_opts *o)
{
    hrs_err err;
    hrs_err_clear(&err);
    if (o->now) setenv("HRSYNC_NOW", o->now, 1);
    hrs_demo_opts d = { o->state_dir, NULL, o->json, o->color, stdout };
    if (hrs_demo_run(&d, &err) != 0) return fail(&err);
    return HRS_EXIT_OK;
}

int hrs_cli_main(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_NOW, OPT_STATE_DIR, OPT_LOG_LEVEL, OPT_LOG_JSON };
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },   { "json", no_argument, NULL, OPT_JSON },
        { "now", required_argument, NULL, OPT_NOW },  { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL }, { "log-json", no_argument, NULL, OPT_LOG_JSON },
        { "help", no_argument, NULL, 'h' },           { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    cli_opts o = { "hrsync.lua", NULL, NULL, 0, isatty(STDOUT_FILENO) && !getenv("NO_COLOR") };
    int level = HRS_LOG_WARN, log_json = 0, c;
    const char *env_level = getenv("HRSYNC_LOG_LEVEL");
    if (env_level && hrs_log_level_parse(env_level) >= 0) level = hrs_log_level_parse(env_level);
    while ((c = getopt_long(argc, argv, "+c:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case OPT_JSON: o.json = 1; break;
        case OPT_NOW: o.now = optarg; break;
        case OPT_STATE_DIR: o.state_dir = optarg; break;
        case OPT_LOG_LEVEL:
            if ((level = hrs_log_level_parse(optarg)) < 0) return usage_error("unknown log level '%s'", optarg);
            break;
        case OPT_LOG_JSON: log_json = 1; break;
        case 'h': fputs(usage_text, stdout); return HRS_EXIT_OK;
        case 'V': printf("hrsync %s\n", HRSYNC_VERSION); return HRS_EXIT_OK;
        default: return usage_error("%s", "unknown option");
        }
    }
    hrs_log_setup((hrs_log_level)level, log_json);
    if (optind >= argc) return usage_error("%s", "no command given (plan, sync or demo)");
    const char *cmd = argv[optind];
    if (optind + 1 < argc) return usage_error("unexpected argument '%s'", argv[optind + 1]);
    if (strcmp(cmd, "plan") == 0) return cmd_plan_or_sync(&o, 0);
    if (strcmp(cmd, "sync") == 0) return cmd_plan_or_sync(&o, 1);
    if (strcmp(cmd, "demo") == 0) return cmd_demo(&o);
    return usage_error("unknown command '%s' (plan, sync or demo)", cmd);
}
