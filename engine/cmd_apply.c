/* cmd_apply.c: `hrsync apply PLAN-ID [--force]`: applies a stored plan (hrs_engine_apply_stored)
 * when HR and the directory are as they were when it was made. */
#include "hrsync/cli.h"
#include "hrsync/engine.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"

#include <stdio.h>

int hrs_cmd_apply(const hrs_cli_opts *o)
{
    if (o->argc != 1) {
        fprintf(stderr, "hrsync: apply needs the id of a plan (hrsync plan prints it), e.g. hrsync apply p-20261201-0001\n"
                        "Try 'hrsync --help'.\n");
        return HRS_EXIT_USAGE;
    }
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o), *plan = NULL, *result = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_engine *e = hrs_engine_open(o->config, ov, &err);
    if (!e) {
        code = hrs_cli_fail(&err);
    } else {
        int rc = hrs_engine_apply_stored(e, o->argv[0], o->force, &plan, &result, &err);
        if (plan && !o->json) hrs_plan_print(plan, stdout, o->color);
        code = hrs_cli_report_apply(o, rc, plan, result, &err);
    }
    json_decref(plan);
    json_decref(result);
    json_decref(ov);
    hrs_engine_close(e);
    return code;
}
