#include "rng.h"

#include <math.h>

#include "cpu/simd.h"

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u
#define PHILOX_W1 0xBB67AE85u

void mien_philox(uint64_t seed, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; round++) {
    uint64_t p0 = (uint64_t)PHILOX_M0 * c0, p1 = (uint64_t)PHILOX_M1 * c2;
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
    k0 += PHILOX_W0;
    k1 += PHILOX_W1;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* mien_philox for 8 consecutive counters at once, lane by lane so that GCC
 * vectorises the rounds (the 32x32->64 multiplies become vpmuludq). */
#define PHILOX_LANES 8

static MIEN_MULTIVERSION void philox_lanes(uint64_t seed, uint64_t base, int64_t ngroups, uint32_t *words) {
  for (int64_t grp = 0; grp < ngroups; grp++, words += 4 * PHILOX_LANES) {
    uint32_t c0[PHILOX_LANES], c1[PHILOX_LANES], c2[PHILOX_LANES], c3[PHILOX_LANES];
    for (int l = 0; l < PHILOX_LANES; l++) {
      const uint64_t counter = base + (uint64_t)(grp * PHILOX_LANES + l);
      c0[l] = (uint32_t)counter, c1[l] = (uint32_t)(counter >> 32), c2[l] = 0, c3[l] = 0;
    }
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
      for (int l = 0; l < PHILOX_LANES; l++) {
        const uint64_t p0 = (uint64_t)PHILOX_M0 * c0[l], p1 = (uint64_t)PHILOX_M1 * c2[l];
        c0[l] = (uint32_t)(p1 >> 32) ^ c1[l] ^ k0;
        c1[l] = (uint32_t)p1;
        c2[l] = (uint32_t)(p0 >> 32) ^ c3[l] ^ k1;
        c3[l] = (uint32_t)p0;
      }
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    for (int l = 0; l < PHILOX_LANES; l++)
      words[4 * l] = c0[l], words[4 * l + 1] = c1[l], words[4 * l + 2] = c2[l], words[4 * l + 3] = c3[l];
  }
}

void mien_philox_blocks(uint64_t seed, uint64_t base, int64_t nblocks, uint32_t *words) {
  const int64_t full = nblocks / PHILOX_LANES * PHILOX_LANES;
  philox_lanes(seed, base, full / PHILOX_LANES, words);
  for (int64_t b = full; b < nblocks; b++) mien_philox(seed, base + (uint64_t)b, words + 4 * b);
}

static mien_rng global_rng = {5489u, 0};

mien_rng *mien_rng_global(void) { return &global_rng; }

void mien_rng_seed(mien_rng *g, uint64_t seed) {
  g->seed = seed;
  g->counter = 0;
}

uint64_t mien_rng_reserve(mien_rng *g, uint64_t nblocks) {
  uint64_t base = g->counter;
  g->counter += nblocks;
  return base;
}

void mien_fill_uniform_f64(uint64_t seed, uint64_t base, int64_t n, double lo, double hi, double *out) {
#pragma omp parallel for if (n > 65536)
  for (int64_t b = 0; b < (n + 3) / 4; b++) {
    uint32_t w[4];
    mien_philox(seed, base + (uint64_t)b, w);
    for (int k = 0; k < 4 && b * 4 + k < n; k++) out[b * 4 + k] = lo + (hi - lo) * mien_unit_double(w[k]);
  }
}

double mien_normal_at(uint64_t seed, uint64_t block) {
  uint32_t w[4];
  mien_philox(seed, block, w);
  double u1 = mien_open_unit_double(w[0]), u2 = mien_unit_double(w[1]);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void mien_fill_normal_f64(uint64_t seed, uint64_t base, int64_t n, double mean, double std, double *out) {
#pragma omp parallel for if (n > 65536)
  for (int64_t i = 0; i < n; i++) out[i] = mean + std * mien_normal_at(seed, base + (uint64_t)i);
}
