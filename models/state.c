/* state.c -- the observed state of a group at a date for a forecast: the
 * members present, their roles and join times, engagement from the proxy
 * of fit.h, and each one's own-post rate as a gamma posterior (the
 * scenario's prior updated by its discounted count over its discounted,
 * activity-weighted exposure). */
#include "state.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


void state_opts_init(state_opts *o)
{
    o->eng_tau = 14;
    o->memory = 56;
    o->eng_floor = 0.05;
    o->engagement = STATE_ENG_AUTO;
    o->classic = 0;
    o->from_ts = 0;
}

void state_prior_from(const com_params *p, state_prior *out)
{
    double ea = p->members.eng_a, eb = p->members.eng_b;
    out->shape = p->members.rate_shape;
    out->mean = p->members.rate_mean * (ea + eb > 0 ? ea / (ea + eb) : 1);
    out->branching = p->replies.branching;
    out->reply_shape = p->members.reply_shape;
    out->eng_mean = ea + eb > 0 ? ea / (ea + eb) : 0.5;
    /* the members present: the history's Betas when calibrate wrote them */
    int hist = p->members.hact_a > 0 && p->members.hdrop_a > 0;
    out->act_a = hist ? p->members.hact_a : p->members.act_a;
    out->act_b = hist ? p->members.hact_b : p->members.act_b;
    out->drop_a = hist ? p->members.hdrop_a : p->members.drop_a;
    out->drop_b = hist ? p->members.hdrop_b : p->members.drop_b;
    out->silent_speak = p->members.silent_speak;
    out->rejoin = p->members.rejoin_rate;
    out->leave_shape = p->members.leave_shape;
    for (int h = 0; h < 24; h++) out->daily[h] = h < p->cadence.daily.n ? p->cadence.daily.v[h] : 1;
    for (int k = 0; k < 7; k++) out->weekly[k] = k < p->cadence.weekly.n ? p->cadence.weekly.v[k] : 1;
}

void state_free(com_init *s)
{
    if (!s) return;
    free((void *)s->m);
    free(s);
}

static int64_t eday(int64_t ts, int32_t off)
{
    int64_t x = ts + off;
    return x >= 0 ? x / 86400 : -((-x + 86399) / 86400);
}

/* Share of day D's activity (mean 1 over the day) before unix time ts. */
static double day_part(const double *D, int64_t Dday, int32_t off, int64_t ts)
{
    int64_t s = ts + off - Dday * 86400;
    if (s <= 0) return 0;
    if (s >= 86400) return 1;
    int h = (int)(s / 3600);
    double in = 0;
    for (int k = 0; k < h; k++) in += D[k];
    in += D[h] * (double)(s - 3600 * h) / 3600.0;
    return in / 24.0;
}

static int layout_rank(int role)
{
    switch (role) {
    case ROLE_OWNER: return 0;
    case ROLE_ADMIN: return 1;
    case ROLE_KOL: return 2;
    case ROLE_BOT: return 3;
    default: return 4;
    }
}

typedef struct slot {
    int idx, rank;
    int64_t joined;
    int64_t left; /* a former member: its leave (inside the history) */
} slot;

