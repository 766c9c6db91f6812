/* Strided elementwise kernels with broadcasting: binary, unary (with clamp
 * and leaky ReLU), where, fill and copy/cast. One thread per output element;
 * the per-element bodies below are the CPU's formulas (core/elementwise.c),
 * and are what the emulator tests check the kernels against. */
#include <math.h>

#include "common.cuh"

/* x < 0 without a pointless-comparison warning for unsigned types */
template <class T>
MIEN_HD bool mien_negative(T x) { return x < T(0); }
template <>
MIEN_HD bool mien_negative<uint8_t>(uint8_t) { return false; }

template <class T>
MIEN_HD T mien_binary_value(int op, T x, T y) {
  switch (op) {
    case 0: return x + y;
    case 1: return x - y;
    case 2: return x * y;
    case 3: return x / y;
    case 4: return (T)pow((double)x, (double)y);
    case 5: return (x > y || x != x) ? x : y;
    default: return (x < y || x != x) ? x : y;
  }
}

template <class T>
MIEN_HD uint8_t mien_compare_value(int op, T x, T y) {
  switch (op) {
    case 7: return x == y;
    case 8: return x != y;
    case 9: return x < y;
    case 10: return x <= y;
    case 11: return x > y;
    default: return x >= y;
  }
}

template <class T>
MIEN_HD T mien_unary_value(int op, T x, double p0, double p1) {
  const double d = (double)x;
  switch (op) {
    case 0: return (T)-d;
    case 1: return (T)exp(d);
    case 2: return (T)log(d);
    case 3: return (T)sqrt(d);
    case 4: return mien_negative(x) ? (T)-d : x;
    case 5: return x > T(0) ? x : T(0); /* NaN -> 0, as on the CPU */
    case 6: return (T)(1.0 / (1.0 + exp(-d)));
    case 7: return (T)tanh(d);
    case 8: return (T)sin(d);
    case 9: return (T)cos(d);
    case 10: return (T)((x > T(0)) - mien_negative(x));
    case 11: return (T)floor(d);
    case 12: return (T)ceil(d);
    case 13: return (T)nearbyint(d);
    case 14: return (T)(1.0 / sqrt(d));
    case 15: return mien_negative(x) ? T(0) : x > T(6) ? T(6) : x;
    case 16: return (T)((p0 == p0 && d < p0) ? p0 : (p1 == p1 && d > p1) ? p1 : d); /* clamp */
    case 17: return x > T(0) ? x : (T)(d * p0);                                      /* leaky relu */
    default: return (T)(d * p0);                                                     /* scale */
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) binary_kernel(int op, mien_kiter it, T *out, const T *a, const T *b) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    out[off[0]] = mien_binary_value<T>(op, a[off[1]], b[off[2]]);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) compare_kernel(int op, mien_kiter it, uint8_t *out, const T *a,
                                                                 const T *b) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    out[off[0]] = mien_compare_value<T>(op, a[off[1]], b[off[2]]);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) unary_kernel(int op, double p0, double p1, mien_kiter it, T *out,
                                                               const T *a) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[2];
    mien_kiter_offsets<2>(it, i, off);
    out[off[0]] = mien_unary_value<T>(op, a[off[1]], p0, p1);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) where_kernel(mien_kiter it, T *out, const uint8_t *c, const T *a,
                                                               const T *b) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[4];
    mien_kiter_offsets<4>(it, i, off);
    out[off[0]] = c[off[1]] ? a[off[2]] : b[off[3]];
  }
}

/* g * (lo < x < hi ? 1 : outside), NaN bounds open (core's masked_grad) */
template <class T>
MIEN_HD T mien_masked_grad_value(T g, T x, double lo, double hi, double outside) {
  const bool inside = (lo != lo || (double)x > lo) && (hi != hi || (double)x < hi);
  return inside ? g : (T)((double)g * outside);
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) masked_grad_kernel(mien_kiter it, T *out, const T *g, const T *x,
                                                                     double lo, double hi, double outside) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[3];
    mien_kiter_offsets<3>(it, i, off);
    out[off[0]] = mien_masked_grad_value<T>(g[off[1]], x[off[2]], lo, hi, outside);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) axpy_kernel(mien_kiter it, T *out, const T *b, double alpha) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[2];
    mien_kiter_offsets<2>(it, i, off);
    out[off[0]] = (T)((double)out[off[0]] + alpha * (double)b[off[1]]);
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) arange_kernel(T *out, int64_t n, double start, double step) {
  MIEN_GRID_LOOP(i, n) out[i] = (T)(start + (double)i * step);
}

template <class TO, class TI>
__global__ void __launch_bounds__(MIEN_K_THREADS) copy_kernel(mien_kiter it, TO *out, const TI *src) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[2];
    mien_kiter_offsets<2>(it, i, off);
    out[off[0]] = (TO)src[off[1]];
  }
}

