/* sim_schema.c: the property names of microsoft.graph.user and microsoft.graph.group that the
 * simulator knows, with type, limits and $filter support.
 *
 * The user list was written by hand from shared/reference/graph-user-schema.json (the CSDL of
 * msgraph-metadata): all 81 structural properties. Lengths, read-only properties, the default
 * $select set and filter support come from shared/reference/graph.md §1 and the user resource
 * documentation; properties graph.md gives no rule for are neither limited nor filterable. */
#include "sim_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define RO SIM_P_RO
#define DF SIM_P_DEFAULT
#define NA SIM_P_NOAPP
#define HD SIM_P_HIDDEN

const sim_prop hrs_sim_user_props[] = {
    { "aboutMe", 'S', NA, 0, 0 },
    { "accountEnabled", 'B', 0, 0, 'd' },
    { "ageGroup", 'S', 0, 0, 'd' },
    { "assignedLicenses", 'L', RO, 0, 0 },
    { "assignedPlans", 'L', RO, 0, 0 },
    { "authorizationInfo", 'O', RO, 0, 0 },
    { "birthday", 'D', NA, 0, 0 },
    { "businessPhones", 'C', DF, 0, 0 },
    { "city", 'S', 0, 128, 'd' },
    { "companyName", 'S', 0, 64, 'a' },
    { "consentProvidedForMinor", 'S', 0, 0, 'd' },
    { "country", 'S', 0, 128, 'd' },
    { "createdDateTime", 'D', RO, 0, 'a' },
    { "creationType", 'S', RO, 0, 'd' },
    { "customSecurityAttributes", 'O', RO, 0, 0 },
    { "deletedDateTime", 'D', RO, 0, 0 },
    { "department", 'S', 0, 64, 'd' },
    { "deviceEnrollmentLimit", 'I', 0, 0, 0 },
    { "displayName", 'S', DF, 256, 'd' },
    { "employeeHireDate", 'D', 0, 0, 'a' },
    { "employeeId", 'S', 0, 16, 'd' },
    { "employeeLeaveDateTime", 'D', 0, 0, 'a' },
    { "employeeOrgData", 'O', 0, 0, 'a' },
    { "employeeType", 'S', 0, 0, 'a' },
    { "externalUserState", 'S', RO, 0, 'd' },
    { "externalUserStateChangeDateTime", 'D', RO, 0, 0 },
    { "faxNumber", 'S', 0, 0, 'a' },
    { "givenName", 'S', DF, 64, 'd' },
    { "hireDate", 'D', NA, 0, 0 },
    { "id", 'S', RO | DF, 0, 'd' },
    { "identities", 'L', 0, 0, 0 },
    { "identityParentId", 'S', RO, 0, 0 },
    { "imAddresses", 'C', RO, 0, 0 },
    { "interests", 'C', NA, 0, 0 },
    { "isManagementRestricted", 'B', RO, 0, 0 },
    { "isResourceAccount", 'B', 0, 0, 0 },
    { "jobTitle", 'S', DF, 128, 'd' },
    { "lastPasswordChangeDateTime", 'D', RO, 0, 0 },
    { "legalAgeGroupClassification", 'S', RO, 0, 0 },
    { "licenseAssignmentStates", 'L', RO, 0, 0 },
    { "mail", 'S', DF, 0, 'd' },
    { "mailNickname", 'S', 0, 64, 'd' },
    { "mailboxSettings", 'O', RO, 0, 0 },
    { "mobilePhone", 'S', DF, 64, 'a' },
    { "mySite", 'S', NA, 0, 0 },
    { "officeLocation", 'S', DF, 0, 'a' },
    { "onPremisesDistinguishedName", 'S', RO, 0, 0 },
    { "onPremisesDomainName", 'S', RO, 0, 0 },
    { "onPremisesExtensionAttributes", 'O', 0, 0, 'a' },
    { "onPremisesImmutableId", 'S', 0, 0, 'd' },
    { "onPremisesLastSyncDateTime", 'D', RO, 0, 0 },
    { "onPremisesProvisioningErrors", 'L', RO, 0, 0 },
    { "onPremisesSamAccountName", 'S', RO, 0, 'd' },
    { "onPremisesSecurityIdentifier", 'S', RO, 0, 'd' },
    { "onPremisesSyncEnabled", 'B', RO, 0, 'd' },
    { "onPremisesUserPrincipalName", 'S', RO, 0, 'd' },
    { "otherMails", 'C', 0, 0, 0 },
    { "passwordPolicies", 'S', 0, 0, 0 },
    { "passwordProfile", 'O', HD, 0, 0 },
    { "pastProjects", 'C', NA, 0, 0 },
    { "postalCode", 'S', 0, 40, 'a' },
    { "preferredDataLocation", 'S', 0, 0, 0 },
    { "preferredLanguage", 'S', DF, 0, 'a' },
    { "preferredName", 'S', NA, 0, 0 },
    { "print", 'O', RO, 0, 0 },
    { "provisionedPlans", 'L', RO, 0, 0 },
    { "proxyAddresses", 'C', RO, 0, 0 },
    { "responsibilities", 'C', NA, 0, 0 },
    { "schools", 'C', NA, 0, 0 },
    { "securityIdentifier", 'S', RO, 0, 0 },
    { "serviceProvisioningErrors", 'L', RO, 0, 0 },
    { "showInAddressList", 'B', 0, 0, 0 },
    { "signInActivity", 'O', RO, 0, 0 },
    { "signInSessionsValidFromDateTime", 'D', RO, 0, 0 },
    { "skills", 'C', NA, 0, 0 },
    { "state", 'S', 0, 128, 'd' },
    { "streetAddress", 'S', 0, 1024, 'a' },
    { "surname", 'S', DF, 64, 'd' },
    { "usageLocation", 'S', 0, 2, 'd' },
    { "userPrincipalName", 'S', DF, 0, 'd' },
    { "userType", 'S', 0, 0, 'd' },
    { NULL, 0, 0, 0, 0 }
};

