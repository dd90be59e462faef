/* test_mech_growth.c -- how the community model grows, each mechanism in
 * isolation (mech_harness.h): invites as a Galton-Watson process, the
 * unlock-k coupon, QR joining (size limit, validity, refresh), questionnaire
 * screening, overflow into new groups ("live code"), and the roles and join
 * sources recorded in the members rows.
 *
 * Tolerances: z-scores |z| < 4 (CLT) on counts, chi-square at p > 0.001 on
 * distributions; the rest are exact properties (limits, orderings, ids). */
#include "mech_harness.h"

/* ---- invites: a Galton-Watson process ---- */

/* Offspring of one member.  A member invites on the day ticks within
 * invites.window = W days of joining: W ticks whatever the time of joining
 * (ticks at whole days d with 0 <= d - t_join < W).  On each, Poisson(r x e x
 * incentive) invitations, each accepted with probability a (admission open,
 * no approval): a thinned Poisson, so Poisson(r e a) joins a tick and
 * Poisson(r W a) over the window (e ~ 1, incentive 1).  The propensity r is
 * Gamma(shape, r/shape) across members: the offspring are mixed Poisson
 * with mean mu = r W a and variance sigma^2 = mu + mu^2/shape.  A Galton-
 * Watson process with offspring mean mu < 1 has E[generation g] = mu^g per
 * ancestor, so the expected descendants of one seed member are
 * mu + mu^2 + ... = mu/(1-mu), whatever the offspring law; the variance of
 * the total progeny is sigma^2/(1-mu)^3. */
START_TEST(invites_galton_watson)
{
    const double rr = 0.5, W = 2, a = 0.5, shape = 100, mu = rr * W * a;
    const int seeds = 400, reps = 20, days = 60; /* 60 days: ~40 generations */
    com_params p;
    mh_quiet(&p, seeds);
    mh_set(&p, "members.rate_mean", "0"); /* nobody posts: only invitations */
    mh_setd(&p, "invites.mean", rr);
    mh_setd(&p, "invites.shape", shape);
    mh_setd(&p, "invites.window", W);
    mh_setd(&p, "invites.accept", a);
    mh_set(&p, "rules.overflow", "true"); /* room for everyone: new groups */
    mh_set(&p, "rules.max_groups", "1000");
    double joins = 0, invites = 0, kids_obs[5] = {0}, parents = 0;
    for (int rep = 0; rep < reps; rep++) {
        mh_run r;
        mh_run_rep(&r, &p, days, 51, (uint64_t)rep);
        int *kids = calloc((size_t)r.nmem + 1, sizeof *kids);
        for (size_t k = 0; k < r.nev; k++) {
            const ev_rec *e = &r.ev[k];
            if (e->kind == EV_INVITE) invites++;
            if (e->kind != EV_JOIN) continue;
            ck_assert_int_eq((int)e->value, SRC_INVITE);
            ck_assert(e->ref_id >= 1 && e->ref_id < e->member_id);
            ck_assert_int_eq(r.mem[e->member_id - 1].inviter_id, e->ref_id);
            kids[e->ref_id]++;
            joins++;
        }
        /* offspring of members whose window closed before the end */
        for (int i = 0; i < r.nmem; i++) {
            if ((double)(r.mem[i].joined_ts - r.cal.start_ts) > (days - W - 2) * MH_DAY) continue;
            int k = kids[i + 1];
            kids_obs[k < 4 ? k : 4]++;
            parents++;
        }
        free(kids);
        mh_free(&r);
    }
    double n0 = (double)seeds * reps, sig2 = mu + mu * mu / shape;
    double z = mh_z(joins, n0 * mu / (1 - mu), n0 * sig2 / pow(1 - mu, 3));
    MH_NOTE("invites: mu = r W a = %.2f: %.3f invite-joins per seed member, expected mu/(1-mu) = %.3f (z %.2f)", mu,
            joins / n0, mu / (1 - mu), z);
    ck_assert_msg(fabs(z) < 4, "joins %.0f vs %.0f z %.2f", joins, n0 * mu / (1 - mu), z);
    /* not the expectation of one generation only */
    ck_assert(fabs(mh_z(joins, n0 * mu, n0 * sig2 / pow(1 - mu, 3))) > 4);
    /* acceptance: joins / invitations ~ Binomial(invitations, a) */
    z = mh_z(joins, invites * a, invites * a * (1 - a));
    ck_assert_msg(fabs(z) < 4, "accepted %.0f of %.0f z %.2f", joins, invites, z);
    /* offspring law: Poisson(mu) up to the gamma mixing (variance +0.5%) */
    double pk[5], X = 0, cum = 0;
    for (int k = 0; k < 4; k++) { pk[k] = exp(-mu) * pow(mu, k) / gsl_sf_fact((unsigned)k); cum += pk[k]; }
    pk[4] = 1 - cum;
    for (int k = 0; k < 5; k++) X += pow(kids_obs[k] - parents * pk[k], 2) / (parents * pk[k]);
    double pv = gsl_cdf_chisq_Q(X, 4);
    MH_NOTE("invites: offspring 0..4+ = %.0f/%.0f/%.0f/%.0f/%.0f of %.0f, chi2 %.2f p %.3f", kids_obs[0], kids_obs[1],
            kids_obs[2], kids_obs[3], kids_obs[4], parents, X, pv);
    ck_assert_msg(pv > 0.001, "offspring chi2 %.2f p %.4g", X, pv);
}
END_TEST

