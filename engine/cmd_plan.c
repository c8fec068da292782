/* cmd_plan.c: `hrsync plan` and `hrsync sync`. */
#include "hrsync/cli.h"
#include "hrsync/engine.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"

#include <stdio.h>

static void print_result(const json_t *r)
{
    printf("\nApplied: %lld created, %lld updated, %lld linked, %lld group additions, %lld group removals, %lld failed\n",
           (long long)json_integer_value(json_object_get(r, "created")),
           (long long)json_integer_value(json_object_get(r, "updated")),
           (long long)json_integer_value(json_object_get(r, "linked")),
           (long long)json_integer_value(json_object_get(r, "group_added")),
           (long long)json_integer_value(json_object_get(r, "group_removed")),
           (long long)json_integer_value(json_object_get(r, "failed")));
}

static int plan_or_sync(const hrs_cli_opts *o, int apply)
{
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o), *plan = NULL, *result = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_engine *e = hrs_engine_open(o->config, ov, &err);
    if (!e || hrs_engine_plan(e, &plan, &err) != 0) goto out;
    size_t n = hrs_plan_count(plan);
    if (!apply || n == 0) {
        if (o->json) hrs_cli_print_json(plan); else hrs_plan_print(plan, stdout, o->color);
        code = !apply && n ? HRS_EXIT_PENDING : HRS_EXIT_OK;
        goto out;
    }
    if (!o->json) hrs_plan_print(plan, stdout, o->color);
    if (hrs_engine_apply(e, plan, &result, &err) != 0) goto out;
    long long failed = (long long)json_integer_value(json_object_get(result, "failed"));
    if (o->json) {
        json_t *both = json_pack("{s:O, s:O}", "plan", plan, "result", result);
        hrs_cli_print_json(both);
        json_decref(both);
    } else {
        print_result(result);
    }
    code = failed ? HRS_EXIT_ERROR : HRS_EXIT_OK;
    if (failed) hrs_error("%lld operation%s failed; the others were applied", failed, failed == 1 ? "" : "s");
out:
    if (err.set) hrs_cli_fail(&err);
    json_decref(plan);
    json_decref(result);
    json_decref(ov);
    hrs_engine_close(e);
    return code;
}

int hrs_cmd_plan(const hrs_cli_opts *o) { return plan_or_sync(o, 0); }
int hrs_cmd_sync(const hrs_cli_opts *o) { return plan_or_sync(o, 1); }