/* The group properties the simulator stores. Everything is returned by default (a simplification:
 * Graph's default group set is larger than what is simulated). */
const sim_prop hrs_sim_group_props[] = {
    { "classification", 'S', DF, 0, 'd' },
    { "createdDateTime", 'D', RO | DF, 0, 'a' },
    { "deletedDateTime", 'D', RO | DF, 0, 0 },
    { "description", 'S', DF, 0, 'a' },
    { "displayName", 'S', DF, 256, 'd' },
    { "groupTypes", 'C', DF, 0, 0 },
    { "id", 'S', RO | DF, 0, 'd' },
    { "isAssignableToRole", 'B', DF, 0, 'd' },
    { "mail", 'S', RO | DF, 0, 'd' },
    { "mailEnabled", 'B', DF, 0, 'd' },
    { "mailNickname", 'S', DF, 64, 'd' },
    { "membershipRule", 'S', DF, 0, 0 },
    { "membershipRuleProcessingState", 'S', DF, 0, 0 },
    { "securityEnabled", 'B', DF, 0, 'd' },
    { "visibility", 'S', DF, 0, 0 },
    { NULL, 0, 0, 0, 0 }
};

const sim_prop *hrs_sim_prop(const sim_prop *table, const char *name, int exact)
{
    for (const sim_prop *p = table; p->name; p++)
        if (exact ? strcmp(p->name, name) == 0 : strcasecmp(p->name, name) == 0) return p;
    return NULL;
}

/* Sub-properties of the complex user properties that $filter can reach (advanced queries only). */
static const char *const org_data[] = { "costCenter", "division", NULL };

char hrs_sim_filter_class(const sim_prop *table, const char *path, char *type, char *canon,
                          size_t n)
{
    char head[128];
    const char *slash = strchr(path, '/');
    size_t hl = slash ? (size_t)(slash - path) : strlen(path);
    if (hl >= sizeof head) return '?';
    memcpy(head, path, hl);
    head[hl] = '\0';
    const sim_prop *p = hrs_sim_prop(table, head, 0);
    if (!p) return '?';
    if (!slash) {
        *type = p->type;
        snprintf(canon, n, "%s", p->name);
        if (p->type == 'O' || p->type == 'L' || p->type == 'C') return 0;
        return p->filter;
    }
    const char *sub = slash + 1;
    *type = 'S';
    if (table == hrs_sim_user_props && strcmp(p->name, "employeeOrgData") == 0) {
        for (int i = 0; org_data[i]; i++)
            if (strcasecmp(org_data[i], sub) == 0) {
                snprintf(canon, n, "%s/%s", p->name, org_data[i]);
                return 'a';
            }
        return '?';
    }
    if (table == hrs_sim_user_props && strcmp(p->name, "onPremisesExtensionAttributes") == 0) {
        if (strncasecmp(sub, "extensionAttribute", 18) == 0) {
            char *end;
            long k = strtol(sub + 18, &end, 10);
            if (*end == '\0' && k >= 1 && k <= 15 && sub[18] != '0') {
                snprintf(canon, n, "%s/extensionAttribute%ld", p->name, k);
                return 'a';
            }
        }
        return '?';
    }
    return '?';
}
