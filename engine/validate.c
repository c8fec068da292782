/* validate.c: checks of policy results against the Graph user schema and its documented limits
 * (see include/hrsync/validate.h). The facts come from shared/reference/graph.md §1; where
 * Graph documents nothing (mailNickname's characters), hrsync applies the safe rule the fact
 * sheet suggests and says so in the message. */
#include "hrsync/validate.h"
#include "hrsync/graph_schema.h"

#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Characters Graph allows in a UPN's local part (and hrsync in a mailNickname). */
static int upn_char(unsigned char c)
{
    return isascii(c) && (isalnum(c) || strchr("'.-_!#^~", c) != NULL) && c != '\0';
}

/* ---- Which properties a policy may write ---------------------------------------------- */

/* Properties of the user resource that a policy may not set, and why. Everything else in the
 * schema is writable by an application with User.ReadWrite.All (graph.md §1). */
static const struct {
    const char *name;
    const char *why;
} refused[] = {
    /* Set by the engine from other hooks or settings. */
    { "accountEnabled", "is managed by the lifecycle settings, not by attributes()" },
    { "passwordProfile", "is set by the engine when it creates an account" },
    { "userPrincipalName", "comes from the upn() hook" },
    /* Read-only in Graph. */
    { "assignedPlans", "is read-only" },
    { "createdDateTime", "is read-only" },
    { "creationType", "is read-only" },
    { "deletedDateTime", "is read-only" },
    { "externalUserState", "is read-only" },
    { "externalUserStateChangeDateTime", "is read-only" },
    { "id", "is read-only" },
    { "imAddresses", "is read-only" },
    { "lastPasswordChangeDateTime", "is read-only" },
    { "legalAgeGroupClassification", "is read-only" },
    { "licenseAssignmentStates", "is read-only" },
    { "onPremisesDistinguishedName", "is read-only (synchronised from on-premises)" },
    { "onPremisesDomainName", "is read-only (synchronised from on-premises)" },
    { "onPremisesLastSyncDateTime", "is read-only (synchronised from on-premises)" },
    { "onPremisesProvisioningErrors", "is read-only (synchronised from on-premises)" },
    { "onPremisesSamAccountName", "is read-only (synchronised from on-premises)" },
    { "onPremisesSecurityIdentifier", "is read-only (synchronised from on-premises)" },
    { "onPremisesSyncEnabled", "is read-only (synchronised from on-premises)" },
    { "onPremisesUserPrincipalName", "is read-only (synchronised from on-premises)" },
    { "provisionedPlans", "is read-only" },
    { "proxyAddresses", "is read-only in Graph; set 'mail' instead" },
    { "securityIdentifier", "is read-only" },
    { "serviceProvisioningErrors", "is read-only" },
    { "signInActivity", "is read-only" },
    { "signInSessionsValidFromDateTime", "is read-only; leavers' sessions are revoked by the lifecycle settings" },
    /* Not updatable in app-only context (GD user-update.md). */
    { "aboutMe", "cannot be written by an application" },
    { "birthday", "cannot be written by an application" },
    { "hireDate", "cannot be written by an application; use 'employeeHireDate'" },
    { "interests", "cannot be written by an application" },
    { "mySite", "cannot be written by an application" },
    { "pastProjects", "cannot be written by an application" },
    { "preferredName", "cannot be written by an application" },
    { "responsibilities", "cannot be written by an application" },
    { "schools", "cannot be written by an application" },
    { "skills", "cannot be written by an application" },
    /* Outside what hrsync manages (own endpoints, special roles, or reserved). */
    { "assignedLicenses", "is not managed by hrsync (licenses are assigned with assignLicense or group licensing)" },
    { "authorizationInfo", "is not managed by hrsync" },
    { "customSecurityAttributes", "is not managed by hrsync" },
    { "identities", "is not managed by hrsync" },
    { "identityParentId", "is not managed by hrsync" },
    { "isManagementRestricted", "is not managed by hrsync" },
    { "isResourceAccount", "is reserved by Graph" },
    { "mailboxSettings", "is not managed by hrsync" },
    { "print", "is not managed by hrsync" },
};

