/* test_mech_rules.c -- moderation and overload in the community model, each
 * in isolation (mech_harness.h): spammers and the ban on ads with the
 * violation ladder (warn, mute, remove), the per-member daily cap, recalls
 * within the platform's window, and muting under information overload
 * (including the load of @all announcements).
 *
 * Tolerances: z-scores |z| < 4 (CLT) on counts; the ladder, cap and recall
 * window are exact properties checked on every event. */
#include "mech_harness.h"

#include <gsl/gsl_cdf.h>

/* ---- spammers and the ban on ads ---- */

static int is_ad(const ev_rec *e) { return e->kind == EV_MESSAGE && e->value == 1.0; }

/* Runs spammers against the ban with ladder `actions`; checks every
 * violation's action against the ladder, that a mute (禁言) stops the ads,
 * that a removal follows its violation at once and ends the ads, and that
 * every spammer with enough detected ads reached the step it should. */
static void spam_ladder_case(const char *actions, int *nmuted, int *nremoved)
{
    com_params p;
    mh_quiet(&p, 50);
    mh_set(&p, "members.rate_mean", "1");
    mh_set(&p, "joins.rate", "4");
    mh_set(&p, "joins.qr_share", "0");
    mh_set(&p, "rules.spam_share", "0.5");
    mh_set(&p, "rules.spam_rate", "10");
    mh_set(&p, "rules.ad_ban", "true");
    mh_set(&p, "rules.detect_prob", "1");
    mh_set(&p, "rules.detect_delay", "30");
    mh_set(&p, "rules.actions", actions);
    mh_set(&p, "rules.warn_effect", "0.5");
    mh_run r;
    mh_run1(&r, &p, 21, 101);
    const opt_vec *lad = &p.rules.actions;
    int n = r.nmem;
    int *viol = calloc((size_t)n + 1, sizeof *viol), *ads = calloc((size_t)n + 1, sizeof *ads);
    int *muted = calloc((size_t)n + 1, sizeof *muted), *gone = calloc((size_t)n + 1, sizeof *gone);
    double *last = calloc((size_t)n + 1, sizeof *last);
    int spammers = 0, ads_after_mute = 0;
    *nmuted = *nremoved = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        int i = (int)e->member_id;
        if (is_ad(e)) {
            ck_assert_msg(!gone[i], "member %d posts an ad after removal", i);
            ads_after_mute += muted[i];
            ads[i]++;
            last[i] = mh_t(&r, e);
        } else if (e->kind == EV_VIOLATION) {
            int want = (int)lad->v[viol[i] < lad->n ? viol[i] : lad->n - 1];
            ck_assert_int_eq((int)e->value, want);
            ck_assert_msg(ads[i] > viol[i], "a violation without an ad");
            viol[i]++;
            if (want == 1) { muted[i] = 1; ++*nmuted; }
            if (want == 2) {
                ck_assert(k + 1 < r.nev && r.ev[k + 1].kind == EV_LEAVE && r.ev[k + 1].member_id == i && r.ev[k + 1].value == 1);
                ck_assert_int_eq(r.mem[i - 1].left_ts, e->ts);
                gone[i] = 1;
                ++*nremoved;
            }
        } else if (e->kind == EV_LEAVE) {
            ck_assert_msg(e->value == 1 && gone[i], "a leave that is not a removal");
        }
    }
    /* after the mute the spammer posts nothing */
    ck_assert_int_eq(ads_after_mute, 0);
    for (int i = 1; i <= n; i++) {
        if (!ads[i]) continue;
        spammers++;
        ck_assert_int_eq(r.snap[i - 1].kind, MK_SPAMMER);
        /* with every ad detected (delay Exp(30 min); the last day excluded)
         * each ad is a violation, unless its spammer was removed before */
        if (!gone[i] && last[i] < (r.days - 1) * MH_DAY) ck_assert_int_eq(viol[i], ads[i]);
    }
    MH_NOTE("spam (ban on, ladder %s): %d spammers, %d muted, %d removed, %d violations", actions, spammers, *nmuted,
            *nremoved, (int)r.st.violations);
    ck_assert_int_gt(spammers, 20);
    ck_assert_int_eq((int)r.st.removals, *nremoved);
    free(viol); free(ads); free(muted); free(gone); free(last);
    mh_free(&r);
}

