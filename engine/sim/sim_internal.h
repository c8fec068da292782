/* sim_internal.h: the simulator's private types and the functions its files share. Nothing outside
 * engine/sim/ includes this header; the public interface is include/hrsync/sim.h.
 *
 * Threading: libmicrohttpd runs each connection on its own thread. Every function below that
 * takes an hrs_sim expects the caller to hold sim->lock, unless its comment says otherwise. */
#ifndef HRSYNC_SIM_INTERNAL_H
#define HRSYNC_SIM_INTERNAL_H

#include <pthread.h>
#include <stddef.h>
#include <jansson.h>

#include "hrsync/err.h"
#include "hrsync/sim.h"

#define SIM_PAGE_DEFAULT 100          /* default page size of collections (graph.md §6) */
#define SIM_PAGE_MAX 999              /* largest $top (graph.md §6) */
#define SIM_BATCH_MAX 20              /* requests per $batch (graph.md §4) */
#define SIM_BIND_MAX 20               /* members@odata.bind per request (graph.md §3) */
#define SIM_WINDOW_S 150.0            /* write-quota window, 2 min 30 s (graph.md §5) */
#define SIM_WRITE_QUOTA 3000.0        /* documented writes per window per app+tenant */
#define SIM_TOKEN_TTL 3599.0          /* expires_in of issued tokens (graph.md §8) */
#define SIM_BODY_MAX (8u << 20)       /* largest request body accepted */
#define SIM_DEFAULT_DOMAIN "example.com"
#define SIM_HANG_MS 3000.0            /* how long the hang_next fault holds an answer back */

/* A property of a simulated entity type (sim_schema.c). */
typedef struct sim_prop {
    const char *name;
    char type;             /* 'S' string, 'B' boolean, 'D' date-time, 'I' int32,
                              'C' string collection, 'O' complex, 'L' complex collection */
    unsigned char flags;   /* SIM_P_* */
    unsigned short maxlen; /* longest string value in characters; 0 = not limited */
    char filter;           /* 'd' filterable by default, 'a' advanced queries only, 0 not at all */
} sim_prop;

#define SIM_P_RO      1u   /* read-only: a request body may not set it */
#define SIM_P_DEFAULT 2u   /* returned when no $select is given */
#define SIM_P_NOAPP   4u   /* cannot be written app-only (graph.md §1) */
#define SIM_P_HIDDEN  8u   /* never returned (passwordProfile) */

/* A user. props holds what GET returns (plus "passwordProfile" without its password, which is
 * never returned); the password itself is never kept. */
typedef struct sim_user {
    json_t *props;        /* owned */
    char *manager;        /* owned: the manager's id, or NULL */
    char *old_manager;    /* owned: the manager removed by the last change, for manager@delta */
    double created_at;    /* monotonic seconds at creation; 0 = loaded from a file */
    long seq;             /* creation order: paging tokens point into it */
    long changed;         /* change number of its last change (sim_delta.c) */
} sim_user;

typedef struct sim_group {
    json_t *props;        /* owned: id, displayName, mailNickname, … */
    json_t *members;      /* owned: object member id → true, in insertion order */
    long seq;
} sim_group;

struct hrs_sim {
    pthread_mutex_t lock;
    struct MHD_Daemon *daemon;
    unsigned short port;
    char *bind, *tenant, *client_id, *client_secret, *state_file;  /* owned copies of the opts */

    sim_user **users;     /* owned; NULL slots are deleted users */
    size_t nusers, capusers;
    json_t *user_by_id;   /* lower-case id → index into users */
    json_t *user_by_upn;  /* lower-case UPN → index into users */
    sim_group **groups;   /* owned; NULL slots are deleted groups */
    size_t ngroups, capgroups;
    json_t *group_by_id;  /* lower-case id → index into groups */
    json_t *domains;      /* array of verified domain names */
    json_t *tokens;       /* issued access token → monotonic expiry time */
    long next_seq;

    /* faults and limits (hrs_sim_set_fault) */
    double throttle_writes, throttle_window_s, slow_ms, token_ttl, replication_delay_ms;
    long fail_5xx, fail_5xx_batch_items, fail_after_create, expire_tokens_every, since_expiry, hang_next;
    int shuffle_batch;
    char *deny;               /* the deny_permission fault: comma-separated specs, or NULL */

