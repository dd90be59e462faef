/* fit_est.c -- the calibration's estimators, each usable alone (fit.h;
 * fit_run in fit.c puts them together, the forecast's state and the tests
 * call some directly): the gamma-Poisson of members' posting rates, the
 * Hawkes process of replies, the engagement proxy and the leaving hazard,
 * with the small linear algebra they share (BFGS, observed information,
 * inversion).  Definitions and their approximations: docs/calibration.md. */
#include "fit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include "fit_internal.h"

/* ---- small linear algebra ------------------------------------------------ */

/* Invert the symmetric k x k matrix h (row-major) into cov.  0 or -1. */
static int invert(const double *h, double *cov, int k)
{
    gsl_matrix *a = gsl_matrix_alloc((size_t)k, (size_t)k), *inv = gsl_matrix_alloc((size_t)k, (size_t)k);
    gsl_permutation *p = gsl_permutation_alloc((size_t)k);
    int rc = -1, sign;
    if (a && inv && p) {
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) gsl_matrix_set(a, (size_t)i, (size_t)j, 0.5 * (h[i * k + j] + h[j * k + i]));
        if (gsl_linalg_LU_decomp(a, p, &sign) == GSL_SUCCESS && fabs(gsl_linalg_LU_det(a, sign)) > 0 &&
            gsl_linalg_LU_invert(a, p, inv) == GSL_SUCCESS) {
            rc = 0;
            for (int i = 0; i < k; i++)
                for (int j = 0; j < k; j++) cov[i * k + j] = gsl_matrix_get(inv, (size_t)i, (size_t)j);
        }
    }
    gsl_matrix_free(a);
    gsl_matrix_free(inv);
    gsl_permutation_free(p);
    return rc;
}

/* Minimise f with BFGS from x (in place, dimension k).  Returns 0 if it
 * ended at a point with a small gradient or could not improve; -1 if the
 * function was not finite at the start. */
static int minimise(gsl_multimin_function_fdf *fn, gsl_vector *x, int maxit, double gtol, int *iters)
{
    gsl_multimin_fdfminimizer *m = gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, fn->n);
    if (!m) return -1;
    int rc = 0, it = 0;
    if (gsl_multimin_fdfminimizer_set(m, fn, x, 0.1, 0.1) != GSL_SUCCESS || !isfinite(m->f)) rc = -1;
    else {
        for (it = 0; it < maxit; it++) {
            int s = gsl_multimin_fdfminimizer_iterate(m);
            if (s != GSL_SUCCESS) break; /* no progress: at the minimum to the line search's precision */
            if (gsl_multimin_test_gradient(m->gradient, gtol) == GSL_SUCCESS) break;
        }
        gsl_vector_memcpy(x, m->x);
    }
    if (iters) *iters = it;
    gsl_multimin_fdfminimizer_free(m);
    return rc;
}

/* Observed information in the optimiser's coordinates by central differences
 * of the analytic gradient of the (unscaled) negative log-likelihood. */
static void num_hessian(void (*grad)(const gsl_vector *, void *, gsl_vector *), void *ctx, const gsl_vector *x, int k, double *h)
{
    gsl_vector *xp = gsl_vector_alloc((size_t)k), *gp = gsl_vector_alloc((size_t)k), *gm = gsl_vector_alloc((size_t)k);
    if (!xp || !gp || !gm) {
        for (int i = 0; i < k * k; i++) h[i] = NAN;
    } else {
        const double step = 1e-4;
        for (int j = 0; j < k; j++) {
            gsl_vector_memcpy(xp, x);
            gsl_vector_set(xp, (size_t)j, gsl_vector_get(x, (size_t)j) + step);
            grad(xp, ctx, gp);
            gsl_vector_set(xp, (size_t)j, gsl_vector_get(x, (size_t)j) - step);
            grad(xp, ctx, gm);
            for (int i = 0; i < k; i++) h[i * k + j] = (gsl_vector_get(gp, (size_t)i) - gsl_vector_get(gm, (size_t)i)) / (2 * step);
        }
    }
    gsl_vector_free(xp);
    gsl_vector_free(gp);
    gsl_vector_free(gm);
}

