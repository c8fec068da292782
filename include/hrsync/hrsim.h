/* hrsim.h: the local simulator of the HR APIs hrsync reads (engine/sim/hrsim*.c), separate from
 * the Microsoft Graph simulator (sim.h). It runs in-process on a loopback port (libmicrohttpd's
 * own thread), so that the demo, the Lua module and the tests can read HR data over HTTP.
 *
 * Served, as documented in shared/reference/hr-apis.md:
 *   POST /personio/v1/auth                 credentials in a JSON or form body (query-string
 *                                          credentials are refused: deprecated); 60/min
 *   GET  /personio/v1/company/employees    bearer token; limit (50 when absent, 1..100, else
 *                                          400), offset (a record offset), updated_since,
 *                                          email, attributes[]; metadata; the token echoed in
 *                                          the Authorization response header; 300/min and
 *                                          15/s, beyond which 429
 *   GET  /alexishr/v1/employee             bearer token; select, relations (department,
 *                                          office), filters[field][$op] (deepObject; $eq $neq
 *                                          $gt $gte $lt $lte $in), limit/offset; total/count
 *   GET  /custom/people                    HTTP Basic auth; page (from 1) and per_page;
 *                                          {"people":[…], "next": url|null} (a generic API
 *                                          for sources scripted in Lua)
 *   POST /bamboohr/api/gateway.php/{company}/v1/reports/custom
 *                                          HTTP Basic auth (the API key as user); a BambooHR
 *                                          custom report: {"fields":[…], "employees":[…]};
 *                                          JSON only with Accept: application/json
 * The people default to the fixtures (personio-v1-employees-page*.json and
 * alexishr-employees.json) in fixture_dir; the custom and BambooHR endpoints serve the
 * Personio people in their own shapes. */
#ifndef HRSYNC_HRSIM_H
#define HRSYNC_HRSIM_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_hrsim hrs_hrsim;

typedef struct hrs_hrsim_opts {
    const char *bind;                   /* NULL = "127.0.0.1" */
    unsigned short port;                /* 0 = any free port */
    const char *personio_client_id;     /* NULL = "hrsim-client" */
    const char *personio_client_secret; /* NULL = "hrsim-secret" */
    const char *alexis_token;           /* NULL = "hrsim-alexis-token" */
    const char *custom_user;            /* Basic auth of /custom/people and BambooHR (the API
                                           key); NULL = "hrsim-user" */
    const char *custom_password;        /* NULL = "x" (any password for BambooHR) */
    const char *fixture_dir;            /* NULL = $HRSYNC_FIXTURE_DIR, the source tree's
                                           tests/fixtures, or the installed fixtures */
    const json_t *personio_people;      /* array of Personio employees ({type, attributes});
                                           NULL = the fixtures */
    const json_t *alexis_people;        /* array of AlexisHR employees; NULL = the fixtures */
    const json_t *alexis_relations;     /* {"department":[…], "office":[…]}; NULL = fixtures */
} hrs_hrsim_opts;

/* Starts the simulator. Returns NULL and fills err on failure. Stop it with hrs_hrsim_stop. */
hrs_hrsim *hrs_hrsim_start(const hrs_hrsim_opts *opts, hrs_err *err);

/* The port it listens on. */
unsigned short hrs_hrsim_port(const hrs_hrsim *sim);

/* Stops serving and frees everything. NULL is allowed. */
void hrs_hrsim_stop(hrs_hrsim *sim);

/* Changes one person, for tests. system is "personio" or "alexishr"; id is the person's id as
 * text, or "*" for everyone; key is the attribute (Personio: the attribute key, whose envelope
 * keeps its label; AlexisHR: the employee key). value (borrowed) is the new value (JSON null
 * allowed); value NULL removes the attribute (as when a credential may not read it). Changing
 * "id" changes the id. Returns 0, or -1 with err (unknown system or person). Takes the lock. */
int hrs_hrsim_set_person_field(hrs_hrsim *sim, const char *system, const char *id,
                               const char *key, const json_t *value, hrs_err *err);

/* Switches a fault on or off (0 = off). Names:
 *   "throttle_next"   the next N data requests (Personio employees, AlexisHR, custom) get 429
 *   "retry_after"     1 (default) = a 429 carries Retry-After: 1; 0 = no Retry-After
 *   "malformed_page"  the Personio employees page whose offset equals value-1 answers a
 *                     truncated body (so 1 = the page at offset 0)
 *   "malformed_alexis_page"  the same for AlexisHR
 *   "expire_tokens"   1 = every Personio token issued so far is refused (403) from now on
 *   "expire_tokens_after"  N = the same, once N more Personio employee pages are served
 *   "rate_limits"     0 = no Personio rate limits; 1 (default) = 300/min and 15/s
 *   "rotate_tokens"   1 = one-time Personio tokens (the behaviour before mid-2023): each
 *                     answer's Authorization header carries the next token, the used one dies
 * Returns 0, or -1 for an unknown name. Takes the lock. */
int hrs_hrsim_set_fault(hrs_hrsim *sim, const char *name, double value);

/* Counters since start. */
typedef struct hrs_hrsim_stats {
    long requests;          /* every request */
    long throttled;         /* 429 answers */
    long personio_auth;     /* successful Personio sign-ins */
    long personio_pages;    /* Personio employee pages served (200) */
    long alexis_pages;      /* AlexisHR pages served (200) */
    long custom_pages;      /* /custom/people and BambooHR answers (200) */
    long query_credentials; /* Personio sign-ins attempted with credentials in the query string */
} hrs_hrsim_stats;
void hrs_hrsim_get_stats(hrs_hrsim *sim, hrs_hrsim_stats *out);

#endif