/* The coupon: the reward comes with exactly the k-th invite join of a member
 * (right after that join event), once, and never for fewer. */
START_TEST(invites_unlock_coupon)
{
    const int k = 3;
    com_params p;
    mh_quiet(&p, 300);
    mh_set(&p, "members.rate_mean", "0");
    mh_set(&p, "invites.mean", "0.3");
    mh_set(&p, "invites.accept", "0.5");
    mh_set(&p, "invites.window", "10");
    mh_setd(&p, "invites.unlock_k", k);
    mh_set(&p, "invites.unlock_incentive", "1");
    mh_set(&p, "rules.overflow", "true");
    mh_run r;
    mh_run1(&r, &p, 30, 61);
    int *joins = calloc((size_t)r.nmem + 1, sizeof *joins), *rewards = calloc((size_t)r.nmem + 1, sizeof *rewards);
    int nrew = 0;
    for (size_t q = 0; q < r.nev; q++) {
        const ev_rec *e = &r.ev[q];
        if (e->kind == EV_JOIN) {
            if (++joins[e->ref_id] == k) {
                ck_assert_msg(q + 1 < r.nev && r.ev[q + 1].kind == EV_REWARD && r.ev[q + 1].member_id == e->ref_id,
                              "member %lld's %d-th invite join is not followed by its reward", (long long)e->ref_id, k);
                ck_assert_int_eq(r.ev[q + 1].ts, e->ts);
                ck_assert_int_eq((int)r.ev[q + 1].value, k);
            }
        } else if (e->kind == EV_REWARD) {
            ck_assert_int_eq(joins[e->member_id], k);
            rewards[e->member_id]++;
            nrew++;
        }
    }
    int unlocked = 0;
    for (int i = 1; i <= r.nmem; i++) {
        ck_assert_int_eq(rewards[i], joins[i] >= k ? 1 : 0);
        unlocked += joins[i] >= k;
    }
    MH_NOTE("coupon: %d members unlocked (k = %d), %d rewards", unlocked, k, nrew);
    ck_assert_int_gt(nrew, 10); /* mean offspring 1.5: plenty reach 3 */
    ck_assert_int_eq((int)r.st.rewards, nrew);
    free(joins);
    free(rewards);
    mh_free(&r);
}
END_TEST

/* While locked, the coupon multiplies the incentive: invitations per
 * member-day before unlocking are unlock_incentive x those after. */
