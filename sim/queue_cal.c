/* queue_cal.c -- the cold parts of the ladder queue (SIM_QUEUE_CALENDAR):
 * refilling the bottom heap from the rungs and the top, spawning rungs, and
 * the purge of cancelled entries.  Insertion and peek are inline in queue.h.
 * The ladder only partitions by time; the bottom heap gives the exact order,
 * so the calendar and the heap fire the same events in the same order. */
#include "queue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Rungs wider than this many buckets are not worth their memory. */
#define LQ_MAX_BUCKETS (1u << 22)
/* A refill takes up to LQ_GATHER small buckets (LQ_GCAP events) at once, when
 * the queue holds at least LQ_GATHER_MIN events (see walk_to_bottom); below
 * that the pool fits in L2 and a bigger bottom heap only costs. */
#ifndef LQ_GATHER
#define LQ_GATHER 8
#endif
#ifndef LQ_GATHER_MIN
#define LQ_GATHER_MIN 16384
#endif
#ifndef LQ_GCAP
#define LQ_GCAP (2 * LQ_THRES)
#endif

int lq_init(lq *q, size_t cap)
{
    memset(q, 0, sizeof *q);
    if (q_heap_init(&q->bottom, cap) != 0) return -1;
    q->top_bound = -INFINITY;
    q->top_min = INFINITY;
    q->top_max = -INFINITY;
    return 0;
}

void lq_free(lq *q)
{
    q_heap_free(&q->bottom);
    for (int i = 0; i < LQ_MAXR; i++) free(q->rung[i].b);
    memset(q, 0, sizeof *q);
}

size_t lq_bytes(const lq *q)
{
    size_t b = (q->bottom.cap + 4) * sizeof(q_entry);
    for (int i = 0; i < LQ_MAXR; i++) b += (size_t)q->rung[i].cap * sizeof(lq_bucket);
    return b;
}

/* Move a list into the (empty) bottom heap.  Capacity is reserved by lq_push. */
static void to_bottom(lq *q, q_slot *pool, uint32_t head)
{
    q_heap *h = &q->bottom;
    size_t n = h->n;
    while (head) {
        uint32_t idx = head - 1;
        head = pool[idx].next;
        h->v[n].t = pool[idx].t;
        h->v[n].slot = idx;
        h->v[n].pad = 0;
        n++;
    }
    h->n = n;
    q_heap_heapify(h, pool);
}

/* Set rung r over [lo, hi] with nb buckets; -1 if degenerate or no memory
 * (the caller then puts the events in the bottom heap as they are). */
/* Move up to LQ_GATHER lists into the (empty) bottom heap, one node of each
 * list in turn. */
static void walk_to_bottom(lq *q, q_slot *pool, uint32_t *heads, int nh)
{
    q_heap *h = &q->bottom;
    size_t n = h->n;
    while (nh > 0) {
        for (int j = 0; j < nh;) {
            uint32_t idx = heads[j] - 1;
            heads[j] = pool[idx].next;
            h->v[n].t = pool[idx].t;
            h->v[n].slot = idx;
            h->v[n].pad = 0;
            n++;
            if (!heads[j]) heads[j] = heads[--nh];
            else j++;
        }
    }
    h->n = n;
    q_heap_heapify(h, pool);
}

static int rung_setup(lq_rung *r, double lo, double hi, uint32_t nb)
{
    if (!(hi > lo)) return -1;
    if (nb > LQ_MAX_BUCKETS) nb = LQ_MAX_BUCKETS;
    double inv = (double)nb / (hi - lo);
    if (!isfinite(inv) || !(inv > 0)) return -1;
    if (nb > r->cap) {
        lq_bucket *nbk = realloc(r->b, (size_t)nb * sizeof *nbk);
        if (!nbk) return -1;
        r->b = nbk;
        r->cap = nb;
    }
    memset(r->b, 0, (size_t)nb * sizeof *r->b);
    r->start = lo;
    r->inv = inv;
    r->nb = nb;
    r->dnb = (double)nb;
    r->cur = UINT32_MAX; /* nothing consumed yet: the scan starts at 0 */
    return 0;
}

static void distribute(lq_rung *r, q_slot *pool, uint32_t head)
{
    while (head) {
        uint32_t idx = head - 1;
        q_slot *p = &pool[idx];
        head = p->next;
        double d = (p->t - r->start) * r->inv;
        uint32_t k = d < r->dnb ? (d > 0 ? (uint32_t)d : 0) : r->nb - 1;
        p->next = r->b[k].head;
        r->b[k].head = idx + 1;
        r->b[k].n++;
    }
}

void lq_flush(lq *q, q_slot *pool)
{
    for (uint32_t i = 0; i < q->sn; i++) {
        lq_staged *o = &q->stage[(q->spos - q->sn + i) & (LQ_STAGE - 1)];
        pool[o->idx].next = o->b->head;
        o->b->head = o->idx + 1;
        o->b->n++;
    }
    q->sn = 0;
}

