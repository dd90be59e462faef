/* test_rng.c -- random streams (rng.h): the seed mix is a documented pure
 * function (golden values computed independently, in Python, from the
 * description in docs/engine.md), it separates (master, rep, stream), equal
 * triples give equal streams (common random numbers), and draws behave:
 * exponential mean and variance, and no correlation between replications. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "rng.h"

#define REQ(c) \
    do { if (!(c)) ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #c); } while (0)

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

START_TEST(seed_golden)
{
    /* splitmix64 chained: h = sm(sm(sm(master) ^ rep) ^ stream), where
     * sm(x) is the splitmix64 output for state x (add the golden gamma, then
     * the two xor-shift-multiply rounds).  Values from a Python model. */
    ck_assert_uint_eq(rng_seed(0, 0, 0), 0x238275bc38fcbe91ull);
    ck_assert_uint_eq(rng_seed(42, 1, RNG_STREAM(3, 7)), 0x6ae7a7d138521d85ull);
    ck_assert_uint_eq(rng_seed(2024, 999, RNG_STREAM(1, 123456)), 0x1f7d1f959c976593ull);
    ck_assert_uint_eq(rng_seed(UINT64_MAX, UINT64_MAX, UINT64_MAX), 0x595b17f487c0e71bull);
    ck_assert_uint_eq(RNG_STREAM(3, 7), (3ull << 32) | 7);
    ck_assert_uint_eq(RNG_STREAM(1, -1), (1ull << 32) | 0xFFFFFFFFull);
}
END_TEST

START_TEST(stream_golden)
{
    /* A stream is GSL taus2 seeded with the 64-bit seed folded to 32 bits
     * (s ^ s >> 32, low 32 bits, 0 -> 1).  First outputs from a Python model
     * of GSL's taus2, so other tools can reproduce every draw. */
    gsl_rng *r = rng_new(NULL, 42, 1, RNG_STREAM(3, 7));
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(gsl_rng_name(r), "taus2");
    static const unsigned long want[] = {3610617415ul, 1031466035ul, 3291828086ul, 3311935519ul};
    for (int k = 0; k < 4; k++) ck_assert_uint_eq(gsl_rng_get(r), want[k]);
    rng_reseed(r, 0, 0, 0);
    static const unsigned long want0[] = {3923665380ul, 2163003680ul, 432079475ul, 2761671046ul};
    for (int k = 0; k < 4; k++) ck_assert_uint_eq(gsl_rng_get(r), want0[k]);
    /* the fold, by hand, through GSL's own seeding */
    uint64_t s = rng_seed(9, 8, 7);
    gsl_rng *q = gsl_rng_alloc(gsl_rng_taus2);
    gsl_rng_set(q, (unsigned long)((s ^ (s >> 32)) & 0xFFFFFFFFu));
    rng_reseed(r, 9, 8, 7);
    for (int k = 0; k < 100; k++) REQ(gsl_rng_get(r) == gsl_rng_get(q));
    gsl_rng_free(q);
    gsl_rng_free(r);
}
END_TEST

START_TEST(seed_distinct)
{
    /* every triple of a 40^3 grid (small and structured inputs, the worst
     * case for a weak mix) gets its own 64-bit seed */
    enum { G = 40 };
    uint64_t *v = malloc(sizeof(uint64_t) * G * G * G);
    ck_assert_ptr_nonnull(v);
    size_t n = 0;
    for (uint64_t m = 0; m < G; m++)
        for (uint64_t r = 0; r < G; r++)
            for (uint64_t s = 0; s < G; s++)
                v[n++] = rng_seed(m, r, RNG_STREAM(s % 4, s / 4));
    qsort(v, n, sizeof *v, cmp_u64);
    for (size_t k = 1; k < n; k++) REQ(v[k] != v[k - 1]);
    /* the order of the arguments matters */
    ck_assert_uint_ne(rng_seed(1, 2, 3), rng_seed(2, 1, 3));
    ck_assert_uint_ne(rng_seed(1, 2, 3), rng_seed(1, 3, 2));
    ck_assert_uint_ne(rng_seed(1, 2, 3), rng_seed(3, 2, 1));
    ck_assert_uint_ne(rng_seed(0, 0, 1), rng_seed(0, 1, 0));
    /* 1000 member streams of one family: 32-bit folded seeds all distinct
     * (collision chance ~1e-4 in general; these fixed inputs have none) */
    for (uint32_t i = 0; i < 1000; i++) {
        uint64_t s = rng_seed(2024, 0, RNG_STREAM(5, i));
        v[i] = (s ^ (s >> 32)) & 0xFFFFFFFFu;
    }
    qsort(v, 1000, sizeof *v, cmp_u64);
    for (size_t k = 1; k < 1000; k++) REQ(v[k] != v[k - 1]);
    free(v);
}
END_TEST

