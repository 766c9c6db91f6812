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
    case 5: return mien_negative(x) || x == T(0) ? T(0) : x;
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
    case MIEN_K_CLAMP: return (T)((p0 == p0 && d < p0) ? p0 : (p1 == p1 && d > p1) ? p1 : d);
    default: return x > T(0) ? x : (T)(d * p0); /* leaky relu */
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

extern "C" int mien_k_binary(int op, int dtype, int ndim, const int64_t *shape, void *out, const int64_t *so,
                             const void *a, const int64_t *sa, const void *b, const int64_t *sb, void *stream) {
  const int64_t *strides[3] = {so, sa, sb};
  const mien_kiter it = mien_kiter_make(ndim, shape, 3, strides);
  if (it.numel == 0) return 0;
  if (op < 0 || op > 12) {
    mien_k_set_error("binary: unknown op %d", op);
    return -1;
  }
  int rc = 0;
  MIEN_K_DISPATCH(dtype, T, {
    if (op >= 7)
      rc = MIEN_LAUNCH(compare_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, stream, op, it, (uint8_t *)out,
                       (const T *)a, (const T *)b);
    else
      rc = MIEN_LAUNCH(binary_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, stream, op, it, (T *)out,
                       (const T *)a, (const T *)b);
  });
  return rc;
}

extern "C" int mien_k_unary(int op, int dtype, double p0, double p1, int ndim, const int64_t *shape, void *out,
                            const int64_t *so, const void *a, const int64_t *sa, void *stream) {
  const int64_t *strides[2] = {so, sa};
  const mien_kiter it = mien_kiter_make(ndim, shape, 2, strides);
  if (it.numel == 0) return 0;
  if (op < 0 || op > MIEN_K_LEAKY_RELU) {
    mien_k_set_error("unary: unknown op %d", op);
    return -1;
  }
  int rc = 0;
  MIEN_K_DISPATCH(dtype, T, {
    rc = MIEN_LAUNCH(unary_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, stream, op, p0, p1, it, (T *)out,
                     (const T *)a);
  });
  return rc;
}

extern "C" int mien_k_where(int dtype, int ndim, const int64_t *shape, void *out, const int64_t *so, const void *cond,
                            const int64_t *sc, const void *a, const int64_t *sa, const void *b, const int64_t *sb,
                            void *stream) {
  const int64_t *strides[4] = {so, sc, sa, sb};
  const mien_kiter it = mien_kiter_make(ndim, shape, 4, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(dtype, T, {
    rc = MIEN_LAUNCH(where_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, stream, it, (T *)out,
                     (const uint8_t *)cond, (const T *)a, (const T *)b);
  });
  return rc;
}

extern "C" int mien_k_fill(int dtype, double value, int ndim, const int64_t *shape, void *out, const int64_t *so,
                           void *stream) {
  const int64_t *strides[1] = {so};
  const mien_kiter it = mien_kiter_make(ndim, shape, 1, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(dtype, T, {
    rc = MIEN_LAUNCH(fill_kernel<T>, mien_k_blocks(it.numel), MIEN_K_THREADS, stream, it, (T *)out, (T)value);
  });
  return rc;
}

template <class TO>
static int copy_from(int src_dtype, const mien_kiter &it, void *out, const void *src, void *stream) {
  int rc = 0;
  MIEN_K_DISPATCH(src_dtype, TI, {
    rc = MIEN_LAUNCH((copy_kernel<TO, TI>), mien_k_blocks(it.numel), MIEN_K_THREADS, stream, it, (TO *)out,
                     (const TI *)src);
  });
  return rc;
}

extern "C" int mien_k_copy(int out_dtype, int src_dtype, int ndim, const int64_t *shape, void *out, const int64_t *so,
                           const void *src, const int64_t *ss, void *stream) {
  const int64_t *strides[2] = {so, ss};
  const mien_kiter it = mien_kiter_make(ndim, shape, 2, strides);
  if (it.numel == 0) return 0;
  int rc = 0;
  MIEN_K_DISPATCH(out_dtype, TO, { rc = copy_from<TO>(src_dtype, it, out, src, stream); });
  return rc;
}
