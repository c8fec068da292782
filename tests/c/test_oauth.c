/* test_oauth.c: signing in to Entra (engine/oauth.c, engine/oauth_cert.c): the client assertion
 * of a certificate (PS256 with x5t#S256, RS256 with x5t) decoded and verified with the test's own
 * key, key files that do not fit, the simulator accepting a registered certificate and refusing
 * another, and token renewal (before expiry by the clock; once after a 401). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hrsync/graph.h"
#include "hrsync/http.h"
#include "hrsync/oauth.h"
#include "hrsync/sim.h"

#define TENANT "example.com"
#define CLIENT "11111111-2222-3333-4444-555555555555"
#define SECRET "s3cret-OAuth"
#define TOKEN_URL "https://login.microsoftonline.com/" TENANT "/oauth2/v2.0/token"

typedef struct fixture {
    char dir[64], cert[128], key[128], both[128], other_cert[128], other_key[128];
    EVP_PKEY *pkey;
    X509 *x509;
} fixture;

/* A self-signed certificate for a new RSA key, written as PEM files. */
static void make_cert(EVP_PKEY **key, X509 **cert, const char *cert_file, const char *key_file, const char *both_file)
{
    *key = EVP_RSA_gen(2048);
    assert_non_null(*key);
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
    X509_gmtime_adj(X509_getm_notBefore(x), -60);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, *key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"hrsync test app", -1, -1, 0);
    X509_set_issuer_name(x, name);
    assert_true(X509_sign(x, *key, EVP_sha256()) > 0);
    *cert = x;
    FILE *f = fopen(cert_file, "w");
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(key_file, "w");
    PEM_write_PrivateKey(f, *key, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    if (both_file) {
        f = fopen(both_file, "w");
        PEM_write_PrivateKey(f, *key, NULL, NULL, 0, NULL, NULL);
        PEM_write_X509(f, x);
        fclose(f);
    }
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/hrsync-test-oauth-XXXXXX");
    if (!f || !mkdtemp(f->dir)) return -1;
    snprintf(f->cert, sizeof f->cert, "%s/app.crt", f->dir);
    snprintf(f->key, sizeof f->key, "%s/app.key", f->dir);
    snprintf(f->both, sizeof f->both, "%s/app.pem", f->dir);
    snprintf(f->other_cert, sizeof f->other_cert, "%s/other.crt", f->dir);
    snprintf(f->other_key, sizeof f->other_key, "%s/other.key", f->dir);
    make_cert(&f->pkey, &f->x509, f->cert, f->key, f->both);
    EVP_PKEY *k2;
    X509 *x2;
    make_cert(&k2, &x2, f->other_cert, f->other_key, NULL);
    EVP_PKEY_free(k2);
    X509_free(x2);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    const char *files[] = { f->cert, f->key, f->both, f->other_cert, f->other_key };
    for (size_t i = 0; i < 5; i++) unlink(files[i]);
    rmdir(f->dir);
    EVP_PKEY_free(f->pkey);
    X509_free(f->x509);
    free(f);
    return 0;
}

/* base64url decoding, written here so that the test does not trust the code under test. */
static unsigned char *unb64url(const char *s, size_t n, size_t *outlen)
{
    char *t = calloc(1, n + 4);
    assert_non_null(t);
    size_t j = 0;
    for (size_t i = 0; i < n; i++) t[j++] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
    while (j % 4) t[j++] = '=';
    unsigned char *out = malloc(j / 4 * 3 + 1);
    int len = EVP_DecodeBlock(out, (unsigned char *)t, (int)j);
    assert_true(len >= 0);
    size_t pad = 0;
    while (pad < j && t[j - 1 - pad] == '=') pad++;
    free(t);
    *outlen = (size_t)len - pad;
    out[*outlen] = '\0';
    return out;
}

static void b64url_of(const unsigned char *in, size_t n, char *out)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) | (i + 2 < n ? in[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        if (i + 1 < n) out[o++] = tab[v >> 6 & 63];
        if (i + 2 < n) out[o++] = tab[v & 63];
    }
    out[o] = '\0';
}