START_TEST(invites_unlock_incentive)
{
    com_params p;
    mh_quiet(&p, 200);
    mh_set(&p, "members.rate_mean", "0");
    mh_set(&p, "invites.mean", "0.2");
    mh_set(&p, "invites.shape", "100");
    mh_set(&p, "invites.accept", "0");
    mh_set(&p, "invites.unlock_k", "1");
    mh_set(&p, "invites.unlock_incentive", "3");
    mh_run r0, r1;
    mh_run1(&r0, &p, 20, 62);
    mh_set(&p, "invites.unlock_incentive", "1");
    mh_run1(&r1, &p, 20, 62);
    /* nobody accepts, so nobody unlocks: the rate stays x3 throughout */
    double n0 = (double)mh_count(&r0, EV_INVITE), n1 = (double)mh_count(&r1, EV_INVITE);
    double lam = 0;
    for (int i = 0; i < r1.nsnap; i++) lam += r1.snap[i].invite_p * r1.snap[i].eng * 20;
    ck_assert_msg(fabs(mh_z(n1, lam, lam)) < 4, "invitations %.0f vs %.1f", n1, lam);
    ck_assert_msg(fabs(mh_z(n0, 3 * lam, 3 * lam)) < 4, "locked invitations %.0f vs %.1f", n0, 3 * lam);
    mh_free(&r0);
    mh_free(&r1);
}
END_TEST

/* ---- QR codes ---- */

START_TEST(qr_size_limit)
{
    com_params p;
    mh_quiet(&p, 150);
    mh_set(&p, "joins.rate", "20");
    mh_set(&p, "joins.qr_share", "1");
    mh_set(&p, "rules.qr_valid_days", "1000");
    mh_run r;
    mh_run1(&r, &p, 10, 71); /* ~200 would-be joiners */
    int joins = 0;
    for (size_t k = 0; k < r.nev; k++)
        if (r.ev[k].kind == EV_JOIN) {
            ck_assert_int_eq((int)r.ev[k].value, SRC_QR);
            joins++;
        }
    /* joining by QR stops at 200 members (WeChat), not at the cap of 500 */
    ck_assert_int_eq(joins, 50);
    ck_assert_int_eq(r.group_n[0], 200);
    /* other channels are not limited */
    mh_set(&p, "joins.qr_share", "0");
    mh_run r2;
    mh_run1(&r2, &p, 10, 71);
    ck_assert_int_gt(r2.group_n[0], 300);
    mh_free(&r);
    mh_free(&r2);
}
END_TEST

START_TEST(qr_expiry_and_refresh)
{
    com_params p;
    mh_quiet(&p, 20);
    mh_set(&p, "joins.rate", "10");
    mh_set(&p, "joins.qr_share", "1");
    mh_set(&p, "rules.qr_valid_days", "7");
    mh_set(&p, "rules.qr_refresh_days", "0");
    mh_run r;
    mh_run1(&r, &p, 21, 72);
    int before = 0, after = 0;
    for (size_t k = 0; k < r.nev; k++)
        if (r.ev[k].kind == EV_JOIN) *(mh_t(&r, &r.ev[k]) < 7 * MH_DAY ? &before : &after) += 1;
    /* the code expires after 7 days and is never renewed: no joins after */
    ck_assert_int_eq(after, 0);
    ck_assert_msg(fabs(mh_z(before, 70, 70)) < 4, "%d QR joins in the first week, expected 70", before);
    /* refreshed every 7 days: the code never lapses; joins go on at rate 10 */
    mh_set(&p, "rules.qr_refresh_days", "7");
    mh_run r2;
    mh_run1(&r2, &p, 21, 72);
    before = after = 0;
    for (size_t k = 0; k < r2.nev; k++)
        if (r2.ev[k].kind == EV_JOIN) *(mh_t(&r2, &r2.ev[k]) < 7 * MH_DAY ? &before : &after) += 1;
    ck_assert_msg(fabs(mh_z(after, 140, 140)) < 4, "%d QR joins after the first week, expected 140", after);
    mh_free(&r);
    mh_free(&r2);
}
END_TEST

/* ---- questionnaire screening ---- */

