/* fit.c -- calibration of the community model's baseline from a live log
 * (fit_run): the window, the hour and weekday profiles, the rounds of
 * Hawkes fits that tell own posts from replies, and the classic model's
 * settings; fit_second.c adds the second model's.  The log is fit_log.c's,
 * the estimators are fit_est.c's and the scenario file fit_write.c's, so
 * that this file holds only what a calibration decides.  Definitions and
 * their approximations: docs/calibration.md. */
#include "fit.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fit_internal.h"

#define ENG_K 1e4          /* concentration of the written engagement Beta */
#define PATIENCE_H 24.0    /* questions.patience written (the model's default) */

/* ---- the whole calibration ---------------------------------------------- */

void fit_opts_init(fit_opts *o)
{
    memset(o, 0, sizeof *o);
    o->eng_tau = 14;
    o->hawkes_max = 2000000;
}

const fit_value *fit_get(const fit_result *r, const char *path)
{
    for (int i = 0; i < r->nval; i++)
        if (!strcmp(r->val[i].path, path)) return &r->val[i];
    return NULL;
}

static fit_value *put(fit_result *r, const char *path, double v, double se, int kind, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static fit_value *put(fit_result *r, const char *path, double v, double se, int kind, const char *fmt, ...)
{
    if (r->nval == FIT_MAX_VALUES) return NULL;
    fit_value *x = &r->val[r->nval++];
    x->path = path;
    x->v = v;
    x->se = se;
    x->kind = kind;
    x->integer = 0;
    x->note[0] = 0;
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->note, sizeof x->note, fmt, ap);
        va_end(ap);
    }
    return x;
}

static void win_profile(win *w)
{
    w->P[0] = 0;
    for (int d = 0; d < w->nd; d++) w->P[d + 1] = w->P[d] + w->W[win_wd(w, d)];
}

/* Activity-weighted days from the window's start to ts (clamped). */
static double win_cum(const win *w, int64_t ts)
{
    if (ts <= w->from) return 0;
    if (ts >= w->to) return w->P[w->nd];
    int d = win_day(w, ts);
    if (d < 0) return 0;
    if (d >= w->nd) return w->P[w->nd];
    int64_t s = ts + w->off - (w->D0 + d) * 86400;
    int h = (int)(s / 3600);
    double in = 0;
    for (int k = 0; k < h; k++) in += w->D[k];
    in += w->D[h] * (double)(s - 3600 * h) / 3600.0;
    return w->P[d] + w->W[win_wd(w, d)] * in / 24.0;
}

/* Ratio estimator share y_h / y and its standard error clustered by day
 * (rows: days, cols: categories), for the profiles. */
static void cluster_shares(const double *y, int nd, int nc, double *share, double *se)
{
    double tot = 0;
    for (int i = 0; i < nd * nc; i++) tot += y[i];
    for (int c = 0; c < nc; c++) {
        double s = 0;
        for (int d = 0; d < nd; d++) s += y[d * nc + c];
        share[c] = tot > 0 ? s / tot : 0;
    }
    for (int c = 0; c < nc; c++) {
        double v = 0;
        for (int d = 0; d < nd; d++) {
            double yd = 0;
            for (int k = 0; k < nc; k++) yd += y[d * nc + k];
            double r = y[d * nc + c] - share[c] * yd;
            v += r * r;
        }
        se[c] = tot > 0 && nd > 1 ? sqrt(v * nd / (nd - 1.0)) / tot : NAN;
    }
}

