/* oauth_cert.c: certificate credentials for the Microsoft identity platform (see oauth.h): the
 * certificate and its RSA key from PEM files, the thumbprints, and the signed client assertion
 * (a JWT, RFC 7519) that replaces the client secret in the token request. OpenSSL EVP does the
 * hashing and signing; the key never leaves the EVP_PKEY and is never written anywhere. */
#include "hrsync/oauth.h"

#include <errno.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ASSERTION_LIFETIME_S 600   /* "keep it short - 5-10 minutes after nbf at most" */

struct hrs_oauth_cert {
    EVP_PKEY *key;
    int pss;              /* PS256 (1) or RS256 (0) */
    char x5t[32];         /* base64url SHA-1 of the DER certificate */
    char x5t256[48];      /* base64url SHA-256 of the DER certificate */
};

/* base64url without padding (RFC 7515 §2) of in[0..n) into a malloc'ed string. */
static char *b64url(const unsigned char *in, size_t n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *out = malloc(n / 3 * 4 + 5);
    if (!out) return NULL;
    size_t o = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
        out[o++] = tab[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)in[i] << 16;
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = tab[v >> 6 & 63];
    }
    out[o] = '\0';
    return out;
}

/* OpenSSL's reason for the last failure (its queue is emptied). */
static const char *ssl_reason(char *buf, size_t n)
{
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e) return "not a PEM file of that kind";
    ERR_error_string_n(e, buf, n);
    return buf;
}

/* No passphrase is ever asked for: an encrypted key is refused with a clear message. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
    (void)buf;
    (void)size;
    (void)rwflag;
    *(int *)u = 1;
    return -1;
}

static int thumbprint(X509 *x, const EVP_MD *md, char *out, size_t n, hrs_err *err)
{
    unsigned char *der = NULL, h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    int len = i2d_X509(x, &der);
    if (len <= 0) return hrs_err_set(err, "cannot encode the certificate");
    int ok = EVP_Digest(der, (size_t)len, h, &hl, md, NULL) == 1;
    OPENSSL_free(der);
    char *b = ok ? b64url(h, hl) : NULL;
    if (!b) return hrs_err_set(err, "cannot hash the certificate");
    snprintf(out, n, "%s", b);
    free(b);
    return 0;
}

hrs_oauth_cert *hrs_oauth_cert_load(const char *cert_file, const char *key_file, const char *alg, hrs_err *err)
{
    char why[256];
    if (alg && strcmp(alg, "PS256") != 0 && strcmp(alg, "RS256") != 0) {
        hrs_err_set(err, "client_assertion_alg '%s' is not known (PS256 or RS256)", alg);
        return NULL;
    }
    ERR_clear_error();
    BIO *b = BIO_new_file(cert_file, "r");
    if (!b) {
        hrs_err_set(err, "client certificate %s: cannot read: %s", cert_file, strerror(errno));
        ERR_clear_error();
        return NULL;
    }
    X509 *x = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!x) {
        hrs_err_set(err, "client certificate %s: no PEM certificate (\"BEGIN CERTIFICATE\") in it: %s", cert_file,
                    ssl_reason(why, sizeof why));
        return NULL;
    }
    const char *kf = key_file ? key_file : cert_file;
    hrs_oauth_cert *c = calloc(1, sizeof *c);
    b = BIO_new_file(kf, "r");
    int encrypted = 0;
    if (!c || !b) {
        hrs_err_set(err, "client key %s: cannot read: %s", kf, c ? strerror(errno) : "out of memory");
        goto fail;
    }
    c->key = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &encrypted);
    BIO_free(b);
    b = NULL;
    if (!c->key) {
        if (encrypted) hrs_err_set(err, "client key %s: the private key is encrypted; hrsync needs it unencrypted "
                                   "(protect the file with its permissions)", kf);
        else hrs_err_set(err, "client key %s: no PEM private key in it: %s", kf, ssl_reason(why, sizeof why));
        goto fail;
    }
    if (EVP_PKEY_get_base_id(c->key) != EVP_PKEY_RSA) {
        hrs_err_set(err, "client key %s: not an RSA key (Entra signs client assertions with RS256 or PS256)", kf);
        goto fail;
    }
    if (X509_check_private_key(x, c->key) != 1) {
        ERR_clear_error();
        hrs_err_set(err, "client key %s does not belong to the certificate in %s", kf, cert_file);
        goto fail;
    }
    if (X509_cmp_current_time(X509_get0_notAfter(x)) < 0) {
        hrs_err_set(err, "client certificate %s has expired: upload a new one to the app registration", cert_file);
        goto fail;
    }
    if (thumbprint(x, EVP_sha1(), c->x5t, sizeof c->x5t, err) != 0 ||
        thumbprint(x, EVP_sha256(), c->x5t256, sizeof c->x5t256, err) != 0)
        goto fail;
    c->pss = !alg || strcmp(alg, "PS256") == 0;
    X509_free(x);
    return c;
fail:
    BIO_free(b);
    X509_free(x);
    hrs_oauth_cert_free(c);
    ERR_clear_error();
    return NULL;
}

void hrs_oauth_cert_free(hrs_oauth_cert *c)
{
    if (!c) return;
    EVP_PKEY_free(c->key);
    free(c);
}

const char *hrs_oauth_cert_x5t(const hrs_oauth_cert *c, int sha256) { return sha256 ? c->x5t256 : c->x5t; }

/* base64url of a JSON object's compact text. */
static char *b64url_json(json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    char *out = text ? b64url((const unsigned char *)text, strlen(text)) : NULL;
    free(text);
    return out;
}

