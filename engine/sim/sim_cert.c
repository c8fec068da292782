/* sim_cert.c: the certificate registered for the simulated app (hrs_sim_opts.
 * client_certificate_file), and the check of a client assertion against it as Entra makes it
 * (learn.microsoft.com/entra/identity-platform/certificate-credentials): the header names the
 * certificate by its thumbprint (x5t#S256 = base64url SHA-256 of the DER certificate, with alg
 * PS256; or x5t = base64url SHA-1, with alg RS256), and the signature over "header.claims"
 * verifies with the certificate's public key. */
#include "sim_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sim_cert {
    EVP_PKEY *pub;
    char x5t[40], x5t256[64];
};

static void b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        if (i + 1 < n) out[o++] = tab[v >> 6 & 63];
        if (i + 2 < n) out[o++] = tab[v & 63];
    }
    out[o] = '\0';
}

sim_cert *hrs_sim_cert_load(const char *path, hrs_err *err)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        hrs_err_set(err, "simulator: client certificate %s: cannot read it", path);
        return NULL;
    }
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    fclose(f);
    sim_cert *c = x ? calloc(1, sizeof *c) : NULL;
    unsigned char *der = NULL;
    int len = x ? i2d_X509(x, &der) : -1;
    unsigned char h[EVP_MAX_MD_SIZE];
    unsigned int hl = 0;
    if (!c || len <= 0 || !(c->pub = X509_get_pubkey(x))) {
        hrs_err_set(err, "simulator: client certificate %s: no PEM certificate in it", path);
        goto fail;
    }
    if (EVP_Digest(der, (size_t)len, h, &hl, EVP_sha1(), NULL) != 1) goto fail;
    b64url(h, hl, c->x5t, sizeof c->x5t);
    if (EVP_Digest(der, (size_t)len, h, &hl, EVP_sha256(), NULL) != 1) goto fail;
    b64url(h, hl, c->x5t256, sizeof c->x5t256);
    OPENSSL_free(der);
    X509_free(x);
    return c;
fail:
    if (!err || !err->set) hrs_err_set(err, "simulator: client certificate %s: cannot hash it", path);
    OPENSSL_free(der);
    X509_free(x);
    hrs_sim_cert_free(c);
    ERR_clear_error();
    return NULL;
}

void hrs_sim_cert_free(sim_cert *c)
{
    if (!c) return;
    EVP_PKEY_free(c->pub);
    free(c);
}

int hrs_sim_cert_verify(const sim_cert *c, const char *jwt, char *why, size_t n)
{
    const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d2) {
        snprintf(why, n, "JWT token is invalid or malformed.");
        return -1;
    }
    char *hdr_text = hrs_sim_b64_decode(jwt, (size_t)(d1 - jwt), NULL);
    size_t siglen = 0;
    char *sig = hrs_sim_b64_decode(d2 + 1, strlen(d2 + 1), &siglen);
    json_t *hdr = hdr_text ? json_loads(hdr_text, 0, NULL) : NULL;
    free(hdr_text);
    const char *alg = json_string_value(json_object_get(hdr, "alg"));
    const char *t1 = json_string_value(json_object_get(hdr, "x5t"));
    const char *t256 = json_string_value(json_object_get(hdr, "x5t#S256"));
    int rc = -1, pss = alg && strcmp(alg, "PS256") == 0;
    EVP_MD_CTX *md = NULL;
    if (!alg || (!pss && strcmp(alg, "RS256") != 0)) {
        snprintf(why, n, "The client assertion is signed with the algorithm '%s'; RS256 and PS256 are accepted.",
                 alg ? alg : "(none)");   /* UNVERIFIED wording */
        goto out;
    }
    if (!(t256 ? strcmp(t256, c->x5t256) == 0 : t1 && strcmp(t1, c->x5t) == 0)) {
        snprintf(why, n, "Client assertion contains an invalid signature. [Reason - The key was not found., Thumbprint "
                 "of key used by client: '%s']", t256 ? t256 : t1 ? t1 : "(none)");
        goto out;
    }
    EVP_PKEY_CTX *pctx = NULL;
    md = EVP_MD_CTX_new();
    int ok = sig && md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, c->pub) == 1;
    if (ok && pss)
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
    ok = ok && EVP_DigestVerify(md, (const unsigned char *)sig, siglen, (const unsigned char *)jwt,
                                (size_t)(d2 - jwt)) == 1;
    if (!ok) {
        snprintf(why, n, "Client assertion contains an invalid signature. [Reason - The signature does not verify with "
                 "the key of the certificate '%s'.]", t256 ? t256 : t1);
        goto out;
    }
    rc = 0;
out:
    ERR_clear_error();
    EVP_MD_CTX_free(md);
    json_decref(hdr);
    free(sig);
    return rc;
}
