/* queue.h -- internal: the event records and the two priority queues behind
 * sim.c (a 4-ary heap and a ladder queue).  Not a public API.
 *
 * Order: an event sorts by (t, key), key = (priority + 32768) << 48 | seq, so
 * comparing (t, key) is the engine's total order (time, priority, insertion).
 * Queue entries carry (t, slot) only; the key is read from the event record
 * when two times are equal, which keeps entries at 16 bytes (four children of
 * a heap node in one cache line).  The hot paths are inline here so that the
 * run loop and sim_schedule compile into straight code without calls.
 */
#ifndef QS_QUEUE_H
#define QS_QUEUE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sim.h"

/* An event record: one 64-byte slot of the engine's pool. */
typedef struct q_slot {
    double t;      /* firing time */
    uint64_t key;  /* (prio + 32768) << 48 | seq: the tie-breaker */
    sim_handler h; /* NULL while free or cancelled */
    void *ctx;     /* payload, copied into sim_event */
    int64_t a, b;  /* payload */
    double x;      /* payload */
    uint32_t gen;  /* bumped at each allocation: names one scheduling */
    uint32_t next; /* free list or ladder bucket link: index + 1, 0 = end */
} q_slot;

typedef struct q_entry {
    double t;      /* firing time (copy of the slot's) */
    uint32_t slot; /* index in the pool */
    uint32_t pad;  /* keeps the entry at 16 bytes */
} q_entry;

static inline int q_before(const q_entry *x, const q_entry *y, const q_slot *pool)
{
    return x->t < y->t || (x->t == y->t && pool[x->slot].key < pool[y->slot].key);
}

/* ---- implicit 4-ary min-heap ------------------------------------------
 * v[0] is the root, the children of i are 4i+1..4i+4; the array is offset
 * so that every group of four siblings shares one 64-byte line.
 * Deferred pop: q_heap_consume() only marks the root as taken ("stale");
 * the next push then replaces the root and sifts it down once (one sift
 * instead of a pop and a push, the common case of a handler that schedules
 * its successor), and the next peek or purge removes it otherwise. */
typedef struct q_heap {
    q_entry *v;    /* entries (inside raw, aligned) */
    void *raw;     /* allocation */
    size_t n, cap; /* entries in use (incl. a stale root), capacity */
    int stale;     /* 1: v[0] has been consumed but not yet removed */
} q_heap;

int q_heap_init(q_heap *h, size_t cap);       /* 0, or -1 on ENOMEM */
void q_heap_free(q_heap *h);
int q_heap_reserve(q_heap *h, size_t need);   /* capacity >= need; 0 or -1 */
void q_heap_heapify(q_heap *h, const q_slot *pool);
/* Drop entries whose slot is cancelled (h == NULL), pushing those slots onto
 * the free list *freelist.  Returns the number dropped. */
size_t q_heap_purge(q_heap *h, q_slot *pool, uint32_t *freelist);

/* Times are finite and >= +0.0 (sim.c turns -0.0 into +0.0), so their bit
 * patterns order like the times: integer compares let the compiler select
 * the smallest child without branches (the branches of float compares on
 * random times mispredict half the time).  Equal bits are the rare case and
 * take the careful path through q_before. */
static inline uint64_t q_tbits(const q_entry *e)
{
    uint64_t b;
    memcpy(&b, &e->t, sizeof b);
    return b;
}

/* Sifting down a heap larger than this (256 KiB of entries, beyond L1/L2
 * reach) prefetches the next level while comparing this one: one level of
 * latency hidden for four lines of bandwidth (+40% at 1e6 events). */
#define Q_HEAP_PREFETCH_MIN 16384

static inline void q_heap_sift_down(q_heap *h, size_t i, q_entry x, const q_slot *pool)
{
    q_entry *v = h->v;
    size_t n = h->n;
    const uint64_t kx = q_tbits(&x);
    for (;;) {
        size_t c = 4 * i + 1, m = c;
        if (c + 3 < n) {
            size_t g = 4 * c + 1;
            if (n > Q_HEAP_PREFETCH_MIN && g < n) { /* the grandchildren: four lines */
                __builtin_prefetch(&v[g]);
                __builtin_prefetch(&v[g + 4]);
                __builtin_prefetch(&v[g + 8]);
                __builtin_prefetch(&v[g + 12]);
            }
            uint64_t k0 = q_tbits(&v[c]), k1 = q_tbits(&v[c + 1]);
            uint64_t k2 = q_tbits(&v[c + 2]), k3 = q_tbits(&v[c + 3]);
            size_t m01 = k1 < k0 ? c + 1 : c, m23 = k3 < k2 ? c + 3 : c + 2;
            uint64_t x01 = k1 < k0 ? k1 : k0, x23 = k3 < k2 ? k3 : k2;
            uint64_t km = x23 < x01 ? x23 : x01;
            m = x23 < x01 ? m23 : m01;
            if (__builtin_expect((k0 == k1) | (k2 == k3) | (x01 == x23) | (km == kx), 0)) {
                size_t a = q_before(&v[c + 1], &v[c], pool) ? c + 1 : c;
                size_t b = q_before(&v[c + 3], &v[c + 2], pool) ? c + 3 : c + 2;
                m = q_before(&v[b], &v[a], pool) ? b : a;
                if (!q_before(&v[m], &x, pool)) break;
            } else if (km > kx) {
                break;
            }
        } else if (c < n) {
            for (size_t k = c + 1; k < n; k++)
                if (q_before(&v[k], &v[m], pool)) m = k;
            if (!q_before(&v[m], &x, pool)) break;
        } else {
            break;
        }
        v[i] = v[m];
        i = m;
    }
    v[i] = x;
}

