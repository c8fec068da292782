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
    const char *state_file;      /* JSON file holding the directory between runs, rewritten
                                    atomically after every successful write; NULL = memory */
    const char *seed_file;       /* JSON {users:[…], groups:[…], domains:[…]} loaded when the
                                    state file does not exist yet; NULL = empty directory */
    const char *client_certificate_file; /* PEM certificate registered for the app: a client
                                    assertion must name it (x5t or x5t#S256) and be signed with
                                    its key (RS256 or PS256). NULL = assertions are checked for
                                    their shape and claims only */
} hrs_sim_opts;

/* Starts the simulator. Returns NULL and fills err on failure. The caller owns the result and
 * frees it with hrs_sim_stop(). */
hrs_sim *hrs_sim_start(const hrs_sim_opts *opts, hrs_err *err);

/* The port the simulator listens on. */
unsigned short hrs_sim_port(const hrs_sim *sim);

/* Stops serving, writes the state file (if any) and frees everything. NULL is allowed. */
void hrs_sim_stop(hrs_sim *sim);

/* A deep copy of the directory: {"users":[…], "groups":[{id, displayName, …, members:[ids]}…],
 * "domains":[…]}. A user is its Graph properties plus "manager" (the manager's id) and, once a
 * password was set, "passwordProfile" without the password. This is also the state file's format.
 * The caller owns the result. */
json_t *hrs_sim_snapshot(hrs_sim *sim);

/* Switches a fault or limit on or off. Names and values (all numbers; 0 switches off):
 *   "throttle_writes"       write budget per window (3000 = documented limit, per 150 s)
 *   "throttle_window_s"     the window of that budget in seconds (150 = documented; smaller
 *                           windows scale the limit up for benchmarks)
 *   "fail_5xx"              the next N requests answer 503
 *   "fail_5xx_batch_items"  the next N requests inside $batch requests answer 503 (in the batch)
 *   "fail_after_create"     the next N user creates are made, but answer 500 (a lost answer)
 *   "slow_ms"               every answer is delayed this many milliseconds
 *   "hang_next"             the next N Graph requests are carried out, but answered 3 s late
 *                           (a client with a shorter timeout never sees the answer)
 *   "token_ttl"             lifetime in seconds of the tokens issued from now on
 *   "expire_tokens"         1 = every access token issued so far expires now
 *   "expire_tokens_every"   every N-th Graph request makes the tokens issued so far expire
 *   "replication_delay_ms"  a new user answers 404 to reads/writes by id for this long
 *   "shuffle_batch"         1 = $batch responses in shuffled order
 *   "expire_delta_tokens"   1 = every deltaLink and delta nextLink issued so far answers 400
 *                           syncStateNotFound
 * The write budget starts at the documented 3000 per 150 s; token_ttl 0 restores the default
 * 3599 s. Returns 0, or -1 for an unknown name. Takes the simulator's lock; safe from any
 * thread. */
int hrs_sim_set_fault(hrs_sim *sim, const char *name, double value);

/* Switches a fault whose value is text (NULL or "" switches it off):
 *   "deny_permission"  requests the app may not make answer 403 Authorization_RequestDenied,
 *                      as when an application permission is missing. A comma-separated list
 *                      of: a property name ("employeeLeaveDateTime": a write whose body sets
 *                      it), or "[METHOD ]/path" where a segment {id} matches any one segment
 *                      and the path matches a request's path or its beginning ("POST
 *                      /groups/{id}/members", "/users/{id}/revokeSignInSessions", "GET /users").
 * Numeric faults are also accepted here (the text is parsed as a number). Returns 0, or -1 for
 * an unknown name or a bad value. */
int hrs_sim_set_fault_text(hrs_sim *sim, const char *name, const char *value);

/* Counters since start: requests, writes, throttled (429) answers, batches, tokens issued. */
typedef struct hrs_sim_stats {
    long requests, writes, throttled, batches, tokens;
    long delta_items;   /* users and @removed entries served by /users/delta */
    long denied;        /* 403s of the deny_permission fault */
} hrs_sim_stats;
void hrs_sim_get_stats(hrs_sim *sim, hrs_sim_stats *out);

#endif
