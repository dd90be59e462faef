/* rng.c -- seeding of GSL streams, and xoshiro256** as a GSL generator type.
 * The distributions are GSL's. */
#include "rng.h"

#include <string.h>

static uint64_t splitmix64(uint64_t x)
{
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

uint64_t rng_seed(uint64_t master, uint64_t rep, uint64_t stream)
{
    uint64_t h = splitmix64(master);
    h = splitmix64(h ^ rep);
    h = splitmix64(h ^ stream);
    return h;
}

/* ---- xoshiro256** ---- */

typedef struct xoshiro_state { uint64_t s[4]; } xoshiro_state;

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xo_next(xoshiro_state *x)
{
    uint64_t *s = x->s;
    const uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}

/* Four consecutive splitmix64 outputs: never all zero (splitmix64's output
 * function is a bijection, so at most one of them is 0). */
static void xo_seed(xoshiro_state *x, uint64_t seed)
{
    for (int i = 0; i < 4; i++) x->s[i] = splitmix64(seed + (uint64_t)i * 0x9E3779B97F4A7C15ull);
}

static void xo_set(void *state, unsigned long seed) { xo_seed(state, (uint64_t)seed); }

static unsigned long xo_get(void *state) { return (unsigned long)(xo_next(state) >> 32); }

static double xo_get_double(void *state) { return (double)(xo_next(state) >> 11) * 0x1p-53; }

static const gsl_rng_type xoshiro256ss_type = {
    "xoshiro256**", 0xFFFFFFFFUL, 0, sizeof(xoshiro_state), xo_set, xo_get, xo_get_double,
};
const gsl_rng_type *rng_xoshiro256ss = &xoshiro256ss_type;

int rng_xoshiro256ss_set_state(gsl_rng *r, const uint64_t st[4])
{
    if (r->type != rng_xoshiro256ss || (st[0] | st[1] | st[2] | st[3]) == 0) return -1;
    memcpy(((xoshiro_state *)r->state)->s, st, sizeof(xoshiro_state));
    return 0;
}

uint64_t rng_xoshiro256ss_next(gsl_rng *r) { return xo_next(r->state); }

/* ---- seeding ---- */

void rng_reseed(gsl_rng *r, uint64_t master, uint64_t rep, uint64_t stream)
{
    uint64_t s = rng_seed(master, rep, stream);
    if (r->type == rng_xoshiro256ss) { /* all 64 bits, whatever the width of long */
        xo_seed(r->state, s);
        return;
    }
    /* fold to 32 bits (GSL's generators use the low 32); avoid 0, which
     * several GSL generators replace by a fixed default */
    unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xFFFFFFFFu);
    if (s32 == 0) s32 = 1;
    gsl_rng_set(r, s32);
}

gsl_rng *rng_new(const gsl_rng_type *type, uint64_t master, uint64_t rep, uint64_t stream)
{
    gsl_rng *r = gsl_rng_alloc(type ? type : gsl_rng_taus2);
    if (r) rng_reseed(r, master, rep, stream);
    return r;
}
