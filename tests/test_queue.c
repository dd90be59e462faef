/* test_queue.c -- the engine's event queue and run loop (sim.h), run against
 * every queue implementation (heap and calendar/ladder): total event order
 * (time, priority, insertion), ids and cancel, schedule errors, run_until and
 * sim_stop, handlers that schedule and cancel, pool growth, memory bounds
 * under cancel churn, and randomized runs against a sorted reference. */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

/* Check records every passing ck_assert (a write per call), which would
 * dominate loops over 1e5 events: these only call into Check on failure. */
#define REQ(c) \
    do { if (!(c)) ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #c); } while (0)
#define REQ_EQ(x, y) \
    do { long long x_ = (long long)(x), y_ = (long long)(y); \
         if (x_ != y_) ck_abort_msg("%s:%d: %s == %s failed: %lld != %lld", \
                                    __FILE__, __LINE__, #x, #y, x_, y_); } while (0)

/* Every test runs on each queue; auto starts on the heap and moves to the
 * ladder in the tests that queue more than 16384 events. */
static const sim_queue_kind kinds[] = {SIM_QUEUE_HEAP, SIM_QUEUE_CALENDAR, SIM_QUEUE_AUTO};
#define NKINDS ((int)(sizeof kinds / sizeof kinds[0]))

static sim_t *open_kind(int k, size_t initial)
{
    sim_opts o = {kinds[k], initial, 0};
    sim_t *s = NULL;
    ck_assert_int_eq(sim_open(&s, &o), 0);
    ck_assert_ptr_nonnull(s);
    /* the tests must really exercise the implementation they name */
    ck_assert_int_eq(sim_queue(s), kinds[k] == SIM_QUEUE_AUTO ? SIM_QUEUE_HEAP : kinds[k]);
    return s;
}

/* A deterministic test generator (splitmix64), independent of GSL. */
static uint64_t tr_next(uint64_t *st)
{
    uint64_t z = (*st += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double tr_unif(uint64_t *st) { return (double)(tr_next(st) >> 11) * 0x1.0p-53; }
static uint32_t tr_int(uint64_t *st, uint32_t n) { return (uint32_t)(tr_next(st) % n); }

/* ---- a recorder: each fired event appends (payload a, t) ---------------- */

typedef struct rec {
    int64_t *a;
    double *t;
    size_t n, cap;
} rec;

static void rec_push(rec *r, int64_t a, double t)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 256;
        r->a = realloc(r->a, r->cap * sizeof *r->a);
        r->t = realloc(r->t, r->cap * sizeof *r->t);
        REQ(r->a && r->t);
    }
    r->a[r->n] = a;
    r->t[r->n] = t;
    r->n++;
}

static void rec_free(rec *r)
{
    free(r->a);
    free(r->t);
    memset(r, 0, sizeof *r);
}

static void h_rec(sim_t *s, const sim_event *ev)
{
    rec *r = ev->ctx;
    REQ(ev->t == sim_now(s));
    rec_push(r, ev->a, ev->t);
}

/* ---- order ------------------------------------------------------------- */

START_TEST(order_by_time)
{
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    const double d[] = {5, 1, 3, 2, 4, 0, 7.5, 6, 1e-9, 1e6};
    const int64_t want[] = {5, 8, 1, 3, 2, 4, 0, 7, 6, 9};
    for (int k = 0; k < 10; k++)
        ck_assert_uint_ne(sim_schedule(s, d[k], 0, h_rec, &r, k, 0, 0), 0);
    ck_assert_uint_eq(sim_pending(s), 10);
    ck_assert_uint_eq(sim_run_until(s, INFINITY), 10);
    ck_assert_uint_eq(r.n, 10);
    for (int k = 0; k < 10; k++) {
        ck_assert_int_eq(r.a[k], want[k]);
        ck_assert(r.t[k] == d[want[k]]);
    }
    ck_assert_uint_eq(sim_pending(s), 0);
    ck_assert_uint_eq(sim_fired(s), 10);
    ck_assert(sim_now(s) == 1e6); /* t_end infinite: the clock stays at the last event */
    rec_free(&r);
    sim_close(s);
}
END_TEST

START_TEST(order_ties)
{
    /* equal times: priority first (smaller first), then insertion order */
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    const int prio[] = {0, 5, -3, 0, 32767, -32768, 5, -3, 0, 32767, -32768};
    for (int k = 0; k < 11; k++)
        ck_assert_uint_ne(sim_schedule(s, 2.0, prio[k], h_rec, &r, k, 0, 0), 0);
    /* one earlier event of the largest priority value still fires first */
    ck_assert_uint_ne(sim_schedule(s, 1.0, 32767, h_rec, &r, 100, 0, 0), 0);
    /* and a later one of the smallest priority value fires last */
    ck_assert_uint_ne(sim_schedule(s, nextafter(2.0, 3.0), -32768, h_rec, &r, 101, 0, 0), 0);
    sim_run_until(s, 10);
    const int64_t want[] = {100, 5, 10, 2, 7, 0, 3, 8, 1, 6, 4, 9, 101};
    ck_assert_uint_eq(r.n, 13);
    for (int k = 0; k < 13; k++) ck_assert_int_eq(r.a[k], want[k]);
    rec_free(&r);
    sim_close(s);
}
END_TEST

START_TEST(order_signed_zero)
{
    /* -0.0 and +0.0 are the same time: insertion order decides */
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    for (int k = 0; k < 200; k++) {
        double t = k % 2 ? -0.0 : 0.0;
        ck_assert_uint_ne(k % 3 ? sim_schedule_at(s, t, 0, h_rec, &r, k, 0, 0)
                                : sim_schedule(s, t, 0, h_rec, &r, k, 0, 0), 0);
    }
    sim_schedule(s, 1e-300, 0, h_rec, &r, 1000, 0, 0);
    sim_run_until(s, 1.0);
    ck_assert_uint_eq(r.n, 201);
    for (int k = 0; k < 200; k++) ck_assert_int_eq(r.a[k], k);
    ck_assert_int_eq(r.a[200], 1000);
    sim_close(s);
    /* one +0.0 among -0.0 siblings, with distinct larger times around */
    s = open_kind(_i, 0);
    r.n = 0;
    sim_schedule_at(s, -0.0, 0, h_rec, &r, 0, 0, 0);
    sim_schedule_at(s, -0.0, 0, h_rec, &r, 1, 0, 0);
    sim_schedule_at(s, 0.0, 0, h_rec, &r, 2, 0, 0);
    for (int k = 3; k < 20; k++) sim_schedule_at(s, (double)k, 0, h_rec, &r, k, 0, 0);
    sim_run_until(s, 100.0);
    ck_assert_uint_eq(r.n, 20);
    for (int k = 0; k < 20; k++) ck_assert_int_eq(r.a[k], k);
    rec_free(&r);
    sim_close(s);
}
END_TEST

START_TEST(order_many_equal)
{
    /* 5000 events at one time and one priority: pure insertion order,
     * interleaved with a second priority, also scheduled via schedule_at */
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    for (int k = 0; k < 5000; k++) {
        if (k % 2)
            REQ(sim_schedule_at(s, 7.0, 1, h_rec, &r, k, 0, 0) != 0);
        else
            REQ(sim_schedule(s, 7.0, 0, h_rec, &r, k, 0, 0) != 0);
    }
    ck_assert_uint_eq(sim_run_until(s, 7.0), 5000);
    for (int k = 0; k < 2500; k++) {
        REQ_EQ(r.a[k], 2 * k);
        REQ_EQ(r.a[2500 + k], 2 * k + 1);
    }
    rec_free(&r);
    sim_close(s);
}
END_TEST

/* Zero-delay events scheduled from a handler fire at the same time, after the
 * events already queued at that (time, priority), before larger priorities. */
typedef struct zctx {
    rec r;
    int spawned;
} zctx;

static void h_zero(sim_t *s, const sim_event *ev)
{
    zctx *z = ev->ctx;
    rec_push(&z->r, ev->a, ev->t);
    if (ev->a == 0 && !z->spawned) {
        z->spawned = 1;
        ck_assert_uint_ne(sim_schedule(s, 0.0, 0, h_zero, z, 10, 0, 0), 0);
        ck_assert_uint_ne(sim_schedule(s, -0.0, -1, h_zero, z, 11, 0, 0), 0);
        ck_assert_uint_ne(sim_schedule_at(s, sim_now(s), 0, h_zero, z, 12, 0, 0), 0);
    }
}

START_TEST(zero_delay_from_handler)
{
    sim_t *s = open_kind(_i, 0);
    zctx z = {{0}, 0};
    sim_schedule(s, 1.0, 0, h_zero, &z, 0, 0, 0);
    sim_schedule(s, 1.0, 0, h_zero, &z, 1, 0, 0);
    sim_schedule(s, 1.0, 1, h_zero, &z, 2, 0, 0);
    sim_schedule(s, 2.0, -5, h_zero, &z, 3, 0, 0);
    sim_run_until(s, 5);
    const int64_t want[] = {0, 11, 1, 10, 12, 2, 3};
    ck_assert_uint_eq(z.r.n, 7);
    for (int k = 0; k < 7; k++) ck_assert_int_eq(z.r.a[k], want[k]);
    for (int k = 0; k < 6; k++) ck_assert(z.r.t[k] == 1.0);
    rec_free(&z.r);
    sim_close(s);
}
END_TEST

/* ---- payload and ids --------------------------------------------------- */

typedef struct pctx {
    int calls;
    sim_id want_id;
} pctx;

static void h_payload(sim_t *s, const sim_event *ev)
{
    pctx *p = ev->ctx;
    p->calls++;
    ck_assert_uint_eq(ev->id, p->want_id);
    ck_assert_int_eq(ev->a, INT64_MIN);
    ck_assert_int_eq(ev->b, INT64_MAX);
    ck_assert(ev->x == -0.125);
    ck_assert(ev->t == 3.5);
}

START_TEST(payload_and_id)
{
    sim_t *s = open_kind(_i, 0);
    pctx p = {0, 0};
    p.want_id = sim_schedule(s, 3.5, 0, h_payload, &p, INT64_MIN, INT64_MAX, -0.125);
    ck_assert_uint_ne(p.want_id, 0);
    sim_run_until(s, 100);
    ck_assert_int_eq(p.calls, 1);
    sim_close(s);
}
END_TEST

/* ---- cancel ------------------------------------------------------------ */

START_TEST(cancel_basic)
{
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    sim_id id[6];
    for (int k = 0; k < 6; k++) id[k] = sim_schedule(s, k + 1.0, 0, h_rec, &r, k, 0, 0);
    for (int k = 0; k < 6; k++)
        for (int j = 0; j < k; j++) ck_assert_uint_ne(id[j], id[k]);
    ck_assert_int_eq(sim_cancel(s, id[2]), 0);  /* pending */
    ck_assert_int_eq(sim_cancel(s, id[2]), -1); /* double cancel */
    ck_assert_uint_eq(sim_pending(s), 5);
    ck_assert_int_eq(sim_cancel(s, 0), -1);               /* "none" */
    ck_assert_int_eq(sim_cancel(s, 0xFFFFFFFFull), -1);    /* beyond the pool */
    ck_assert_int_eq(sim_cancel(s, id[0] + (7ull << 40)), -1); /* wrong generation */
    sim_run_until(s, 2.0);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_int_eq(sim_cancel(s, id[0]), -1); /* already fired */
    ck_assert_int_eq(sim_cancel(s, id[5]), 0);  /* first or last: both fine */
    ck_assert_int_eq(sim_cancel(s, id[3]), 0);
    ck_assert_uint_eq(sim_pending(s), 1);
    sim_run_until(s, INFINITY);
    ck_assert_uint_eq(r.n, 3);
    ck_assert_int_eq(r.a[0], 0);
    ck_assert_int_eq(r.a[1], 1);
    ck_assert_int_eq(r.a[2], 4);
    ck_assert_uint_eq(sim_fired(s), 3);
    ck_assert_uint_eq(sim_pending(s), 0);
    rec_free(&r);
    sim_close(s);
}
END_TEST

START_TEST(cancel_reused_slot)
{
    /* An id names one scheduling, not a slot: after its event fired or was
     * cancelled, the id stays dead even when the slot serves a new event. */
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    sim_id a = sim_schedule(s, 1.0, 0, h_rec, &r, 1, 0, 0);
    sim_run_until(s, 1.0);
    sim_id b = sim_schedule(s, 1.0, 0, h_rec, &r, 2, 0, 0); /* likely a's slot */
    ck_assert_uint_ne(a, b);
    ck_assert_int_eq(sim_cancel(s, a), -1);
    ck_assert_uint_eq(sim_pending(s), 1);
    ck_assert_int_eq(sim_cancel(s, b), 0);
    sim_id c = sim_schedule(s, 1.0, 0, h_rec, &r, 3, 0, 0); /* maybe b's slot */
    ck_assert_uint_ne(c, b);
    ck_assert_uint_ne(c, a);
    ck_assert_int_eq(sim_cancel(s, b), -1);
    ck_assert_int_eq(sim_cancel(s, a), -1);
    sim_run_until(s, 10);
    ck_assert_uint_eq(r.n, 2);
    ck_assert_int_eq(r.a[1], 3);
    ck_assert_int_eq(sim_cancel(s, c), -1);
    /* many generations of churn on few slots: all old ids stay dead */
    sim_id old[200];
    for (int k = 0; k < 200; k++) {
        old[k] = sim_schedule(s, 1.0, 0, h_rec, &r, 0, 0, 0);
        ck_assert_int_eq(sim_cancel(s, old[k]), 0);
    }
    for (int k = 0; k < 200; k++) ck_assert_int_eq(sim_cancel(s, old[k]), -1);
    ck_assert_uint_eq(sim_pending(s), 0);
    ck_assert_uint_eq(sim_run_until(s, 100), 0);
    rec_free(&r);
    sim_close(s);
}
END_TEST

/* ---- schedule errors --------------------------------------------------- */

static void h_nop(sim_t *s, const sim_event *ev) { (void)s; (void)ev; }

START_TEST(schedule_errors)
{
    sim_t *s = open_kind(_i, 0);
    ck_assert_str_eq(sim_errmsg(s), "");
    ck_assert_uint_eq(sim_schedule(s, -1.0, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert(strlen(sim_errmsg(s)) > 0);
    ck_assert_uint_eq(sim_schedule(s, -1e-300, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, NAN, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, -NAN, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, INFINITY, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, -INFINITY, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, 1.0, 32768, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "priority"));
    ck_assert_uint_eq(sim_schedule(s, 1.0, -32769, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, 1.0, INT32_MIN, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, 1.0, 0, NULL, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule_at(s, NAN, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule_at(s, INFINITY, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_pending(s), 0);
    sim_run_until(s, 10.0);
    ck_assert_uint_eq(sim_schedule_at(s, 9.999, 0, h_nop, NULL, 0, 0, 0), 0); /* in the past */
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "before now"));
    ck_assert_uint_eq(sim_pending(s), 0);
    /* nothing was scheduled by the failures; valid calls at the bounds work */
    ck_assert_uint_ne(sim_schedule_at(s, 10.0, -32768, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_ne(sim_schedule(s, 0.0, 32767, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_ne(sim_schedule(s, 1e300, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_pending(s), 3);
    ck_assert_uint_eq(sim_run_until(s, INFINITY), 3);
    ck_assert(sim_now(s) == 10.0 + 1e300);
    /* a finite delay whose sum with now overflows */
    ck_assert_uint_ne(sim_schedule_at(s, 1e308, 0, h_nop, NULL, 0, 0, 0), 0);
    sim_run_until(s, INFINITY);
    ck_assert_uint_eq(sim_schedule(s, 1.7e308, 0, h_nop, NULL, 0, 0, 0), 0);
    ck_assert_uint_eq(sim_pending(s), 0);
    sim_close(s);
}
END_TEST

/* ---- run_until and sim_stop -------------------------------------------- */

START_TEST(run_until_bounds)
{
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    sim_schedule(s, 1.0, 0, h_rec, &r, 1, 0, 0);
    sim_schedule(s, 2.0, 0, h_rec, &r, 2, 0, 0);
    sim_schedule(s, nextafter(2.0, 3.0), 0, h_rec, &r, 3, 0, 0);
    sim_schedule(s, 5.0, 0, h_rec, &r, 5, 0, 0);
    ck_assert_uint_eq(sim_run_until(s, 2.0), 2); /* exactly t_end fires */
    ck_assert(sim_now(s) == 2.0);
    ck_assert_uint_eq(sim_run_until(s, 4.0), 1);
    ck_assert(sim_now(s) == 4.0); /* clock set to t_end with no event there */
    ck_assert_uint_eq(sim_run_until(s, 3.0), 0); /* t_end in the past: nothing */
    ck_assert(sim_now(s) == 4.0);
    ck_assert_uint_eq(sim_run_until(s, NAN), 0);
    ck_assert(sim_now(s) == 4.0);
    /* delays are now relative to the advanced clock */
    sim_schedule(s, 0.5, 0, h_rec, &r, 4, 0, 0);
    ck_assert_uint_eq(sim_run_until(s, 100.0), 2);
    ck_assert(sim_now(s) == 100.0);
    ck_assert_uint_eq(r.n, 5);
    ck_assert(r.t[3] == 4.5);
    ck_assert_int_eq(r.a[3], 4);
    ck_assert_uint_eq(sim_fired(s), 5);
    /* an empty queue still moves the clock */
    ck_assert_uint_eq(sim_run_until(s, 200.0), 0);
    ck_assert(sim_now(s) == 200.0);
    rec_free(&r);
    sim_close(s);
}
END_TEST

typedef struct sctx {
    rec r;
    int64_t stop_at;
} sctx;

static void h_stop(sim_t *s, const sim_event *ev)
{
    sctx *c = ev->ctx;
    rec_push(&c->r, ev->a, ev->t);
    if (ev->a == c->stop_at) sim_stop(s);
}

START_TEST(stop_in_handler)
{
    sim_t *s = open_kind(_i, 0);
    sctx c = {{0}, 3};
    for (int k = 1; k <= 6; k++) sim_schedule(s, (double)k, 0, h_stop, &c, k, 0, 0);
    ck_assert_uint_eq(sim_run_until(s, 10.0), 3);
    ck_assert(sim_now(s) == 3.0); /* stopped: the clock stays at the event */
    ck_assert_uint_eq(sim_pending(s), 3);
    /* sim_stop outside a run does not stick to the next run */
    sim_stop(s);
    ck_assert_uint_eq(sim_run_until(s, 5.0), 2);
    ck_assert(sim_now(s) == 5.0);
    ck_assert_uint_eq(sim_run_until(s, 10.0), 1);
    ck_assert_uint_eq(c.r.n, 6);
    for (int k = 0; k < 6; k++) ck_assert_int_eq(c.r.a[k], k + 1);
    rec_free(&c.r);
    sim_close(s);
}
END_TEST

static void h_nested(sim_t *s, const sim_event *ev)
{
    int *ok = ev->ctx;
    /* a nested run is refused and changes nothing */
    *ok = sim_run_until(s, 1e9) == 0 && sim_now(s) == ev->t && strlen(sim_errmsg(s)) > 0;
}

START_TEST(nested_run_refused)
{
    sim_t *s = open_kind(_i, 0);
    int ok = 0;
    sim_schedule(s, 1.0, 0, h_nested, &ok, 0, 0, 0);
    sim_schedule(s, 2.0, 0, h_nop, NULL, 0, 0, 0);
    ck_assert_uint_eq(sim_run_until(s, 1.5), 1);
    ck_assert_int_eq(ok, 1);
    ck_assert_uint_eq(sim_pending(s), 1);
    sim_close(s);
}
END_TEST

/* ---- handlers that schedule and cancel --------------------------------- */

typedef struct cctx {
    rec r;
    sim_id victim, self;
    int self_cancel_rc, victim_rc;
} cctx;

static void h_canceller(sim_t *s, const sim_event *ev)
{
    cctx *c = ev->ctx;
    rec_push(&c->r, ev->a, ev->t);
    if (ev->a == 1) {
        c->self_cancel_rc = sim_cancel(s, ev->id); /* already fired: -1 */
        c->victim_rc = sim_cancel(s, c->victim);   /* later event at the same time */
        /* reschedule in place of the victim: fires after the other t=1 ones */
        sim_schedule(s, 0.0, 0, h_canceller, c, 20, 0, 0);
        sim_schedule(s, 1.0, 0, h_canceller, c, 21, 0, 0);
    }
}

START_TEST(handler_schedules_and_cancels)
{
    sim_t *s = open_kind(_i, 0);
    cctx c = {{0}, 0, 0, 99, 99};
    sim_schedule(s, 1.0, 0, h_canceller, &c, 1, 0, 0);
    c.victim = sim_schedule(s, 1.0, 0, h_canceller, &c, 2, 0, 0);
    sim_schedule(s, 1.0, 0, h_canceller, &c, 3, 0, 0);
    sim_schedule(s, 2.0, 0, h_canceller, &c, 4, 0, 0);
    sim_run_until(s, 10);
    ck_assert_int_eq(c.self_cancel_rc, -1);
    ck_assert_int_eq(c.victim_rc, 0);
    const int64_t want[] = {1, 3, 20, 4, 21};
    ck_assert_uint_eq(c.r.n, 5);
    for (int k = 0; k < 5; k++) ck_assert_int_eq(c.r.a[k], want[k]);
    rec_free(&c.r);
    sim_close(s);
}
END_TEST

/* A chain: each event schedules the next; the run ends when the chain does. */
static void h_chain(sim_t *s, const sim_event *ev)
{
    if (ev->a > 0) sim_schedule(s, ev->x, (int)(ev->a % 3), h_chain, ev->ctx, ev->a - 1, 0, ev->x);
    (*(int *)ev->ctx)++;
}

START_TEST(handler_chain)
{
    sim_t *s = open_kind(_i, 0);
    int n = 0;
    sim_schedule(s, 0.0, 0, h_chain, &n, 10000, 0, 0.25);
    ck_assert_uint_eq(sim_run_until(s, INFINITY), 10001);
    ck_assert_int_eq(n, 10001);
    ck_assert(sim_now(s) == 2500.0);
    sim_close(s);
}
END_TEST

/* ---- pool growth ------------------------------------------------------- */

START_TEST(pool_growth)
{
    sim_t *s = open_kind(_i, 1); /* grow from a single slot */
    rec r = {0};
    enum { N = 20000 };
    sim_id *ids = malloc(N * sizeof *ids);
    ck_assert_ptr_nonnull(ids);
    for (int k = 0; k < N; k++) {
        /* times descending in blocks, so the queue reorders everything */
        ids[k] = sim_schedule(s, (double)((N - k) / 7), 0, h_rec, &r, k, 0, 0);
        REQ(ids[k] != 0);
    }
    ck_assert_uint_eq(sim_pending(s), N);
    /* ids issued before the pool grew still work */
    for (int k = 0; k < N; k += 10) REQ_EQ(sim_cancel(s, ids[k]), 0);
    ck_assert_uint_eq(sim_run_until(s, INFINITY), N - N / 10);
    for (size_t k = 1; k < r.n; k++) {
        int64_t p = r.a[k - 1], q = r.a[k];
        REQ(r.t[k - 1] < r.t[k] || (r.t[k - 1] == r.t[k] && p < q));
        REQ(q % 10 != 0);
    }
    sim_stats st;
    sim_get_stats(s, &st);
    ck_assert_uint_eq(st.pending, 0);
    ck_assert_uint_ge(st.pool_slots, N - N / 10);
    free(ids);
    rec_free(&r);
    sim_close(s);
}
END_TEST

/* ---- memory under cancel churn ----------------------------------------- */

typedef struct churn {
    sim_id *timer;   /* each member's pending timeout */
    uint64_t rs;
    int fired;
} churn;

static void h_timeout(sim_t *s, const sim_event *ev)
{
    churn *c = ev->ctx;
    c->fired++;
    c->timer[ev->a] = sim_schedule(s, 50.0 + 50.0 * tr_unif(&c->rs), 0, h_timeout, c, ev->a, 0, 0);
    REQ(c->timer[ev->a] != 0);
}

START_TEST(cancel_churn_bounded)
{
    /* Each member's "go silent" timeout is pushed back at each of its
     * messages (cancel + schedule), 300000 times over 3000 members while the
     * clock runs: dead queue entries must not pile up.  The engine purges
     * them when they exceed 1024 and outnumber the live, so the queue stays
     * under 2 * live + 1025 entries. */
    sim_t *s = open_kind(_i, 0);
    enum { LIVE = 3000, ROUNDS = 300000 };
    churn c = {calloc(LIVE, sizeof(sim_id)), 7, 0};
    REQ(c.timer);
    for (int k = 0; k < LIVE; k++)
        c.timer[k] = sim_schedule(s, 50.0 + 50.0 * tr_unif(&c.rs), 0, h_timeout, &c, k, 0, 0);
    sim_stats st;
    size_t max_queued = 0;
    for (int k = 0; k < ROUNDS; k++) {
        uint32_t j = tr_int(&c.rs, LIVE);
        REQ_EQ(sim_cancel(s, c.timer[j]), 0);
        c.timer[j] = sim_schedule(s, 50.0 + 50.0 * tr_unif(&c.rs), 0, h_timeout, &c, j, 0, 0);
        REQ(c.timer[j] != 0);
        if (k % 50 == 0) sim_run_until(s, sim_now(s) + 0.2);
        if (k % 97 == 0) {
            sim_get_stats(s, &st);
            REQ_EQ(st.pending, LIVE);
            if (st.queued > max_queued) max_queued = st.queued;
        }
    }
    sim_get_stats(s, &st);
    ck_assert_uint_eq(st.pending, LIVE);
    ck_assert_msg(max_queued <= 2 * LIVE + 1025, "queued grew to %zu", max_queued);
    ck_assert_uint_le(st.pool_slots, 2 * LIVE + 1025);
    ck_assert_uint_gt(st.purges, 10);
    ck_assert_int_gt(c.fired, 1000); /* the clock ran past timeouts too */
    sim_close(s);
    free(c.timer);
}
END_TEST

START_TEST(cancelled_slots_reused)
{
    /* a cancelled event's record is freed when its entry surfaces: cancels
     * that surface one by one (never enough dead for a purge) leak nothing */
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    for (int k = 0; k < 10000; k++) {
        sim_id a = sim_schedule(s, 1.0, 0, h_rec, &r, k, 0, 0);
        REQ(sim_schedule(s, 1.0, 1, h_rec, &r, k, 0, 0) != 0);
        REQ(sim_cancel(s, a) == 0);
        REQ(sim_run_until(s, sim_now(s) + 1.0) == 1);
    }
    sim_stats st;
    sim_get_stats(s, &st);
    ck_assert_uint_le(st.pool_slots, 4);
    ck_assert_uint_eq(st.purges, 0);
    ck_assert_uint_eq(st.queued, 0);
    ck_assert_uint_eq(r.n, 10000);
    rec_free(&r);
    sim_close(s);
}
END_TEST

/* ---- randomized: static set against a sort ----------------------------- */

typedef struct refev {
    double t;
    int prio;
    int64_t seq; /* insertion order == payload a */
} refev;

static int refev_cmp(const void *x, const void *y)
{
    const refev *a = x, *b = y;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    if (a->prio != b->prio) return a->prio < b->prio ? -1 : 1;
    return (a->seq > b->seq) - (a->seq < b->seq);
}

START_TEST(random_static_vs_sort)
{
    enum { N = 100000 };
    sim_t *s = open_kind(_i, 0);
    rec r = {0};
    refev *ref = malloc(N * sizeof *ref);
    sim_id *ids = malloc(N * sizeof *ids);
    char *dead = calloc(N, 1);
    ck_assert(ref && ids && dead);
    uint64_t st = 12345;
    for (int k = 0; k < N; k++) {
        double t;
        switch (tr_int(&st, 4)) {
        case 0: t = tr_int(&st, 500) * 0.5; break;        /* many exact ties */
        case 1: t = 100.0; break;                         /* one huge tie */
        case 2: t = tr_unif(&st) * 250.0; break;          /* continuous */
        default: t = pow(10.0, -6 + 12 * tr_unif(&st)); break; /* wide scale */
        }
        int prio = (int)tr_int(&st, 5) - 2;
        ref[k] = (refev){t, prio, k};
        ids[k] = sim_schedule(s, t, prio, h_rec, &r, k, 0, 0);
        REQ(ids[k] != 0);
    }
    for (int k = 0; k < N / 10; k++) {
        uint32_t j = tr_int(&st, N);
        REQ_EQ(sim_cancel(s, ids[j]), dead[j] ? -1 : 0);
        dead[j] = 1;
    }
    size_t m = 0;
    for (int k = 0; k < N; k++)
        if (!dead[k]) ref[m++] = ref[k];
    qsort(ref, m, sizeof *ref, refev_cmp);
    ck_assert_uint_eq(sim_pending(s), m);
    ck_assert_uint_eq(sim_run_until(s, INFINITY), m);
    ck_assert_uint_eq(r.n, m);
    for (size_t k = 0; k < m; k++) {
        if (!(r.a[k] == ref[k].seq && r.t[k] == ref[k].t))
            ck_abort_msg(
                      "%s: position %zu: fired #%lld at %.17g, want #%lld at %.17g",
                      sim_queue_name(kinds[_i]), k, (long long)r.a[k], r.t[k],
                      (long long)ref[k].seq, ref[k].t);
    }
    free(ref);
    free(ids);
    free(dead);
    rec_free(&r);
    sim_close(s);
}
END_TEST

/* ---- randomized: a dynamic run against a reference queue ---------------
 * A driver fires events; at each firing it draws (from its own generator,
 * in firing order) how many events to schedule, their delays and priorities,
 * and whether to cancel some earlier event.  The same driver runs on the
 * engine and on a reference: a plain binary heap ordered by the full
 * (t, prio, seq) key, with cancelled refs marked in a state array.  The logs
 * (fired refs, times, cancel results) must match exactly.  One mode cancels
 * so much that the engine purges dead entries many times mid-run. */

typedef struct dyn_mode {
    int fires;      /* events to fire before draining */
    int low, high;  /* keep the pending count roughly in [low, high] */
    int cancel_in;  /* cancel with probability 1/cancel_in per firing */
    int ncancel;    /* ... this many events, among the last `back` scheduled */
    int back;
} dyn_mode;

enum { NDIST = 8 };
static const dyn_mode modes[NDIST] = {
    {40000, 150, 400, 4, 1, 800},       /* 0: quarter-second grid: ties, zero delays */
    {40000, 150, 400, 4, 1, 800},       /* 1: Exp(1) */
    {40000, 150, 400, 4, 1, 800},       /* 2: 1e-9 .. 1e9 log-uniform */
    {40000, 150, 400, 4, 1, 800},       /* 3: bursts of zero delays */
    {40000, 150, 400, 4, 1, 800},       /* 4: daily/hourly grid */
    {40000, 150, 400, 4, 1, 800},       /* 5: bimodal: near and far timers */
    {60000, 3000, 5000, 1, 2, 500},     /* 6: Exp(100), cancel 2 per firing: purges */
    {30000, 20000, 30000, 8, 1, 60000}, /* 7: Exp(1) at 2e4+ pending: gathered refills */
};

enum { REF_PENDING = 0, REF_FIRED = 1, REF_CANCELLED = 2 };

typedef struct drv drv;
struct drv {
    int dist;
    dyn_mode mode;
    uint64_t rs;
    /* backend */
    sim_t *s;                 /* engine, or NULL for the reference */
    refev *q;                 /* reference: binary min-heap */
    size_t qn, qcap;
    size_t npend;             /* reference: pending (not cancelled) */
    double now;
    /* bookkeeping shared by both backends */
    sim_id *ids;              /* engine id of each ref */
    char *state;              /* reference: REF_* of each ref */
    int64_t nref, refcap;
    int64_t nfired;
    int64_t *log;
    double *logt;
    size_t nlog, logcap;
};

static void drv_log(drv *d, int64_t v, double t)
{
    if (d->nlog == d->logcap) {
        d->logcap = d->logcap ? 2 * d->logcap : 4096;
        d->log = realloc(d->log, d->logcap * sizeof *d->log);
        d->logt = realloc(d->logt, d->logcap * sizeof *d->logt);
        REQ(d->log && d->logt);
    }
    d->log[d->nlog] = v;
    d->logt[d->nlog++] = t;
}

static double drv_delay(drv *d)
{
    uint64_t *st = &d->rs;
    switch (d->dist) {
    case 0: return tr_int(st, 8) * 0.25;
    case 1: case 7: return -log1p(-tr_unif(st));
    case 2: return pow(10.0, -9 + 18 * tr_unif(st));
    case 3: return tr_int(st, 10) < 9 ? 0.0 : 1000.0 * tr_unif(st);
    case 4: return 86400.0 * tr_int(st, 3) + 3600.0 * tr_int(st, 4);
    case 5: {
        double u = tr_unif(st);
        return u < 0.7 ? tr_unif(st) * 1e-3 : 1e5 + tr_unif(st) * 1e5;
    }
    default: return -100.0 * log1p(-tr_unif(st));
    }
}

static void h_dyn(sim_t *s, const sim_event *ev);

static void ref_push(drv *d, refev e)
{
    if (d->qn == d->qcap) {
        d->qcap = d->qcap ? 2 * d->qcap : 1024;
        d->q = realloc(d->q, d->qcap * sizeof *d->q);
        REQ(d->q);
    }
    size_t i = d->qn++;
    while (i > 0 && refev_cmp(&e, &d->q[(i - 1) / 2]) < 0) {
        d->q[i] = d->q[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    d->q[i] = e;
}

static refev ref_pop(drv *d)
{
    refev top = d->q[0], x = d->q[--d->qn];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= d->qn) break;
        if (c + 1 < d->qn && refev_cmp(&d->q[c + 1], &d->q[c]) < 0) c++;
        if (refev_cmp(&d->q[c], &x) >= 0) break;
        d->q[i] = d->q[c];
        i = c;
    }
    if (d->qn) d->q[i] = x;
    return top;
}

static void drv_schedule(drv *d, double delay, int prio)
{
    int64_t ref = d->nref++;
    if (ref >= d->refcap) {
        d->refcap = d->refcap ? 2 * d->refcap : 4096;
        d->ids = realloc(d->ids, (size_t)d->refcap * sizeof *d->ids);
        d->state = realloc(d->state, (size_t)d->refcap);
        REQ(d->ids && d->state);
    }
    if (d->s) {
        d->ids[ref] = sim_schedule(d->s, delay, prio, h_dyn, d, ref, 0, 0);
        REQ(d->ids[ref] != 0);
        return;
    }
    d->state[ref] = REF_PENDING;
    d->npend++;
    ref_push(d, (refev){d->now + delay, prio, ref});
}

static int drv_cancel(drv *d, int64_t ref)
{
    if (d->s) return sim_cancel(d->s, d->ids[ref]);
    if (d->state[ref] != REF_PENDING) return -1;
    d->state[ref] = REF_CANCELLED;
    d->npend--;
    return 0;
}

static size_t drv_pending(drv *d) { return d->s ? sim_pending(d->s) : d->npend; }

static void drv_fire(drv *d, int64_t ref, double t)
{
    drv_log(d, ref, t);
    d->nfired++;
    if (d->nfired >= d->mode.fires) return; /* let the queue drain */
    size_t p = drv_pending(d);
    int n = p < (size_t)d->mode.low ? 2 : p > (size_t)d->mode.high ? 0 : (int)tr_int(&d->rs, 3);
    if (d->mode.cancel_in == 1) n += d->mode.ncancel; /* replace what the cancels take */
    for (int k = 0; k < n; k++) {
        double delay = drv_delay(d);
        int prio = (int)tr_int(&d->rs, 3) - 1;
        drv_schedule(d, delay, prio);
    }
    if (tr_int(&d->rs, (uint32_t)d->mode.cancel_in) == 0 && d->nref > 0) {
        for (int k = 0; k < d->mode.ncancel; k++) {
            /* recent refs, often pending, sometimes fired or cancelled */
            int64_t back = (int64_t)tr_int(&d->rs, (uint32_t)d->mode.back);
            int64_t ref2 = d->nref - 1 - (back < d->nref ? back : d->nref - 1);
            int rc = drv_cancel(d, ref2);
            drv_log(d, -1 - (2 * ref2 + (rc == 0)), t);
        }
    }
}

static void h_dyn(sim_t *s, const sim_event *ev)
{
    drv *d = ev->ctx;
    REQ(ev->t == sim_now(s));
    drv_fire(d, ev->a, ev->t);
}

static void drv_run(drv *d)
{
    for (int k = 0; k < d->mode.low; k++) drv_schedule(d, drv_delay(d), (int)tr_int(&d->rs, 3) - 1);
    if (d->s) {
        sim_run_until(d->s, INFINITY);
        REQ(sim_pending(d->s) == 0);
        return;
    }
    while (d->qn) {
        refev e = ref_pop(d);
        if (d->state[e.seq] != REF_PENDING) continue;
        d->state[e.seq] = REF_FIRED;
        d->npend--;
        d->now = e.t;
        drv_fire(d, e.seq, e.t);
    }
}

static void drv_free(drv *d)
{
    free(d->q);
    free(d->ids);
    free(d->state);
    free(d->log);
    free(d->logt);
}

START_TEST(random_dynamic_vs_reference)
{
    int k = _i / NDIST, dist = _i % NDIST;
    drv a = {0}, b = {0};
    a.dist = b.dist = dist;
    a.mode = b.mode = modes[dist];
    a.rs = b.rs = 1000 + (uint64_t)dist;
    a.s = open_kind(k, 16);
    drv_run(&a);
    drv_run(&b);
    ck_assert_uint_eq(a.nlog, b.nlog);
    for (size_t j = 0; j < a.nlog; j++)
        if (!(a.log[j] == b.log[j] && a.logt[j] == b.logt[j]))
            ck_abort_msg("%s dist %d: log entry %zu: engine %lld at %.17g, reference %lld at %.17g",
                         sim_queue_name(kinds[k]), dist, j, (long long)a.log[j], a.logt[j],
                         (long long)b.log[j], b.logt[j]);
    ck_assert_uint_eq(sim_fired(a.s), (uint64_t)a.nfired);
    ck_assert_int_ge(a.nfired, a.mode.fires);
    sim_stats st;
    sim_get_stats(a.s, &st);
    if (dist == 6) ck_assert_uint_ge(st.purges, 5); /* the mode does what it is for */
    sim_close(a.s);
    drv_free(&a);
    drv_free(&b);
}
END_TEST

START_TEST(ids_same_across_queues)
{
    /* ids come from slot reuse, which purges could reorder per queue: the
     * engine frees purged slots in a canonical order, so every queue hands
     * out the same ids (dist 6 purges often, dist 7 moves auto to the ladder) */
    static const int dists[] = {2, 6, 7};
    int dist = dists[_i];
    drv d[NKINDS];
    memset(d, 0, sizeof d);
    for (int k = 0; k < NKINDS; k++) {
        d[k].dist = dist;
        d[k].mode = modes[dist];
        d[k].rs = 77;
        d[k].s = open_kind(k, 16);
        drv_run(&d[k]);
    }
    for (int k = 1; k < NKINDS; k++) {
        ck_assert_int_eq(d[k].nref, d[0].nref);
        for (int64_t j = 0; j < d[0].nref; j++)
            if (d[k].ids[j] != d[0].ids[j])
                ck_abort_msg("dist %d: %s id of ref %lld is %llx, heap's %llx", dist,
                             sim_queue_name(kinds[k]), (long long)j,
                             (unsigned long long)d[k].ids[j], (unsigned long long)d[0].ids[j]);
    }
    for (int k = 0; k < NKINDS; k++) {
        sim_close(d[k].s);
        drv_free(&d[k]);
    }
}
END_TEST

/* ---- auto: the move from heap to ladder ---------------------------------- */

typedef struct actx {
    rec r;
    uint64_t rs;
    sim_id ids[40000];
    int n;
    int switched_in_handler;
} actx;

static void h_spawn(sim_t *s, const sim_event *ev)
{
    actx *c = ev->ctx;
    rec_push(&c->r, ev->a, ev->t);
    if (ev->a != -1) return;
    /* one handler queues 40000 events (the move happens in here, with the
     * heap's root taken but not yet removed), cancelling every 7th */
    for (int k = 0; k < 40000; k++) {
        double d = tr_int(&c->rs, 3) ? tr_int(&c->rs, 100) * 0.5 : tr_unif(&c->rs) * 50.0;
        c->ids[k] = sim_schedule(s, d, (int)tr_int(&c->rs, 3) - 1, h_spawn, c, k, 0, 0);
        REQ(c->ids[k] != 0);
        if (k % 7 == 3) REQ(sim_cancel(s, c->ids[k - 2]) == 0);
    }
    c->switched_in_handler = sim_queue(s) == SIM_QUEUE_CALENDAR;
}

START_TEST(auto_switch_same_order)
{
    actx *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
    ck_assert(a && b);
    a->rs = b->rs = 5;
    sim_opts oa = {SIM_QUEUE_AUTO, 0, 0}, ob = {SIM_QUEUE_HEAP, 0, 0};
    sim_t *sa, *sb;
    ck_assert_int_eq(sim_open(&sa, &oa), 0);
    ck_assert_int_eq(sim_open(&sb, &ob), 0);
    sim_t *ss[2] = {sa, sb};
    actx *cc[2] = {a, b};
    for (int j = 0; j < 2; j++) {
        for (int k = 0; k < 1000; k++) sim_schedule(ss[j], 25.0 + k * 0.01, 0, h_spawn, cc[j], 100000 + k, 0, 0);
        sim_schedule(ss[j], 0.0, 0, h_spawn, cc[j], -1, 0, 0);
        ck_assert_int_eq(sim_queue(ss[j]), SIM_QUEUE_HEAP);
        sim_run_until(ss[j], INFINITY);
    }
    ck_assert_int_eq(a->switched_in_handler, 1);
    ck_assert_int_eq(b->switched_in_handler, 0);
    ck_assert_int_eq(sim_queue(sa), SIM_QUEUE_CALENDAR);
    ck_assert_uint_eq(a->r.n, b->r.n);
    ck_assert_uint_eq(a->r.n, 1001 + 40000 - 40000 / 7);
    for (size_t k = 0; k < a->r.n; k++) REQ(a->r.a[k] == b->r.a[k] && a->r.t[k] == b->r.t[k]);
    sim_close(sa);
    sim_close(sb);
    rec_free(&a->r);
    rec_free(&b->r);
    free(a);
    free(b);
    /* announced big: the ladder from the start */
    sim_opts big = {SIM_QUEUE_AUTO, 100000, 0};
    ck_assert_int_eq(sim_open(&sa, &big), 0);
    ck_assert_int_eq(sim_queue(sa), SIM_QUEUE_CALENDAR);
    sim_close(sa);
}
END_TEST

/* ---- max_pending -------------------------------------------------------- */

START_TEST(max_pending_guard)
{
    sim_opts o = {kinds[_i], 0, 100};
    sim_t *s;
    ck_assert_int_eq(sim_open(&s, &o), 0);
    rec r = {0};
    for (int k = 0; k < 100; k++) REQ(sim_schedule(s, k, 0, h_rec, &r, k, 0, 0) != 0);
    ck_assert_uint_eq(sim_schedule(s, 1.0, 0, h_rec, &r, 100, 0, 0), 0);
    ck_assert_ptr_nonnull(strstr(sim_errmsg(s), "pending"));
    ck_assert_uint_eq(sim_pending(s), 100);
    sim_run_until(s, 0.5); /* one fires: room for one more */
    ck_assert_uint_ne(sim_schedule(s, 1.0, 0, h_rec, &r, 101, 0, 0), 0);
    ck_assert_uint_eq(sim_schedule(s, 1.0, 0, h_rec, &r, 102, 0, 0), 0);
    ck_assert_uint_eq(sim_run_until(s, INFINITY), 100);
    rec_free(&r);
    sim_close(s);
}
END_TEST

/* ---- misc API ---------------------------------------------------------- */

START_TEST(api_misc)
{
    sim_close(NULL);
    sim_t *s = NULL;
    ck_assert_int_eq(sim_open(&s, NULL), 0);
#ifdef SIM_DEFAULT_QUEUE /* a build that runs everything under another queue */
    ck_assert_int_eq(sim_queue(s), SIM_DEFAULT_QUEUE == SIM_QUEUE_AUTO ? SIM_QUEUE_HEAP : SIM_DEFAULT_QUEUE);
#else
    ck_assert_int_eq(sim_queue(s), SIM_QUEUE_HEAP); /* auto, small: on the heap */
#endif
    ck_assert(sim_now(s) == 0.0);
    ck_assert_uint_eq(sim_pending(s), 0);
    ck_assert_uint_eq(sim_fired(s), 0);
    sim_close(s);
    sim_queue_kind q;
    ck_assert_int_eq(SIM_QUEUE_AUTO, 0); /* a zeroed sim_opts means the defaults */
    ck_assert_int_eq(sim_queue_parse("auto", &q), 0);
    ck_assert_int_eq(q, SIM_QUEUE_AUTO);
    ck_assert_str_eq(sim_queue_name(SIM_QUEUE_AUTO), "auto");
    ck_assert_int_eq(sim_queue_parse("heap", &q), 0);
    ck_assert_int_eq(q, SIM_QUEUE_HEAP);
    ck_assert_int_eq(sim_queue_parse("calendar", &q), 0);
    ck_assert_int_eq(q, SIM_QUEUE_CALENDAR);
    ck_assert_int_eq(sim_queue_parse("ladder", &q), 0);
    ck_assert_int_eq(q, SIM_QUEUE_CALENDAR);
    ck_assert_int_eq(sim_queue_parse("splay", &q), -1);
    ck_assert_int_eq(sim_queue_parse(NULL, &q), -1);
    ck_assert_str_eq(sim_queue_name(SIM_QUEUE_HEAP), "heap");
    ck_assert_str_eq(sim_queue_name(SIM_QUEUE_CALENDAR), "calendar");
    sim_opts bad = {(sim_queue_kind)7, 0, 0};
    ck_assert_int_eq(sim_open(&s, &bad), -1);
    ck_assert_ptr_null(s);
}
END_TEST

static Suite *queue_suite(void)
{
    Suite *su = suite_create("queue");
    TCase *tc = tcase_create("order");
    tcase_add_loop_test(tc, order_by_time, 0, NKINDS);
    tcase_add_loop_test(tc, order_ties, 0, NKINDS);
    tcase_add_loop_test(tc, order_many_equal, 0, NKINDS);
    tcase_add_loop_test(tc, order_signed_zero, 0, NKINDS);
    tcase_add_loop_test(tc, zero_delay_from_handler, 0, NKINDS);
    tcase_add_loop_test(tc, payload_and_id, 0, NKINDS);
    suite_add_tcase(su, tc);

    tc = tcase_create("cancel");
    tcase_add_loop_test(tc, cancel_basic, 0, NKINDS);
    tcase_add_loop_test(tc, cancel_reused_slot, 0, NKINDS);
    tcase_add_loop_test(tc, handler_schedules_and_cancels, 0, NKINDS);
    tcase_add_loop_test(tc, cancel_churn_bounded, 0, NKINDS);
    tcase_add_loop_test(tc, cancelled_slots_reused, 0, NKINDS);
    suite_add_tcase(su, tc);

    tc = tcase_create("errors_and_run");
    tcase_add_loop_test(tc, schedule_errors, 0, NKINDS);
    tcase_add_loop_test(tc, run_until_bounds, 0, NKINDS);
    tcase_add_loop_test(tc, stop_in_handler, 0, NKINDS);
    tcase_add_loop_test(tc, nested_run_refused, 0, NKINDS);
    tcase_add_loop_test(tc, handler_chain, 0, NKINDS);
    tcase_add_loop_test(tc, pool_growth, 0, NKINDS);
    tcase_add_test(tc, api_misc);
    tcase_add_test(tc, auto_switch_same_order);
    tcase_add_loop_test(tc, max_pending_guard, 0, NKINDS);
    suite_add_tcase(su, tc);

    tc = tcase_create("random");
    tcase_set_timeout(tc, 120); /* generous for valgrind; natively < 1 s */
    tcase_add_loop_test(tc, random_static_vs_sort, 0, NKINDS);
    tcase_add_loop_test(tc, random_dynamic_vs_reference, 0, NKINDS * NDIST);
    tcase_add_loop_test(tc, ids_same_across_queues, 0, 3);
    suite_add_tcase(su, tc);
    return su;
}

int main(void)
{
    SRunner *sr = srunner_create(queue_suite());
    srunner_run_all(sr, CK_NORMAL);
    int nf = srunner_ntests_failed(sr);
    srunner_free(sr);
    return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