#define NOT_NULL 1u /* Graph refuses to clear it */

/* Limits of string properties, in UTF-16 code units (graph.md §1). */
static const struct {
    const char *name;
    unsigned max;         /* 0: no documented limit */
    unsigned flags;
} string_rules[] = {
    { "city", 128, 0 },
    { "companyName", 64, 0 },
    { "country", 128, 0 },
    { "department", 64, 0 },
    { "displayName", 256, NOT_NULL },
    { "employeeId", 16, 0 },
    { "givenName", 64, 0 },
    { "jobTitle", 128, 0 },
    { "mailNickname", 64, NOT_NULL },
    { "mobilePhone", 64, 0 },
    { "postalCode", 40, 0 },
    { "state", 128, 0 },
    { "streetAddress", 1024, 0 },
    { "surname", 64, 0 },
    { "usageLocation", 2, NOT_NULL },
};

static const char *refused_why(const char *name)
{
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++)
        if (strcmp(refused[i].name, name) == 0) return refused[i].why;
    return NULL;
}

static int string_rule(const char *name, unsigned *max, unsigned *flags)
{
    for (size_t i = 0; i < sizeof string_rules / sizeof string_rules[0]; i++) {
        if (strcmp(string_rules[i].name, name) == 0) {
            *max = string_rules[i].max;
            *flags = string_rules[i].flags;
            return 1;
        }
    }
    *max = 0;
    *flags = 0;
    return 0;
}

/* ---- Text helpers ---------------------------------------------------------------------- */

long hrs_validate_utf16_length(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    long units = 0;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        uint32_t cp;
        if (c < 0x80) { n = 1; cp = c; }
        else if ((c & 0xE0) == 0xC0) { n = 2; cp = c & 0x1F; }
        else if ((c & 0xF0) == 0xE0) { n = 3; cp = c & 0x0F; }
        else if ((c & 0xF8) == 0xF0) { n = 4; cp = c & 0x07; }
        else return -1;
        if (i + n > len) return -1;
        for (size_t k = 1; k < n; k++) {
            if ((p[i + k] & 0xC0) != 0x80) return -1;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        /* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
            (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
            return -1;
        units += cp >= 0x10000 ? 2 : 1;
        i += n;
    }
    return units;
}

/* Returns the first control character (C0 or DEL) in s, or -1. */
static int control_char(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F) return c;
    }
    return -1;
}

size_t hrs_validate_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 64) la = 64;
    if (lb > 64) lb = 64;
    size_t prev[65], cur[65];
    for (size_t j = 0; j <= lb; j++) prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
            size_t best = prev[j - 1] + (same ? 0 : 1);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            cur[j] = best;
        }
        memcpy(prev, cur, (lb + 1) * sizeof prev[0]);
    }
    return prev[lb];
}

const char *hrs_validate_closest(const char *name, const char *const *candidates, size_t n)
{
    if (!name || !*name) return NULL;
    size_t len = strlen(name);
    size_t limit = len <= 3 ? 1 : len <= 8 ? 2 : 3;
    const char *best = NULL;
    size_t best_d = limit + 1;
    for (size_t i = 0; i < n; i++) {
        size_t d = hrs_validate_edit_distance(name, candidates[i]);
        if (d < best_d) {
            best = candidates[i];
            best_d = d;
        }
    }
    return best;
}

int hrs_validate_datetime(const char *s)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:ddZ";
    if (!s || strlen(s) != sizeof shape - 1) return 0;
    for (size_t i = 0; shape[i]; i++) {
        if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) : s[i] != shape[i]) return 0;
    }
    int y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int mo = (s[5] - '0') * 10 + (s[6] - '0');
    int d = (s[8] - '0') * 10 + (s[9] - '0');
    int h = (s[11] - '0') * 10 + (s[12] - '0');
    int mi = (s[14] - '0') * 10 + (s[15] - '0');
    int se = (s[17] - '0') * 10 + (s[18] - '0');
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || se > 59) return 0;
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    int max = mdays[mo - 1] + (mo == 2 && leap);
    return d <= max;
}

