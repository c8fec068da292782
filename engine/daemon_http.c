/* daemon_http.c: the daemon's status server on libmicrohttpd (its own polling thread): GET only,
 * the answers come from the daemon's render callback (see include/hrsync/daemon.h). */
#include "hrsync/daemon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <microhttpd.h>

struct hrs_daemon_http {
    struct MHD_Daemon *mhd;
    hrs_daemon_render render;
    void *ud;
    unsigned port;
};

static enum MHD_Result answer(struct MHD_Connection *c, unsigned status, char *body, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_FREE);
    if (!r) { free(body); return MHD_NO; }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)version;
    (void)upload_data;
    hrs_daemon_http *h = cls;
    if (!*con_cls) { /* first call: headers only */
        *con_cls = h;
        return MHD_YES;
    }
    if (*upload_size) { *upload_size = 0; return MHD_YES; } /* a body is read and ignored */
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        char *b = strdup("only GET is served here\n");
        return b ? answer(c, 405, b, "text/plain; charset=utf-8") : MHD_NO;
    }
    char *body = NULL;
    const char *type = "text/plain; charset=utf-8";
    unsigned status = h->render(h->ud, url, &body, &type);
    if (!body) {
        body = strdup("out of memory\n");
        status = 500;
        if (!body) return MHD_NO;
    }
    return answer(c, status, body, type);
}

/* "127.0.0.1:9464", "[::1]:9464", "localhost:0" -> a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6, unsigned *port, hrs_err *err)
{
    char host[100];
    const char *colon;
    if (listen[0] == '[') {
        const char *close = strchr(listen, ']');
        if (!close || close[1] != ':') goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(close - listen - 1), listen + 1);
        colon = close + 1;
    } else {
        colon = strrchr(listen, ':');
        if (!colon) goto bad;
        snprintf(host, sizeof host, "%.*s", (int)(colon - listen), listen);
    }
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || p < 0 || p > 65535) goto bad;
    *port = (unsigned)p;
    if (strcmp(host, "localhost") == 0 || !*host) snprintf(host, sizeof host, "127.0.0.1");
    memset(ss, 0, sizeof *ss);
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
        a4->sin_family = AF_INET;
        a4->sin_port = htons((uint16_t)p);
        *v6 = 0;
        return 0;
    }
    if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons((uint16_t)p);
        *v6 = 1;
        return 0;
    }
bad:
    return hrs_err_set(err, "http.listen '%s' is not an address ADDRESS:PORT such as 127.0.0.1:9464 or [::1]:9464", listen);
}

hrs_daemon_http *hrs_daemon_http_start(const char *listen, hrs_daemon_render render, void *ud, hrs_err *err)
{
    struct sockaddr_storage ss;
    int v6 = 0;
    unsigned port = 0;
    if (parse_listen(listen, &ss, &v6, &port, err) != 0) return NULL;
    hrs_daemon_http *h = calloc(1, sizeof *h);
    if (!h) { hrs_err_set(err, "out of memory"); return NULL; }
    h->render = render;
    h->ud = ud;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | (v6 ? MHD_USE_IPv6 : 0);
    errno = 0;
    h->mhd = MHD_start_daemon(flags, (uint16_t)port, NULL, NULL, on_request, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
                              MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_CONNECTION_LIMIT, 64u, MHD_OPTION_END);
    if (!h->mhd) {
        hrs_err_set(err, "the status server cannot listen on %s: %s", listen, errno ? strerror(errno) : "libmicrohttpd failed");
        free(h);
        return NULL;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_BIND_PORT);
    h->port = info ? info->port : port;
    return h;
}

unsigned hrs_daemon_http_port(const hrs_daemon_http *h) { return h->port; }

void hrs_daemon_http_stop(hrs_daemon_http *h)
{
    if (!h) return;
    MHD_stop_daemon(h->mhd);
    free(h);
}
