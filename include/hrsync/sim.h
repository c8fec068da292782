/* sim.h: the local simulator of the Microsoft Graph subset (and the OAuth token endpoint) that
 * hrsync uses. It runs in-process on a loopback port (libmicrohttpd's own thread), so that
 * `hrsync demo`, the Lua module and the tests can start and stop it; the `hrsync-sim` program
 * runs the same code on its own.
 *
 * Behaviour follows shared/reference/graph.md (the documented Graph behaviour), not the
 * engine's convenience: required properties on create, UPN rules, error envelopes, paging,
 * $batch with responses in any order, throttling with Retry-After. */
#ifndef HRSYNC_SIM_H
#define HRSYNC_SIM_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_sim hrs_sim;

typedef struct hrs_sim_opts {
    const char *bind;            /* address to listen on; NULL = "127.0.0.1" */
    unsigned short port;         /* 0 = any free port (read it back with hrs_sim_port) */
    const char *tenant;          /* tenant accepted in /{tenant}/oauth2/v2.0/token; NULL = any */
    const char *client_id;       /* accepted client id; NULL = any */
    const char *client_secret;   /* accepted client secret; NULL = any non-empty */
    const char *state_file;      /* JSON file holding the directory between runs; NULL = memory */
    const char *seed_file;       /* JSON {users:[…], groups:[…], domains:[…]} loaded when the
                                    state file does not exist yet; NULL = empty directory */
} hrs_sim_opts;

/* Starts the simulator. Returns NULL and fills err on failure. The caller owns the result and
 * frees it with hrs_sim_stop(). */
hrs_sim *hrs_sim_start(const hrs_sim_opts *opts, hrs_err *err);

/* The port the simulator listens on. */
unsigned short hrs_sim_port(const hrs_sim *sim);

/* Stops serving, writes the state file (if any) and frees everything. NULL is allowed. */
void hrs_sim_stop(hrs_sim *sim);

/* A deep copy of the directory: {"users":[…], "groups":[{id, displayName, members:[ids]}…]}.
 * The caller owns the result. */
json_t *hrs_sim_snapshot(hrs_sim *sim);

/* Switches a fault or limit on or off. Names and values (all numbers; 0 switches off):
 *   "throttle_writes"       write budget per 150 s window (3000 = documented limit)
 *   "fail_5xx"              the next N requests answer 503
 *   "slow_ms"               every answer is delayed this many milliseconds
 *   "token_ttl"             lifetime in seconds of the tokens issued from now on
 *   "replication_delay_ms"  a new user answers 404 to reads/writes by id for this long
 *   "shuffle_batch"         1 = $batch responses in shuffled order
 *   "expire_tokens"         1 = every access token issued so far expires now
 * The write budget starts at the documented 3000; token_ttl 0 restores the default 3599 s.
 * Returns 0, or -1 for an unknown name. Takes the simulator's lock; safe from any thread. */
int hrs_sim_set_fault(hrs_sim *sim, const char *name, double value);

/* Counters since start: requests, writes, throttled (429) answers, batches, tokens issued. */
typedef struct hrs_sim_stats {
    long requests, writes, throttled, batches, tokens;
} hrs_sim_stats;
void hrs_sim_get_stats(hrs_sim *sim, hrs_sim_stats *out);

#endif
