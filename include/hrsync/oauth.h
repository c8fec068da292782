/* oauth.h: OAuth 2.0 client-credentials tokens for Microsoft Graph (Entra ID v2.0 endpoint),
 * signed in with a client secret or with a certificate (a client assertion, oauth_cert.c).
 *
 * The token is cached and renewed before it expires (five minutes before, or half its lifetime
 * when that is shorter), or at once after a 401. Errors name the AADSTS code and its
 * description, never the secret, the private key or the assertion. */
#ifndef HRSYNC_OAUTH_H
#define HRSYNC_OAUTH_H

#include "hrsync/err.h"
#include "hrsync/http.h"

typedef struct hrs_oauth hrs_oauth;
typedef struct hrs_oauth_cert hrs_oauth_cert;

typedef struct hrs_oauth_opts {
    const char *login_url;      /* e.g. https://login.microsoftonline.com */
    const char *tenant;         /* tenant GUID or domain */
    const char *client_id;
    const char *client_secret;  /* copied; wiped on free. NULL when cert is given */
    const char *scope;          /* e.g. https://graph.microsoft.com/.default */
    hrs_oauth_cert *cert;       /* taken over (freed with the token source), or NULL */
} hrs_oauth_opts;

/* Creates a token source. The caller owns it (hrs_oauth_free). NULL on allocation failure. */
hrs_oauth *hrs_oauth_new(const hrs_oauth_opts *o, hrs_err *err);
void hrs_oauth_free(hrs_oauth *o);

/* Returns a valid access token (borrowed; valid until the next call) in *token, fetching one
 * over h when none is cached or it is about to expire. */
int hrs_oauth_token(hrs_oauth *o, hrs_http *h, const char **token, hrs_err *err);

/* Forgets the cached token (after a 401). */
void hrs_oauth_invalidate(hrs_oauth *o);

/* The clock the token source reads (seconds since the epoch); tests pass their own. NULL
 * restores the system clock. */
void hrs_oauth_set_clock(hrs_oauth *o, double (*now)(void *ud), void *ud);

/* Parses an Entra token error body into err: "HTTP 401 invalid_client: AADSTS7000215: …".
 * Exposed for the unit tests. Returns -1. */
int hrs_oauth_error(const char *url, long status, const char *body, hrs_err *err);

/* ---- certificates (oauth_cert.c) ----
 * Entra's certificate credentials (learn.microsoft.com/entra/identity-platform/
 * certificate-credentials): a JWT signed with the certificate's private key. The current page
 * documents alg PS256 (RSA-PSS) with header x5t#S256 = base64url(SHA-256 of the DER
 * certificate); the earlier version of the same page documents alg RS256 with x5t =
 * base64url(SHA-1 of the DER certificate). Both are built here; PS256 is the default. */

/* Loads the certificate (PEM) of cert_file and the RSA private key of key_file, or of
 * cert_file when key_file is NULL; checks that they belong together. alg: "PS256" (NULL) or
 * "RS256". Errors name the file, never its contents. Caller owns the result. */
hrs_oauth_cert *hrs_oauth_cert_load(const char *cert_file, const char *key_file, const char *alg, hrs_err *err);
void hrs_oauth_cert_free(hrs_oauth_cert *c);

/* The thumbprint of the certificate, base64url: x5t (SHA-1) or x5t#S256 (SHA-256). Borrowed. */
const char *hrs_oauth_cert_x5t(const hrs_oauth_cert *c, int sha256);

/* Builds a client assertion: header {alg, typ: JWT, x5t or x5t#S256}, claims {aud = token_url,
 * iss = sub = client_id, jti (random GUID), nbf = iat = now, exp = now + 600}, signed with the
 * key. *jwt is malloc'ed (the caller wipes and frees it). */
int hrs_oauth_assertion(const hrs_oauth_cert *c, const char *client_id, const char *token_url, long now, char **jwt,
                        hrs_err *err);

#endif