    /* change tracking for /users/delta (sim_delta.c) */
    long change_seq;          /* the last change number given out */
    long delta_gen;           /* tokens of an older generation answer syncStateNotFound */
    json_t *tombstones;       /* [[id, change number], …] of deleted users */

    /* the registered certificate (sim_cert.c), or NULL */
    struct sim_cert *cert;
    double bucket, bucket_at; /* write token bucket: tokens left, when last refilled */

    hrs_sim_stats stats;
    int dirty;                 /* a write succeeded since the state file was last written */
    char save_error[HRS_ERR_MAX]; /* why the last write of the state file failed, or "" */
};

/* One Graph request, from the HTTP server or from a $batch entry. The creator owns the json
 * values and strings. */
typedef struct sim_req {
    const char *method;            /* upper case */
    const char *path;              /* decoded path below /v1.0, starting with '/' */
    json_t *query;                 /* decoded query parameters, name → string, in order */
    json_t *headers;               /* lower-case header name → value */
    json_t *body;                  /* parsed JSON body, or NULL */
    int body_bad;                  /* a body was sent that is not JSON */
    const char *base;              /* "http://host:port/v1.0", for links */
    char request_id[37];
    const char *client_request_id; /* the client's, or request_id */
    int in_batch;
} sim_req;

/* An answer: status, extra headers (name → string) and JSON body (NULL = none). Owned. */
typedef struct sim_resp {
    int status;
    json_t *headers;
    json_t *body;
} sim_resp;

/* ---- sim_util.c ---- */
/* Monotonic clock in seconds. */
double hrs_sim_mono(void);
/* Sleeps ms milliseconds (nothing when ms <= 0). */
void hrs_sim_sleep_ms(double ms);
/* Fills buf with n random bytes (getrandom). */
void hrs_sim_random(void *buf, size_t n);
/* A random (version 4) GUID in lower case, as Graph writes ids. */
void hrs_sim_guid(char out[37]);
/* UTC now: SIM_TIME_ISO "2026-12-01T09:30:00Z", SIM_TIME_INNER "2026-12-01T09:30:00" (Graph's
 * innerError.date), SIM_TIME_AAD "2026-12-01 09:30:00Z" (Entra's timestamps). */
enum { SIM_TIME_ISO, SIM_TIME_INNER, SIM_TIME_AAD };
void hrs_sim_time(char *buf, size_t n, int kind);
/* Percent-encodes everything but unreserved characters. Returns a malloc'ed string or NULL. */
char *hrs_sim_url_encode(const char *s);
/* Parses "a=1&b=2" into a new object of decoded strings (later names win). */
json_t *hrs_sim_query_parse(const char *qs, size_t n);
/* Decodes base64 or base64url text into a malloc'ed NUL-terminated buffer; NULL if invalid. */
char *hrs_sim_b64_decode(const char *s, size_t n, size_t *outlen);
/* Makes room for element n of the array *arrp (an address of a T *), which holds *cap elements
 * of elem bytes, doubling it when full. Returns 0, or -1 when out of memory (nothing changed). */
int hrs_sim_grow(void *arrp, size_t n, size_t *cap, size_t elem);
/* Number of UTF-8 characters in s. */
size_t hrs_sim_utf8_len(const char *s);
/* Header value (lower-case name) of a request, or NULL. */
const char *hrs_sim_header(const sim_req *q, const char *lname);
/* Fills r with a Graph error envelope (graph.md §7). */
void hrs_sim_fail(const sim_req *q, sim_resp *r, int status, const char *code, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));
/* Adds {"target", "code"} to the error's details. */
void hrs_sim_fail_detail(sim_resp *r, const char *target, const char *code);
/* Fills r with status and body (the reference to body is stolen; NULL = no body). */
void hrs_sim_reply(sim_resp *r, int status, json_t *body);
/* Sets a response header (copied). */
void hrs_sim_resp_header(sim_resp *r, const char *name, const char *value);
/* Releases the headers and body of r. */
void hrs_sim_resp_free(sim_resp *r);
/* Lower-cases an ASCII string into buf. */
void hrs_sim_lower(char *buf, size_t n, const char *s);

