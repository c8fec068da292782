/* sim_validate.c: what Graph checks in a user (or group) body before it writes anything: known
 * property names and value types, required properties on create, the userPrincipalName rules, the
 * password policy, length limits and uniqueness (graph.md §1). Messages are Graph's where one was
 * found (graph.md, or public issue threads); the others are marked UNVERIFIED in comments. */
#include "sim_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define INVALID_VALUE "Invalid value specified for property '%s' of resource '%s'."

int hrs_sim_domain_verified(hrs_sim *s, const char *domain)
{
    size_t i;
    json_t *d;
    json_array_foreach(s->domains, i, d)
        if (strcasecmp(json_string_value(d), domain) == 0) return 1;
    return 0;
}

int hrs_sim_need_body(const sim_req *q, sim_resp *r)
{
    if (json_is_object(q->body)) return 0;
    if (q->body_bad || q->body)
        hrs_sim_fail(q, r, 400, "BadRequest", "Unable to read JSON request payload. Please ensure "
                     "Content-Type header is set and payload is of valid JSON format.");
    else
        hrs_sim_fail(q, r, 400, "BadRequest", "Empty Payload. JSON content expected.");
    return -1;
}

/* alias@domain with the characters, lengths and verified domain of graph.md §1. */
static int upn_valid(hrs_sim *s, const char *upn)
{
    const char *at = strchr(upn, '@');
    if (!at || strchr(at + 1, '@')) return 0;
    size_t local = (size_t)(at - upn), dom = strlen(at + 1);
    if (local < 1 || local > 64 || dom < 1 || dom > 48 || local + 1 + dom > 113) return 0;
    for (const char *c = upn; c < at; c++)
        if (!isalnum((unsigned char)*c) && !strchr("'.-_!#^~", *c)) return 0;
    if (at[-1] == '.') return 0;
    return hrs_sim_domain_verified(s, at + 1);
}

/* The cloud password policy: 8–256 characters, 3 of 4 classes, no Unicode (graph.md §1). */
static int password_ok(const char *pw)
{
    static const char symbols[] = "@#$%^&*-_!+=[]{}|\\:',.?/`~\"();<> ";
    size_t n = strlen(pw);
    int lower = 0, upper = 0, digit = 0, sym = 0;
    if (n < 8 || n > 256) return 0;
    for (const char *c = pw; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u >= 'a' && u <= 'z') lower = 1;
        else if (u >= 'A' && u <= 'Z') upper = 1;
        else if (u >= '0' && u <= '9') digit = 1;
        else if (u < 0x80 && strchr(symbols, u)) sym = 1;
        else return 0;
    }
    return lower + upper + digit + sym >= 3;
}

/* graph.md §1: the group rule (ASCII except @ () \ [] " ; : <> , space) plus "not starting with
 * a period" (IdFix); the exact user rule is UNVERIFIED. */
static int nickname_ok(const char *m)
{
    if (!*m || *m == '.') return 0;
    for (const char *c = m; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (u < 0x21 || u > 0x7e || strchr("@()\\[]\";:<>,", u)) return 0;
    }
    return 1;
}

/* YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm), the DateTimeOffset form Graph accepts. */
static int date_ok(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd";
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i]) return 0;
    }
    const char *c = s + strlen(shape);
    if (*c == '.') {
        c++;
        if (!isdigit((unsigned char)*c)) return 0;
        while (isdigit((unsigned char)*c)) c++;
    }
    if (*c == 'Z') return c[1] == '\0';
    return (*c == '+' || *c == '-') && isdigit((unsigned char)c[1]) &&
           isdigit((unsigned char)c[2]) && c[3] == ':' && isdigit((unsigned char)c[4]) &&
           isdigit((unsigned char)c[5]) && c[6] == '\0';
}

static void unknown_prop(const sim_req *q, sim_resp *r, const char *name, const char *type)
{
    hrs_sim_fail(q, r, 400, "BadRequest",
                 "The property '%s' does not exist on type 'microsoft.graph.%s'. Make sure to "
                 "only use property names that are defined by the type or mark the type as open "
                 "type.", name, type);
}

