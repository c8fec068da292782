/* validate.h: checks of what a policy hands back, against the Graph user schema and the limits
 * Graph documents (shared/reference/graph.md §1), so that a bad value fails its person at
 * plan time with a message naming the attribute, not later as a 400 from Graph.
 *
 * Attribute values are JSON as policy_convert.h produces them: strings, booleans, integers,
 * arrays (collections), objects (complex types) and null ("clear this value"). Lengths are
 * counted in UTF-16 code units, the stricter reading of Graph's "characters" (an emoji counts
 * 2). Messages are one sentence without a trailing period, for the caller to prefix with the
 * hook, file:line and person. */
#ifndef HRSYNC_VALIDATE_H
#define HRSYNC_VALIDATE_H

#include <jansson.h>
#include <stddef.h>
#include "hrsync/err.h"

/* Checks an object of Graph user properties: every name is a known property that an
 * application may write (unknown names get "unknown attribute 'jobtitle' (did you mean
 * 'jobTitle'?)"), each value has the property's type, and the documented limits hold
 * (employeeId ≤ 16, displayName non-empty ≤ 256, usageLocation two upper-case letters,
 * businessPhones at most one item, dates as YYYY-MM-DDThh:mm:ssZ, …). Strings must be
 * non-empty and free of control characters; null clears a value except where Graph forbids
 * it (displayName, mailNickname, usageLocation); a collection is cleared with []. Names are
 * checked in sorted order, so the problem reported does not depend on hash order. attrs is
 * not changed. Returns 0, or -1 with err naming the first problem. */
int hrs_validate_attributes(json_t *attrs, hrs_err *err);

/* Checks one userPrincipalName candidate: ASCII letters, digits and ' . - _ ! # ^ ~ before a
 * single '@'; not starting with '.', no "..", no '.' right before '@'; ≤ 64 characters before
 * the '@', ≤ 48 after, ≤ 113 in all; the domain made of dot-separated labels of letters,
 * digits and '-' (at least two labels, none starting or ending with '-'). Returns 0, or -1
 * with err ("invalid UPN 'anna berg@example.com': character ' ' is not allowed"). */
int hrs_validate_upn(const char *upn, hrs_err *err);

/* Checks a mailNickname: 1–64 characters from the UPN set above, not starting or ending with
 * '.', no "..". Returns 0, or -1 with err. */
int hrs_validate_mail_nickname(const char *nick, hrs_err *err);

/* Checks a managed group's name: non-empty, ≤ 256 UTF-16 code units, valid UTF-8 without
 * control characters. Returns 0, or -1 with err. */
int hrs_validate_group_name(const char *name, hrs_err *err);

/* Returns 1 if s is a Graph date-time "YYYY-MM-DDThh:mm:ssZ" naming a real instant (months
 * 01–12, days within the month, leap years, 00:00:00–23:59:59), else 0. */
int hrs_validate_datetime(const char *s);

/* Returns the length of the UTF-8 string s (len bytes) in UTF-16 code units, or -1 if s is
 * not valid UTF-8. */
long hrs_validate_utf16_length(const char *s, size_t len);

/* Returns the Levenshtein distance between a and b, comparing ASCII letters without regard
 * to case. Strings longer than 64 bytes are compared by their first 64 bytes. */
size_t hrs_validate_edit_distance(const char *a, const char *b);

/* Returns the candidate closest to name by hrs_validate_edit_distance, if it is close enough
 * to be a likely typo (distance ≤ 1 for names up to 3 characters, ≤ 2 up to 8, else ≤ 3);
 * ties go to the earlier candidate. Returns one of the candidates (borrowed) or NULL. */
const char *hrs_validate_closest(const char *name, const char *const *candidates, size_t n);

#endif
