/* fit_conv.c -- the estimators of the second forecast model (fit.h):
 * silent attrition on members' active days as in the BG/BB model (Fader,
 * Hardie and Shang 2010: the discrete-time sibling of BG/NBD), who carries
 * a conversation (the author going on, the recent speakers), and the
 * day-to-day variation of a group's level.
 * fit_run (fit.c) calls them unless fit_opts.classic; docs/calibration.md
 * says what each estimates and why. */
#include "fit.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>

/* ---- BG/BB ---------------------------------------------------------------- */

/* A member's record in days after its first active day ("birth"): n days
 * observed after it, active on x of them, the last on day t_x (0: none). */
typedef struct bg_rec {
    int x, tx, n;
    double count;  /* members with this record */
} bg_rec;

typedef struct bg_ctx {
    const bg_rec *r;
    size_t n;
    int nmax;         /* the largest n of the records */
    double *lg;       /* scratch: 6 tables of nmax + 2 log-gammas */
} bg_ctx;

/* Minus the log-likelihood (Fader, Hardie and Shang 2010, eq. 5) at
 * th = log(alpha, beta, gamma, delta).  A record contributes
 *   B(al+x, be+n-x) B(ga, de+n) + sum_{i<n-tx} B(al+x, be+tx-x+i) B(ga+1, de+tx+i)
 * over B(al, be) B(ga, de); the beta functions are read from tables of
 * log-gammas at al + k, be + k, al + be + k, ga + k, de + k, ga + de + k
 * (k = 0 .. nmax + 1: O(nmax) calls per evaluation, not O(records)), and
 * the sum's terms follow by B(a, b+1) = B(a, b) b / (a + b). */
static double bg_nll(const double *th, const bg_ctx *c)
{
    double al = exp(th[0]), be = exp(th[1]), ga = exp(th[2]), de = exp(th[3]);
    if (!(al > 1e-6 && be > 1e-6 && ga > 1e-6 && de > 1e-6 && al < 1e6 && be < 1e6 && ga < 1e6 && de < 1e6))
        return 1e300; /* finite: the simplex refuses non-finite values */
    int K = c->nmax + 2;
    double *A = c->lg, *Bt = A + K, *AB = Bt + K, *G = AB + K, *D = G + K, *GD = D + K;
    for (int k = 0; k < K; k++) {
        A[k] = gsl_sf_lngamma(al + k);
        Bt[k] = gsl_sf_lngamma(be + k);
        AB[k] = gsl_sf_lngamma(al + be + k);
        G[k] = gsl_sf_lngamma(ga + k);
        D[k] = gsl_sf_lngamma(de + k);
        GD[k] = gsl_sf_lngamma(ga + de + k);
    }
    /* log B(al + x, be + y) = A[x] + Bt[y] - AB[x + y]; B(ga + u, de + v) alike */
    double lb = A[0] + Bt[0] - AB[0] + G[0] + D[0] - GD[0], s = 0;
    for (size_t i = 0; i < c->n; i++) {
        const bg_rec *q = &c->r[i];
        int x = q->x, n = q->n, tx = q->tx, m = n - tx;
        double t0 = A[x] + Bt[n - x] - AB[n] + G[0] + D[n] - GD[n] - lb, ll = t0;
        if (m > 0) {
            /* the sum's first term B(al+x, be+tx-x) B(ga+1, de+tx), then the recurrence */
            double l1 = A[x] + Bt[tx - x] - AB[tx] + G[1] + D[tx] - GD[tx + 1] - lb, sum = 1, term = 1;
            double b1 = be + tx - x, d1 = de + tx;
            for (int k = 1; k < m; k++) {
                double bb = b1 + k - 1, dd = d1 + k - 1;
                term *= bb / (al + x + bb) * dd / (ga + 1 + dd);
                sum += term;
            }
            double ls = l1 + log(sum), mx = ls > t0 ? ls : t0;
            ll = mx + log(exp(ls - mx) + exp(t0 - mx));
        }
        s += q->count * ll;
    }
    return isfinite(s) ? -s : 1e300;
}

static double bg_f(const gsl_vector *v, void *p) { return bg_nll(v->data, p); }

static int cmp_rec(const void *a, const void *b)
{
    const bg_rec *x = a, *y = b;
    if (x->n != y->n) return x->n < y->n ? -1 : 1;
    if (x->x != y->x) return x->x < y->x ? -1 : 1;
    return (x->tx > y->tx) - (x->tx < y->tx);
}

