/* sim_token.c: the OAuth 2.0 client-credentials token endpoint of Microsoft Entra
 * (POST /{tenant}/oauth2/v2.0/token) and the bearer-token check of Graph requests (graph.md §8).
 *
 * Errors have Entra's shape: {"error", "error_description": "AADSTSnnn: … Trace ID: … Correlation
 * ID: … Timestamp: …", "error_codes", "timestamp", "trace_id", "correlation_id", "error_uri"}.
 * Tokens are random strings, valid for token_ttl seconds; they live in memory only. */
#include "sim_internal.h"
#include "sim_http.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define GRAPH_SCOPE "https://graph.microsoft.com/.default"
#define GRAPH_SCOPE_ID "00000003-0000-0000-c000-000000000000/.default"
#define JWT_BEARER "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
#define KEEP_EXPIRED_S 3600.0   /* an expired token is still recognised (as expired) this long */

static void aad_error(sim_resp *r, int status, const char *error, long code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void aad_error(sim_resp *r, int status, const char *error, long code, const char *fmt, ...)
{
    char msg[768], desc[1024], trace[37], corr[37], ts[32], uri[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    hrs_sim_guid(trace);
    hrs_sim_guid(corr);
    hrs_sim_time(ts, sizeof ts, SIM_TIME_AAD);
    snprintf(desc, sizeof desc, "AADSTS%ld: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\n"
             "Timestamp: %s", code, msg, trace, corr, ts);
    snprintf(uri, sizeof uri, "https://login.microsoftonline.com/error?code=%ld", code);
    hrs_sim_reply(r, status, json_pack("{s:s, s:s, s:[I], s:s, s:s, s:s, s:s}", "error", error,
                                       "error_description", desc, "error_codes", (json_int_t)code,
                                       "timestamp", ts, "trace_id", trace, "correlation_id", corr,
                                       "error_uri", uri));
}

static const char *field(json_t *form, const char *name)
{
    return json_string_value(json_object_get(form, name));
}

/* client_id and client_secret from "Authorization: Basic …" (RFC 6749 §2.3.1) into form. */
static void basic_auth(json_t *form, const char *authorization)
{
    if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0) return;
    const char *b64 = authorization + 6;
    char *dec = hrs_sim_b64_decode(b64, strlen(b64), NULL);
    char *colon = dec ? strchr(dec, ':') : NULL;
    if (colon) {
        char *id = hrs_simhttp_url_decode(dec, (size_t)(colon - dec), 1);
        char *secret = hrs_simhttp_url_decode(colon + 1, strlen(colon + 1), 1);
        if (id && !field(form, "client_id"))
            json_object_set_new(form, "client_id", json_string(id));
        if (secret && !field(form, "client_secret"))
            json_object_set_new(form, "client_secret", json_string(secret));
        free(id);
        free(secret);
    }
    free(dec);
}

/* A client assertion is accepted when it is a well-formed three-part JWT whose iss and sub are
 * the client id, whose aud is this token endpoint, which is within its time range, and - when a
 * certificate is registered (hrs_sim_opts.client_certificate_file) - that names the certificate
 * and verifies with its key (sim_cert.c). Without a certificate the signature is not checked. */
static int check_assertion(hrs_sim *s, sim_resp *r, const char *type, const char *jwt, const char *client_id,
                           const char *tenant)
{
    if (!type || strcmp(type, JWT_BEARER) != 0) {
        aad_error(r, 400, "invalid_request", 900144, "The request body must contain the "
                  "following parameter: 'client_assertion_type'.");
        return -1;
    }
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    char *payload = d2 ? hrs_sim_b64_decode(d1 + 1, (size_t)(d2 - d1 - 1), NULL) : NULL;
    json_t *claims = payload ? json_loads(payload, 0, NULL) : NULL;
    free(payload);
    if (!d2 || strchr(d2 + 1, '.') || !d2[1] || !json_is_object(claims)) {
        json_decref(claims);
        aad_error(r, 401, "invalid_client", 50027, "JWT token is invalid or malformed.");
        return -1;
    }
    const char *iss = json_string_value(json_object_get(claims, "iss"));
    const char *sub = json_string_value(json_object_get(claims, "sub"));
    const char *aud = json_string_value(json_object_get(claims, "aud"));
    json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
    int ok = iss && sub && strcmp(iss, client_id) == 0 && strcmp(sub, client_id) == 0;
    char tail[300];
    snprintf(tail, sizeof tail, "/%s/oauth2/v2.0/token", tenant);
    size_t al = aud ? strlen(aud) : 0, tl = strlen(tail);
    int aud_ok = aud && al >= tl && strcasecmp(aud + al - tl, tail) == 0;
    double now = (double)time(NULL);
    int time_ok = json_is_integer(exp) && (double)json_integer_value(exp) > now &&
                  (!nbf || (json_is_integer(nbf) && (double)json_integer_value(nbf) <= now + 300));
    json_decref(claims);
    char why[512];
    if (!ok) {
        aad_error(r, 401, "invalid_client", 700021, "Client assertion application identifier "
                  "doesn't match 'client_id' parameter. Review the documentation at "
                  "https://learn.microsoft.com/entra/identity-platform/certificate-credentials .");
        return -1;
    }
    if (!aud_ok) {   /* UNVERIFIED: the code and words Entra uses for a wrong audience */
        aad_error(r, 401, "invalid_client", 50027, "JWT token is invalid or malformed. [Reason - The audience "
                  "claim must be the token endpoint, '.../%s/oauth2/v2.0/token'.]", tenant);
        return -1;
    }
    if (!time_ok) {
        aad_error(r, 401, "invalid_client", 700024, "Client assertion is not within its valid time range.");
        return -1;
    }
    if (s->cert && hrs_sim_cert_verify(s->cert, jwt, why, sizeof why) != 0) {
        aad_error(r, 401, "invalid_client", 700027, "%s", why);
        return -1;
    }
    return 0;
}

static void issue(hrs_sim *s, sim_resp *r)
{
    unsigned char raw[32];
    char tok[2 * sizeof raw + 8];
    hrs_sim_random(raw, sizeof raw);
    size_t n = (size_t)snprintf(tok, sizeof tok, "simtok.");
    for (size_t i = 0; i < sizeof raw; i++) n += (size_t)snprintf(tok + n, sizeof tok - n, "%02x",
                                                                  raw[i]);
    double now = hrs_sim_mono();
    const char *k;
    json_t *v, *tmp;
    json_object_foreach_safe(s->tokens, tmp, k, v)
        if (json_real_value(v) + KEEP_EXPIRED_S < now) json_object_del(s->tokens, k);
    json_object_set_new(s->tokens, tok, json_real(now + s->token_ttl));
    s->stats.tokens++;
    json_int_t ttl = (json_int_t)(s->token_ttl + 0.5);
    hrs_sim_reply(r, 200, json_pack("{s:s, s:I, s:I, s:s}", "token_type", "Bearer",
                                    "expires_in", ttl, "ext_expires_in", ttl, "access_token", tok));
}

static void token(hrs_sim *s, const char *tenant, json_t *form, sim_resp *r)
{
    const char *grant = field(form, "grant_type"), *client = field(form, "client_id");
    const char *scope = field(form, "scope"), *secret = field(form, "client_secret");
    const char *assertion = field(form, "client_assertion");
    if (s->tenant && strcasecmp(tenant, s->tenant) != 0) {
        aad_error(r, 400, "invalid_request", 90002, "Tenant '%s' not found. Check to make sure "
                  "you have the correct tenant ID and are signing into the correct cloud. Check "
                  "with your subscription administrator, this may happen if there are no active "
                  "subscriptions for the tenant.", tenant);
    } else if (!grant || !*grant) {
        aad_error(r, 400, "invalid_request", 900144, "The request body must contain the "
                  "following parameter: 'grant_type'.");
    } else if (strcmp(grant, "client_credentials") != 0) {
        aad_error(r, 400, "unsupported_grant_type", 70003, "The app requested an unsupported "
                  "grant type '%s'.", grant);
    } else if (!client || !*client) {
        aad_error(r, 400, "invalid_request", 900144, "The request body must contain the "
                  "following parameter: 'client_id'.");
    } else if (s->client_id && strcasecmp(client, s->client_id) != 0) {
        aad_error(r, 400, "unauthorized_client", 700016, "Application with identifier '%s' was "
                  "not found in the directory '%s'. This can happen if the application has not "
                  "been installed by the administrator of the tenant or consented to by any user "
                  "in the tenant. You may have sent your authentication request to the wrong "
                  "tenant.", client, tenant);
    } else if (!scope || !*scope) {
        aad_error(r, 400, "invalid_request", 900144, "The request body must contain the "
                  "following parameter: 'scope'.");
    } else if (strcmp(scope, GRAPH_SCOPE) != 0 && strcmp(scope, GRAPH_SCOPE_ID) != 0) {
        aad_error(r, 400, "invalid_scope", 70011, "The provided value for the input parameter "
                  "'scope' is not valid. The scope %s is not valid.", scope);
    } else if (assertion && *assertion) {
        if (check_assertion(s, r, field(form, "client_assertion_type"), assertion, client, tenant) == 0)
            issue(s, r);
    } else if (!secret || !*secret) {
        aad_error(r, 401, "invalid_client", 7000218, "The request body must contain the "
                  "following parameter: 'client_assertion' or 'client_secret'.");
    } else if (s->client_secret && strcmp(secret, s->client_secret) != 0) {
        aad_error(r, 401, "invalid_client", 7000215, "Invalid client secret provided. Ensure the "
                  "secret being sent in the request is the client secret value, not the client "
                  "secret ID, for a secret added to app '%s'.", client);
    } else {
        issue(s, r);
    }
}

void hrs_sim_token_endpoint(hrs_sim *s, const char *tenant, const char *body, size_t len,
                            const char *authorization, sim_resp *r)
{
    json_t *form = hrs_sim_query_parse(body ? body : "", body ? len : 0);
    if (!form) {
        aad_error(r, 500, "temporarily_unavailable", 90033, "A transient error has occurred. "
                  "Please try again.");
        return;
    }
    basic_auth(form, authorization);
    pthread_mutex_lock(&s->lock);
    token(s, tenant, form, r);
    pthread_mutex_unlock(&s->lock);
    hrs_sim_resp_header(r, "Cache-Control", "no-store, no-cache");
    json_decref(form);
}

int hrs_sim_token_check(hrs_sim *s, const sim_req *q, sim_resp *r)
{
    const char *authz = hrs_sim_header(q, "authorization");
    const char *why = NULL;
    if (!authz || strncasecmp(authz, "Bearer ", 7) != 0 || !authz[7]) {
        why = "Access token is empty.";
    } else {
        json_t *exp = json_object_get(s->tokens, authz + 7);
        if (!exp) why = "Access token validation failure. Invalid audience.";
        else if (hrs_sim_mono() >= json_real_value(exp))
            why = "Access token has expired or is not yet valid.";
    }
    if (!why) return 0;
    hrs_sim_fail(q, r, 401, "InvalidAuthenticationToken", "%s", why);
    hrs_sim_resp_header(r, "WWW-Authenticate", "Bearer realm=\"\", authorization_uri=\"https://"
                        "login.microsoftonline.com/common/oauth2/authorize\", client_id=\""
                        "00000003-0000-0000-c000-000000000000\"");
    return -1;
}
