/* test_mech_culture.c -- culture and the operator's schedule in the community
 * model, each in isolation (mech_harness.h): the weekly themed night (its
 * belonging keeps later activity up), conflicts with and without a
 * resolution mechanism, offline meetups, and the operator's daily slots,
 * campaign-period reminders and quiet-period posts with the content types'
 * reach and action.
 *
 * Tolerances: z-scores |z| < 4 (CLT) against analytic expectations; paired
 * arms (same seed: common random numbers) for the effects, where the
 * coupling makes some orderings exact. */
#include "mech_harness.h"

/* ---- themed night ---- */

/* Expected messages of a member with posting rate `rate` and initial
 * engagement e0 over days [a, b): engagement relaxes towards belonging with
 * time constant tau (belonging does not decay: belonging_tau 1e9, which makes
 * the model's lazy update exact); each night at night_t[k] belonging rises by
 * b (1 - bel) and engagement to at least belonging.  Closed form piecewise:
 * on [s, u] with belonging B, int e = B (u - s) + (e_s - B) tau (1 - exp(-(u-s)/tau)). */
static double night_expect(double rate, double e0, double tau, const double *night_t, int nn, double bgain, double a, double b)
{
    double t = 0, e = e0, B = 0, acc = 0;
    for (int k = 0; k <= nn; k++) {
        double u = k < nn ? night_t[k] : b;
        /* integrate [t, u] clipped to [a, b] */
        double s0 = t, s1 = u;
        double es = e;
        if (s0 < a) { es = B + (e - B) * exp(-(a - t) / tau); s0 = a; }
        if (s1 > b) s1 = b;
        if (s1 > s0) acc += B * (s1 - s0) + (es - B) * tau * -expm1(-(s1 - s0) / tau);
        e = B + (e - B) * exp(-(u - t) / tau);
        t = u;
        if (k < nn) {
            B += bgain * (1 - B);
            if (e < B) e = B;
        }
    }
    return rate * acc;
}

START_TEST(themed_night)
{
    const double tau = 7, bgain = 0.05;
    const int days = 42, from = 14; /* weeks 3 to 6 */
    com_params p;
    mh_quiet(&p, 300);
    mh_set(&p, "members.rate_mean", "2");
    mh_set(&p, "members.engagement_a", "2");
    mh_set(&p, "members.engagement_b", "2");
    mh_setd(&p, "members.engagement_tau", tau);
    mh_set(&p, "culture.night_hour", "20.5");
    mh_setd(&p, "culture.night_belonging", bgain);
    mh_run off, on;
    mh_run1(&off, &p, days, 151);
    mh_set(&p, "culture.night_weekday", "4"); /* Fridays */
    mh_run1(&on, &p, days, 151);
    double night_t[8];
    int nn = 0;
    for (int d = 4; d < days; d += 7) night_t[nn++] = d + 20.5 / 24;
    /* the nights: a prompt by the operator account at 20:30 every Friday */
    int posts = 0;
    for (size_t k = 0; k < on.nev; k++)
        if (on.ev[k].kind == EV_POST) {
            ck_assert_int_eq(on.ev[k].member_id, 1);
            ck_assert_int_eq((int)on.ev[k].value, CT_PROMPT);
            ck_assert_double_eq_tol(mh_t(&on, &on.ev[k]), night_t[posts] * MH_DAY, 1);
            posts++;
        }
    ck_assert_int_eq(posts, nn);
    ck_assert_int_eq((int)mh_count(&off, EV_POST), 0);
    /* later activity, against the closed forms; each member's initial
     * engagement from the arm without nights: e(T) = e0 exp(-T/tau) exactly
     * (pure decay to zero belonging; the owner is held at 1) */
    double n_off = 0, n_on = 0, w_off = 0, w_on = 0;
    for (size_t k = 0; k < off.nev; k++)
        if (off.ev[k].kind == EV_MESSAGE && mh_day(&off, &off.ev[k]) >= from) n_off++;
    for (size_t k = 0; k < on.nev; k++)
        if (on.ev[k].kind == EV_MESSAGE && mh_day(&on, &on.ev[k]) >= from) n_on++;
    for (int i = 0; i < off.nsnap; i++) {
        const member *x = &off.snap[i];
        if (i == 0) { w_off += x->rate * (days - from); w_on += x->rate * (days - from); continue; }
        double e0 = x->eng * exp(x->t_eng / MH_DAY / tau);
        w_off += night_expect(x->rate, e0, tau, night_t, 0, bgain, from, days);
        w_on += night_expect(x->rate, e0, tau, night_t, nn, bgain, from, days);
    }
    double z_off = mh_z(n_off, w_off, w_off), z_on = mh_z(n_on, w_on, w_on);
    MH_NOTE("themed night: messages in weeks 3-6: %.0f without (expected %.1f, z %.2f), %.0f with (expected %.1f, z %.2f): x%.2f",
            n_off, w_off, z_off, n_on, w_on, z_on, n_on / n_off);
    ck_assert_msg(fabs(z_off) < 4, "without nights %.0f vs %.1f", n_off, w_off);
    ck_assert_msg(fabs(z_on) < 4, "with nights %.0f vs %.1f", n_on, w_on);
    ck_assert_msg(n_on > 1.5 * n_off, "the nights do not raise later activity: %.0f vs %.0f", n_on, n_off);
    /* paired: the same candidate posts and dice; engagement is never lower
     * with the nights, so every message of the run without is in the run with */
    ck_assert(mh_count(&on, EV_MESSAGE) >= mh_count(&off, EV_MESSAGE));
    mh_free(&off);
    mh_free(&on);
}
END_TEST

