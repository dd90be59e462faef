/* test_mech_talk.c -- the community model's conversation mechanisms, each in
 * isolation (everything else off, see mech_harness.h): base posting as
 * independent Poisson posters, Hawkes reply bursts (mean rate base/(1-n)),
 * the daily and weekly profiles recovered from message times, and questions
 * (share answered within patience, median time to first answer, the
 * education three-tier structure).
 *
 * Tolerances: counts of Poisson-type processes are compared with z-scores
 * (CLT; |z| < 4, a false alarm about 6e-5 per check), distributions with
 * chi-square tests at p > 0.001; every expectation is computed from the
 * members' drawn attributes (white box), so the only noise is the process's
 * own.  Seeds are fixed: the outcome is deterministic, and each check is shown
 * able to fail (a wrong alternative is rejected by the same statistic). */
#include "mech_harness.h"

/* Expected messages of member i over `days` at flat profiles: rate x eng. */
static double base_lambda(const mh_run *r, int i, double days)
{
    return r->snap[i].rate * r->snap[i].eng * days;
}

/* ---- with everything off but base posting: independent Poisson posters ---- */

START_TEST(poisson_posters)
{
    com_params p;
    mh_quiet(&p, 200);
    mh_set(&p, "members.rate_mean", "2");
    const int days = 28;
    mh_run r;
    mh_run1(&r, &p, days, 11);
    int n = r.nsnap;
    ck_assert_int_eq(n, 200);
    double *cnt = calloc((size_t)n, sizeof *cnt);
    double hours[28 * 24] = {0};
    size_t other = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind != EV_MESSAGE) { other++; continue; }
        cnt[e->member_id - 1]++;
        hours[(int)(mh_t(&r, e) / 3600)]++;
    }
    /* nothing but messages: no replies, questions, posts, joins, leaves */
    ck_assert_uint_eq(other, 0);
    ck_assert_int_eq(r.nmem, 200);
    /* (1) the total against sum of rate_i x eng_i x T: Poisson, z-test */
    double tot = 0, lam = 0;
    for (int i = 0; i < n; i++) { tot += cnt[i]; lam += base_lambda(&r, i, days); }
    double z = mh_z(tot, lam, lam);
    MH_NOTE("poisson: %.0f messages, expected %.1f (z %.2f)", tot, lam, z);
    ck_assert_msg(fabs(z) < 4, "total %.0f vs %.1f, z %.2f", tot, lam, z);
    /* (2) per-member counts: each Poisson(lambda_i).  D = sum (N-l)^2/l has
     * mean m and variance sum(2 + 1/l) exactly; members with l >= 10 only
     * (the 1/l tails of tiny rates would dominate), CLT over them. */
    double D = 0, vD = 0;
    int m = 0;
    for (int i = 0; i < n; i++) {
        double l = base_lambda(&r, i, days);
        if (l < 10) continue;
        D += (cnt[i] - l) * (cnt[i] - l) / l;
        vD += 2 + 1 / l;
        m++;
    }
    z = mh_z(D, m, vD);
    MH_NOTE("poisson: per-member dispersion %.1f over %d members (z %.2f)", D, m, z);
    ck_assert_msg(m > 100 && fabs(z) < 4, "dispersion %.1f over %d, z %.2f", D, m, z);
    /* (3) the superposition is Poisson with a flat rate: hourly counts have
     * index of dispersion 1 (independence: any coupling of posters shows as
     * overdispersion).  sum (c - mu)^2 / mu ~ chi2(H-1), normal approx. */
    int H = days * 24;
    double mu = tot / H, X = 0;
    for (int h = 0; h < H; h++) X += (hours[h] - mu) * (hours[h] - mu) / mu;
    z = mh_z(X, H - 1, 2.0 * (H - 1));
    MH_NOTE("poisson: hourly dispersion chi2 %.1f on %d df (z %.2f)", X, H - 1, z);
    ck_assert_msg(fabs(z) < 4, "hourly chi2 %.1f df %d z %.2f", X, H - 1, z);
    /* the same statistic rejects a wrong rate: the check can fail */
    ck_assert(fabs(mh_z(tot, 1.1 * lam, 1.1 * lam)) > 4);
    free(cnt);
    mh_free(&r);
}
END_TEST

