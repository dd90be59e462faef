/* fit_second.c -- the settings of the second forecast model, which fit_run
 * (fit.c) adds unless fit_opts.classic: BG/BB activity and dropout of
 * newcomers and of the members present, entries and returners, leaving and
 * rejoining heterogeneity, the conversation shares, the day noise and the
 * level's drift.  The estimators are fit_conv.c's, fit_spells.c's and
 * fit_est.c's; this file turns the window of the log into their inputs and
 * their results into settings, apart from the classic model's (fit.c) so
 * that each stays a size one can read.  docs/calibration.md, "Silent
 * attrition and conversations". */
#include "fit.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "community.h"
#include "fit_internal.h"

/* Set a value: replace the setting if written already, else insert it after
 * the last one of its group (the writer opens each group once). */
static fit_value *setv(fit_result *r, const char *path, double v, double se, int kind, const char *note)
{
    fit_value *x = NULL;
    for (int i = 0; i < r->nval; i++)
        if (!strcmp(r->val[i].path, path)) x = &r->val[i];
    if (!x) {
        if (r->nval == FIT_MAX_VALUES) return NULL;
        size_t plen = (size_t)(strchr(path, '.') - path);
        int at = r->nval;
        for (int i = 0; i < r->nval; i++)
            if (!strncmp(r->val[i].path, path, plen) && r->val[i].path[plen] == '.') at = i + 1;
        memmove(&r->val[at + 1], &r->val[at], (size_t)(r->nval - at) * sizeof *r->val);
        r->nval++;
        x = &r->val[at];
        x->integer = 0;
    }
    x->path = path;
    x->v = v;
    x->se = se;
    x->kind = kind;
    snprintf(x->note, sizeof x->note, "%s", note ? note : "");
    return x;
}

/* The second forecast model (docs/calibration.md, "Silent attrition and
 * conversations"): who speaks is each member's share of active days, going
 * quiet for good as in BG/BB; how much is the conversation its posts
 * start, carried by their author and the recent speakers; the group's level
 * varies from day to day.  Overrides the classic values it replaces. */
