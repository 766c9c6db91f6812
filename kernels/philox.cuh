/* Philox4x32-10 on either side (core/rng.h defines the streams; this is the
 * same function for the kernels), and the word -> number conversions. */
#ifndef MIEN_KERNELS_PHILOX_CUH
#define MIEN_KERNELS_PHILOX_CUH

#include "common.cuh"

struct mien_philox_words {
  uint32_t w[4];
};

MIEN_HD mien_philox_words mien_k_philox(uint64_t seed, uint64_t counter) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int round = 0; round < 10; round++) {
    const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    c0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0;
    c1 = (uint32_t)p1;
    c2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c3 = (uint32_t)p0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  mien_philox_words r = {{c0, c1, c2, c3}};
  return r;
}

/* Word i of a request: philox(seed, base + i/4)[i%4]. */
MIEN_HD uint32_t mien_k_philox_word(uint64_t seed, uint64_t base, int64_t i) {
  return mien_k_philox(seed, base + (uint64_t)(i / 4)).w[i % 4];
}
MIEN_HD double mien_k_unit_double(uint32_t x) { return (double)(x >> 8) * (1.0 / 16777216.0); }
MIEN_HD float mien_k_unit_float(uint32_t x) { return (float)(x >> 8) * (1.0f / 16777216.0f); }
MIEN_HD double mien_k_normal_at(uint64_t seed, uint64_t block) {
  const mien_philox_words r = mien_k_philox(seed, block);
  const double u1 = ((double)(r.w[0] >> 8) + 1.0) * (1.0 / 16777216.0), u2 = mien_k_unit_double(r.w[1]);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

#endif