/* ---- gamma-Poisson ------------------------------------------------------- */

typedef struct gp_ctx {
    const double *k, *E;
    const unsigned char *tr;
    size_t n;
    double scale; /* 1/units: the optimiser sees the mean */
} gp_ctx;

/* Negative log-likelihood (without the constant lgamma(k+1)) and its
 * gradient in (log shape, log mean), times scale. */
static double gp_eval(const gsl_vector *x, gp_ctx *c, gsl_vector *g)
{
    double la = gsl_vector_get(x, 0), lm = gsl_vector_get(x, 1);
    if (la > 30 || la < -30 || lm > 30 || lm < -40) {
        if (g) gsl_vector_set_all(g, 0);
        return GSL_POSINF;
    }
    double a = exp(la), m = exp(lm), ll = 0, ga = 0, gm = 0, lga = gsl_sf_lngamma(a), psa = gsl_sf_psi(a);
    for (size_t i = 0; i < c->n; i++) {
        double E = c->E[i], k = c->k[i];
        if (!(E > 0)) continue;
        double mE = m * E, den = a + mE, lr = log(a / den);
        ll += gsl_sf_lngamma(k + a) - lga + a * lr + (k > 0 ? k * log(mE / den) : 0);
        if (g) {
            ga += gsl_sf_psi(k + a) - psa + lr + 1 - (a + k) / den;
            gm += k / m - (a + k) * E / den;
        }
        if (c->tr && c->tr[i]) {
            double lp0 = a * lr, p0 = exp(lp0), q = -expm1(lp0);
            if (q <= 0) return GSL_POSINF;
            ll -= log(q);
            if (g) {
                double r = p0 / q;
                ga += r * (lr + 1 - a / den);
                gm += r * (-a * E / den);
            }
        }
    }
    if (g) {
        gsl_vector_set(g, 0, -ga * a * c->scale);
        gsl_vector_set(g, 1, -gm * m * c->scale);
    }
    return -ll * c->scale;
}

static double gp_f(const gsl_vector *x, void *p) { return gp_eval(x, p, NULL); }
static void gp_df(const gsl_vector *x, void *p, gsl_vector *g) { gp_eval(x, p, g); }
static void gp_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g) { *f = gp_eval(x, p, g); }
static void gp_grad_unscaled(const gsl_vector *x, void *p, gsl_vector *g)
{
    gp_ctx c = *(gp_ctx *)p;
    c.scale = 1;
    gp_eval(x, &c, g);
}

int fit_gamma_poisson(const double *k, const double *E, const unsigned char *trunc, size_t n, fit_gp *out)
{
    memset(out, 0, sizeof *out);
    out->se_shape = out->se_mean = NAN;
    double sk = 0, sE = 0;
    int units = 0;
    for (size_t i = 0; i < n; i++)
        if (E[i] > 0) { sk += k[i]; sE += E[i]; units++; }
    out->units = units;
    if (units < 2 || sk <= 0) return -1;
    gp_ctx c = {k, E, trunc, n, 1.0 / units};
    gsl_multimin_function_fdf fn = {gp_f, gp_df, gp_fdf, 2, &c};
    gsl_vector *x = gsl_vector_alloc(2), *best = gsl_vector_alloc(2);
    if (!x || !best) { gsl_vector_free(x); gsl_vector_free(best); return -1; }
    double fbest = GSL_POSINF;
    const double starts[] = {0.3, 1.0, 5.0};
    for (int s = 0; s < 3; s++) {
        gsl_vector_set(x, 0, log(starts[s]));
        gsl_vector_set(x, 1, log(sk / sE));
        if (minimise(&fn, x, 500, 1e-9, NULL) != 0) continue;
        double f = gp_f(x, &c);
        if (f < fbest) { fbest = f; gsl_vector_memcpy(best, x); }
    }
    int rc = -1;
    if (isfinite(fbest)) {
        rc = 0;
        double a = exp(gsl_vector_get(best, 0)), m = exp(gsl_vector_get(best, 1));
        out->shape = a;
        out->mean = m;
        out->loglik = -fbest * units;
        if (a > FIT_SHAPE_MAX) {
            out->shape_at_bound = 1;
            out->shape = FIT_SHAPE_MAX;
            out->se_mean = m / sqrt(sk); /* Poisson: no heterogeneity left */
        } else {
            double h[4], cov[4];
            num_hessian(gp_grad_unscaled, &c, best, 2, h);
            if (invert(h, cov, 2) == 0 && cov[0] > 0 && cov[3] > 0) {
                out->se_shape = a * sqrt(cov[0]);
                out->se_mean = m * sqrt(cov[3]);
            }
        }
    }
    gsl_vector_free(x);
    gsl_vector_free(best);
    return rc;
}

