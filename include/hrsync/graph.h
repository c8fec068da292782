/* graph.h: the Microsoft Graph directory connector (Entra ID users and groups).
 *
 * All requests carry a client-credentials token (oauth.h; a client secret or a certificate).
 * 429 and 5xx answers and transport failures are retried, honouring Retry-After (decimal
 * seconds) or with jittered exponential backoff; a 401 renews the token once. Writes go in
 * $batch requests of up to 20, several at once, under a client-side write budget (budget.h) that
 * keeps the app under Graph's documented 3,000 writes per 150 s. Errors carry the HTTP status,
 * Graph's error.code, error.message and request-id; a 403 also names the application permission
 * the operation needs. */
#ifndef HRSYNC_GRAPH_H
#define HRSYNC_GRAPH_H

#include <jansson.h>
#include "hrsync/err.h"

typedef struct hrs_graph hrs_graph;
struct hrs_config;
struct hrs_store;

typedef struct hrs_graph_opts {
    const char *graph_url;      /* e.g. https://graph.microsoft.com/v1.0 */
    const char *login_url;      /* e.g. https://login.microsoftonline.com */
    const char *tenant;
    const char *client_id;
    const char *client_secret;  /* NULL when a certificate signs in (hrs_graph_ext) */
    const char *scope;          /* NULL = https://graph.microsoft.com/.default */
    int max_retries;            /* per request; 0 = 6 */
    long timeout_s;             /* per request; 0 = 60 */
} hrs_graph_opts;

/* The rest of the connector's settings; every field may be zero (the default). */
typedef struct hrs_graph_ext {
    const char *client_certificate_file;  /* PEM with the certificate (and the private key unless
                                             client_key_file names it): sign in with a client
                                             assertion instead of a secret */
    const char *client_key_file;          /* PEM private key of that certificate */
    const char *client_assertion_alg;     /* "PS256" (default, x5t#S256) or "RS256" (x5t) */
    double write_budget;                  /* writes per window; 0 = 3000; < 0 = no budget */
    double write_window_s;                /* the budget's window; 0 = 150 s (hrsync keeps 2% under
                                             the rate this gives) */
    int concurrency;                      /* $batch requests in flight at once; 0 = 4 */
    int delta;                            /* hrs_graph_read_users reads through /users/delta */
} hrs_graph_ext;

/* Counters of what the client sent, for the result summary and benchmarks. */
typedef struct hrs_graph_stats {
    long requests;      /* HTTP requests sent to Graph (a $batch counts once) */
    long writes;        /* POST/PATCH/PUT/DELETE operations, inside batches included */
    long throttled;     /* 429 answers met, inside batches included */
    long retries;
    long packed;        /* group additions carried in members@odata.bind requests */
    long users_read;    /* user objects read (a delta round counts its changes only) */
    long delta_rounds;  /* /users/delta rounds (full ones included) */
    long full_resyncs;  /* delta rounds that had to start over (no or expired deltaLink) */
    double budget_wait_s; /* time spent waiting for the write budget */
} hrs_graph_stats;

hrs_graph *hrs_graph_new(const hrs_graph_opts *o, hrs_err *err);
/* As hrs_graph_new, with the settings of ext (may be NULL). */
hrs_graph *hrs_graph_new_ext(const hrs_graph_opts *o, const hrs_graph_ext *ext, hrs_err *err);
/* The connector a configuration describes: directory.{graph_url, login_url, tenant, client_id,
 * scope, timeout, client_secret_env|client_secret_file|client_certificate_file (+
 * client_key_file, client_assertion_alg), write_budget, concurrency, delta}. */
hrs_graph *hrs_graph_from_config(const struct hrs_config *cfg, hrs_err *err);
void hrs_graph_free(hrs_graph *g);
const hrs_graph_stats *hrs_graph_stats_get(const hrs_graph *g);

/* Sends one request. path is relative to graph_url ("/users?…") or an absolute URL (nextLink).
 * body may be NULL. A path with $count=true is sent with ConsistencyLevel: eventual. On 2xx
 * returns 0 with the parsed body in *out (NULL for 204; caller owns). Otherwise returns -1,
 * err->http_status and err->code set from the Graph error envelope. */
int hrs_graph_call(hrs_graph *g, const char *method, const char *path, const json_t *body,
                   json_t **out, hrs_err *err);

/* GETs a collection and follows @odata.nextLink to the end; *items receives all "value"
 * elements (caller owns). */
int hrs_graph_get_all(hrs_graph *g, const char *path, json_t **items, hrs_err *err);

/* One request inside a $batch. The caller fills the request part; hrs_graph_send fills the
 * result part. */
typedef struct hrs_graph_req {
    char id[16];
    const char *method;          /* "POST", "PATCH", … (static string) */
    char *url;                   /* relative: "/users/…" (owned by the caller) */
    json_t *body;                /* borrowed, may be NULL */
    const char *depends_on;      /* id of another request of the same call, or NULL */
    /* result */
    long status;                 /* HTTP status of this request (0: never answered) */
    json_t *response;            /* body of the answer (owned by the req; may be NULL) */
    char code[96];               /* Graph error.code when status >= 400 */
    char message[512];           /* Graph error.message when status >= 400 (a 403 also names
                                    the permission the operation needs) */
    char request_id[80];         /* the answer's request-id, or else the batch's */
} hrs_graph_req;