/* Members of the complex user properties a body may set. */
static int check_complex(const sim_req *q, sim_resp *r, const char *name, json_t *v,
                         const char *Entity)
{
    const char *type = NULL;
    const char *const *keys = NULL;
    static const char *const pw[] = { "password", "forceChangePasswordNextSignIn",
                                      "forceChangePasswordNextSignInWithMfa", NULL };
    static const char *const org[] = { "costCenter", "division", NULL };
    if (strcmp(name, "passwordProfile") == 0) { type = "passwordProfile"; keys = pw; }
    else if (strcmp(name, "employeeOrgData") == 0) { type = "employeeOrgData"; keys = org; }
    else if (strcmp(name, "onPremisesExtensionAttributes") == 0)
        type = "onPremisesExtensionAttributes";
    if (!type) return 0;
    const char *k;
    json_t *m;
    json_object_foreach(v, k, m) {
        int known = 0;
        if (keys) {
            for (int i = 0; keys[i]; i++)
                if (strcmp(keys[i], k) == 0) known = 1;
        } else if (strncmp(k, "extensionAttribute", 18) == 0) {
            char *end;
            long n = strtol(k + 18, &end, 10);
            known = k[18] != '0' && *end == '\0' && n >= 1 && n <= 15;
        }
        if (!known) {
            unknown_prop(q, r, k, type);
            return -1;
        }
        int is_bool = strncmp(k, "forceChange", 11) == 0;
        if (!json_is_null(m) && (is_bool ? !json_is_boolean(m) : !json_is_string(m))) {
            hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, name, Entity);
            return -1;
        }
    }
    return 0;
}

int hrs_sim_check_props(const sim_req *q, sim_resp *r, json_t *body, const sim_prop *table,
                        const char *entity, const char *Entity)
{
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v) {
        if (strchr(k, '@')) continue;   /* annotations: the callers handle the ones they accept */
        if (strncmp(k, "extension_", 10) == 0) {   /* directory extension attribute */
            if (!json_is_null(v) && !json_is_string(v) && !json_is_boolean(v) &&
                !json_is_integer(v)) {
                hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, k, Entity);
                return -1;
            }
            continue;
        }
        const sim_prop *p = hrs_sim_prop(table, k, 1);
        if (!p) {
            unknown_prop(q, r, k, entity);
            return -1;
        }
        if (p->flags & SIM_P_RO) {
            /* UNVERIFIED wording: Graph's answer to writing a read-only property. */
            hrs_sim_fail(q, r, 400, "Request_BadRequest",
                         "Property '%s' is read-only and cannot be set.", k);
            return -1;
        }
        if (p->flags & SIM_P_NOAPP) {
            /* graph.md §1: app-only callers cannot update these. */
            hrs_sim_fail(q, r, 403, "Authorization_RequestDenied",
                         "Insufficient privileges to complete the operation.");
            return -1;
        }
        if (json_is_null(v)) continue;
        int ok = 1;
        switch (p->type) {
        case 'S': ok = json_is_string(v) &&
                       (!p->maxlen || hrs_sim_utf8_len(json_string_value(v)) <= p->maxlen);
                  break;
        case 'B': ok = json_is_boolean(v); break;
        case 'I': ok = json_is_integer(v); break;
        case 'D': ok = json_is_string(v) && date_ok(json_string_value(v)); break;
        case 'O': ok = json_is_object(v); break;
        case 'C':
        case 'L': {
            ok = json_is_array(v);
            size_t i;
            json_t *e;
            json_array_foreach(v, i, e)
                if (p->type == 'C' ? !json_is_string(e) : !json_is_object(e)) ok = 0;
            break;
        }
        }
        if (!ok) {
            hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, k, Entity);
            return -1;
        }
        if (p->type == 'O' && check_complex(q, r, k, v, Entity) != 0) return -1;
    }
    return 0;
}

static int empty(json_t *v)
{
    return !v || json_is_null(v) || (json_is_string(v) && !*json_string_value(v));
}

