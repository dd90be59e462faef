/* fit_spells.c -- membership spells in a fitted log: a member who leaves and
 * rejoins is one fit_member spanning its first join to its last leave, with
 * the absences between its spells chained in fit_log.gap.  The estimators
 * and the forecast's state ask here whether a member could speak at a time
 * or on a day, so that an absence counts neither as exposure nor as silence
 * (docs/calibration.md, "Members who leave and come back"). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fit.h"

#define FIT_DAY 86400

static int64_t floor_day(int64_t s) { return s >= 0 ? s / FIT_DAY : -((-s + FIT_DAY - 1) / FIT_DAY); }

static const fit_gap *first_gap(const fit_log *lg, int i) { return lg->mem[i].gap ? &lg->gap[lg->mem[i].gap - 1] : NULL; }
static const fit_gap *next_gap(const fit_log *lg, const fit_gap *g) { return g->next ? &lg->gap[g->next - 1] : NULL; }

int fit_present_at(const fit_log *lg, int i, int64_t t)
{
    const fit_member *x = &lg->mem[i];
    if (t < x->joined_ts || (x->left_ts >= 0 && t >= x->left_ts)) return 0;
    for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g))
        if (t >= g->left && t < g->back) return 0;
    return 1;
}

int fit_at_risk_day(const fit_log *lg, int i, int64_t d0, int64_t d1)
{
    const fit_member *x = &lg->mem[i];
    if (fit_present_at(lg, i, d0)) return 1;
    if (x->left_ts >= d0 && x->left_ts < d1 && x->joined_ts < d1) return 1;
    for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g))
        if ((g->left >= d0 && g->left < d1) || (g->back >= d0 && g->back < d1)) return 1;
    return 0;
}

int64_t fit_absent_s(const fit_log *lg, int i, int64_t a, int64_t b)
{
    int64_t s = 0;
    for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g)) {
        int64_t lo = g->left > a ? g->left : a, hi = g->back < b ? g->back : b;
        if (hi > lo) s += hi - lo;
    }
    return s;
}

int fit_absent_days(const fit_log *lg, int i, int64_t w0, int lo, int hi, const unsigned char *open)
{
    int n = 0;
    for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g)) {
        /* whole days after the day it left and before the day it came back */
        int d0 = (int)floor_day(g->left - w0) + 1, d1 = (int)floor_day(g->back - w0);
        if (d0 < lo) d0 = lo;
        if (d1 > hi) d1 = hi;
        for (int d = d0; d < d1; d++) n += open ? open[d] : 1;
    }
    return n;
}

void fit_member_rejoins(const fit_log *lg, int i, int64_t from, int64_t to, double *k, double *t_days, int64_t *open_from)
{
    const fit_member *x = &lg->mem[i];
    *k = *t_days = 0;
    *open_from = -1;
    for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g)) {
        if (g->left < from || g->left >= to) continue; /* a leave the window did not see */
        if (g->back < to) {
            *k += 1;
            *t_days += (double)(g->back - g->left) / FIT_DAY;
        } else *open_from = g->left;
    }
    if (x->left_ts >= from && x->left_ts < to) *open_from = x->left_ts;
}

void fit_rejoining(const fit_log *lg, int64_t from, int64_t to, fit_rejoin *out)
{
    *out = (fit_rejoin){0, 0, 0, NAN, 0, NAN, 0, 0};
    int nm = lg->nmem;
    double *k = malloc(2 * ((size_t)nm + 1) * sizeof *k), *E = k ? k + nm + 1 : NULL;
    size_t n = 0;
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &lg->mem[i];
        if (x->role == ROLE_BOT || (!x->ngap && !(x->left_ts >= from && x->left_ts < to))) continue;
        double ki, ti;
        int64_t open;
        fit_member_rejoins(lg, i, from, to, &ki, &ti, &open);
        if (open >= 0) {
            ti += (double)(to - open) / FIT_DAY;
            out->formers_end++;
        }
        if (!(ti > 0)) continue;
        out->rejoins += ki;
        out->risk_days += ti;
        if (k) { k[n] = ki; E[n] = ti; }
        n++;
    }
    out->formers = (int)n;
    if (out->risk_days > 0) {
        out->rate = out->rejoins / out->risk_days;
        out->se = out->rejoins > 0 ? sqrt(out->rejoins) / out->risk_days : NAN;
    }
    fit_gp gp;
    if (k && n >= 10 && out->rejoins >= 5 && fit_gamma_poisson(k, E, NULL, n, &gp) == 0 && !gp.shape_at_bound) {
        out->shape = gp.shape;
        out->se_shape = gp.se_shape;
        out->rate = gp.mean;
        if (isfinite(gp.se_mean)) out->se = gp.se_mean;
    }
    free(k);
}

/* x log(x / n) + (n - x) log(1 - x / n): a binomial's maximised log-likelihood */
static double binom_ll(double x, double n)
{
    if (n <= 0) return 0;
    double p = x / n;
    return (x > 0 ? x * log(p) : 0) + (n - x > 0 ? (n - x) * log1p(-p) : 0);
}

int fit_visiting(const fit_log *lg, int64_t w0, int nd, fit_visits *out)
{
    memset(out, 0, sizeof *out);
    if (nd <= 0) return 0;
    int nm = lg->nmem;
    /* the member-days with a message, for the members with absences */
    int32_t *row = malloc(((size_t)nm + 1) * sizeof *row);
    if (!row) return -1;
    int nr = 0;
    for (int i = 0; i < nm; i++) row[i] = lg->mem[i].ngap && lg->mem[i].role != ROLE_BOT ? nr++ : -1;
    unsigned char *spoke = calloc((size_t)nr * (size_t)nd + 1, 1);
    if (!spoke) { free(row); return -1; }
    int64_t w1 = w0 + (int64_t)nd * FIT_DAY;
    for (int64_t k = 0; k < lg->nmsg; k++) {
        const fit_msg *x = &lg->msg[k];
        if (x->ts < w0 || x->ts >= w1 || row[x->mem] < 0) continue;
        spoke[(size_t)row[x->mem] * (size_t)nd + (size_t)((x->ts - w0) / FIT_DAY)] = 1;
    }
    for (int i = 0; i < nm; i++) {
        if (row[i] < 0) continue;
        const fit_member *x = &lg->mem[i];
        const unsigned char *sp = spoke + (size_t)row[i] * (size_t)nd;
        for (int d = 0; d < nd; d++) {
            int64_t a = w0 + (int64_t)d * FIT_DAY, b = a + FIT_DAY;
            int back = 0, whole = a >= x->joined_ts && (x->left_ts < 0 || x->left_ts >= b);
            for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g)) {
                if (g->back >= a && g->back < b) back = 1;
                if (g->left < b && g->back > a) whole = 0;
            }
            if (back) { out->back_days += 1; out->back_active += sp[d]; }
            else if (whole) { out->days += 1; out->active += sp[d]; }
        }
    }
    free(spoke);
    free(row);
    out->llr = binom_ll(out->back_active, out->back_days) + binom_ll(out->active, out->days) -
               binom_ll(out->back_active + out->active, out->back_days + out->days);
    /* members who come and go within a day are never present a whole day:
     * visits by their nature */
    out->visits = (out->back_days >= 10 && out->days == 0) ||
                  (out->back_days > 0 && out->days > 0 && out->back_active / out->back_days > out->active / out->days && out->llr > 2);
    return 0;
}