int fit_second(const fit_log *log, const win *w, int64_t first, int64_t last, int hk_failed, fit_result *r, char *err,
               size_t errlen)
{
    int nm = log->nmem, nd = w->nd;
    int *d1 = malloc(((size_t)nm + 1) * sizeof *d1), *dl = malloc(((size_t)nm + 1) * sizeof *dl), *na = calloc((size_t)nm + 1, sizeof *na);
    int64_t *first_ts = malloc(((size_t)nm + 1) * sizeof *first_ts);
    int *lastday = malloc(((size_t)nm + 1) * sizeof *lastday), *cal_days = malloc(((size_t)nm + 1) * sizeof *cal_days);
    int *bx = malloc(((size_t)nm + 1) * 3 * sizeof *bx), *nrec = malloc(((size_t)nm + 1) * 3 * sizeof *nrec), *born = malloc(((size_t)nm + 1) * sizeof *born), *oi = malloc(((size_t)nd + 1) * sizeof *oi);
    double *A = calloc((size_t)nd + 1, sizeof *A), *wk = malloc(((size_t)nd + 1) * sizeof *wk);
    unsigned char *op = malloc((size_t)nd + 1);
    int rc = -1;
    char note[240];
    if (!d1 || !dl || !na || !first_ts || !lastday || !cal_days || !bx || !nrec || !born || !oi || !A || !wk || !op) { snprintf(err, errlen, "out of memory"); goto out; }
    /* BG/BB counts the days the group talks at all (com_open_day): oi[d] =
     * open days before day d; na and dl count open days only */
    oi[0] = 0;
    for (int d = 0; d < nd; d++) oi[d + 1] = oi[d] + com_open_day(r->weekly, win_wd(w, d));
    for (int d = 0; d < nd; d++) op[d] = (unsigned char)(oi[d + 1] - oi[d]);
    for (int i = 0; i < nm; i++) { d1[i] = dl[i] = lastday[i] = -1; first_ts[i] = -1; }
    int visits = r->visits.visits; /* fit_run found them */
    int recent = nd < 28 ? nd : 28;
    double newcomers = 0;
    for (int64_t k = first; k < last; k++) {
        const fit_msg *x = &log->msg[k];
        int i = x->mem;
        if (log->mem[i].role == ROLE_BOT) continue;
        int d = win_day(w, x->ts);
        if (d1[i] < 0) d1[i] = d;
        if (dl[i] != d && oi[d + 1] > oi[d]) { dl[i] = d; na[i]++; }
        if (d != lastday[i]) { lastday[i] = d; A[d] += 1; }
    }
    /* Newcomers and returners, over the window's last `recent` days.  A
     * member's entry is its join or, in a log that knows members only by
     * their messages (seed members of an import), its first message.
     * Newcomers: entries in those days (joins.rate), the share that spoke on
     * the day they came (members.first_post).  Returners: members present
     * before those days and silent in the window until then, the share of
     * them that spoke in those days, per open day (members.silent_speak). */
    int s2 = nd - recent, by_msgs = strcmp(log->source, "sim") != 0;
    int64_t t2 = w->from + (int64_t)s2 * 86400;
    double nnew = 0, nfirst = 0, npop = 0, nret = 0, third[3] = {0, 0, 0};
    for (int64_t k = first; k < last; k++) { /* the window only: as if the log began with it */
        int i = log->msg[k].mem;
        if (first_ts[i] < 0) first_ts[i] = log->msg[k].ts;
    }
    for (int i = 0; i < nm; i++) {
        const fit_member *mb = &log->mem[i];
        if (mb->role == ROLE_BOT) continue;
        int64_t entry = by_msgs && mb->source == SRC_SEED && first_ts[i] >= 0 ? first_ts[i] : mb->joined_ts;
        if (entry >= w->from && entry < w->to && nd >= 21) { /* entries in thirds of the window */
            int b = (int)((entry - w->from) / 86400) * 3 / nd;
            third[b > 2 ? 2 : b] += 1;
        }
        if (entry >= t2 && entry < w->to) {
            nnew += 1;
            nfirst += first_ts[i] >= entry && first_ts[i] < entry + 86400;
        } else if (entry < t2 && !(mb->left_ts >= 0 && mb->left_ts < t2) && !(mb->ngap && !visits && !fit_present_at(log, i, t2)) &&
                   (d1[i] < 0 || d1[i] >= s2)) {
            npop += 1;
            nret += d1[i] >= s2;
        }
    }
    /* A log that starts with the window (an export of a few weeks) shows
     * old members too when they first speak in it: entries fall from third
     * to third as they are found.  With old members found geometrically
     * (ratio g a third) and newcomers steady (nu a third), the thirds are
     * nu + D, nu + D g, nu + D g^2; the rate ahead is the next third's,
     * nu + D g^3.  Without a falling pattern (0 < g < 1 not seen) the last
     * 28 days' entries as they are. */
    double joins_rate = nnew / recent, g = third[0] > third[1] && third[1] > third[2] ? (third[1] - third[2]) / (third[0] - third[1]) : -1;
    if (g > 0 && g < 1) {
        double nu = third[2] - (third[1] - third[2]) * g / (1 - g);
        if (nu < 0) nu = 0;
        joins_rate = (nu + g * (third[2] - nu)) / (nd / 3.0);
    }
    newcomers = joins_rate * recent;
    size_t n = 0;
    double own = 0;
    for (int i = 0; i < nm; i++) {
        if (d1[i] < 0) continue;
        /* days observed after the first active one (to a recorded leave:
         * leaving is members.leave_rate, not silent attrition), active days
         * among them, the last */
        int end = nd;
        const fit_member *mb = &log->mem[i];
        if (mb->left_ts >= w->from && mb->left_ts < w->to) end = win_day(w, mb->left_ts);
        if (end <= d1[i]) end = d1[i] + 1;
        int b = oi[d1[i]], x = na[i] > 0 ? na[i] - 1 : 0, tx = dl[i] >= 0 ? oi[dl[i]] - b : 0, nn = oi[end] - 1 - b;
        int cd = end - d1[i];
        if (mb->ngap && !visits) { /* the days between two spells are no chances to speak or go quiet */
            if (dl[i] >= 0) tx -= fit_absent_days(log, i, w->from, d1[i], dl[i], op);
            nn -= fit_absent_days(log, i, w->from, d1[i], end, op);
            cd -= fit_absent_days(log, i, w->from, d1[i], end, NULL);
        }
        if (tx < 0) tx = 0;
        if (nn < tx) nn = tx;
        if (x > nn) x = nn;
        bx[n] = x;
        bx[nm + 1 + n] = tx;
        bx[2 * (nm + 1) + n] = nn;
        cal_days[n] = cd;
        born[n] = d1[i];
        n++;
    }
    if (fit_bgbb(bx, bx + nm + 1, bx + 2 * (nm + 1), n, &r->bg) != 0) {
        snprintf(err, errlen, "setting \"members.dropout_a\": cannot be identified: fewer than 5 members spoke in the window");
        rc = FIT_EIDENT;
        goto out;
    }
    /* Newcomers differ from the members a window starts with: regulars are
     * "born" on its first days and never leave, one-timers come and go.
     * The Betas of newcomers come from the members first seen after the
     * window's first third (at least 20 of them, else all members); the
     * members present at a forecast's start keep the fit over all
     * (members.history_*). */
    size_t m2 = 0;
    for (size_t u = 0; u < n; u++)
        if (born[u] >= nd / 3) {
            nrec[m2] = bx[u];
            nrec[nm + 1 + m2] = bx[nm + 1 + u];
            nrec[2 * (nm + 1) + m2] = bx[2 * (nm + 1) + u];
            m2++;
        }
    r->bg_new = r->bg;
    int own_new = m2 >= 20 && fit_bgbb(nrec, nrec + nm + 1, nrec + 2 * (nm + 1), m2, &r->bg_new) == 0;
    if (!own_new) r->bg_new = r->bg;
    const fit_bg *bg = &r->bg, *bn = &r->bg_new;
    double cap = 1e6;
    /* own posts in the window as the forecast's state will draw them: each
     * member's posterior mean activity (models/state.c) as own posts a day */
    for (size_t u = 0; u < n; u++) {
        double pm = (bg->alpha + bx[u]) / (bg->alpha + bg->beta + bx[2 * (nm + 1) + u]);
        own += com_own_rate(pm, r->weekly) * cal_days[u];
    }
    snprintf(note, sizeof note, "BG/BB over the %d members first seen after the window's first third%s: a newcomer speaks on a day with p ~ "
             "Beta(a, b), mean %.3g", bn->units, own_new ? "" : " (too few: over all members)", bn->alpha / (bn->alpha + bn->beta));
    setv(r, "members.activity_a", bn->alpha > cap ? cap : bn->alpha, bn->se_alpha, FIT_V_FITTED, note);
    setv(r, "members.activity_b", bn->beta > cap ? cap : bn->beta, bn->se_beta, FIT_V_FITTED, "BG/BB");
    snprintf(note, sizeof note, "BG/BB: each day a newcomer goes quiet for good with probability ~ Beta(a, b), mean %.3g",
             bn->gamma / (bn->gamma + bn->delta));
    setv(r, "members.dropout_a", bn->gamma > cap ? cap : bn->gamma, bn->se_gamma, FIT_V_FITTED, note);
    setv(r, "members.dropout_b", bn->delta > cap ? cap : bn->delta, bn->se_delta, FIT_V_FITTED, "BG/BB");
    snprintf(note, sizeof note, "BG/BB over all %d members who spoke: the prior of those present at a forecast's start, mean %.3g",
             bg->units, bg->alpha / (bg->alpha + bg->beta));
    setv(r, "members.history_activity_a", bg->alpha > cap ? cap : bg->alpha, bg->se_alpha, FIT_V_FITTED, note);
    setv(r, "members.history_activity_b", bg->beta > cap ? cap : bg->beta, bg->se_beta, FIT_V_FITTED, "BG/BB");
    snprintf(note, sizeof note, "BG/BB over all members: daily dropout, mean %.3g", bg->gamma / (bg->gamma + bg->delta));
    setv(r, "members.history_dropout_a", bg->gamma > cap ? cap : bg->gamma, bg->se_gamma, FIT_V_FITTED, note);
    setv(r, "members.history_dropout_b", bg->delta > cap ? cap : bg->delta, bg->se_delta, FIT_V_FITTED, "BG/BB");
    /* rate_mean and rate_shape are not used while activity_a > 0: written as
     * the own-post rate of the mean activity, so that they stay in range */
    double e = r->eng_mean > 0 ? r->eng_mean : 1, rm = com_own_rate(bn->alpha / (bn->alpha + bn->beta), r->weekly) / e;
    setv(r, "members.rate_mean", rm > 1000 ? 1000 : rm, NAN, FIT_V_DERIVED, "not used while members.activity_a > 0: the own posts of the mean activity");
    setv(r, "members.rate_shape", 1, NAN, FIT_V_FIXED, "not used while members.activity_a > 0");
    r->new_speakers = newcomers / recent;
    snprintf(note, sizeof note, "entries by thirds of the window %.0f, %.0f, %.0f (a join, or a first message where the log shows none): the "
             "rate ahead, old members found in the window taken out",
             third[0], third[1], third[2]);
    setv(r, "joins.rate", r->new_speakers, newcomers > 0 ? sqrt(newcomers) / recent : NAN, FIT_V_FITTED, note);
    snprintf(note, sizeof note, "%.0f of the %.0f newcomers spoke on the day they came", nfirst, nnew);
    setv(r, "members.first_post", nnew > 0 ? nfirst / nnew : 1, nnew > 0 ? sqrt(nfirst / nnew * (1 - nfirst / nnew) / nnew) : NAN, FIT_V_FITTED, note);
    int open2 = oi[nd] - oi[s2];
    double rho = npop > 0 && open2 > 0 ? nret / (npop * open2) : 0;
    if (npop > 0 && open2 > 0 && rho < 1e-6) rho = 1e-6; /* measured, and nobody came back: 0 would mean "not measured" */
    snprintf(note, sizeof note, "%.0f of %.0f members silent so far spoke in the last %d days (%d open): per open day (read by forecasts)", nret,
             npop, recent, open2);
    setv(r, "members.silent_speak", rho, npop > 0 && open2 > 0 && nret > 0 ? sqrt(nret) / (npop * open2) : NAN, FIT_V_FITTED, note);
    /* members who left inside the window and came back (spells): a constant
     * hazard per former member and day; written only when the window saw
     * leaves, so that a log without them is calibrated as before */
    if (r->leaves > 0) {
        if (r->leave.shape > 0)
            setv(r, "members.leave_shape", r->leave.shape, r->leave.se_shape, FIT_V_FITTED,
                 "members differ in how often they leave: gamma shape of their multiples of the hazard (MLE over each one's leaves and days)");
        else
            setv(r, "members.leave_shape", 0, NAN, FIT_V_DERIVED, "one hazard for all (too few leaves or no difference between members seen)");
    }
    fit_rejoin rj;
    fit_rejoining(log, w->from, w->to, &rj);
    r->rejoin = rj;
    if (rj.risk_days > 0 && visits) {
        snprintf(note, sizeof note, "absences are visits: members spoke on %.0f%% of the %.0f days they came back on, %.2g%% of their other "
                 "days (log-likelihood ratio %.1f); days away count as silent days and nobody is brought back",
                 100 * r->visits.back_active / r->visits.back_days, r->visits.back_days, 100 * r->visits.active / r->visits.days, r->visits.llr);
        setv(r, "members.rejoin_rate", 0, NAN, FIT_V_DERIVED, note);
    } else if (rj.risk_days > 0) {
        snprintf(note, sizeof note, "%.0f rejoin(s) in %.0f former-member-days of %d members who left inside the window (%s)", rj.rejoins,
                 rj.risk_days, rj.formers, rj.shape > 0 ? "gamma-Poisson MLE: the mean hazard" : "Poisson MLE");
        setv(r, "members.rejoin_rate", rj.rate > 1 ? 1 : rj.rate, rj.se, FIT_V_FITTED, note);
        if (rj.shape > 0)
            setv(r, "members.rejoin_shape", rj.shape, rj.se_shape, FIT_V_FITTED,
                 "members' hazards of coming back differ: gamma shape (those long away come back less)");
        else
            setv(r, "members.rejoin_shape", 0, NAN, FIT_V_DERIVED, "one hazard for all (too few formers or no difference between them seen)");
    }
    fit_value *jp = setv(r, "joins.profile", 1, NAN, FIT_V_FIXED, "newcomers arrive when the group is active");
    if (jp) jp->integer = 1;
    /* questions are own posts that start no burst (their follow-up is the
     * answer process): their share of own posts q, then the others' bursts
     * make up the messages, M / own = q + (1 - q) / (1 - n) */
    double qm = 0;
    for (int64_t k = first; k < last; k++) qm += log->msg[k].kind == EV_QUESTION && log->mem[log->msg[k].mem].role != ROLE_BOT;
    double q = own > 0 ? qm / (double)r->messages : 0, ratio = own > 0 ? (double)r->messages / own : 1;
    if (q > 0.5) q = 0.5;
    double per = ratio > q ? (ratio - q) / (1 - q) : 1, nb = 1 - 1 / (per > 1 ? per : 1);
    nb = nb < 0 ? 0 : nb > 0.95 ? 0.95 : nb;
    snprintf(note, sizeof note, "messages per own post: %.0f own posts (a member's active days, Poisson) of %lld messages%s", own,
             (long long)r->messages, nb >= 0.95 ? " (capped at 0.95)" : "");
    setv(r, "replies.branching", nb, NAN, FIT_V_DERIVED, note);
    setv(r, "members.question_share", q, NAN, FIT_V_FITTED, "questions / messages (at most 0.5)");
    double decay = hk_failed || !(r->hawkes.beta > 0) ? 10 : 1 / r->hawkes.beta / 60;
    if (hk_failed) setv(r, "replies.decay", 10, NAN, FIT_V_DEFAULT, "the self-exciting process could not be fitted: the model's default");
    if (fit_talk_shares(log, w->from, w->to, 3 * decay * 60, &r->talk_self, &r->talk_conv, &r->talk_today) != 0) { snprintf(err, errlen, "out of memory"); goto out; }
    setv(r, "replies.self", r->talk_self, NAN, FIT_V_FITTED, "messages within 3 reply delays of the previous one by its author");
    setv(r, "replies.conversation", r->talk_conv, NAN, FIT_V_FITTED,
         "of the others, by one of the 3 other latest speakers beyond chance (moments)");
    snprintf(note, sizeof note, "who speaks on a day is the members' own active days, which already hold the days they were drawn "
             "into talk (the log: %.2f of the rest beyond chance)", r->talk_today);
    setv(r, "replies.today", 1, NAN, FIT_V_FIXED, note);
    for (int d = 0; d < nd; d++) wk[d] = r->weekly[win_wd(w, d)];
    /* the level multiplies own-post rates; speakers move less (1 - exp(-rate
     * x level) is concave): their elasticity to the level, sum over members
     * of rate e^-rate over the sum of 1 - e^-rate, turns the speakers'
     * variation into the level's */
    double el_num = 0, el_den = 0;
    for (size_t u = 0; u < n; u++) {
        double pm = (bg->alpha + bx[u]) / (bg->alpha + bg->beta + bx[2 * (nm + 1) + u]), lam = -log1p(-(pm < 0.99 ? pm : 0.99));
        el_num += lam * exp(-lam);
        el_den += -expm1(-lam);
    }
    double elast = el_den > 0 ? el_num / el_den : 1;
    /* the speakers that members away on a day (between two spells, or gone
     * for good) would have given at their own rate: leaves and rejoins are
     * the model's (members.leave_rate, .rejoin_rate), not day noise or the
     * level's drift */
    for (int i = 0, u = 0; i < nm; i++) {
        if (d1[i] < 0) continue; /* the order of bx */
        const fit_member *mb = &log->mem[i];
        if (mb->ngap || (mb->left_ts >= w->from && mb->left_ts < w->to)) {
            double pm = (bg->alpha + bx[u]) / (bg->alpha + bg->beta + bx[2 * (nm + 1) + u]);
            for (int d = d1[i] + 1; d < nd; d++)
                if (op[d] && !fit_present_at(log, i, w->from + (int64_t)d * 86400 + 43200) &&
                    (!visits || (mb->left_ts >= 0 && w->from + (int64_t)d * 86400 + 43200 >= mb->left_ts))) /* visits: in the rates */
                    A[d] += pm;
        }
        u++;
    }
    double cv_dau = fit_day_cv(A, wk, nd);
    r->day_cv = cv_dau / (elast > 0.2 ? elast : 0.2);
    /* the level's drift: weekly means of the speakers, the variance of their
     * log changes beyond what daily noise (Poisson and day_cv) gives, a
     * random walk's step per week over the elasticity (fit.h level_step) */
    {
        double lw[64], mu = 0, s1 = 0, sq = 0;
        int nw = 0, k = 0;
        for (int d = 0; d < nd; d++) mu += A[d] / nd;
        for (int w0 = nd % 7; w0 + 7 <= nd && nw < 64; w0 += 7) {
            double s = 0;
            for (int d = w0; d < w0 + 7; d++) s += A[d] / 7;
            lw[nw++] = s;
        }
        for (int j = 1; j < nw; j++)
            if (lw[j] > 0 && lw[j - 1] > 0) {
                double x = log1p(lw[j] / lw[j - 1] - 1); /* log(): the parameter `log` hides it here */
                s1 += x;
                sq += x * x;
                k++;
            }
        double var = k > 2 ? (sq - s1 * s1 / k) / (k - 1) : 0, noise = mu > 0 ? 2 * (1 / mu + cv_dau * cv_dau) / 7 : 0;
        r->level_step = var > noise ? sqrt(var - noise) / (elast > 0.2 ? elast : 0.2) : 0;
    }
    rc = 0;
out:
    free(d1); free(dl); free(na); free(lastday); free(cal_days); free(first_ts); free(bx); free(nrec); free(born); free(oi); free(A); free(wk); free(op);
    return rc;
}