START_TEST(spam_ladder)
{
    int mu, rm;
    /* warn, mute, remove: a warned spammer (half rate) is muted at the next
     * detection; few post a third ad before that */
    spam_ladder_case("0,1,2", &mu, &rm);
    ck_assert_int_gt(mu, 20);
    /* warn, then remove */
    spam_ladder_case("0,2", &mu, &rm);
    ck_assert_int_eq(mu, 0);
    ck_assert_int_gt(rm, 20);
    /* remove at once */
    spam_ladder_case("2", &mu, &rm);
    ck_assert_int_gt(rm, 20);
}
END_TEST

START_TEST(spam_no_ban)
{
    const int days = 21;
    const double spam_rate = 10;
    com_params p;
    mh_quiet(&p, 50);
    mh_set(&p, "members.rate_mean", "1");
    mh_set(&p, "members.belonging_tau", "1e9");
    mh_set(&p, "joins.rate", "4");
    mh_set(&p, "joins.qr_share", "0");
    mh_set(&p, "rules.spam_share", "0.5");
    mh_setd(&p, "rules.spam_rate", spam_rate);
    mh_set(&p, "rules.ad_annoyance", "0");
    mh_set(&p, "rules.ad_ban", "false");
    mh_run r;
    mh_run1(&r, &p, days, 101);
    /* nobody is warned or removed; spammers post ads at spam_rate from
     * joining to the end: Poisson with mean sum spam_rate x time present */
    ck_assert_int_eq((int)mh_count(&r, EV_VIOLATION), 0);
    double ads = 0, last_day = 0, want = 0;
    for (size_t k = 0; k < r.nev; k++)
        if (is_ad(&r.ev[k])) { ads++; last_day += mh_day(&r, &r.ev[k]) == days - 1; }
    for (int i = 0; i < r.nmem; i++)
        if (r.snap[i].kind == MK_SPAMMER) {
            ck_assert_int_eq(r.mem[i].left_ts, -1);
            want += spam_rate * r.snap[i].eng * (days * MH_DAY - (double)(r.mem[i].joined_ts - r.cal.start_ts)) / MH_DAY;
        }
    MH_NOTE("spam (ban off): %.0f ads, expected %.1f; %.0f on the last day", ads, want, last_day);
    ck_assert_msg(fabs(mh_z(ads, want, want)) < 4, "ads %.0f vs %.1f", ads, want);
    ck_assert_int_gt((int)last_day, 100);
    mh_free(&r);
}
END_TEST

/* ---- the daily cap ---- */

START_TEST(daily_cap)
{
    const int cap = 3, days = 14;
    com_params p;
    mh_quiet(&p, 100);
    mh_set(&p, "members.rate_mean", "3");
    mh_set(&p, "members.rate_shape", "100");
    mh_setd(&p, "rules.cap_per_day", cap);
    mh_set(&p, "rules.actions", "0");       /* always a warning ... */
    mh_set(&p, "rules.warn_effect", "1");   /* ... that changes nothing: rates stay analytic */
    mh_run r;
    mh_run1(&r, &p, days, 111);
    int n = r.nmem;
    int *sent = calloc((size_t)(n + 1) * days, sizeof *sent), *viol = calloc((size_t)(n + 1) * days, sizeof *viol);
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        size_t c = (size_t)e->member_id * days + (size_t)mh_day(&r, e);
        if (e->kind == EV_MESSAGE) sent[c]++;
        if (e->kind == EV_VIOLATION) {
            /* at the (cap+1)-th message of the day, same second, same member */
            ck_assert_int_eq(sent[c], cap + 1);
            ck_assert(k > 0 && r.ev[k - 1].kind == EV_MESSAGE && r.ev[k - 1].member_id == e->member_id);
            ck_assert_int_eq((int)e->value, 0);
            viol[c]++;
        }
    }
    /* exactly one violation per member-day over the cap, none for the owner */
    double nv = 0, want = 0, var = 0;
    for (int i = 1; i <= n; i++)
        for (int d = 0; d < days; d++) {
            size_t c = (size_t)i * days + (size_t)d;
            ck_assert_int_eq(viol[c], i > 1 && sent[c] > cap ? 1 : 0);
            nv += viol[c];
            if (i > 1) { /* P(Poisson(rate e) > cap) */
                double pr = gsl_cdf_poisson_Q((unsigned)cap, r.snap[i - 1].rate * r.snap[i - 1].eng);
                want += pr;
                var += pr * (1 - pr);
            }
        }
    double z = mh_z(nv, want, var);
    MH_NOTE("cap: %.0f violations over %d member-days, expected %.1f (z %.2f)", nv, (n - 1) * days, want, z);
    ck_assert_msg(fabs(z) < 4, "violations %.0f vs %.1f z %.2f", nv, want, z);
    free(sent);
    free(viol);
    mh_free(&r);
}
END_TEST

