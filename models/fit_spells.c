/* fit_spells.c -- membership spells in a fitted log: a member who leaves and
 * rejoins is one fit_member spanning its first join to its last leave, with
 * the absences between its spells chained in fit_log.gap.  The estimators
 * and the forecast's state ask here whether a member could speak at a time
 * or on a day, so that an absence counts neither as exposure nor as silence
 * (docs/calibration.md, "Members who leave and come back"). */
#include <math.h>

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

void fit_rejoining(const fit_log *lg, int64_t from, int64_t to, fit_rejoin *out)
{
    *out = (fit_rejoin){0, 0, 0, NAN, 0};
    for (int i = 0; i < lg->nmem; i++) {
        const fit_member *x = &lg->mem[i];
        if (x->role == ROLE_BOT) continue;
        for (const fit_gap *g = first_gap(lg, i); g; g = next_gap(lg, g)) {
            if (g->left < from || g->left >= to) continue; /* a leave the window did not see */
            int64_t end = g->back < to ? g->back : to;
            out->risk_days += (double)(end - g->left) / FIT_DAY;
            out->rejoins += g->back < to;
            if (g->back >= to) out->formers_end++;
        }
        if (x->left_ts >= from && x->left_ts < to) {
            out->risk_days += (double)(to - x->left_ts) / FIT_DAY;
            out->formers_end++;
        }
    }
    if (out->risk_days > 0) {
        out->rate = out->rejoins / out->risk_days;
        out->se = out->rejoins > 0 ? sqrt(out->rejoins) / out->risk_days : NAN;
    }
}
