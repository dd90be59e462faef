/* test_model.c -- statistical tests of the community model against analytic
 * values, with fixed seeds and stated tolerances:
 *  a. everything off but base posting: independent Poisson posters (total
 *     count, dispersion, attribute distributions);
 *  b. thinning recovers the daily and weekly profiles (chi-square);
 *  c. determinism: same (scenario, arm, rep, seed) -> identical events,
 *     members and metrics; another seed or rep -> different;
 *  d. common random numbers: the reading club's arms share every event
 *     before the check-in starts;
 *  e. participation inequality: top-10% share vs the gamma-shape bound;
 *  f. the check-in arm raises next-day retention (paired, 10 replications).
 * White-box: reads member attributes through models/com_internal.h.
 * Scenario files: scenarios/ under the repo root (or $QS_ROOT); temporary
 * files under $QS_TMP (else /tmp). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>

#include "com_internal.h"
#include "metrics.h"
#include "replica.h"
#include "scenario.h"
#include "sim.h"

/* ---- helpers -------------------------------------------------------------- */

static const char *reading_club(void)
{
    static char path[1024];
    const char *root = getenv("QS_ROOT");
    snprintf(path, sizeof path, "%s/scenarios/reading_club.cfg", root && root[0] ? root : ".");
    return path;
}

/* Load a scenario from text written to a temporary file. */
static scenario *load_text(const char *text)
{
    const char *base = getenv("QS_TMP") ? getenv("QS_TMP") : "/tmp";
    char path[600];
    snprintf(path, sizeof path, "%s/test_model.XXXXXX", base);
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    scenario *s = NULL;
    char err[1024];
    int rc = scen_load(&s, path, err, sizeof err);
    remove(path);
    ck_assert_msg(rc == 0, "scen_load: %s", err);
    return s;
}

static scenario *load_file(const char *path)
{
    scenario *s = NULL;
    char err[1024];
    ck_assert_msg(scen_load(&s, path, err, sizeof err) == 0, "scen_load: %s", err);
    return s;
}

/* Under valgrind (make valgrind sets QS_VALGRIND) the replication counts are
 * halved: the point there is memory errors, and every tolerance below is
 * computed from the data actually simulated. */
static int light(void) { return getenv("QS_VALGRIND") != NULL; }

/* Everything captured from one run. */
typedef struct capture {
    ev_rec *ev;
    size_t n, cap;
    ev_member *mem;
    size_t nm, capm;
    /* member attributes at time 0 (index = member_id - 1) */
    double *rate, *eng0;
    int *role, n0;
    com_stats st;
} capture;

static int cap_event(void *ctx, const ev_rec *e)
{
    capture *c = ctx;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 4096;
        c->ev = realloc(c->ev, c->cap * sizeof *c->ev);
        ck_assert_ptr_nonnull(c->ev);
    }
    c->ev[c->n++] = *e;
    return 0;
}

static int cap_member(void *ctx, const ev_member *m)
{
    capture *c = ctx;
    if (c->nm == c->capm) {
        c->capm = c->capm ? 2 * c->capm : 1024;
        c->mem = realloc(c->mem, c->capm * sizeof *c->mem);
        ck_assert_ptr_nonnull(c->mem);
    }
    c->mem[c->nm++] = *m;
    return 0;
}

static void cap_free(capture *c)
{
    free(c->ev);
    free(c->mem);
    free(c->rate);
    free(c->eng0);
    free(c->role);
    memset(c, 0, sizeof *c);
}

/* Run arm `arm` of sc, replication rep, master seed `seed` (the window of
 * rep_run: [0, days)), capturing everything into c. */
