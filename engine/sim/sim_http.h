/* sim_http.h: the libmicrohttpd plumbing both simulators share (the Graph simulator in
 * sim_server.c and the HR simulator in hrsim.c): listening on a loopback address, collecting a
 * request's body, and URL decoding. Internal to engine/sim. */
#ifndef HRSYNC_SIM_HTTP_H
#define HRSYNC_SIM_HTTP_H

#include <stddef.h>
#include <microhttpd.h>
#include "hrsync/err.h"

/* One request being received: created when MHD reads its URI, freed when MHD is done. */
typedef struct hrs_simhttp_conn {
    char *uri;           /* the request target as sent, with its query string */
    char *body;          /* NUL-terminated once complete (NULL when there was none) */
    size_t len, cap;
    int started, too_large;
} hrs_simhttp_conn;

/* Starts a thread-per-connection server on bind ("127.0.0.1", "::1", …) and port (0 = any
 * free one) that calls handler with cls; *bound receives the port. who names the server in
 * errors. Returns the daemon, or NULL with err set. */
struct MHD_Daemon *hrs_simhttp_listen(const char *who, const char *bind, unsigned short port,
                                      MHD_AccessHandlerCallback handler, void *cls,
                                      unsigned short *bound, hrs_err *err);

/* For an access handler: collects the body of the request in *con_cls (at most max bytes; past
 * that too_large is set and the rest dropped). Returns 1 when the request is complete and is to
 * be answered, 0 when the handler must return MHD_YES and wait for more, -1 when it must return
 * MHD_NO (no request state, or out of memory). */
int hrs_simhttp_collect(void **con_cls, const char *upload, size_t *upload_size, size_t max);

/* Percent-decodes n bytes of s ('+' as a space when plus) into a new string (caller frees), or
 * NULL when out of memory. */
char *hrs_simhttp_url_decode(const char *s, size_t n, int plus);

#endif