START_TEST(screening)
{
    const double rate = 30, days = 10, spam = 0.5, below = 0.3;
    com_params p;
    mh_quiet(&p, 20);
    mh_setd(&p, "joins.rate", rate);
    mh_set(&p, "joins.qr_share", "0");
    mh_setd(&p, "rules.spam_share", spam);
    mh_set(&p, "rules.spam_rate", "5");
    mh_set(&p, "rules.ad_ban", "false");
    mh_set(&p, "rules.admission", "questionnaire");
    mh_setd(&p, "rules.screen_below", below);
    mh_run r;
    mh_run1(&r, &p, (int)days, 81);
    /* spammers answer with fit < 0.3 by construction: none gets in; other
     * joiners have fit ~ U(0,1) and pass with probability 1 - 0.3 */
    int joined = 0, spammers = 0;
    for (int i = 0; i < r.nsnap; i++) {
        if (r.snap[i].source == SRC_SEED) continue;
        joined++;
        spammers += r.snap[i].kind == MK_SPAMMER;
        ck_assert_msg(r.snap[i].fit >= below, "member %d got in with fit %.3f", i + 1, r.snap[i].fit);
    }
    double want = rate * days * (1 - spam) * (1 - below);
    ck_assert_int_eq(spammers, 0);
    ck_assert_msg(fabs(mh_z(joined, want, want)) < 4, "%d joined, expected %.0f", joined, want);
    for (size_t k = 0; k < r.nev; k++) ck_assert(!(r.ev[k].kind == EV_MESSAGE && r.ev[k].value == 1.0)); /* no ads */
    /* open admission lets everyone in, spammers too */
    mh_set(&p, "rules.admission", "open");
    mh_run r2;
    mh_run1(&r2, &p, (int)days, 81);
    joined = spammers = 0;
    for (int i = 0; i < r2.nsnap; i++)
        if (r2.snap[i].source != SRC_SEED) { joined++; spammers += r2.snap[i].kind == MK_SPAMMER; }
    ck_assert_msg(fabs(mh_z(joined, rate * days, rate * days)) < 4, "%d joined open, expected %.0f", joined, rate * days);
    ck_assert_msg(fabs(mh_z(spammers, joined * spam, joined * spam * (1 - spam))) < 4, "%d spammers of %d", spammers, joined);
    MH_NOTE("screening: questionnaire let in %.0f%% of joiners, open %d of them with %d spammers", 100.0 * (1 - spam) * (1 - below),
            joined, spammers);
    mh_free(&r);
    mh_free(&r2);
}
END_TEST

/* ---- overflow into new groups ---- */

START_TEST(overflow)
{
    com_params p;
    mh_quiet(&p, 490);
    mh_set(&p, "members.rate_mean", "1");
    mh_set(&p, "joins.rate", "30");
    mh_set(&p, "joins.qr_share", "0");
    mh_set(&p, "rules.overflow", "true");
    mh_run r;
    mh_run1(&r, &p, 10, 91);
    int rows[3] = {0}, joins2 = 0, msgs2 = 0;
    for (int i = 0; i < r.nmem; i++) {
        ck_assert(r.mem[i].group_id >= 1 && r.mem[i].group_id <= 2);
        rows[r.mem[i].group_id]++;
    }
    for (size_t k = 0; k < r.nev; k++) {
        if (r.ev[k].group_id != 2) continue;
        joins2 += r.ev[k].kind == EV_JOIN;
        msgs2 += r.ev[k].kind == EV_MESSAGE;
        /* whoever speaks in group 2 is a member of group 2 */
        if (r.ev[k].kind == EV_MESSAGE) ck_assert_int_eq(r.mem[r.ev[k].member_id - 1].group_id, 2);
    }
    MH_NOTE("overflow: group 1 %d rows, group 2 %d rows, %d joins and %d messages in group 2", rows[1], rows[2], joins2, msgs2);
    ck_assert_int_eq(rows[1], 500);          /* the first group is full ... */
    ck_assert_int_eq(r.group_n[0], 500);
    ck_assert_int_eq(r.ngroups, 2);          /* ... and a second one opened */
    ck_assert_int_eq((int)r.st.groups, 2);
    ck_assert_int_gt(rows[2], 200);
    ck_assert_int_eq(joins2, rows[2]);
    ck_assert_int_gt(msgs2, 0);
    /* without overflow, joiners are turned away once the group is full */
    mh_set(&p, "rules.overflow", "false");
    mh_run r2;
    mh_run1(&r2, &p, 10, 91);
    ck_assert_int_eq(r2.nmem, 500);
    ck_assert_int_eq(r2.ngroups, 1);
    ck_assert_int_eq((int)mh_count(&r2, EV_JOIN), 10);
    for (size_t k = 0; k < r2.nev; k++) ck_assert_int_eq(r2.ev[k].group_id, 1);
    mh_free(&r);
    mh_free(&r2);
}
END_TEST