/* With the default ladder the second violation mutes the member (禁言): no
 * message of any kind from them afterwards, replies and answers included. */
START_TEST(cap_mute_silences)
{
    com_params p;
    mh_quiet(&p, 60);
    mh_set(&p, "members.rate_mean", "3");
    mh_set(&p, "members.question_share", "0.2");
    mh_set(&p, "questions.answer_rate", "0.05");
    mh_set(&p, "replies.branching", "0.5");
    mh_set(&p, "rules.cap_per_day", "2");
    mh_set(&p, "rules.actions", "0,1");
    mh_run r;
    mh_run1(&r, &p, 14, 112);
    int *muted = calloc((size_t)r.nmem + 1, sizeof *muted), after = 0, nmuted = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind == EV_VIOLATION && e->value == 1) { muted[e->member_id] = 1; nmuted++; }
        else if (ev_kind_is_message(e->kind) && muted[e->member_id]) after++;
    }
    MH_NOTE("cap mute: %d members muted, %d messages from them afterwards", nmuted, after);
    ck_assert_int_gt(nmuted, 10);
    ck_assert_int_eq(after, 0);
    free(muted);
    mh_free(&r);
}
END_TEST

/* ---- recalls ---- */

START_TEST(recall_window)
{
    com_params p;
    mh_quiet(&p, 100);
    mh_set(&p, "members.rate_mean", "2");
    mh_set(&p, "rules.recall_prob", "0.05");
    mh_set(&p, "rules.recall_window", "120");
    mh_run r;
    mh_run1(&r, &p, 14, 121);
    double msgs = 0, rec = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind == EV_MESSAGE && e->member_id > 1) msgs++; /* the owner is not subject to it */
        if (e->kind != EV_RECALL) continue;
        rec++;
        long j = mh_find_id(&r, e->ref_id);
        ck_assert(j >= 0 && r.ev[j].kind == EV_MESSAGE && r.ev[j].member_id == e->member_id);
        ck_assert(e->ts - r.ev[j].ts >= 0 && e->ts - r.ev[j].ts <= 120);
    }
    ck_assert_msg(fabs(mh_z(rec, 0.05 * msgs, 0.05 * 0.95 * msgs)) < 4, "recalls %.0f of %.0f", rec, msgs);
    mh_free(&r);
}
END_TEST

/* ---- information overload ---- */

/* Members of one group, tolerance `tol` for all (sigma 0): on day 1 each
 * ordinary member mutes with probability 1 - exp(-mute_rate x (L - tol)/tol)
 * where L is day 0's load.  Returns mutes on day 1, their expectation and
 * variance given L (read from the event log: messages + extra load of
 * operator posts). */