static void run_capture(const scenario *sc, int arm, uint64_t seed, int rep, capture *c)
{
    memset(c, 0, sizeof *c);
    sim_t *sim = NULL;
    com_t *m = NULL;
    char err[512];
    ck_assert_int_eq(sim_open(&sim, NULL), 0);
    ev_sink sink = {cap_member, cap_event, c};
    ck_assert_msg(com_new(&m, &sc->arms[arm].com, sim, &sc->cal, seed, (uint64_t)rep, &sink, err, sizeof err) == 0,
                  "com_new: %s", err);
    ck_assert_int_eq(com_start(m), 0);
    c->n0 = m->n;
    c->rate = malloc((size_t)m->n * sizeof *c->rate);
    c->eng0 = malloc((size_t)m->n * sizeof *c->eng0);
    c->role = malloc((size_t)m->n * sizeof *c->role);
    ck_assert(c->rate && c->eng0 && c->role);
    for (int i = 0; i < m->n; i++) {
        c->rate[i] = m->mem[i].rate;
        c->eng0[i] = m->mem[i].eng;
        c->role[i] = m->mem[i].role;
    }
    sim_run_until(sim, nextafter((double)sc->run.days * 86400.0, 0.0));
    ck_assert_msg(com_finish(m) == 0, "com_finish: %s", com_errmsg(m));
    com_get_stats(m, &c->st);
    com_free(m);
    sim_close(sim);
}

/* "Everything off but base posting" (issue 3, Must hold): no replies, no
 * questions, no churn, lurking, muting or overload, no joins, no operator
 * posts, engagement held (decay time 1e9 days: e(t) = e0 exp(-t/1e9 d), a
 * relative change of 3e-8 over 28 days, still taken into account below).
 * Campaigns, invites, culture, spam, KOLs and bots are off by default. */
#define BASE_ONLY                                       \
    "group = { size = 500; admins = 0; };\n"            \
    "replies = { branching = 0.0; };\n"                 \
    "operator = { hours = []; types = []; };\n"         \
    "joins = { rate = 0.0; };\n"
/* ... and inside the members group: */
#define MEMBERS_OFF \
    "engagement_tau = 1e9; silent_below = 0.0; leave_rate = 0.0; question_share = 0.0; mute_rate = 0.0; overload_leave = 0.0; ugc_share = 0.0; "

#define FLAT_DAILY "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]"

/* ---- a. independent Poisson posters ---------------------------------------- */

