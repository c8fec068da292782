/* cli.c: the `hrsync` command line: option parsing, the command table, help and exit codes.
 * The commands themselves are in engine/cmd_<name>.c. */
#include "hrsync/cli.h"
#include "hrsync/buildinfo.h"
#include "hrsync/log.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const hrs_cli_command commands[] = {
    { "plan", "", "read HR and the directory, print and store what a sync would change", hrs_cmd_plan },
    { "sync", "", "plan, then apply the plan to the directory", hrs_cmd_sync },
    { "apply", "PLAN-ID", "apply a stored plan, if HR and the directory are as they were", hrs_cmd_apply },
    { "log", "", "the audit trail: --person ID, --action ACTION, --since/--until DATE", hrs_cmd_log },
    { "demo", "", "sync the sample company (examples/demo) into a local simulator", hrs_cmd_demo },
    { "run", "", "the daemon: a sync cycle on the config's schedule until SIGTERM; status server", hrs_cmd_run },
    { "status", "", "last runs, pending and failed operations, quarantine, policy version, next run", hrs_cmd_status },
    { "check", "", "run the policy for the last cycle's people: problems as file:line, what the edit changes", hrs_cmd_check },
    { "explain", "PERSON", "why: source fields, include rule, attributes, UPN candidates, groups, operations", hrs_cmd_explain },
    { "test", "[SPEC...]", "run busted specs of your policy written with hrsync.testing (default ./spec)", hrs_cmd_test },
    { NULL, NULL, NULL, NULL },
};

static void usage(FILE *f)
{
    fputs("Usage: hrsync [OPTIONS] COMMAND [ARGS]\n\n"
          "Keeps Microsoft Entra ID in step with an HR system, by rules written in Lua.\n\n"
          "Commands:\n", f);
    for (const hrs_cli_command *c = commands; c->name; c++) {
        char head[64];
        snprintf(head, sizeof head, "%s %s", c->name, c->args);
        fprintf(f, "  %-22s %s\n", head, c->summary);
    }
    fputs("\nOptions:\n"
          "  -c, --config FILE     the configuration (a Lua file); default ./hrsync.lua\n"
          "      --json            print plans and results as JSON\n"
          "      --now DATE        pin today's date (YYYY-MM-DD) for date rules; also HRSYNC_NOW\n"
          "      --force           apply a plan that a guardrail stopped\n"
          "      --incremental     plan, sync: a cycle as the daemon runs between full reconciles (a source\n"
          "                        with a cursor reads from updated_since; with directory.delta, nothing\n"
          "                        changed since the last plan with nothing to do: that plan stands)\n"
          "      --person ID       log: the events of one person (HR id)\n"
          "      --action ACTION   log: events whose action contains ACTION (create, update, disable, group…)\n"
          "      --since DATE      log: events on or after DATE (YYYY-MM-DD, or a UTC time YYYY-MM-DDTHH:MM:SSZ)\n"
          "      --until DATE      log: events on or before DATE\n"
          "      --state-dir DIR   demo: where the demo keeps its state (default ./.hrsync-demo)\n"
          "      --log-level LVL   debug, info, warn (default), error, quiet; also HRSYNC_LOG_LEVEL\n"
          "      --log-json        log as JSON lines\n"
          "  -h, --help            show this help\n"
          "  -V, --version         show the version\n\n"
          "Exit codes:\n"
          "  0   done; for plan: nothing to do\n"
          "  1   error (the message says what and where); nothing half-written\n"
          "  2   plan: changes pending\n"
          "  3   sync, apply: stopped by a guardrail; nothing applied (review, then apply PLAN-ID --force)\n"
          "  64  the command line is wrong\n", f);
}

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

int hrs_cli_fail(const hrs_err *err)
{
    hrs_error("%s", err->msg);
    return HRS_EXIT_ERROR;
}

void hrs_cli_print_json(const json_t *j)
{
    char *t = json_dumps(j, JSON_INDENT(2));
    if (t) printf("%s\n", t);
    free(t);
}

json_t *hrs_cli_overrides(const hrs_cli_opts *o)
{
    return o->now ? json_pack("{s:s}", "now", o->now) : NULL;
}

int hrs_cli_main(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_NOW, OPT_STATE_DIR, OPT_LOG_LEVEL, OPT_LOG_JSON, OPT_FORCE, OPT_PERSON, OPT_ACTION,
           OPT_SINCE, OPT_UNTIL, OPT_INCREMENTAL };
    static const struct option longopts[] = {
        { "config", required_argument, NULL, 'c' },   { "json", no_argument, NULL, OPT_JSON },
        { "now", required_argument, NULL, OPT_NOW },  { "state-dir", required_argument, NULL, OPT_STATE_DIR },
        { "log-level", required_argument, NULL, OPT_LOG_LEVEL }, { "log-json", no_argument, NULL, OPT_LOG_JSON },
        { "force", no_argument, NULL, OPT_FORCE },    { "incremental", no_argument, NULL, OPT_INCREMENTAL },
        { "person", required_argument, NULL, OPT_PERSON }, { "action", required_argument, NULL, OPT_ACTION },
        { "since", required_argument, NULL, OPT_SINCE },   { "until", required_argument, NULL, OPT_UNTIL },
        { "help", no_argument, NULL, 'h' },           { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    hrs_cli_opts o = { .config = "hrsync.lua", .color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR") };
    int level = HRS_LOG_WARN, log_json = 0, c;
    const char *env_level = getenv("HRSYNC_LOG_LEVEL");
    if (env_level && hrs_log_level_parse(env_level) >= 0) { level = hrs_log_level_parse(env_level); o.log_level_given = 1; }
    while ((c = getopt_long(argc, argv, "c:hV", longopts, NULL)) != -1) {
        switch (c) {
        case 'c': o.config = optarg; break;
        case OPT_JSON: o.json = 1; break;
        case OPT_NOW: o.now = optarg; break;
        case OPT_STATE_DIR: o.state_dir = optarg; break;
        case OPT_FORCE: o.force = 1; break;
        case OPT_INCREMENTAL: o.incremental = 1; break;
        case OPT_PERSON: o.person = optarg; break;
        case OPT_ACTION: o.action = optarg; break;
        case OPT_SINCE: o.since = optarg; break;
        case OPT_UNTIL: o.until = optarg; break;
        case OPT_LOG_LEVEL:
            if ((level = hrs_log_level_parse(optarg)) < 0) return usage_error("unknown log level '%s'", optarg);
            o.log_level_given = 1;
            break;
        case OPT_LOG_JSON: log_json = 1; break;
        case 'h': usage(stdout); return HRS_EXIT_OK;
        case 'V': printf("hrsync %s\n", HRSYNC_VERSION); return HRS_EXIT_OK;
        default: return usage_error("%s", "unknown option");
        }
    }
    hrs_log_setup((hrs_log_level)level, log_json);
    if (optind >= argc) return usage_error("%s", "no command given");
    const char *name = argv[optind];
    if (!o.log_level_given && strcmp(name, "run") == 0) hrs_log_setup(HRS_LOG_INFO, log_json); /* a daemon says what it does */
    o.argc = argc - optind - 1;
    o.argv = argv + optind + 1;
    for (const hrs_cli_command *cmd = commands; cmd->name; cmd++)
        if (strcmp(cmd->name, name) == 0) return cmd->run(&o);
    return usage_error("unknown command '%s'", name);
}