static void overload_day1(const com_params *p, uint64_t seed, double *mutes, double *want, double *var, double *load)
{
    mh_run r;
    mh_run1(&r, p, 2, seed);
    double L = 0, m1 = 0;
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        int d = mh_day(&r, e);
        if (d == 0 && ev_kind_is_message(e->kind)) {
            L++;
            if (e->member_id == 1 && (e->kind == EV_POST || e->kind == EV_ANNOUNCE)) L += lround(p->content[(int)e->value].load) - 1;
        }
        if (d == 1 && e->kind == EV_MUTE) m1++;
        if (e->kind == EV_MUTE) ck_assert_int_ge(d, 1); /* day 0 has no yesterday */
    }
    double tol = p->members.tol_median, over = L > tol ? (L - tol) / tol : 0;
    double pm = -expm1(-p->members.mute_rate * over);
    int ordinary = p->group.size - 1 - p->group.admins - p->group.kols - p->group.bots;
    *mutes = m1;
    *want = ordinary * pm;
    *var = ordinary * pm * (1 - pm);
    *load = L;
    mh_free(&r);
}

START_TEST(overload_mutes)
{
    com_params p;
    mh_quiet(&p, 300);
    mh_set(&p, "members.rate_mean", "1");
    mh_set(&p, "members.tolerance_median", "200");
    mh_set(&p, "members.tolerance_sigma", "0");
    mh_set(&p, "members.mute_rate", "0.5");
    double m, want, var, L;
    overload_day1(&p, 131, &m, &want, &var, &L);
    MH_NOTE("overload: load %.0f vs tolerance 200: %.0f mutes on day 1, expected %.1f", L, m, want);
    ck_assert(L > 250);
    ck_assert_msg(fabs(mh_z(m, want, var)) < 4, "mutes %.0f vs %.1f", m, want);
    ck_assert(m > 10);
    /* with mute_rate 0, none */
    mh_set(&p, "members.mute_rate", "0");
    mh_run r;
    mh_run1(&r, &p, 14, 131);
    ck_assert_int_eq((int)mh_count(&r, EV_MUTE), 0);
    mh_free(&r);
    /* below tolerance, none either */
    mh_set(&p, "members.mute_rate", "0.5");
    mh_set(&p, "members.tolerance_median", "1000");
    mh_run1(&r, &p, 14, 131);
    ck_assert_int_eq((int)mh_count(&r, EV_MUTE), 0);
    mh_free(&r);
}
END_TEST

/* @all: three announcements a day, each counting `load` messages for every
 * reader, push a group that is under its tolerance over it. */
START_TEST(overload_announce)
{
    com_params p;
    mh_quiet(&p, 200);
    mh_set(&p, "members.rate_mean", "0.5");   /* ~100 messages a day */
    mh_set(&p, "members.tolerance_median", "150");
    mh_set(&p, "members.tolerance_sigma", "0");
    mh_set(&p, "members.mute_rate", "0.5");
    mh_set(&p, "operator.hours", "9,12,18");
    mh_set(&p, "operator.types", "text,text,text");
    double m, want, var, L;
    overload_day1(&p, 141, &m, &want, &var, &L);
    ck_assert(L < 150);
    ck_assert_int_eq((int)m, 0);
    mh_set(&p, "operator.types", "announce,announce,announce");
    mh_set(&p, "content.announce.load", "30");
    double La;
    overload_day1(&p, 141, &m, &want, &var, &La);
    MH_NOTE("overload @all: load %.0f with text posts, %.0f with @all: %.0f mutes (expected %.1f)", L, La, m, want);
    ck_assert_int_eq((int)(La - L), 3 * 29); /* same dice: only the posts' load differs */
    ck_assert(m > 0);
    ck_assert_msg(fabs(mh_z(m, want, var)) < 4, "mutes %.0f vs %.1f", m, want);
}
END_TEST

static Suite *mech_rules_suite(void)
{
    Suite *s = suite_create("mech_rules");
    TCase *tc = tcase_create("rules");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, spam_ladder);
    tcase_add_test(tc, spam_no_ban);
    tcase_add_test(tc, daily_cap);
    tcase_add_test(tc, cap_mute_silences);
    tcase_add_test(tc, recall_window);
    tcase_add_test(tc, overload_mutes);
    tcase_add_test(tc, overload_announce);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(mech_rules_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