template <class T>
__global__ void __launch_bounds__(MIEN_K_THREADS) fill_kernel(mien_kiter it, T *out, T value) {
  MIEN_GRID_LOOP(i, it.numel) {
    int64_t off[1];
    mien_kiter_offsets<1>(it, i, off);
    out[off[0]] = value;
  }
}

#define LAUNCH_ITER(kernel, ...) MIEN_LAUNCH(kernel, mien_k_blocks(it.numel), MIEN_K_THREADS, nullptr, __VA_ARGS__)

extern "C" int mien_cuda_binary(mien_binary_op op, const mien_strided *out, const mien_strided *a,
                                const mien_strided *b) {
  const mien_strided *ops[3] = {out, a, b};
  const mien_kiter it = mien_kiter_of(3, ops);
  if (it.numel == 0) return 0;
  if ((int)op < 0 || op >= MIEN_NUM_BINARY_OPS) return mien_k_fail("binary: unknown op %d", (int)op);
  int rc = 0;
  MIEN_K_DISPATCH(a->dtype, T, {
    if (op >= MIEN_EQ)
      rc = LAUNCH_ITER(compare_kernel<T>, (int)op, it, (uint8_t *)out->data, (const T *)a->data, (const T *)b->data);
    else
      rc = LAUNCH_ITER(binary_kernel<T>, (int)op, it, (T *)out->data, (const T *)a->data, (const T *)b->data);
  });
  return rc;
}

extern "C" int mien_cuda_unary(mien_unary_op op, const mien_strided *out, const mien_strided *a, double p0,
                               double p1) {
  const mien_strided *ops[2] = {out, a};
  const mien_kiter it = mien_kiter_of(2, ops);
  if (it.numel == 0) return 0;
  if ((int)op < 0 || op >= MIEN_NUM_UNARY_OPS) return mien_k_fail("unary: unknown op %d", (int)op);
  int rc = 0;
  MIEN_K_DISPATCH(a->dtype, T, {
    rc = LAUNCH_ITER(unary_kernel<T>, (int)op, p0, p1, it, (T *)out->data, (const T *)a->data);
  });
  return rc;
}

extern "C" int mien_cuda_where(const mien_strided *out, const mien_strided *cond, const mien_strided *a,
                               const mien_strided *b) {
  const mien_strided *ops[4] = {out, cond, a, b};
  const mien_kiter it = mien_kiter_of(4, ops);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(out->dtype, T, {
    rc = LAUNCH_ITER(where_kernel<T>, it, (T *)out->data, (const uint8_t *)cond->data, (const T *)a->data,
                     (const T *)b->data);
  });
  return rc;
}

extern "C" int mien_cuda_masked_grad(const mien_strided *out, const mien_strided *g, const mien_strided *x, double lo,
                                     double hi, double outside) {
  const mien_strided *ops[3] = {out, g, x};
  const mien_kiter it = mien_kiter_of(3, ops);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH_FLOAT(out->dtype, T, {
    rc = LAUNCH_ITER(masked_grad_kernel<T>, it, (T *)out->data, (const T *)g->data, (const T *)x->data, lo, hi,
                     outside);
  });
  return rc;
}

extern "C" int mien_cuda_axpy(const mien_strided *out, const mien_strided *b, double alpha) {
  const mien_strided *ops[2] = {out, b};
  const mien_kiter it = mien_kiter_of(2, ops);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(out->dtype, T, { rc = LAUNCH_ITER(axpy_kernel<T>, it, (T *)out->data, (const T *)b->data, alpha); });
  return rc;
}

extern "C" int mien_cuda_fill(const mien_strided *dst, double value) {
  const mien_strided *ops[1] = {dst};
  const mien_kiter it = mien_kiter_of(1, ops);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(dst->dtype, T, { rc = LAUNCH_ITER(fill_kernel<T>, it, (T *)dst->data, (T)value); });
  return rc;
}

extern "C" int mien_cuda_arange(void *dst, mien_dtype dtype, int64_t n, double start, double step) {
  if (n == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(dtype, T, {
    rc = MIEN_LAUNCH(arange_kernel<T>, mien_k_blocks(n), MIEN_K_THREADS, nullptr, (T *)dst, n, start, step);
  });
  return rc;
}

template <class TO>
static int copy_from(const mien_kiter &it, const mien_strided *dst, const mien_strided *src) {
  int rc = 0;
  MIEN_K_DISPATCH(src->dtype, TI, {
    rc = LAUNCH_ITER((copy_kernel<TO, TI>), it, (TO *)dst->data, (const TI *)src->data);
  });
  return rc;
}

extern "C" int mien_cuda_copy_strided(const mien_strided *dst, const mien_strided *src) {
  const mien_strided *ops[2] = {dst, src};
  const mien_kiter it = mien_kiter_of(2, ops);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(dst->dtype, TO, { rc = copy_from<TO>(it, dst, src); });
  return rc;
}
