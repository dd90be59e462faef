/* fit_internal.h -- what the calibration's files share: local days of a
 * timestamp (fit_est.c, fit.c, fit_second.c, fit_write.c), the window's
 * calendar and fit_second (fit.c, fit_second.c).  Not an interface: only
 * models/fit*.c include it; the calibration's API is fit.h.  The helpers
 * are static inline: a few lines each, called per message. */
#ifndef QS_FIT_INTERNAL_H
#define QS_FIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "fit.h"

#define DAYS 86400.0

/* The local epoch day of ts at UTC offset off (rounded down, also before 1970). */
static inline int64_t epoch_day(int64_t ts, int32_t off)
{
    int64_t x = ts + off;
    return x >= 0 ? x / 86400 : -((-x + 86399) / 86400);
}

static inline int wday_of_epoch(int64_t D) { return (int)(((D + 3) % 7 + 7) % 7); } /* 1970-01-01 was a Thursday */

/* The window's calendar: local epoch day of day 0, days, activity profile. */
typedef struct win {
    int64_t from, to, D0;
    int32_t off;
    int nd;
    double D[24], W[7];   /* hour and weekday factors, mean 1 */
    double *P;            /* P[d]: activity-days before day d (nd + 1) */
} win;

static inline int win_day(const win *w, int64_t ts) { return (int)(epoch_day(ts, w->off) - w->D0); }
static inline int win_wd(const win *w, int d) { return wday_of_epoch(w->D0 + d); }

/* The second forecast model's settings over the window w, its messages
 * log->msg[first, last) (fit_second.c): after fit_run's classic ones, which
 * it overrides where it replaces them.  0, FIT_EIDENT or -1 (err says why). */
int fit_second(const fit_log *log, const win *w, int64_t first, int64_t last, int hk_failed, fit_result *r, char *err,
               size_t errlen);

#endif
