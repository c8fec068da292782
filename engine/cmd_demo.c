/* cmd_demo.c: `hrsync demo` (the work is in demo.c). */
#include "hrsync/cli.h"
#include "hrsync/demo.h"

#include <stdio.h>
#include <stdlib.h>

int hrs_cmd_demo(const hrs_cli_opts *o)
{
    hrs_err err;
    hrs_err_clear(&err);
    if (o->now) setenv("HRSYNC_NOW", o->now, 1);
    hrs_demo_opts d = { o->state_dir, NULL, o->json, o->color, stdout };
    if (hrs_demo_run(&d, &err) != 0) return hrs_cli_fail(&err);
    return HRS_EXIT_OK;
}
