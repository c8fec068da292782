/* cli.h: the `hrsync` command line: options, the command table, exit codes.
 *
 * Each command lives in its own file (engine/cmd_<name>.c) and is listed in the table in
 * cli.c; options are shared by all commands and may come before or after the command. */
#ifndef HRSYNC_CLI_H
#define HRSYNC_CLI_H

#include <jansson.h>
#include "hrsync/err.h"

/* Exit codes, as documented in `hrsync --help` and the README. */
enum {
    HRS_EXIT_OK = 0,        /* done; for plan: nothing to do */
    HRS_EXIT_ERROR = 1,     /* an error; nothing half-written */
    HRS_EXIT_PENDING = 2,   /* plan: changes pending */
    HRS_EXIT_GUARDRAIL = 3, /* sync/apply: stopped by a guardrail; nothing applied */
    HRS_EXIT_USAGE = 64     /* the command line is wrong */
};

typedef struct hrs_cli_opts {
    const char *config;     /* -c/--config, default ./hrsync.lua */
    const char *now;        /* --now YYYY-MM-DD, or NULL */
    const char *state_dir;  /* --state-dir (demo) */
    int json;               /* --json */
    int color;              /* stdout is a terminal and NO_COLOR is unset */
    int force;              /* --force: apply past a guardrail */
    int argc;               /* the command's own arguments (after the command name) */
    char **argv;
    int log_level_given;    /* --log-level or HRSYNC_LOG_LEVEL was given (run defaults to info) */
    const char *person;     /* log: --person ID */
    const char *action;     /* log: --action ACTION */
    const char *since;      /* log: --since DATE */
    const char *until;      /* log: --until DATE */
    int incremental;        /* plan, sync: --incremental, a cycle as the daemon runs between full
                               reconciles (hrs_engine_cycle.incremental) */
} hrs_cli_opts;

typedef struct hrs_cli_command {
    const char *name;
    const char *args;       /* "PLAN-ID", "[SPEC…]" or "" for --help */
    const char *summary;    /* one line for --help */
    int (*run)(const hrs_cli_opts *o);
} hrs_cli_command;

/* Runs the program; returns the exit code. */
int hrs_cli_main(int argc, char **argv);

/* Helpers for commands. */
int hrs_cli_fail(const hrs_err *err);               /* logs err, returns HRS_EXIT_ERROR */
void hrs_cli_print_json(const json_t *j);           /* pretty JSON on stdout */
json_t *hrs_cli_overrides(const hrs_cli_opts *o);   /* {now} from --now, or NULL (caller owns) */
/* Reports the outcome of hrs_engine_sync / hrs_engine_apply_stored (rc) as the commands do:
 * the result (or, with --json, {plan, result, stopped}), the plan's id, the guardrail that
 * stopped it; returns the exit code (engine/cmd_plan.c). */
int hrs_cli_report_apply(const hrs_cli_opts *o, int rc, const json_t *plan, const json_t *result, const hrs_err *err);

/* The commands (engine/cmd_*.c). */
int hrs_cmd_plan(const hrs_cli_opts *o);
int hrs_cmd_apply(const hrs_cli_opts *o);
int hrs_cmd_log(const hrs_cli_opts *o);
int hrs_cmd_sync(const hrs_cli_opts *o);
int hrs_cmd_demo(const hrs_cli_opts *o);
int hrs_cmd_run(const hrs_cli_opts *o);
int hrs_cmd_status(const hrs_cli_opts *o);
int hrs_cmd_check(const hrs_cli_opts *o);     /* engine/cmd_check.c */
int hrs_cmd_explain(const hrs_cli_opts *o);   /* engine/cmd_explain.c */
int hrs_cmd_test(const hrs_cli_opts *o);      /* engine/cmd_test.c */

#endif
