/* The random streams stay what they were: mien_philox_blocks against
 * mien_philox, the integer threshold against mien_unit_double, and
 * mien_bernoulli element by element against the uniform stream's layout
 * (element i compares word i%4 of block base + i/4 with p). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rng.h"
#include "tensor.h"

static void check_blocks(uint64_t seed, uint64_t base, int64_t n) {
  uint32_t *words = malloc(sizeof(uint32_t) * 4 * (size_t)(n ? n : 1));
  mien_philox_blocks(seed, base, n, words);
  int64_t bad = -1;
  for (int64_t b = 0; b < n && bad < 0; b++) {
    uint32_t w[4];
    mien_philox(seed, base + (uint64_t)b, w);
    if (memcmp(w, words + 4 * b, sizeof w) != 0) bad = b;
  }
  EXPECT(bad < 0, "philox_blocks(seed %llu, base %llu, n %lld) differs at block %lld", (unsigned long long)seed,
         (unsigned long long)base, (long long)n, (long long)bad);
  free(words);
}

/* (x >> 8) < mien_unit_threshold(p) exactly when mien_unit_double(x) < p,
 * checked at the words around the threshold and at the ends. */
static void check_threshold(double p) {
  const uint32_t t = mien_unit_threshold(p);
  const int64_t around[] = {0, 1, (int64_t)t - 2, (int64_t)t - 1, t, (int64_t)t + 1, 16777215};
  for (size_t i = 0; i < sizeof around / sizeof *around; i++) {
    if (around[i] < 0 || around[i] > 16777215) continue;
    for (uint32_t low = 0; low < 256; low += 255) {
      const uint32_t x = (uint32_t)around[i] << 8 | low;
      EXPECT(((x >> 8) < t) == (mien_unit_double(x) < p), "threshold for p=%.17g at x=%u", p, x);
    }
  }
}

static void check_bernoulli(int64_t n, double p, mien_dtype dtype) {
  mien_rng *g = mien_rng_global();
  mien_rng_seed(g, 1234);
  g->counter = 77; /* an unaligned base */
  const uint64_t seed = g->seed, base = g->counter;
  mien_tensor *t = mien_bernoulli(1, &n, p, dtype, MIEN_HOST);
  if (!t) {
    EXPECT(0, "bernoulli: %s", mien_last_error());
    return;
  }
  int64_t bad = -1;
  for (int64_t i = 0; i < n && bad < 0; i++) {
    uint32_t w[4];
    mien_philox(seed, base + (uint64_t)(i / 4), w);
    if (mien_get(t, &i) != (double)(mien_unit_double(w[i % 4]) < p)) bad = i;
  }
  EXPECT(bad < 0, "bernoulli(n=%lld, p=%g, %s) differs at %lld", (long long)n, p, mien_dtype_name(dtype),
         (long long)bad);
  EXPECT(g->counter == base + (uint64_t)(n + 3) / 4, "bernoulli reserved %llu blocks for %lld values",
         (unsigned long long)(g->counter - base), (long long)n);
  mien_release(t);
}

int main(void) {
  const int64_t counts[] = {0, 1, 7, 8, 9, 64, 1000, 4099};
  for (size_t i = 0; i < sizeof counts / sizeof *counts; i++) {
    check_blocks(5489u, 0, counts[i]);
    check_blocks(0xfeedfacecafebeefull, 0xfffffffcull, counts[i]); /* counters cross 2^32 */
  }
  const double ps[] = {0, 1, 0.5, 0.75, 0.9, 1.0 / 3, 1e-9, 1 - 1e-9, 0x1p-24, 3 * 0x1p-25, -0.5, 2, NAN};
  for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) check_threshold(ps[i]);
  for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) check_bernoulli(1001, ps[i], MIEN_FLOAT32);
  check_bernoulli(70001, 0.75, MIEN_FLOAT32); /* threaded, several work items, a ragged end */
  check_bernoulli(4 * 1024 + 3, 0.25, MIEN_FLOAT64);
  check_bernoulli(333, 0.5, MIEN_UINT8);
  check_bernoulli(0, 0.5, MIEN_FLOAT32);
  return check_exit("test_random");
}
