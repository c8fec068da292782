/* cli.h: the `hrsync` command line (commands, options, exit codes). */
#ifndef HRSYNC_CLI_H
#define HRSYNC_CLI_H

/* Exit codes, as documented in `hrsync --help` and the README. */
enum {
    HRS_EXIT_OK = 0,        /* done; for plan: nothing to do */
    HRS_EXIT_ERROR = 1,     /* an error; nothing half-written */
    HRS_EXIT_PENDING = 2,   /* plan: changes pending */
    HRS_EXIT_USAGE = 64     /* the command line is wrong */
};

/* Runs the program; returns the exit code. */
int hrs_cli_main(int argc, char **argv);

#endif
