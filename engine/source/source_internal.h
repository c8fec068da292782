/* source_internal.h: helpers shared by the sources in engine/source/ (not part of
 * the public API). */
#ifndef HRSYNC_SOURCE_INTERNAL_H
#define HRSYNC_SOURCE_INTERNAL_H

#include <stddef.h>
#include <jansson.h>
#include "hrsync/err.h"

/* Reads the whole file at path into a new NUL-terminated buffer (*buf, caller frees; *len
 * excludes the NUL). what names the source in messages ("CSV source"). Returns 0, or -1 with an
 * error naming the path and strerror. */
int hrs_source_read_file(const char *what, const char *path, char **buf, size_t *len,
                         hrs_err *err);

/* The string value of cfg[key]: 0 with *out NULL when absent or null; -1 with an error naming
 * the key when it is there but not a non-empty string. */
int hrs_source_cfg_string(const json_t *cfg, const char *what, const char *key,
                          const char **out, hrs_err *err);

/* Checks a field mapping cfg[key] (an object of source name → person field name): 0 with *out
 * NULL when absent or null, 0 with *out the object (borrowed) when every value is a non-empty
 * string, no value is "raw" and no two names map to the same field; else -1 with an error. */
int hrs_source_cfg_mapping(const json_t *cfg, const char *what, const char *key,
                           const json_t **out, hrs_err *err);

/* Checks that every key of the source table cfg is in known (NULL-terminated) or is "type" or
 * "max_shrink"; -1 with an error naming the unknown key (and the closest known one). */
int hrs_source_cfg_check_keys(const json_t *cfg, const char *what, const char *const *known,
                              hrs_err *err);

/* The value at a dot path ("department.name", "cost_centers.0.name": a number steps into an
 * array) below v, or NULL when any step is missing. Borrowed. */
json_t *hrs_source_dot_get(const json_t *v, const char *path);

#endif