/* ---- Hawkes reply bursts ---- */

static void hawkes_case(double nb, uint64_t seed)
{
    com_params p;
    mh_quiet(&p, 200);
    mh_set(&p, "members.rate_mean", "2");
    mh_setd(&p, "replies.branching", nb);
    mh_set(&p, "replies.decay", "10");
    const int days = 28;
    mh_run r;
    mh_run1(&r, &p, days, seed);
    double base = 0, reps = 0, lam = 0;
    for (int i = 0; i < r.nsnap; i++) lam += base_lambda(&r, i, days);
    for (size_t k = 0; k < r.nev; k++) {
        base += r.ev[k].kind == EV_MESSAGE;
        reps += r.ev[k].kind == EV_REPLY;
    }
    /* Cluster form: base ~ Poisson(L) immigrants, each with a Galton-Watson
     * cluster of Poisson(n) offspring: E[size] = 1/(1-n), Var = n/(1-n)^3,
     * so the total is compound Poisson with mean L/(1-n) and variance
     * L E[size^2] = L/(1-n)^3.  Replies cut off by the end: ~1e-4 of them. */
    double tot = base + reps, mean = lam / (1 - nb), var = lam / pow(1 - nb, 3);
    double z = mh_z(tot, mean, var);
    MH_NOTE("hawkes n=%.1f: %.0f messages/day, expected base/(1-n) = %.1f/day (z %.2f)", nb, tot / days, mean / days, z);
    ck_assert_msg(fabs(z) < 4, "n=%g: total %.0f vs %.1f z %.2f", nb, tot, mean, z);
    /* and not the rate without bursts */
    ck_assert(fabs(mh_z(tot, lam, var)) > 4);
    /* offspring of each message ~ Poisson(n): chi-square on 0,1,2,3+ (messages
     * of the last hour left out: their replies may fall after the end) */
    int *kids = calloc(r.nev, sizeof *kids);
    double dsum = 0, dn = 0;
    for (size_t k = 0; k < r.nev; k++) {
        if (r.ev[k].kind != EV_REPLY) continue;
        long j = mh_find_id(&r, r.ev[k].ref_id);
        ck_assert_msg(j >= 0 && (size_t)j < k, "reply %lld refers to no earlier message", (long long)r.ev[k].id);
        ck_assert_int_eq(r.ev[j].group_id, r.ev[k].group_id);
        ck_assert(r.ev[j].member_id != r.ev[k].member_id); /* nobody replies to themself */
        kids[j]++;
        dsum += (double)(r.ev[k].ts - r.ev[j].ts);
        dn++;
    }
    double obs[4] = {0}, nmsg = 0;
    for (size_t k = 0; k < r.nev; k++) {
        if ((r.ev[k].kind != EV_MESSAGE && r.ev[k].kind != EV_REPLY) || mh_t(&r, &r.ev[k]) > days * MH_DAY - 3600) continue;
        obs[kids[k] < 3 ? kids[k] : 3]++;
        nmsg++;
    }
    double pk[4], X = 0;
    pk[0] = exp(-nb);
    pk[1] = nb * pk[0];
    pk[2] = nb * pk[1] / 2;
    pk[3] = 1 - pk[0] - pk[1] - pk[2];
    for (int b = 0; b < 4; b++) X += (obs[b] - nmsg * pk[b]) * (obs[b] - nmsg * pk[b]) / (nmsg * pk[b]);
    double pv = gsl_cdf_chisq_Q(X, 3);
    MH_NOTE("hawkes n=%.1f: offspring 0/1/2/3+ = %.0f/%.0f/%.0f/%.0f, chi2 %.2f p %.3f", nb, obs[0], obs[1], obs[2], obs[3], X, pv);
    ck_assert_msg(pv > 0.001, "offspring chi2 %.2f p %.4g", X, pv);
    /* the kernel: reply delays Exp(decay); the mean within 4 SE (SE = mean /
     * sqrt(N)) plus 1 s for whole-second timestamps */
    double dm = dsum / dn, want = 600;
    MH_NOTE("hawkes n=%.1f: mean reply delay %.1f s (want %.0f)", nb, dm, want);
    ck_assert_msg(fabs(dm - want) < 4 * want / sqrt(dn) + 1, "mean delay %.1f", dm);
    free(kids);
    mh_free(&r);
}

