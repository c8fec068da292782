/* snapshot_internal.h: what snapshot.c's reader uses of the table of shared values
 * (snapshot_share.c; hrs_snapshot_share in include/hrsync/snapshot.h). Not for other modules. */
#ifndef HRSYNC_SNAPSHOT_INTERNAL_H
#define HRSYNC_SNAPSHOT_INTERNAL_H

#include "hrsync/snapshot.h"

/* What a value may share: nothing, its strings, or also its arrays and objects whole. */
enum { SHARE_NONE, SHARE_STRINGS, SHARE_WHOLE };

/* What the value of the top-level member key (n bytes) may share under t. */
int hrs_snapshot_share_member(const hrs_snapshot_share *t, const char *key, size_t n);

/* The string of n bytes at p (a new reference, the caller's), the one t keeps when it has one;
 * NULL when not UTF-8 or out of memory. */
json_t *hrs_snapshot_share_string(hrs_snapshot_share *t, const char *p, size_t n);

/* The array or object whose encoding (no format byte) is the n bytes at p, when t keeps one (a
 * new reference, the caller's), else NULL. */
json_t *hrs_snapshot_share_whole_get(hrs_snapshot_share *t, const unsigned char *p, size_t n);

/* Keeps array or object v (borrowed; t takes a reference), whose encoding is the n bytes at p
 * (copied), for later. Out of memory: not kept. */
void hrs_snapshot_share_whole_put(hrs_snapshot_share *t, json_t *v, const unsigned char *p, size_t n);

#endif