START_TEST(seed_avalanche)
{
    /* Flipping any single input bit flips each output bit with probability
     * 1/2: over T random triples, the mean number of flipped bits per input
     * bit is 32 with sd 4/sqrt(T) (binomial(64, 1/2) has sd 4); allow 6 sd. */
    enum { T = 2000 };
    uint64_t st = 99;
    double tol = 6.0 * 4.0 / sqrt(T);
    for (int arg = 0; arg < 3; arg++)
        for (int bit = 0; bit < 64; bit++) {
            long flips = 0;
            for (int k = 0; k < T; k++) {
                uint64_t in[3];
                for (int j = 0; j < 3; j++) in[j] = st = rng_seed(st, 1, 2);
                uint64_t a = rng_seed(in[0], in[1], in[2]);
                in[arg] ^= 1ull << bit;
                uint64_t b = rng_seed(in[0], in[1], in[2]);
                flips += __builtin_popcountll(a ^ b);
            }
            double mean = (double)flips / T;
            if (fabs(mean - 32.0) > tol)
                ck_abort_msg("arg %d bit %d: mean flips %.3f, want 32 +- %.3f", arg, bit, mean, tol);
        }
}
END_TEST

START_TEST(xoshiro_vectors)
{
    /* The published test vector of xoshiro256**: from the state {1, 2, 3, 4}
     * the reference implementation (xoshiro256starstar.c) outputs these ten
     * numbers (the same list is in the rand_xoshiro crate's tests). */
    static const uint64_t want[10] = {
        11520ull, 0ull, 1509978240ull, 1215971899390074240ull, 1216172134540287360ull,
        607988272756665600ull, 16172922978634559625ull, 8476171486693032832ull,
        10595114339597558777ull, 2904607092377533576ull,
    };
    gsl_rng *r = gsl_rng_alloc(rng_xoshiro256ss);
    ck_assert_ptr_nonnull(r);
    ck_assert_str_eq(gsl_rng_name(r), "xoshiro256**");
    const uint64_t st[4] = {1, 2, 3, 4}, zero[4] = {0, 0, 0, 0};
    ck_assert_int_eq(rng_xoshiro256ss_set_state(r, st), 0);
    for (int k = 0; k < 10; k++) ck_assert_uint_eq(rng_xoshiro256ss_next(r), want[k]);
    ck_assert_int_eq(rng_xoshiro256ss_set_state(r, zero), -1);
    /* through GSL's interface: get = top 32 bits, uniform = top 53 bits / 2^53 */
    ck_assert_int_eq(rng_xoshiro256ss_set_state(r, st), 0);
    ck_assert_uint_eq(gsl_rng_get(r), want[0] >> 32);
    ck_assert_uint_eq(gsl_rng_get(r), want[1] >> 32);
    ck_assert_uint_eq(gsl_rng_get(r), want[2] >> 32);
    REQ(gsl_rng_uniform(r) == (double)(want[3] >> 11) * 0x1p-53);
    ck_assert_uint_eq(gsl_rng_max(r), 0xFFFFFFFFul);
    ck_assert_uint_eq(gsl_rng_min(r), 0);
    gsl_rng *other = gsl_rng_alloc(gsl_rng_taus2);
    ck_assert_int_eq(rng_xoshiro256ss_set_state(other, st), -1);
    gsl_rng_free(other);
    gsl_rng_free(r);
}
END_TEST

