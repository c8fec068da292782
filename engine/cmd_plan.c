/* cmd_plan.c: `hrsync plan` (the plan is stored; its id is printed) and `hrsync sync` (plan,
 * then apply unless a guardrail stops it), and how both report an apply. */
#include "hrsync/cli.h"
#include "hrsync/engine.h"
#include "hrsync/log.h"
#include "hrsync/plan.h"

#include <stdio.h>

/* After a plan is printed: its id, and how to apply it (or the guardrails that hold it). */
static void print_saved(const json_t *plan, const hrs_cli_opts *o)
{
    const char *id = json_string_value(json_object_get(plan, "id"));
    const json_t *g = json_object_get(plan, "guardrails");
    size_t i;
    json_t *v;
    if (!id || (!hrs_plan_count(plan) && !json_array_size(g))) return;
    fputc('\n', stdout);
    json_array_foreach(g, i, v)
        printf("%s! guardrail: %s%s\n", o->color ? "\033[1;31m" : "", json_string_value(json_object_get(v, "message")),
               o->color ? "\033[0m" : "");
    if (json_array_size(g))
        printf("Saved as %s; a guardrail holds it: review it, then apply it with: hrsync apply %s --force\n", id, id);
    else
        printf("Saved as %s; apply it with: hrsync apply %s\n", id, id);
}

int hrs_cli_report_apply(const hrs_cli_opts *o, int rc, const json_t *plan, const json_t *result, const hrs_err *err)
{
    const char *id = json_string_value(json_object_get(plan, "id"));
    if (o->json && plan) {
        json_t *all = json_pack("{s:O, s:O}", "plan", plan, "result", result ? result : json_null());
        if (rc == HRS_ENGINE_STOPPED) json_object_set_new(all, "stopped", json_string(err->msg));
        hrs_cli_print_json(all);
        json_decref(all);
    }
    if (rc == HRS_ENGINE_STOPPED) {
        hrs_error("%s", err->msg);
        return HRS_EXIT_GUARDRAIL;
    }
    if (rc != 0) return hrs_cli_fail(err);
    if (!result) return HRS_EXIT_OK; /* nothing to do: the plan said so */
    long long failed = (long long)json_integer_value(json_object_get(result, "failed"));
    if (!o->json) {
        hrs_plan_print_result(result, stdout);
        if (id) printf("Plan %s applied.\n", id);
    }
    if (failed) hrs_error("%lld operation%s failed; the others were applied", failed, failed == 1 ? "" : "s");
    return failed ? HRS_EXIT_ERROR : HRS_EXIT_OK;
}

static int plan_or_sync(const hrs_cli_opts *o, int apply)
{
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o), *plan = NULL, *result = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_engine *e = hrs_engine_open(o->config, ov, &err);
    if (!e) goto out;
    hrs_engine_cycle cyc = { .incremental = o->incremental };
    hrs_engine_set_cycle(e, &cyc);
    if (!apply) {
        if (hrs_engine_plan(e, &plan, &err) != 0) goto out;
        if (o->json) hrs_cli_print_json(plan);
        else { hrs_plan_print(plan, stdout, o->color); print_saved(plan, o); }
        code = hrs_plan_count(plan) ? HRS_EXIT_PENDING : HRS_EXIT_OK;
        goto out;
    }
    int rc = hrs_engine_sync(e, o->force, &plan, &result, &err);
    if (plan && !o->json) hrs_plan_print(plan, stdout, o->color);
    if (rc == HRS_ENGINE_STOPPED && !o->json) print_saved(plan, o);
    code = hrs_cli_report_apply(o, rc, plan, result, &err);
    hrs_err_clear(&err);
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