START_TEST(overflow_max_groups)
{
    com_params p;
    mh_quiet(&p, 10);
    mh_set(&p, "group.cap", "20");
    mh_set(&p, "joins.rate", "40");
    mh_set(&p, "joins.qr_share", "0");
    mh_set(&p, "rules.overflow", "true");
    mh_set(&p, "rules.max_groups", "3");
    mh_run r;
    mh_run1(&r, &p, 5, 92);
    ck_assert_int_eq(r.ngroups, 3);
    for (int g = 0; g < 3; g++) ck_assert_int_eq(r.group_n[g], 20);
    ck_assert_int_eq(r.nmem, 60);
    mh_free(&r);
}
END_TEST

/* group.count: several groups at the start, each of group.size seed
 * members, staff only in the first; joiners then fill the newest group up
 * to the cap (about 40 arrive for 10 places; max_groups 3 opens no fourth);
 * a count above rules.max_groups is refused.  Exact counts. */
START_TEST(initial_groups)
{
    com_params p;
    mh_quiet(&p, 30);
    mh_set(&p, "group.admins", "2");
    mh_set(&p, "group.cap", "40");
    mh_set(&p, "group.count", "3");
    mh_set(&p, "rules.overflow", "true");
    mh_set(&p, "rules.max_groups", "3");
    mh_set(&p, "joins.rate", "20");
    mh_set(&p, "joins.qr_share", "0");
    mh_run r;
    mh_run1(&r, &p, 2, 95);
    ck_assert_int_eq(r.ngroups, 3);
    ck_assert_int_eq(r.group_n[0], 30);
    ck_assert_int_eq(r.group_n[1], 30);
    ck_assert_int_eq(r.group_n[2], 40); /* the newest group takes the joiners */
    for (int i = 0; i < 90; i++) {
        ck_assert_int_eq(r.mem[i].group_id, i / 30 + 1);
        ck_assert_int_eq(r.mem[i].source, SRC_SEED);
        ck_assert_int_eq(r.mem[i].role, i == 0 ? ROLE_OWNER : i <= 2 ? ROLE_ADMIN : ROLE_MEMBER);
    }
    for (int i = 90; i < r.nmem; i++) ck_assert_int_eq(r.mem[i].group_id, 3);
    mh_free(&r);
    /* more starting groups than the limit allows */
    mh_set(&p, "group.count", "5");
    sim_t *sim = NULL;
    ck_assert_int_eq(sim_open(&sim, NULL), 0);
    cal c;
    ck_assert_int_eq(cal_init(&c, MH_START, "+08:00"), 0);
    com_t *m = NULL;
    char err[300];
    ck_assert_int_ne(com_new(&m, &p, sim, &c, 1, 0, NULL, err, sizeof err), 0);
    ck_assert_ptr_nonnull(strstr(err, "group.count"));
    sim_close(sim);
}
END_TEST

/* ---- roles and sources recorded in the members rows ---- */