START_TEST(xoshiro_streams)
{
    /* A stream: state word i = sm(s + i * 0x9E3779B97F4A7C15), s the full
     * 64-bit rng_seed.  First outputs from a Python model of that and of the
     * reference algorithm. */
    static const uint64_t want[4] = {0xed70f1df149a339aull, 0x118f23ef63a53074ull,
                                     0x09e4b4cde2e7813full, 0xe6cd1a53f41ec605ull};
    gsl_rng *r = rng_new(rng_xoshiro256ss, 42, 1, RNG_STREAM(3, 7));
    ck_assert_ptr_nonnull(r);
    for (int k = 0; k < 4; k++) ck_assert_uint_eq(rng_xoshiro256ss_next(r), want[k]);
    /* gsl_rng_set seeds the same way (on LP64, where long holds 64 bits) */
    if (sizeof(unsigned long) == 8) {
        gsl_rng_set(r, (unsigned long)rng_seed(42, 1, RNG_STREAM(3, 7)));
        ck_assert_uint_eq(rng_xoshiro256ss_next(r), want[0]);
    }
    /* The 32-bit fold collides: member streams 73004 and 111888 of family 5
     * (master 2024, rep 0) get one taus2 seed, so they draw alike; under
     * xoshiro256** (all 64 bits) they differ. */
    gsl_rng *a = rng_new(NULL, 2024, 0, RNG_STREAM(5, 73004)), *b = rng_new(NULL, 2024, 0, RNG_STREAM(5, 111888));
    ck_assert(a && b);
    for (int k = 0; k < 10; k++) REQ(gsl_rng_get(a) == gsl_rng_get(b));
    rng_reseed(r, 2024, 0, RNG_STREAM(5, 73004));
    gsl_rng *c = rng_new(rng_xoshiro256ss, 2024, 0, RNG_STREAM(5, 111888));
    ck_assert_ptr_nonnull(c);
    int same = 0;
    for (int k = 0; k < 10; k++) same += rng_xoshiro256ss_next(r) == rng_xoshiro256ss_next(c);
    ck_assert_int_eq(same, 0);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
    /* draws behave: n Exp(1) from GSL's distribution, mean 1 within 4 sd */
    enum { N = 1000000 };
    rng_reseed(r, 2024, 3, RNG_STREAM(1, 0));
    double sum = 0, sum2 = 0;
    for (int k = 0; k < N; k++) {
        double x = gsl_ran_exponential(r, 1.0);
        sum += x;
        sum2 += x * x;
    }
    double mean = sum / N, var = sum2 / N - mean * mean;
    ck_assert_msg(fabs(mean - 1.0) < 4.0 / sqrt(N), "mean %.5f", mean);
    ck_assert_msg(fabs(var - 1.0) < 4.0 * sqrt(8.0 / N), "variance %.5f", var);
    gsl_rng_free(r);
}
END_TEST

START_TEST(same_triple_same_stream)
{
    /* common random numbers: two arms with the same (master, rep, stream)
     * draw identical numbers, whatever generator object they use */
    gsl_rng *a = rng_new(NULL, 7, 3, RNG_STREAM(2, 11));
    gsl_rng *b = rng_new(gsl_rng_taus2, 7, 3, RNG_STREAM(2, 11));
    gsl_rng *c = rng_new(NULL, 7, 3, RNG_STREAM(2, 12));
    ck_assert(a && b && c);
    int differ = 0;
    for (int k = 0; k < 10000; k++) {
        double x = gsl_ran_exponential(a, 1.0);
        REQ(x == gsl_ran_exponential(b, 1.0));
        differ += x != gsl_ran_exponential(c, 1.0);
    }
    ck_assert_int_eq(differ, 10000);
    /* reseeding restarts the stream */
    rng_reseed(a, 7, 3, RNG_STREAM(2, 11));
    rng_reseed(b, 7, 3, RNG_STREAM(2, 11));
    for (int k = 0; k < 100; k++) REQ(gsl_rng_get(a) == gsl_rng_get(b));
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
    /* another generator type works and is deterministic too */
    gsl_rng *m1 = rng_new(gsl_rng_mt19937, 1, 2, 3), *m2 = rng_new(gsl_rng_mt19937, 1, 2, 3);
    ck_assert(m1 && m2);
    ck_assert_str_eq(gsl_rng_name(m1), "mt19937");
    for (int k = 0; k < 1000; k++) REQ(gsl_rng_get(m1) == gsl_rng_get(m2));
    gsl_rng_free(m1);
    gsl_rng_free(m2);
}
END_TEST

