/* test_validate.c: the Graph user schema table and the checks of policy results
 * (engine/graph_schema.c, engine/validate.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "hrsync/graph_schema.h"
#include "hrsync/validate.h"

#define assert_contains(hay, needle)                                                     \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        if (!strstr(h_, n_)) fail_msg("expected \"%s\" in \"%s\"", n_, h_);               \
    } while (0)

/* Checks one attribute; returns the message ("" when valid). attrs takes v. */
static const char *check1(const char *name, json_t *v)
{
    static hrs_err err;
    hrs_err_clear(&err);
    json_t *attrs = json_object();
    json_object_set_new(attrs, name, v);
    int rc = hrs_validate_attributes(attrs, &err);
    json_decref(attrs);
    if (rc == 0) {
        assert_false(err.set);
        return "";
    }
    assert_int_equal(rc, -1);
    assert_true(err.set);
    return err.msg;
}

static void assert_ok(const char *name, json_t *v)
{
    const char *m = check1(name, v);
    if (m[0]) fail_msg("%s should be valid: %s", name, m);
}

static void assert_bad(const char *name, json_t *v, const char *needle)
{
    const char *m = check1(name, v);
    if (!m[0]) fail_msg("%s should be refused", name);
    assert_contains(m, needle);
}

/* A string of n copies of the UTF-8 sequence unit. */
static json_t *repeat(const char *unit, size_t n)
{
    static char buf[8192];
    size_t ul = strlen(unit);
    assert_true(n * ul < sizeof buf);
    for (size_t i = 0; i < n; i++) memcpy(buf + i * ul, unit, ul);
    buf[n * ul] = '\0';
    return json_string(buf);
}