/* ---- Hawkes -------------------------------------------------------------- */

typedef struct hk_ctx {
    const fit_hawkes_in *in;
    double scale;  /* 1 / counted events */
    double *p;     /* immigrant probabilities (output of the last evaluation), or NULL */
} hk_ctx;

static double hk_eval(const gsl_vector *x, hk_ctx *c, gsl_vector *g)
{
    const fit_hawkes_in *in = c->in;
    double lmu = gsl_vector_get(x, 0), ln = gsl_vector_get(x, 1), lb = gsl_vector_get(x, 2);
    if (fabs(lmu) > 200 || fabs(ln) > 40 || lb > 10 || lb < -30) {
        if (g) gsl_vector_set_all(g, 0);
        return GSL_POSINF;
    }
    double mu = exp(lmu), n = 1 / (1 + exp(-ln)), beta = exp(lb);
    double ll = 0, gmu = 0, gn = 0, gb = 0;
    double A = 0, B = 0, tprev = 0, xprev = 0;
    int32_t segprev = -1;
    for (size_t k = 0; k < in->n; k++) {
        double t = in->t[k];
        int32_t sg = in->seg ? in->seg[k] : 0;
        if (sg != segprev) { A = 0; B = 0; segprev = sg; }
        else {
            double d = t - tprev, e = exp(-beta * d);
            B = e * (B - d * (A + xprev));
            A = e * (A + xprev);
        }
        tprev = t;
        xprev = !in->excite || in->excite[k];
        double ex = n * beta * A;
        if (!in->count || in->count[k]) {
            double lam = mu * in->a[k] + ex;
            if (!(lam > 0)) return GSL_POSINF;
            ll += log(lam);
            if (g) {
                gmu += in->a[k] / lam;
                gn += beta * A / lam;
                gb += n * (A + beta * B) / lam;
            }
            if (c->p) c->p[k] = mu * in->a[k] / lam;
        } else if (c->p) c->p[k] = 0;
        if (!xprev) continue;
        /* compensator of this event's offspring up to its segment's end */
        double tau = in->seg_end[sg] - t, e = exp(-beta * tau);
        ll -= n * (1 - e);
        if (g) {
            gn -= 1 - e;
            gb -= n * tau * e;
        }
    }
    ll -= mu * in->a_int;
    if (g) {
        gmu -= in->a_int;
        gsl_vector_set(g, 0, -gmu * mu * c->scale);
        gsl_vector_set(g, 1, -gn * n * (1 - n) * c->scale);
        gsl_vector_set(g, 2, -gb * beta * c->scale);
    }
    return -ll * c->scale;
}

static double hk_f(const gsl_vector *x, void *p) { return hk_eval(x, p, NULL); }
static void hk_df(const gsl_vector *x, void *p, gsl_vector *g) { hk_eval(x, p, g); }
static void hk_fdf(const gsl_vector *x, void *p, double *f, gsl_vector *g) { *f = hk_eval(x, p, g); }

/* -log-likelihood at phi = (mu, n, beta) with, if g is not NULL, its
 * gradient and (if H is not NULL) its Hessian in phi; p (may be NULL) gets
 * the immigrant probabilities.  Recursions: A_k = sum_j exp(-beta (t_k -
 * t_j)) over earlier events of the segment, B = dA/dbeta, C = d2A/dbeta2. */
