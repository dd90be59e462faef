/* bench_engine.c -- the classic hold model on the engine, for each queue,
 * against a bare 4-ary heap loop doing the same work with the same generator.
 * Hold: N pending events; each popped event schedules one at now + Exp(1)
 * (gsl_ran_exponential on a taus2 stream from rng_new).  After N setup
 * schedules and 2N warm-up holds, M holds are timed three times; the best
 * rate is printed, one figure a line: `name value unit`:
 *   hold_bare_N      the bare loop (4-ary heap of (t, seq), pop then push)
 *   hold_bare_tuned_N  a bare loop on the engine's own heap code (queue.h:
 *                    branch-free child choice, prefetch, fused pop+push), no
 *                    pool, ids or handler: what the engine's bookkeeping costs
 *   hold_N           the engine with its default queue (auto)
 *   hold_heap_N, hold_calendar_N   the engine on each queue
 *   hold_Q_1e6_bytes the engine's memory at 1e6 pending (sim_get_stats)
 *   hold_bare_xoshiro256p_N  the bare loop with an inline xoshiro256+ (the
 *                    issue's reference: a bare heap and a fast generator)
 *   hold_xoshiro_N   the engine (auto) drawing from rng_xoshiro256ss through
 *                    gsl_ran_exponential; hold_xoshiro_vs_bare_N = the ratio
 *                    of the two, measured one after the other
 * Rates are per second of the thread's CPU time, so that other jobs on a
 * shared machine slow them less (on an idle machine it is the wall time).
 * Never fails on speed.  Usage: bench_engine [quick]  (1e3 and 1e5, shorter).
 * `bench_engine dists` instead compares heap and calendar under other delay
 * distributions (hold_DIST_Q_N; not part of make bench, about a minute). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gsl/gsl_errno.h>
#include <gsl/gsl_randist.h>

#include "queue.h" /* internal: for the tuned bare loop only */
#include "rng.h"
#include "sim.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* ---- the engine --------------------------------------------------------- */

typedef struct hold_ctx {
    gsl_rng *r;
    uint64_t left; /* holds to go before sim_stop */
    int dist;      /* delay distribution: 0 = Exp(1), others for `dists` */
} hold_ctx;

static const char *const dist_names[] = {
    "exp", "unif", "bimodal", "pareto", "hourgrid", "halfzero", "farrare",
};
#define NDISTS ((int)(sizeof dist_names / sizeof dist_names[0]))

static double draw(hold_ctx *c)
{
    gsl_rng *r = c->r;
    switch (c->dist) {
    case 0: return gsl_ran_exponential(r, 1.0);
    case 1: return 2.0 * gsl_rng_uniform(r);                               /* U(0, 2) */
    case 2: return gsl_rng_uniform(r) < 0.9 ? 0.01 * gsl_rng_uniform(r)    /* near, */
                                           : 100.0 * gsl_rng_uniform(r);  /* and far */
    case 3: return pow(gsl_rng_uniform_pos(r), -1.0 / 1.5) - 1.0;          /* Pareto 1.5 */
    case 4: return 3600.0 * (double)gsl_rng_uniform_int(r, 48);            /* ties */
    case 5: return gsl_rng_uniform(r) < 0.5 ? 0.0 : gsl_ran_exponential(r, 1.0);
    default: return gsl_rng_uniform(r) < 0.999 ? gsl_ran_exponential(r, 1.0)
                                               : 1e6 * gsl_rng_uniform(r); /* rare far timers */
    }
}

static void hold(sim_t *s, const sim_event *ev)
{
    hold_ctx *c = ev->ctx;
    sim_schedule(s, draw(c), 0, hold, c, 0, 0, 0);
    if (--c->left == 0) sim_stop(s);
}

static double bench_engine_rng(sim_queue_kind q, size_t n, uint64_t m, int dist, size_t *bytes,
                               const gsl_rng_type *type)
{
    sim_opts o = {q, n + 16, 0};
    sim_t *s;
    hold_ctx c = {rng_new(type, 1, 0, 1), 0, dist};
    if (!c.r || sim_open(&s, &o) != 0) return NAN;
    for (size_t k = 0; k < n; k++) sim_schedule(s, draw(&c), 0, hold, &c, 0, 0, 0);
    c.left = 2 * n;
    sim_run_until(s, INFINITY);
    double best = 0;
    for (int rep = 0; rep < 3; rep++) {
        c.left = m;
        double t0 = now_s();
        uint64_t fired = sim_run_until(s, INFINITY);
        double rate = fired / (now_s() - t0);
        if (fired != m || sim_pending(s) != n) return NAN;
        if (rate > best) best = rate;
    }
    sim_stats st;
    sim_get_stats(s, &st);
    *bytes = st.bytes;
    sim_close(s);
    gsl_rng_free(c.r);
    return best;
}