static void test_schema_lookup(void **state)
{
    (void)state;
    assert_string_equal(hrs_graph_schema_lookup("givenName"), "Edm.String");
    assert_string_equal(hrs_graph_schema_lookup("accountEnabled"), "Edm.Boolean");
    assert_string_equal(hrs_graph_schema_lookup("businessPhones"), "Collection(Edm.String)");
    assert_string_equal(hrs_graph_schema_lookup("employeeHireDate"), "Edm.DateTimeOffset");
    assert_string_equal(hrs_graph_schema_lookup("userType"), "Edm.String");
    assert_string_equal(hrs_graph_schema_lookup("aboutMe"), "Edm.String");
    assert_null(hrs_graph_schema_lookup("jobtitle"));
    assert_null(hrs_graph_schema_lookup(""));
    assert_null(hrs_graph_schema_lookup(NULL));
    assert_string_equal(hrs_graph_schema_suggest("jobtitle"), "jobTitle");
    assert_string_equal(hrs_graph_schema_suggest("surename"), "surname");
    assert_string_equal(hrs_graph_schema_suggest("employeID"), "employeeId");
    assert_null(hrs_graph_schema_suggest("xyzzy"));
    assert_string_equal(hrs_graph_schema_member("microsoft.graph.employeeOrgData", "division"), "Edm.String");
    assert_null(hrs_graph_schema_member("microsoft.graph.employeeOrgData", "divison"));
    assert_string_equal(hrs_graph_schema_member_suggest("microsoft.graph.employeeOrgData", "divison"), "division");
    assert_string_equal(hrs_graph_schema_member("microsoft.graph.onPremisesExtensionAttributes",
                                                "extensionAttribute15"), "Edm.String");
    assert_true(hrs_graph_schema_is_complex("microsoft.graph.employeeOrgData"));
    assert_false(hrs_graph_schema_is_complex("Edm.String"));
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(hrs_validate_edit_distance("", ""), 0);
    assert_int_equal(hrs_validate_edit_distance("abc", ""), 3);
    assert_int_equal(hrs_validate_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(hrs_validate_edit_distance("jobtitle", "jobTitle"), 0);
    assert_int_equal(hrs_validate_edit_distance("atributes", "attributes"), 1);
    static const char *const names[] = { "include", "attributes", "upn", "groups", "lifecycle" };
    assert_string_equal(hrs_validate_closest("atributes", names, 5), "attributes");
    assert_string_equal(hrs_validate_closest("upm", names, 5), "upn");
    assert_string_equal(hrs_validate_closest("Include", names, 5), "include");
    assert_string_equal(hrs_validate_closest("lifecyle", names, 5), "lifecycle");
    assert_null(hrs_validate_closest("x", names, 5));
    assert_null(hrs_validate_closest("settingz_and_more", names, 5));
    assert_null(hrs_validate_closest("", names, 5));
}

static void test_utf16_length(void **state)
{
    (void)state;
    assert_int_equal(hrs_validate_utf16_length("abc", 3), 3);
    assert_int_equal(hrs_validate_utf16_length("\xc3\xa4", 2), 1);              /* ä */
    assert_int_equal(hrs_validate_utf16_length("\xe2\x82\xac", 3), 1);          /* € */
    assert_int_equal(hrs_validate_utf16_length("\xf0\x9f\x98\x80", 4), 2);      /* an emoji */
    assert_int_equal(hrs_validate_utf16_length("\xc3", 1), -1);                 /* cut short */
    assert_int_equal(hrs_validate_utf16_length("\xc0\xaf", 2), -1);             /* overlong */
    assert_int_equal(hrs_validate_utf16_length("\xed\xa0\x80", 3), -1);         /* surrogate */
    assert_int_equal(hrs_validate_utf16_length("\xff", 1), -1);
}

static void test_datetime(void **state)
{
    (void)state;
    assert_true(hrs_validate_datetime("2024-02-01T00:00:00Z"));
    assert_true(hrs_validate_datetime("2024-02-29T23:59:59Z"));
    assert_true(hrs_validate_datetime("2000-02-29T08:30:00Z"));
    assert_false(hrs_validate_datetime("2023-02-29T00:00:00Z"));
    assert_false(hrs_validate_datetime("1900-02-29T00:00:00Z"));
    assert_false(hrs_validate_datetime("2024-04-31T00:00:00Z"));
    assert_false(hrs_validate_datetime("2024-13-01T00:00:00Z"));
    assert_false(hrs_validate_datetime("2024-00-01T00:00:00Z"));
    assert_false(hrs_validate_datetime("2024-01-01T24:00:00Z"));
    assert_false(hrs_validate_datetime("2024-01-01T00:60:00Z"));
    assert_false(hrs_validate_datetime("2024-02-01"));
    assert_false(hrs_validate_datetime("2024-02-01T00:00:00"));
    assert_false(hrs_validate_datetime("2024-02-01T00:00:00+01:00"));
    assert_false(hrs_validate_datetime("2024-02-01 00:00:00Z"));
    assert_false(hrs_validate_datetime("2024-02-01T00:00:00.000Z"));
    assert_false(hrs_validate_datetime(NULL));
}

static void assert_upn_ok(const char *upn)
{
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_validate_upn(upn, &err)) fail_msg("'%s' should be a valid UPN: %s", upn, err.msg);
}

static void assert_upn_bad(const char *upn, const char *needle)
{
    hrs_err err;
    hrs_err_clear(&err);
    if (hrs_validate_upn(upn, &err) == 0) fail_msg("'%s' should be refused", upn);
    assert_contains(err.msg, needle);
}