static double hk_full(const fit_hawkes_in *in, const double *phi, double *g, double *H, double *p)
{
    double mu = phi[0], n = phi[1], beta = phi[2], ll = 0;
    double G0 = 0, G1 = 0, G2 = 0, H00 = 0, H01 = 0, H02 = 0, H11 = 0, H12 = 0, H22 = 0;
    double A = 0, B = 0, C = 0, tprev = 0, xprev = 0;
    int32_t segprev = -1;
    for (size_t k = 0; k < in->n; k++) {
        double t = in->t[k];
        int32_t sg = in->seg ? in->seg[k] : 0;
        if (sg != segprev) { A = B = C = 0; segprev = sg; }
        else {
            double d = t - tprev, e = exp(-beta * d), A1 = A + xprev;
            C = e * (C - 2 * d * B + d * d * A1);
            B = e * (B - d * A1);
            A = e * A1;
        }
        tprev = t;
        xprev = !in->excite || in->excite[k];
        if (!in->count || in->count[k]) {
            double ak = in->a[k], lam = mu * ak + n * beta * A;
            if (!(lam > 0)) return GSL_POSINF;
            ll += log(lam);
            if (p) p[k] = mu * ak / lam;
            if (g) {
                double il = 1 / lam, u0 = ak * il, u1 = beta * A * il, u2 = n * (A + beta * B) * il;
                G0 += u0;
                G1 += u1;
                G2 += u2;
                if (H) {
                    H00 -= u0 * u0;
                    H01 -= u0 * u1;
                    H02 -= u0 * u2;
                    H11 -= u1 * u1;
                    H12 += (A + beta * B) * il - u1 * u2;
                    H22 += n * (2 * B + beta * C) * il - u2 * u2;
                }
            }
        } else if (p) p[k] = 0;
        if (!xprev) continue;
        double tau = in->seg_end[sg] - t, e2 = exp(-beta * tau);
        ll -= n * (1 - e2);
        if (g) {
            G1 -= 1 - e2;
            G2 -= n * tau * e2;
            if (H) {
                H12 -= tau * e2;
                H22 += n * tau * tau * e2;
            }
        }
    }
    ll -= mu * in->a_int;
    if (g) {
        g[0] = -(G0 - in->a_int);
        g[1] = -G1;
        g[2] = -G2;
        if (H) {
            double h[9] = {H00, H01, H02, H01, H11, H12, H02, H12, H22};
            for (int i = 0; i < 9; i++) H[i] = -h[i];
        }
    }
    return -ll;
}

/* Solve the k x k system m x = b (m overwritten).  0 or -1. */
static int solve(double *m, double *b, int k)
{
    for (int c = 0; c < k; c++) {
        int piv = c;
        for (int r = c + 1; r < k; r++)
            if (fabs(m[r * k + c]) > fabs(m[piv * k + c])) piv = r;
        if (!(fabs(m[piv * k + c]) > 0)) return -1;
        if (piv != c) {
            for (int j = 0; j < k; j++) { double tmp = m[c * k + j]; m[c * k + j] = m[piv * k + j]; m[piv * k + j] = tmp; }
            double tmp = b[c]; b[c] = b[piv]; b[piv] = tmp;
        }
        for (int r = c + 1; r < k; r++) {
            double f = m[r * k + c] / m[c * k + c];
            for (int j = c; j < k; j++) m[r * k + j] -= f * m[c * k + j];
            b[r] -= f * b[c];
        }
    }
    for (int c = k - 1; c >= 0; c--) {
        double s = b[c];
        for (int j = c + 1; j < k; j++) s -= m[c * k + j] * b[j];
        b[c] = s / m[c * k + c];
    }
    return 0;
}

static void hk_phi(const double *th, double *phi)
{
    phi[0] = exp(th[0]);
    phi[1] = 1 / (1 + exp(-th[1]));
    phi[2] = exp(th[2]);
}

/* Damped Newton (Levenberg-Marquardt) on the -log-likelihood in
 * (log mu, logit n, log beta); the first k coordinates move (k = 2: beta
 * held).  Returns the final -log-likelihood (+inf on failure), th updated,
 * *evals the likelihood passes used. */