START_TEST(hawkes_03) { hawkes_case(0.3, 21); }
END_TEST
START_TEST(hawkes_06) { hawkes_case(0.6, 22); }
END_TEST

START_TEST(hawkes_rejects_explosive)
{
    com_params p;
    mh_defaults(&p);
    char err[300];
    ck_assert_int_eq(com_validate(&p, err, sizeof err), 0);
    p.replies.branching = 1.0;
    ck_assert_int_eq(com_validate(&p, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "setting \"replies.branching\"") && strstr(err, "explosive"), "%s", err);
    p.replies.branching = 1.7;
    ck_assert_int_eq(com_validate(&p, err, sizeof err), -1);
    /* com_new refuses it too, before allocating anything */
    sim_t *s = NULL;
    cal c;
    ck_assert_int_eq(sim_open(&s, NULL), 0);
    ck_assert_int_eq(cal_init(&c, MH_START, "+08:00"), 0);
    com_t *m = (com_t *)1;
    ck_assert_int_eq(com_new(&m, &p, s, &c, 1, 0, NULL, err, sizeof err), -1);
    ck_assert_ptr_null(m);
    ck_assert_msg(strstr(err, "replies.branching"), "%s", err);
    sim_close(s);
    /* a strong post (response 2) with n = 0.6 is not explosive: only the
     * post's first generation is multiplied; its cluster is 1 + 1.2/0.4 */
    mh_defaults(&p);
    p.replies.branching = 0.6;
    p.content[CT_PROMPT].response = 2.0;
    ck_assert_msg(com_validate(&p, err, sizeof err) == 0, "%s", err);
}
END_TEST

/* ---- diurnal and weekly profiles ---- */

static double chi2_against(const double *obs, const double *w, int k, double *pv)
{
    double n = 0, sw = 0, X = 0;
    for (int i = 0; i < k; i++) { n += obs[i]; sw += w[i]; }
    for (int i = 0; i < k; i++) {
        double e = n * w[i] / sw;
        X += (obs[i] - e) * (obs[i] - e) / e;
    }
    *pv = gsl_cdf_chisq_Q(X, k - 1);
    return X;
}

START_TEST(profiles_recovered)
{
    static const double daily[24] = {0.2, 0.1, 0.05, 0.05, 0.05, 0.1, 0.3, 0.8, 1.2, 1.2, 1.1, 1.1,
                                     1.3, 1.2, 1.0, 1.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 1.6, 0.8};
    static const double weekly[7] = {1, 1, 1, 1, 1.2, 1.6, 2.0};
    com_params p;
    mh_quiet(&p, 200);
    mh_set(&p, "members.rate_mean", "2");
    mh_set(&p, "cadence.daily", "0.2,0.1,0.05,0.05,0.05,0.1,0.3,0.8,1.2,1.2,1.1,1.1,1.3,1.2,1.0,1.0,1.0,1.1,1.2,1.4,1.8,2.0,1.6,0.8");
    mh_set(&p, "cadence.weekly", "1,1,1,1,1.2,1.6,2.0");
    const int days = 28; /* four whole weeks from a Monday */
    mh_run r;
    mh_run1(&r, &p, days, 31);
    double hour[24] = {0}, wd[7] = {0}, lam = 0, n = 0;
    for (size_t k = 0; k < r.nev; k++) {
        double t = mh_t(&r, &r.ev[k]);
        hour[(int)fmod(t / 3600, 24)]++;
        wd[mh_day(&r, &r.ev[k]) % 7]++;
        n++;
    }
    /* Given the total, message times are iid with density prop. to the
     * profile (a Poisson process of intensity rate x daily(h) x weekly(d)):
     * hour counts multinomial with p_h = daily_h / sum daily (every weekday
     * equally often), weekday counts with p_d = weekly_d / sum weekly.  Over
     * whole weeks the mean activity is 1, so the total is unchanged. */
    for (int i = 0; i < r.nsnap; i++) lam += base_lambda(&r, i, days);
    double z = mh_z(n, lam, lam);
    ck_assert_msg(fabs(z) < 4, "total %.0f vs %.1f z %.2f", n, lam, z);
    double pv;
    double X = chi2_against(hour, daily, 24, &pv);
    MH_NOTE("profiles: hours chi2 %.1f on 23 df, p %.3f", X, pv);
    ck_assert_msg(pv > 0.001, "daily profile chi2 %.1f p %.4g", X, pv);
    double Xw = chi2_against(wd, weekly, 7, &pv);
    MH_NOTE("profiles: weekdays chi2 %.1f on 6 df, p %.3f", Xw, pv);
    ck_assert_msg(pv > 0.001, "weekly profile chi2 %.1f p %.4g", Xw, pv);
    /* power: the same statistics reject flat profiles */
    double flat[24];
    for (int i = 0; i < 24; i++) flat[i] = 1;
    chi2_against(hour, flat, 24, &pv);
    ck_assert(pv < 1e-9);
    chi2_against(wd, flat, 7, &pv);
    ck_assert(pv < 1e-9);
    mh_free(&r);
}
END_TEST

