/* engine/synth/rng.c — see rng.h. xoshiro256** 1.0 (Blackman and Vigna, public domain). */
#include "synth/rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x) {
  uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void lt_srng_seed(lt_srng *r, uint64_t seed, uint64_t stream) {
  uint64_t x = seed ^ (stream * 0xd1342543de82ef95ull + 0x2545f4914f6cdd1dull);
  for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t lt_srng_next(lt_srng *r) {
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double lt_srng_uniform(lt_srng *r) { return (double)(lt_srng_next(r) >> 11) * 0x1.0p-53; }

double lt_srng_range(lt_srng *r, double lo, double hi) { return lo + (hi - lo) * lt_srng_uniform(r); }

double lt_srng_normal(lt_srng *r) {
  double u1 = lt_srng_uniform(r), u2 = lt_srng_uniform(r);
  if (u1 < 1e-300) u1 = 1e-300;
  return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

int lt_srng_int(lt_srng *r, int n) {
  if (n <= 1) return 0;
  return (int)((lt_srng_next(r) >> 33) % (uint64_t)n);
}