static void thumb(X509 *x, const EVP_MD *md, char *out)
{
    unsigned char *der = NULL, h[EVP_MAX_MD_SIZE];
    unsigned int hl;
    int len = i2d_X509(x, &der);
    EVP_Digest(der, (size_t)len, h, &hl, md, NULL);
    OPENSSL_free(der);
    b64url_of(h, hl, out);
}

static json_t *part(const char *jwt, int which)
{
    const char *p = jwt;
    for (int i = 0; i < which; i++) p = strchr(p, '.') + 1;
    size_t n = strcspn(p, "."), len;
    unsigned char *raw = unb64url(p, n, &len);
    json_t *j = json_loads((char *)raw, 0, NULL);
    free(raw);
    assert_non_null(j);
    return j;
}

/* 1 when the signature verifies with the test's key (pss: RSA-PSS padding, else PKCS #1 v1.5). */
static int verifies(EVP_PKEY *key, const char *jwt, int pss)
{
    const char *d2 = strrchr(jwt, '.');
    size_t siglen;
    unsigned char *sig = unb64url(d2 + 1, strlen(d2 + 1), &siglen);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key);
    if (pss) {
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
        EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
    }
    int ok = EVP_DigestVerify(md, sig, siglen, (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;
    EVP_MD_CTX_free(md);
    free(sig);
    return ok;
}

static void ps256_assertion_names_the_sha256_thumbprint_and_verifies(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_oauth_cert *c = hrs_oauth_cert_load(f->both, NULL, NULL, &err);
    if (!c) fail_msg("%s", err.msg);
    char *jwt = NULL;
    assert_int_equal(hrs_oauth_assertion(c, CLIENT, TOKEN_URL, 1800000000L, &jwt, &err), 0);
    json_t *h = part(jwt, 0), *cl = part(jwt, 1);
    char want[64];
    thumb(f->x509, EVP_sha256(), want);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "PS256");
    assert_string_equal(json_string_value(json_object_get(h, "typ")), "JWT");
    assert_string_equal(json_string_value(json_object_get(h, "x5t#S256")), want);
    assert_string_equal(hrs_oauth_cert_x5t(c, 1), want);
    assert_string_equal(json_string_value(json_object_get(cl, "aud")), TOKEN_URL);
    assert_string_equal(json_string_value(json_object_get(cl, "iss")), CLIENT);
    assert_string_equal(json_string_value(json_object_get(cl, "sub")), CLIENT);
    assert_int_equal(strlen(json_string_value(json_object_get(cl, "jti"))), 36);
    assert_int_equal(json_integer_value(json_object_get(cl, "nbf")), 1800000000L);
    assert_int_equal(json_integer_value(json_object_get(cl, "iat")), 1800000000L);
    assert_int_equal(json_integer_value(json_object_get(cl, "exp")), 1800000000L + 600);
    assert_true(verifies(f->pkey, jwt, 1));
    assert_false(verifies(f->pkey, jwt, 0));
    /* Each assertion has its own jti. */
    char *again = NULL;
    assert_int_equal(hrs_oauth_assertion(c, CLIENT, TOKEN_URL, 1800000000L, &again, &err), 0);
    json_t *cl2 = part(again, 1);
    assert_string_not_equal(json_string_value(json_object_get(cl, "jti")), json_string_value(json_object_get(cl2, "jti")));
    json_decref(h);
    json_decref(cl);
    json_decref(cl2);
    free(jwt);
    free(again);
    hrs_oauth_cert_free(c);
}