/* Remove a stale root, if any. */
static inline void q_heap_settle(q_heap *h, const q_slot *pool)
{
    if (!h->stale) return;
    h->stale = 0;
    if (--h->n == 0) return;
    q_heap_sift_down(h, 0, h->v[h->n], pool);
}

/* Insert; 0, or -1 if the array could not grow. */
static inline int q_heap_push(q_heap *h, q_entry e, const q_slot *pool)
{
    if (h->stale) {
        h->stale = 0;
        q_heap_sift_down(h, 0, e, pool);
        return 0;
    }
    if (h->n == h->cap && q_heap_reserve(h, h->n + 1) != 0) return -1;
    q_entry *v = h->v;
    size_t i = h->n++;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!q_before(&e, &v[p], pool)) break;
        v[i] = v[p];
        i = p;
    }
    v[i] = e;
    return 0;
}

/* The smallest entry, or NULL if empty. */
static inline const q_entry *q_heap_peek(q_heap *h, const q_slot *pool)
{
    q_heap_settle(h, pool);
    return h->n ? &h->v[0] : NULL;
}

/* Take the root returned by the last peek (deferred removal).  The next
 * root is then one of the root's children (or an event the handler is about
 * to schedule, whose slot is hot anyway): prefetch the record of the
 * smallest child, so that its cache miss overlaps the handler's work. */
static inline void q_heap_consume(q_heap *h, const q_slot *pool)
{
    h->stale = 1;
    const q_entry *v = h->v;
    if (h->n >= 5) { /* a hint only: ties need no care */
        uint64_t k1 = q_tbits(&v[1]), k2 = q_tbits(&v[2]), k3 = q_tbits(&v[3]), k4 = q_tbits(&v[4]);
        size_t a = k2 < k1 ? 2 : 1, b = k4 < k3 ? 4 : 3;
        uint64_t ka = k2 < k1 ? k2 : k1, kb = k4 < k3 ? k4 : k3;
        __builtin_prefetch(&pool[v[kb < ka ? b : a].slot]);
    } else if (h->n >= 2) {
        __builtin_prefetch(&pool[v[1].slot]);
    }
}

/* ---- ladder queue ------------------------------------------------------
 * After Tang, Goh and Thng (2005).  Three tiers:
 *  - top: an unsorted array of the far future (t > top_bound);
 *  - rungs: up to LQ_MAXR arrays of unsorted buckets, each rung spreading one
 *    bucket of the rung above over finer buckets; a bucket is a list linked
 *    through the slots' next field;
 *  - bottom: a 4-ary heap of the nearest events, exactly ordered by (t, key).
 * A bucket index is floor((t - start) * inv) clamped into the rung, a
 * monotone function of t: equal times always share a bucket, and all ties are
 * broken in the bottom heap, so the order is exactly the heap's.  The bottom
 * is refilled from the first non-empty bucket(s) of the lowest rung; a bucket
 * of more than LQ_THRES events spawns a finer rung (or, at LQ_MAXR rungs or
 * if all its times are equal, goes to the bottom as it is).  When the rungs
 * run out, rung 0 is rebuilt from the top's events up to about their 90%
 * quantile.  Insertion is O(1) for events beyond the bottom; each event is
 * moved O(rungs) times.  Tuned for memory-level parallelism (see queue_cal.c):
 * inserts into buckets are staged and prefetched, refills walk several
 * bucket lists in lockstep, big lists are copied to an array before they
 * are spread.  Worst case (everything at one time, or LQ_MAXR rungs deep):
 * the bottom heap holds it all and the ladder is a heap with extra steps. */
#ifndef LQ_MAXR
#define LQ_MAXR 8   /* rungs at most (overridable to stress-test the ladder) */
#endif
#ifndef LQ_THRES
#define LQ_THRES 48 /* a bucket of more events spawns a finer rung */
#endif