START_TEST(base_posting_is_poisson)
{
    /* flat profiles; rates Gamma(2, mean 5/day), engagement Beta(2, 2) */
    scenario *sc = load_text("scenario = { days = 28; seed = 4242; };\n" BASE_ONLY
                             "members = { " MEMBERS_OFF "rate_mean = 5.0; rate_shape = 2.0; engagement_a = 2.0; engagement_b = 2.0; };\n"
                             "cadence = { daily = " FLAT_DAILY "; weekly = [1,1,1,1,1,1,1]; };\n");
    const double D = sc->run.days, tau = 1e9;
    const double decay = tau * -expm1(-D / tau); /* integral of exp(-t/tau) over [0, D], days */
    double N = 0, M = 0;          /* total messages, expected total */
    double X = 0, V = 0;          /* Pearson dispersion statistic and its variance */
    int k = 0;                    /* members in the dispersion statistic */
    double re_sum = 0;            /* sum of rate x engagement over ordinary members */
    int re_n = 0;
    const int REPS = light() ? 1 : 2;
    for (int rep = 0; rep < REPS; rep++) {
        capture c;
        run_capture(sc, 0, sc->seed, rep, &c);
        ck_assert_int_eq(c.n0, 500);
        double *cnt = calloc((size_t)c.n0, sizeof *cnt);
        for (size_t e = 0; e < c.n; e++) {
            /* nothing but messages: every other mechanism is off */
            ck_assert_msg(c.ev[e].kind == EV_MESSAGE, "event kind %d with everything off", c.ev[e].kind);
            ck_assert(c.ev[e].member_id >= 1 && c.ev[e].member_id <= c.n0);
            cnt[c.ev[e].member_id - 1]++;
        }
        for (int i = 0; i < c.n0; i++) {
            double mu = c.rate[i] * c.eng0[i] * decay;
            N += cnt[i];
            M += mu;
            /* (N - mu)^2 / mu has mean 1 and variance 2 + 1/mu for a Poisson
             * count; members with mu >= 5 keep the sum near normal */
            if (mu >= 5) {
                X += (cnt[i] - mu) * (cnt[i] - mu) / mu;
                V += 2 + 1 / mu;
                k++;
            }
            if (c.role[i] == ROLE_MEMBER) {
                re_sum += c.rate[i] * c.eng0[i];
                re_n++;
            }
        }
        free(cnt);
        cap_free(&c);
    }
    /* Total: Poisson(M); 4 sigma (two-sided 6e-5 false alarm).  M is about
     * 2 x 500 x 5 x 0.5 x 28 = 70000, so this catches a 1.5% rate error. */
    double z = (N - M) / sqrt(M);
    fprintf(stderr, "test_model: base posting: %.0f messages, expected %.1f (z = %+.2f); dispersion X/k = %.3f over %d members;"
            " mean rate x e = %.3f (2.5)\n", N, M, z, X / k, k, re_sum / re_n);
    ck_assert_msg(fabs(z) < 4, "total messages %.0f, expected %.1f (z = %.2f)", N, M, z);
    /* Dispersion: X ~ k +/- sqrt(V) under independent Poisson counts; a
     * rate varying from day to day or clumped posting would push X/k well
     * above 1, regular posting below.  4 sigma: about +/- 0.19 in X/k. */
    ck_assert_int_gt(k, 400 * REPS);
    ck_assert_msg(fabs(X - k) < 4 * sqrt(V), "dispersion X/k = %.3f over %d members (4 sigma = %.3f)", X / k,
                  k, 4 * sqrt(V) / k);
    /* Attributes: E[rate x e] = 5 x 2/(2+2) = 2.5; Var = E[r^2] E[e^2] - 2.5^2
     * = (2 x 2.5^2 x 3) x (6/20) - 6.25 = 5 (gamma shape 2, scale 2.5;
     * Beta(2,2)); 4 standard errors over ~1000 members. */
    double se = sqrt(5.0 / re_n);
    ck_assert_msg(fabs(re_sum / re_n - 2.5) < 4 * se, "mean rate x engagement %.4f, want 2.5 +/- %.4f", re_sum / re_n, 4 * se);
    scen_free(sc);
}
END_TEST

/* ---- b. thinning recovers the profiles ---------------------------------------- */