static double hk_newton(const fit_hawkes_in *in, double *th, int k, int maxit, int *evals)
{
    double phi[3], g[3], H[9], f;
    hk_phi(th, phi);
    f = hk_full(in, phi, g, H, NULL);
    (*evals)++;
    if (!isfinite(f)) return GSL_POSINF;
    double lambda = 1e-3;
    for (int it = 0; it < maxit; it++) {
        double d1[3] = {phi[0], phi[1] * (1 - phi[1]), phi[2]};
        double d2[3] = {phi[0], phi[1] * (1 - phi[1]) * (1 - 2 * phi[1]), phi[2]};
        double gt[3], Ht[9];
        for (int i = 0; i < 3; i++) {
            gt[i] = g[i] * d1[i];
            for (int j = 0; j < 3; j++) Ht[i * 3 + j] = d1[i] * d1[j] * H[i * 3 + j] + (i == j ? g[i] * d2[i] : 0);
        }
        int accepted = 0;
        for (int tries = 0; tries < 30 && !accepted; tries++) {
            double m[9], step[3];
            for (int i = 0; i < k; i++) {
                step[i] = -gt[i];
                for (int j = 0; j < k; j++) m[i * k + j] = Ht[i * 3 + j];
                double dg = fabs(Ht[i * 3 + i]);
                m[i * k + i] += lambda * (dg > 1e-12 ? dg : 1e-12);
            }
            if (solve(m, step, k) != 0) { lambda *= 10; continue; }
            double big = 0, pred = 0;
            for (int i = 0; i < k; i++) big = fabs(step[i]) > big ? fabs(step[i]) : big;
            /* the decrease the quadratic model promises: below the
             * likelihood's rounding noise (x 10), this is the minimum */
            for (int i = 0; i < k; i++) {
                pred -= gt[i] * step[i];
                for (int j2 = 0; j2 < k; j2++) pred -= 0.5 * step[i] * Ht[i * 3 + j2] * step[j2];
            }
            if (pred < 1e-11 * (1 + fabs(f))) return f;
            if (big > 2) /* at most a factor e^2 per step */
                for (int i = 0; i < k; i++) step[i] *= 2 / big;
            double th2[3] = {th[0], th[1], th[2]}, phi2[3], g2[3], H2[9];
            for (int i = 0; i < k; i++) th2[i] += step[i];
            if (fabs(th2[1]) > 40 || th2[2] > 5 || th2[2] < -25) { lambda *= 10; continue; }
            hk_phi(th2, phi2);
            double f2 = hk_full(in, phi2, g2, H2, NULL);
            (*evals)++;
            if (isfinite(f2) && f2 <= f) {
                accepted = 1;
                double df = f - f2;
                memcpy(th, th2, sizeof th2);
                memcpy(phi, phi2, sizeof phi2);
                memcpy(g, g2, sizeof g2);
                memcpy(H, H2, sizeof H2);
                f = f2;
                lambda = lambda > 1e-9 ? lambda / 10 : lambda;
                if (big < 1e-8 || df < 1e-11 * (1 + fabs(f))) return f;
            } else
                lambda *= 10;
        }
        if (!accepted) return f; /* no decrease possible: at the minimum to rounding */
    }
    return f;
}

