/* test_mech_confirm.c -- settings not covered elsewhere: invite confirmation
 * (rules.invite_confirm, approve_prob, approve_delay) and the posting factor
 * of a member who muted the group (members.muted_post).  Fixed seeds;
 * tolerances are 4 standard errors of the quantity compared. */
#include "mech_harness.h"

/* Invitations accepted with probability a, approved with probability q after
 * Exp(D hours): joins per invitation ~ a q (binomial), and for inviters with
 * exactly one invitation and one join, the delay between them is the
 * approval delay (the invitation is accepted at once), mean D. */
START_TEST(invite_confirmation)
{
    const double a = 0.6, q = 0.5, D = 3.0;
    com_params p;
    mh_quiet(&p, 500);
    mh_set(&p, "rules.max_groups", "100");
    mh_set(&p, "group.count", "4"); /* 2000 members in four groups */
    mh_set(&p, "members.rate_mean", "0");
    mh_set(&p, "invites.mean", "0.05");
    mh_set(&p, "invites.window", "5");
    mh_setd(&p, "invites.accept", a);
    mh_set(&p, "rules.invite_confirm", "true");
    mh_setd(&p, "rules.approve_prob", q);
    mh_setd(&p, "rules.approve_delay", D);
    mh_set(&p, "rules.overflow", "true");
    mh_set(&p, "rules.max_groups", "100");
    mh_run r;
    mh_run1(&r, &p, 12, 71);
    double inv = (double)mh_count(&r, EV_INVITE), joins = (double)mh_count(&r, EV_JOIN);
    ck_assert_msg(inv > 500, "too few invitations (%g) for the test", inv);
    double z = mh_z(joins, inv * a * q, inv * a * q * (1 - a * q));
    ck_assert_msg(fabs(z) < 4, "joins %g for %g invitations, expected %g (z %.2f)", joins, inv, inv * a * q, z);
    /* delays of single-invitation, single-join inviters */
    int n = r.nmem + 1;
    int *ninv = calloc((size_t)n, sizeof *ninv), *njoin = calloc((size_t)n, sizeof *njoin);
    int64_t *tinv = calloc((size_t)n, sizeof *tinv), *tjoin = calloc((size_t)n, sizeof *tjoin);
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind == EV_INVITE && e->member_id < n) { ninv[e->member_id]++; tinv[e->member_id] = e->ts; }
        if (e->kind == EV_JOIN && e->ref_id > 0 && e->ref_id < n) { njoin[e->ref_id]++; tjoin[e->ref_id] = e->ts; }
    }
    double sum = 0;
    int m = 0;
    for (int i = 1; i < n; i++)
        if (ninv[i] == 1 && njoin[i] == 1 && tinv[i] < r.cal.start_ts + 7 * 86400) { sum += (double)(tjoin[i] - tinv[i]); m++; }
    ck_assert_msg(m > 50, "too few pairs (%d)", m);
    double mean = sum / m / 3600.0, se = D / sqrt(m); /* exponential: sd = mean; whole seconds add < 1 s */
    ck_assert_msg(fabs(mean - D) < 4 * se, "mean approval delay %.3f h, expected %.1f h (se %.3f, %d pairs)", mean, D, se, m);
    free(ninv); free(njoin); free(tinv); free(tjoin);
    mh_free(&r);

    /* without confirmation, every accepted invitation joins: joins ~ a */
    mh_set(&p, "rules.invite_confirm", "false");
    mh_run1(&r, &p, 12, 71);
    inv = (double)mh_count(&r, EV_INVITE);
    joins = (double)mh_count(&r, EV_JOIN);
    z = mh_z(joins, inv * a, inv * a * (1 - a));
    ck_assert_msg(fabs(z) < 4, "no confirmation: joins %g for %g invitations, expected %g (z %.2f)", joins, inv, inv * a, z);
    mh_free(&r);
}
END_TEST

/* A member who muted the group posts at muted_post x its rate: mute half the
 * members at the start (white box: com_mute) and compare message counts of
 * equal-rate members (rate_shape huge). */
START_TEST(muted_posting_factor)
{
    const double f = 0.25, rate = 4;
    const int n = 400, days = 20;
    com_params p;
    mh_quiet(&p, n);
    mh_setd(&p, "members.rate_mean", rate);
    mh_set(&p, "members.rate_shape", "100");
    mh_setd(&p, "members.muted_post", f);
    mh_run r;
    memset(&r, 0, sizeof r);
    r.days = days;
    ck_assert_int_eq(cal_init(&r.cal, MH_START, "+08:00"), 0);
    sim_t *sim = NULL;
    ck_assert_int_eq(sim_open(&sim, NULL), 0);
    com_t *m = NULL;
    char err[300];
    ev_sink sink = {mh_sink_member, mh_sink_event, &r};
    if (com_new(&m, &p, sim, &r.cal, 81, 0, &sink, err, sizeof err) != 0) ck_abort_msg("com_new: %s", err);
    ck_assert_int_eq(com_start(m), 0);
    for (int i = 1; i < n; i += 2) com_mute(m, i);
    sim_run_until(sim, nextafter((double)days * MH_DAY, 0.0));
    ck_assert_int_eq(com_finish(m), 0);
    double muted = 0, open = 0, rmuted = 0, ropen = 0;
    for (int i = 1; i < n; i++) {
        if (i % 2) rmuted += m->mem[i].rate;
        else ropen += m->mem[i].rate;
    }
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (!ev_kind_is_message((ev_kind)e->kind) || e->member_id < 2) continue;
        if ((e->member_id - 1) % 2) muted++;
        else open++;
    }
    /* expected counts: rate x engagement (~1) x days; Poisson variance */
    double em = f * rmuted * days, eo = ropen * days;
    ck_assert_msg(fabs(mh_z(muted, em, em)) < 4, "muted members sent %g, expected %g", muted, em);
    ck_assert_msg(fabs(mh_z(open, eo, eo)) < 4, "other members sent %g, expected %g", open, eo);
    com_free(m);
    sim_close(sim);
    mh_free(&r);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("mech_confirm");
    TCase *tc = tcase_create("confirm");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invite_confirmation);
    tcase_add_test(tc, muted_posting_factor);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
