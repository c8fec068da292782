/* cmd_log.c: `hrsync log`: the audit trail of the operations hrsync sent to the directory,
 * filtered by person, action and time (engine/audit.c); the secret is not needed. */
#include "hrsync/audit.h"
#include "hrsync/cli.h"
#include "hrsync/config.h"
#include "hrsync/store.h"

#include <stdio.h>

int hrs_cmd_log(const hrs_cli_opts *o)
{
    if (o->argc != 0) {
        fprintf(stderr, "hrsync: log takes options, not arguments (--person ID, --action ACTION, --since DATE, "
                        "--until DATE)\nTry 'hrsync --help'.\n");
        return HRS_EXIT_USAGE;
    }
    hrs_err err;
    hrs_err_clear(&err);
    json_t *ov = hrs_cli_overrides(o), *events = NULL;
    hrs_store *s = NULL;
    int code = HRS_EXIT_ERROR;
    hrs_audit_filter f = { o->person, o->action, o->since, o->until, 0 };
    hrs_config *c = hrs_config_load_offline(o->config, ov, &err);
    if (!c || !(s = hrs_store_open(c->state_path, &err)) || hrs_audit_query(s, &f, &events, &err) != 0) goto out;
    if (o->json) hrs_cli_print_json(events);
    else hrs_audit_print(events, stdout, o->color);
    code = HRS_EXIT_OK;
out:
    if (err.set) hrs_cli_fail(&err);
    json_decref(events);
    json_decref(ov);
    hrs_store_close(s);
    hrs_config_free(c);
    return code;
}