/* ---- the responder sampler ---- */

/* `draws` responders of group g by com_pick, against the exact weights of
 * the scan it replaced (com_weight of every member other than `not`, which
 * do not change while drawing: no simulated time passes).  Chi-square over
 * members, the smallest pooled into one bin until every expected count is
 * >= 5; returns the p-value, and the p-value against equal weights (power)
 * in *p_flat.  A member of weight 0 must never be drawn. */
static double pick_pvalue(com_t *m, int g, int not, int by_answer, int draws, gsl_rng *r, double *p_flat)
{
    group *G = &m->grp[g];
    int n = G->n;
    double *w = calloc((size_t)n, sizeof *w), *obs = calloc((size_t)n, sizeof *obs), W = 0;
    int *ord = malloc((size_t)n * sizeof *ord), npos = 0;
    ck_assert(w && obs && ord);
    for (int k = 0; k < n; k++) {
        w[k] = G->idx[k] == not ? 0 : com_weight(m, G->idx[k], by_answer);
        W += w[k];
    }
    for (int d = 0; d < draws; d++) {
        int j = com_pick(m, g, not, by_answer, r);
        ck_assert_int_ge(j, 0);
        ck_assert_int_eq(m->mem[j].group, g);
        ck_assert_msg(w[m->mem[j].gpos] > 0, "member %d of weight 0 drawn", j);
        obs[m->mem[j].gpos]++;
    }
    /* positive weights, largest first; pool the tail */
    for (int k = 0; k < n; k++)
        if (w[k] > 0) ord[npos++] = k;
    for (int a = 1; a < npos; a++) /* insertion sort: n is small */
        for (int b = a; b > 0 && w[ord[b]] > w[ord[b - 1]]; b--) { int t = ord[b]; ord[b] = ord[b - 1]; ord[b - 1] = t; }
    double X = 0, Xf = 0, po = 0, pe = 0, pf = 0;
    int bins = 0;
    for (int a = 0; a < npos; a++) {
        double o = obs[ord[a]], e = draws * w[ord[a]] / W, f = (double)draws / npos;
        if (e >= 5) {
            X += (o - e) * (o - e) / e;
            Xf += (o - f) * (o - f) / f;
            bins++;
        } else {
            po += o; pe += e; pf += f;
        }
    }
    if (pe > 0) {
        X += (po - pe) * (po - pe) / pe;
        Xf += (po - pf) * (po - pf) / pf;
        bins++;
    }
    *p_flat = gsl_cdf_chisq_Q(Xf, bins - 1);
    free(w);
    free(obs);
    free(ord);
    return gsl_cdf_chisq_Q(X, bins - 1);
}