/* ---- UPN, mailNickname, group names ---------------------------------------------------- */

int hrs_validate_upn(const char *upn, hrs_err *err)
{
    if (!upn || !*upn) return hrs_err_set(err, "invalid UPN '': it is empty");
    const char *at = strchr(upn, '@');
    size_t len = strlen(upn);
    if (!at) return hrs_err_set(err, "invalid UPN '%.120s': it has no '@'", upn);
    if (strchr(at + 1, '@'))
        return hrs_err_set(err, "invalid UPN '%.120s': it has more than one '@'", upn);
    size_t local = (size_t)(at - upn), domain = len - local - 1;
    for (const char *p = upn; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '@') continue;
        if (c >= 0x80)
            return hrs_err_set(err, "invalid UPN '%.120s': it contains a non-ASCII character "
                               "(fold accents first, e.g. with hrsync.text)", upn);
        if (p < at ? !upn_char(c) : !(isalnum(c) || c == '.' || c == '-')) {
            if (isprint(c))
                return hrs_err_set(err, "invalid UPN '%.120s': character '%c' is not allowed", upn, c);
            return hrs_err_set(err, "invalid UPN '%.120s': control character 0x%02X is not allowed",
                               upn, c);
        }
    }
    if (local == 0) return hrs_err_set(err, "invalid UPN '%.120s': nothing before the '@'", upn);
    if (domain == 0) return hrs_err_set(err, "invalid UPN '%.120s': no domain after the '@'", upn);
    if (upn[0] == '.') return hrs_err_set(err, "invalid UPN '%.120s': it starts with '.'", upn);
    if (at[-1] == '.') return hrs_err_set(err, "invalid UPN '%.120s': a '.' right before the '@'", upn);
    const char *dots = strstr(upn, "..");
    if (dots && dots < at) return hrs_err_set(err, "invalid UPN '%.120s': it contains \"..\"", upn);
    if (local > 64)
        return hrs_err_set(err, "invalid UPN '%.120s': %zu characters before the '@', the limit is 64",
                           upn, local);
    if (domain > 48)
        return hrs_err_set(err, "invalid UPN '%.120s': %zu characters after the '@', the limit is 48",
                           upn, domain);
    if (len > 113)
        return hrs_err_set(err, "invalid UPN '%.120s': %zu characters, the limit is 113", upn, len);
    /* The domain: labels separated by single dots, at least two of them. */
    int labels = 0;
    for (const char *p = at + 1; *p;) {
        const char *end = strchr(p, '.');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == 0)
            return hrs_err_set(err, "invalid UPN '%.120s': the domain has an empty label", upn);
        if (p[0] == '-' || p[n - 1] == '-')
            return hrs_err_set(err, "invalid UPN '%.120s': a domain label starts or ends with '-'", upn);
        labels++;
        if (!end) break;
        p = end + 1;
        if (!*p) return hrs_err_set(err, "invalid UPN '%.120s': the domain ends with '.'", upn);
    }
    if (labels < 2)
        return hrs_err_set(err, "invalid UPN '%.120s': the domain '%s' is not a DNS name with a dot",
                           upn, at + 1);
    return 0;
}

int hrs_validate_mail_nickname(const char *nick, hrs_err *err)
{
    size_t len = nick ? strlen(nick) : 0;
    if (len == 0) return hrs_err_set(err, "mailNickname is empty");
    if (len > 64) return hrs_err_set(err, "mailNickname is %zu characters long, the limit is 64", len);
    for (const char *p = nick; *p; p++) {
        if (!upn_char((unsigned char)*p)) {
            if ((unsigned char)*p >= 0x80)
                return hrs_err_set(err, "mailNickname '%.80s' contains a non-ASCII character", nick);
            return hrs_err_set(err, "mailNickname '%.80s' contains '%c' (hrsync allows only "
                               "A-Z a-z 0-9 ' . - _ ! # ^ ~)", nick, isprint((unsigned char)*p) ? *p : '?');
        }
    }
    if (nick[0] == '.' || nick[len - 1] == '.' || strstr(nick, ".."))
        return hrs_err_set(err, "mailNickname '%.80s' starts or ends with '.' or contains \"..\"", nick);
    return 0;
}

