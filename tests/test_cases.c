/* test_cases.c -- the seed's case table reproduced by the model, and
 * counterfactuals that must behave sensibly.
 *
 * 1. Every case scenario (the files in scenarios/ with targets) is replayed with 100
 *    replications per arm at its fixed seed: the model's figure must lie
 *    within the target's tolerance (+/-3 percentage points for rates, +/-10%
 *    relative for ratios) of the reported figure.  Run through the binary
 *    (`qunsim replay --check`), the command users run.
 * 2. Counterfactuals, through the library, paired by common random numbers:
 *    a 14-day check-in lands between baseline and the 21-day one; a larger
 *    reward never lowers participation (quiz, mean over replications);
 *    switching a campaign off gives exactly the baseline arm's numbers. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <gsl/gsl_errno.h>

#include "replica.h"
#include "scenario.h"

static const char *root(void)
{
    const char *r = getenv("QS_ROOT");
    return r && r[0] ? r : ".";
}

static const char *qs_bin(void)
{
    const char *b = getenv("QS_BIN");
    return b && b[0] ? b : "build/qunsim";
}

static scenario *load(const char *name)
{
    char path[1024], err[1024];
    snprintf(path, sizeof path, "%s/scenarios/%s", root(), name);
    scenario *s = NULL;
    ck_assert_msg(scen_load(&s, path, err, sizeof err) == 0, "%s", err);
    return s;
}

static double metric(const scenario *s, int arm, int rep, const char *name)
{
    met_t *m = NULL;
    char err[512];
    ck_assert_msg(rep_run(s, arm, rep, NULL, &m, NULL, err, sizeof err) == 0, "%s", err);
    double v = NAN;
    ck_assert_int_eq(met_get(m, 0, name, &v), 0);
    met_close(m);
    return v;
}

static void replay(const char *file)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' replay '%s/scenarios/%s' --reps 100 --check", qs_bin(), root(), file);
    int st = system(cmd);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: a figure is outside its tolerance (see the table above)", file);
}

START_TEST(reading_club) { replay("reading_club.cfg"); }
END_TEST
START_TEST(parenting) { replay("parenting.cfg"); }
END_TEST
START_TEST(fitness) { replay("fitness.cfg"); }
END_TEST
START_TEST(education) { replay("education.cfg"); }
END_TEST
START_TEST(beauty) { replay("beauty.cfg"); }
END_TEST
START_TEST(enterprise) { replay("enterprise.cfg"); }
END_TEST
START_TEST(alumni) { replay("alumni.cfg"); }
END_TEST
START_TEST(quiz) { replay("quiz.cfg"); }
END_TEST
START_TEST(groupbuy) { replay("groupbuy.cfg"); }
END_TEST
START_TEST(habit) { replay("habit.cfg"); }
END_TEST
START_TEST(story) { replay("story.cfg"); }
END_TEST

/* 14 days of check-in lie between none and 21 days, replication by
 * replication on average: paired differences over 20 replications, each
 * mean more than 3 standard errors from zero. */
START_TEST(checkin_14_between)
{
    scenario *s = load("reading_club.cfg");
    int base = scen_arm_index(s, "baseline"), ck = scen_arm_index(s, "checkin21");
    scenario *s14 = load("reading_club.cfg");
    char err[512];
    ck_assert_int_eq(scen_set(s14, "checkin.days", "14", err, sizeof err), 0);
    const int R = 20;
    double d1[20], d2[20], m1 = 0, m2 = 0;
    for (int r = 0; r < R; r++) {
        double b = metric(s, base, r, "retention_1d"), c21 = metric(s, ck, r, "retention_1d"), c14 = metric(s14, ck, r, "retention_1d");
        d1[r] = c14 - b;
        d2[r] = c21 - c14;
        m1 += d1[r] / R;
        m2 += d2[r] / R;
    }
    double v1 = 0, v2 = 0;
    for (int r = 0; r < R; r++) { v1 += (d1[r] - m1) * (d1[r] - m1) / (R - 1); v2 += (d2[r] - m2) * (d2[r] - m2) / (R - 1); }
    ck_assert_msg(m1 > 3 * sqrt(v1 / R), "14-day check-in not above baseline: mean diff %g (se %g)", m1, sqrt(v1 / R));
    ck_assert_msg(m2 > 3 * sqrt(v2 / R), "21-day check-in not above 14-day: mean diff %g (se %g)", m2, sqrt(v2 / R));
    scen_free(s);
    scen_free(s14);
}
END_TEST

/* A larger reward never lowers participation: quiz.reward 0.5, 1, 2, 4 with
 * common random numbers; the mean participation over 20 replications must
 * not decrease (the logit is monotone in the reward and the dice are shared,
 * so it cannot, replication by replication, except through feedback). */
START_TEST(reward_monotone)
{
    scenario *s = load("quiz.cfg");
    int arm = scen_arm_index(s, "quiz");
    const char *rewards[] = {"0.5", "1", "2", "4"};
    double prev = -1;
    char err[512];
    for (int k = 0; k < 4; k++) {
        ck_assert_int_eq(scen_set(s, "quiz.reward", rewards[k], err, sizeof err), 0);
        double mean = 0;
        for (int r = 0; r < 20; r++) mean += metric(s, arm, r, "participation") / 20;
        ck_assert_msg(mean >= prev, "participation fell from %g to %g at reward %s", prev, mean, rewards[k]);
        prev = mean;
    }
    scen_free(s);
}
END_TEST

/* Switching the campaign off in the treatment arm reproduces the baseline
 * arm exactly (same members, same dice). */
START_TEST(off_is_baseline)
{
    const char *files[] = {"reading_club.cfg", "parenting.cfg", "story.cfg"};
    const char *flags[] = {"checkin.enabled", "contest.enabled", "story.enabled"};
    const char *metrics[] = {"dau_mean", "messages_per_day", "interactions_per_day", "retention_1d", "members_end"};
    for (int f = 0; f < 3; f++) {
        scenario *s = load(files[f]);
        char err[512];
        ck_assert_int_eq(scen_set(s, flags[f], "false", err, sizeof err), 0);
        for (int r = 0; r < 3; r++)
            for (int k = 0; k < 5; k++) {
                double a = metric(s, 0, r, metrics[k]), b = metric(s, 1, r, metrics[k]);
                ck_assert_msg(a == b || (isnan(a) && isnan(b)), "%s rep %d %s: %g != %g", files[f], r, metrics[k], a, b);
            }
        scen_free(s);
    }
}
END_TEST

int main(void)
{
    gsl_set_error_handler_off();
    Suite *s = suite_create("cases");
    TCase *tc = tcase_create("replay");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, reading_club);
    tcase_add_test(tc, parenting);
    tcase_add_test(tc, fitness);
    tcase_add_test(tc, education);
    tcase_add_test(tc, beauty);
    tcase_add_test(tc, enterprise);
    tcase_add_test(tc, alumni);
    tcase_add_test(tc, quiz);
    tcase_add_test(tc, groupbuy);
    tcase_add_test(tc, habit);
    tcase_add_test(tc, story);
    suite_add_tcase(s, tc);
    TCase *cf = tcase_create("counterfactuals");
    tcase_set_timeout(cf, 300);
    tcase_add_test(cf, checkin_14_between);
    tcase_add_test(cf, reward_monotone);
    tcase_add_test(cf, off_is_baseline);
    suite_add_tcase(s, cf);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