/* ---- conflicts ---- */

/* Expected engagement factor per day of conflicts: K ~ Poisson(rate n/100)
 * conflicts, each hurting 2-4 parties drawn uniformly (with replacement) by
 * h and everyone by h/10.  For one member a conflict multiplies engagement by
 * (1 - h/10)(1 - h)^Y, Y | P ~ Bin(P, 1/n), P uniform on {2,3,4}:
 * g = (1 - h/10) mean_P (1 - h/n)^P, and over the day E[g^K] = exp(-lc (1-g)). */
static double conflict_day_factor(double rate, int n, double h)
{
    double g = 0;
    for (int P = 2; P <= 4; P++) g += pow(1 - h / n, P) / 3;
    g *= 1 - h / 10;
    return exp(-rate * n / 100.0 * (1 - g));
}

START_TEST(conflicts)
{
    const int n = 100, days = 14, reps = 12;
    const double rate = 5, h = 0.3, fix = 0.7;
    com_params p;
    mh_quiet(&p, n);
    mh_set(&p, "members.rate_mean", "2");
    mh_setd(&p, "culture.conflict_hurt", h);
    mh_setd(&p, "culture.resolution_effect", fix);
    /* the expected ratio of messages to those without conflicts: engagement
     * otherwise constant, so E[e on day d] = e0 f^(d+1) (conflicts at the
     * day's tick, before its messages) for every member alike */
    double want[2] = {0, 0};
    for (int res = 0; res < 2; res++) {
        double f = conflict_day_factor(rate, n, res ? h * (1 - fix) : h);
        for (int d = 0; d < days; d++) want[res] += pow(f, d + 1) / days;
    }
    double s[2] = {0, 0}, ss[2] = {0, 0};
    for (int rep = 0; rep < reps; rep++) {
        mh_run none, hurt, fixed;
        mh_set(&p, "culture.conflict_rate", "0");
        mh_run_rep(&none, &p, days, 161, (uint64_t)rep);
        mh_setd(&p, "culture.conflict_rate", rate);
        mh_set(&p, "culture.resolution", "false");
        mh_run_rep(&hurt, &p, days, 161, (uint64_t)rep);
        mh_set(&p, "culture.resolution", "true");
        mh_run_rep(&fixed, &p, days, 161, (uint64_t)rep);
        double c0 = (double)mh_count(&none, EV_MESSAGE), c1 = (double)mh_count(&hurt, EV_MESSAGE),
               c2 = (double)mh_count(&fixed, EV_MESSAGE);
        /* paired and monotone: the same conflicts and dice, a smaller hurt
         * with resolution, so engagement and messages are ordered exactly */
        ck_assert_msg(c0 >= c2 && c2 >= c1, "rep %d: %.0f / %.0f / %.0f", rep, c0, c2, c1);
        s[0] += c1 / c0; ss[0] += (c1 / c0) * (c1 / c0);
        s[1] += c2 / c0; ss[1] += (c2 / c0) * (c2 / c0);
        mh_free(&none);
        mh_free(&hurt);
        mh_free(&fixed);
    }
    /* mean of the paired ratios over replications against the expected
     * ratio: CLT across replications with their sample SD (the conflict
     * counts are shared by all members, so replications are the unit) */
    for (int res = 0; res < 2; res++) {
        double mean = s[res] / reps, sd = sqrt((ss[res] - reps * mean * mean) / (reps - 1));
        double z = (mean - want[res]) / (sd / sqrt(reps));
        MH_NOTE("conflicts %s resolution: messages x%.3f of those without conflicts (expected x%.3f, SD %.3f, z %.2f)",
                res ? "with" : "without", mean, want[res], sd, z);
        ck_assert_msg(fabs(z) < 4, "ratio %.3f vs %.3f z %.2f", mean, want[res], z);
    }
    ck_assert(s[1] > s[0] + 0.2 * reps); /* resolution keeps far more activity */
}
END_TEST

