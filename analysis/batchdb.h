/* batchdb.h -- batches of tasks in the results database: the plan row that
 * fixes a batch's run ids (run_id = run_base + 1 + task index), finding the
 * batch to resume, which tasks are done, reading per-task values back, and
 * merging the databases of shards into one.
 *
 * Works on a store handle's connection (store_db) with its own SQL; the
 * tables are in analysis/schema.sql (batches, points, plans, runs, ...).
 * Errors: -1 with a one-line message in err.  Not thread-safe (one writer).
 */
#ifndef QS_BATCHDB_H
#define QS_BATCHDB_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

typedef struct bdb_plan {
    int64_t batch_id;
    int64_t run_base; /* run_id of task t is run_base + 1 + t */
    int64_t ntasks;
} bdb_plan;

/* Produces the points row text of point i (malloc'd; freed by the caller of
 * the callback), or NULL on ENOMEM. */
typedef char *(*bdb_point_fn)(void *ctx, int point);

/* Create a batch in one transaction: the batches row (manifest), npoints
 * points rows, and the plans row with key and a run_base above every run id
 * in use or reserved by another batch's plan.  Returns 0 and *out, or -1
 * (nothing written). */
int bdb_create(store_t *st, const store_batch *manifest, int npoints, bdb_point_fn point_text,
               void *ctx, int64_t ntasks, const char *key, bdb_plan *out, char *err, size_t errlen);

/* The latest batch with this scenario text and plan key.  1 and *out, 0 if
 * there is none, -1 on error. */
int bdb_find(store_t *st, const char *scenario_text, const char *key, bdb_plan *out, char *err,
             size_t errlen);

/* Batch batch_id's plan, its key and scenario text (malloc'd into *key and
 * *text when not NULL; the caller frees).  1 and *out, 0 if there is no such
 * batch or it has no plan, -1 on error. */
int bdb_get(store_t *st, int64_t batch_id, bdb_plan *out, char **key, char **text, char *err,
            size_t errlen);

/* Mark the stored tasks of batch p in the bitmap done (ntasks bits, bit t of
 * byte t/8; the caller zeroes it) and count them in *ndone.  -1 if a run of
 * the batch has a run id outside the plan's range (not a qunsim batch). */
int bdb_done(store_t *st, const bdb_plan *p, uint8_t *done, int64_t *ndone, char *err, size_t errlen);

/* Read back whole-run values (summary table, group 0) of the stored runs of
 * batch p: cb(ctx, task, m, value) for each run and each metrics[m] it has;
 * a NULL value comes as NaN.  0 or -1. */
typedef void (*bdb_value_fn)(void *ctx, int64_t task, int index, double v);
int bdb_summary_values(store_t *st, const bdb_plan *p, const char *const *metrics, int nmetrics,
                       bdb_value_fn cb, void *ctx, char *err, size_t errlen);
/* The same for one daily metric (group 0): index = the local day index
 * (0 = the run's start date). */
int bdb_daily_values(store_t *st, const bdb_plan *p, const char *metric, bdb_value_fn cb, void *ctx,
                     char *err, size_t errlen);

/* Merge the batches (those with a plan) of the databases in_paths[0..nin-1]
 * into out: inputs whose batches have the same scenario text and plan key
 * are shards of one batch and go into one batch of out (an existing one with
 * that key, else a new one keeping the input's batch id and run ids when
 * they are free in out).  Runs are copied in task order, one transaction
 * each, and a task already in out is skipped, so merging again is harmless
 * and the result equals the unsharded run's database.  report(ctx, line)
 * gets one line per merged batch (may be NULL).  0 or -1. */
int bdb_merge(store_t *out, const char *const *in_paths, int nin, void (*report)(void *ctx, const char *line),
              void *ctx, char *err, size_t errlen);

#endif