START_TEST(thinning_profiles)
{
    static const double daily[24] = {0.2, 0.1, 0.05, 0.0, 0.05, 0.1, 0.3, 0.8, 1.2, 1.2, 1.1, 1.1,
                                     1.3, 1.2, 1.0, 1.0, 1.0, 1.1, 1.2, 1.4, 1.8, 2.0, 1.6, 0.8};
    static const double weekly[7] = {1.0, 1.0, 1.0, 1.0, 1.5, 2.0, 0.5};
    char text[2048], dv[512] = "", wv[128] = "";
    for (int h = 0; h < 24; h++) snprintf(dv + strlen(dv), sizeof dv - strlen(dv), "%s%.2f", h ? ", " : "", daily[h]);
    for (int d = 0; d < 7; d++) snprintf(wv + strlen(wv), sizeof wv - strlen(wv), "%s%.2f", d ? ", " : "", weekly[d]);
    /* 14 days = two whole weeks from a Monday, at +08:00 */
    snprintf(text, sizeof text,
             "scenario = { days = 14; seed = 777; start = \"2026-03-02\"; utc_offset = \"+08:00\"; };\n" BASE_ONLY
             "members = { " MEMBERS_OFF "rate_mean = 8.0; rate_shape = 2.0; };\n"
             "cadence = { daily = [%s]; weekly = [%s]; };\n", dv, wv);
    scenario *sc = load_text(text);
    capture c;
    run_capture(sc, 0, sc->seed, 0, &c);
    double hour[24] = {0}, wday[7] = {0}, N = 0;
    for (size_t e = 0; e < c.n; e++) {
        ck_assert_int_eq(c.ev[e].kind, EV_MESSAGE);
        int64_t s = c.ev[e].ts - sc->cal.start_ts; /* start_ts is local midnight */
        ck_assert(s >= 0 && s < 14 * 86400);
        hour[(s % 86400) / 3600]++;
        wday[(s / 86400 + sc->cal.start_wday) % 7]++;
        N++;
    }
    ck_assert_msg(N > 20000, "only %.0f messages", N);
    /* an hour of zero activity gets nothing */
    ck_assert_msg(hour[3] == 0, "%.0f messages in a zero-activity hour", hour[3]);
    /* hours: expected share daily[h] / sum (the weekday factor and the
     * engagement decay are the same for every hour of a day).  Pearson
     * chi-square over the 23 hours with activity, 22 degrees of freedom;
     * critical value at alpha = 0.001 is 48.27. */
    double sd = 0, sw = 0, chi_h = 0, chi_w = 0;
    for (int h = 0; h < 24; h++) sd += daily[h];
    for (int h = 0; h < 24; h++)
        if (daily[h] > 0) {
            double E = N * daily[h] / sd;
            chi_h += (hour[h] - E) * (hour[h] - E) / E;
        }
    double crit_h = gsl_cdf_chisq_Qinv(0.001, 22);
    ck_assert(fabs(crit_h - 48.27) < 0.01);
    ck_assert_msg(chi_h < crit_h, "hourly chi-square %.2f >= %.2f", chi_h, crit_h);
    /* weekdays: two of each; expected share weekly[d] / sum (decay over 14
     * days is a relative 1.4e-8); 6 degrees of freedom, critical 22.46 */
    for (int d = 0; d < 7; d++) sw += weekly[d];
    for (int d = 0; d < 7; d++) {
        double E = N * weekly[d] / sw;
        chi_w += (wday[d] - E) * (wday[d] - E) / E;
    }
    double crit_w = gsl_cdf_chisq_Qinv(0.001, 6);
    ck_assert_msg(chi_w < crit_w, "weekday chi-square %.2f >= %.2f", chi_w, crit_w);
    /* the statistic has power: the profile read in UTC instead of local time
     * (8 hours off) fails by orders of magnitude */
    double chi_shift = 0;
    for (int h = 0; h < 24; h++)
        if (daily[(h + 8) % 24] > 0) {
            double E = N * daily[(h + 8) % 24] / sd;
            chi_shift += (hour[h] - E) * (hour[h] - E) / E;
        }
    ck_assert(chi_shift > 100 * crit_h);
    fprintf(stderr, "test_model: thinning: %.0f messages; chi-square hours %.2f (crit %.2f), weekdays %.2f (crit %.2f)\n", N,
            chi_h, crit_h, chi_w, crit_w);
    cap_free(&c);
    scen_free(sc);
}
END_TEST

/* ---- c. determinism ---------------------------------------------------------- */

static int same_ev(const ev_rec *a, const ev_rec *b)
{
    return a->id == b->id && a->ts == b->ts && a->group_id == b->group_id && a->kind == b->kind &&
           a->member_id == b->member_id && a->ref_id == b->ref_id &&
           memcmp(&a->value, &b->value, sizeof a->value) == 0;
}

static int same_mem(const ev_member *a, const ev_member *b)
{
    return a->group_id == b->group_id && a->role == b->role && a->source == b->source && a->member_id == b->member_id &&
           a->inviter_id == b->inviter_id && a->joined_ts == b->joined_ts && a->left_ts == b->left_ts;
}

/* Index of the first difference of two captures, or -1 if identical. */
static long first_diff(const capture *a, const capture *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    for (size_t i = 0; i < n; i++)
        if (!same_ev(&a->ev[i], &b->ev[i])) return (long)i;
    return a->n == b->n ? -1 : (long)n;
}

/* All emitted metrics of one replication, in emission order. */
typedef struct mrow {
    int32_t g;
    int64_t day;
    char name[48];
    double v;
} mrow;
typedef struct mlist {
    mrow *r;
    size_t n, cap;
} mlist;

