/* task.h -- the tasks of a batch (arm x point x replication), their fixed
 * order, and the points of a sweep: a full grid over lists of values or a
 * Latin hypercube over numeric ranges.
 *
 * Task order (docs/experiments.md): t = (point * reps + rep) * narms + k, with
 * k the position of the arm in the plan's arm list.  The arms of one
 * replication of one point are adjacent, so any prefix of a batch holds whole
 * pairs for the paired difference; points follow one another.
 * A plan knows no database and no threads; it is pure data, the same on every
 * rank and in every resumed process given the same arguments.
 */
#ifndef QS_TASK_H
#define QS_TASK_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

typedef enum task_design {
    TASK_RUN,  /* one point; every --set is a fixed override (commas belong to the value) */
    TASK_GRID, /* --set path=v1,v2,...: the full grid, the first --set varying slowest */
    TASK_LHS   /* --set path=lo:hi: Latin hypercube of `samples` points */
} task_design;

typedef struct task_plan task_plan;

/* Build a plan over scenario sc for the arms arms[0..narms-1] (indices into
 * sc->arms; the first is the reference of paired differences) and the --set
 * arguments sets[0..nsets-1] ("path=value" as given).  Fixed (single-valued)
 * settings are applied to sc here, in the order given, in every arm; varied
 * ones are validated (every grid value, each range's ends) and applied per
 * point by task_apply().  Varied settings may not be scenario.* (batch-level).
 * LHS ranges need numeric settings; integer settings take integer strata.
 * The LHS draws come from a GSL mt19937 stream seeded from sc->seed.
 * sc->run.reps is read now: set it first.  Returns 0 and *out, or -1 with a
 * one-line message in err (a usage error).  Free with task_plan_free(). */
int task_plan_new(task_plan **out, scenario *sc, task_design design, const int *arms, int narms,
                  const char *const *sets, int nsets, int samples, char *err, size_t errlen);
/* Free.  Accepts NULL. */
void task_plan_free(task_plan *p);

task_design task_plan_design(const task_plan *p);
int task_npoints(const task_plan *p);
int task_narms(const task_plan *p);
int task_reps(const task_plan *p);
/* Number of tasks: npoints * reps * narms. */
int64_t task_count(const task_plan *p);
/* Scenario arm index of the k-th arm of the plan. */
int task_arm(const task_plan *p, int k);

/* Task index of (point, k, rep) and back. */
int64_t task_index(const task_plan *p, int point, int k, int rep);
void task_decode(const task_plan *p, int64_t t, int *point, int *k, int *rep);

/* The settings named by the plan (every --set path, in the order given):
 * count, path, whether it varies across points, and its value text at a
 * point (owned by the plan). */
int task_nvars(const task_plan *p);
const char *task_var_path(const task_plan *p, int i);
int task_var_varied(const task_plan *p, int i);
const char *task_value(const task_plan *p, int point, int i);

/* The point's settings as 'path=value' lines (every --set, in order; "" for
 * none), malloc'd, caller frees; NULL on ENOMEM.  The points table rows. */
char *task_point_text(const task_plan *p, int point);

/* *dst = *base (a shallow copy: dst shares base's path and text, never
 * scen_free it), then the point's varied settings applied in every arm.
 * Returns 0, or -1 with a message (cannot happen for a validated plan
 * unless bounds depend on each other). */
int task_apply(const task_plan *p, int point, const scenario *base, scenario *dst, char *err, size_t errlen);

/* The resume key: a text naming everything that determines the results of
 * the batch (kind, version, master seed, reps, arms with their effective
 * settings, points).  Two batches with the same key and scenario text hold
 * the same task results.  malloc'd, caller frees; NULL on ENOMEM. */
char *task_plan_key(const task_plan *p, const scenario *sc, const char *kind);

#endif