static void test_upn(void **state)
{
    (void)state;
    assert_upn_ok("anna.berg@example.com");
    assert_upn_ok("o'neil@example.com");
    assert_upn_ok("a_b-c!d#e^f~g@sub.example.org");
    assert_upn_ok("A1@x-y.example.com");
    assert_upn_bad("anna berg@example.com", "character ' ' is not allowed");
    assert_upn_bad("anna@berg@example.com", "more than one '@'");
    assert_upn_bad("anna.example.com", "no '@'");
    assert_upn_bad("anna.@example.com", "'.' right before the '@'");
    assert_upn_bad(".anna@example.com", "starts with '.'");
    assert_upn_bad("anna..berg@example.com", "\"..\"");
    assert_upn_bad("j\xc3\xb6rg@example.com", "non-ASCII");
    assert_upn_bad("anna+tag@example.com", "character '+'");
    assert_upn_bad("@example.com", "nothing before the '@'");
    assert_upn_bad("anna@", "no domain");
    assert_upn_bad("anna@localhost", "not a DNS name");
    assert_upn_bad("anna@-x.example.com", "starts or ends with '-'");
    assert_upn_bad("anna@example..com", "empty label");
    assert_upn_bad("anna@example.com.", "ends with '.'");
    assert_upn_bad("anna@exa_mple.com", "character '_'");
    assert_upn_bad("", "empty");

    char local[80], upn[200];
    memset(local, 'a', 64);
    local[64] = '\0';
    snprintf(upn, sizeof upn, "%s@example.com", local);
    assert_upn_ok(upn);
    local[64] = 'a';
    local[65] = '\0';
    snprintf(upn, sizeof upn, "%s@example.com", local);
    assert_upn_bad(upn, "65 characters before the '@', the limit is 64");
    /* 48 after the '@' is fine, 49 is not ("<n a's>.example.com"). */
    char label[64];
    memset(label, 'a', 37);
    label[37] = '\0';
    snprintf(upn, sizeof upn, "anna@%s.example.com", label);
    assert_upn_bad(upn, "49 characters after the '@', the limit is 48");
    label[36] = '\0';
    snprintf(upn, sizeof upn, "anna@%s.example.com", label);
    assert_upn_ok(upn);
    /* 64 + 1 + 48 = 113 is the most. */
    local[64] = '\0';
    snprintf(upn, sizeof upn, "%s@%s.example.com", local, label);
    assert_int_equal(strlen(upn), 113);
    assert_upn_ok(upn);
}

static void test_mail_nickname(void **state)
{
    (void)state;
    assert_ok("mailNickname", json_string("anna.berg"));
    assert_ok("mailNickname", json_string("o'neil_2"));
    assert_bad("mailNickname", json_string("anna berg"), "contains ' '");
    assert_bad("mailNickname", json_string("anna@berg"), "contains '@'");
    assert_bad("mailNickname", json_string("(anna)"), "contains '('");
    assert_bad("mailNickname", json_string(".anna"), "starts or ends with '.'");
    assert_bad("mailNickname", json_string("anna."), "starts or ends with '.'");
    assert_bad("mailNickname", json_string("an..na"), "\"..\"");
    assert_bad("mailNickname", json_string("j\xc3\xb6rg"), "non-ASCII");
    assert_ok("mailNickname", repeat("a", 64));
    assert_bad("mailNickname", repeat("a", 65), "65 characters long, the limit is 64");
    assert_bad("mailNickname", json_null(), "cannot be cleared");
}

static void test_unknown_and_refused(void **state)
{
    (void)state;
    assert_bad("jobtitle", json_string("Engineer"), "unknown attribute 'jobtitle' (did you mean 'jobTitle'?)");
    assert_bad("givenname", json_string("Anna"), "did you mean 'givenName'?");
    assert_bad("favouriteColour", json_string("blue"), "unknown attribute 'favouriteColour'");
    assert_bad("id", json_string("x"), "attribute 'id' is read-only");
    assert_bad("createdDateTime", json_string("2024-01-01T00:00:00Z"), "read-only");
    assert_bad("proxyAddresses", json_array(), "read-only in Graph; set 'mail' instead");
    assert_bad("hireDate", json_string("2024-01-01T00:00:00Z"), "use 'employeeHireDate'");
    static const char *const app_only[] = { "preferredName", "aboutMe", "birthday", "interests",
                                            "mySite", "pastProjects", "responsibilities",
                                            "schools", "skills" };
    for (size_t i = 0; i < sizeof app_only / sizeof app_only[0]; i++)
        assert_bad(app_only[i], json_string("x"), "cannot be written by an application");
    assert_bad("accountEnabled", json_true(), "lifecycle");
    assert_bad("userPrincipalName", json_string("a@example.com"), "upn() hook");
    assert_bad("passwordProfile", json_object(), "engine");
    assert_bad("imAddresses", json_array(), "read-only");
    assert_bad("onPremisesSyncEnabled", json_false(), "read-only");
    assert_bad("assignedLicenses", json_array(), "not managed by hrsync");
    assert_ok("mail", json_string("anna.berg@example.com"));
    assert_ok("onPremisesImmutableId", json_string("abc=="));
}