static int collect(void *ctx, int32_t g, int64_t day, const char *metric, double v)
{
    mlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->r = realloc(l->r, l->cap * sizeof *l->r);
        ck_assert_ptr_nonnull(l->r);
    }
    mrow *r = &l->r[l->n++];
    r->g = g;
    r->day = day;
    snprintf(r->name, sizeof r->name, "%s", metric);
    r->v = v;
    return 0;
}

static void metrics_of(const scenario *sc, int arm, int rep, mlist *l)
{
    met_t *met = NULL;
    com_stats st;
    char err[512];
    memset(l, 0, sizeof *l);
    ck_assert_msg(rep_run(sc, arm, rep, NULL, &met, &st, err, sizeof err) == 0, "rep_run: %s", err);
    ck_assert_int_eq(met_emit(met, collect, l), 0);
    met_close(met);
}

/* 1 if every row is the same (values bit for bit: NaN equals NaN). */
static int same_metrics(const mlist *a, const mlist *b)
{
    if (a->n != b->n) return 0;
    for (size_t i = 0; i < a->n; i++)
        if (a->r[i].g != b->r[i].g || a->r[i].day != b->r[i].day || strcmp(a->r[i].name, b->r[i].name) ||
            memcmp(&a->r[i].v, &b->r[i].v, sizeof(double)))
            return 0;
    return 1;
}

START_TEST(determinism)
{
    scenario *sc = load_file(reading_club());
    int arm = scen_arm_index(sc, "checkin21");
    ck_assert_int_ge(arm, 0);
    capture a, b, c, d;
    run_capture(sc, arm, sc->seed, 3, &a);
    run_capture(sc, arm, sc->seed, 3, &b);
    ck_assert_int_gt((long)a.n, 5000);
    ck_assert_int_gt(a.st.checkins, 0);
    long fd = first_diff(&a, &b);
    ck_assert_msg(fd < 0, "same seed: event streams differ at %ld (of %zu, %zu)", fd, a.n, b.n);
    ck_assert_uint_eq(a.nm, b.nm);
    for (size_t i = 0; i < a.nm; i++) ck_assert_msg(same_mem(&a.mem[i], &b.mem[i]), "member record %zu differs", i);
    ck_assert(memcmp(&a.st, &b.st, sizeof a.st) == 0);
    /* another seed, another replication: different streams */
    run_capture(sc, arm, sc->seed + 1, 3, &c);
    ck_assert_msg(first_diff(&a, &c) >= 0, "seed + 1 gave the same events");
    run_capture(sc, arm, sc->seed, 4, &d);
    ck_assert_msg(first_diff(&a, &d) >= 0, "rep 4 gave the same events as rep 3");
    cap_free(&a);
    cap_free(&b);
    cap_free(&c);
    cap_free(&d);

    /* metrics through rep_run: identical twice, different for another seed */
    mlist m1, m2, m3;
    metrics_of(sc, arm, 3, &m1);
    metrics_of(sc, arm, 3, &m2);
    ck_assert_int_gt((long)m1.n, 100);
    ck_assert(same_metrics(&m1, &m2));
    scenario *sc2 = malloc(sizeof *sc2);
    ck_assert_ptr_nonnull(sc2);
    memcpy(sc2, sc, sizeof *sc2); /* shallow: shares path/text, never scen_free'd */
    sc2->seed = sc->seed + 1;
    metrics_of(sc2, arm, 3, &m3);
    ck_assert(!same_metrics(&m1, &m3));
    free(m1.r);
    free(m2.r);
    free(m3.r);
    free(sc2);
    scen_free(sc);
}
END_TEST

/* ---- d. common random numbers --------------------------------------------------- */

