/* store.h -- the results database (SQLite): schema, batches, runs, writes.
 *
 * Wraps one sqlite3 connection.  The schema (analysis/schema.sql, compiled
 * in) is created on open if absent; a database of another schema version is
 * refused.  A run (one replication or one imported log) is written inside one
 * transaction: store_run_begin .. store_run_commit; an interrupted run leaves
 * no trace, completed runs are never touched.  Prepared statements only.
 * Not thread-safe: one writer thread per handle.
 */
#ifndef QS_STORE_H
#define QS_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "event.h"

typedef struct store store_t;

#define STORE_SCHEMA_VERSION 2

/* Open (creating if needed) the database at path.  Returns 0 and *out, or -1
 * with a message in err (always written, even on success "").  The caller
 * closes with store_close(). */
int store_open(store_t **out, const char *path, char *err, size_t errlen);
/* store_open for a database that must already be one: a missing or empty
 * (0-byte) file is refused with a message instead of becoming a new empty
 * database (commands that read a log or continue a batch). */
int store_open_existing(store_t **out, const char *path, char *err, size_t errlen);
/* Close; rolls back an unfinished run.  Accepts NULL. */
void store_close(store_t *st);
/* Set how long a write waits for a database locked by another connection
 * before failing with "database is locked" (default 5000 ms, or the
 * environment variable QS_BUSY_TIMEOUT_MS read at open).  Returns 0 or -1. */
int store_set_busy_timeout(store_t *st, int ms);
/* Last error message (owned by the handle). */
const char *store_errmsg(const store_t *st);
/* The underlying connection, for readers (metrics queries, reports). */
struct sqlite3 *store_db(store_t *st);

/* A batch's manifest (batches row).  Strings may be NULL. */
typedef struct store_batch {
    const char *kind;          /* "run", "sweep", "import" */
    const char *scenario;
    const char *scenario_path;
    const char *scenario_text;
    int64_t seed;
    int64_t reps, days;
    const char *command;
} store_batch;

/* Insert a batch row (its own transaction).  Returns 0 and *batch_id, or -1.
 * Called inside a run (after store_run_begin), the row joins the run's
 * transaction instead and becomes that run's batch (an import that fails
 * leaves no batch behind). */
int store_batch_add(store_t *st, const store_batch *b, int64_t *batch_id);
/* Insert a points row. */
int store_point_add(store_t *st, int64_t batch_id, int point, const char *settings);

/* A run's header (runs row). */
typedef struct store_run {
    int64_t run_id;      /* 0: assign max(run_id)+1 */
    int64_t batch_id;
    const char *scenario, *arm;
    int point, rep;
    int64_t seed;
    const char *settings;
    const char *source;  /* "sim" or an import format */
    int64_t start_ts;
    int32_t utc_offset;
    int32_t days;
} store_run;

/* Start a run: BEGIN, insert the runs row.  Writes the run id to *run_id.
 * Returns 0 or -1 (nothing written).  batch_id <= 0 is stored as NULL.
 * Any write below that fails rolls the whole run back at once: it and every
 * later write return -1 keeping the first message, until store_run_commit
 * (which then returns -1) or store_run_rollback. */
int store_run_begin(store_t *st, const store_run *r, int64_t *run_id);
int store_group(store_t *st, int32_t group_id, const char *name);
/* A membership; a second call for the same (group, member) updates role,
 * left_ts and (if not NULL) name, keeping joined_ts, source and inviter.
 * member_id/inviter_id/left_ts < 0 are stored as NULL where nullable. */
int store_member(store_t *st, const ev_member *m, const char *name);
/* Update left_ts of an existing membership. */
int store_member_left(store_t *st, int32_t group_id, int64_t member_id, int64_t left_ts);
/* One event; member_id/ref_id < 0 stored as NULL, kind by name, a NaN value
 * as NULL.  Each returns 0 or -1 (the run is then rolled back). */
int store_event(store_t *st, const ev_rec *e);
int store_daily(store_t *st, int32_t group_id, const char *day, const char *metric, double v);
int store_summary(store_t *st, int32_t group_id, const char *metric, double v);
/* Set start_ts, utc_offset and days of the run in progress (an importer
 * knows the span of a log only at its end).  Returns 0 or -1 (run rolled back). */
int store_run_span(store_t *st, int64_t start_ts, int32_t utc_offset, int32_t days);
/* COMMIT the run.  Returns 0 or -1 (then the run is rolled back). */
int store_run_commit(store_t *st);
/* ROLLBACK the run in progress (no-op if none). */
void store_run_rollback(store_t *st);

/* 1 if a run with (batch_id, arm, point, rep) is stored (for --resume), 0 if
 * not, -1 on error. */
int store_run_exists(store_t *st, int64_t batch_id, const char *arm, int point, int rep);

#endif
