/* test_summary.c -- across-replication statistics (analysis/summary.h) on
 * small data sets worked out by hand: mean, sample sd, the 5%/95% quantiles
 * (GSL's linear interpolation between order statistics), the paired
 * difference with its t interval, NaN handling and the storage layout.
 * Tolerances: 1e-12 relative -- the values are a handful of exact sums. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "summary.h"

#define TOL 1e-12
#define close_to(a, b) ck_assert_msg(fabs((double)(a) - (double)(b)) <= TOL * (1 + fabs((double)(b))), "%s = %.17g, want %.17g", #a, (double)(a), (double)(b))

static sum_t *open_sum(int narms, int nmetrics, int reps)
{
    sum_t *s = NULL;
    ck_assert_int_eq(sum_open(&s, narms, nmetrics, reps), 0);
    ck_assert_ptr_nonnull(s);
    return s;
}

START_TEST(open_errors)
{
    sum_t *s = (sum_t *)1;
    ck_assert_int_eq(sum_open(&s, 0, 1, 1), -1);
    ck_assert_ptr_null(s);
    s = (sum_t *)1;
    ck_assert_int_eq(sum_open(&s, 1, 0, 1), -1);
    ck_assert_ptr_null(s);
    s = (sum_t *)1;
    ck_assert_int_eq(sum_open(&s, 1, 1, -3), -1);
    ck_assert_ptr_null(s);
    sum_close(NULL);
}
END_TEST

/* Every cell is its own value (no aliasing between arms, metrics, reps),
 * and a new handle is all NaN. */
START_TEST(layout)
{
    sum_t *s = open_sum(3, 4, 5);
    for (int a = 0; a < 3; a++)
        for (int m = 0; m < 4; m++)
            for (int r = 0; r < 5; r++) ck_assert(isnan(sum_get(s, a, m, r)));
    for (int a = 0; a < 3; a++)
        for (int m = 0; m < 4; m++)
            for (int r = 0; r < 5; r++) sum_set(s, a, m, r, 100 * a + 10 * m + r);
    for (int a = 0; a < 3; a++)
        for (int m = 0; m < 4; m++)
            for (int r = 0; r < 5; r++) ck_assert(sum_get(s, a, m, r) == 100 * a + 10 * m + r);
    sum_close(s);
}
END_TEST

/* 1..10 in shuffled order: mean 5.5; sd = sqrt(82.5 / 9); quantiles at
 * (n-1) p = 0.45 and 8.55 between order statistics: 1.45 and 9.55. */
START_TEST(arm_known)
{
    static const double x[10] = {7, 3, 10, 1, 5, 9, 2, 8, 6, 4};
    sum_t *s = open_sum(2, 2, 10);
    for (int r = 0; r < 10; r++) {
        sum_set(s, 1, 1, r, x[r]);
        sum_set(s, 0, 1, r, 1000); /* another arm, same metric: must not leak in */
        sum_set(s, 1, 0, r, -1000); /* another metric, same arm */
    }
    sum_stat st;
    sum_arm(s, 1, 1, &st);
    ck_assert_int_eq(st.n, 10);
    close_to(st.mean, 5.5);
    close_to(st.sd, sqrt(82.5 / 9.0));
    close_to(st.lo, 1.45);
    close_to(st.hi, 9.55);
    /* the data are not reordered in place */
    for (int r = 0; r < 10; r++) ck_assert(sum_get(s, 1, 1, r) == x[r]);
    /* constant data */
    sum_arm(s, 0, 1, &st);
    close_to(st.mean, 1000);
    close_to(st.sd, 0);
    close_to(st.lo, 1000);
    close_to(st.hi, 1000);
    sum_close(s);

    /* 1..21: (n-1) p = 1 and 19 fall on order statistics 2 and 20 */
    s = open_sum(1, 1, 21);
    for (int r = 0; r < 21; r++) sum_set(s, 0, 0, r, 21 - r);
    sum_arm(s, 0, 0, &st);
    ck_assert_int_eq(st.n, 21);
    close_to(st.mean, 11);
    close_to(st.sd, sqrt(770.0 / 20.0)); /* sum (k - 11)^2 over 1..21 = 770 */
    close_to(st.lo, 2);
    close_to(st.hi, 20);
    sum_close(s);
}
END_TEST

/* NaN = undefined in that replication: skipped, and n counts the rest. */
START_TEST(arm_nan)
{
    sum_t *s = open_sum(1, 2, 12);
    static const double x[12] = {7, 3, NAN, 10, 1, 5, 9, NAN, 2, 8, 6, 4};
    for (int r = 0; r < 12; r++) sum_set(s, 0, 0, r, x[r]);
    sum_stat st;
    sum_arm(s, 0, 0, &st);
    ck_assert_int_eq(st.n, 10); /* the same as 1..10 above */
    close_to(st.mean, 5.5);
    close_to(st.sd, sqrt(82.5 / 9.0));
    close_to(st.lo, 1.45);
    close_to(st.hi, 9.55);
    /* nothing defined */
    sum_arm(s, 0, 1, &st);
    ck_assert_int_eq(st.n, 0);
    ck_assert(isnan(st.mean) && isnan(st.lo) && isnan(st.hi) && isnan(st.sd));
    /* one defined value: mean = lo = hi = it, sd 0 */
    sum_set(s, 0, 1, 5, 3.25);
    sum_arm(s, 0, 1, &st);
    ck_assert_int_eq(st.n, 1);
    close_to(st.mean, 3.25);
    close_to(st.lo, 3.25);
    close_to(st.hi, 3.25);
    close_to(st.sd, 0);
    sum_close(s);
}
END_TEST

