/* graph_schema.c: the Graph `user` property names and types, compiled in (see graph_schema.h).
 *
 * Built from shared/reference/graph-user-schema.json (msgraph-metadata
 * clean_v10_metadata/cleanMetadata.xml @ f54f11b6). Each table is sorted by strcmp so that
 * lookups are a binary search; keep it sorted when adding a property. */
#include "hrsync/graph_schema.h"
#include "hrsync/validate.h"

#include <stdlib.h>
#include <string.h>

typedef struct hrs_graph_property {
    const char *name;
    const char *type;
} hrs_graph_property;

static const hrs_graph_property user_props[] = {
    { "aboutMe",                         "Edm.String" },
    { "accountEnabled",                  "Edm.Boolean" },
    { "ageGroup",                        "Edm.String" },
    { "assignedLicenses",                "Collection(microsoft.graph.assignedLicense)" },
    { "assignedPlans",                   "Collection(microsoft.graph.assignedPlan)" },
    { "authorizationInfo",               "microsoft.graph.authorizationInfo" },
    { "birthday",                        "Edm.DateTimeOffset" },
    { "businessPhones",                  "Collection(Edm.String)" },
    { "city",                            "Edm.String" },
    { "companyName",                     "Edm.String" },
    { "consentProvidedForMinor",         "Edm.String" },
    { "country",                         "Edm.String" },
    { "createdDateTime",                 "Edm.DateTimeOffset" },
    { "creationType",                    "Edm.String" },
    { "customSecurityAttributes",        "microsoft.graph.customSecurityAttributeValue" },
    { "deletedDateTime",                 "Edm.DateTimeOffset" },
    { "department",                      "Edm.String" },
    { "deviceEnrollmentLimit",           "Edm.Int32" },
    { "displayName",                     "Edm.String" },
    { "employeeHireDate",                "Edm.DateTimeOffset" },
    { "employeeId",                      "Edm.String" },
    { "employeeLeaveDateTime",           "Edm.DateTimeOffset" },
    { "employeeOrgData",                 "microsoft.graph.employeeOrgData" },
    { "employeeType",                    "Edm.String" },
    { "externalUserState",               "Edm.String" },
    { "externalUserStateChangeDateTime", "Edm.DateTimeOffset" },
    { "faxNumber",                       "Edm.String" },
    { "givenName",                       "Edm.String" },
    { "hireDate",                        "Edm.DateTimeOffset" },
    { "id",                              "Edm.String" },
    { "identities",                      "Collection(microsoft.graph.objectIdentity)" },
    { "identityParentId",                "Edm.String" },
    { "imAddresses",                     "Collection(Edm.String)" },
    { "interests",                       "Collection(Edm.String)" },
    { "isManagementRestricted",          "Edm.Boolean" },
    { "isResourceAccount",               "Edm.Boolean" },
    { "jobTitle",                        "Edm.String" },
    { "lastPasswordChangeDateTime",      "Edm.DateTimeOffset" },
    { "legalAgeGroupClassification",     "Edm.String" },
    { "licenseAssignmentStates",         "Collection(microsoft.graph.licenseAssignmentState)" },
    { "mail",                            "Edm.String" },
    { "mailNickname",                    "Edm.String" },
    { "mailboxSettings",                 "microsoft.graph.mailboxSettings" },
    { "mobilePhone",                     "Edm.String" },
    { "mySite",                          "Edm.String" },
    { "officeLocation",                  "Edm.String" },
    { "onPremisesDistinguishedName",     "Edm.String" },
    { "onPremisesDomainName",            "Edm.String" },
    { "onPremisesExtensionAttributes",   "microsoft.graph.onPremisesExtensionAttributes" },
    { "onPremisesImmutableId",           "Edm.String" },
    { "onPremisesLastSyncDateTime",      "Edm.DateTimeOffset" },
    { "onPremisesProvisioningErrors",    "Collection(microsoft.graph.onPremisesProvisioningError)" },
    { "onPremisesSamAccountName",        "Edm.String" },
    { "onPremisesSecurityIdentifier",    "Edm.String" },
    { "onPremisesSyncEnabled",           "Edm.Boolean" },
    { "onPremisesUserPrincipalName",     "Edm.String" },
    { "otherMails",                      "Collection(Edm.String)" },
    { "passwordPolicies",                "Edm.String" },
    { "passwordProfile",                 "microsoft.graph.passwordProfile" },
    { "pastProjects",                    "Collection(Edm.String)" },
    { "postalCode",                      "Edm.String" },
    { "preferredDataLocation",           "Edm.String" },
    { "preferredLanguage",               "Edm.String" },
    { "preferredName",                   "Edm.String" },
    { "print",                           "microsoft.graph.userPrint" },
    { "provisionedPlans",                "Collection(microsoft.graph.provisionedPlan)" },
    { "proxyAddresses",                  "Collection(Edm.String)" },
    { "responsibilities",                "Collection(Edm.String)" },
    { "schools",                         "Collection(Edm.String)" },
    { "securityIdentifier",              "Edm.String" },
    { "serviceProvisioningErrors",       "Collection(microsoft.graph.serviceProvisioningError)" },
    { "showInAddressList",               "Edm.Boolean" },
    { "signInActivity",                  "microsoft.graph.signInActivity" },
    { "signInSessionsValidFromDateTime", "Edm.DateTimeOffset" },
    { "skills",                          "Collection(Edm.String)" },
    { "state",                           "Edm.String" },
    { "streetAddress",                   "Edm.String" },
    { "surname",                         "Edm.String" },
    { "usageLocation",                   "Edm.String" },
    { "userPrincipalName",               "Edm.String" },
    { "userType",                        "Edm.String" },
};

