/* engine/synth/rng.h — the synthetic data's own pseudo-random numbers: xoshiro256** seeded by
 * splitmix64, with uniform, normal (Box-Muller) and integer draws. Deterministic from a seed on
 * every platform (no rand(), no time). Not for cryptography. */
#ifndef LT_SYNTH_RNG_H
#define LT_SYNTH_RNG_H

#include <stdint.h>

typedef struct {
  uint64_t s[4];
} lt_srng;

/* Seeds from one 64-bit value and a stream number (independent streams for cases, readers...). */
void lt_srng_seed(lt_srng *r, uint64_t seed, uint64_t stream);
uint64_t lt_srng_next(lt_srng *r);
/* Uniform in [0, 1). */
double lt_srng_uniform(lt_srng *r);
/* Uniform in [lo, hi). */
double lt_srng_range(lt_srng *r, double lo, double hi);
/* Standard normal. */
double lt_srng_normal(lt_srng *r);
/* Uniform integer in [0, n) (n > 0). */
int lt_srng_int(lt_srng *r, int n);

#endif
