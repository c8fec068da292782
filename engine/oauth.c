/* oauth.c: client-credentials tokens from the Microsoft identity platform (see oauth.h). */
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
    char *secret;
    char *scope;
    char *token;
    double expires_at;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

hrs_oauth *hrs_oauth_new(const hrs_oauth_opts *o, hrs_err *err)
{
    hrs_oauth *a = calloc(1, sizeof *a);
    if (!a) { hrs_err_set(err, "out of memory"); return NULL; }
    size_t n = strlen(o->login_url) + strlen(o->tenant) + 32;
    a->token_url = malloc(n);
    a->client_id = strdup(o->client_id);
    a->secret = strdup(o->client_secret);
    a->scope = strdup(o->scope);
    if (!a->token_url || !a->client_id || !a->secret || !a->scope) {
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
    free(o->scope);
    wipe_free(o->token);
    free(o);
}

void hrs_oauth_invalidate(hrs_oauth *o)
{
    wipe_free(o->token);
    o->token = NULL;
    o->expires_at = 0;
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

int hrs_oauth_token(hrs_oauth *o, hrs_http *h, const char **token, hrs_err *err)
{
    if (o->token && now_s() < o->expires_at - OAUTH_RENEW_MARGIN_S) {
        *token = o->token;
        return 0;
    }
    char *id = hrs_http_escape(o->client_id), *sec = hrs_http_escape(o->secret), *sc = hrs_http_escape(o->scope);
    char *form = NULL;
    int rc = -1;
    if (!id || !sec || !sc) { hrs_err_set(err, "out of memory"); goto out; }
    size_t n = strlen(id) + strlen(sec) + strlen(sc) + 96;
    form = malloc(n);
    if (!form) { hrs_err_set(err, "out of memory"); goto out; }
    snprintf(form, n, "grant_type=client_credentials&client_id=%s&client_secret=%s&scope=%s", id, sec, sc);
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
    wipe_free(o->token);
    o->token = strdup(tok);
    o->expires_at = now_s() + ttl;
    json_decref(j);
    hrs_http_response_clear(&r);
    if (!o->token) { hrs_err_set(err, "out of memory"); goto out; }
    *token = o->token;
    rc = 0;
out:
    if (form) { memset(form, 0, strlen(form)); free(form); }
    free(id);
    wipe_free(sec);
    free(sc);
    return rc;
}