int hrs_validate_group_name(const char *name, hrs_err *err)
{
    size_t len = name ? strlen(name) : 0;
    if (len == 0) return hrs_err_set(err, "a group name is empty");
    long units = hrs_validate_utf16_length(name, len);
    if (units < 0) return hrs_err_set(err, "group name '%.80s' is not valid UTF-8", name);
    if (units > 256)
        return hrs_err_set(err, "group name '%.80s…' is %ld characters long, the limit is 256", name, units);
    int c = control_char(name, len);
    if (c >= 0) return hrs_err_set(err, "group name '%.80s' contains control character U+%04X", name, c);
    return 0;
}

/* ---- Attribute values ------------------------------------------------------------------ */

/* How a JSON value reads to a policy author, who wrote it in Lua. */
static const char *kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "a table";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "hrsync_null";
    }
    return "a value";
}

/* A string value of `path`: non-empty, valid, no control characters, within max. */
static int check_text(const char *path, const json_t *v, unsigned max, hrs_err *err)
{
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (len == 0)
        return hrs_err_set(err, "value of '%s' is an empty string; leave it out to keep the "
                           "directory's value, or use hrsync_null to clear it", path);
    long units = hrs_validate_utf16_length(s, len);
    if (units < 0) return hrs_err_set(err, "value of '%s' is not valid UTF-8", path);
    int c = control_char(s, len);
    if (c >= 0) return hrs_err_set(err, "value of '%s' contains control character U+%04X", path, c);
    if (max && (unsigned long)units > max)
        return hrs_err_set(err, "value of '%s' is %ld characters long, the limit is %u", path, units, max);
    return 0;
}

static int check_string_property(const char *name, const json_t *v, hrs_err *err)
{
    unsigned max, flags;
    string_rule(name, &max, &flags);
    if (json_is_null(v)) {
        if (flags & NOT_NULL) return hrs_err_set(err, "'%s' cannot be cleared (hrsync_null)", name);
        return 0;
    }
    if (!json_is_string(v))
        return hrs_err_set(err, "value of '%s' is %s, expected a string", name, kind(v));
    if (check_text(name, v, max, err)) return -1;
    const char *s = json_string_value(v);
    if (strcmp(name, "usageLocation") == 0) {
        if (!(isupper((unsigned char)s[0]) && isupper((unsigned char)s[1]) && s[2] == '\0' &&
              isascii((unsigned char)s[0]) && isascii((unsigned char)s[1])))
            return hrs_err_set(err, "value of 'usageLocation' is '%.16s', expected two upper-case "
                               "letters (an ISO 3166 country code such as 'DE')", s);
    } else if (strcmp(name, "mailNickname") == 0) {
        if (hrs_validate_mail_nickname(s, err)) return hrs_err_prefix(err, "value of 'mailNickname'");
    }
    return 0;
}

static int check_members(const char *name, const char *type, json_t *v, hrs_err *err)
{
    if (!json_is_object(v))
        return hrs_err_set(err, "value of '%s' is %s, expected a table of its fields%s", name,
                           kind(v), json_is_null(v) ? " (set each field to hrsync_null to clear it)" : "");
    const char *k;
    json_t *x;
    json_object_foreach(v, k, x) {
        char path[160];
        snprintf(path, sizeof path, "%s.%s", name, k);
        const char *mt = hrs_graph_schema_member(type, k);
        if (!mt) {
            const char *hint = hrs_graph_schema_member_suggest(type, k);
            if (hint) return hrs_err_set(err, "unknown field '%s' (did you mean '%s.%s'?)", path, name, hint);
            return hrs_err_set(err, "unknown field '%s'", path);
        }
        if (json_is_null(x)) continue;
        if (!json_is_string(x))
            return hrs_err_set(err, "value of '%s' is %s, expected a string", path, kind(x));
        if (check_text(path, x, 0, err)) return -1;
    }
    return 0;
}