/* Sends any number of requests: additions of members to the same group
 * (POST /groups/{id}/members/$ref) are packed into PATCH /groups/{id} with members@odata.bind
 * (up to 20 each; a packed request that fails as a whole is sent again member by member), the
 * requests go in $batch requests of up to 20 (a request and the one it depends on in the same
 * batch, with dependsOn), up to `concurrency` batches at once under the write budget. Answers
 * are matched by id. Throttled (429) and failed (5xx, no answer) requests are sent again after
 * their Retry-After or a jittered backoff; a create (POST /users) whose earlier sending got no
 * answer and that now finds its userPrincipalName taken is looked up, and counts as created
 * when the account there carries the same employeeId (never a second account). Returns -1 only
 * when Graph cannot be reached or refuses the token; each request's own outcome is in its
 * status. */
int hrs_graph_send(hrs_graph *g, hrs_graph_req *reqs, size_t n, hrs_err *err);

/* The requests one round of hrs_graph_send carries: concurrency × 20 (each packed
 * members@odata.bind request counting once). A caller that wants to stop between rounds hands
 * over about this many at a time. */
size_t hrs_graph_send_capacity(const hrs_graph *g);

/* Frees the result part of a request (response). */
void hrs_graph_req_clear(hrs_graph_req *r);

/* The members@odata.bind packing of hrs_graph_send, exposed for tests and callers that want to
 * see it: for n requests, pack[i] receives the index of the first request of the packed PATCH
 * request i belongs to (pack[i] == i for a request that goes alone or leads a pack), and the
 * return value is the number of requests that go on the wire. Requests that depend on one
 * another, or that are not a plain POST /groups/{id}/members/$ref with {"@odata.id"}, go alone. */
size_t hrs_graph_pack_member_adds(const hrs_graph_req *reqs, size_t n, size_t *pack);

/* The Microsoft Graph application permission an operation needs (a static sentence such as
 * "GroupMember.ReadWrite.All"), named in the error of a 403 Authorization_RequestDenied. */
const char *hrs_graph_permission_for(const char *method, const char *url, const json_t *body);

/* Fills err from a Graph error envelope: "HTTP 400 Request_BadRequest: <message> (request-id …)". */
int hrs_graph_error(const char *what, long status, const char *body, const char *request_id, hrs_err *err);

/* ---- users (graph_users.c) ---- */

/* Users whose property equals value ($filter with eq; the value is quoted as an OData
 * literal), with the properties of select (comma-separated; NULL = Graph's default set).
 * employeeId, userPrincipalName, mail, displayName, … are filtered by default; properties that
 * only advanced queries filter (companyName, employeeType, employeeHireDate, officeLocation, …;
 * graph.md §1) are sent with ConsistencyLevel: eventual and $count=true. *users: array (caller
 * owns). */
int hrs_graph_find_users(hrs_graph *g, const char *property, const char *value, const char *select,
                         json_t **users, hrs_err *err);

/* Reads every user through a delta query, keeping the result in the state store: the first
 * round (or one whose deltaLink expired: 400/410 syncStateNotFound, or whose $select changed)
 * reads everyone through GET /users/delta?$select=… and its nextLinks; later rounds read only
 * the changes through the stored deltaLink and apply them (@removed deletes) to the cached users.
 * The deltaLink and the cache are written in one transaction. select is comma-separated and may
 * include "manager" (a manager@delta annotation becomes "manager": {"id"}). *users: array
 * (caller owns); *full: 1 when everyone was read. */
int hrs_graph_users_delta(hrs_graph *g, struct hrs_store *store, const char *select, json_t **users, int *full,
                          hrs_err *err);

/* Whether the users are unchanged since the stored deltaLink (directory.delta): a delta round
 * from it, with the $select hrs_graph_read_users(select, managers) would send, that brings nothing
 * stores the new deltaLink and sets *unchanged = 1. A round that brings changes is kept in g, and
 * the next hrs_graph_read_users with the same select stores and uses it (nothing is lost or read
 * twice). Without delta, or without a stored link for this select, or when the link expired,
 * *unchanged = 0 and nothing is stored. Returns 0, or -1 when Graph refuses the round. */
int hrs_graph_users_unchanged(hrs_graph *g, struct hrs_store *store, const char *select, int managers, int *unchanged,
                              hrs_err *err);

/* The users a cycle plans against: through hrs_graph_users_delta when the connector was made
 * with delta, else GET /users?$select=…&$top=999 (with $expand=manager($select=id) when
 * managers). An account a stored link points at that the read did not return, linked in the last
 * ten minutes (created by a recent run, maybe not readable yet: graph.md §7), is asked for by
 * id, with backoff, before the cycle goes on without it. *users: array (caller owns). */
int hrs_graph_read_users(hrs_graph *g, struct hrs_store *store, const char *select, int managers, json_t **users,
                         hrs_err *err);

#endif
