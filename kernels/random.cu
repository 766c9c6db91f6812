/* The random streams of core/rng.h on the device: element i of a request
 * with base block b reads Philox block b + i/4 (word i%4) for uniform,
 * bernoulli and dropout, and block b + i for normal, so the values do not
 * depend on the launch shape and equal the CPU's. */
#include "common.cuh"
#include "philox.cuh"
#include "rng.h"

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) uniform_kernel(mien_kiter it, T *out, uint64_t seed, uint64_t base,
                                                                 double lo, double hi) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[1];
    mien_kiter_offsets<1>(it, i, off);
    out[off[0]] = (T)(lo + (hi - lo) * mien_k_unit_double(mien_k_philox_word(seed, base, i)));
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) normal_kernel(mien_kiter it, T *out, uint64_t seed, uint64_t base,
                                                                double mean, double std) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[1];
    mien_kiter_offsets<1>(it, i, off);
    out[off[0]] = (T)(mean + std * mien_k_normal_at(seed, base + (uint64_t)i));
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) bernoulli_kernel(mien_kiter it, T *out, uint64_t seed,
                                                                   uint64_t base, uint32_t threshold) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[1];
    mien_kiter_offsets<1>(it, i, off);
    out[off[0]] = (T)((mien_k_philox_word(seed, base, i) >> 8) < threshold);
  }
}

/* keep with probability 1-p: y = x * (keep ? (T)(1/(1-p)) : 0), in T */
template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) dropout_kernel(int64_t n, const T *x, double p, uint64_t seed,
                                                                 uint64_t base, uint32_t threshold, T *y,
                                                                 uint8_t *mask) {
  MIEN_GRID_LOOP(i, n) {
    const bool keep = (mien_k_philox_word(seed, base, i) >> 8) < threshold;
    y[i] = x[i] * (keep ? (T)(1.0 / (1.0 - p)) : T(0));
    if (mask) mask[i] = keep;
  }
}

#define LAUNCH_OUT(kernel, ...)                                                                 \
  const mien_strided *ops[1] = {out};                                                           \
  const mien_kiter it = mien_kiter_of(1, ops);                                                  \
  if (it.numel == 0) return 0;                                                                  \
  int rc = 0;                                                                                   \
  MIEN_K_DISPATCH(out->dtype, T, {                                                              \
    rc = MIEN_LAUNCH(kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, nullptr, __VA_ARGS__); \
  });                                                                                           \
  return rc

extern "C" int mien_cuda_uniform(const mien_strided *out, uint64_t seed, uint64_t base, double lo, double hi) {
  LAUNCH_OUT(uniform_kernel, it, (T *)out->data, seed, base, lo, hi);
}

extern "C" int mien_cuda_normal(const mien_strided *out, uint64_t seed, uint64_t base, double mean, double std) {
  LAUNCH_OUT(normal_kernel, it, (T *)out->data, seed, base, mean, std);
}

extern "C" int mien_cuda_bernoulli(const mien_strided *out, uint64_t seed, uint64_t base, double p) {
  const uint32_t threshold = mien_unit_threshold(p);
  LAUNCH_OUT(bernoulli_kernel, it, (T *)out->data, seed, base, threshold);
}

extern "C" int mien_cuda_dropout(mien_dtype dtype, int64_t n, const void *x, double p, uint64_t seed, uint64_t base,
                                 void *y, uint8_t *mask) {
  if (n == 0) return 0;
  const uint32_t threshold = mien_unit_threshold(1.0 - p);
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(dtype, T, {
    rc = MIEN_LAUNCH(dropout_kernel<T>, mien_k_blocks(n), MIEN_K_THREADS, nullptr, n, (const T *)x, p, seed, base,
                     threshold, (T *)y, mask);
  });
  return rc;
}