int hrs_sim_user_validate(hrs_sim *s, const sim_req *q, sim_resp *r, json_t *body,
                          const sim_user *self)
{
    if (hrs_sim_need_body(q, r) != 0) return -1;
    const char *k;
    json_t *v;
    json_object_foreach(body, k, v)
        if (strchr(k, '@') && strcmp(k, "@odata.type") != 0) {
            unknown_prop(q, r, k, "user");
            return -1;
        }
    if (hrs_sim_check_props(q, r, body, hrs_sim_user_props, "user", "User") != 0) return -1;

    static const char *const required[] = { "accountEnabled", "displayName", "mailNickname",
                                            "userPrincipalName", NULL };
    json_t *pp = json_object_get(body, "passwordProfile");
    for (int i = 0; required[i]; i++) {
        json_t *rv = json_object_get(body, required[i]);
        if (!self && empty(rv)) {
            hrs_sim_fail(q, r, 400, "Request_BadRequest",
                         "Property %s value is required but is empty or missing.", required[i]);
            return -1;
        }
        if (self && rv && empty(rv)) {   /* required properties cannot be cleared */
            hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, required[i], "User");
            return -1;
        }
    }
    if (!self && (empty(pp) || empty(json_object_get(pp, "password")))) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "A password must be specified to create a new user.");
        return -1;
    }
    if (self && pp && (json_is_null(pp) || json_is_null(json_object_get(pp, "password")))) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, "passwordProfile", "User");
        return -1;
    }

    const char *upn = json_string_value(json_object_get(body, "userPrincipalName"));
    if (upn && !upn_valid(s, upn)) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest", "Property userPrincipalName is invalid.");
        hrs_sim_fail_detail(r, "userPrincipalName", "InvalidValue");
        return -1;
    }
    const char *nick = json_string_value(json_object_get(body, "mailNickname"));
    if (nick && !nickname_ok(nick)) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, "mailNickname", "User");
        return -1;
    }
    json_t *loc = json_object_get(body, "usageLocation");
    const char *ls = json_string_value(loc);
    if ((self && loc && json_is_null(loc)) ||
        (ls && (strlen(ls) != 2 || !isalpha((unsigned char)ls[0]) ||
                !isalpha((unsigned char)ls[1])))) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, "usageLocation", "User");
        return -1;
    }
    if (json_array_size(json_object_get(body, "businessPhones")) > 1) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest", INVALID_VALUE, "businessPhones", "User");
        return -1;
    }
    const char *pw = json_string_value(json_object_get(pp, "password"));
    if (pw && !password_ok(pw)) {
        hrs_sim_fail(q, r, 400, "Request_BadRequest",
                     "The specified password does not comply with password complexity "
                     "requirements. Please provide a different password.");
        return -1;
    }
    if (upn) {
        sim_user *other = hrs_sim_user_find(s, upn, 0);
        if (other && other != self) {
            hrs_sim_fail(q, r, 400, "Request_BadRequest", "Another object with the same value "
                         "for property userPrincipalName already exists.");
            /* Clients match details[].code "ObjectConflict" (3rd-party); target UNVERIFIED. */
            hrs_sim_fail_detail(r, "userPrincipalName", "ObjectConflict");
            return -1;
        }
    }
    const char *mail = json_string_value(json_object_get(body, "mail"));
    if (mail) {
        for (size_t i = 0; i < s->nusers; i++) {
            sim_user *o = s->users[i];
            const char *om = o ? json_string_value(json_object_get(o->props, "mail")) : NULL;
            if (o && o != self && om && strcasecmp(om, mail) == 0) {
                hrs_sim_fail(q, r, 400, "Request_BadRequest", "Another object with the same "
                             "value for property proxyAddresses already exists.");
                hrs_sim_fail_detail(r, "proxyAddresses", "ObjectConflict");
                return -1;
            }
        }
    }
    return 0;
}

const char *hrs_sim_ref_id(json_t *body, char *buf, size_t n)
{
    const char *url = json_string_value(json_object_get(body, "@odata.id"));
    if (!url) return NULL;
    const char *slash = strrchr(url, '/');
    const char *id = slash ? slash + 1 : url;
    /* Also accept the key form …/directoryObjects('id'). */
    const char *open = strchr(id, '(');
    if (!slash && !open) return NULL;
    if (open) {
        id = open + 1;
        if (*id == '\'') id++;
    }
    size_t len = strcspn(id, "')?");
    if (len == 0 || len >= n) return NULL;
    memcpy(buf, id, len);
    buf[len] = '\0';
    return buf;
}