START_TEST(common_random_numbers)
{
    scenario *sc = load_file(reading_club());
    int b = scen_arm_index(sc, "baseline"), k = scen_arm_index(sc, "checkin21");
    ck_assert(b >= 0 && k >= 0);
    /* a check-in that starts on day 7 (the file may start it on day 0) */
    char err[512];
    ck_assert_msg(scen_set(sc, "checkin.start_day", "7", err, sizeof err) == 0, "%s", err);
    if (sc->run.days < 14) ck_assert_int_eq(scen_set(sc, "scenario.days", "14", err, sizeof err), 0);
    double start_day = 7;
    int64_t cut = sc->cal.start_ts + (int64_t)start_day * 86400;
    for (int rep = 0; rep < 2; rep++) {
        capture x, y;
        run_capture(sc, b, sc->seed, rep, &x);
        run_capture(sc, k, sc->seed, rep, &y);
        /* the prefixes before the cut are identical, event for event */
        size_t nx = 0, ny = 0;
        while (nx < x.n && x.ev[nx].ts < cut) nx++;
        while (ny < y.n && y.ev[ny].ts < cut) ny++;
        ck_assert_msg(nx == ny, "rep %d: %zu vs %zu events before day %g", rep, nx, ny, start_day);
        ck_assert_msg(nx > 1000, "rep %d: only %zu events before the check-in", rep, nx);
        for (size_t i = 0; i < nx; i++)
            ck_assert_msg(same_ev(&x.ev[i], &y.ev[i]), "rep %d: event %zu differs before the check-in", rep, i);
        /* the same members, joined at the same times (records before the cut) */
        size_t mx = 0, my = 0;
        while (mx < x.nm && (x.mem[mx].left_ts >= 0 ? x.mem[mx].left_ts : x.mem[mx].joined_ts) < cut) mx++;
        while (my < y.nm && (y.mem[my].left_ts >= 0 ? y.mem[my].left_ts : y.mem[my].joined_ts) < cut) my++;
        ck_assert_uint_eq(mx, my);
        ck_assert_uint_ge(mx, 300);
        for (size_t i = 0; i < mx; i++) ck_assert(same_mem(&x.mem[i], &y.mem[i]));
        /* and the design does differ afterwards */
        int checkins = 0;
        for (size_t i = ny; i < y.n; i++) checkins += y.ev[i].kind == EV_CHECKIN;
        ck_assert_int_gt(checkins, 0);
        for (size_t i = 0; i < x.n; i++) ck_assert(x.ev[i].kind != EV_CHECKIN);
        cap_free(&x);
        cap_free(&y);
    }
    scen_free(sc);
}
END_TEST

/* ---- e. participation inequality ---------------------------------------------- */

/* Share of all messages sent by the top 10% of members (by count). */
static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

static double top10_share(const capture *c)
{
    double *cnt = calloc((size_t)c->n0, sizeof *cnt), tot = 0, top = 0;
    for (size_t e = 0; e < c->n; e++)
        if (c->ev[e].kind == EV_MESSAGE && c->ev[e].member_id >= 1 && c->ev[e].member_id <= c->n0) {
            cnt[c->ev[e].member_id - 1]++;
            tot++;
        }
    qsort(cnt, (size_t)c->n0, sizeof *cnt, cmp_desc);
    for (int i = 0; i < c->n0 / 10; i++) top += cnt[i];
    free(cnt);
    return tot > 0 ? top / tot : NAN;
}