/* Paired differences d = arm1 - arm0 = {0.5, 1.5, -0.2, 2.0, 0.7} on the
 * replications where both are defined (two more replications have one side
 * NaN).  By hand: mean 0.9; squared deviations 0.16 + 0.36 + 1.21 + 1.21 +
 * 0.04 = 2.98, sd = sqrt(2.98 / 4); t(0.95, 4) = 2.132 (tables), so the 90%
 * CI is 0.9 -/+ 2.132 * sqrt(0.745 / 5) = [0.0771, 1.7229]. */
START_TEST(diff_known)
{
    static const double base[7] = {1000.25, 990, 1010.5, 1003, 997, 1001, NAN};
    static const double d[7] = {0.5, 1.5, -0.2, 2.0, 0.7, 0, 0};
    sum_t *s = open_sum(3, 1, 7);
    for (int r = 0; r < 7; r++) {
        sum_set(s, 0, 0, r, base[r]);
        sum_set(s, 1, 0, r, r == 5 ? NAN : (isnan(base[r]) ? 5.0 : base[r] + d[r]));
        sum_set(s, 2, 0, r, 7.0);
    }
    double t = gsl_cdf_tdist_Pinv(0.95, 4);
    ck_assert_msg(fabs(t - 2.132) < 1e-3, "t(0.95, 4) = %g, tables 2.132", t);
    sum_stat st;
    sum_diff(s, 1, 0, 0, &st);
    ck_assert_int_eq(st.n, 5);
    /* base + d - base loses the last bits of d: 1e-12 relative to 1000 */
    ck_assert(fabs(st.mean - 0.9) < 1e-12 * 1000);
    ck_assert(fabs(st.sd - sqrt(2.98 / 4)) < 1e-12 * 1000);
    double half = t * sqrt(0.745 / 5);
    ck_assert(fabs(st.lo - (0.9 - half)) < 1e-12 * 1000);
    ck_assert(fabs(st.hi - (0.9 + half)) < 1e-12 * 1000);
    ck_assert(fabs(st.lo - 0.0771) < 1e-4 && fabs(st.hi - 1.7229) < 1e-4);
    /* the reverse difference is the mirror image */
    sum_stat rv;
    sum_diff(s, 0, 1, 0, &rv);
    ck_assert_int_eq(rv.n, 5);
    ck_assert(fabs(rv.mean + st.mean) < 1e-12 && fabs(rv.lo + st.hi) < 1e-12 && fabs(rv.hi + st.lo) < 1e-12);
    /* an arm against itself: zero, with a zero-width interval */
    sum_diff(s, 1, 1, 0, &rv);
    ck_assert_int_eq(rv.n, 6);
    ck_assert(rv.mean == 0 && rv.sd == 0 && rv.lo == 0 && rv.hi == 0);
    /* a constant arm minus arm 0 over the 6 defined pairs */
    sum_diff(s, 2, 0, 0, &rv);
    ck_assert_int_eq(rv.n, 6);
    double m = 0;
    for (int r = 0; r < 6; r++) m += 7.0 - base[r];
    close_to(rv.mean, m / 6);
    sum_close(s);
}
END_TEST

START_TEST(diff_small)
{
    sum_t *s = open_sum(2, 1, 3);
    sum_stat st;
    /* no pair defined */
    sum_diff(s, 1, 0, 0, &st);
    ck_assert_int_eq(st.n, 0);
    ck_assert(isnan(st.mean) && isnan(st.lo) && isnan(st.hi));
    /* one pair: a mean, but no interval */
    sum_set(s, 0, 0, 1, 2.0);
    sum_set(s, 1, 0, 1, 2.5);
    sum_set(s, 1, 0, 2, 9.0); /* unpaired */
    sum_diff(s, 1, 0, 0, &st);
    ck_assert_int_eq(st.n, 1);
    close_to(st.mean, 0.5);
    ck_assert(isnan(st.lo) && isnan(st.hi));
    /* two pairs {0.5, 1.5}: sd = sqrt(0.5), t(0.95, 1) = 6.314 (tables) */
    sum_set(s, 0, 0, 0, 1.0);
    sum_set(s, 1, 0, 0, 2.5);
    sum_diff(s, 1, 0, 0, &st);
    ck_assert_int_eq(st.n, 2);
    close_to(st.mean, 1.0);
    close_to(st.sd, sqrt(0.5));
    ck_assert(fabs(st.hi - (1.0 + 6.314 * sqrt(0.5) / sqrt(2.0))) < 1e-3);
    close_to(st.hi - st.mean, st.mean - st.lo);
    sum_close(s);
}
END_TEST

static Suite *summary_suite(void)
{
    Suite *s = suite_create("summary");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, open_errors);
    tcase_add_test(tc, layout);
    tcase_add_test(tc, arm_known);
    tcase_add_test(tc, arm_nan);
    tcase_add_test(tc, diff_known);
    tcase_add_test(tc, diff_small);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(summary_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
