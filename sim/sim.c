/* sim.c -- the run loop, the event pool and the clock.
 * Events are 64-byte slots in a growable pool, reused through a free list;
 * the queue (heap or ladder, chosen at sim_open) holds (t, slot) entries.
 * Cancel clears the slot's handler; the dead entry is skipped when it
 * surfaces, and all dead entries are purged at once when they outnumber the
 * live ones, so memory stays proportional to the pending events. */
#include "sim.h"
#include "queue.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The queue of sim_open(&s, NULL).  A build flag so that a whole test suite
 * can be run under the other queue (the output must not change). */
#ifndef SIM_DEFAULT_QUEUE
#define SIM_DEFAULT_QUEUE SIM_QUEUE_AUTO
#endif

/* SIM_QUEUE_AUTO moves from the heap to the ladder above this many queued
 * entries: measured (docs/engine.md), the heap is a little faster below a
 * few thousand pending events and the ladder faster above, by 2-3x at 1e6. */
#ifndef SIM_AUTO_LADDER
#define SIM_AUTO_LADDER 16384
#endif

/* Purge dead entries when there are more than this many and more dead than live. */
#define SIM_PURGE_MIN 1024

struct sim {
    double now;
    q_slot *pool;       /* event records, 64-byte aligned */
    uint32_t npool;     /* slots ever handed out (high-water mark) */
    uint32_t cappool;   /* allocated slots */
    uint32_t freelist;  /* index + 1, 0 = empty */
    sim_queue_kind kind; /* the implementation in use: heap or calendar */
    int auto_q;          /* SIM_QUEUE_AUTO and still on the heap */
    uint64_t seq;       /* insertion counter (low 48 bits of key) */
    uint64_t fired;
    uint64_t purges;
    size_t pending;     /* live events */
    size_t max_pending; /* sim_opts.max_pending, 0 none */
    size_t dead;        /* cancelled events still in the queue */
    int stop;           /* set by sim_stop */
    int running;        /* inside sim_run_until */
    q_heap heap;        /* SIM_QUEUE_HEAP */
    lq ladder;          /* SIM_QUEUE_CALENDAR */
    char err[160];
};

