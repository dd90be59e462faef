/* batch.h -- running the tasks of a plan (models/task.h) into the results
 * store: in the calling thread, or on N worker threads that compute each
 * replication into a buffer (analysis/runbuf.h) while the calling thread
 * commits the buffers one transaction per task, in task order, holding at
 * most a window of finished buffers.  Either way task t is stored as run
 * run_base + 1 + t and the database is the same, whatever N.
 *
 * The pieces (batch_compute, batch_commit, batch_next) are exported for
 * drivers that move buffers elsewhere (MPI ranks).  No globals: the stop
 * flag is the caller's (set from a signal handler).
 */
#ifndef QS_BATCH_H
#define QS_BATCH_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "batchdb.h"
#include "metrics.h"
#include "runbuf.h"
#include "scenario.h"
#include "store.h"
#include "task.h"

/* Per-task scalars from the finished metrics of task t, into out[0..n-1];
 * called on worker threads (must only read met).  0 or -1. */
typedef int (*batch_values_fn)(void *ctx, int64_t task, const met_t *met, double *out);
/* A task has been committed: called on the calling thread, in task order,
 * with the task's scalars. */
typedef void (*batch_done_fn)(void *ctx, int64_t task, const double *values);

typedef struct batch_opts {
    const scenario *sc;        /* base scenario (fixed settings applied) */
    const task_plan *plan;
    store_t *store;            /* NULL: compute only (values), nothing stored */
    bdb_plan db;               /* the batch: id, run base (used with a store) */
    const uint8_t *skip;       /* bitmap of tasks not to run (already done), or NULL */
    int shard, nshards;        /* only tasks t with t % nshards == shard (nshards <= 1: all) */
    int threads;               /* 1: the calling thread streams into the store; N > 1: N workers */
    int window;                /* finished tasks held at most (0: 2 * threads + 2) */
    int store_events;          /* store the event log */
    int keep_rows;             /* batch_compute buffers the rows even without a store (MPI ranks) */
    int nvalues;               /* scalars per task (at most BATCH_MAX_VALUES) */
    batch_values_fn values;    /* may be NULL (then nvalues is 0) */
    batch_done_fn done;        /* may be NULL */
    void *ctx;                 /* for values and done */
    const volatile sig_atomic_t *stop; /* nonzero: hand out no more tasks, finish those under way (may be NULL) */
} batch_opts;

#define BATCH_MAX_VALUES 8192

typedef struct batch_result {
    int64_t todo;   /* tasks this call had to run (in the shard, not skipped) */
    int64_t done;   /* of these, committed */
    int stopped;    /* 1 if *stop ended the call before all were done */
} batch_result;

/* Run every task of o->plan in the shard that o->skip does not mark.
 * Returns 0 (all done, or stopped: see res->stopped), or -1 with a message
 * (a task failed or a commit failed; the tasks committed before stay). */
int batch_run(const batch_opts *o, batch_result *res, char *err, size_t errlen);

/* The first task >= t that batch_run would run, or -1 if none. */
int64_t batch_next(const batch_opts *o, int64_t t);
/* How many tasks batch_run would run. */
int64_t batch_todo(const batch_opts *o);

/* One worker's state (a scenario copy for the current point, scratch). */
typedef struct batch_worker batch_worker;
/* 0 and *out, or -1 (ENOMEM).  Free with batch_worker_free (accepts NULL). */
int batch_worker_new(batch_worker **out, const batch_opts *o);
void batch_worker_free(batch_worker *w);
/* Compute task t into buf: the run's rows (when o->store or o->keep_rows)
 * and the task's scalars; rb_tag(buf) = t.  0, or -1 with a message naming
 * the task. */
int batch_compute(batch_worker *w, int64_t t, rb_t *buf, char *err, size_t errlen);
/* Commit a computed buffer as run run_base + 1 + rb_tag(buf) of the batch
 * (nothing when o->store is NULL), then call o->done.  0, or -1 with the
 * store's message. */
int batch_commit(const batch_opts *o, const rb_t *buf, char *err, size_t errlen);

#endif