START_TEST(exponential_mean)
{
    /* n Exp(1) draws from one stream: the sample mean is 1 with sd 1/sqrt(n)
     * (CLT); the sample variance is 1 with sd sqrt((mu4 - 1)/n) = sqrt(8/n)
     * (mu4 = 9 for Exp(1)).  Both within 4 sd, at fixed seeds, for a few
     * streams of different families and replications. */
    enum { N = 1000000 };
    const uint64_t streams[][2] = {{0, RNG_STREAM(1, 0)}, {1, RNG_STREAM(1, 0)}, {0, RNG_STREAM(2, 77)}};
    for (size_t j = 0; j < sizeof streams / sizeof streams[0]; j++) {
        gsl_rng *r = rng_new(NULL, 2024, streams[j][0], streams[j][1]);
        ck_assert_ptr_nonnull(r);
        double sum = 0, sum2 = 0;
        for (int k = 0; k < N; k++) {
            double x = gsl_ran_exponential(r, 1.0);
            sum += x;
            sum2 += x * x;
        }
        double mean = sum / N, var = sum2 / N - mean * mean;
        ck_assert_msg(fabs(mean - 1.0) < 4.0 / sqrt(N), "stream %zu: mean %.5f", j, mean);
        ck_assert_msg(fabs(var - 1.0) < 4.0 * sqrt(8.0 / N), "stream %zu: variance %.5f", j, var);
        gsl_rng_free(r);
    }
}
END_TEST

static double corr(gsl_rng *a, gsl_rng *b, int n)
{
    double sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
    for (int k = 0; k < n; k++) {
        double x = gsl_ran_exponential(a, 1.0), y = gsl_ran_exponential(b, 1.0);
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
    }
    double ca = saa - sa * sa / n, cb = sbb - sb * sb / n, cab = sab - sa * sb / n;
    return cab / sqrt(ca * cb);
}

START_TEST(replications_uncorrelated)
{
    /* Streams that differ only in the replication (or only in the stream
     * index, or the master seed) are uncorrelated: under independence the
     * sample correlation of n pairs has sd 1/sqrt(n); require |r| < 4/sqrt(n).
     * A test that can fail: the same triple twice gives r = 1. */
    enum { N = 200000 };
    const double tol = 4.0 / sqrt(N);
    for (uint64_t rep = 1; rep <= 4; rep++) {
        gsl_rng *a = rng_new(NULL, 11, 0, RNG_STREAM(1, 5));
        gsl_rng *b = rng_new(NULL, 11, rep, RNG_STREAM(1, 5));
        double r = corr(a, b, N);
        ck_assert_msg(fabs(r) < tol, "rep 0 vs %llu: r = %.5f (tol %.5f)", (unsigned long long)rep, r, tol);
        gsl_rng_free(a);
        gsl_rng_free(b);
    }
    gsl_rng *a = rng_new(NULL, 11, 0, RNG_STREAM(1, 5));
    gsl_rng *b = rng_new(NULL, 11, 0, RNG_STREAM(1, 6));
    gsl_rng *c = rng_new(NULL, 12, 0, RNG_STREAM(1, 5));
    double r = corr(a, b, N);
    ck_assert_msg(fabs(r) < tol, "neighbouring streams: r = %.5f", r);
    rng_reseed(a, 11, 0, RNG_STREAM(1, 5));
    r = corr(a, c, N);
    ck_assert_msg(fabs(r) < tol, "neighbouring masters: r = %.5f", r);
    rng_reseed(a, 11, 0, RNG_STREAM(1, 5));
    rng_reseed(b, 11, 0, RNG_STREAM(1, 5));
    ck_assert(corr(a, b, 1000) > 0.999999);
    gsl_rng_free(a);
    gsl_rng_free(b);
    gsl_rng_free(c);
}
END_TEST

static Suite *rng_suite(void)
{
    Suite *s = suite_create("rng");
    TCase *tc = tcase_create("seed");
    tcase_add_test(tc, seed_golden);
    tcase_add_test(tc, xoshiro_vectors);
    tcase_add_test(tc, xoshiro_streams);
    tcase_add_test(tc, stream_golden);
    tcase_add_test(tc, seed_distinct);
    tcase_add_test(tc, seed_avalanche);
    tcase_add_test(tc, same_triple_same_stream);
    suite_add_tcase(s, tc);
    tc = tcase_create("stats");
    tcase_set_timeout(tc, 120); /* valgrind; natively about 0.1 s */
    tcase_add_test(tc, exponential_mean);
    tcase_add_test(tc, replications_uncorrelated);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(rng_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