START_TEST(roles_recorded)
{
    com_params p;
    mh_quiet(&p, 60);
    mh_set(&p, "group.admins", "2");
    mh_set(&p, "group.kols", "3");
    mh_set(&p, "group.bots", "1");
    mh_set(&p, "members.rate_mean", "0.5");
    mh_set(&p, "joins.rate", "5");
    mh_set(&p, "joins.qr_share", "0.5");
    mh_set(&p, "invites.mean", "0.05");
    mh_set(&p, "invites.accept", "0.5");
    mh_run r;
    mh_run1(&r, &p, 30, 93);
    int byrole[ROLE_COUNT] = {0}, bysrc[SRC_COUNT] = {0};
    for (int i = 0; i < r.nmem; i++) {
        const ev_member *x = &r.mem[i];
        ck_assert(r.mem_seen[i]);
        ck_assert_int_eq(x->member_id, i + 1);
        byrole[x->role]++;
        bysrc[x->source]++;
        if (i < 60) ck_assert_int_eq(x->source, SRC_SEED);
        else ck_assert_int_ne(x->source, SRC_SEED);
        if (x->source == SRC_INVITE) {
            ck_assert(x->inviter_id >= 1 && x->inviter_id <= r.nmem && x->inviter_id != x->member_id);
            ck_assert(r.mem[x->inviter_id - 1].joined_ts <= x->joined_ts);
        } else {
            ck_assert_int_eq(x->inviter_id, -1);
        }
    }
    /* member 1 the owner, then the admins, the KOLs, the bots */
    ck_assert_str_eq(ev_role_name(r.mem[0].role), "owner");
    ck_assert_str_eq(ev_role_name(r.mem[1].role), "admin");
    ck_assert_str_eq(ev_role_name(r.mem[2].role), "admin");
    ck_assert_str_eq(ev_role_name(r.mem[3].role), "kol");
    ck_assert_str_eq(ev_role_name(r.mem[5].role), "kol");
    ck_assert_str_eq(ev_role_name(r.mem[6].role), "bot");
    ck_assert_str_eq(ev_role_name(r.mem[7].role), "member");
    ck_assert_int_eq(byrole[ROLE_OWNER], 1);
    ck_assert_int_eq(byrole[ROLE_ADMIN], 2);
    ck_assert_int_eq(byrole[ROLE_KOL], 3);
    ck_assert_int_eq(byrole[ROLE_BOT], 1);
    ck_assert_int_eq(byrole[ROLE_MEMBER], r.nmem - 7);
    ck_assert_int_eq(bysrc[SRC_SEED], 60);
    ck_assert_int_gt(bysrc[SRC_ORGANIC], 20);
    ck_assert_int_gt(bysrc[SRC_QR], 20);
    ck_assert_int_gt(bysrc[SRC_INVITE], 5);
    ck_assert_str_eq(ev_source_name(SRC_QR), "qr");
    ck_assert_str_eq(ev_source_name(SRC_INVITE), "invite");
    /* join events agree with the rows: value = source, ref = inviter */
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->kind != EV_JOIN) continue;
        const ev_member *x = &r.mem[e->member_id - 1];
        ck_assert_int_eq((int)e->value, x->source);
        ck_assert_int_eq(e->ref_id, x->inviter_id);
        ck_assert_int_eq(e->ts, x->joined_ts);
    }
    /* the bot never posts of its own accord (statistics off here) */
    for (size_t k = 0; k < r.nev; k++) ck_assert(r.ev[k].member_id != 7);
    MH_NOTE("roles: %d members: sources seed/organic/invite/qr = %d/%d/%d/%d", r.nmem, bysrc[0], bysrc[1], bysrc[2], bysrc[3]);
    mh_free(&r);
}
END_TEST

static Suite *mech_growth_suite(void)
{
    Suite *s = suite_create("mech_growth");
    TCase *tc = tcase_create("growth");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, invites_galton_watson);
    tcase_add_test(tc, invites_unlock_coupon);
    tcase_add_test(tc, invites_unlock_incentive);
    tcase_add_test(tc, qr_size_limit);
    tcase_add_test(tc, qr_expiry_and_refresh);
    tcase_add_test(tc, screening);
    tcase_add_test(tc, overflow);
    tcase_add_test(tc, overflow_max_groups);
    tcase_add_test(tc, initial_groups);
    tcase_add_test(tc, roles_recorded);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(mech_growth_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