/* com_pick draws by rejection from upper bounds on the weights (a bound is
 * the weight at the member's last change: it goes stale as engagement
 * decays); the result must be the scan's distribution whatever the state of
 * the bounds.  Members boosted, hurt (engagement below belonging), given
 * belonging and muted, then 10 days of decay (tau_e 5 days: the bounds are
 * up to e^2 too high, so draws are rejected, bounds tightened, and some
 * draws fall back to the exact scan); reply weights (author excluded) and
 * answer weights (roles' multipliers).  Tolerance: p > 0.001 (a correct
 * sampler fails one case in a thousand); power: equal weights rejected. */
START_TEST(responder_sampler)
{
    com_params p;
    mh_quiet(&p, 150);
    mh_set(&p, "group.admins", "2");
    mh_set(&p, "group.kols", "3");
    mh_set(&p, "group.helpers", "6");
    mh_set(&p, "members.rate_mean", "0");
    mh_set(&p, "members.engagement_a", "2");
    mh_set(&p, "members.engagement_b", "2");
    mh_set(&p, "members.engagement_tau", "5");
    mh_set(&p, "members.belonging_tau", "50");
    mh_set(&p, "members.belonging_init", "0.5");
    cal c;
    ck_assert_int_eq(cal_init(&c, MH_START, "+08:00"), 0);
    sim_t *sim = NULL;
    ck_assert_int_eq(sim_open(&sim, NULL), 0);
    com_t *m = NULL;
    char err[300];
    if (com_new(&m, &p, sim, &c, 41, 0, NULL, err, sizeof err) != 0) ck_abort_msg("com_new: %s", err);
    ck_assert_int_eq(com_start(m), 0);
    for (int i = 0; i < m->n; i++) {
        if (i % 7 == 0) com_boost(m, i, 0.6);
        if (i % 5 == 0) com_hurt(m, i, 0.7);
        if (i % 11 == 0) com_belong(m, i, 0.4);
        if (i % 13 == 6) com_mute(m, i);
    }
    sim_run_until(sim, 10 * MH_DAY);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(r, 4242);
    double pf, pv = pick_pvalue(m, 0, 8, 0, 60000, r, &pf);
    MH_NOTE("responder sampler: replies p %.3f (equal weights: p %.2g)", pv, pf);
    ck_assert_msg(pv > 0.001, "reply draws differ from the weights: p %.4g", pv);
    ck_assert(pf < 1e-9);
    pv = pick_pvalue(m, 0, -1, 1, 60000, r, &pf);
    MH_NOTE("responder sampler: answers p %.3f (equal weights: p %.2g)", pv, pf);
    ck_assert_msg(pv > 0.001, "answer draws differ from the weights: p %.4g", pv);
    ck_assert(pf < 1e-9);
    gsl_rng_free(r);
    com_free(m);
    sim_close(sim);
}
END_TEST

/* ---- questions ---- */

/* Answer weight of member j (as the model's com_weight with the role's
 * multiplier: owner 1, admins, KOLs, helpers their multipliers, bots 0). */
static double answer_w(const com_params *p, const mh_run *r, int j)
{
    const member *y = &r->snap[j];
    if (y->state == ST_MUTED || y->state == ST_LEFT || y->role == ROLE_BOT) return 0;
    double mult = 1;
    int lo = p->group.admins + p->group.kols + p->group.bots;
    if (y->role == ROLE_ADMIN) mult = p->roles.admin_answer;
    else if (y->role == ROLE_KOL) mult = p->roles.kol_answer;
    else if (y->role == ROLE_MEMBER && j > lo && j <= lo + p->group.helpers) mult = p->roles.helper_answer;
    return y->reply_w * y->eng * mult;
}

typedef struct qres {
    int nq;
    double *lam;       /* hazard of each question, 1/s */
    double *t;         /* time to first answer, s (INFINITY: none) */
    double answered, expect_answered, var_answered;
    double med, med_analytic, med_sd;
    double kol_answers, kol_expect, kol_var;
} qres;

static double mix_cdf(const qres *q, double t)
{
    double F = 0;
    for (int i = 0; i < q->nq; i++) F += -expm1(-q->lam[i] * t);
    return F / q->nq;
}