static void set_err(sim_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

static q_slot *pool_alloc(size_t n)
{
    return aligned_alloc(64, n * sizeof(q_slot)); /* sizeof(q_slot) == 64 */
}

int sim_open(sim_t **out, const sim_opts *opts)
{
    *out = NULL;
    sim_queue_kind kind = opts ? opts->queue : SIM_DEFAULT_QUEUE;
    if (kind != SIM_QUEUE_AUTO && kind != SIM_QUEUE_HEAP && kind != SIM_QUEUE_CALENDAR) return -1;
    sim_t *s = calloc(1, sizeof *s);
    if (!s) return -1;
    size_t cap = opts && opts->initial_events ? opts->initial_events : 1024;
    if (cap > UINT32_MAX / 2) cap = UINT32_MAX / 2;
    if (kind == SIM_QUEUE_AUTO) {
        s->auto_q = cap <= SIM_AUTO_LADDER;
        kind = s->auto_q ? SIM_QUEUE_HEAP : SIM_QUEUE_CALENDAR;
    }
    s->kind = kind;
    s->pool = pool_alloc(cap);
    int rc = kind == SIM_QUEUE_HEAP ? q_heap_init(&s->heap, cap) : lq_init(&s->ladder, cap);
    if (!s->pool || rc != 0) {
        free(s->pool);
        if (rc == 0) {
            q_heap_free(&s->heap);
            lq_free(&s->ladder);
        }
        free(s);
        return -1;
    }
    s->cappool = (uint32_t)cap;
    s->max_pending = opts ? opts->max_pending : 0;
    *out = s;
    return 0;
}

void sim_close(sim_t *s)
{
    if (!s) return;
    q_heap_free(&s->heap);
    lq_free(&s->ladder);
    free(s->pool);
    free(s);
}

static int pool_grow(sim_t *s)
{
    if (s->cappool >= UINT32_MAX / 2) return -1;
    uint32_t ncap = s->cappool * 2;
    q_slot *np = pool_alloc(ncap);
    if (!np) return -1;
    memcpy(np, s->pool, (size_t)s->npool * sizeof *np);
    free(s->pool);
    s->pool = np;
    s->cappool = ncap;
    return 0;
}

/* SIM_QUEUE_AUTO: move every heap entry to a new ladder (its top tier).
 * Once only; on allocation failure the engine simply stays on the heap. */
static __attribute__((noinline)) void to_ladder(sim_t *s)
{
    s->auto_q = 0;
    q_heap_settle(&s->heap, s->pool);
    if (lq_init(&s->ladder, s->heap.n + 2) != 0) return;
    if (lq_adopt(&s->ladder, s->heap.v, s->heap.n) != 0) {
        lq_free(&s->ladder);
        return;
    }
    q_heap_free(&s->heap);
    s->kind = SIM_QUEUE_CALENDAR;
}

static inline void slot_free(sim_t *s, uint32_t idx)
{
    q_slot *p = &s->pool[idx];
    p->h = NULL;
    p->next = s->freelist;
    s->freelist = idx + 1;
}

static inline sim_id make_id(uint32_t idx, uint32_t gen)
{
    return ((uint64_t)gen << 32) | ((uint64_t)idx + 1);
}

void sim_set_max_pending(sim_t *s, size_t n) { s->max_pending = n; }

sim_id sim_schedule_at(sim_t *s, double t, int prio, sim_handler h,
                       void *ctx, int64_t a, int64_t b, double x)
{
    if (!(t >= s->now) || !isfinite(t)) {
        set_err(s, "schedule: time %g is before now (%g) or not finite", t, s->now);
        return 0;
    }
    if (prio < -32768 || prio > 32767) {
        set_err(s, "schedule: priority %d out of range -32768..32767", prio);
        return 0;
    }
    if (!h) {
        set_err(s, "schedule: NULL handler");
        return 0;
    }
    if (s->max_pending && s->pending >= s->max_pending) {
        set_err(s, "schedule: %zu events pending, the limit (a runaway model?)", s->pending);
        return 0;
    }
    if (s->seq >> 48) { /* the insertion number would wrap and break the order */
        set_err(s, "schedule: 2^48 events scheduled, the engine's limit");
        return 0;
    }
    t += 0.0; /* -0.0 -> +0.0: the queues compare the bits of times */
    uint32_t idx;
    if (s->freelist) {
        idx = s->freelist - 1;
        s->freelist = s->pool[idx].next;
    } else {
        if (s->npool == s->cappool && pool_grow(s) != 0) {
            set_err(s, "schedule: out of memory");
            return 0;
        }
        idx = s->npool++;
        s->pool[idx].gen = 0;
    }
    q_slot *p = &s->pool[idx];
    p->t = t;
    p->key = ((uint64_t)(prio + 32768) << 48) | (s->seq & 0xFFFFFFFFFFFFull);
    p->h = h;
    p->ctx = ctx;
    p->a = a;
    p->b = b;
    p->x = x;
    uint32_t gen = ++p->gen;
    int rc;
    if (s->kind == SIM_QUEUE_HEAP) {
        q_entry e = {t, idx, 0};
        rc = q_heap_push(&s->heap, e, s->pool);
    } else {
        rc = lq_push(&s->ladder, s->pool, idx);
    }
    if (rc != 0) {
        slot_free(s, idx);
        set_err(s, "schedule: out of memory");
        return 0;
    }
    if (s->auto_q && s->heap.n > SIM_AUTO_LADDER) to_ladder(s);
    s->seq++;
    s->pending++;
    return make_id(idx, gen);
}

sim_id sim_schedule(sim_t *s, double delay, int prio, sim_handler h,
                    void *ctx, int64_t a, int64_t b, double x)
{
    if (!(delay >= 0) || !isfinite(delay)) {
        set_err(s, "schedule: delay %g is negative or not finite", delay);
        return 0;
    }
    return sim_schedule_at(s, s->now + delay, prio, h, ctx, a, b, x);
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Free the slots of all dead entries.  Each queue walks its entries in its
 * own order, so the freed slots are put back in index order (lowest reused
 * first): slot reuse, hence every id, is then the same whatever the queue.
 * (If the sort's scratch cannot be had, ids may differ between queues; the
 * event order never does.) */
static void purge(sim_t *s)
{
    uint32_t mark = s->freelist;
    size_t n = s->kind == SIM_QUEUE_HEAP ? q_heap_purge(&s->heap, s->pool, &s->freelist)
                                         : lq_purge(&s->ladder, s->pool, &s->freelist);
    s->dead -= n;
    s->purges++;
    uint32_t *v = n ? malloc(n * sizeof *v) : NULL;
    if (!v) return;
    size_t k = 0;
    for (uint32_t i = s->freelist; i != mark && k < n; i = s->pool[i - 1].next) v[k++] = i - 1;
    qsort(v, k, sizeof *v, cmp_u32);
    uint32_t head = mark;
    for (size_t j = k; j-- > 0;) {
        s->pool[v[j]].next = head;
        head = v[j] + 1;
    }
    s->freelist = head;
    free(v);
}

int sim_cancel(sim_t *s, sim_id id)
{
    uint64_t lo = id & 0xFFFFFFFFu;
    if (lo == 0 || lo > s->npool) return -1;
    q_slot *p = &s->pool[lo - 1];
    if (!p->h || p->gen != (uint32_t)(id >> 32)) return -1;
    p->h = NULL; /* the queue entry stays, dead, until it surfaces or a purge */
    s->pending--;
    s->dead++;
    if (s->dead > SIM_PURGE_MIN && s->dead > s->pending) purge(s);
    return 0;
}

uint64_t sim_run_until(sim_t *s, double t_end)
{
    if (s->running) {
        set_err(s, "run_until: called from a handler (the run loop is not reentrant)");
        return 0;
    }
    s->running = 1;
    s->stop = 0;
    uint64_t n = 0;
    for (;;) {
        const int heap = s->kind == SIM_QUEUE_HEAP; /* an auto engine may switch in a handler */
        const q_entry *top = heap ? q_heap_peek(&s->heap, s->pool) : lq_peek(&s->ladder, s->pool);
        if (!top || !(top->t <= t_end)) break;
        double t = top->t;
        uint32_t idx = top->slot;
        if (heap) q_heap_consume(&s->heap, s->pool);
        else lq_consume(&s->ladder, s->pool);
        q_slot *p = &s->pool[idx];
        sim_handler h = p->h;
        if (!h) { /* cancelled */
            s->dead--;
            slot_free(s, idx);
            continue;
        }
        sim_event ev = {t, make_id(idx, p->gen), p->ctx, p->a, p->b, p->x};
        slot_free(s, idx); /* before the call: the handler's next schedule reuses it */
        s->pending--;
        s->fired++;
        s->now = t;
        n++;
        h(s, &ev);
        if (s->stop) break;
    }
    s->running = 0;
    if (!s->stop && isfinite(t_end) && t_end > s->now) s->now = t_end;
    s->stop = 0;
    return n;
}

void sim_stop(sim_t *s) { s->stop = 1; }
double sim_now(const sim_t *s) { return s->now; }
size_t sim_pending(const sim_t *s) { return s->pending; }
uint64_t sim_fired(const sim_t *s) { return s->fired; }
const char *sim_errmsg(const sim_t *s) { return s->err; }
sim_queue_kind sim_queue(const sim_t *s) { return s->kind; }

const char *sim_queue_name(sim_queue_kind k)
{
    switch (k) {
    case SIM_QUEUE_AUTO: return "auto";
    case SIM_QUEUE_HEAP: return "heap";
    case SIM_QUEUE_CALENDAR: return "calendar";
    }
    return "unknown";
}

int sim_queue_parse(const char *name, sim_queue_kind *out)
{
    if (!name) return -1;
    if (strcmp(name, "auto") == 0) *out = SIM_QUEUE_AUTO;
    else if (strcmp(name, "heap") == 0) *out = SIM_QUEUE_HEAP;
    else if (strcmp(name, "calendar") == 0 || strcmp(name, "ladder") == 0) *out = SIM_QUEUE_CALENDAR;
    else return -1;
    return 0;
}

void sim_get_stats(const sim_t *s, sim_stats *out)
{
    out->pending = s->pending;
    out->queued = s->pending + s->dead;
    out->pool_slots = s->npool;
    out->bytes = sizeof *s + (size_t)s->cappool * sizeof(q_slot) +
                 (s->kind == SIM_QUEUE_HEAP ? (s->heap.cap + 4) * sizeof(q_entry)
                                            : lq_bytes(&s->ladder));
    out->purges = s->purges;
}