static int cmp_slot(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    if (x->rank != y->rank) return x->rank < y->rank ? -1 : 1;
    if (x->joined != y->joined) return x->joined < y->joined ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

int state_build(const fit_log *log, int64_t at_ts, const state_prior *prior, const state_opts *o, com_init **out,
                state_info *info, char *err, size_t errlen)
{
    state_opts od;
    if (!o) { state_opts_init(&od); o = &od; }
    *out = NULL;
    memset(info, 0, sizeof *info);
    info->at_ts = at_ts;
    if (at_ts <= log->start_ts) { snprintf(err, errlen, "no history before the forecast's start"); return -1; }
    int nm = log->nmem;
    /* absences between spells are days away (not chances to speak) when the
     * arm brings former members back: calibrate found them no visits */
    int gaps = !o->classic && prior->drop_a > 0 && prior->act_a > 0 && prior->rejoin > 0;
    int32_t off = log->utc_offset;
    double D[24], W[7], dm = 0, wm = 0;
    for (int h = 0; h < 24; h++) dm += prior->daily[h] / 24;
    for (int k = 0; k < 7; k++) wm += prior->weekly[k] / 7;
    for (int h = 0; h < 24; h++) D[h] = dm > 0 ? prior->daily[h] / dm : 1;
    for (int k = 0; k < 7; k++) W[k] = wm > 0 ? prior->weekly[k] / wm : 1;
    double *k = calloc((size_t)nm + 1, sizeof *k), *E = calloc((size_t)nm + 1, sizeof *E), *S = calloc((size_t)nm + 1, sizeof *S);
    double *R = calloc((size_t)nm + 1, sizeof *R), *mk = NULL;
    slot *sl = malloc(((size_t)nm + 1) * sizeof *sl);
    int nf = 0; /* former members (left inside the history, may come back) after the n present */
    com_init *ci = calloc(1, sizeof *ci);
    int *sfirst = NULL;
    unsigned char *spoke_before = NULL;
    com_init_member *cm = calloc((size_t)nm + 1, sizeof *cm);
    int rc = -1;
    if (!k || !E || !S || !R || !sl || !ci || !cm) { snprintf(err, errlen, "out of memory"); goto out; }

    /* history before the date: messages, presence, linked replies */
    int64_t N = 0, marked = 0;
    for (int64_t j = 0; j < log->nmsg && log->msg[j].ts < at_ts; j++)
        if (log->mem[log->msg[j].mem].role != ROLE_BOT) { N++; marked += log->msg[j].marked; }
    if (N == 0) { snprintf(err, errlen, "no messages before the forecast's start"); goto out; }
    info->replies_marked = prior->branching > 0.02 && (double)marked >= 0.5 * prior->branching * (double)N;
    double own_w = info->replies_marked ? 1 : 1 - prior->branching;
    int64_t Dat = eday(at_ts, off);
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &log->mem[i];
        if (x->role == ROLE_BOT) continue;
        int64_t s0 = x->joined_ts > log->start_ts ? x->joined_ts : log->start_ts;
        int64_t s1 = x->left_ts >= 0 && x->left_ts < at_ts ? x->left_ts : at_ts;
        if (s1 <= s0) continue;
        /* discounted, activity-weighted exposure, day by day */
        for (int64_t Dd = eday(s0, off); Dd < Dat && Dd * 86400 - off < s1; Dd++) {
            double part = day_part(D, Dd, off, s1) - day_part(D, Dd, off, s0);
            if (part <= 0) continue;
            double age = (double)(Dat - Dd) - 0.5;
            E[i] += part * W[(int)(((Dd + 3) % 7 + 7) % 7)] * (o->memory > 0 ? exp(-age / o->memory) : 1);
        }
    }
    fit_leave lv;
    if (!(mk = calloc(2 * ((size_t)nm + 1), sizeof *mk)) || fit_leaving(log, log->start_ts, at_ts, o->eng_tau, gaps, NULL, mk, &lv) != 0) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    lv.shape = prior->leave_shape; /* the calibrated shape, each member's own leaves */
    info->eng_scale = lv.eng_scale;
    info->by_proxy = o->engagement == STATE_ENG_AUTO ? lv.by_proxy : o->engagement == STATE_ENG_PROXY;
    for (int64_t j = 0; j < log->nmsg && log->msg[j].ts < at_ts; j++) {
        const fit_msg *x = &log->msg[j];
        if (log->mem[x->mem].role == ROLE_BOT) continue;
        double age = (double)(Dat - eday(x->ts, off)) - 0.5;
        S[x->mem] += exp(-age / o->eng_tau);
        double w = info->replies_marked ? (x->kind == EV_REPLY || x->kind == EV_ANSWER ? 0 : 1) : own_w;
        double disc = o->memory > 0 ? exp(-age / o->memory) : 1;
        k[x->mem] += w * disc;
        /* replies it wrote (linked), or every message when replies are not linked */
        if (!info->replies_marked || x->kind == EV_REPLY || x->kind == EV_ANSWER) R[x->mem] += disc;
    }
    double Rsum = 0, Esum = 0;
    for (int i = 0; i < nm; i++)
        if (log->mem[i].role != ROLE_BOT) { Rsum += R[i]; Esum += E[i]; }
    double rshape = prior->reply_shape > 0 ? prior->reply_shape : 1, rmean = Esum > 0 && Rsum > 0 ? Rsum / Esum : 1;

    /* Silent attrition (the second model, docs/calibration.md): active days
     * of each member over the history, BG/BB at the prior's parameters */
    int second = !o->classic && prior->drop_a > 0 && prior->act_a > 0;
    int64_t W0 = o->from_ts > log->start_ts ? o->from_ts : log->start_ts;
    int nd = (int)((at_ts - W0) / 86400);
    if (second && !(sfirst = malloc(((size_t)nm + 1) * 3 * sizeof *sfirst + ((size_t)nd + 2) * sizeof *sfirst))) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    int *d1 = sfirst, *dl = sfirst ? sfirst + nm + 1 : NULL, *na = sfirst ? sfirst + 2 * (nm + 1) : NULL;
    /* the days the group talks at all (com_open_day), as calibrate counts
     * them: oi[d] = open days before day d of the history */
    int *oi = sfirst ? sfirst + 3 * (nm + 1) : NULL;
    if (second) {
        int64_t D0 = eday(W0, off);
        oi[0] = 0;
        for (int d = 0; d < nd; d++) oi[d + 1] = oi[d] + com_open_day(prior->weekly, (int)(((D0 + d + 3) % 7 + 7) % 7));
    }
    unsigned char *spoke_after = NULL, *op = NULL;
    if (second) {
        if (!(spoke_before = calloc(2 * ((size_t)nm + 1) + (size_t)nd + 1, 1))) { snprintf(err, errlen, "out of memory"); goto out; }
        spoke_after = spoke_before + nm + 1;
        op = spoke_after + nm + 1; /* op[d] = 1 for an open day */
        for (int d = 0; d < nd; d++) op[d] = (unsigned char)(oi[d + 1] - oi[d]);
        for (int i = 0; i < nm; i++) d1[i] = dl[i] = -1, na[i] = 0;
        for (int64_t j = 0; j < log->nmsg; j++) {
            const fit_msg *x = &log->msg[j];
            if (x->ts >= at_ts) { spoke_after[x->mem] = 1; continue; }
            spoke_before[x->mem] = 1;
            if (x->ts < W0) continue;
            int d = (int)((x->ts - W0) / 86400);
            if (d >= nd) continue;
            if (d1[x->mem] < 0) d1[x->mem] = d;
            if (dl[x->mem] != d && oi[d + 1] > oi[d]) { dl[x->mem] = d; na[x->mem]++; }
        }
    }

    /* the members present, in the model's layout */
    int n = 0, owner = -1;
    for (int i = 0; i < nm; i++) {
        const fit_member *x = &log->mem[i];
        /* present just before the date (at_ts - 1), as a final leave at the
         * date's midnight itself always counted: the forecast's first tick
         * decides that leave, whichever spell it ends */
        if (x->joined_ts >= at_ts || (x->left_ts >= 0 && x->left_ts < at_ts) || (gaps && x->ngap && !fit_present_at(log, i, at_ts - 1))) continue;
        /* a log that knows members only when they speak (seed members of an
         * import): one first seen after the date is not known at the date */
        if (second && x->source == SRC_SEED && strcmp(log->source, "sim") && !spoke_before[i] && spoke_after[i]) continue;
        /* a history that starts later than the log (backtest --history): the
         * log as if it began then: a member known only from before is not
         * in it unless it speaks or joins inside the history */
        if (second && W0 > log->start_ts && !(d1[i] >= 0) && x->joined_ts < W0) continue;
        sl[n].idx = i;
        sl[n].rank = layout_rank(x->role);
        sl[n].joined = x->joined_ts;
        if (x->role == ROLE_OWNER) {
            if (owner >= 0) sl[n].rank = 1; /* a second owner acts as an admin */
            else owner = i;
        }
        n++;
    }
    if (n == 0) { snprintf(err, errlen, "nobody is a member at the forecast's start"); goto out; }
    if (owner < 0) { /* the model has an owner at index 0: the first admin, else the earliest member */
        int best = -1;
        for (int j = 0; j < n; j++)
            if (sl[j].rank != 3 && (best < 0 || sl[j].rank < sl[best].rank ||
                                    (sl[j].rank == sl[best].rank && sl[j].joined < sl[best].joined)))
                best = j;
        if (best >= 0) { sl[best].rank = 0; info->owner_promoted = 1; }
    }
    qsort(sl, (size_t)n, sizeof *sl, cmp_slot);
    /* members who left inside the history come back at members.rejoin_rate
     * (second model): they follow the present ones, so that those keep
     * their places (and streams) */
    if (second && prior->rejoin > 0)
        for (int i = 0; i < nm; i++) {
            const fit_member *x = &log->mem[i];
            if (x->role != ROLE_MEMBER || x->joined_ts >= at_ts || fit_present_at(log, i, at_ts - 1)) continue;
            double rk, rt;
            int64_t lt;
            fit_member_rejoins(log, i, W0, at_ts, &rk, &rt, &lt);
            if (lt < 0) continue; /* away since a leave the history did not see */
            sl[n + nf].idx = i;
            sl[n + nf].rank = 4;
            sl[n + nf].joined = x->joined_ts;
            sl[n + nf].left = lt;
            nf++;
        }
    double esum = 0;
    int en = 0;
    for (int j = 0; j < n + nf; j++) {
        const fit_member *x = &log->mem[sl[j].idx];
        int i = sl[j].idx;
        com_init_member *c = &cm[j];
        static const int role_of_rank[] = {ROLE_OWNER, ROLE_ADMIN, ROLE_KOL, ROLE_BOT, ROLE_MEMBER};
        c->role = role_of_rank[sl[j].rank];
        c->source = x->source;
        c->joined = (double)(x->joined_ts - at_ts);
        double e = info->by_proxy ? fit_engagement(S[i], info->eng_scale) : prior->eng_mean;
        c->eng = e < o->eng_floor ? o->eng_floor : e;
        c->rate_a = prior->shape + k[i];
        c->rate_b = prior->shape / (prior->mean > 0 ? prior->mean : 1e-9) + E[i];
        if (prior->leave_shape > 0) c->leave_w = fit_leave_weight(&lv, mk, i);
        if (second && prior->rejoin > 0) { /* its own absences in the history (members.rejoin_shape) */
            int64_t open;
            fit_member_rejoins(log, i, W0, at_ts, &c->rejoin_k, &c->rejoin_t, &open);
            if (j >= n) c->left = (double)(sl[j].left - at_ts);
        }
        if (j >= n) { c->former = 1; continue; }
        if (c->role == ROLE_BOT) { c->rate_a = 0; c->rate_b = 0; }
        else info->rate_sum += c->rate_a / c->rate_b;
        switch (c->role) {
        case ROLE_OWNER: info->owner++; break;
        case ROLE_ADMIN: info->admins++; break;
        case ROLE_KOL: info->kols++; break;
        case ROLE_BOT: info->bots++; break;
        default: esum += c->eng; en++;
        }
    }
    info->members = n;
    info->eng_mean = en ? esum / en : 0;
    /* responder weights: the posterior mean reply rate, scaled so that the
     * members average the mean engagement (the scale answer_rate assumes) */
    double psum = 0, esum2 = 0;
    int pn = 0;
    for (int j = 0; j < n; j++) {
        if (cm[j].role == ROLE_BOT) continue;
        int i = sl[j].idx;
        cm[j].reply = (rshape + R[i]) / (rshape / rmean + E[i]);
        psum += cm[j].reply;
        esum2 += cm[j].eng;
        pn++;
    }
    for (int j = n; j < n + nf; j++) {
        int i = sl[j].idx;
        cm[j].reply = (rshape + R[i]) / (rshape / rmean + E[i]);
    }
    for (int j = 0; j < n + nf; j++)
        if (cm[j].role != ROLE_BOT && psum > 0) cm[j].reply *= esum2 / psum;
    if (second) {
        /* who still speaks and how often (BG/BB at the prior's parameters):
         * P(alive), the posterior Beta of its daily activity p, turned into
         * own posts a day -log(1 - p) as a gamma of the same mean and
         * variance (digamma and trigamma of the Beta), and the posterior of
         * its daily dropout given that it survived the days seen */
        fit_bg bg = {prior->act_a, prior->act_b, prior->drop_a, prior->drop_b, NAN, NAN, NAN, NAN, 0, 0};
        info->rate_sum = 0;
        for (int j = 0; j < n + nf; j++) {
            com_init_member *c = &cm[j];
            if (c->role == ROLE_BOT) continue;
            int i = sl[j].idx, x = 0, days;
            double a1 = prior->act_a, b1 = prior->act_b;
            /* the record ends at the date, or at a former member's leave;
             * the days between two spells are no chances */
            int end = nd;
            if (j >= n) {
                end = (int)((sl[j].left - W0) / 86400);
                if (end > nd) end = nd;
            }
            if (d1[i] >= 0 && end <= d1[i]) end = d1[i] + 1 <= nd ? d1[i] + 1 : nd;
            if (d1[i] >= 0) {
                int b = oi[d1[i]], tx = dl[i] >= 0 ? oi[dl[i]] - b : 0;
                x = na[i] > 0 ? na[i] - 1 : 0;
                days = oi[end] - 1 - b;
                if (gaps && log->mem[i].ngap) {
                    if (dl[i] >= 0) tx -= fit_absent_days(log, i, W0, d1[i], dl[i], op);
                    days -= fit_absent_days(log, i, W0, d1[i], end, op);
                }
                if (tx < 0) tx = 0;
                if (days < tx) days = tx;
                if (x > days) x = days;
                c->gone = 1 - fit_bg_alive(&bg, x, tx, days);
                a1 += x;
                b1 += days - x;
            } else { /* present and silent all through the history: as if born at its start, never active since */
                int64_t s0 = log->mem[i].joined_ts > W0 ? log->mem[i].joined_ts : W0;
                int d0 = at_ts > s0 ? (int)((s0 - W0) / 86400) : nd;
                d0 = d0 < 0 ? 0 : d0 > nd ? nd : d0;
                days = oi[end > d0 ? end : d0] - oi[d0];
                if (gaps && log->mem[i].ngap) days -= fit_absent_days(log, i, W0, d0, end, op);
                if (days < 0) days = 0;
                if (prior->silent_speak > 0) { /* the history's own rate at which such members speak */
                    a1 = prior->silent_speak * 1000;
                    b1 = (1 - prior->silent_speak) * 1000;
                } else {
                    c->gone = 1 - fit_bg_alive(&bg, 0, 0, days);
                    b1 += days;
                }
            }
            /* own posts a day: the rate at which it speaks on a share p of the
             * open days (com_own_rate), its gamma by the delta method from
             * the Beta posterior of p */
            double pm = a1 / (a1 + b1), pv = a1 * b1 / ((a1 + b1) * (a1 + b1) * (a1 + b1 + 1));
            double mean = com_own_rate(pm, prior->weekly), h = pm * 1e-4 + 1e-9;
            double slope = (com_own_rate(pm + h, prior->weekly) - com_own_rate(pm - h > 0 ? pm - h : 0, prior->weekly)) / (pm - h > 0 ? 2 * h : pm + h);
            double var = slope * slope * pv;
            if (!(var > 0)) var = mean * mean * 1e-6 + 1e-12;
            c->rate_a = mean * mean / var;
            c->rate_b = mean / var;
            c->drop_a = prior->drop_a;
            c->drop_b = prior->drop_b + days;
            if (j < n) info->rate_sum += (1 - c->gone) * mean;
        }
    }
    ci->n = n + nf;
    ci->m = cm;
    cm = NULL;
    *out = ci;
    ci = NULL;
    rc = 0;
out:
    free(sfirst);
    free(spoke_before);
    free(k);
    free(E);
    free(S);
    free(R);
    free(mk);
    free(sl);
    free(cm);
    free(ci);
    return rc;
}