/* Daily (by hour) and weekly profiles from weighted message counts y[d*24+h]. */
static void profiles(const double *y, win *w, fit_result *r)
{
    double share[24], se[24];
    cluster_shares(y, w->nd, 24, share, se);
    for (int h = 0; h < 24; h++) {
        r->daily[h] = 24 * share[h];
        r->daily_se[h] = 24 * se[h];
    }
    /* weekday factors: mean count of each weekday's days over the mean of
     * those means; standard errors from the residual variance pooled over
     * all days (8 Mondays give too rough a variance of their own) */
    double sum[7] = {0}, res2 = 0;
    int cnt[7] = {0};
    for (int d = 0; d < w->nd; d++) {
        double t = 0;
        for (int h = 0; h < 24; h++) t += y[d * 24 + h];
        sum[win_wd(w, d)] += t;
        cnt[win_wd(w, d)]++;
    }
    for (int d = 0; d < w->nd; d++) {
        double t = 0;
        for (int h = 0; h < 24; h++) t += y[d * 24 + h];
        int k = win_wd(w, d);
        res2 += (t - sum[k] / cnt[k]) * (t - sum[k] / cnt[k]);
    }
    int nw = 0;
    double mean = 0, pooled = w->nd > 7 ? res2 / (w->nd - 7) : NAN;
    for (int k = 0; k < 7; k++)
        if (cnt[k]) { mean += sum[k] / cnt[k]; nw++; }
    mean = nw ? mean / nw : 0;
    for (int k = 0; k < 7; k++) {
        double mk = cnt[k] ? sum[k] / cnt[k] : mean;
        r->weekly[k] = mean > 0 ? mk / mean : 1;
        r->weekly_se[k] = mean > 0 && cnt[k] > 0 && pooled >= 0 ? sqrt(pooled / cnt[k]) / mean : NAN;
    }
    for (int h = 0; h < 24; h++) w->D[h] = r->daily[h];
    for (int k = 0; k < 7; k++) w->W[k] = r->weekly[k];
}

