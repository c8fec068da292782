/* oauth.c: client-credentials tokens from the Microsoft identity platform, with a client secret
 * or a certificate's client assertion (see oauth.h; the assertion is built in oauth_cert.c). */
#include "hrsync/oauth.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define OAUTH_RENEW_MARGIN_S 300.0

struct hrs_oauth {
    char *token_url;
    char *client_id;
    char *secret;            /* NULL when cert signs in */
    hrs_oauth_cert *cert;
    char *scope;
    char *token;
    double expires_at, renew_at;
    double (*clock)(void *ud);
    void *clock_ud;
};

static double system_now(void *ud)
{
    (void)ud;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double now_s(const hrs_oauth *o) { return o->clock(o->clock_ud); }

void hrs_oauth_set_clock(hrs_oauth *o, double (*now)(void *ud), void *ud)
{
    o->clock = now ? now : system_now;
    o->clock_ud = now ? ud : NULL;
}

hrs_oauth *hrs_oauth_new(const hrs_oauth_opts *o, hrs_err *err)
{
    if (!o->client_secret && !o->cert) {
        hrs_err_set(err, "internal: a token source needs a client secret or a certificate");
        return NULL;
    }
    hrs_oauth *a = calloc(1, sizeof *a);
    if (!a) { hrs_oauth_cert_free(o->cert); hrs_err_set(err, "out of memory"); return NULL; }
    size_t n = strlen(o->login_url) + strlen(o->tenant) + 32;
    a->token_url = malloc(n);
    a->clock = system_now;
    a->cert = o->cert;
    a->client_id = strdup(o->client_id);
    a->secret = o->client_secret ? strdup(o->client_secret) : NULL;
    a->scope = strdup(o->scope);
    if (!a->token_url || !a->client_id || (!a->secret && !a->cert) || !a->scope) {
        hrs_oauth_free(a);
        hrs_err_set(err, "out of memory");
        return NULL;
    }
    const char *base = o->login_url;
    size_t bl = strlen(base);
    while (bl && base[bl - 1] == '/') bl--;
    snprintf(a->token_url, n, "%.*s/%s/oauth2/v2.0/token", (int)bl, base, o->tenant);
    return a;
}

static void wipe_free(char *s)
{
    if (!s) return;
    volatile char *p = s;
    while (*p) *p++ = 0;
    free(s);
}

void hrs_oauth_free(hrs_oauth *o)
{
    if (!o) return;
    free(o->token_url);
    free(o->client_id);
    wipe_free(o->secret);
    hrs_oauth_cert_free(o->cert);
    free(o->scope);
    wipe_free(o->token);
    free(o);
}

void hrs_oauth_invalidate(hrs_oauth *o)
{
    wipe_free(o->token);
    o->token = NULL;
    o->expires_at = o->renew_at = 0;
}

int hrs_oauth_error(const char *url, long status, const char *body, hrs_err *err)
{
    json_t *j = json_loads(body ? body : "", 0, NULL);
    const char *e = j ? json_string_value(json_object_get(j, "error")) : NULL;
    const char *d = j ? json_string_value(json_object_get(j, "error_description")) : NULL;
    if (!e) {
        json_decref(j);
        return hrs_err_set(err, "token request to %s refused: HTTP %ld (no OAuth error in the answer)", url, status);
    }
    /* The description carries "Trace ID: … Correlation ID: … Timestamp: …" on further lines. */
    char desc[1024] = "";
    if (d) {
        size_t l = strcspn(d, "\r\n");
        const char *trace = strstr(d, " Trace ID:");
        if (trace && (size_t)(trace - d) < l) l = (size_t)(trace - d);
        if (l >= sizeof desc) l = sizeof desc - 1;
        memcpy(desc, d, l);
        desc[l] = '\0';
    }
    err->http_status = (int)status;
    const char *aad = strstr(desc, "AADSTS");
    if (aad) {
        size_t cl = strcspn(aad, ": ");
        if (cl >= sizeof err->code) cl = sizeof err->code - 1;
        memcpy(err->code, aad, cl);
        err->code[cl] = '\0';
    } else {
        snprintf(err->code, sizeof err->code, "%s", e);
    }
    hrs_err_set(err, "token request to %s refused: HTTP %ld %s: %s", url, status, e, desc[0] ? desc : "(no description)");
    err->http_status = (int)status;
    json_decref(j);
    return -1;
}

/* The form of the token request: the client secret, or a client assertion made now. */
static char *token_form(hrs_oauth *o, hrs_err *err)
{
    char *assertion = NULL, *id = hrs_http_escape(o->client_id), *sc = hrs_http_escape(o->scope), *cred = NULL;
    char *form = NULL;
    if (o->cert && hrs_oauth_assertion(o->cert, o->client_id, o->token_url, (long)now_s(o), &assertion, err) != 0) goto out;
    cred = hrs_http_escape(o->cert ? assertion : o->secret);
    if (!id || !sc || !cred) { hrs_err_set(err, "out of memory"); goto out; }
    size_t n = strlen(id) + strlen(cred) + strlen(sc) + 200;
    form = malloc(n);
    if (!form) { hrs_err_set(err, "out of memory"); goto out; }
    if (o->cert)
        snprintf(form, n, "grant_type=client_credentials&client_id=%s&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth"
                 "%%3Aclient-assertion-type%%3Ajwt-bearer&client_assertion=%s&scope=%s", id, cred, sc);
    else
        snprintf(form, n, "grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s", id, cred, sc);
out:
    wipe_free(assertion);
    wipe_free(cred);
    free(id);
    free(sc);
    return form;
}

int hrs_oauth_token(hrs_oauth *o, hrs_http *h, const char **token, hrs_err *err)
{
    if (o->token && now_s(o) < o->renew_at) {
        *token = o->token;
        return 0;
    }
    int rc = -1;
    char *form = token_form(o, err);
    if (!form) return -1;
    const char *hdr[] = { "Content-Type: application/x-www-form-urlencoded", "Accept: application/json", NULL };
    hrs_http_response r;
    if (hrs_http_request(h, "POST", o->token_url, hdr, form, strlen(form), &r, err) != 0) goto out;
    if (r.status != 200) {
        hrs_oauth_error(o->token_url, r.status, r.body, err);
        hrs_http_response_clear(&r);
        goto out;
    }
    json_t *j = json_loads(r.body, 0, NULL);
    const char *tok = j ? json_string_value(json_object_get(j, "access_token")) : NULL;
    json_t *exp = j ? json_object_get(j, "expires_in") : NULL;
    if (!tok) {
        hrs_err_set(err, "token answer from %s has no access_token", o->token_url);
        json_decref(j);
        hrs_http_response_clear(&r);
        goto out;
    }
    double ttl = json_is_number(exp) ? json_number_value(exp)
               : (json_is_string(exp) ? strtod(json_string_value(exp), NULL) : 3599);
    /* Renewed five minutes before it expires, or half-way through a shorter lifetime (access
     * tokens live 60–90 minutes: graph.md §8). */
    double margin = ttl / 2 < OAUTH_RENEW_MARGIN_S ? ttl / 2 : OAUTH_RENEW_MARGIN_S;
    wipe_free(o->token);
    o->token = strdup(tok);
    double now = now_s(o);
    o->expires_at = now + ttl;
    o->renew_at = o->expires_at - margin;
    json_decref(j);
    hrs_http_response_clear(&r);
    if (!o->token) { hrs_err_set(err, "out of memory"); goto out; }
    *token = o->token;
    rc = 0;
out:
    wipe_free(form);
    return rc;
}