static void test_types(void **state)
{
    (void)state;
    assert_bad("givenName", json_integer(42), "value of 'givenName' is a number, expected a string");
    assert_bad("givenName", json_true(), "is a boolean, expected a string");
    assert_bad("givenName", json_object(), "is a table, expected a string");
    assert_bad("givenName", json_array(), "is a list, expected a string");
    assert_ok("givenName", json_null());
    assert_bad("givenName", json_string(""), "empty string");
    assert_bad("givenName", json_string("Anna\nBerg"), "control character U+000A");
    assert_bad("jobTitle", json_string("a\tb"), "control character U+0009");
    assert_ok("showInAddressList", json_false());
    assert_ok("showInAddressList", json_null());
    assert_bad("showInAddressList", json_string("yes"), "expected a boolean");
    assert_ok("deviceEnrollmentLimit", json_integer(5));
    assert_bad("deviceEnrollmentLimit", json_real(1.5), "a number with a fraction");
    assert_bad("deviceEnrollmentLimit", json_integer(1LL << 40), "32-bit");
    assert_bad("deviceEnrollmentLimit", json_string("5"), "expected an integer");
    assert_ok("employeeHireDate", json_string("2024-02-29T00:00:00Z"));
    assert_ok("employeeLeaveDateTime", json_null());
    assert_bad("employeeHireDate", json_string("2024-02-01"), "expected YYYY-MM-DDThh:mm:ssZ");
    assert_bad("employeeLeaveDateTime", json_string("2023-02-29T00:00:00Z"), "expected YYYY-MM-DDThh:mm:ssZ");
    assert_bad("employeeHireDate", json_integer(0), "is a number");
}

static void test_limits(void **state)
{
    (void)state;
    static const struct { const char *name; size_t max; } limits[] = {
        { "employeeId", 16 }, { "department", 64 }, { "companyName", 64 }, { "givenName", 64 },
        { "surname", 64 }, { "jobTitle", 128 }, { "displayName", 256 }, { "mobilePhone", 64 },
        { "postalCode", 40 }, { "city", 128 }, { "state", 128 }, { "country", 128 },
        { "streetAddress", 1024 },
    };
    for (size_t i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        char needle[96];
        assert_ok(limits[i].name, repeat("x", limits[i].max));
        snprintf(needle, sizeof needle, "value of '%s' is %zu characters long, the limit is %zu",
                 limits[i].name, limits[i].max + 1, limits[i].max);
        assert_bad(limits[i].name, repeat("x", limits[i].max + 1), needle);
    }
    assert_bad("employeeId", json_string("E-0000000000000017"), "18 characters long, the limit is 16");
    assert_bad("employeeId", json_string("12345678901234567"), "17 characters long, the limit is 16");
    /* Characters, not bytes: 64 'ä' fit in givenName; 33 emoji are 66 UTF-16 units. */
    assert_ok("givenName", repeat("\xc3\xa4", 64));
    assert_bad("givenName", repeat("\xf0\x9f\x98\x80", 33), "66 characters long");
    assert_bad("displayName", json_string(""), "empty string");
    assert_bad("displayName", json_null(), "'displayName' cannot be cleared");
    assert_ok("usageLocation", json_string("DE"));
    assert_bad("usageLocation", json_string("de"), "two upper-case letters");
    assert_bad("usageLocation", json_string("D1"), "two upper-case letters");
    assert_bad("usageLocation", json_string("DEU"), "the limit is 2");
    assert_bad("usageLocation", json_null(), "cannot be cleared");
}