static int ident_fail(const fit_opts *o, char *err, size_t errlen, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int ident_fail(const fit_opts *o, char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    (void)o;
    char why[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    snprintf(err, errlen, "setting \"%s\": cannot be identified: %s", path, why);
    return FIT_EIDENT;
}

int fit_run(const fit_log *log, const fit_opts *opt, fit_result *r, char *err, size_t errlen)
{
    fit_opts od;
    if (!opt) { fit_opts_init(&od); opt = &od; }
    memset(r, 0, sizeof *r);
    win w;
    memset(&w, 0, sizeof w);
    w.off = log->utc_offset;
    w.from = opt->from_ts ? opt->from_ts : log->start_ts;
    w.to = opt->to_ts ? opt->to_ts : log->start_ts + (int64_t)log->days * 86400;
    w.D0 = epoch_day(w.from, w.off);
    w.nd = (int)(epoch_day(w.to - 1, w.off) - w.D0 + 1);
    r->from_ts = w.from;
    r->to_ts = w.to;
    r->days = w.nd > 0 ? w.nd : 0;
    r->eng_tau = opt->eng_tau > 0 ? opt->eng_tau : 14;
    if (w.to <= w.from || w.nd < 7)
        return ident_fail(opt, err, errlen, "cadence.weekly",
                          "the log covers %d day(s); at least 7 are needed (a weekly profile, and enough days for every other setting)",
                          r->days);

    /* the window's messages by members who are not bots */
    int64_t lo = 0, hi = log->nmsg;
    while (lo < hi) { int64_t mid = (lo + hi) / 2; if (log->msg[mid].ts < w.from) lo = mid + 1; else hi = mid; }
    int64_t first = lo;
    hi = log->nmsg;
    while (lo < hi) { int64_t mid = (lo + hi) / 2; if (log->msg[mid].ts < w.to) lo = mid + 1; else hi = mid; }
    int64_t last = lo;
    int64_t N = 0, nmarked = 0, nanswers_linked = 0;
    for (int64_t k = first; k < last; k++) {
        const fit_msg *x = &log->msg[k];
        if (log->mem[x->mem].role == ROLE_BOT) continue;
        N++;
        nmarked += x->marked;
        nanswers_linked += x->marked && x->kind == EV_ANSWER;
    }
    r->messages = N;
    if (N < 50)
        return ident_fail(opt, err, errlen, "members.rate_mean",
                          "only %lld message(s) in %d days; at least 50 are needed to fit members.rate_mean, members.rate_shape, "
                          "cadence.daily, replies.branching and replies.decay",
                          (long long)N, r->days);

    int rc = -1;
    size_t nn = (size_t)N;
    double *t = malloc(nn * sizeof *t), *a = malloc(nn * sizeof *a), *p = malloc(nn * sizeof *p);
    int32_t *seg = malloc(nn * sizeof *seg), *dayof = malloc(nn * sizeof *dayof);
    unsigned char *count = malloc(nn), *kind = malloc(nn), *hour = malloc(nn);
    double *y = calloc((size_t)w.nd * 24, sizeof *y), *cday = calloc((size_t)w.nd, sizeof *cday), *L = calloc((size_t)w.nd, sizeof *L);
    w.P = malloc((size_t)(w.nd + 1) * sizeof *w.P);
    double *seg_end = malloc((size_t)(w.nd + 1) * sizeof *seg_end);
    int nm = log->nmem;
    double *kk = calloc((size_t)nm + 1, sizeof *kk), *EE = calloc((size_t)nm + 1, sizeof *EE), *S = calloc((size_t)nm + 1, sizeof *S);
    double *pres = calloc((size_t)nm + 1, sizeof *pres), *outside = calloc((size_t)nm + 1, sizeof *outside);
    unsigned char *tr = calloc((size_t)nm + 1, 1);
    double *npres = calloc((size_t)w.nd + 1, sizeof *npres);
    if (!t || !a || !p || !seg || !dayof || !hour || !count || !kind || !y || !cday || !L || !w.P || !seg_end || !kk || !EE || !S ||
        !outside || !tr || !npres) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    int answers_marked = 0;
    for (int64_t q = 0; q < log->nq; q++) answers_marked |= log->q[q].answer_ts >= 0;
    r->answers_marked = answers_marked && nanswers_linked > 0;
    {
        size_t j = 0;
        for (int64_t k = first; k < last; k++) {
            const fit_msg *x = &log->msg[k];
            if (log->mem[x->mem].role == ROLE_BOT) continue;
            t[j] = (double)(x->ts - w.from);
            int d = win_day(&w, x->ts), h = (int)((x->ts + w.off - (w.D0 + d) * 86400) / 3600);
            dayof[j] = d;
            hour[j] = (unsigned char)h;
            kind[j] = x->kind;
            /* linked answers come from their own process (questions.answer_rate) */
            count[j] = !(r->answers_marked && x->kind == EV_ANSWER && x->marked);
            y[d * 24 + h] += 1;
            cday[d] += 1;
            j++;
        }
    }
    profiles(y, &w, r);
    win_profile(&w);

    /* Hawkes: baseline mu x hour x weekday x the day's level (the mean of
     * the weekday-adjusted message counts of the 3 days before and after:
     * slow trends and membership changes are not taken for excitation).  Above hawkes_max
     * messages the fit uses every stride-th whole week (each week a segment
     * of its own). */
    int stride = 1;
    if (opt->hawkes_max > 0 && N > opt->hawkes_max) stride = (int)((N + opt->hawkes_max - 1) / opt->hawkes_max);
    if (stride > 1 && w.nd / 7 < 2 * stride) stride = 1;
    int nseg = 1;
    {
        size_t m = 0;
        for (size_t j = 0; j < nn; j++) {
            int wk = dayof[j] / 7;
            if (stride > 1 && wk % stride) continue;
            t[m] = t[j];
            hour[m] = hour[j];
            count[m] = count[j];
            dayof[m] = dayof[j];
            kind[m] = kind[j];
            seg[m] = stride > 1 ? wk / stride : 0;
            m++;
        }
        nn = m;
        double midnight = (double)(w.from + w.off - w.D0 * 86400); /* seconds of the window's start past local midnight */
        if (stride > 1) {
            nseg = (w.nd / 7) / stride + 1;
            for (int sgi = 0; sgi < nseg; sgi++) {
                double end = (double)(sgi * stride * 7 + 7) * DAYS;
                if (end > (double)w.nd * DAYS) end = (double)w.nd * DAYS;
                seg_end[sgi] = end - midnight;
            }
        } else
            seg_end[0] = (double)(w.to - w.from);
        r->hawkes_days = 0;
        for (int d = 0; d < w.nd; d++) r->hawkes_days += !(stride > 1 && (d / 7) % stride);
    }
    /* Rounds: fit (mu, n, beta) with the profile held, then re-estimate the
     * profile from the immigrants (each message weighted by its probability
     * of being one: the EM step of the profile's levels, over-relaxed by
     * OMEGA as EM creeps here), until (n, beta) settle; then a full fit at
     * that profile.  The fixed point is the joint maximum likelihood: with
     * two rounds only, n came out 2% low on simulated logs. */
    const double OMEGA = 1.5;
    double nprev = -1, bprev = -1;
    int hk_failed = 0;
    int final = 0;
    for (int round = 0; round < 60; round++) {
        double Lsum = 0;
        for (int d = 0; d < w.nd; d++) {
            double s = 0;
            int c = 0;
            for (int e = d - 3; e <= d + 3; e++) /* the day itself left out: its own bursts are not its baseline */
                if (e >= 0 && e < w.nd && (e != d || w.nd == 1)) { s += cday[e] / w.W[win_wd(&w, e)]; c++; }
            L[d] = c ? s / c : 0;
            Lsum += L[d];
        }
        double Lmean = Lsum > 0 ? Lsum / w.nd : 1, a_int = 0;
        for (size_t j = 0; j < nn; j++) {
            a[j] = w.D[hour[j]] * w.W[win_wd(&w, dayof[j])] * L[dayof[j]] / Lmean;
            if (!(a[j] > 1e-12)) a[j] = 1e-12;
        }
        for (int d = 0; d < w.nd; d++)
            if (!(stride > 1 && (d / 7) % stride)) a_int += DAYS * w.W[win_wd(&w, d)] * L[d] / Lmean;
        double st3[3] = {r->hawkes.mu, r->hawkes.n, r->hawkes.beta};
        fit_hawkes_in in = {round ? st3 : NULL, t, a, count, r->replies_marked ? kind : NULL, seg, seg_end, nseg, nn, a_int,
                            round == 0 || final ? 0 : 3};
        char herr[200];
        if (fit_hawkes_mle(&in, &r->hawkes, p, herr, sizeof herr) != 0) {
            if (!opt->classic) { /* the second model needs the Hawkes fit for the reply delay only */
                memset(&r->hawkes, 0, sizeof r->hawkes);
                r->hawkes.se_n = r->hawkes.se_beta = NAN;
                hk_failed = 1;
                break;
            }
            rc = ident_fail(opt, err, errlen, "replies.branching", "the self-exciting process could not be fitted (%s)", herr);
            goto out;
        }
        if (final) break;
        if (round == 0) {
            /* Replies linked in the log (most of the excitation is marked):
             * then the model's convention holds that a question starts no
             * generic burst (its follow-up is the answer process), and the
             * branching ratio is fitted over the other messages.  `kind`
             * becomes the excitation flag. */
            r->replies_marked = r->hawkes.n > 0.02 && (double)nmarked >= 0.5 * r->hawkes.n * (double)N;
            if (r->replies_marked) {
                /* the immigrants are known: the profile is that of the own
                 * posts (all of the window's), and one more fit at it is final */
                memset(y, 0, (size_t)w.nd * 24 * sizeof *y);
                for (int64_t k2 = first; k2 < last; k2++) {
                    const fit_msg *x = &log->msg[k2];
                    if (log->mem[x->mem].role == ROLE_BOT || x->kind == EV_REPLY || x->kind == EV_ANSWER) continue;
                    int d = win_day(&w, x->ts);
                    y[d * 24 + (int)((x->ts + w.off - (w.D0 + d) * 86400) / 3600)] += 1;
                }
                profiles(y, &w, r);
                win_profile(&w);
                for (size_t j = 0; j < nn; j++) kind[j] = kind[j] != EV_QUESTION;
                final = 1;
                continue;
            }
        }
        /* with a subsample the full-data profile stays: one more fit if the flags changed */
        if (stride > 1) {
            if (!r->replies_marked) break;
            final = 1;
            continue;
        }
        if (round > 1 && fabs(r->hawkes.n - nprev) < 2e-5 && fabs(r->hawkes.beta / bprev - 1) < 2e-4) {
            final = 1;
            continue;
        }
        nprev = r->hawkes.n;
        bprev = r->hawkes.beta;
        double D0v[24], W0v[7];
        memcpy(D0v, w.D, sizeof D0v);
        memcpy(W0v, w.W, sizeof W0v);
        memset(y, 0, (size_t)w.nd * 24 * sizeof *y);
        for (size_t j = 0; j < nn; j++)
            if (count[j]) y[dayof[j] * 24 + hour[j]] += p[j];
        profiles(y, &w, r);
        if (round > 0) { /* over-relaxed step, kept positive, means 1 */
            double sd = 0, sw = 0;
            for (int h = 0; h < 24; h++) {
                double v = D0v[h] + OMEGA * (r->daily[h] - D0v[h]);
                r->daily[h] = v > 0.2 * r->daily[h] ? v : r->daily[h];
                sd += r->daily[h] / 24;
            }
            for (int k2 = 0; k2 < 7; k2++) {
                double v = W0v[k2] + OMEGA * (r->weekly[k2] - W0v[k2]);
                r->weekly[k2] = v > 0.2 * r->weekly[k2] ? v : r->weekly[k2];
                sw += r->weekly[k2] / 7;
            }
            for (int h = 0; h < 24; h++) w.D[h] = r->daily[h] /= sd > 0 ? sd : 1;
            for (int k2 = 0; k2 < 7; k2++) w.W[k2] = r->weekly[k2] /= sw > 0 ? sw : 1;
        }
        win_profile(&w);
    }
    const fit_hawkes *hk = &r->hawkes;
    double n_hat = hk->n;
    if (!r->replies_marked && n_hat < 1) {
        /* declustered weights move with the counts they weigh: the day-
         * clustered errors, taken as if the weights were fixed, are
         * widened by 1 / (1 - n) (docs/calibration.md) */
        for (int h = 0; h < 24; h++) r->daily_se[h] /= 1 - n_hat;
        for (int k = 0; k < 7; k++) r->weekly_se[k] /= 1 - n_hat;
    }

    /* own posts: linked replies/answers left out, or (1 - n) of every
     * message (declustering each message by its immigrant probability was
     * tried: it moved rate_shape by 1%).  Questions and submissions are own
     * posts in the model, linked or not. */
    double wall = r->replies_marked ? 1 : 1 - n_hat, own = 0, qn = 0, ugc = 0;
    for (int64_t k = first; k < last; k++) {
        const fit_msg *x = &log->msg[k];
        if (log->mem[x->mem].role == ROLE_BOT) continue;
        double wk = r->replies_marked ? (x->kind == EV_REPLY || x->kind == EV_ANSWER ? 0 : 1) : wall;
        kk[x->mem] += wk;
        own += wk;
        qn += x->kind == EV_QUESTION;
        ugc += x->kind == EV_SUBMISSION;
    }
    for (int64_t k = 0; k < log->nmsg; k++)
        if (log->msg[k].ts < w.from || log->msg[k].ts >= w.to) outside[log->msg[k].mem] += 1;
    r->own_posts = own;

    /* exposures (activity-weighted days present in the window); the days
     * between two spells are none unless absences are visits (fit_visiting),
     * or the classic model (which knew no spells) */
    if (!opt->classic && fit_visiting(log, w.from, w.nd, &r->visits) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
    int gaps = !opt->classic && !r->visits.visits;
    int nseed = 0, seed_zero = 0;
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &log->mem[i];
        if (x->role == ROLE_BOT) continue;
        int64_t s0 = x->joined_ts > w.from ? x->joined_ts : w.from;
        int64_t s1 = x->left_ts >= 0 && x->left_ts < w.to ? x->left_ts : w.to;
        if (s1 <= s0) continue;
        EE[i] = win_cum(&w, s1) - win_cum(&w, s0);
        for (int32_t g = gaps ? x->gap : 0; g; g = log->gap[g - 1].next) { /* not between two spells */
            const fit_gap *gp = &log->gap[g - 1];
            int64_t g0 = gp->left > s0 ? gp->left : s0, g1 = gp->back < s1 ? gp->back : s1;
            if (g1 > g0) EE[i] -= win_cum(&w, g1) - win_cum(&w, g0);
        }
        if (x->source == SRC_SEED) {
            nseed++;
            seed_zero += kk[i] + outside[i] == 0;
        }
    }
    /* a log that shows only members who spoke (seed members with no zero
     * count): zero-truncated likelihood for those seen only in the window */
    r->truncated = nseed >= 20 && seed_zero == 0 && strcmp(log->source, "sim") != 0;
    if (r->truncated)
        for (int i = 0; i < nm; i++) tr[i] = log->mem[i].source == SRC_SEED && outside[i] == 0;
    for (int i = 0; i < nm; i++) r->members_used += EE[i] > 0;
    if (r->members_used < 10) {
        rc = ident_fail(opt, err, errlen, "members.rate_shape", "only %d member(s) present in the window; at least 10 are needed", r->members_used);
        goto out;
    }
    if (fit_gamma_poisson(kk, EE, r->truncated ? tr : NULL, (size_t)nm, &r->rates) != 0) {
        rc = ident_fail(opt, err, errlen, "members.rate_shape", "the gamma-Poisson fit of the posting rates did not converge");
        goto out;
    }

    /* engagement proxy and leaving */
    {
        fit_leave lv;
        if (fit_leaving(log, w.from, w.to, r->eng_tau, gaps, npres, NULL, &lv) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
        r->leave = lv;
        r->eng_scale = lv.eng_scale;
        r->eng_mean = lv.eng_mean;
        r->leaves = lv.leaves;
        r->risk_days = lv.risk_days;
        r->risk_weight = lv.risk_weight;
    }
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &log->mem[i];
        if (x->role != ROLE_BOT && x->source != SRC_SEED && x->joined_ts >= w.from && x->joined_ts < w.to) r->joins += 1;
        if (x->joined_ts < w.to && (x->left_ts < 0 || x->left_ts >= w.to)) {
            if (x->role == ROLE_BOT) r->bots++;
            else if (x->role == ROLE_ADMIN) r->admins++;
            else if (x->role == ROLE_KOL) r->kols++;
            else if (x->role == ROLE_OWNER) r->has_owner = 1;
            r->present_end++;
        }
    }

    /* ---- the settings ---- */
    const double e = r->eng_mean;
    fit_value *v;
    int size = r->present_end;
    if (size < 2) size = 2;
    if (size > 500) size = 500;
    v = put(r, "group.size", size, NAN, FIT_V_DERIVED, "members present at the end of the window%s",
            r->present_end > 500 ? " (more than the platform's 500: capped)" : "");
    v->integer = 1;
    v = put(r, "group.cap", 500, NAN, FIT_V_FIXED, "platform cap");
    v->integer = 1;
    v = put(r, "group.admins", r->admins > 3 ? 3 : r->admins, NAN, FIT_V_DERIVED, "admins present at the end");
    v->integer = 1;
    v = put(r, "group.kols", r->kols > 100 ? 100 : r->kols, NAN, FIT_V_DERIVED, "KOLs present at the end");
    v->integer = 1;
    v = put(r, "group.bots", r->bots > 10 ? 10 : r->bots, NAN, FIT_V_DERIVED, "bots present at the end (never speakers)");
    v->integer = 1;
    {
        int staff = 1 + r->admins + r->kols + r->bots;
        if (staff > size) r->val[0].v = staff > 500 ? 500 : staff;
    }
    put(r, "members.rate_mean", r->rates.mean / e, r->rates.se_mean / e, FIT_V_DERIVED,
        "observed own posts/day %.4g +/- %.2g (gamma-Poisson MLE, %d members%s) / engagement %.3g", r->rates.mean, r->rates.se_mean,
        r->rates.units, r->truncated ? ", zero-truncated: the log shows only members who spoke" : "", e);
    if (r->rates.shape_at_bound)
        put(r, "members.rate_shape", FIT_SHAPE_MAX, NAN, FIT_V_FITTED, "no detectable heterogeneity of rates: shape at its bound");
    else
        put(r, "members.rate_shape", r->rates.shape, r->rates.se_shape, FIT_V_FITTED, "gamma shape of the rates (MLE)");
    put(r, "members.engagement_a", e * ENG_K, NAN, FIT_V_DERIVED, "engagement of newcomers ~ %.3g: the mean engagement proxy", e);
    put(r, "members.engagement_b", (1 - e) * ENG_K, NAN, FIT_V_DERIVED, NULL);
    put(r, "members.belonging_tau", 1e9, NAN, FIT_V_FIXED, "belonging does not decay: the observed level is the baseline");
    put(r, "members.belonging_init", 1, NAN, FIT_V_FIXED, "engagement relaxes back to where it started");
    put(r, "members.silent_below", 0, NAN, FIT_V_FIXED, "lurking is in the rates");
    if (r->leaves > 0 && r->leave.by_proxy) {
        double lr = r->leaves / r->risk_weight, se = sqrt(r->leaves) / r->risk_weight;
        put(r, "members.leave_rate", lr > 10 ? 10 : lr, se, FIT_V_FITTED,
            "%.0f leaves in %.0f member-days: hazard x (1 - engagement)^2 (Poisson MLE; quiet members leave more: "
            "log-likelihood %.1f above a constant hazard %.3g/day)",
            r->leaves, r->risk_days, r->leave.gain, r->leaves / r->risk_days);
    } else if (r->leaves > 0) {
        double c = (1 - e) * (1 - e), lr = r->leaves / r->risk_days / c, se = sqrt(r->leaves) / r->risk_days / c;
        put(r, "members.leave_rate", lr > 10 ? 10 : lr, se, FIT_V_FITTED,
            "%.0f leaves in %.0f member-days: constant hazard %.3g/day (Poisson MLE) at engagement %.3g (leaving does not "
            "follow the engagement proxy: log-likelihood %+.1f; forecasts give every member the mean engagement)",
            r->leaves, r->risk_days, r->leaves / r->risk_days, e, r->leave.gain);
    } else
        put(r, "members.leave_rate", 0, NAN, FIT_V_FITTED, "no leaves in %.0f member-days (95%% upper bound %.3g)", r->risk_days,
            r->risk_weight > 0 ? 3.0 / r->risk_weight : NAN);
    double qs = own > 0 ? qn / own : 0, us = own - qn > 0 ? ugc / (own - qn) : 0;
    if (qs > 1) qs = 1;
    if (us > 1) us = 1;
    put(r, "members.question_share", qs, own > 0 ? sqrt(qs * (1 - qs) / own) : NAN, FIT_V_FITTED, "questions / own posts%s",
        r->replies_marked ? "" : " ((1 - n) of the messages)");
    put(r, "members.ugc_share", us, own - qn > 0 && ugc > 0 ? sqrt(us * (1 - us) / (own - qn)) : NAN, FIT_V_FITTED,
        ugc > 0 ? "submissions / other own posts" : "no submissions in the log");
    put(r, "members.mute_rate", 0, NAN, FIT_V_FIXED, "overload is in the observed rates");
    put(r, "members.overload_leave", 0, NAN, FIT_V_FIXED, NULL);

    /* replies */
    int excitation = hk->n >= 0.01 && isfinite(hk->se_n) && hk->n >= 2 * hk->se_n;
    if (hk->n >= 0.99 && opt->classic) {
        rc = ident_fail(opt, err, errlen, "replies.branching", "the fitted branching ratio %.3g is explosive (>= 0.99)", hk->n);
        goto out;
    }
    if (!excitation && !opt->partial && opt->classic) {
        rc = ident_fail(opt, err, errlen, "replies.decay",
                        "no reply structure in the log (branching ratio %.3g +/- %.2g): the delay of replies is not identified "
                        "(--partial keeps the model's default)",
                        hk->n, hk->se_n);
        goto out;
    }
    char sub[80] = "";
    if (r->hawkes_days < w.nd) snprintf(sub, sizeof sub, "; fitted on %d of %d days (whole weeks)", r->hawkes_days, w.nd);
    if (r->replies_marked)
        put(r, "replies.branching", hk->n, hk->se_n, FIT_V_FITTED, "Hawkes MLE: replies per message (questions start none)%s", sub);
    else {
        /* unlinked: the fitted ratio is over every message, questions included,
         * whose follow-up the model draws from the answer process (off here) */
        double qm = 0;
        for (size_t j = 0; j < nn; j++) qm += kind[j] == EV_QUESTION;
        double f = nn > qm ? (double)nn / ((double)nn - qm) : 1;
        if (hk->n * f >= 0.99 && opt->classic) {
            rc = ident_fail(opt, err, errlen, "replies.branching", "the fitted branching ratio %.3g is explosive (>= 0.99)", hk->n * f);
            goto out;
        }
        put(r, "replies.branching", hk->n * f, hk->se_n * f, FIT_V_FITTED,
            "Hawkes MLE %.3g per message, over the %.0f%% that are not questions%s", hk->n, 100 / f, sub);
    }
    if (excitation)
        put(r, "replies.decay", 1 / hk->beta / 60, hk->se_beta / (hk->beta * hk->beta) / 60, FIT_V_FITTED,
            "mean reply delay, minutes (Hawkes MLE)");
    else
        put(r, "replies.decay", 10, NAN, FIT_V_DEFAULT, "not identified (no reply structure): the model's default");
    put(r, "replies.boost", 0, NAN, FIT_V_FIXED, "the effect of being answered is in the observed rates");
    put(r, "replies.responder_boost", 0, NAN, FIT_V_FIXED, NULL);

    /* answers */
    if (r->answers_marked) {
        double answered = 0, expo = 0, wsum = 0;
        int nq = 0;
        for (int64_t q = 0; q < log->nq; q++) {
            const fit_question *x = &log->q[q];
            if (x->ts < w.from || x->ts >= w.to || log->mem[x->mem].role == ROLE_BOT) continue;
            int64_t end = x->ts + (int64_t)(PATIENCE_H * 3600);
            int ans = x->answer_ts >= 0 && x->answer_ts < end;
            if (ans) end = x->answer_ts;
            if (end > w.to) { end = w.to; ans = ans && x->answer_ts < w.to; }
            answered += ans;
            expo += (win_cum(&w, end) - win_cum(&w, x->ts)) * 24;
            int d = win_day(&w, x->ts);
            wsum += (npres[d] > 1 ? npres[d] - 1 : 1) * e;
            nq++;
        }
        double lam = expo > 0 ? answered / expo : 0, wbar = nq ? wsum / nq : 1;
        put(r, "questions.answer_rate", lam / wbar, answered > 0 ? lam / wbar / sqrt(answered) : NAN, FIT_V_FITTED,
            "%.0f of %d questions answered within %g h: hazard per hour / (members present x engagement)", answered, nq, PATIENCE_H);
    } else
        put(r, "questions.answer_rate", 0, NAN, FIT_V_FIXED,
            "answers are not linked in this log: they are part of replies.branching (response-time metrics are then not forecast)");
    put(r, "questions.patience", PATIENCE_H, NAN, FIT_V_FIXED, NULL);
    put(r, "questions.boost", 0, NAN, FIT_V_FIXED, NULL);
    put(r, "joins.rate", r->joins / w.nd, r->joins > 0 ? sqrt(r->joins) / w.nd : NAN, FIT_V_FITTED, "%.0f joins in %d days (Poisson MLE%s)",
        r->joins, w.nd, r->joins > 0 ? "" : "; 95% upper bound 3 / days");
    put(r, "joins.qr_share", 0, NAN, FIT_V_FIXED, "every joiner gets in (QR limits are in the observed inflow)");
    put(r, "roles.welcome_prob", 0, NAN, FIT_V_FIXED, "staff messages are in the observed rates");
    put(r, "roles.kol_topics", 0, NAN, FIT_V_FIXED, NULL);
    put(r, "roles.bot_stats_hour", -1, NAN, FIT_V_FIXED, NULL);
    if (!opt->classic && (rc = fit_second(log, &w, first, last, hk_failed, r, err, errlen)) != 0) goto out;
    rc = 0;
out:
    free(t); free(a); free(p); free(seg); free(dayof); free(hour); free(count); free(kind);
    free(y); free(cday); free(L); free(w.P); free(seg_end);
    free(kk); free(EE); free(S); free(outside); free(tr); free(npres);
    return rc;
}