static double bench_engine(sim_queue_kind q, size_t n, uint64_t m, int dist, size_t *bytes)
{
    return bench_engine_rng(q, n, m, dist, bytes, NULL);
}

/* ---- the bare reference: a plain 4-ary heap of (t, seq) ----------------- */

typedef struct bare_ent {
    double t;
    uint64_t seq; /* insertion order, the tie-breaker */
} bare_ent;

static inline int bare_less(const bare_ent *a, const bare_ent *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void bare_push(bare_ent *v, size_t *n, bare_ent e)
{
    size_t i = (*n)++;
    while (i > 0) {
        size_t p = (i - 1) / 4;
        if (!bare_less(&e, &v[p])) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
}

static bare_ent bare_pop(bare_ent *v, size_t *n)
{
    bare_ent top = v[0], x = v[--*n];
    size_t i = 0, sz = *n;
    for (;;) {
        size_t c = 4 * i + 1, m = c, end = c + 4 < sz ? c + 4 : sz;
        if (c >= sz) break;
        for (size_t k = c + 1; k < end; k++)
            if (bare_less(&v[k], &v[m])) m = k;
        if (!bare_less(&v[m], &x)) break;
        v[i] = v[m];
        i = m;
    }
    v[i] = x;
    return top;
}

static double bench_bare(size_t n, uint64_t m)
{
    gsl_rng *r = rng_new(NULL, 1, 0, 1);
    bare_ent *v = malloc((n + 1) * sizeof *v);
    if (!r || !v) return NAN;
    size_t sz = 0;
    uint64_t seq = 0;
    double now = 0;
    for (size_t k = 0; k < n; k++) bare_push(v, &sz, (bare_ent){gsl_ran_exponential(r, 1.0), seq++});
    double best = 0;
    for (int rep = -1; rep < 3; rep++) {
        uint64_t todo = rep < 0 ? 2 * n : m; /* rep -1: warm-up */
        double t0 = now_s();
        for (uint64_t k = 0; k < todo; k++) {
            bare_ent e = bare_pop(v, &sz);
            now = e.t;
            bare_push(v, &sz, (bare_ent){now + gsl_ran_exponential(r, 1.0), seq++});
        }
        double rate = todo / (now_s() - t0);
        if (rep >= 0 && rate > best) best = rate;
    }
    free(v);
    gsl_rng_free(r);
    return best;
}

/* xoshiro256+ (Blackman and Vigna), inline: the fastest generator of the
 * family, for floating-point use (top 53 bits). */
static inline double xo256p_uniform(uint64_t *s)
{
    const uint64_t r = s[0] + s[3], t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return (double)(r >> 11) * 0x1p-53;
}

/* The bare loop of bench_bare with xoshiro256+ and Exp(1) = -log1p(-u), as
 * gsl_ran_exponential computes it. */
static double bench_bare_xo(size_t n, uint64_t m)
{
    uint64_t st[4] = {0x9E3779B97F4A7C15ull, 0xBF58476D1CE4E5B9ull, 0x94D049BB133111EBull, 1};
    bare_ent *v = malloc((n + 1) * sizeof *v);
    if (!v) return NAN;
    size_t sz = 0;
    uint64_t seq = 0;
    double now = 0;
    for (size_t k = 0; k < n; k++) bare_push(v, &sz, (bare_ent){-log1p(-xo256p_uniform(st)), seq++});
    double best = 0;
    for (int rep = -1; rep < 3; rep++) {
        uint64_t todo = rep < 0 ? 2 * n : m;
        double t0 = now_s();
        for (uint64_t k = 0; k < todo; k++) {
            bare_ent e = bare_pop(v, &sz);
            now = e.t;
            bare_push(v, &sz, (bare_ent){now - log1p(-xo256p_uniform(st)), seq++});
        }
        double rate = todo / (now_s() - t0);
        if (rep >= 0 && rate > best) best = rate;
    }
    free(v);
    return best;
}

/* ---- the tuned bare reference: the engine's heap, nothing else ---------- */

static double bench_bare_tuned(size_t n, uint64_t m)
{
    gsl_rng *r = rng_new(NULL, 1, 0, 1);
    q_slot *pool = calloc(n + 1, sizeof *pool); /* keys only: the tie-breaker */
    q_heap h;
    if (!r || !pool || q_heap_init(&h, n + 1) != 0) return NAN;
    for (size_t k = 0; k < n; k++) {
        pool[k].key = k;
        q_entry e = {gsl_ran_exponential(r, 1.0), (uint32_t)k, 0};
        q_heap_push(&h, e, pool);
    }
    uint64_t seq = n;
    double best = 0;
    for (int rep = -1; rep < 3; rep++) {
        uint64_t todo = rep < 0 ? 2 * n : m;
        double t0 = now_s();
        for (uint64_t k = 0; k < todo; k++) {
            const q_entry *top = q_heap_peek(&h, pool);
            q_entry e = {top->t, top->slot, 0};
            q_heap_consume(&h, pool);
            pool[e.slot].key = seq++;
            e.t += gsl_ran_exponential(r, 1.0);
            q_heap_push(&h, e, pool);
        }
        double rate = todo / (now_s() - t0);
        if (rep >= 0 && rate > best) best = rate;
    }
    q_heap_free(&h);
    free(pool);
    gsl_rng_free(r);
    return best;
}

int main(int argc, char **argv)
{
    gsl_set_error_handler_off();
    int quick = argc > 1 && strcmp(argv[1], "quick") == 0;
    if (argc > 1 && strcmp(argv[1], "dists") == 0) {
        static const struct { const char *tag; size_t n; } dn[] = {
            {"1e3", 1000}, {"1e4", 10000}, {"1e5", 100000}, {"1e6", 1000000}};
        for (int d = 1; d < NDISTS; d++)
            for (int i = 0; i < 4; i++)
                for (int q = 1; q <= 2; q++) {
                    size_t bytes;
                    sim_queue_kind k = q == 1 ? SIM_QUEUE_HEAP : SIM_QUEUE_CALENDAR;
                    printf("hold_%s_%s_%s %.3g events/s\n", dist_names[d], sim_queue_name(k), dn[i].tag,
                           bench_engine(k, dn[i].n, 1000000, d, &bytes));
                    fflush(stdout);
                }
        return 0;
    }
    static const struct { const char *tag; size_t n; uint64_t m; } sizes[] = {
        {"1e3", 1000, 5000000}, {"1e5", 100000, 3000000}, {"1e6", 1000000, 1500000},
    };
    int nsizes = quick ? 2 : 3;
    static const struct { const char *name; sim_queue_kind q; } queues[] = {
        {"", SIM_QUEUE_AUTO}, {"heap_", SIM_QUEUE_HEAP}, {"calendar_", SIM_QUEUE_CALENDAR},
    };
    for (int i = 0; i < nsizes; i++) {
        uint64_t m = quick ? sizes[i].m / 5 : sizes[i].m;
        printf("hold_bare_%s %.3g events/s\n", sizes[i].tag, bench_bare(sizes[i].n, m));
        fflush(stdout);
        printf("hold_bare_tuned_%s %.3g events/s\n", sizes[i].tag, bench_bare_tuned(sizes[i].n, m));
        fflush(stdout);
        size_t bytes[3];
        for (int j = 0; j < 3; j++) {
            printf("hold_%s%s %.3g events/s\n", queues[j].name, sizes[i].tag,
                   bench_engine(queues[j].q, sizes[i].n, m, 0, &bytes[j]));
            fflush(stdout);
        }
        double bx = bench_bare_xo(sizes[i].n, m);
        printf("hold_bare_xoshiro256p_%s %.3g events/s\n", sizes[i].tag, bx);
        fflush(stdout);
        double ex = bench_engine_rng(SIM_QUEUE_AUTO, sizes[i].n, m, 0, &bytes[0], rng_xoshiro256ss);
        printf("hold_xoshiro_%s %.3g events/s\n", sizes[i].tag, ex);
        printf("hold_xoshiro_vs_bare_%s %.3g x\n", sizes[i].tag, ex / bx);
        fflush(stdout);
        if (sizes[i].n == 1000000)
            for (int j = 1; j < 3; j++) printf("hold_%s1e6_bytes %.3g B\n", queues[j].name, (double)bytes[j]);
    }
    return 0;
}