int fit_bgbb(const int *x, const int *tx, const int *n, size_t units, fit_bg *out)
{
    memset(out, 0, sizeof *out);
    out->se_alpha = out->se_beta = out->se_gamma = out->se_delta = NAN;
    if (units < 5) return -1;
    /* the likelihood depends on (x, t_x, n) only: one term per distinct record */
    bg_rec *r = malloc(units * sizeof *r);
    if (!r) return -1;
    for (size_t i = 0; i < units; i++) r[i] = (bg_rec){x[i], tx[i], n[i], 1};
    qsort(r, units, sizeof *r, cmp_rec);
    size_t k = 0;
    double sx = 0, sn = 0;
    for (size_t i = 0; i < units; i++) {
        sx += x[i];
        sn += n[i];
        if (k && !cmp_rec(&r[k - 1], &r[i])) r[k - 1].count += 1;
        else r[k++] = r[i];
    }
    int nmax = 0;
    for (size_t i = 0; i < k; i++) nmax = r[i].n > nmax ? r[i].n : nmax;
    double *lg = malloc(6 * ((size_t)nmax + 2) * sizeof *lg);
    if (!lg) { free(r); return -1; }
    bg_ctx c = {r, k, nmax, lg};
    double p0 = sn > 0 ? (sx + 0.5) / (sn + 1) : 0.5;
    /* start: activity ~ Beta with mean p0 and concentration 2, dropout mean 1% a day */
    double best[4] = {log(2 * p0), log(2 * (1 - p0)), log(0.5), log(50.0)}, fbest = bg_nll(best, &c);
    gsl_multimin_fminimizer *mz = gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, 4);
    gsl_vector *v = gsl_vector_alloc(4), *step = gsl_vector_alloc(4);
    int rc = -1;
    if (!mz || !v || !step) goto done;
    gsl_multimin_function fn = {bg_f, 4, &c};
    /* restarts of the simplex from the best point: Nelder-Mead stalls on ridges */
    for (int round = 0; round < 2; round++) {
        for (int j = 0; j < 4; j++) gsl_vector_set(v, j, best[j]);
        gsl_vector_set_all(step, round ? 0.3 : 1.0);
        if (gsl_multimin_fminimizer_set(mz, &fn, v, step) != GSL_SUCCESS) break;
        for (int it = 0; it < 3000; it++) {
            if (gsl_multimin_fminimizer_iterate(mz) != GSL_SUCCESS) break;
            if (gsl_multimin_test_size(gsl_multimin_fminimizer_size(mz), 1e-5) == GSL_SUCCESS) break;
        }
        if (mz->fval < fbest) {
            fbest = mz->fval;
            for (int j = 0; j < 4; j++) best[j] = gsl_vector_get(mz->x, j);
        }
    }
    if (!(fbest < 1e300)) goto done;
    out->alpha = exp(best[0]);
    out->beta = exp(best[1]);
    out->gamma = exp(best[2]);
    out->delta = exp(best[3]);
    out->loglik = -fbest;
    out->units = (int)units;
    /* standard errors: the observed information in log parameters by
     * central differences, inverted (Cholesky), then the delta method */
    double H[16], h = 1e-4;
    for (int i = 0; i < 4; i++)
        for (int j = i; j < 4; j++) {
            double t[4], f4[4];
            for (int s = 0; s < 4; s++) {
                memcpy(t, best, sizeof t);
                t[i] += (s & 1 ? -h : h);
                t[j] += (s & 2 ? -h : h);
                f4[s] = bg_nll(t, &c);
            }
            H[i * 4 + j] = H[j * 4 + i] = (f4[0] - f4[1] - f4[2] + f4[3]) / (4 * h * h);
        }
    gsl_matrix_view Hm = gsl_matrix_view_array(H, 4, 4);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int ok = gsl_linalg_cholesky_decomp1(&Hm.matrix) == GSL_SUCCESS && gsl_linalg_cholesky_invert(&Hm.matrix) == GSL_SUCCESS;
    gsl_set_error_handler(old);
    if (ok) {
        double est[4] = {out->alpha, out->beta, out->gamma, out->delta};
        double *se[4] = {&out->se_alpha, &out->se_beta, &out->se_gamma, &out->se_delta};
        for (int j = 0; j < 4; j++) {
            double var = gsl_matrix_get(&Hm.matrix, j, j);
            *se[j] = var > 0 ? est[j] * sqrt(var) : NAN;
        }
    }
    rc = 0;
done:
    gsl_multimin_fminimizer_free(mz);
    gsl_vector_free(v);
    gsl_vector_free(step);
    free(lg);
    free(r);
    return rc;
}

double fit_bg_alive(const fit_bg *b, int x, int tx, int n)
{
    bg_rec q = {x, tx, n, 1};
    double *lg = malloc(6 * ((size_t)n + 2) * sizeof *lg);
    if (!lg) return 1;
    bg_ctx c = {&q, 1, n, lg};
    double th[4] = {log(b->alpha), log(b->beta), log(b->gamma), log(b->delta)};
    double l = -bg_nll(th, &c);
    free(lg);
    double a = gsl_sf_lnbeta(b->alpha + x, b->beta + n - x) - gsl_sf_lnbeta(b->alpha, b->beta) + gsl_sf_lnbeta(b->gamma, b->delta + n + 1) -
               gsl_sf_lnbeta(b->gamma, b->delta);
    double p = exp(a - l);
    return p > 1 ? 1 : p < 0 ? 0 : p;
}