static void questions_case(const com_params *p, int days, uint64_t seed, qres *q)
{
    mh_run r;
    mh_run1(&r, p, days, seed);
    double patience = p->questions.patience * 3600, W = 0, Wk = 0;
    for (int j = 0; j < r.nsnap; j++) {
        W += answer_w(p, &r, j);
        if (r.snap[j].role == ROLE_KOL) Wk += answer_w(p, &r, j);
    }
    memset(q, 0, sizeof *q);
    q->lam = malloc(r.nev * sizeof *q->lam);
    q->t = malloc(r.nev * sizeof *q->t);
    int *qi = malloc(r.nev * sizeof *qi);
    for (size_t k = 0; k < r.nev; k++) qi[k] = -1;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind == EV_QUESTION && mh_t(&r, e) + patience < days * MH_DAY - 1) {
            int a = (int)e->member_id - 1;
            double Wq = W - answer_w(p, &r, a), Wkq = Wk - (r.snap[a].role == ROLE_KOL ? answer_w(p, &r, a) : 0);
            q->lam[q->nq] = p->questions.answer_rate * Wq / 3600;
            q->t[q->nq] = INFINITY;
            double pa = -expm1(-q->lam[q->nq] * patience);
            q->expect_answered += pa;
            q->var_answered += pa * (1 - pa);
            q->kol_expect += pa * Wkq / Wq;
            q->kol_var += pa * Wkq / Wq * (1 - pa * Wkq / Wq);
            qi[k] = q->nq++;
        } else if (e->kind == EV_ANSWER) {
            long j = mh_find_id(&r, e->ref_id);
            ck_assert_msg(j >= 0 && r.ev[j].kind == EV_QUESTION, "an answer to no question");
            ck_assert(r.ev[j].member_id != e->member_id);
            if (qi[j] < 0) continue;
            ck_assert_msg(isinf(q->t[qi[j]]), "two answers to one question");
            q->t[qi[j]] = (double)(e->ts - r.ev[j].ts);
            ck_assert(q->t[qi[j]] <= patience + 1);
            q->answered++;
            q->kol_answers += r.snap[e->member_id - 1].role == ROLE_KOL;
        }
    }
    /* median over all questions (unanswered = infinite), against the median
     * of the mixture of exponentials (bisection), with the asymptotic SD of a
     * sample median 1 / (2 f(m) sqrt(Q)) */
    double *ts = malloc((size_t)q->nq * sizeof *ts);
    memcpy(ts, q->t, (size_t)q->nq * sizeof *ts);
    qsort(ts, (size_t)q->nq, sizeof *ts, mh_cmp_double);
    q->med = ts[q->nq / 2];
    double lo = 0, hi = patience;
    for (int it = 0; it < 200; it++) {
        double mid = (lo + hi) / 2;
        if (mix_cdf(q, mid) < 0.5) lo = mid;
        else hi = mid;
    }
    q->med_analytic = lo;
    double f = 0;
    for (int i = 0; i < q->nq; i++) f += q->lam[i] * exp(-q->lam[i] * lo);
    f /= q->nq;
    q->med_sd = 1 / (2 * f * sqrt(q->nq));
    free(ts);
    free(qi);
    mh_free(&r);
}

static void qres_free(qres *q)
{
    free(q->lam);
    free(q->t);
}

static com_params questions_params(void)
{
    com_params p;
    mh_quiet(&p, 100);
    mh_set(&p, "members.rate_mean", "1");
    mh_set(&p, "members.question_share", "1"); /* every own message is a question */
    /* total hazard ~ 0.003 x 99 = 0.3/h: median ~ 2.3 h, 70% answered in 4 h */
    mh_set(&p, "questions.answer_rate", "0.003");
    mh_set(&p, "questions.patience", "4");
    return p;
}