static int sign(const hrs_oauth_cert *c, const char *data, unsigned char **sig, size_t *siglen, hrs_err *err)
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    int rc = -1;
    *sig = NULL;
    if (!md || EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, c->key) != 1) goto out;
    if (c->pss && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
                   EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1))
        goto out;
    if (EVP_DigestSign(md, NULL, siglen, (const unsigned char *)data, strlen(data)) != 1) goto out;
    if (!(*sig = malloc(*siglen))) goto out;
    if (EVP_DigestSign(md, *sig, siglen, (const unsigned char *)data, strlen(data)) != 1) goto out;
    rc = 0;
out:
    if (rc != 0) {
        char why[256];
        free(*sig);
        *sig = NULL;
        hrs_err_set(err, "cannot sign the client assertion: %s", ssl_reason(why, sizeof why));
    }
    EVP_MD_CTX_free(md);
    return rc;
}

int hrs_oauth_assertion(const hrs_oauth_cert *c, const char *client_id, const char *token_url, long now, char **jwt,
                        hrs_err *err)
{
    unsigned char r[16];
    char jti[40];
    *jwt = NULL;
    if (RAND_bytes(r, sizeof r) != 1) return hrs_err_set(err, "cannot read the random source for the assertion's jti");
    r[6] = (unsigned char)((r[6] & 0x0f) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3f) | 0x80);
    snprintf(jti, sizeof jti, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
             r[3], r[4], r[5], r[6], r[7], r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15]);
    json_t *hdr = c->pss ? json_pack("{s:s, s:s, s:s}", "alg", "PS256", "typ", "JWT", "x5t#S256", c->x5t256)
                         : json_pack("{s:s, s:s, s:s}", "alg", "RS256", "typ", "JWT", "x5t", c->x5t);
    json_t *claims = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:I}", "aud", token_url, "exp",
                               (json_int_t)(now + ASSERTION_LIFETIME_S), "iss", client_id, "jti", jti, "nbf",
                               (json_int_t)now, "sub", client_id, "iat", (json_int_t)now);
    char *h64 = hdr ? b64url_json(hdr) : NULL, *c64 = claims ? b64url_json(claims) : NULL, *input = NULL, *s64 = NULL;
    unsigned char *sig = NULL;
    size_t siglen = 0;
    int rc = -1;
    json_decref(hdr);
    json_decref(claims);
    if (!h64 || !c64) { hrs_err_set(err, "out of memory"); goto out; }
    size_t n = strlen(h64) + strlen(c64) + 2;
    if (!(input = malloc(n))) { hrs_err_set(err, "out of memory"); goto out; }
    snprintf(input, n, "%s.%s", h64, c64);
    if (sign(c, input, &sig, &siglen, err) != 0) goto out;
    if (!(s64 = b64url(sig, siglen))) { hrs_err_set(err, "out of memory"); goto out; }
    n = strlen(input) + strlen(s64) + 2;
    if (!(*jwt = malloc(n))) { hrs_err_set(err, "out of memory"); goto out; }
    snprintf(*jwt, n, "%s.%s", input, s64);
    rc = 0;
out:
    free(h64);
    free(c64);
    free(input);
    free(sig);
    free(s64);
    return rc;
}
