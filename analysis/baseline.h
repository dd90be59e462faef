/* baseline.h -- the forecasts an analyst would make from a daily series, and forecast scores.
 * Four naive forecasts (with empirical bands from the last 4 weeks) and Holt-Winters
 * (ETS(A,Ad,A), weekly season, residual-bootstrap bands), so that a simulation's forecast can be
 * judged against them (issue 13, item 1). Pure functions of the arrays given: no state; the one
 * random part (the bootstrap) uses a fixed internal seed, so the same input gives the same output.
 * Non-finite history values (NaN, +-Inf) are unknown days and skipped; zeros are real zero days.
 */
#ifndef QS_BASELINE_H
#define QS_BASELINE_H

#include <stddef.h>

enum { BL_LAST_WEEK, BL_WEEKDAY_MEAN4, BL_FLAT28, BL_EXP_DECAY, BL_HOLT_WINTERS, BL_N };

#define BL_MIN_HISTORY 28 /* days of history every method needs */

/* Short name ("last_week", "weekday_mean4", "flat28", "exp_decay", "holt_winters") of a kind,
 * for CSV/JSON columns; "?" for a kind outside [0, BL_N). Static storage. */
const char *bl_name(int kind);
/* Human title ("last week repeated", ...) of a kind; "?" outside [0, BL_N). Static storage. */
const char *bl_title(int kind);

/* Forecast H days after a history hist[0..n) (hist[n-1] is the day before the origin; zeros are real
 * zero-activity days; NaN = unknown, skip). point/lo/hi get H values each: the point forecast and a
 * central band of the given coverage (e.g. 0.9), all >= 0. Bands: the naive kinds add the quantiles
 * of their own errors over the last 28 days of history (pseudo-origin 28 days back) to the point;
 * Holt-Winters takes the quantiles of 200 bootstrap paths with refitted parameters (fixed internal
 * seed, deterministic; about 0.1 s). Returns 0, or -1 with a message in err (err may be NULL) when:
 * the kind is unknown, a pointer is NULL, H < 1, coverage is not in (0, 1), the history is shorter
 * than BL_MIN_HISTORY days, the last 28 days hold no known value, too few known days are left to
 * fit or to form a band, or memory runs out. On -1 point/lo/hi are not written.
 * Never crashes on NaN/zero/constant input. Allocates scratch only, frees it before returning. */
int bl_forecast(int kind, const double *hist, int n, int H, double coverage, double *point, double *lo, double *hi, char *err, size_t errlen);

/* A fitted Holt-Winters model (ETS(A,Ad,A), season 7), in the error-correction form of
 * Hyndman & Athanasopoulos, FPP3 section 8.5: yhat = l + phi b + s, e = y - yhat, then
 * l' = l + phi b + alpha e, b' = phi b + beta e, s' = s + gamma e. */
typedef struct bl_hw {
    double alpha, beta, gamma, phi; /* smoothing parameters; beta = alpha * beta* of the component form */
    double sigma2;                  /* one-step residual variance: SSE / (known days - 12 parameters) */
    double sse;                     /* in-sample sum of squared one-step errors at the optimum */
    double level, trend;            /* states after hist[n-1] */
    double season[7];               /* season[k]: the seasonal state for forecast day j with j % 7 == k */
    int nobs;                       /* known days the errors were summed over */
} bl_hw;

/* Fit Holt-Winters to hist[0..n): initial states from the first two weeks (classical decomposition),
 * alpha, beta, gamma, phi by Nelder-Mead (GSL nmsimplex2) on the in-sample one-step SSE over a
 * bounded logistic parameterisation (0 < beta < alpha, 0 < gamma < 1 - alpha, 0.8 <= phi <= 0.98).
 * Returns 0, or -1 with a message when n < BL_MIN_HISTORY, fewer than 14 days are known, or the
 * minimiser cannot be allocated. */
int bl_hw_fit(const double *hist, int n, bl_hw *out, char *err, size_t errlen);
/* The model's h-step forecast (h >= 1; not floored) and its analytic variance
 * sigma2 * (1 + sum_{j<h} c_j^2), c_j = alpha + beta (phi + ... + phi^j) + gamma [j % 7 == 0]
 * (Hyndman et al. 2008, class 1): exact for known parameters; bl_forecast's band does not use it
 * because it is too narrow when the parameters are estimated. NaN for h < 1 or m NULL. */
double bl_hw_point(const bl_hw *m, int h);
double bl_hw_variance(const bl_hw *m, int h);

/* Scores over n days. A day is skipped when y (or a forecast value it needs) is not finite. */
/* Mean |f-y|/y over days with y > 0; NaN if there is none. */
double bl_mape(const double *f, const double *y, int n);
/* MAE of f against y divided by the in-sample MAE of the lag-7 naive forecast over hist[0..nh)
 * (mean |hist[t] - hist[t-7]| over pairs both known). NaN if no scored day or no pair; +Inf when
 * the naive scale is 0 and the MAE is not (a perfectly weekly history), NaN when both are 0. */
double bl_mase(const double *f, const double *y, int n, const double *hist, int nh);
/* Share of days with lo <= y <= hi (days where y, lo or hi is not finite skipped); NaN if none. */
double bl_coverage(const double *lo, const double *hi, const double *y, int n);
/* Interval score, Gneiting & Raftery (2007) eq. 43, mean over days: (u-l) + 2/alpha (l-y) 1{y<l}
 * + 2/alpha (y-u) 1{y>u}; alpha = 0.1 for a 90% band. Lower is better. NaN if alpha is not in
 * (0, 1) or no day is scored. */
double bl_interval_score(const double *lo, const double *hi, const double *y, int n, double alpha);

#endif
