/* sim_main.c: the standalone `hrsync-sim` program: runs the Microsoft Graph simulator on a port
 * until SIGINT or SIGTERM, then saves its state file. Tests in another process drive it through
 * the admin API (GET /_sim/state, GET /_sim/stats, POST /_sim/fault). */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hrsync/sim.h"

static void usage(FILE *out)
{
    fprintf(out,
            "usage: hrsync-sim [options]\n"
            "  --port N                 port to listen on (default 0: any free port)\n"
            "  --bind ADDR              address to listen on (default 127.0.0.1)\n"
            "  --state FILE             directory state, loaded at start and saved after writes\n"
            "  --seed FILE              JSON {users, groups, domains} used when FILE of --state\n"
            "                           does not exist yet\n"
            "  --tenant ID              the only tenant the token endpoint accepts\n"
            "  --client-id ID           the only client id the token endpoint accepts\n"
            "  --client-secret-env NAME environment variable holding the accepted client secret\n"
            "  --client-certificate FILE PEM certificate registered for the app: client assertions\n"
            "                           must name it and be signed with its key\n"
            "  --fault NAME=VALUE       switch a fault on (throttle_writes, throttle_window_s,\n"
            "                           fail_5xx, fail_5xx_batch_items, fail_after_create, slow_ms,\n"
            "                           hang_next,\n"
            "                           token_ttl, expire_tokens, expire_tokens_every,\n"
            "                           replication_delay_ms, shuffle_batch, expire_delta_tokens,\n"
            "                           deny_permission=SPEC); may be repeated\n"
            "Prints \"listening on http://ADDR:PORT\"; Graph is below /v1.0 there.\n");
}

static int parse_port(const char *s, unsigned short *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < 0 || v > 65535) return -1;
    *out = (unsigned short)v;
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "port", required_argument, NULL, 'p' },
        { "bind", required_argument, NULL, 'b' },
        { "state", required_argument, NULL, 's' },
        { "seed", required_argument, NULL, 'S' },
        { "tenant", required_argument, NULL, 't' },
        { "client-id", required_argument, NULL, 'c' },
        { "client-secret-env", required_argument, NULL, 'e' },
        { "client-certificate", required_argument, NULL, 'C' },
        { "fault", required_argument, NULL, 'f' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    hrs_sim_opts opts = { 0 };
    const char *faults[32];
    int nfaults = 0, c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_port(optarg, &opts.port) != 0) {
                fprintf(stderr, "hrsync-sim: --port %s: not a port number\n", optarg);
                return 2;
            }
            break;
        case 'b': opts.bind = optarg; break;
        case 's': opts.state_file = optarg; break;
        case 'S': opts.seed_file = optarg; break;
        case 't': opts.tenant = optarg; break;
        case 'c': opts.client_id = optarg; break;
        case 'e':
            opts.client_secret = getenv(optarg);
            if (!opts.client_secret || !*opts.client_secret) {
                fprintf(stderr, "hrsync-sim: --client-secret-env %s: the variable is not set\n",
                        optarg);
                return 2;
            }
            break;
        case 'C': opts.client_certificate_file = optarg; break;
        case 'f':
            if (nfaults == (int)(sizeof faults / sizeof faults[0]) || !strchr(optarg, '=')) {
                fprintf(stderr, "hrsync-sim: --fault %s: expected NAME=VALUE\n", optarg);
                return 2;
            }
            faults[nfaults++] = optarg;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind < argc) {
        usage(stderr);
        return 2;
    }

    /* Block the stop signals before libmicrohttpd starts its threads, so they all inherit the mask
     * and only sigwait below receives them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0) {
        fprintf(stderr, "hrsync-sim: cannot block signals\n");
        return 1;
    }

    hrs_err err = { 0 };
    hrs_sim *sim = hrs_sim_start(&opts, &err);
    if (!sim) {
        fprintf(stderr, "hrsync-sim: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < nfaults; i++) {
        char name[64];
        const char *eq = strchr(faults[i], '=');
        snprintf(name, sizeof name, "%.*s", (int)(eq - faults[i]), faults[i]);
        if (!eq[1] || hrs_sim_set_fault_text(sim, name, eq + 1) != 0) {
            fprintf(stderr, "hrsync-sim: --fault %s: unknown fault or bad value\n", faults[i]);
            hrs_sim_stop(sim);
            return 2;
        }
    }
    const char *addr = opts.bind ? opts.bind : "127.0.0.1";
    int v6 = strchr(addr, ':') != NULL;
    printf("listening on http://%s%s%s:%u\n", v6 ? "[" : "", addr, v6 ? "]" : "",
           (unsigned)hrs_sim_port(sim));
    fflush(stdout);

    int sig = 0;
    while (sigwait(&stop, &sig) != 0) {}
    hrs_sim_stop(sim);
    return 0;
}
