/* graph_schema.h: the property names and types of the Microsoft Graph `user` resource.
 *
 * The table is built from shared/reference/graph-user-schema.json (the v1.0 CSDL metadata) and
 * compiled in, so that a policy's attributes are checked without a network call. Types are the
 * CSDL names: "Edm.String", "Edm.Boolean", "Edm.Int32", "Edm.DateTimeOffset",
 * "Collection(Edm.String)", "microsoft.graph.employeeOrgData", …  Names are case-sensitive, as
 * hrsync compares attribute values by name. Which properties may be written, and their limits,
 * are in validate.h. */
#ifndef HRSYNC_GRAPH_SCHEMA_H
#define HRSYNC_GRAPH_SCHEMA_H

#include <stddef.h>

/* Returns the type of the user property `name` (a static string), or NULL if Graph has no
 * such property. */
const char *hrs_graph_schema_lookup(const char *name);

/* Returns the user property closest to `name` by edit distance (case-insensitive), for a
 * "did you mean" hint; NULL if none is close. A static string. */
const char *hrs_graph_schema_suggest(const char *name);

/* Returns the type of member `name` of the complex type `type` (for example
 * "microsoft.graph.employeeOrgData" and "division"), or NULL if the type is not one hrsync
 * knows or has no such member. A static string. */
const char *hrs_graph_schema_member(const char *type, const char *name);

/* Like hrs_graph_schema_suggest, for the members of the complex type `type`. */
const char *hrs_graph_schema_member_suggest(const char *type, const char *name);

/* Returns 1 if `type` is a complex type whose members hrs_graph_schema_member knows. */
int hrs_graph_schema_is_complex(const char *type);

#endif