static void rs256_assertion_names_the_sha1_thumbprint_and_verifies(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_oauth_cert *c = hrs_oauth_cert_load(f->cert, f->key, "RS256", &err);
    if (!c) fail_msg("%s", err.msg);
    char *jwt = NULL;
    assert_int_equal(hrs_oauth_assertion(c, CLIENT, TOKEN_URL, 1800000000L, &jwt, &err), 0);
    json_t *h = part(jwt, 0);
    char want[40];
    thumb(f->x509, EVP_sha1(), want);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "RS256");
    assert_string_equal(json_string_value(json_object_get(h, "x5t")), want);
    assert_int_equal(strlen(want), 27);
    assert_true(verifies(f->pkey, jwt, 0));
    json_decref(h);
    free(jwt);
    hrs_oauth_cert_free(c);
}

static void key_files_that_do_not_fit_are_refused_by_name(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    assert_null(hrs_oauth_cert_load(f->cert, f->other_key, NULL, &err));
    assert_non_null(strstr(err.msg, "does not belong to the certificate"));
    assert_non_null(strstr(err.msg, f->other_key));
    assert_null(strstr(err.msg, "PRIVATE KEY"));
    hrs_err_clear(&err);
    assert_null(hrs_oauth_cert_load(f->cert, NULL, NULL, &err));   /* a certificate without its key */
    assert_non_null(strstr(err.msg, "no PEM private key"));
    hrs_err_clear(&err);
    /* An encrypted key is refused, never prompted for. */
    char enc[160];
    snprintf(enc, sizeof enc, "%s/enc.key", f->dir);
    FILE *fp = fopen(enc, "w");
    PEM_write_PrivateKey(fp, f->pkey, EVP_aes_128_cbc(), (unsigned char *)"pw", 2, NULL, NULL);
    fclose(fp);
    assert_null(hrs_oauth_cert_load(f->cert, enc, NULL, &err));
    assert_non_null(strstr(err.msg, "encrypted"));
    unlink(enc);
    hrs_err_clear(&err);
    assert_null(hrs_oauth_cert_load(f->cert, f->key, "HS256", &err));
    assert_non_null(strstr(err.msg, "HS256"));
}

static hrs_sim *sim_with_cert(const char *cert, hrs_err *err)
{
    hrs_sim_opts o = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET, .client_certificate_file = cert };
    hrs_sim *s = hrs_sim_start(&o, err);
    if (!s) fail_msg("hrs_sim_start: %s", err->msg);
    return s;
}

static hrs_graph *graph_for(hrs_sim *s, const hrs_graph_ext *x, const char *secret, char *urls, hrs_err *err)
{
    char *login = urls, *graph = urls + 100;
    snprintf(login, 100, "http://127.0.0.1:%u", hrs_sim_port(s));
    snprintf(graph, 100, "http://127.0.0.1:%u/v1.0", hrs_sim_port(s));
    hrs_graph_opts go = { .graph_url = graph, .login_url = login, .tenant = TENANT, .client_id = CLIENT,
                          .client_secret = secret, .timeout_s = 10 };
    return hrs_graph_new_ext(&go, x, err);
}

static void the_simulator_accepts_the_registered_certificate_and_refuses_another(void **state)
{
    fixture *f = *state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_sim *s = sim_with_cert(f->cert, &err);
    char urls[200];
    static const char *const algs[] = { "PS256", "RS256" };
    for (int i = 0; i < 2; i++) {
        hrs_graph_ext x = { .client_certificate_file = f->cert, .client_key_file = f->key, .client_assertion_alg = algs[i] };
        hrs_graph *g = graph_for(s, &x, NULL, urls, &err);
        assert_non_null(g);
        json_t *out = NULL;
        if (hrs_graph_call(g, "GET", "/users?$select=id", NULL, &out, &err) != 0) fail_msg("%s: %s", algs[i], err.msg);
        json_decref(out);
        hrs_graph_free(g);
    }
    hrs_graph_ext other = { .client_certificate_file = f->other_cert, .client_key_file = f->other_key };
    hrs_graph *g = graph_for(s, &other, NULL, urls, &err);
    json_t *out = NULL;
    assert_int_equal(hrs_graph_call(g, "GET", "/users?$select=id", NULL, &out, &err), -1);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.code, "AADSTS700027");
    assert_non_null(strstr(err.msg, "invalid_client"));
    assert_null(strstr(err.msg, "eyJ"));   /* no assertion (a JWT) in the message */
    hrs_graph_free(g);
    hrs_sim_stats st;
    hrs_sim_get_stats(s, &st);
    assert_int_equal(st.tokens, 2);
    hrs_sim_stop(s);
}

