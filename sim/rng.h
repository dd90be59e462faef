/* rng.h -- random streams: GSL generators seeded from (master, rep, stream).
 *
 * Every random draw in qunsim names its stream.  A stream's seed is a mix of
 * the master seed, the replication index and a stream id, so that
 *  - replications are independent,
 *  - the arms of an experiment share streams (common random numbers): arm A
 *    and arm B of replication r draw the same numbers from stream k.
 * Draws use GSL directly (gsl_rng_uniform, gsl_ran_exponential, ...).
 *
 * Generators: gsl_rng_taus2 for the many small per-member streams (24 bytes
 * of state, fast to seed) and gsl_rng_mt19937 where one long stream is used.
 * Known cost: GSL seeds these generators with 32 bits, so two of N streams
 * share a seed with probability about N^2 / 2^33 (1e-4 for 1e3 streams).
 */
#ifndef QS_RNG_H
#define QS_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

/* Stream ids are 64-bit: the high 32 bits name a purpose (a model's stream
 * family), the low 32 bits an index within it (e.g. a member). */
#define RNG_STREAM(family, index) (((uint64_t)(family) << 32) | (uint32_t)(index))

/* The 64-bit seed of (master, rep, stream): splitmix64 applied in a chain.
 * Pure function; documented so other tools can reproduce streams. */
uint64_t rng_seed(uint64_t master, uint64_t rep, uint64_t stream);

/* A new generator of the given GSL type (NULL: gsl_rng_taus2) seeded with
 * gsl_rng_set(r, s32), s32 = (s ^ s >> 32) & 0xFFFFFFFF (1 if that is 0),
 * s = rng_seed(master, rep, stream); rng_xoshiro256ss takes all 64 bits of
 * s instead (below); docs/engine.md has a Python model.
 * Returns NULL on allocation failure.  The caller frees it with gsl_rng_free(). */
gsl_rng *rng_new(const gsl_rng_type *type, uint64_t master, uint64_t rep, uint64_t stream);

/* Re-seed an existing generator in place, as rng_new does (no allocation). */
void rng_reseed(gsl_rng *r, uint64_t master, uint64_t rep, uint64_t stream);

/* xoshiro256** (Blackman and Vigna 2018) as a GSL generator type: 32 bytes of
 * state, period 2^256 - 1, so every gsl_ran_* distribution runs on it.
 * gsl_rng_get returns the top 32 bits of an output (max 2^32 - 1, like
 * taus2, so GSL's integer helpers keep their 32-bit assumptions);
 * gsl_rng_uniform uses the top 53 bits.  The state is the splitmix64
 * sequence from the seed: word i = sm(seed + i * 0x9E3779B97F4A7C15), sm as
 * in rng_seed.  rng_new/rng_reseed give it the full 64-bit rng_seed (no
 * 32-bit fold), which removes the seed collisions of the GSL types. */
extern const gsl_rng_type *rng_xoshiro256ss;

/* Set the raw state of a rng_xoshiro256ss generator (not all zero), for the
 * published test vectors.  Returns 0, or -1 if r is another type or the state
 * is all zero. */
int rng_xoshiro256ss_set_state(gsl_rng *r, const uint64_t st[4]);

/* The next raw 64-bit output of a rng_xoshiro256ss generator (r's type is
 * not checked). */
uint64_t rng_xoshiro256ss_next(gsl_rng *r);

#endif
