/* policy_reload.c: a changed policy is tried before it is used (see hrs_policy_reload in
 * include/hrsync/policy.h): a fresh VM loads it and runs it for the persons of the last cycle.
 * Only a policy that loads and decides at least one of them is handed back; failures for some
 * persons are returned as problems (those persons are quarantined by the next plan, as with any
 * policy), while a load error keeps the running policy, and so does a policy that decides no
 * person into scope while it fails for some (a broken attributes or upn hook fails for everyone
 * in scope, yet decides those out of scope). */
#include "hrsync/policy.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POLICY_FILE_MAX ((size_t)1 << 20)   /* as the sandbox's limit for one chunk */

int hrs_policy_file_read(const char *path, char **text, size_t *len, char version[80], hrs_err *err)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (!f) return hrs_err_set(err, "cannot open policy %s: %s", path, strerror(errno));
    size_t cap = 8192, n = 0;
    char *buf = malloc(cap + 1);
    int ok = buf != NULL;
    while (ok) {
        if (n == cap) {
            if (cap > POLICY_FILE_MAX) break;
            char *nb = realloc(buf, cap * 2 + 1);
            if (!nb) { ok = 0; break; }
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!ok || bad || n > POLICY_FILE_MAX) {
        free(buf);
        if (!ok) return hrs_err_set(err, "out of memory reading policy %s", path);
        if (bad) return hrs_err_set(err, "cannot read policy %s", path);
        return hrs_err_set(err, "policy %s is larger than %zu bytes", path, POLICY_FILE_MAX);
    }
    buf[n] = '\0';
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    if (EVP_Digest(buf, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
        free(buf);
        return hrs_err_set(err, "cannot compute the SHA-256 of policy %s", path);
    }
    int o = snprintf(version, 80, "sha256:");
    for (unsigned i = 0; i < mdlen; i++) o += snprintf(version + o, (size_t)(80 - o), "%02x", md[i]);
    *text = buf;
    *len = n;
    return 0;
}

int hrs_policy_reload(const hrs_policy_opts *opts, const json_t *people, hrs_policy **out, json_t **problems,
                      hrs_err *err)
{
    *out = NULL;
    if (problems) *problems = NULL;
    hrs_policy *p = hrs_policy_load(opts, err);
    if (!p) return -1;
    json_t *bad = json_array();
    size_t tried = 0, included = 0, i;
    json_t *person;
    hrs_err first;
    hrs_err_clear(&first);
    json_array_foreach(people, i, person) {
        if (!json_is_object(person)) continue;
        tried++;
        hrs_decision d;
        hrs_err e1;
        hrs_err_clear(&e1);
        if (hrs_policy_decide(p, person, &d, &e1) == 0) {
            included += d.include != 0;
            hrs_decision_clear(&d);
            continue;
        }
        if (!first.set) first = e1;
        const json_t *id = json_object_get(person, "id");
        json_array_append_new(bad, json_pack("{s:O?, s:s, s:s}", "person", id, "reason", e1.msg, "failure",
                                             hrs_policy_last_failure(p) == HRS_POLICY_BUDGET ? "budget"
                                             : hrs_policy_last_failure(p) == HRS_POLICY_MEMORY ? "memory"
                                             : hrs_policy_last_failure(p) == HRS_POLICY_INVALID ? "invalid" : "error"));
    }
    size_t failed = json_array_size(bad);
    if (failed && (failed == tried || included == 0)) {
        if (failed == tried)
            hrs_err_set(err, "the policy fails for all %zu %s of the last cycle; the first: %s", tried,
                        tried == 1 ? "person" : "people", first.msg);
        else
            hrs_err_set(err, "the policy fails for %zu of the %zu people of the last cycle and takes none of the others "
                        "into scope; the first failure: %s", failed, tried, first.msg);
        json_decref(bad);
        hrs_policy_free(p);
        return -1;
    }
    if (problems) *problems = bad;
    else json_decref(bad);
    *out = p;
    return 0;
}
