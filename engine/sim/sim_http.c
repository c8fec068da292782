/* sim_http.c: listening, body collection and URL decoding shared by the simulators (see
 * sim_http.h). */
#include "sim_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    (void)cls;
    (void)c;
    hrs_simhttp_conn *cr = calloc(1, sizeof *cr);
    if (cr && !(cr->uri = strdup(uri ? uri : "/"))) {
        free(cr);
        cr = NULL;
    }
    return cr;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    hrs_simhttp_conn *cr = *con_cls;
    if (!cr) return;
    free(cr->uri);
    free(cr->body);
    free(cr);
    *con_cls = NULL;
}

struct MHD_Daemon *hrs_simhttp_listen(const char *who, const char *bind, unsigned short port,
                                      MHD_AccessHandlerCallback handler, void *cls,
                                      unsigned short *bound, hrs_err *err)
{
    struct sockaddr_in6 a6;
    struct sockaddr_in a4;
    struct sockaddr *sa;
    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    if (inet_pton(AF_INET, bind, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons(port);
        sa = (struct sockaddr *)&a4;
    } else if (inet_pton(AF_INET6, bind, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons(port);
        sa = (struct sockaddr *)&a6;
        flags |= MHD_USE_IPv6;
    } else {
        hrs_err_set(err, "%s: bind address '%s' is not an IP address", who, bind);
        return NULL;
    }
    errno = 0;
    struct MHD_Daemon *d = MHD_start_daemon(flags, port, NULL, NULL, handler, cls,
                                            MHD_OPTION_SOCK_ADDR, sa,
                                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
                                            MHD_OPTION_NOTIFY_COMPLETED, on_done, NULL,
                                            MHD_OPTION_CONNECTION_TIMEOUT, 120u,
                                            MHD_OPTION_END);
    if (!d) {
        hrs_err_set(err, "%s: cannot listen on %s port %u: %s", who, bind, (unsigned)port,
                    errno ? strerror(errno) : "libmicrohttpd failed");
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    *bound = info ? info->port : port;
    return d;
}

int hrs_simhttp_collect(void **con_cls, const char *upload, size_t *upload_size, size_t max)
{
    hrs_simhttp_conn *cr = *con_cls;
    if (!cr || !cr->uri) return -1;
    if (!cr->started) {
        cr->started = 1;
        return 0;
    }
    if (*upload_size == 0) return 1;
    if (cr->len + *upload_size > max) {
        cr->too_large = 1;
    } else if (!cr->too_large) {
        if (cr->len + *upload_size + 1 > cr->cap) {
            size_t cap = (cr->len + *upload_size + 1) * 2;
            char *nb = realloc(cr->body, cap);
            if (!nb) return -1;
            cr->body = nb;
            cr->cap = cap;
        }
        memcpy(cr->body + cr->len, upload, *upload_size);
        cr->len += *upload_size;
        cr->body[cr->len] = '\0';
    }
    *upload_size = 0;
    return 0;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

char *hrs_simhttp_url_decode(const char *s, size_t n, int plus)
{
    char *out = malloc(n + 1);
    if (!out) return NULL;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[j++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else if (plus && s[i] == '+') {
            out[j++] = ' ';
        } else {
            out[j++] = s[i];
        }
    }
    out[j] = '\0';
    return out;
}
