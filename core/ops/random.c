/* Random tensors from the global Philox stream (layout in rng.h): the op
 * layer reserves the stream's blocks, the backend's uniform, normal and
 * bernoulli entries draw them, so every device gives the same values. */
#include <stdlib.h>

#include "error.h"
#include "rng.h"
#include "tensor.h"

static int random_fill(mien_tensor *t, bool normal, double a, double b) {
  const mien_device dev = mien_tensor_device(t);
  const mien_backend *be = normal ? MIEN_BACKEND_NEED(dev, normal, "normal_") : MIEN_BACKEND_NEED(dev, uniform, "uniform_");
  if (!be) return -1;
  const int64_t n = mien_numel(t);
  mien_rng *g = mien_rng_global();
  const uint64_t base = mien_rng_reserve(g, normal ? (uint64_t)n : (uint64_t)(n + 3) / 4);
  mien_strided d = mien_strided_of(t);
  return normal ? be->normal(&d, g->seed, base, a, b) : be->uniform(&d, g->seed, base, a, b);
}

int mien_uniform_(mien_tensor *t, double lo, double hi) { return random_fill(t, false, lo, hi); }
int mien_normal_(mien_tensor *t, double mean, double std) { return random_fill(t, true, mean, std); }

static mien_tensor *random_new(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device, bool normal) {
  mien_tensor *t = mien_empty(ndim, shape, dtype, device);
  if (t && random_fill(t, normal, 0.0, 1.0) != 0) {
    mien_release(t);
    return NULL;
  }
  return t;
}

mien_tensor *mien_rand(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device) {
  return random_new(ndim, shape, dtype, device, false);
}

mien_tensor *mien_randn(int ndim, const int64_t *shape, mien_dtype dtype, mien_device device) {
  return random_new(ndim, shape, dtype, device, true);
}

mien_tensor *mien_bernoulli(int ndim, const int64_t *shape, double p, mien_dtype dtype, mien_device device) {
  const mien_backend *be = MIEN_BACKEND_NEED(device, bernoulli, "bernoulli");
  mien_tensor *out = be ? mien_empty(ndim, shape, dtype, device) : NULL;
  if (!out) return NULL;
  mien_rng *g = mien_rng_global();
  const uint64_t base = mien_rng_reserve(g, (uint64_t)(mien_numel(out) + 3) / 4);
  mien_strided d = mien_strided_of(out);
  if (be->bernoulli(&d, g->seed, base, p) != 0) {
    mien_release(out);
    return NULL;
  }
  return out;
}

mien_tensor *mien_randperm(int64_t n, mien_device device) {
  /* Fisher-Yates driven by the stream on the host: swap i with a uniform j <= i */
  if (n < 0) {
    mien_set_error("randperm: n must be >= 0, got %lld", (long long)n);
    return NULL;
  }
  mien_tensor *u = mien_rand(1, &n, MIEN_FLOAT64, MIEN_HOST);
  mien_tensor *out = u ? mien_arange(0, (double)n, 1, MIEN_INT64, MIEN_HOST) : NULL;
  if (!out) {
    mien_release(u);
    return NULL;
  }
  const double *r = mien_data_ptr(u);
  int64_t *p = mien_data_ptr(out);
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = (int64_t)(r[i] * (double)(i + 1));
    if (j > i) j = i;
    int64_t tmp = p[i];
    p[i] = p[j];
    p[j] = tmp;
  }
  mien_release(u);
  mien_tensor *d = mien_to_device(out, device);
  mien_release(out);
  return d;
}