typedef struct lq_bucket {
    uint32_t head; /* slot index + 1, 0 = empty */
    uint32_t n;    /* events in the list */
} lq_bucket;

typedef struct lq_rung {
    double start;  /* time of bucket 0's lower edge */
    double inv;    /* buckets per second */
    double dnb;    /* nb as a double */
    uint32_t nb;   /* buckets in use */
    uint32_t cur;  /* bucket being consumed; buckets > cur are future */
    uint32_t cap;  /* allocated buckets */
    lq_bucket *b;
} lq_rung;

/* Inserts into rung buckets are staged: the bucket's line is prefetched and
 * the event linked LQ_STAGE inserts later, so that the cache misses on
 * random buckets of a large rung overlap instead of stalling each insert.
 * Staged events belong to buckets after the current one; the stage is
 * flushed before any refill or purge looks at the buckets. */
#ifndef LQ_STAGE
#define LQ_STAGE 16 /* a power of two */
#endif

typedef struct lq_staged {
    lq_bucket *b;  /* destination bucket (valid until the next refill) */
    uint32_t idx;  /* slot */
} lq_staged;

typedef struct lq {
    lq_staged stage[LQ_STAGE]; /* ring of pending bucket inserts */
    uint32_t sn, spos;         /* staged count, next ring position */
    q_heap bottom;     /* exact order; capacity kept >= n so refill never allocates */
    size_t n;          /* entries in all tiers (excluding a stale bottom root) */
    double top_bound;  /* events with t > top_bound go to top */
    double top_min, top_max;
    q_entry *top;      /* the top tier: an unsorted array (appends are sequential) */
    size_t top_n, top_cap;
    int nr;            /* rungs in use */
    lq_rung rung[LQ_MAXR];
} lq;

int lq_init(lq *q, size_t cap);  /* 0, or -1 on ENOMEM */
void lq_free(lq *q);
/* Refill the empty bottom from the rungs/top; 0, or -1 if the queue is empty. */
int lq_refill(lq *q, q_slot *pool);
size_t lq_purge(lq *q, q_slot *pool, uint32_t *freelist);
size_t lq_bytes(const lq *q);
void lq_flush(lq *q, q_slot *pool); /* link the staged inserts */
int lq_grow_top(lq *q);             /* 0, or -1 on ENOMEM */
/* Take n entries (from a heap) into an empty ladder's top; 0, or -1 on ENOMEM. */
int lq_adopt(lq *q, const q_entry *v, size_t n);

/* Insert slot idx (its t already set); 0, or -1 on ENOMEM. */
static inline int lq_push(lq *q, q_slot *pool, uint32_t idx)
{
    double t = pool[idx].t;
    /* + 2: the new entry and a stale root, so a refill never allocates */
    if (q->n + 2 > q->bottom.cap && q_heap_reserve(&q->bottom, 2 * q->n + 2) != 0) return -1;
    q->n++;
    if (t > q->top_bound) {
        if (q->top_n == q->top_cap && lq_grow_top(q) != 0) {
            q->n--;
            return -1;
        }
        q->top[q->top_n].t = t;
        q->top[q->top_n].slot = idx;
        q->top[q->top_n].pad = 0;
        q->top_n++;
        if (t < q->top_min) q->top_min = t;
        if (t > q->top_max) q->top_max = t;
        return 0;
    }
    for (int i = 0; i < q->nr; i++) {
        lq_rung *r = &q->rung[i];
        double d = (t - r->start) * r->inv;
        uint32_t k = d < r->dnb ? (d > 0 ? (uint32_t)d : 0) : r->nb - 1;
        if (k > r->cur) {
            lq_bucket *b = &r->b[k];
            __builtin_prefetch(b, 1);
            uint32_t pos = q->spos;
            if (q->sn == LQ_STAGE) {
                lq_staged *o = &q->stage[pos];
                pool[o->idx].next = o->b->head;
                o->b->head = o->idx + 1;
                o->b->n++;
            } else {
                q->sn++;
            }
            q->stage[pos].b = b;
            q->stage[pos].idx = idx;
            q->spos = (pos + 1) & (LQ_STAGE - 1);
            return 0;
        }
    }
    q_entry e = {t, idx, 0};
    return q_heap_push(&q->bottom, e, pool); /* cannot fail: reserved above */
}

static inline const q_entry *lq_peek(lq *q, q_slot *pool)
{
    q_heap_settle(&q->bottom, pool);
    if (q->bottom.n == 0 && lq_refill(q, pool) != 0) return NULL;
    return &q->bottom.v[0];
}

static inline void lq_consume(lq *q, const q_slot *pool)
{
    q_heap_consume(&q->bottom, pool);
    q->n--;
}

#endif
