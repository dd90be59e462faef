/* exp.h -- the experiment driver behind `qunsim run` and `qunsim sweep`:
 * options, the batch in the results database (new or resumed), the task
 * runner on threads or MPI ranks, signals, progress, and the summary output.
 * docs/experiments.md is the user's description of all of it.
 */
#ifndef QS_EXP_H
#define QS_EXP_H

#include <stdint.h>

#include "scenario.h"
#include "task.h"

typedef enum exp_mode { EXP_RUN, EXP_SWEEP, EXP_CHECK } exp_mode;

typedef struct exp_args {
    exp_mode mode;
    const char *scenario;
    const char *arms[SCEN_MAX_ARMS]; /* --arm, in the order given (none: every arm) */
    int narms;
    const char *out, *db, *format;
    int reps, days, has_seed;
    uint64_t seed;
    int no_events, quiet, no_plot;
    const char **sets;  /* --set arguments (points into argv) */
    int nsets;
    int threads;        /* 0: all cores */
    int resume;
    int64_t batch;      /* --batch ID (implies resume), 0 none */
    int shard, nshards; /* --shard i/N, nshards 0 none */
    task_design design; /* sweep: grid or lhs */
    int samples;
    int all;            /* check --all: every setting of every arm */
} exp_args;

/* Parse argv (argv[0] the subcommand) into *a (a->sets is malloc'd: free
 * with exp_args_free).  Returns 0; 1 after printing --help; -1 after
 * printing a usage error. */
int exp_parse(int argc, char **argv, exp_mode mode, exp_args *a);
void exp_args_free(exp_args *a);

/* Load the scenario, apply the options and build the plan (which applies
 * the --set overrides).  Returns 0 with *sc and *plan (scen_free,
 * task_plan_free), or an exit status after printing the error. */
int exp_load(const exp_args *a, scenario **sc, task_plan **plan);

/* The whole of `qunsim run` / `qunsim sweep`: returns the exit status. */
int exp_main(int argc, char **argv, exp_mode mode);

#endif
