/* queue_heap.c -- implicit 4-ary min-heap of q_entry.
 * A 4-ary heap halves the depth of a binary heap and keeps the four children
 * of a node in one or two cache lines, which is what makes it fast at 1e5+. */
#include "queue.h"

#include <stdlib.h>

int q_heap_init(q_heap *h, size_t cap)
{
    if (cap < 64) cap = 64;
    h->v = malloc(cap * sizeof *h->v);
    h->n = 0;
    h->cap = h->v ? cap : 0;
    return h->v ? 0 : -1;
}

void q_heap_free(q_heap *h)
{
    free(h->v);
    h->v = NULL;
    h->n = h->cap = 0;
}

int q_heap_push(q_heap *h, const q_entry *e)
{
    if (h->n == h->cap) {
        size_t ncap = h->cap * 2;
        q_entry *nv = realloc(h->v, ncap * sizeof *nv);
        if (!nv) return -1;
        h->v = nv;
        h->cap = ncap;
    }
    size_t i = h->n++;
    q_entry x = *e;
    while (i > 0) {
        size_t p = (i - 1) >> 2;
        if (!q_less(&x, &h->v[p])) break;
        h->v[i] = h->v[p];
        i = p;
    }
    h->v[i] = x;
    return 0;
}

int q_heap_pop(q_heap *h, q_entry *out)
{
    if (h->n == 0) return -1;
    *out = h->v[0];
    q_entry x = h->v[--h->n];
    size_t n = h->n, i = 0;
    if (n == 0) return 0;
    for (;;) {
        size_t c = 4 * i + 1;
        if (c >= n) break;
        size_t m = c, end = c + 4 < n ? c + 4 : n;
        for (size_t k = c + 1; k < end; k++)
            if (q_less(&h->v[k], &h->v[m])) m = k;
        if (!q_less(&h->v[m], &x)) break;
        h->v[i] = h->v[m];
        i = m;
    }
    h->v[i] = x;
    return 0;
}
