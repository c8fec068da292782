/* graph_config.c: the Graph connector a configuration's `directory` table describes (see
 * hrs_graph_from_config in include/hrsync/graph.h):
 *
 *   directory = {
 *     tenant = "…", client_id = "…",
 *     client_secret_env = "…" | client_secret_file = "…" |
 *     client_certificate_file = "app.pem",     -- certificate + key, or with client_key_file
 *     client_key_file = "app.key",             -- optional; relative to the config
 *     client_assertion_alg = "PS256",          -- or "RS256" (x5t, SHA-1 thumbprint)
 *     write_budget = 3000,                     -- writes per 150 s; { writes = 3000, seconds = 150 }; false: off
 *     concurrency = 4,                         -- $batch requests in flight
 *     delta = false,                           -- read users through /users/delta
 *   } */
#include "graph_internal.h"
#include "hrsync/config.h"

#include <stdio.h>
#include <string.h>

static int bad(const hrs_config *c, const char *key, hrs_err *err, const char *what)
{
    int line = hrs_config_line_of(c, key);
    if (line) return hrs_err_set(err, "%s:%d: directory.%s %s", c->path, line, key, what);
    return hrs_err_set(err, "%s: directory.%s %s", c->path, key, what);
}

static int budget_of(const hrs_config *c, const json_t *v, hrs_graph_ext *x, hrs_err *err)
{
    if (!v) return 0;
    if (json_is_false(v)) { x->write_budget = -1; return 0; }
    const json_t *w = v, *sec = NULL;
    if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e)
            if (strcmp(k, "writes") != 0 && strcmp(k, "seconds") != 0)
                return bad(c, "write_budget", err, "takes { writes = N, seconds = S }");
        w = json_object_get(v, "writes");
        sec = json_object_get(v, "seconds");
    }
    if (!json_is_number(w) || json_number_value(w) < 1 || (sec && (!json_is_number(sec) || json_number_value(sec) <= 0)))
        return bad(c, "write_budget", err, "must be a number of writes per 150 s (Graph allows 3000), "
                   "{ writes = N, seconds = S }, or false");
    x->write_budget = json_number_value(w);
    x->write_window_s = sec ? json_number_value(sec) : 0;
    return 0;
}

hrs_graph *hrs_graph_from_config(const hrs_config *c, hrs_err *err)
{
    const json_t *d = json_object_get(c->root, "directory");
    hrs_graph_opts o = { .graph_url = c->directory.graph_url, .login_url = c->directory.login_url,
                         .tenant = c->directory.tenant, .client_id = c->directory.client_id,
                         .client_secret = c->directory.client_secret, .scope = c->directory.scope,
                         .timeout_s = c->directory.timeout_s };
    hrs_graph_ext x = { 0 };
    x.client_certificate_file = json_string_value(json_object_get(d, "client_certificate_file"));
    x.client_key_file = json_string_value(json_object_get(d, "client_key_file"));
    x.client_assertion_alg = json_string_value(json_object_get(d, "client_assertion_alg"));
    const json_t *alg = json_object_get(d, "client_assertion_alg");
    if (alg && (!x.client_assertion_alg || (strcmp(x.client_assertion_alg, "PS256") != 0 &&
                                            strcmp(x.client_assertion_alg, "RS256") != 0)))
        return bad(c, "client_assertion_alg", err, "must be \"PS256\" or \"RS256\""), NULL;
    if (x.client_key_file && !x.client_certificate_file)
        return bad(c, "client_key_file", err, "needs client_certificate_file (the certificate it belongs to)"), NULL;
    if (budget_of(c, json_object_get(d, "write_budget"), &x, err) != 0) return NULL;
    const json_t *cc = json_object_get(d, "concurrency");
    if (cc && (!json_is_integer(cc) || json_integer_value(cc) < 1 || json_integer_value(cc) > GRAPH_MAX_CONCURRENCY)) {
        char why[80];
        snprintf(why, sizeof why, "must be a whole number from 1 to %d", GRAPH_MAX_CONCURRENCY);
        return bad(c, "concurrency", err, why), NULL;
    }
    x.concurrency = cc ? (int)json_integer_value(cc) : 0;
    const json_t *delta = json_object_get(d, "delta");
    if (delta && !json_is_boolean(delta)) return bad(c, "delta", err, "must be true or false"), NULL;
    x.delta = json_is_true(delta);
    if (x.client_certificate_file) o.client_secret = NULL;
    hrs_graph *g = hrs_graph_new_ext(&o, &x, err);
    if (!g && x.client_certificate_file) hrs_err_prefix(err, "%s: directory", c->path);
    return g;
}
