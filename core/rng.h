/* Counter-based random numbers (Philox4x32-10). A stream is (seed, counter):
 * block c of seed s is philox(s, c), four 32-bit words. Value i of a request
 * depends only on (seed, base counter, i), never on thread count or device,
 * so the CUDA backend reproduces the CPU streams exactly. */
#ifndef MIEN_RNG_H
#define MIEN_RNG_H

#include <math.h>
#include <stdint.h>

typedef struct mien_rng {
  uint64_t seed;
  uint64_t counter; /* next unused Philox block */
} mien_rng;

void mien_philox(uint64_t seed, uint64_t counter, uint32_t out[4]);
/* Blocks base .. base + nblocks - 1 into words[4 * nblocks], block b at
 * words + 4 * b: the same values as mien_philox, several blocks at a time. */
void mien_philox_blocks(uint64_t seed, uint64_t base, int64_t nblocks, uint32_t *words);

/* The process-wide generator used by rand/randn/dropout/initialisers. */
mien_rng *mien_rng_global(void);
void mien_rng_seed(mien_rng *g, uint64_t seed);
/* Reserve n blocks and return the first: callers then draw from
 * philox(g->seed, base + k) for k < n. */
uint64_t mien_rng_reserve(mien_rng *g, uint64_t nblocks);

/* Word -> float in [0, 1) with 24 random bits, and in (0, 1] (safe for log). */
static inline float mien_unit_float(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }
static inline double mien_unit_double(uint32_t x) { return (double)(x >> 8) * (1.0 / 16777216.0); }
static inline double mien_open_unit_double(uint32_t x) { return ((double)(x >> 8) + 1.0) * (1.0 / 16777216.0); }
/* The t with mien_unit_double(x) < p exactly when (x >> 8) < t: x >> 8 is an
 * integer and x * 2^-24 < p means it is below p * 2^24, so below its ceiling. */
static inline uint32_t mien_unit_threshold(double p) {
  const double t = ceil(p * 16777216.0);
  return t >= 16777216.0 ? 16777216u : t > 0 ? (uint32_t)t : 0; /* NaN: 0, never below */
}

/* Element i of a uniform request with base block b: philox(seed, b + i/4)[i%4].
 * Element i of a normal request: Box-Muller on words 0 and 1 of block b + i. */
void mien_fill_uniform_f64(uint64_t seed, uint64_t base, int64_t n, double lo, double hi, double *out);
void mien_fill_normal_f64(uint64_t seed, uint64_t base, int64_t n, double mean, double std, double *out);
double mien_normal_at(uint64_t seed, uint64_t block);

#endif
