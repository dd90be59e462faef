/* summary.c -- across-replication statistics (GSL's quantiles and t quantiles). */
#include "summary.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

struct sum_t {
    int narms, nmetrics, reps;
    double *v;   /* [arm][metric][rep] */
    double *tmp; /* reps scratch */
};

int sum_open(sum_t **out, int narms, int nmetrics, int reps)
{
    *out = NULL;
    if (narms < 1 || nmetrics < 1 || reps < 1) return -1;
    sum_t *s = calloc(1, sizeof *s);
    if (!s) return -1;
    size_t n = (size_t)narms * (size_t)nmetrics * (size_t)reps;
    s->v = malloc(n * sizeof *s->v);
    s->tmp = malloc((size_t)reps * sizeof *s->tmp);
    if (!s->v || !s->tmp) { sum_close(s); return -1; }
    for (size_t i = 0; i < n; i++) s->v[i] = NAN;
    s->narms = narms;
    s->nmetrics = nmetrics;
    s->reps = reps;
    *out = s;
    return 0;
}

void sum_close(sum_t *s)
{
    if (!s) return;
    free(s->v);
    free(s->tmp);
    free(s);
}

static size_t at(const sum_t *s, int arm, int metric, int rep)
{
    return ((size_t)arm * (size_t)s->nmetrics + (size_t)metric) * (size_t)s->reps + (size_t)rep;
}

void sum_set(sum_t *s, int arm, int metric, int rep, double v) { s->v[at(s, arm, metric, rep)] = v; }
double sum_get(const sum_t *s, int arm, int metric, int rep) { return s->v[at(s, arm, metric, rep)]; }

static void describe(double *x, int n, sum_stat *out)
{
    out->n = n;
    if (n == 0) { out->mean = out->lo = out->hi = out->sd = NAN; return; }
    out->mean = gsl_stats_mean(x, 1, (size_t)n);
    out->sd = n > 1 ? gsl_stats_sd_m(x, 1, (size_t)n, out->mean) : 0.0;
}

void sum_arm(const sum_t *s, int arm, int metric, sum_stat *out)
{
    int n = 0;
    for (int r = 0; r < s->reps; r++) {
        double v = s->v[at(s, arm, metric, r)];
        if (!isnan(v)) s->tmp[n++] = v;
    }
    describe(s->tmp, n, out);
    if (n == 0) return;
    gsl_sort(s->tmp, 1, (size_t)n);
    out->lo = gsl_stats_quantile_from_sorted_data(s->tmp, 1, (size_t)n, 0.05);
    out->hi = gsl_stats_quantile_from_sorted_data(s->tmp, 1, (size_t)n, 0.95);
}

void sum_diff(const sum_t *s, int arm, int ref, int metric, sum_stat *out)
{
    int n = 0;
    for (int r = 0; r < s->reps; r++) {
        double a = s->v[at(s, arm, metric, r)], b = s->v[at(s, ref, metric, r)];
        if (!isnan(a) && !isnan(b)) s->tmp[n++] = a - b;
    }
    describe(s->tmp, n, out);
    if (n == 0) return;
    double half = n > 1 ? gsl_cdf_tdist_Pinv(0.95, n - 1) * out->sd / sqrt((double)n) : NAN;
    out->lo = out->mean - half;
    out->hi = out->mean + half;
}
