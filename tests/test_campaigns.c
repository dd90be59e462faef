/* test_campaigns.c -- the campaign registry (models/campaigns.def) is
 * consistent: ids unique and in range, each type's settings under its own
 * prefix with its camp_common where the registry says, a doc title per
 * table.  Then the settings every campaign type shares (models/
 * campaign.c: CAMP_ROWS), for every registered type that has them (a new
 * one is tested without being named here), in its own module:
 * enabling a campaign exposes every ordinary member and makes some take
 * part; a prohibitive effort stops participation entirely; more reward never
 * lowers it (common random numbers, so replication by replication); sharing
 * brings invitations at the configured mean.  A quiet model (mech_harness.h)
 * isolates the campaign.  Fixed seeds; the invitation check is a Poisson
 * z-test with |z| < 4. */
#include "mech_harness.h"

typedef struct ctype { const char *prefix; int id; const char *const *extra; } ctype;

/* settings that make a type's three test days eventful (optional per type) */
static const struct { const char *name; const char *extra[8]; } tuning[] = {
    {"contest", {"contest.submit_days", "2", "contest.canvass", "0", NULL}},
    {"challenge", {"challenge.posts", "3", NULL}},
    {"groupbuy", {"groupbuy.hour", "10", NULL}},
    {"story", {"story.stories", "3", NULL}},
    {"chapters", {"chapters.meet_every", "1", "chapters.attend", "1", NULL}},
    {"redpacket", {"redpacket.grab", "1", NULL}},
};
static const char *const no_extra[] = {NULL};

/* the registered types with the common settings (not check-in: its
 * decision is its own), filled by main() from camp_types */
static ctype types[CAMP_MAX];
static int ntypes;

static const opt_row *find_row(const opt_row *rows, const char *prefix, const char *leaf)
{
    char path[128];
    snprintf(path, sizeof path, "%s.%s", prefix, leaf);
    for (; rows->path; rows++)
        if (!strcmp(rows->path, path)) return rows;
    return NULL;
}

static void collect_types(void)
{
    for (int k = 0; k < camp_ntypes; k++) {
        const camp_type *c = &camp_types[k];
        if (!find_row(c->opts, c->name, "share_invites")) continue;
        ctype *t = &types[ntypes++];
        *t = (ctype){c->name, c->id, no_extra};
        for (size_t j = 0; j < sizeof tuning / sizeof tuning[0]; j++)
            if (!strcmp(tuning[j].name, c->name)) t->extra = tuning[j].extra;
    }
}

START_TEST(registry_consistent)
{
    ck_assert_int_ge(camp_ntypes, 9);
    for (int k = 0; k < camp_ntypes; k++) {
        const camp_type *c = &camp_types[k];
        ck_assert_msg(c->id > 0 && c->id < CAMP_MAX && c->id != CAMP_COUPON, "%s: id %d", c->name, c->id);
        for (int j = 0; j < k; j++) ck_assert_msg(camp_types[j].id != c->id, "%s and %s share id %d", camp_types[j].name, c->name, c->id);
        size_t n = strlen(c->name);
        for (const opt_row *r = c->opts; r->path; r++)
            ck_assert_msg(!strncmp(r->path, c->name, n) && r->path[n] == '.', "%s: row %s outside its prefix", c->name, r->path);
        /* the dispatch reads enabled (and camp_active the window) at c->common */
        const opt_row *en = find_row(c->opts, c->name, "enabled"), *st = find_row(c->opts, c->name, "start_day"),
                      *dy = find_row(c->opts, c->name, "days");
        ck_assert_msg(en && en->type == OPT_BOOL && en->offset == c->common + offsetof(camp_common, enabled), "%s.enabled", c->name);
        ck_assert_msg(st && st->offset == c->common + offsetof(camp_common, start), "%s.start_day", c->name);
        ck_assert_msg(dy && dy->offset == c->common + offsetof(camp_common, days), "%s.days", c->name);
    }
    /* every table has a title; each campaign's table carries the registry's */
    com_params p;
    opt_table t[COM_MAX_TABLES];
    int n = com_tables(&p, t, COM_MAX_TABLES), found = 0;
    ck_assert_int_lt(n, COM_MAX_TABLES);
    ck_assert_ptr_null(com_table_title(n));
    for (int i = 0; i < n; i++) {
        ck_assert_ptr_nonnull(com_table_title(i));
        for (int k = 0; k < camp_ntypes; k++)
            if (t[i].rows == camp_types[k].opts) {
                ck_assert_str_eq(com_table_title(i), camp_types[k].title);
                found++;
            }
    }
    ck_assert_int_eq(found, camp_ntypes);
    ck_assert_int_eq(ntypes, camp_ntypes - 1); /* all but check-in have the common rows */
}
END_TEST

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
    collect_types();
    Suite *s = suite_create("campaigns");
    TCase *reg = tcase_create("registry");
    tcase_add_test(reg, registry_consistent);
    suite_add_tcase(s, reg);
    TCase *tc = tcase_create("common settings");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, exposure_and_participation, 0, ntypes);
    tcase_add_loop_test(tc, prohibitive_effort, 0, ntypes);
    tcase_add_loop_test(tc, reward_never_lowers, 0, ntypes);
    tcase_add_loop_test(tc, sharing_brings_invitations, 0, ntypes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
