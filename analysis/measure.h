/* measure.h -- the metric catalogue over a stored log: reads one run's
 * members and events (simulated or imported) from a results database, in
 * time order, into the same streaming metrics (metrics.h) the simulator uses
 * during a run.  One ruler for forecasts and real groups. */
#ifndef QS_MEASURE_H
#define QS_MEASURE_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "metrics.h"

typedef struct msr_opts {
    int32_t group;     /* 0: all groups of the run; else only this group_id */
    const char *from;  /* first local date YYYY-MM-DD, or NULL: the run's start */
    const char *to;    /* last local date, or NULL: the run's end */
    int count_bots;    /* count bots as speakers */
} msr_opts;

typedef struct msr_window {
    int64_t start_ts;   /* unix seconds of local midnight of the first day */
    int32_t utc_offset; /* the run's offset */
    int32_t ndays;
} msr_window;

/* Measure run `run_id` of db.  The window is the run's own (runs.start_ts,
 * runs.days; for imported logs without them, the local days spanned by its
 * events) unless from/to say otherwise.  On success returns 0, the finished
 * metrics in *out (caller frees with met_close) and the window in *w (may be
 * NULL).  On error returns -1 with a message in err. */
int msr_run(sqlite3 *db, int64_t run_id, const msr_opts *o, met_t **out, msr_window *w, char *err, size_t errlen);

#endif