static void test_collections_and_complex(void **state)
{
    (void)state;
    assert_ok("businessPhones", json_pack("[s]", "+49 30 1234567"));
    assert_ok("businessPhones", json_array());
    assert_bad("businessPhones", json_pack("[ss]", "+49 1", "+49 2"), "has 2 items; Graph allows only one");
    assert_bad("businessPhones", json_null(), "an empty list {} clears it");
    assert_bad("businessPhones", json_string("+49 1"), "expected a list of strings");
    assert_bad("businessPhones", json_pack("[i]", 49), "value of 'businessPhones[1]' is a number");
    assert_ok("otherMails", json_pack("[ss]", "a@example.com", "b@example.org"));
    assert_bad("otherMails", json_pack("[s]", ""), "empty string");
    assert_ok("employeeOrgData", json_pack("{ss ss}", "division", "R&D", "costCenter", "4711"));
    assert_ok("employeeOrgData", json_pack("{sn}", "division"));
    assert_bad("employeeOrgData", json_pack("{ss}", "divison", "R&D"),
               "unknown field 'employeeOrgData.divison' (did you mean 'employeeOrgData.division'?)");
    assert_bad("employeeOrgData", json_pack("{si}", "costCenter", 4711),
               "value of 'employeeOrgData.costCenter' is a number");
    assert_bad("employeeOrgData", json_null(), "set each field to hrsync_null");
    assert_ok("onPremisesExtensionAttributes", json_pack("{ss}", "extensionAttribute1", "x"));
    assert_bad("onPremisesExtensionAttributes", json_pack("{ss}", "extensionAttribute16", "x"),
               "unknown field");
}

static void test_whole_object(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    json_t *good = json_pack("{ss ss ss ss ss ss ss ss s[s] s{ss}}",
                             "givenName", "Anna", "surname", "Berg", "displayName", "Anna Berg",
                             "employeeId", "1001", "department", "Sales", "usageLocation", "DE",
                             "employeeHireDate", "2024-02-01T00:00:00Z", "mailNickname", "anna.berg",
                             "businessPhones", "+49 30 1234567", "employeeOrgData", "division", "EMEA");
    assert_int_equal(hrs_validate_attributes(good, &err), 0);
    json_decref(good);
    json_t *empty = json_object();
    assert_int_equal(hrs_validate_attributes(empty, &err), 0);
    json_decref(empty);

    /* The problem reported is the one whose name sorts first, whatever the insertion order. */
    json_t *two = json_pack("{si ss}", "zzzUnknown", 1, "aaaUnknown", "x");
    assert_int_equal(hrs_validate_attributes(two, &err), -1);
    assert_contains(err.msg, "'aaaUnknown'");
    json_decref(two);

    json_t *list = json_array();
    assert_int_equal(hrs_validate_attributes(list, &err), -1);
    assert_contains(err.msg, "not a table");
    json_decref(list);
}

static void test_group_names(void **state)
{
    (void)state;
    hrs_err err;
    hrs_err_clear(&err);
    assert_int_equal(hrs_validate_group_name("Sales Berlin", &err), 0);
    assert_int_equal(hrs_validate_group_name("Vertrieb M\xc3\xbc" "nchen", &err), 0);
    assert_int_equal(hrs_validate_group_name("", &err), -1);
    assert_int_equal(hrs_validate_group_name("a\nb", &err), -1);
    assert_contains(err.msg, "control character");
    assert_int_equal(hrs_validate_group_name("\xff", &err), -1);
    assert_contains(err.msg, "UTF-8");
    char big[300];
    memset(big, 'g', 257);
    big[257] = '\0';
    assert_int_equal(hrs_validate_group_name(big, &err), -1);
    assert_contains(err.msg, "the limit is 256");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_lookup),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_utf16_length),
        cmocka_unit_test(test_datetime),
        cmocka_unit_test(test_upn),
        cmocka_unit_test(test_mail_nickname),
        cmocka_unit_test(test_unknown_and_refused),
        cmocka_unit_test(test_types),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_collections_and_complex),
        cmocka_unit_test(test_whole_object),
        cmocka_unit_test(test_group_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