/* ---- sim_schema.c ---- */
/* The properties of microsoft.graph.user and microsoft.graph.group; a NULL name ends each. */
extern const sim_prop hrs_sim_user_props[];
extern const sim_prop hrs_sim_group_props[];
/* The property of table named name (exact case when exact, else case-insensitive), or NULL. */
const sim_prop *hrs_sim_prop(const sim_prop *table, const char *name, int exact);
/* Class of a filter path such as "employeeOrgData/costCenter": 'd', 'a', 0 (not filterable) or
 * '?' (no such property); *type receives the property's type. */
char hrs_sim_filter_class(const sim_prop *table, const char *path, char *type,
                          char *canon, size_t n);

/* ---- sim_filter.c ---- */
/* A parsed $filter (owned by the caller, freed with hrs_sim_filter_free). */
typedef struct sim_filter sim_filter;
/* Parses an OData $filter. Returns NULL and writes a reason into why on a syntax error. */
sim_filter *hrs_sim_filter_parse(const char *text, char *why, size_t n);
/* Frees a filter; NULL is allowed. */
void hrs_sim_filter_free(sim_filter *f);
/* Checks properties, literal types and operators against table (entity: "User", "Group"),
 * resolving property names to their canonical case. Returns 0, or -1 after filling r. */
int hrs_sim_filter_check(sim_filter *f, const sim_prop *table, const char *entity, int advanced,
                         const sim_req *q, sim_resp *r);
/* 1 when obj matches. */
int hrs_sim_filter_match(const sim_filter *f, json_t *obj);

/* ---- sim_query.c ---- */
/* 1 when the request carries ConsistencyLevel: eventual and $count=true. */
int hrs_sim_advanced(const sim_req *q);
/* Refuses the query options the simulator does not implement ($orderby, $search, $skip).
 * Returns 0, or -1 after filling r. */
int hrs_sim_query_unsupported(const sim_req *q, sim_resp *r);
/* Parses $select into a new array of canonical names (always with id), or *out = NULL when there
 * is none. Returns 0, or -1 after filling r. */
int hrs_sim_query_select(const sim_req *q, sim_resp *r, const sim_prop *table, const char *type,
                         json_t **out);
/* Reads $top into *top (default SIM_PAGE_DEFAULT). Returns 0, or -1 after filling r. */
int hrs_sim_query_top(const sim_req *q, sim_resp *r, int *top);
/* Parses and checks $filter; *out = NULL when there is none. Returns 0, or -1 after filling r. */
int hrs_sim_query_filter(const sim_req *q, sim_resp *r, const sim_prop *table, const char *entity,
                         sim_filter **out);
/* Reads $skiptoken into *pos (-1 when absent). Returns 0, or -1 after filling r. */
int hrs_sim_query_skip(const sim_req *q, sim_resp *r, long *pos);
/* A new object with the selected properties of props (the default set when select is NULL). */
json_t *hrs_sim_project(json_t *props, json_t *select, const sim_prop *table);
/* A new answer body holding only "@odata.context": base/$metadata#what, the select list in
 * parentheses, then suffix (e.g. "/$entity"). */
json_t *hrs_sim_body(const sim_req *q, const char *what, json_t *select, const char *suffix);
/* Sets "@odata.nextLink": this request's URL with $skiptoken pointing after pos. */
void hrs_sim_next_link(const sim_req *q, json_t *body, long pos);

/* ---- sim_validate.c ---- */
/* 0 when the request has a JSON object body; else -1 after filling r with Graph's 400. */
int hrs_sim_need_body(const sim_req *q, sim_resp *r);
/* Checks a user body for POST (self == NULL) or PATCH of self. Returns 0, or -1 after filling r. */
int hrs_sim_user_validate(hrs_sim *s, const sim_req *q, sim_resp *r, json_t *body,
                          const sim_user *self);
/* Checks a body's property names and value types against table (entity: "user", "group"). */
int hrs_sim_check_props(const sim_req *q, sim_resp *r, json_t *body, const sim_prop *table,
                        const char *entity, const char *Entity);
/* 1 when domain (case-insensitive) is a verified domain. */
int hrs_sim_domain_verified(hrs_sim *s, const char *domain);
/* The id at the end of an "@odata.id" URL (…/directoryObjects/{id}, …/users/{id}), or NULL. */
const char *hrs_sim_ref_id(json_t *body, char *buf, size_t n);