START_TEST(participation_inequality)
{
    /* With base posting only, member i's count is Poisson(c x rate_i x e_i)
     * with independent rate ~ Gamma(k) and e ~ Beta.  Multiplying by an
     * independent positive factor, and Poisson noise around the mean, are
     * mean-preserving spreads, so they can only raise the top-10% share of
     * the population above that of the rates alone: 1 - P(k+1, q90(k)), with
     * q90 the 90% quantile of Gamma(k, 1).  For the reading club's k = 0.7
     * that bound is 0.382 (uniform posting: 0.10).  A sample of 500 members
     * scatters by a few points; 0.05 below the bound is the tolerance. */
    scenario *sc = load_text("scenario = { days = 28; seed = 99; };\n" BASE_ONLY
                             "members = { " MEMBERS_OFF "rate_mean = 1.5; rate_shape = 0.7; engagement_a = 2.0; engagement_b = 2.5; };\n");
    double k = 0.7, bound = gsl_cdf_gamma_Q(gsl_cdf_gamma_Pinv(0.9, k, 1), k + 1, 1);
    ck_assert(fabs(bound - 0.3817) < 1e-3);
    capture c;
    run_capture(sc, 0, sc->seed, 0, &c);
    double share = top10_share(&c);
    ck_assert_msg(share > bound - 0.05, "top-10%% share %.3f, bound %.3f", share, bound);
    cap_free(&c);
    scen_free(sc);

    /* the measure discriminates: near-equal members (rate shape 100, e ~ 1)
     * give about 0.10 x (1 + 1.75 CV) with CV ~ 0.1 of rates and counts:
     * ~0.12, far below the bound */
    sc = load_text("scenario = { days = 28; seed = 99; };\n" BASE_ONLY
                   "members = { " MEMBERS_OFF "rate_mean = 1.5; rate_shape = 100.0; engagement_a = 1000.0; engagement_b = 0.01; };\n");
    run_capture(sc, 0, sc->seed, 0, &c);
    double flat = top10_share(&c);
    ck_assert_msg(flat < 0.2, "top-10%% share %.3f with equal members", flat);
    cap_free(&c);
    scen_free(sc);

    /* the full reading club: replies go to engaged members too, so the
     * inequality stays (documented lower bound: 0.3) */
    sc = load_file(reading_club());
    run_capture(sc, scen_arm_index(sc, "baseline"), sc->seed, 0, &c);
    double full = top10_share(&c);
    fprintf(stderr, "test_model: top-10%% share: base posting %.3f (bound %.3f), equal members %.3f, reading club %.3f\n",
            share, bound, flat, full);
    ck_assert_msg(full > 0.3, "reading club top-10%% share %.3f", full);
    cap_free(&c);
    scen_free(sc);
}
END_TEST

/* ---- f. the check-in raises next-day retention ------------------------------------ */

START_TEST(checkin_raises_retention)
{
    scenario *sc = load_file(reading_club());
    int b = scen_arm_index(sc, "baseline"), k = scen_arm_index(sc, "checkin21");
    const int REPS = light() ? 5 : 10;
    double d[10], mean = 0, var = 0;
    for (int r = 0; r < REPS; r++) {
        double v[2];
        int arms[2] = {b, k};
        for (int j = 0; j < 2; j++) {
            met_t *met = NULL;
            char err[512];
            ck_assert_msg(rep_run(sc, arms[j], r, NULL, &met, NULL, err, sizeof err) == 0, "rep_run: %s", err);
            ck_assert_int_eq(met_get(met, 0, "retention_1d", &v[j]), 0);
            ck_assert(!isnan(v[j]));
            met_close(met);
        }
        d[r] = v[1] - v[0];
        mean += d[r] / REPS;
    }
    for (int r = 0; r < REPS; r++) var += (d[r] - mean) * (d[r] - mean) / (REPS - 1);
    /* paired one-sided test: the 95% lower confidence bound of the mean
     * difference, mean - t(0.95, 9) sd / sqrt(10) (t = 1.833), above zero */
    double lo = mean - gsl_cdf_tdist_Pinv(0.95, REPS - 1) * sqrt(var / REPS);
    fprintf(stderr, "test_model: retention_1d check-in - baseline over %d reps: %+.4f (95%% lower bound %+.4f)\n", REPS, mean, lo);
    ck_assert_msg(lo > 0, "retention_1d: check-in - baseline = %.4f, 95%% lower bound %.4f", mean, lo);
    scen_free(sc);
}
END_TEST

static Suite *model_suite(void)
{
    /* one case per test, so that CK_RUN_CASE=name runs just one */
    const struct { const char *name; const TTest *t; } tests[] = {
        {"poisson", base_posting_is_poisson}, {"thinning", thinning_profiles},
        {"determinism", determinism},        {"crn", common_random_numbers},
        {"inequality", participation_inequality}, {"retention", checkin_raises_retention},
    };
    Suite *s = suite_create("model");
    for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++) {
        TCase *tc = tcase_create(tests[i].name);
        tcase_set_timeout(tc, 120); /* generous for valgrind; each test takes < 1 s natively */
        tcase_add_test(tc, tests[i].t);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    gsl_set_error_handler_off();
    SRunner *sr = srunner_create(model_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
