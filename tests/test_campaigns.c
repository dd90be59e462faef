/* test_campaigns.c -- the settings every campaign type shares (models/
 * campaign.c: CAMP_ROWS), for each of the eight types in its own module:
 * enabling a campaign exposes every ordinary member and makes some take
 * part; a prohibitive effort stops participation entirely; more reward never
 * lowers it (common random numbers, so replication by replication); sharing
 * brings invitations at the configured mean.  A quiet model (mech_harness.h)
 * isolates the campaign.  Fixed seeds; the invitation check is a Poisson
 * z-test with |z| < 4. */
#include "mech_harness.h"

typedef struct ctype { const char *prefix; int id; const char *extra[8]; } ctype;

/* campaign ids as in com_internal.h (ref_id of participate/exposure events) */
static const ctype types[] = {
    {"contest", CAMP_CONTEST, {"contest.submit_days", "2", "contest.canvass", "0", NULL}},
    {"challenge", CAMP_CHALLENGE, {"challenge.posts", "3", NULL}},
    {"quiz", CAMP_QUIZ, {NULL}},
    {"groupbuy", CAMP_GROUPBUY, {"groupbuy.hour", "10", NULL}},
    {"story", CAMP_STORY, {"story.stories", "3", NULL}},
    {"live", CAMP_LIVE, {NULL}},
    {"chapters", CAMP_CHAPTERS, {"chapters.meet_every", "1", "chapters.attend", "1", NULL}},
    {"redpacket", CAMP_REDPACKET, {"redpacket.grab", "1", NULL}},
};
#define NTYPES ((int)(sizeof types / sizeof types[0]))

static void setp(com_params *p, const char *prefix, const char *leaf, const char *v)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", prefix, leaf);
    mh_set(p, path, v);
}

static void campaign_model(com_params *p, const ctype *t)
{
    mh_quiet(p, 300);
    mh_set(p, "rules.overflow", "true");
    mh_set(p, "rules.max_groups", "50");
    setp(p, t->prefix, "enabled", "true");
    setp(p, t->prefix, "start_day", "0");
    setp(p, t->prefix, "days", "3");
    setp(p, t->prefix, "base", "0");
    setp(p, t->prefix, "share", "0");
    for (int k = 0; t->extra[k]; k += 2) mh_set(p, t->extra[k], t->extra[k + 1]);
}

typedef struct counts { int exposed, participants, shares, invites; } counts;

static counts run_counts(const com_params *p, const ctype *t, uint64_t rep)
{
    mh_run r;
    mh_run_rep(&r, p, 4, 91, rep);
    counts c = {0, 0, 0, 0};
    char *seen = calloc((size_t)r.nmem + 2, 1), *took = calloc((size_t)r.nmem + 2, 1);
    for (size_t k = 0; k < r.nev; k++) {
        const ev_rec *e = &r.ev[k];
        if (e->ref_id == t->id && e->member_id > 0 && e->member_id <= r.nmem) {
            if (e->kind == EV_EXPOSURE && !seen[e->member_id]++) c.exposed++;
            if (e->kind == EV_PARTICIPATE && !took[e->member_id]++) c.participants++;
            if (e->kind == EV_SHARE) c.shares++;
        }
        if (e->kind == EV_INVITE) c.invites++;
    }
    free(seen);
    free(took);
    mh_free(&r);
    return c;
}

START_TEST(exposure_and_participation)
{
    const ctype *t = &types[_i];
    com_params p;
    campaign_model(&p, t);
    counts c = run_counts(&p, t, 0);
    /* every ordinary member (all but the owner) is exposed at the start */
    ck_assert_msg(c.exposed >= 299, "%s: %d members exposed, want 299", t->prefix, c.exposed);
    ck_assert_msg(c.participants > 30, "%s: only %d took part at logit >= 0", t->prefix, c.participants);
    ck_assert_int_eq(c.shares, 0); /* share = 0 */
}
END_TEST

START_TEST(prohibitive_effort)
{
    const ctype *t = &types[_i];
    com_params p;
    campaign_model(&p, t);
    setp(&p, t->prefix, "base", "-10");
    setp(&p, t->prefix, "effort", "40"); /* logit <= -10 + 4 + 1 - 40: p < 1e-19 */
    counts c = run_counts(&p, t, 0);
    ck_assert_msg(c.participants == 0, "%s: %d took part despite the effort", t->prefix, c.participants);
}
END_TEST

START_TEST(reward_never_lowers)
{
    const ctype *t = &types[_i];
    static const char *const rewards[] = {"0", "1", "3"};
    for (uint64_t rep = 0; rep < 3; rep++) {
        int prev = -1;
        for (int k = 0; k < 3; k++) {
            com_params p;
            campaign_model(&p, t);
            setp(&p, t->prefix, "base", "-3");
            setp(&p, t->prefix, "w_reward", "2");
            setp(&p, t->prefix, "reward", rewards[k]);
            counts c = run_counts(&p, t, rep);
            ck_assert_msg(c.participants >= prev, "%s rep %d: %d took part at reward %s, %d at the one below",
                          t->prefix, (int)rep, c.participants, rewards[k], prev);
            prev = c.participants;
        }
    }
}
END_TEST

START_TEST(sharing_brings_invitations)
{
    const ctype *t = &types[_i];
    com_params p;
    campaign_model(&p, t);
    setp(&p, t->prefix, "share", "1");
    setp(&p, t->prefix, "share_invites", "2");
    counts c = run_counts(&p, t, 0);
    ck_assert_msg(c.shares >= c.participants && c.shares > 0, "%s: %d shares for %d participants", t->prefix, c.shares, c.participants);
    double z = mh_z(c.invites, 2.0 * c.shares, 2.0 * c.shares);
    ck_assert_msg(fabs(z) < 4, "%s: %d invitations for %d shares (mean 2 each), z %.2f", t->prefix, c.invites, c.shares, z);
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("campaigns");
    TCase *tc = tcase_create("common settings");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, exposure_and_participation, 0, NTYPES);
    tcase_add_loop_test(tc, prohibitive_effort, 0, NTYPES);
    tcase_add_loop_test(tc, reward_never_lowers, 0, NTYPES);
    tcase_add_loop_test(tc, sharing_brings_invitations, 0, NTYPES);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