/* ---- sim_users.c ---- */
/* The user with this id or UPN; NULL when absent, or (visible) still replicating. */
sim_user *hrs_sim_user_find(hrs_sim *s, const char *key, int visible);
/* Adds a user (props stolen). Returns it, or NULL with err filled. */
sim_user *hrs_sim_user_add(hrs_sim *s, json_t *props, double created_at, hrs_err *err);
/* Removes a user and every reference to it. */
void hrs_sim_user_delete(hrs_sim *s, sim_user *u);
/* Frees a user that is not (or no longer) in the store; NULL is allowed. */
void hrs_sim_user_free(sim_user *u);
/* /users… routes; seg[0] is "users". */
void hrs_sim_users_route(hrs_sim *s, const sim_req *q, sim_resp *r, char **seg, int nseg);

/* ---- sim_groups.c ---- */
/* The group with this id (any case), or NULL. */
sim_group *hrs_sim_group_find(hrs_sim *s, const char *id);
/* Adds a group (props stolen). Returns it, or NULL with err filled. */
sim_group *hrs_sim_group_add(hrs_sim *s, json_t *props, hrs_err *err);
/* Frees a group that is not (or no longer) in the store; NULL is allowed. */
void hrs_sim_group_free(sim_group *g);
/* /groups… routes; seg[0] is "groups". */
void hrs_sim_groups_route(hrs_sim *s, const sim_req *q, sim_resp *r, char **seg, int nseg);

/* ---- sim_router.c ---- */
/* Answers one Graph request (throttling, routing). */
void hrs_sim_route(hrs_sim *s, const sim_req *q, sim_resp *r);

/* ---- sim_batch.c ---- */
/* Answers POST /$batch: 200 with the responses, or 400 for a malformed batch. */
void hrs_sim_batch(hrs_sim *s, const sim_req *q, sim_resp *r);

/* ---- sim_faults.c ---- */
/* Takes one write from the bucket: 0, or -1 with *retry_after seconds until one is free. */
int hrs_sim_throttle_take(hrs_sim *s, double *retry_after);
/* The deny_permission fault: 1 (after filling r with 403) when the request is denied. */
int hrs_sim_denied(hrs_sim *s, const sim_req *q, sim_resp *r);
/* Counts a Graph request for expire_tokens_every; expires the tokens when its turn comes. */
void hrs_sim_count_request(hrs_sim *s);
/* Makes every token issued so far expire now. */
void hrs_sim_expire_tokens(hrs_sim *s);

/* ---- sim_delta.c ---- */
/* Gives u the next change number (a create, an update, a new manager). */
void hrs_sim_changed(hrs_sim *s, sim_user *u);
/* Records the deletion of the user id for delta rounds. */
void hrs_sim_tombstone(hrs_sim *s, const char *id);
/* GET /users/delta. */
void hrs_sim_users_delta(hrs_sim *s, const sim_req *q, sim_resp *r);

/* ---- sim_cert.c ---- */
typedef struct sim_cert sim_cert;
/* Loads a PEM certificate; NULL with err on failure. */
sim_cert *hrs_sim_cert_load(const char *path, hrs_err *err);
void hrs_sim_cert_free(sim_cert *c);
/* Checks a client assertion's header and signature against the certificate. Returns 0, or -1
 * with Entra's reason in why (size n). */
int hrs_sim_cert_verify(const sim_cert *c, const char *jwt, char *why, size_t n);

/* ---- sim_token.c ---- */
/* Answers POST /{tenant}/oauth2/v2.0/token. Takes the lock itself. */
void hrs_sim_token_endpoint(hrs_sim *s, const char *tenant, const char *body, size_t len,
                            const char *authorization, sim_resp *r);
/* Checks the bearer token of a Graph request. Returns 0, or -1 after filling r (401). */
int hrs_sim_token_check(hrs_sim *s, const sim_req *q, sim_resp *r);

/* ---- sim_state.c ---- */
/* Loads {users, groups, domains} from path into an empty simulator; 0, or -1 with err
 * filled. */
int hrs_sim_state_load(hrs_sim *s, const char *path, hrs_err *err);
/* Writes the state file (if any) atomically; 0, or -1 with err filled. */
int hrs_sim_state_save(hrs_sim *s, hrs_err *err);
/* The snapshot of sim.h, without taking the lock. */
json_t *hrs_sim_state_dump(hrs_sim *s);

#endif