typedef struct { double t; } fake_clock;
static double fake_now(void *ud) { return ((fake_clock *)ud)->t; }

static void a_token_is_renewed_before_it_expires(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_sim_opts so = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET };
    hrs_sim *s = hrs_sim_start(&so, &err);
    char login[100];
    snprintf(login, sizeof login, "http://127.0.0.1:%u", hrs_sim_port(s));
    hrs_oauth_opts o = { login, TENANT, CLIENT, SECRET, "https://graph.microsoft.com/.default", NULL };
    hrs_oauth *a = hrs_oauth_new(&o, &err);
    hrs_http *h = hrs_http_new(10, &err);
    fake_clock clk = { 1000 };
    hrs_oauth_set_clock(a, fake_now, &clk);
    const char *tok;
    char first[160];
    assert_int_equal(hrs_oauth_token(a, h, &tok, &err), 0);
    snprintf(first, sizeof first, "%s", tok);
    clk.t = 1000 + 3000;                        /* expires_in 3599: renewed 300 s before */
    assert_int_equal(hrs_oauth_token(a, h, &tok, &err), 0);
    assert_string_equal(tok, first);
    hrs_sim_stats st;
    hrs_sim_get_stats(s, &st);
    assert_int_equal(st.tokens, 1);
    clk.t = 1000 + 3300;
    assert_int_equal(hrs_oauth_token(a, h, &tok, &err), 0);
    assert_string_not_equal(tok, first);
    hrs_sim_get_stats(s, &st);
    assert_int_equal(st.tokens, 2);
    hrs_oauth_free(a);
    hrs_http_free(h);
    hrs_sim_stop(s);
}

static void a_401_renews_the_token_once(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    hrs_sim_opts so = { .tenant = TENANT, .client_id = CLIENT, .client_secret = SECRET };
    hrs_sim *s = hrs_sim_start(&so, &err);
    char urls[200];
    hrs_graph *g = graph_for(s, NULL, SECRET, urls, &err);
    json_t *out = NULL;
    hrs_sim_stats st;
    assert_int_equal(hrs_graph_call(g, "GET", "/users?$select=id", NULL, &out, &err), 0);
    json_decref(out);
    /* Revoked behind the client's back: the next call meets a 401, renews, and goes on. */
    hrs_sim_set_fault(s, "expire_tokens", 1);
    assert_int_equal(hrs_graph_call(g, "GET", "/users?$select=id", NULL, &out, &err), 0);
    json_decref(out);
    hrs_sim_get_stats(s, &st);
    assert_int_equal(st.tokens, 2);
    /* Tokens that are refused every time: one renewal, then the 401 is reported. */
    hrs_sim_set_fault(s, "expire_tokens_every", 1);
    hrs_sim_set_fault(s, "expire_tokens", 1);
    assert_int_equal(hrs_graph_call(g, "GET", "/users?$select=id", NULL, &out, &err), -1);
    assert_int_equal(err.http_status, 401);
    assert_string_equal(err.code, "InvalidAuthenticationToken");
    hrs_sim_get_stats(s, &st);
    assert_int_equal(st.tokens, 3);
    hrs_graph_free(g);
    hrs_sim_stop(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(ps256_assertion_names_the_sha256_thumbprint_and_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(rs256_assertion_names_the_sha1_thumbprint_and_verifies, setup, teardown),
        cmocka_unit_test_setup_teardown(key_files_that_do_not_fit_are_refused_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(the_simulator_accepts_the_registered_certificate_and_refuses_another, setup,
                                        teardown),
        cmocka_unit_test(a_token_is_renewed_before_it_expires),
        cmocka_unit_test(a_401_renews_the_token_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
