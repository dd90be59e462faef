/* summary.h -- across-replication statistics of per-run metrics: per arm the
 * mean and the 90% interval of the replications (5% and 95% quantiles), and
 * the paired difference of an arm to a reference arm (same replication index,
 * so common random numbers cancel) with a 90% confidence interval of its mean.
 * Holds reps x arms x metrics doubles, nothing per event.
 */
#ifndef QS_SUMMARY_H
#define QS_SUMMARY_H

typedef struct sum_t sum_t;

typedef struct sum_stat {
    double mean;   /* mean over replications with a defined value */
    double lo, hi; /* per arm: 5% and 95% quantiles; for a difference: 90% CI of the mean */
    double sd;     /* standard deviation over replications */
    int n;         /* replications with a defined (non-NaN) value */
} sum_stat;

/* Create for narms x nmetrics x reps values (all NaN).  0 or -1 (ENOMEM). */
int sum_open(sum_t **out, int narms, int nmetrics, int reps);
void sum_close(sum_t *s);
/* Record a value (NaN = undefined in that replication). */
void sum_set(sum_t *s, int arm, int metric, int rep, double v);
double sum_get(const sum_t *s, int arm, int metric, int rep);
/* Mean and 90% interval over replications of one arm. */
void sum_arm(const sum_t *s, int arm, int metric, sum_stat *out);
/* Paired difference arm - ref over replications where both are defined:
 * mean, and mean +/- t(0.95, n-1) * sd / sqrt(n). */
void sum_diff(const sum_t *s, int arm, int ref, int metric, sum_stat *out);

#endif
