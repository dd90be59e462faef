/* queue_heap.c -- the cold parts of the 4-ary heap (queue.h has the hot ones):
 * allocation, growth, heapify and the purge of cancelled entries.
 * A 4-ary heap halves the depth of a binary heap, and with 16-byte entries
 * and the array offset by three entries the four children of a node share
 * one 64-byte cache line: one miss per level at 1e5+ pending events. */
#include "queue.h"

#include <stdlib.h>
#include <string.h>

/* Allocate room for cap entries plus the 3-entry offset, 64-byte aligned. */
static q_entry *alloc_entries(size_t cap, void **raw)
{
    if (cap > (SIZE_MAX - 64) / sizeof(q_entry) - 4) return NULL;
    size_t bytes = (cap + 4) * sizeof(q_entry);
    bytes = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, bytes);
    *raw = p;
    return p ? (q_entry *)p + 3 : NULL;
}

int q_heap_init(q_heap *h, size_t cap)
{
    memset(h, 0, sizeof *h);
    if (cap < 60) cap = 60;
    h->v = alloc_entries(cap, &h->raw);
    if (!h->v) return -1;
    h->cap = cap;
    return 0;
}

void q_heap_free(q_heap *h)
{
    free(h->raw);
    memset(h, 0, sizeof *h);
}

int q_heap_reserve(q_heap *h, size_t need)
{
    if (need <= h->cap) return 0;
    size_t ncap = h->cap ? h->cap : 60;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 4) return -1;
        ncap = 2 * ncap + 4; /* keeps (cap + 4) a multiple of 4 entries */
    }
    void *raw;
    q_entry *nv = alloc_entries(ncap, &raw);
    if (!nv) return -1;
    if (h->n) memcpy(nv, h->v, h->n * sizeof *nv);
    free(h->raw);
    h->raw = raw;
    h->v = nv;
    h->cap = ncap;
    return 0;
}

void q_heap_heapify(q_heap *h, const q_slot *pool)
{
    if (h->n < 2) return;
    for (size_t i = (h->n - 2) / 4 + 1; i-- > 0;) q_heap_sift_down(h, i, h->v[i], pool);
}

size_t q_heap_purge(q_heap *h, q_slot *pool, uint32_t *freelist)
{
    q_heap_settle(h, pool);
    size_t m = 0, n = h->n;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = h->v[i].slot;
        if (pool[s].h) {
            h->v[m++] = h->v[i];
        } else {
            pool[s].next = *freelist;
            *freelist = s + 1;
        }
    }
    h->n = m;
    q_heap_heapify(h, pool);
    return n - m;
}
