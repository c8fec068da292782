/* demo.h: `hrsync demo`: the sample company synced into the local simulator.
 *
 * Starts the simulator on a free loopback port (its directory kept in the demo's state folder,
 * so a second run finds the accounts of the first), syncs examples/demo with it, prints the plan
 * and the result, lists the simulated directory, and stops the simulator. */
#ifndef HRSYNC_DEMO_H
#define HRSYNC_DEMO_H

#include <stdio.h>
#include "hrsync/err.h"

typedef struct hrs_demo_opts {
    const char *state_dir;     /* NULL = ./.hrsync-demo */
    const char *examples_dir;  /* NULL = found by hrs_config_find_examples_dir() */
    int json;                  /* print the plan as JSON instead of the diff */
    int color;
    FILE *out;
} hrs_demo_opts;

/* Returns 0 when the sync went through (with or without changes), -1 with err otherwise. */
int hrs_demo_run(const hrs_demo_opts *o, hrs_err *err);

#endif