static int check_property(const char *name, const char *type, json_t *v, hrs_err *err)
{
    if (strcmp(type, "Edm.String") == 0) return check_string_property(name, v, err);
    if (strcmp(type, "Edm.Boolean") == 0) {
        if (json_is_null(v) || json_is_boolean(v)) return 0;
        return hrs_err_set(err, "value of '%s' is %s, expected a boolean", name, kind(v));
    }
    if (strcmp(type, "Edm.Int32") == 0) {
        if (json_is_null(v)) return 0;
        if (!json_is_integer(v))
            return hrs_err_set(err, "value of '%s' is %s, expected an integer", name,
                               json_is_real(v) ? "a number with a fraction" : kind(v));
        json_int_t n = json_integer_value(v);
        if (n < INT32_MIN || n > INT32_MAX)
            return hrs_err_set(err, "value of '%s' (%lld) is out of the 32-bit range", name, (long long)n);
        return 0;
    }
    if (strcmp(type, "Edm.DateTimeOffset") == 0) {
        if (json_is_null(v)) return 0;
        if (!json_is_string(v))
            return hrs_err_set(err, "value of '%s' is %s, expected a string YYYY-MM-DDThh:mm:ssZ",
                               name, kind(v));
        if (!hrs_validate_datetime(json_string_value(v)))
            return hrs_err_set(err, "value of '%s' is '%.40s', expected YYYY-MM-DDThh:mm:ssZ "
                               "(e.g. '2025-03-01T00:00:00Z')", name, json_string_value(v));
        return 0;
    }
    if (strcmp(type, "Collection(Edm.String)") == 0) {
        if (!json_is_array(v))
            return hrs_err_set(err, "value of '%s' is %s, expected a list of strings%s", name,
                               kind(v), json_is_null(v) ? " (an empty list {} clears it)" : "");
        size_t n = json_array_size(v);
        if (strcmp(name, "businessPhones") == 0 && n > 1)
            return hrs_err_set(err, "'businessPhones' has %zu items; Graph allows only one", n);
        for (size_t i = 0; i < n; i++) {
            json_t *x = json_array_get(v, i);
            char path[160];
            snprintf(path, sizeof path, "%s[%zu]", name, i + 1);
            if (!json_is_string(x))
                return hrs_err_set(err, "value of '%s' is %s, expected a string", path, kind(x));
            if (check_text(path, x, 0, err)) return -1;
        }
        return 0;
    }
    if (hrs_graph_schema_is_complex(type)) return check_members(name, type, v, err);
    return hrs_err_set(err, "attribute '%s' (%s) is not managed by hrsync", name, type);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int hrs_validate_attributes(json_t *attrs, hrs_err *err)
{
    if (!json_is_object(attrs)) return hrs_err_set(err, "attributes are not a table");
    size_t n = json_object_size(attrs);
    if (n == 0) return 0;
    const char **names = calloc(n, sizeof *names);
    if (!names) return hrs_err_set(err, "out of memory checking %zu attributes", n);
    size_t i = 0;
    const char *k;
    json_t *v;
    json_object_foreach(attrs, k, v) names[i++] = k;
    qsort(names, n, sizeof *names, cmp_names);

    int rc = 0;
    for (i = 0; i < n && rc == 0; i++) {
        const char *name = names[i];
        const char *type = hrs_graph_schema_lookup(name);
        if (!type) {
            const char *hint = hrs_graph_schema_suggest(name);
            if (hint) rc = hrs_err_set(err, "unknown attribute '%s' (did you mean '%s'?)", name, hint);
            else rc = hrs_err_set(err, "unknown attribute '%s' (not a Graph user property)", name);
            break;
        }
        const char *why = refused_why(name);
        if (why) {
            rc = hrs_err_set(err, "attribute '%s' %s", name, why);
            break;
        }
        rc = check_property(name, type, json_object_get(attrs, name), err);
    }
    free(names);
    return rc;
}
