/* cmd_status.c: `hrsync status`: what the engine on this configuration's state file is doing
 * (engine/status.c); the secret is not needed, nothing is sent anywhere. */
#include "hrsync/cli.h"
#include "hrsync/config.h"
#include "hrsync/status.h"
#include "hrsync/store.h"

#include <stdio.h>

int hrs_cmd_status(const hrs_cli_opts *o)
{
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o), *st = NULL;
    hrs_store *s = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_config *c = hrs_config_load_offline(o->config, ov, &err);
    if (!c || !(s = hrs_store_open(c->state_path, &err)) || hrs_status_collect(s, c, 10, &st, &err) != 0) goto out;
    if (o->json) hrs_cli_print_json(st);
    else hrs_status_print(st, stdout);
    code = HRS_EXIT_OK;
out:
    if (err.set) hrs_cli_fail(&err);
    json_decref(st);
    json_decref(ov);
    hrs_store_close(s);
    hrs_config_free(c);
    return code;
}