int fit_hawkes_mle(const fit_hawkes_in *in, fit_hawkes *out, double *p_imm, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    out->se_mu = out->se_n = out->se_beta = NAN;
    size_t counted = 0;
    for (size_t k = 0; k < in->n; k++) counted += !in->count || in->count[k];
    if (counted < 2 || !(in->a_int > 0)) { snprintf(err, errlen, "too few events"); return -1; }
    double th[3];
    int evals = 0;
    if (in->start) {
        th[0] = log(in->start[0]);
        th[1] = log(in->start[1] / (1 - in->start[1]));
        th[2] = log(in->start[2]);
    } else {
        /* scan the reply delay (30 s .. 2.7 h) with (mu, n) fitted on a
         * prefix of at most 100,000 events (its baseline integral pro rata),
         * then refine all three there: the full data start in the best basin */
        fit_hawkes_in sub = *in;
        double *send = NULL;
        if (in->n > 100000) {
            sub.n = 100000;
            size_t c = 0;
            for (size_t k = 0; k < sub.n; k++) c += !in->count || in->count[k];
            sub.a_int = in->a_int * (double)c / (double)counted;
            int32_t ls = in->seg ? in->seg[sub.n - 1] : 0;
            send = malloc(((size_t)ls + 1) * sizeof *send);
            if (!send) { snprintf(err, errlen, "out of memory"); return -1; }
            memcpy(send, in->seg_end, (size_t)ls * sizeof *send);
            send[ls] = in->t[sub.n];
            sub.seg_end = send;
            sub.nseg = ls + 1;
        }
        const double b0[] = {1.0 / 30, 1.0 / 120, 1.0 / 600, 1.0 / 2400, 1.0 / 9600};
        double fbest = GSL_POSINF;
        for (int s = 0; s < 5; s++) {
            double t0[3] = {log((double)counted * 0.7 / in->a_int), log(0.3 / 0.7), log(b0[s])};
            double f = hk_newton(&sub, t0, 2, 30, &evals);
            if (f < fbest) { fbest = f; memcpy(th, t0, sizeof th); }
        }
        if (isfinite(fbest)) hk_newton(&sub, th, 3, 50, &evals);
        free(send);
        if (!isfinite(fbest)) { snprintf(err, errlen, "the likelihood is not finite at any start"); return -1; }
    }
    double f = hk_newton(in, th, 3, in->max_iter > 0 ? in->max_iter : 100, &evals);
    if (!isfinite(f)) {
        /* fall back on GSL's BFGS from the start */
        hk_ctx c = {in, 1.0 / (double)counted, NULL};
        gsl_multimin_function_fdf fn = {hk_f, hk_df, hk_fdf, 3, &c};
        gsl_vector *x = gsl_vector_alloc(3);
        if (!x) { snprintf(err, errlen, "out of memory"); return -1; }
        for (int i = 0; i < 3; i++) gsl_vector_set(x, (size_t)i, th[i]);
        int it = 0;
        if (minimise(&fn, x, 300, 1e-7, &it) == 0) {
            for (int i = 0; i < 3; i++) th[i] = gsl_vector_get(x, (size_t)i);
            f = hk_f(x, &c) * (double)counted;
        }
        gsl_vector_free(x);
        evals += it;
        if (!isfinite(f)) { snprintf(err, errlen, "the optimiser failed"); return -1; }
    }
    double phi[3], g[3], H[9], cov[9];
    hk_phi(th, phi);
    out->mu = phi[0];
    out->n = phi[1];
    out->beta = phi[2];
    f = hk_full(in, phi, g, H, p_imm);
    out->loglik = -f;
    out->iterations = evals;
    if (invert(H, cov, 3) == 0 && cov[0] > 0 && cov[4] > 0 && cov[8] > 0) {
        out->se_mu = sqrt(cov[0]);
        out->se_n = sqrt(cov[4]);
        out->se_beta = sqrt(cov[8]);
    }
    return 0;
}

/* ---- engagement proxy and leaving ---------------------------------------- */

double fit_engagement(double S, double scale) { return scale > 0 ? -expm1(-S / scale) : 0; }

double fit_leave_weight(const fit_leave *lv, const double *mk, int i)
{
    if (!(lv->shape > 0) || !mk) return 1;
    return (lv->shape + mk[2 * i]) / (lv->shape + lv->rate * mk[2 * i + 1]);
}

