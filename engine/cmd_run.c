/* cmd_run.c: `hrsync run`: the daemon (engine/daemon.c) until SIGTERM. */
#include "hrsync/cli.h"
#include "hrsync/daemon.h"

#include <stdio.h>

int hrs_cmd_run(const hrs_cli_opts *o)
{
    if (o->argc > 0) {
        fprintf(stderr, "hrsync: run takes no arguments ('%s')\nTry 'hrsync --help'.\n", o->argv[0]);
        return HRS_EXIT_USAGE;
    }
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o);
    hrs_daemon_opts d = { o->config, ov, 0 };
    int rc = hrs_daemon_run(&d, &err);
    json_decref(ov);
    return rc == 0 ? HRS_EXIT_OK : hrs_cli_fail(&err);
}
