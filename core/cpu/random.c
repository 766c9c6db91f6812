/* CPU kernels of the random streams (layout in rng.h). Value i of a request
 * depends only on (seed, base, i), never on threads. */
#include <stdlib.h>

#include "cpu/kernels.h"
#include "cpu/dtype_dispatch.h"
#include "rng.h"

/* Doubles in row-major order into out, converting to its dtype. */
static int store_values(const mien_strided *out, const double *vals) {
  mien_strided src = *out;
  src.data = (void *)vals;
  src.dtype = MIEN_FLOAT64;
  int64_t s = 1;
  for (int d = out->ndim - 1; d >= 0; d--) {
    src.stride[d] = s;
    s *= out->shape[d];
  }
  return mien_cpu_copy_strided(out, &src);
}

static int random_values(const mien_strided *out, uint64_t seed, uint64_t base, bool normal, double a, double b) {
  const int64_t n = mien_cpu_numel(out);
  double *vals = malloc(sizeof(double) * (size_t)(n ? n : 1));
  if (!vals) return mien_cpu_error("random: out of memory for %lld values", (long long)n);
  if (normal) mien_fill_normal_f64(seed, base, n, a, b, vals);
  else mien_fill_uniform_f64(seed, base, n, a, b, vals);
  int rc = store_values(out, vals);
  free(vals);
  return rc;
}

int mien_cpu_uniform(const mien_strided *out, uint64_t seed, uint64_t base, double lo, double hi) {
  return random_values(out, seed, base, false, lo, hi);
}

int mien_cpu_normal(const mien_strided *out, uint64_t seed, uint64_t base, double mean, double std) {
  return random_values(out, seed, base, true, mean, std);
}

/* Philox blocks drawn per work item: 16 KB of words. */
#define BERNOULLI_BLOCKS 1024

/* keep = word i%4 of block base + i/4 below the threshold of p, as an
 * integer comparison (the uniform stream's layout); BODY uses at and keep. */
#define BERNOULLI_LOOP(...)                                                                          \
  do {                                                                                                \
    const int64_t nblocks = (n + 3) / 4, items = (nblocks + BERNOULLI_BLOCKS - 1) / BERNOULLI_BLOCKS; \
    const uint32_t threshold = mien_unit_threshold(p);                                                \
    _Pragma("omp parallel for if (n > 65536)")                                                        \
    for (int64_t item = 0; item < items; item++) {                                                    \
      uint32_t w[4 * BERNOULLI_BLOCKS];                                                               \
      const int64_t b0 = item * BERNOULLI_BLOCKS, first = 4 * b0;                                     \
      const int64_t blocks = nblocks - b0 < BERNOULLI_BLOCKS ? nblocks - b0 : BERNOULLI_BLOCKS;       \
      const int64_t len = n - first < 4 * blocks ? n - first : 4 * blocks;                            \
      mien_philox_blocks(seed, base + (uint64_t)b0, blocks, w);                                       \
      for (int64_t i = 0; i < len; i++) {                                                             \
        const int64_t at = first + i;                                                                 \
        const int keep = (w[i] >> 8) < threshold;                                                     \
        __VA_ARGS__;                                                                                  \
      }                                                                                               \
    }                                                                                                 \
  } while (0)

int mien_cpu_bernoulli(const mien_strided *out, uint64_t seed, uint64_t base, double p) {
  if (!mien_cpu_is_contiguous(out)) return mien_cpu_error("bernoulli: the cpu kernel needs a contiguous output");
  const int64_t n = mien_cpu_numel(out);
  MIEN_DISPATCH(out->dtype, T, {
    T *o = out->data;
    BERNOULLI_LOOP(o[at] = (T)keep);
  });
  return 0;
}

int mien_cpu_dropout(mien_dtype dtype, int64_t n, const void *x, double drop, uint64_t seed, uint64_t base, void *y,
                     uint8_t *mask) {
  const double p = 1.0 - drop;
  MIEN_DISPATCH_FLOAT(dtype, T, {
    const T *px = x, scale = (T)(1.0 / p);
    T *py = y;
    BERNOULLI_LOOP(py[at] = px[at] * (keep ? scale : (T)0); if (mask) mask[at] = (uint8_t)keep);
  });
  return 0;
}