START_TEST(questions_flat)
{
    com_params p = questions_params();
    qres q;
    questions_case(&p, 28, 41, &q);
    ck_assert_int_gt(q.nq, 2000);
    double z = mh_z(q.answered, q.expect_answered, q.var_answered);
    MH_NOTE("questions: %d asked, %.3f answered within patience (expected %.3f, z %.2f)", q.nq, q.answered / q.nq,
            q.expect_answered / q.nq, z);
    ck_assert_msg(fabs(z) < 4, "answered %.0f vs %.1f z %.2f", q.answered, q.expect_answered, z);
    z = (q.med - q.med_analytic) / q.med_sd;
    MH_NOTE("questions: median time to first answer %.0f s, analytic %.0f s (SD %.0f, z %.2f)", q.med, q.med_analytic,
            q.med_sd, z);
    ck_assert_msg(fabs(z) < 4, "median %.0f vs %.0f z %.2f", q.med, q.med_analytic, z);
    qres_free(&q);
}
END_TEST

START_TEST(questions_three_tier)
{
    /* the education case: 3 tutors (KOLs, x5), 3 study-committee members
     * (admins, x3) and 10 top students (helpers, x3) among 100 members */
    com_params p1 = questions_params(), p3 = questions_params();
    mh_set(&p3, "group.kols", "3");
    mh_set(&p3, "group.admins", "3");
    mh_set(&p3, "group.helpers", "10");
    qres q1, q3;
    questions_case(&p1, 28, 42, &q1);
    questions_case(&p3, 28, 42, &q3);
    double z = mh_z(q3.answered, q3.expect_answered, q3.var_answered);
    ck_assert_msg(fabs(z) < 4, "three-tier answered %.0f vs %.1f z %.2f", q3.answered, q3.expect_answered, z);
    z = (q3.med - q3.med_analytic) / q3.med_sd;
    ck_assert_msg(fabs(z) < 4, "three-tier median %.0f vs %.0f z %.2f", q3.med, q3.med_analytic, z);
    /* the speed-up: ratio of medians against the analytic ratio (for equal
     * hazards across questions it is the ratio of total hazards); log-ratio
     * SD by the delta method, the two runs taken as independent (common
     * random numbers only make the difference less noisy: conservative) */
    double ratio = q1.med / q3.med, want = q1.med_analytic / q3.med_analytic;
    double sd = sqrt(pow(q1.med_sd / q1.med_analytic, 2) + pow(q3.med_sd / q3.med_analytic, 2));
    z = (log(ratio) - log(want)) / sd;
    double lam1 = 0, lam3 = 0;
    for (int i = 0; i < q1.nq; i++) lam1 += q1.lam[i];
    for (int i = 0; i < q3.nq; i++) lam3 += q3.lam[i];
    MH_NOTE("three-tier: median %.0f s vs %.0f s flat: x%.2f faster (analytic x%.2f; ratio of mean hazards %.2f; z %.2f)",
            q3.med, q1.med, ratio, want, (lam3 / q3.nq) / (lam1 / q1.nq), z);
    ck_assert_msg(ratio > 1.1, "the three tiers do not speed up answers: x%.2f", ratio);
    ck_assert_msg(fabs(z) < 4, "speed-up x%.2f vs analytic x%.2f z %.2f", ratio, want, z);
    /* who answers: a KOL with probability W_kol / W (com_pick by weight) */
    z = mh_z(q3.kol_answers, q3.kol_expect, q3.kol_var);
    MH_NOTE("three-tier: %.0f answers by tutors, expected %.1f (z %.2f)", q3.kol_answers, q3.kol_expect, z);
    ck_assert_msg(fabs(z) < 4, "KOL answers %.0f vs %.1f z %.2f", q3.kol_answers, q3.kol_expect, z);
    ck_assert(q1.kol_answers == 0);
    qres_free(&q1);
    qres_free(&q3);
}
END_TEST

static Suite *mech_talk_suite(void)
{
    Suite *s = suite_create("mech_talk");
    TCase *tc = tcase_create("talk");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, poisson_posters);
    tcase_add_test(tc, hawkes_03);
    tcase_add_test(tc, hawkes_06);
    tcase_add_test(tc, hawkes_rejects_explosive);
    tcase_add_test(tc, profiles_recovered);
    tcase_add_test(tc, questions_flat);
    tcase_add_test(tc, questions_three_tier);
    tcase_add_test(tc, responder_sampler);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(mech_talk_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