/* ---- meetups ---- */

START_TEST(meetups)
{
    com_params p;
    mh_quiet(&p, 200);
    mh_set(&p, "members.rate_mean", "0");
    mh_set(&p, "culture.meetup_every", "7");
    mh_set(&p, "culture.meetup_attend", "0.3");
    mh_run r;
    mh_run1(&r, &p, 20, 171);
    /* days 7 and 14; each member attends with probability attend x e (~1) */
    double att = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind != EV_PARTICIPATE) continue;
        int d = mh_day(&r, e);
        ck_assert(d == 7 || d == 14);
        ck_assert_int_eq((int)e->value, d);
        att++;
    }
    ck_assert_msg(fabs(mh_z(att, 2 * 200 * 0.3, 2 * 200 * 0.3 * 0.7)) < 4, "%.0f attendances", att);
    mh_free(&r);
}
END_TEST

/* ---- the operator's schedule and content types ---- */

START_TEST(operator_schedule)
{
    const int n = 200, days = 14;
    com_params p;
    mh_quiet(&p, n);
    mh_set(&p, "members.rate_mean", "0.05"); /* few speakers: a quiet group */
    mh_set(&p, "operator.hours", "8,20");
    mh_set(&p, "operator.types", "text,poll");
    mh_set(&p, "operator.campaign_days", "3,5");
    mh_set(&p, "operator.campaign_every", "1");
    mh_set(&p, "operator.campaign_window", "9,22");
    mh_set(&p, "operator.campaign_type", "announce");
    mh_set(&p, "operator.quiet_below", "0.5");
    mh_set(&p, "operator.quiet_weekdays", "0,2,4");
    mh_set(&p, "operator.quiet_hour", "21");
    mh_set(&p, "operator.quiet_type", "prompt");
    mh_run r;
    mh_run1(&r, &p, days, 181);
    /* expected posts by (day, hour, type): the daily slots every day; on
     * campaign days 3-5 a reminder every hour from 9 to 21; on other days
     * after the first, on Mon/Wed/Fri (the start is a Monday), a quiet-
     * period prompt at 21 (about 10 speakers a day, below half of 200) */
    static int got[14][24][CT_COUNT];
    memset(got, 0, sizeof got);
    double polls = 0, votes = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind == EV_VOTE) {
            long j = mh_find_id(&r, e->ref_id);
            ck_assert(j >= 0 && r.ev[j].kind == EV_POST && (int)r.ev[j].value == CT_POLL);
            votes++;
        }
        if (e->kind != EV_POST && e->kind != EV_ANNOUNCE) continue;
        double t = mh_t(&r, e);
        ck_assert_double_eq(fmod(t, 3600), 0); /* on the hour */
        ck_assert_int_eq(e->member_id, 1);     /* the operator account */
        int type = (int)e->value;
        ck_assert_int_eq(e->kind == EV_ANNOUNCE, type == CT_ANNOUNCE);
        got[mh_day(&r, e)][(int)fmod(t / 3600, 24)][type]++;
        polls += type == CT_POLL;
    }
    for (int d = 0; d < days; d++)
        for (int h = 0; h < 24; h++)
            for (int c = 0; c < CT_COUNT; c++) {
                int camp = d >= 3 && d <= 5, quiet = d > 0 && !camp && (d % 7 == 0 || d % 7 == 2 || d % 7 == 4);
                int want = (h == 8 && c == CT_TEXT) + (h == 20 && c == CT_POLL) + (camp && h >= 9 && h < 22 && c == CT_ANNOUNCE) +
                           (quiet && h == 21 && c == CT_PROMPT);
                ck_assert_msg(got[d][h][c] == want, "day %d %02d:00 %s: %d posts, want %d", d, h, com_content_names[c], got[d][h][c], want);
            }
    /* poll votes: each present reader (n - 1, the author excluded) is reached
     * with probability reach and votes with act x engagement (~1) */
    double pv = p.content[CT_POLL].reach * p.content[CT_POLL].act;
    double want = polls * (n - 1) * pv;
    MH_NOTE("operator: %.0f polls, %.0f votes (expected %.1f)", polls, votes, want);
    ck_assert_msg(fabs(mh_z(votes, want, want * (1 - pv))) < 4, "votes %.0f vs %.1f", votes, want);
    mh_free(&r);
}
END_TEST

static Suite *mech_culture_suite(void)
{
    Suite *s = suite_create("mech_culture");
    TCase *tc = tcase_create("culture");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, themed_night);
    tcase_add_test(tc, conflicts);
    tcase_add_test(tc, meetups);
    tcase_add_test(tc, operator_schedule);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(mech_culture_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