int fit_leaving(const fit_log *lg, int64_t from, int64_t to, double eng_tau, int gaps, double *npres, double *mk, fit_leave *out)
{
    memset(out, 0, sizeof *out);
    int32_t off = lg->utc_offset;
    int nm = lg->nmem;
    int64_t D0 = epoch_day(from, off), nd = epoch_day(to - 1, off) - D0 + 1;
    if (nd < 1 || !(eng_tau > 0)) return -1;
    /* the proxy's scale: the window's messages per member-day x eng_tau */
    double N = 0, pres = 0;
    for (int64_t k = 0; k < lg->nmsg; k++)
        if (lg->msg[k].ts >= from && lg->msg[k].ts < to && lg->mem[lg->msg[k].mem].role != ROLE_BOT) N++;
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &lg->mem[i];
        if (x->role == ROLE_BOT) continue;
        int64_t s0 = x->joined_ts > from ? x->joined_ts : from, s1 = x->left_ts >= 0 && x->left_ts < to ? x->left_ts : to;
        if (s1 > s0) pres += (double)(s1 - s0 - (gaps && x->ngap ? fit_absent_s(lg, i, s0, s1) : 0)) / DAYS;
    }
    out->eng_scale = pres > 0 && N > 0 ? eng_tau * N / pres : 1;
    double *S = calloc((size_t)nm + 1, sizeof *S), *own = calloc(3 * ((size_t)nm + 1), sizeof *own); /* leaves, days, weight */
    if (!S || !own) { free(S); free(own); return -1; }
    int64_t LD0 = epoch_day(lg->start_ts, off), dfirst = LD0 < D0 ? LD0 : D0, dlast = D0 + nd;
    double decay = exp(-1 / eng_tau), half = exp(-0.5 / eng_tau), esum = 0, slog = 0;
    int64_t k = 0;
    for (int64_t D = dfirst; D < dlast; D++) {
        int64_t d0 = D * 86400 - off, d1 = d0 + 86400;
        if (D >= D0) {
            for (int i = 0; i < nm; i++) {
                const fit_member *x = &lg->mem[i];
                if (x->role == ROLE_BOT || x->joined_ts >= d0 || (x->left_ts >= 0 && x->left_ts < d0)) continue;
                if (gaps && x->ngap && !fit_at_risk_day(lg, i, d0, d1)) continue; /* between two spells */
                if (npres) npres[D - D0] += 1;
                if (x->role != ROLE_MEMBER) continue; /* staff do not leave in the model */
                double e = fit_engagement(S[i], out->eng_scale), q = (1 - e) * (1 - e);
                out->risk_days += 1;
                out->risk_weight += q;
                own[3 * i + 1] += 1;
                own[3 * i + 2] += q;
                esum += e;
                int left = x->left_ts >= 0 && x->left_ts < d1;
                for (int32_t g = gaps ? x->gap : 0; g && !left; g = lg->gap[g - 1].next) left = lg->gap[g - 1].left >= d0 && lg->gap[g - 1].left < d1;
                if (left) {
                    out->leaves += 1;
                    own[3 * i] += 1;
                    slog += log(q > 1e-300 ? q : 1e-300);
                }
            }
        }
        for (int i = 0; i < nm; i++) S[i] *= decay;
        for (; k < lg->nmsg && lg->msg[k].ts < d1; k++)
            if (lg->msg[k].ts >= d0) S[lg->msg[k].mem] += half;
    }
    out->eng_mean = out->risk_days > 0 ? esum / out->risk_days : 0.5;
    if (out->eng_mean < 0.02) out->eng_mean = 0.02;
    /* hazard c (1 - e)^2 against a constant: both Poisson MLEs, one parameter each */
    double L = out->leaves;
    if (L > 0 && out->risk_weight > 0) {
        double ll_proxy = L * log(L / out->risk_weight) + slog - L, ll_const = L * log(L / out->risk_days) - L;
        out->gain = ll_proxy - ll_const;
        out->by_proxy = out->gain > 2;
    }
    /* the members' own multiples: leaves against each one's exposure */
    out->rate = out->by_proxy ? (out->risk_weight > 0 ? L / out->risk_weight : 0) : (out->risk_days > 0 ? L / out->risk_days : 0);
    size_t n = 0;
    for (int i = 0; i < nm; i++) {
        double ex = own[3 * i + (out->by_proxy ? 2 : 1)];
        if (mk) { mk[2 * i] = own[3 * i]; mk[2 * i + 1] = ex; }
        if (ex > 0) { S[n] = own[3 * i]; own[n] = ex; n++; } /* packed in place: slot n <= 3 i */
    }
    fit_gp gp;
    if (n >= 10 && L >= 5 && fit_gamma_poisson(S, own, NULL, n, &gp) == 0 && !gp.shape_at_bound) {
        out->shape = gp.shape;
        out->se_shape = gp.se_shape;
        out->rate = gp.mean;
    }
    free(S);
    free(own);
    return 0;
}
