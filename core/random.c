/* Random tensors from the global Philox stream (see rng.h for the layout). */
#include <stdlib.h>

#include "dtype_dispatch.h"
#include "error.h"
#include "rng.h"
#include "tensor.h"

static int fill_from(mien_tensor *t, double *vals) {
  mien_tensor *src = mien_empty(t->ndim, t->shape, MIEN_FLOAT64, MIEN_CPU);
  if (!src) return -1;
  double *p = src->storage->data;
  int64_t n = mien_numel(t);
  for (int64_t i = 0; i < n; i++) p[i] = vals[i];
  int rc = mien_copy_(t, src);
  mien_release(src);
  return rc;
}

static int random_fill(mien_tensor *t, int normal, double a, double b) {
  int64_t n = mien_numel(t);
  double *vals = malloc(sizeof(double) * (size_t)(n ? n : 1));
  if (!vals) {
    mien_set_error("random: out of memory for %lld values", (long long)n);
    return -1;
  }
  mien_rng *g = mien_rng_global();
  if (normal) {
    uint64_t base = mien_rng_reserve(g, (uint64_t)n);
    mien_fill_normal_f64(g->seed, base, n, a, b, vals);
  } else {
    uint64_t base = mien_rng_reserve(g, (uint64_t)(n + 3) / 4);
    mien_fill_uniform_f64(g->seed, base, n, a, b, vals);
  }
  int rc = fill_from(t, vals);
  free(vals);
  return rc;
}

int mien_uniform_(mien_tensor *t, double lo, double hi) { return random_fill(t, 0, lo, hi); }
int mien_normal_(mien_tensor *t, double mean, double std) { return random_fill(t, 1, mean, std); }

static mien_tensor *random_new(int ndim, const int64_t *shape, mien_dtype dtype, int device, int normal) {
  mien_tensor *t = mien_empty(ndim, shape, dtype, device);
  if (t && random_fill(t, normal, 0.0, 1.0) != 0) {
    mien_release(t);
    return NULL;
  }
  return t;
}

mien_tensor *mien_rand(int ndim, const int64_t *shape, mien_dtype dtype, int device) {
  return random_new(ndim, shape, dtype, device, 0);
}

mien_tensor *mien_randn(int ndim, const int64_t *shape, mien_dtype dtype, int device) {
  return random_new(ndim, shape, dtype, device, 1);
}

/* Philox blocks drawn per work item of mien_bernoulli: 16 KB of words. */
#define BERNOULLI_BLOCKS 1024

/* 1 with probability p, straight into the target type: element i compares
 * word i%4 of block base + i/4 with p (the uniform stream's layout), as an
 * integer against mien_unit_threshold(p). */
mien_tensor *mien_bernoulli(int ndim, const int64_t *shape, double p, mien_dtype dtype, int device) {
  mien_tensor *out = mien_empty_uninit(ndim, shape, dtype, MIEN_CPU);
  if (!out) return NULL;
  int64_t n = mien_numel(out);
  mien_rng *g = mien_rng_global();
  const int64_t nblocks = (n + 3) / 4, items = (nblocks + BERNOULLI_BLOCKS - 1) / BERNOULLI_BLOCKS;
  uint64_t seed = g->seed, base = mien_rng_reserve(g, (uint64_t)nblocks);
  const uint32_t threshold = mien_unit_threshold(p);
  MIEN_DISPATCH(dtype, T, {
    T *o = out->storage->data;
    _Pragma("omp parallel for if (n > 65536)")
    for (int64_t item = 0; item < items; item++) {
      uint32_t w[4 * BERNOULLI_BLOCKS];
      const int64_t b0 = item * BERNOULLI_BLOCKS, first = 4 * b0;
      const int64_t blocks = nblocks - b0 < BERNOULLI_BLOCKS ? nblocks - b0 : BERNOULLI_BLOCKS;
      const int64_t len = n - first < 4 * blocks ? n - first : 4 * blocks;
      mien_philox_blocks(seed, base + (uint64_t)b0, blocks, w);
      for (int64_t i = 0; i < len; i++) o[first + i] = (T)((w[i] >> 8) < threshold);
    }
  });
  if (device != MIEN_CPU) {
    mien_tensor *d = mien_to_device(out, device);
    mien_release(out);
    return d;
  }
  return out;
}

mien_tensor *mien_randperm(int64_t n, int device) {
  /* Fisher-Yates driven by the stream: swap i with a uniform j <= i */
  mien_tensor *u = mien_rand(1, &n, MIEN_FLOAT64, MIEN_CPU);
  mien_tensor *out = u ? mien_arange(0, (double)n, 1, MIEN_INT64, MIEN_CPU) : NULL;
  if (!out) {
    mien_release(u);
    return NULL;
  }
  const double *r = u->storage->data;
  int64_t *p = out->storage->data;
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(r[i] * (double)(i + 1));
    if (j > i) j = i;
    int64_t tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  mien_release(u);
  if (device != MIEN_CPU) {
    mien_tensor *d = mien_to_device(out, device);
    mien_release(out);
    return d;
  }
  return out;
}
