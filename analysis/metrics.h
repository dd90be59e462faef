/* metrics.h -- the metric catalogue, computed from a stream of events.
 *
 * One implementation serves the simulator during a run and stored or
 * imported logs (read back in time order): the forecast and the real group
 * are measured by one ruler.  Definitions: analysis/METRICS.md; the same
 * definitions as SQL views: analysis/metrics.sql.
 *
 * Streaming: memory grows with members x days (one byte per membership and
 * person a day), plus 8 bytes per answered question for the response
 * quantiles; never with other events.  Not thread-safe per handle; one
 * handle per run (handles are independent: no globals).
 */
#ifndef QS_METRICS_H
#define QS_METRICS_H

#include <stdint.h>

#include "event.h"

typedef struct met met_t;

/* Resource guard: the per-day tables (about 176 bytes per group and day, one
 * byte per person and per membership a day) may not grow past this; a group,
 * member or event that would need more fails with a "memory limit" message
 * (e.g. a log of a million groups, or of members over a century). */
#define MET_MAX_BYTES ((int64_t)4 << 30)

typedef struct met_opts {
    int64_t start_ts;   /* unix seconds of local midnight of day 0 */
    int32_t utc_offset; /* seconds east of UTC (the group's local time) */
    int32_t ndays;      /* length of the window in local days (1..100000) */
    int count_bots;     /* 1: members with role bot count like people (default 0) */
    int64_t max_bytes;  /* resource guard for the per-day tables; 0: MET_MAX_BYTES */
} met_opts;

/* Create a metrics accumulator.  Returns 0 and *out, or -1 on bad options or
 * allocation failure (*out = NULL).  Free with met_close(). */
int met_open(met_t **out, const met_opts *o);
/* Free.  Accepts NULL. */
void met_close(met_t *m);

/* Declare a membership (a join), or update one (same group_id, member_id)
 * with left_ts set when the member leaves.  An update changes role and
 * left_ts only (joined_ts, source and inviter stay those of the first call,
 * as in the store's members table; left_ts < 0 = still a member).  Member ids
 * are >= 0 (a negative id means "none", as in the store).  Returns 0, or -1
 * (message in met_errmsg) on ENOMEM, group_id < 1, member_id < 0 or a call
 * after met_finish. */
int met_member(met_t *m, const ev_member *mem);

/* Feed one event.  Events must come in nondecreasing ts order; events
 * outside the window, system notices and events without an actor
 * (member_id < 0) are ignored (an in-window event still makes its group
 * known).  Returns 0, or -1 (message in met_errmsg) on ENOMEM, ts order,
 * an unknown kind, group_id < 1 or a call after met_finish. */
int met_event(met_t *m, const ev_rec *e);

/* Close the window and compute the summary metrics.  Call once, after the
 * last event.  Returns 0, or -1 on ENOMEM (the handle is then only good for
 * met_close). */
int met_finish(met_t *m);

/* Callback for met_emit: day is the local day index (0 = start date), or -1
 * for a whole-window (summary) metric.  group_id 0 = all groups.  Return
 * nonzero to stop the emission (propagated as met_emit's result). */
typedef int (*met_emit_fn)(void *ctx, int32_t group_id, int64_t day,
                           const char *metric, double value);

/* Emit every daily and summary metric (after met_finish), in a fixed order. */
int met_emit(const met_t *m, met_emit_fn fn, void *ctx);

/* Look up one summary metric of group_id (0 = all).  Returns 0 and *out, or
 * -1 if unknown.  NaN when undefined (e.g. no speakers). */
int met_get(const met_t *m, int32_t group_id, const char *metric, double *out);

/* Look up one daily metric.  Returns 0 and *out, or -1 if unknown/out of range. */
int met_get_daily(const met_t *m, int32_t group_id, int64_t day, const char *metric, double *out);

/* Growth of a daily metric of group_id between two ranges of day indices
 * (inclusive): mean over [from, to] / mean over [base_from, base_to] - 1, so
 * "UGC +200%" is 2.0.  NaN days are skipped; NaN if the baseline mean is 0
 * or undefined.  Returns 0 and *out, or -1 on an unknown metric or group or
 * a range outside the window. */
int met_growth(const met_t *m, int32_t group_id, const char *metric, int64_t base_from,
               int64_t base_to, int64_t from, int64_t to, double *out);

/* The last error message (owned by the handle; "" if none). */
const char *met_errmsg(const met_t *m);

/* Number of local days in the window (opts.ndays). */
int met_ndays(const met_t *m);

/* Name of the i-th daily / summary metric in emission order, or NULL past
 * the end (for table headers and for iterating the catalogue). */
const char *met_daily_name(int i);
const char *met_summary_name(int i);

#endif
