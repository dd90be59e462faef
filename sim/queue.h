/* queue.h -- internal: the priority queues behind sim.c.  Not a public API.
 *
 * An entry orders by (t, key): key packs the priority (high 16 bits, offset
 * so that smaller priority sorts first) and the insertion sequence (low 48
 * bits), so comparing (t, key) lexicographically is the engine's total order.
 * slot/gen name the event in the pool; a stale gen marks a cancelled entry.
 */
#ifndef QS_QUEUE_H
#define QS_QUEUE_H

#include <stddef.h>
#include <stdint.h>

typedef struct q_entry {
    double t;      /* firing time */
    uint64_t key;  /* (prio + 32768) << 48 | seq */
    uint32_t slot; /* index in the event pool */
    uint32_t gen;  /* generation of the slot when scheduled */
} q_entry;

static inline int q_less(const q_entry *x, const q_entry *y)
{
    return x->t < y->t || (x->t == y->t && x->key < y->key);
}

/* Implicit 4-ary min-heap. */
typedef struct q_heap {
    q_entry *v;
    size_t n, cap;
} q_heap;

int q_heap_init(q_heap *h, size_t cap);
void q_heap_free(q_heap *h);
int q_heap_push(q_heap *h, const q_entry *e); /* 0, or -1 on ENOMEM */
int q_heap_pop(q_heap *h, q_entry *out);      /* 0, or -1 if empty */
static inline const q_entry *q_heap_peek(const q_heap *h) { return h->n ? &h->v[0] : NULL; }

#endif
