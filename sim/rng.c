/* rng.c -- seeding of GSL streams.  The draws themselves are GSL's. */
#include "rng.h"

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

void rng_reseed(gsl_rng *r, uint64_t master, uint64_t rep, uint64_t stream)
{
    uint64_t s = rng_seed(master, rep, stream);
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