static void distribute_array(lq_rung *r, q_slot *pool, const q_entry *v, size_t m)
{
    for (size_t i = 0; i < m; i++) {
        uint32_t idx = v[i].slot;
        double d = (v[i].t - r->start) * r->inv;
        uint32_t k = d < r->dnb ? (d > 0 ? (uint32_t)d : 0) : r->nb - 1;
        pool[idx].next = r->b[k].head;
        r->b[k].head = idx + 1;
        r->b[k].n++;
    }
}

int lq_refill(lq *q, q_slot *pool)
{
    lq_flush(q, pool);
    for (;;) {
        if (q->nr == 0) {
            if (q->top_n == 0) return -1;
            uint32_t head = q->top_head, n = q->top_n;
            double lo = q->top_min, hi = q->top_max;
            q->top_head = 0;
            q->top_n = 0;
            q->top_min = INFINITY;
            q->top_max = -INFINITY;
            q->top_bound = hi; /* from now on only t > hi goes to the top */
            if (n <= LQ_THRES || rung_setup(&q->rung[0], lo, hi, n) != 0) {
                to_bottom(q, pool, head);
                return 0;
            }
            distribute(&q->rung[0], pool, head);
            q->nr = 1;
        }
        lq_rung *r = &q->rung[q->nr - 1];
        uint32_t k = r->cur + 1; /* UINT32_MAX + 1 == 0 */
        while (k < r->nb && r->b[k].n == 0) k++;
        if (k >= r->nb) { /* rung exhausted: back to the one above */
            q->nr--;
            continue;
        }
        uint32_t head = r->b[k].head, n = r->b[k].n;
        if (n <= LQ_THRES || q->nr == LQ_MAXR) {
            /* Take this bucket and the next few small ones together, and walk
             * their lists in lockstep: the lists are pointer chases through
             * the pool, and independent chases overlap their cache misses. */
            uint32_t heads[LQ_GATHER];
            int nh = 0, maxh = q->n >= LQ_GATHER_MIN ? LQ_GATHER : 1;
            uint32_t total = 0, last = k;
            for (uint32_t j = k; j < r->nb && j < k + 4 * LQ_GATHER && nh < maxh; j++) {
                uint32_t bn = r->b[j].n;
                if (!bn) continue;
                if (nh > 0 && (bn > LQ_THRES || total + bn > LQ_GCAP)) break;
                heads[nh++] = r->b[j].head;
                total += bn;
                last = j;
                r->b[j].head = 0;
                r->b[j].n = 0;
            }
            r->cur = last;
            walk_to_bottom(q, pool, heads, nh);
            return 0;
        }
        r->cur = k;
        r->b[k].head = 0;
        r->b[k].n = 0;
        /* a big bucket: one walk copies it into the (empty) bottom array,
         * which then serves as a scratch list for a finer rung */
        q_entry *v = q->bottom.v;
        double lo = INFINITY, hi = -INFINITY;
        size_t m = 0;
        for (uint32_t i = head; i; i = pool[i - 1].next) {
            double t = pool[i - 1].t;
            v[m].t = t;
            v[m].slot = i - 1;
            v[m].pad = 0;
            m++;
            if (t < lo) lo = t;
            if (t > hi) hi = t;
        }
        if (rung_setup(&q->rung[q->nr], lo, hi, n) != 0) {
            q->bottom.n = m;
            q_heap_heapify(&q->bottom, pool);
            return 0;
        }
        distribute_array(&q->rung[q->nr], pool, v, m);
        q->nr++;
    }
}

size_t lq_purge(lq *q, q_slot *pool, uint32_t *freelist)
{
    q_heap_settle(&q->bottom, pool);
    lq_flush(q, pool);
    uint32_t top = 0, n = 0;
    double lo = INFINITY, hi = -INFINITY;
    size_t dropped = 0;
#define LQ_TAKE(idx_)                                  \
    do {                                               \
        uint32_t i_ = (idx_);                          \
        if (pool[i_].h) {                              \
            pool[i_].next = top;                       \
            top = i_ + 1;                              \
            n++;                                       \
            if (pool[i_].t < lo) lo = pool[i_].t;      \
            if (pool[i_].t > hi) hi = pool[i_].t;      \
        } else {                                       \
            pool[i_].next = *freelist;                 \
            *freelist = i_ + 1;                        \
            dropped++;                                 \
        }                                              \
    } while (0)
    for (size_t i = 0; i < q->bottom.n; i++) LQ_TAKE(q->bottom.v[i].slot);
    q->bottom.n = 0;
    for (int r = 0; r < q->nr; r++) {
        lq_rung *g = &q->rung[r];
        for (uint32_t k = 0; k < g->nb; k++) {
            uint32_t head = g->b[k].head;
            while (head) {
                uint32_t idx = head - 1;
                head = pool[idx].next;
                LQ_TAKE(idx);
            }
            g->b[k].head = 0;
            g->b[k].n = 0;
        }
    }
    q->nr = 0;
    uint32_t head = q->top_head;
    while (head) {
        uint32_t idx = head - 1;
        head = pool[idx].next;
        LQ_TAKE(idx);
    }
#undef LQ_TAKE
    /* everything left is in the top; the next peek rebuilds the rungs */
    q->top_head = top;
    q->top_n = n;
    q->top_min = lo;
    q->top_max = hi;
    q->top_bound = -INFINITY;
    q->n = n;
    return dropped;
}
