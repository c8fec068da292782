/* oauth.h: OAuth 2.0 client-credentials tokens for Microsoft Graph (Entra ID v2.0 endpoint).
 *
 * The token is cached and renewed five minutes before it expires, or at once after a 401.
 * Errors name the AADSTS code and its description, never the secret. */
#ifndef HRSYNC_OAUTH_H
#define HRSYNC_OAUTH_H

#include "hrsync/err.h"
#include "hrsync/http.h"

typedef struct hrs_oauth hrs_oauth;

typedef struct hrs_oauth_opts {
    const char *login_url;      /* e.g. https://login.microsoftonline.com */
    const char *tenant;         /* tenant GUID or domain */
    const char *client_id;
    const char *client_secret;  /* copied; wiped on free */
    const char *scope;          /* e.g. https://graph.microsoft.com/.default */
} hrs_oauth_opts;

/* Creates a token source. The caller owns it (hrs_oauth_free). NULL on allocation failure. */
hrs_oauth *hrs_oauth_new(const hrs_oauth_opts *o, hrs_err *err);
void hrs_oauth_free(hrs_oauth *o);

/* Returns a valid access token (borrowed; valid until the next call) in *token, fetching one
 * over h when none is cached or it is about to expire. */
int hrs_oauth_token(hrs_oauth *o, hrs_http *h, const char **token, hrs_err *err);

/* Forgets the cached token (after a 401). */
void hrs_oauth_invalidate(hrs_oauth *o);

/* Parses an Entra token error body into err: "HTTP 401 invalid_client: AADSTS7000215: …".
 * Exposed for the unit tests. Returns -1. */
int hrs_oauth_error(const char *url, long status, const char *body, hrs_err *err);

#endif
