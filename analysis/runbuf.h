/* runbuf.h -- one run's rows held in memory: the runs header, groups,
 * memberships, events, daily and summary rows, plus a few caller scalars.
 *
 * Lets a worker thread (or an MPI rank) compute a replication without the
 * database, and one writer commit it later with rb_commit(), which issues
 * exactly the store calls a direct writer would have made, in the same order
 * per table, so the database is the same either way.  rb_pack/rb_unpack turn
 * a buffer into bytes and back (native byte order: the ranks of one job share
 * an architecture).  Not thread-safe per handle; one buffer per task.
 */
#ifndef QS_RUNBUF_H
#define QS_RUNBUF_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"
#include "store.h"

typedef struct rb rb_t;

/* A new empty buffer.  Returns 0 and *out, or -1 on ENOMEM (*out = NULL).
 * Free with rb_free(). */
int rb_new(rb_t **out);
/* Free.  Accepts NULL. */
void rb_free(rb_t *b);
/* Empty the buffer, keeping its allocations for the next run. */
void rb_reset(rb_t *b);

/* The run's header (the runs row): strings are copied; run_id and batch_id
 * are kept but rb_commit() takes the ones to use.  0 or -1 (ENOMEM). */
int rb_set_run(rb_t *b, const store_run *r);
/* The header as set (strings owned by the buffer, valid until the next
 * rb_set_run/rb_reset/rb_unpack). */
const store_run *rb_run(const rb_t *b);

/* Rows, in the order a producer would write them to the store.  Each returns
 * 0, or -1 on ENOMEM (the buffer is then marked failed and rb_commit refuses
 * it).  Strings are copied.  rb_member() stands for store_member(m, NULL),
 * rb_member_left() for store_member_left(). */
int rb_group(rb_t *b, int32_t group_id, const char *name);
int rb_member(rb_t *b, const ev_member *m);
int rb_member_left(rb_t *b, int32_t group_id, int64_t member_id, int64_t left_ts);
int rb_event(rb_t *b, const ev_rec *e);
int rb_daily(rb_t *b, int32_t group_id, const char *day, const char *metric, double v);
int rb_summary(rb_t *b, int32_t group_id, const char *metric, double v);

/* Caller scalars carried with the rows (e.g. the values a summary table
 * needs) and a caller tag (e.g. the task index).  0 or -1 (ENOMEM). */
int rb_set_values(rb_t *b, const double *v, int n);
const double *rb_values(const rb_t *b, int *n);
void rb_set_tag(rb_t *b, int64_t tag);
int64_t rb_tag(const rb_t *b);

/* Number of rows held (groups + member ops + events + daily + summary) and
 * bytes allocated, for tests and memory accounting. */
size_t rb_rows(const rb_t *b);
size_t rb_bytes(const rb_t *b);

/* Write the buffer as one run: store_run_begin with the header but run_id
 * and batch_id given here, every row, store_run_commit.  Returns 0; -1 with
 * the reason in store_errmsg(st); or -2 (store untouched) if the buffer lost
 * rows to ENOMEM.  On failure nothing of the run stays stored. */
int rb_commit(const rb_t *b, store_t *st, int64_t run_id, int64_t batch_id);

/* Serialise into a malloc'd byte string (*out, *n); the caller frees it.
 * Returns 0 or -1 (ENOMEM). */
int rb_pack(const rb_t *b, unsigned char **out, size_t *n);
/* Replace b's content by the bytes of rb_pack.  Returns 0, or -1 if the
 * bytes are malformed or memory runs out (b is then empty). */
int rb_unpack(rb_t *b, const unsigned char *p, size_t n);

#endif
