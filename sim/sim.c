/* sim.c -- the run loop, the event pool and the clock.
 * Events are slots in a growable pool; the queue holds (t, key, slot, gen)
 * entries.  Cancel frees the slot and bumps its generation, so the stale
 * queue entry is recognised and skipped when it surfaces (lazy deletion). */
#include "sim.h"
#include "queue.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
    sim_handler h;
    void *ctx;
    int64_t a, b;
    double x;
    uint32_t gen;  /* bumped when the slot is freed */
    uint32_t next; /* free-list link (index + 1, 0 = end) */
    int live;      /* 1 while scheduled */
} slot;

struct sim {
    double now;
    uint64_t seq;     /* insertion counter (low 48 bits of key) */
    uint64_t fired;
    size_t pending;
    int stop;
    slot *pool;
    uint32_t npool, cappool;
    uint32_t freelist; /* index + 1, 0 = empty */
    q_heap heap;
    char err[160];
};

static void set_err(sim_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
}

int sim_open(sim_t **out, const sim_opts *opts)
{
    *out = NULL;
    sim_t *s = calloc(1, sizeof *s);
    if (!s) return -1;
    size_t cap = opts && opts->initial_events ? opts->initial_events : 1024;
    if (cap > UINT32_MAX / 2) cap = UINT32_MAX / 2;
    s->pool = malloc(cap * sizeof *s->pool);
    if (!s->pool || q_heap_init(&s->heap, cap) != 0) {
        free(s->pool);
        free(s);
        return -1;
    }
    s->cappool = (uint32_t)cap;
    *out = s;
    return 0;
}

void sim_close(sim_t *s)
{
    if (!s) return;
    q_heap_free(&s->heap);
    free(s->pool);
    free(s);
}

static int slot_alloc(sim_t *s, uint32_t *idx)
{
    if (s->freelist) {
        *idx = s->freelist - 1;
        s->freelist = s->pool[*idx].next;
        return 0;
    }
    if (s->npool == s->cappool) {
        if (s->cappool >= UINT32_MAX / 2) return -1;
        uint32_t ncap = s->cappool * 2;
        slot *np = realloc(s->pool, (size_t)ncap * sizeof *np);
        if (!np) return -1;
        s->pool = np;
        s->cappool = ncap;
    }
    *idx = s->npool++;
    s->pool[*idx].gen = 0;
    return 0;
}

static void slot_free(sim_t *s, uint32_t idx)
{
    slot *p = &s->pool[idx];
    p->live = 0;
    p->gen++;
    p->next = s->freelist;
    s->freelist = idx + 1;
}

static inline sim_id make_id(uint32_t idx, uint32_t gen)
{
    return ((uint64_t)gen << 32) | ((uint64_t)idx + 1);
}

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
    uint32_t idx;
    if (slot_alloc(s, &idx) != 0) {
        set_err(s, "schedule: out of memory");
        return 0;
    }
    slot *p = &s->pool[idx];
    p->h = h;
    p->ctx = ctx;
    p->a = a;
    p->b = b;
    p->x = x;
    p->live = 1;
    q_entry e = {t, ((uint64_t)(prio + 32768) << 48) | (s->seq & 0xFFFFFFFFFFFFull), idx, p->gen};
    if (q_heap_push(&s->heap, &e) != 0) {
        slot_free(s, idx);
        set_err(s, "schedule: out of memory");
        return 0;
    }
    s->seq++;
    s->pending++;
    return make_id(idx, p->gen);
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

int sim_cancel(sim_t *s, sim_id id)
{
    uint64_t lo = id & 0xFFFFFFFFu;
    if (lo == 0 || lo > s->npool) return -1;
    uint32_t idx = (uint32_t)(lo - 1), gen = (uint32_t)(id >> 32);
    slot *p = &s->pool[idx];
    if (!p->live || p->gen != gen) return -1;
    slot_free(s, idx);
    s->pending--;
    return 0;
}

uint64_t sim_run_until(sim_t *s, double t_end)
{
    uint64_t n = 0;
    s->stop = 0;
    const q_entry *top;
    while (!s->stop && (top = q_heap_peek(&s->heap)) != NULL && top->t <= t_end) {
        q_entry e;
        q_heap_pop(&s->heap, &e);
        slot *p = &s->pool[e.slot];
        if (!p->live || p->gen != e.gen) continue; /* cancelled */
        sim_event ev = {e.t, make_id(e.slot, e.gen), p->ctx, p->a, p->b, p->x};
        sim_handler h = p->h;
        slot_free(s, e.slot); /* before the call: the handler may reschedule */
        s->pending--;
        s->now = e.t;
        h(s, &ev);
        n++;
    }
    s->fired += n;
    if (!s->stop && isfinite(t_end) && t_end > s->now) s->now = t_end;
    return n;
}

void sim_stop(sim_t *s) { s->stop = 1; }
double sim_now(const sim_t *s) { return s->now; }
size_t sim_pending(const sim_t *s) { return s->pending; }
uint64_t sim_fired(const sim_t *s) { return s->fired; }
const char *sim_errmsg(const sim_t *s) { return s->err; }
