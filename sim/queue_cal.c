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
/* Rung 0 spans the top up to this quantile (1: up to the maximum), estimated
 * from LQ_SAMPLE evenly spaced top entries. */
#ifndef LQ_TOPQ
#define LQ_TOPQ 0.9
#endif
#define LQ_SAMPLE 128
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

int lq_grow_top(lq *q)
{
    size_t ncap = q->top_cap ? 2 * q->top_cap : 256;
    q_entry *nt = realloc(q->top, ncap * sizeof *nt);
    if (!nt) return -1;
    q->top = nt;
    q->top_cap = ncap;
    return 0;
}

int lq_adopt(lq *q, const q_entry *v, size_t n)
{
    while (q->top_cap < n)
        if (lq_grow_top(q) != 0) return -1;
    if (q_heap_reserve(&q->bottom, n + 2) != 0) return -1;
    for (size_t i = 0; i < n; i++) {
        q->top[i] = v[i];
        if (v[i].t < q->top_min) q->top_min = v[i].t;
        if (v[i].t > q->top_max) q->top_max = v[i].t;
    }
    q->top_n = n;
    q->n = n;
    q->top_bound = -INFINITY;
    return 0;
}

void lq_free(lq *q)
{
    free(q->top);
    q_heap_free(&q->bottom);
    for (int i = 0; i < LQ_MAXR; i++) free(q->rung[i].b);
    memset(q, 0, sizeof *q);
}

size_t lq_bytes(const lq *q)
{
    size_t b = (q->bottom.cap + 4 + q->top_cap) * sizeof(q_entry);
    for (int i = 0; i < LQ_MAXR; i++) b += (size_t)q->rung[i].cap * sizeof(lq_bucket);
    return b;
}

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

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Start an epoch from the top: rung 0 spans the top's events up to about
 * its LQ_TOPQ quantile (estimated from a strided sample), and the events
 * beyond stay in the top.  Spanning up to the maximum instead would let one
 * far event (a heavy tail) squeeze nearly all others into the first few
 * buckets.  Returns 0 with rung 0 set up, or 1 if the events went straight
 * to the bottom heap (few, equal or degenerate). */
static int top_to_rung0(lq *q, q_slot *pool)
{
    size_t n = q->top_n;
    q_entry *top = q->top;
    double lo = q->top_min, hi = q->top_max;
    if (n > LQ_THRES && LQ_TOPQ < 1.0) {
        double smp[LQ_SAMPLE];
        size_t k = n < LQ_SAMPLE ? n : LQ_SAMPLE, stride = n / k;
        for (size_t i = 0; i < k; i++) smp[i] = top[i * stride].t;
        qsort(smp, k, sizeof *smp, cmp_double);
        double qv = smp[(size_t)(LQ_TOPQ * (double)(k - 1))];
        if (qv > lo) hi = qv;
    }
    /* partition: t <= hi to the front (distributed), the rest stays */
    size_t m = 0;
    double rmin = INFINITY, rmax = -INFINITY;
    if (hi < q->top_max) {
        for (size_t i = 0; i < n; i++) {
            q_entry e = top[i];
            if (e.t <= hi) {
                top[i] = top[m];
                top[m++] = e;
            } else {
                if (e.t < rmin) rmin = e.t;
                if (e.t > rmax) rmax = e.t;
            }
        }
    } else {
        m = n;
    }
    q->top_bound = hi; /* from now on only t > hi goes to the top */
    if (m <= LQ_THRES || rung_setup(&q->rung[0], lo, hi, (uint32_t)(m < UINT32_MAX ? m : UINT32_MAX)) != 0) {
        memcpy(q->bottom.v, top, m * sizeof *top);
        q->bottom.n = m;
        q_heap_heapify(&q->bottom, pool);
        memmove(top, top + m, (n - m) * sizeof *top);
        q->top_n = n - m;
        q->top_min = rmin;
        q->top_max = rmax;
        return 1;
    }
    distribute_array(&q->rung[0], pool, top, m);
    memmove(top, top + m, (n - m) * sizeof *top);
    q->top_n = n - m;
    q->top_min = rmin;
    q->top_max = rmax;
    q->nr = 1;
    return 0;
}

int lq_refill(lq *q, q_slot *pool)
{
    lq_flush(q, pool);
    for (;;) {
        if (q->nr == 0) {
            if (q->top_n == 0) return -1;
            if (top_to_rung0(q, pool) != 0) return 0; /* it went to the bottom */
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
    /* collect the live entries of all tiers into the bottom's array (its
     * capacity is >= n), freeing the cancelled slots */
    q_entry *v = q->bottom.v;
    size_t m = 0, dropped = 0;
    double lo = INFINITY, hi = -INFINITY;
#define LQ_TAKE(idx_)                          \
    do {                                       \
        uint32_t i_ = (idx_);                  \
        if (pool[i_].h) {                      \
            double t_ = pool[i_].t;            \
            v[m].t = t_;                       \
            v[m].slot = i_;                    \
            v[m].pad = 0;                      \
            m++;                               \
            if (t_ < lo) lo = t_;              \
            if (t_ > hi) hi = t_;              \
        } else {                               \
            pool[i_].next = *freelist;         \
            *freelist = i_ + 1;                \
            dropped++;                         \
        }                                      \
    } while (0)
    size_t nb = q->bottom.n;
    for (size_t i = 0; i < nb; i++) LQ_TAKE(v[i].slot); /* m <= i: in place */
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
    for (size_t i = 0; i < q->top_n; i++) LQ_TAKE(q->top[i].slot);
#undef LQ_TAKE
    q->n = m;
    while (q->top_cap < m) {
        if (lq_grow_top(q) != 0) {
            /* no room for a top: leave everything in the bottom heap, a
             * valid (if slower) state: nothing in rungs or top */
            q->top_n = 0;
            q->top_min = INFINITY;
            q->top_max = -INFINITY;
            q->top_bound = hi;
            q->bottom.n = m;
            q_heap_heapify(&q->bottom, pool);
            return dropped;
        }
    }
    /* everything in the top; the next peek rebuilds the rungs */
    memcpy(q->top, v, m * sizeof *v);
    q->top_n = m;
    q->top_min = lo;
    q->top_max = hi;
    q->top_bound = -INFINITY;
    q->bottom.n = 0;
    return dropped;
}