/* ---- who carries a conversation -------------------------------------------- */

int fit_talk_shares(const fit_log *lg, int64_t from, int64_t to, double window_s, double *self, double *conv, double *today)
{
    *self = *conv = *today = 0;
    int nm = lg->nmem;
    double *w = calloc((size_t)nm + 1, sizeof *w);
    int64_t *lastday = malloc(((size_t)nm + 1) * sizeof *lastday);
    if (!w || !lastday) { free(w); free(lastday); return -1; }
    for (int i = 0; i < nm; i++) lastday[i] = INT64_MIN;
    int64_t curday = INT64_MIN;
    double wtoday = 0, rest = 0, in_today = 0, chance_today = 0;
    double wsum = 0;
    for (int64_t j = 0; j < lg->nmsg; j++) {
        const fit_msg *x = &lg->msg[j];
        if (x->ts >= from && x->ts < to && lg->mem[x->mem].role != ROLE_BOT) { w[x->mem] += 1; wsum += 1; }
    }
    /* the last TALK distinct speakers before each message, newest first */
    enum { TALK = 4 };
    int rec[TALK], nrec = 0;
    int64_t prev_ts = -1;
    double close = 0, same = 0, other = 0, in_conv = 0, chance = 0;
    for (int64_t j = 0; j < lg->nmsg; j++) {
        const fit_msg *x = &lg->msg[j];
        if (x->ts >= to) break;
        if (lg->mem[x->mem].role == ROLE_BOT) continue;
        int i = x->mem;
        int64_t day = (x->ts + lg->utc_offset) / 86400;
        if (day != curday) { curday = day; wtoday = 0; }
        if (x->ts >= from && nrec > 0 && prev_ts >= 0 && (double)(x->ts - prev_ts) <= window_s) {
            close += 1;
            if (rec[0] == i) same += 1;
            else {
                /* the candidates the model would draw from: the recent speakers but the author (rec[0]) */
                double cw = 0;
                int hit = 0;
                for (int k = 1; k < nrec; k++) {
                    cw += w[rec[k]];
                    hit |= rec[k] == i;
                }
                other += 1;
                in_conv += hit;
                chance += wsum > 0 ? cw / wsum : 0;
                if (!hit) { /* the rest: someone who already spoke today? */
                    rest += 1;
                    in_today += lastday[i] == day;
                    chance_today += wsum > 0 ? wtoday / wsum : 0;
                }
            }
        }
        if (lastday[i] != day) { lastday[i] = day; wtoday += w[i]; }
        int k = 0;
        while (k < nrec && rec[k] != i) k++;
        if (k == nrec && nrec < TALK) nrec++;
        if (k == TALK) k = TALK - 1;
        for (; k > 0; k--) rec[k] = rec[k - 1];
        rec[0] = i;
        prev_ts = x->ts;
    }
    free(w);
    free(lastday);
    if (rest > 0) {
        double o = in_today / rest, c = chance_today / rest;
        *today = c < 1 ? (o - c) / (1 - c) : 0;
        if (*today < 0) *today = 0;
        if (*today > 1) *today = 1;
    }
    if (close > 0) *self = same / close;
    if (other > 0) {
        /* the mixture s 1{in the conversation} + (1 - s) chance, by moments */
        double o = in_conv / other, c = chance / other;
        *conv = c < 1 ? (o - c) / (1 - c) : 0;
        if (*conv < 0) *conv = 0;
    }
    if (*self > 0.95) *self = 0.95;
    if (*conv > 1) *conv = 1;
    return 0;
}

/* ---- the day-to-day level -------------------------------------------------- */

double fit_day_cv(const double *y, const double *wk, int nd)
{
    /* each day against the weekday-adjusted mean of the 3 days before and
     * after (itself left out): Var(y) = mu + cv^2 mu^2 for a gamma level of
     * coefficient of variation cv over Poisson-like counts; the local mean
     * of 6 days adds about 1/6 of the day's own variance, taken out */
    double num = 0, den = 0;
    for (int d = 0; d < nd; d++) {
        double s = 0;
        int c = 0;
        for (int e = d - 3; e <= d + 3; e++)
            if (e >= 0 && e < nd && e != d && wk[e] > 0) { s += y[e] / wk[e]; c++; }
        if (c < 3) continue;
        double mu = s / c * wk[d];
        if (!(mu > 0)) continue;
        double dev = (y[d] - mu) * (y[d] - mu) / (1 + 1.0 / c);
        num += dev - mu;
        den += mu * mu;
    }
    double cv2 = den > 0 ? num / den : 0;
    return cv2 > 0 ? sqrt(cv2) : 0;
}