static const hrs_graph_property password_profile_props[] = {
    { "forceChangePasswordNextSignIn",        "Edm.Boolean" },
    { "forceChangePasswordNextSignInWithMfa", "Edm.Boolean" },
    { "password",                             "Edm.String" },
};

static const hrs_graph_property employee_org_data_props[] = {
    { "costCenter", "Edm.String" },
    { "division",   "Edm.String" },
};

static const hrs_graph_property extension_attribute_props[] = {
    { "extensionAttribute1",  "Edm.String" },
    { "extensionAttribute10", "Edm.String" },
    { "extensionAttribute11", "Edm.String" },
    { "extensionAttribute12", "Edm.String" },
    { "extensionAttribute13", "Edm.String" },
    { "extensionAttribute14", "Edm.String" },
    { "extensionAttribute15", "Edm.String" },
    { "extensionAttribute2",  "Edm.String" },
    { "extensionAttribute3",  "Edm.String" },
    { "extensionAttribute4",  "Edm.String" },
    { "extensionAttribute5",  "Edm.String" },
    { "extensionAttribute6",  "Edm.String" },
    { "extensionAttribute7",  "Edm.String" },
    { "extensionAttribute8",  "Edm.String" },
    { "extensionAttribute9",  "Edm.String" },
};

static const hrs_graph_property object_identity_props[] = {
    { "issuer",           "Edm.String" },
    { "issuerAssignedId", "Edm.String" },
    { "signInType",       "Edm.String" },
};

/* The complex types whose members hrsync knows. */
static const struct {
    const char *type;
    const hrs_graph_property *props;
    size_t count;
} complex_types[] = {
    { "microsoft.graph.employeeOrgData", employee_org_data_props,
      sizeof employee_org_data_props / sizeof employee_org_data_props[0] },
    { "microsoft.graph.onPremisesExtensionAttributes", extension_attribute_props,
      sizeof extension_attribute_props / sizeof extension_attribute_props[0] },
    { "microsoft.graph.passwordProfile", password_profile_props,
      sizeof password_profile_props / sizeof password_profile_props[0] },
    { "microsoft.graph.objectIdentity", object_identity_props,
      sizeof object_identity_props / sizeof object_identity_props[0] },
};

#define N_USER_PROPS (sizeof user_props / sizeof user_props[0])
#define N_COMPLEX (sizeof complex_types / sizeof complex_types[0])

static int cmp_property(const void *key, const void *elem)
{
    return strcmp((const char *)key, ((const hrs_graph_property *)elem)->name);
}

static const char *find(const hrs_graph_property *props, size_t n, const char *name)
{
    if (!name) return NULL;
    const hrs_graph_property *p = bsearch(name, props, n, sizeof *props, cmp_property);
    return p ? p->type : NULL;
}

static const char *closest(const hrs_graph_property *props, size_t n, const char *name)
{
    const char *names[128];
    if (!name || n > sizeof names / sizeof names[0]) return NULL;
    for (size_t i = 0; i < n; i++) names[i] = props[i].name;
    return hrs_validate_closest(name, names, n);
}

static int complex_index(const char *type)
{
    for (size_t i = 0; type && i < N_COMPLEX; i++)
        if (strcmp(complex_types[i].type, type) == 0) return (int)i;
    return -1;
}

const char *hrs_graph_schema_lookup(const char *name)
{
    return find(user_props, N_USER_PROPS, name);
}

const char *hrs_graph_schema_suggest(const char *name)
{
    return closest(user_props, N_USER_PROPS, name);
}

const char *hrs_graph_schema_member(const char *type, const char *name)
{
    int i = complex_index(type);
    return i < 0 ? NULL : find(complex_types[i].props, complex_types[i].count, name);
}

const char *hrs_graph_schema_member_suggest(const char *type, const char *name)
{
    int i = complex_index(type);
    return i < 0 ? NULL : closest(complex_types[i].props, complex_types[i].count, name);
}

int hrs_graph_schema_is_complex(const char *type)
{
    return complex_index(type) >= 0;
}
