/* CPU kernels of the reductions, accumulated in double: the kept dims are
 * the outer loop (OpenMP over outputs when there are enough), the reduced
 * dims an iterator (OpenMP over its rows when there are few outputs). */
#include <math.h>

#include "cpu/kernels.h"
#include "cpu/dtype_dispatch.h"
#include "cpu/iter.h"

typedef struct reduce_args {
  mien_reduce_op op;
  int no;
  const int64_t *oshp, *ostr, *odst; /* kept dims: sizes, input strides, output strides */
  const mien_iter *inner;
  double init, count;
  const void *in;
  void *out;
  mien_dtype odt;
} reduce_args;

static void store(void *out, mien_dtype dt, int64_t i, double v) {
  MIEN_DISPATCH(dt, TO, { ((TO *)out)[i] = (TO)v; });
}

/* One function per input type: out[o] = reduction of the inner block at o. */
#define DEFINE_REDUCE(T)                                                                   \
  static void reduce_##T(const reduce_args *a, int64_t nout) {                             \
    const mien_iter *in = a->inner;                                                        \
    int64_t istride = in->strides[0][in->ndim - 1];                                        \
    bool par_outer = nout >= 16;                                                           \
    _Pragma("omp parallel for schedule(static) if (par_outer && nout * in->numel > 32768)") \
    for (int64_t o = 0; o < nout; o++) {                                                   \
      int64_t rem = o, base = 0, dst = 0;                                                  \
      for (int d = a->no - 1; d >= 0; d--) {                                               \
        base += (rem % a->oshp[d]) * a->ostr[d];                                           \
        dst += (rem % a->oshp[d]) * a->odst[d];                                            \
        rem /= a->oshp[d];                                                                 \
      }                                                                                    \
      const T *src = (const T *)a->in + base;                                              \
      double acc = a->init;                                                                \
      if (a->op == MIEN_SUM || a->op == MIEN_MEAN) {                                       \
        _Pragma("omp parallel for reduction(+ : acc) if (!par_outer && in->numel > 65536)") \
        for (int64_t r = 0; r < in->rows; r++) {                                           \
          int64_t ioff[MIEN_ITER_MAX_OPS];                                                 \
          mien_iter_row_offsets(in, r, ioff);                                              \
          const T *p = src + ioff[0];                                                      \
          double s = 0;                                                                    \
          for (int64_t j = 0; j < in->inner; j++) s += (double)p[j * istride];             \
          acc += s;                                                                        \
        }                                                                                  \
        if (a->op == MIEN_MEAN) acc /= a->count;                                           \
      } else {                                                                             \
        for (int64_t r = 0; r < in->rows; r++) {                                           \
          int64_t ioff[MIEN_ITER_MAX_OPS];                                                 \
          mien_iter_row_offsets(in, r, ioff);                                              \
          const T *p = src + ioff[0];                                                      \
          for (int64_t j = 0; j < in->inner; j++) {                                        \
            double v = (double)p[j * istride];                                             \
            if (a->op == MIEN_MAX) acc = (v > acc || v != v) ? v : acc;                    \
            else if (a->op == MIEN_MIN) acc = (v < acc || v != v) ? v : acc;               \
            else acc *= v;                                                                 \
          }                                                                                \
        }                                                                                  \
      }                                                                                    \
      store(a->out, a->odt, dst, acc);                                                     \
    }                                                                                      \
  }

DEFINE_REDUCE(float)
DEFINE_REDUCE(double)
DEFINE_REDUCE(int64_t)
DEFINE_REDUCE(uint8_t)

int mien_cpu_reduce(mien_reduce_op op, const mien_strided *out, const mien_strided *in, const bool *reduced) {
  int no = 0, ni = 0;
  int64_t oshp[MIEN_MAX_DIMS], ostr[MIEN_MAX_DIMS], odst[MIEN_MAX_DIMS], ishp[MIEN_MAX_DIMS] = {0}, istr[MIEN_MAX_DIMS] = {0};
  int64_t inner_n = 1, nout = 1;
  for (int d = 0; d < in->ndim; d++) {
    if (reduced[d]) {
      ishp[ni] = in->shape[d];
      istr[ni++] = in->stride[d];
      inner_n *= in->shape[d];
    } else {
      oshp[no] = in->shape[d];
      ostr[no] = in->stride[d];
      odst[no++] = out->stride[d];
      nout *= in->shape[d];
    }
  }
  mien_iter inner;
  const int64_t *is[1] = {istr};
  mien_iter_init(&inner, ni, ishp, 1, is);
  double init = op == MIEN_MAX || op == MIEN_MIN ? (inner_n ? (op == MIEN_MAX ? -INFINITY : INFINITY) : NAN)
                : op == MIEN_PROD                ? 1.0
                                                 : 0.0;
  reduce_args args = {op, no, oshp, ostr, odst, &inner, init, (double)inner_n, in->data, out->data, out->dtype};
  switch (in->dtype) {
    case MIEN_FLOAT32: reduce_float(&args, nout); break;
    case MIEN_FLOAT64: reduce_double(&args, nout); break;
    case MIEN_INT64: reduce_int64_t(&args, nout); break;
    case MIEN_UINT8: reduce_uint8_t(&args, nout); break;
    default: break;
  }
  return 0;
}

#define DEFINE_ARGEXT(T)                                                                              \
  static void argext_##T(const T *base, int64_t *po, int64_t nout, int64_t len, int64_t st, int no,   \
                         const int64_t *oshp, const int64_t *ostr, const int64_t *odst, bool want_max) { \
    _Pragma("omp parallel for if (nout * len > 32768)")                                              \
    for (int64_t o = 0; o < nout; o++) {                                                              \
      int64_t rem = o, off = 0, dst = 0;                                                              \
      for (int k = no - 1; k >= 0; k--) {                                                             \
        off += (rem % oshp[k]) * ostr[k];                                                             \
        dst += (rem % oshp[k]) * odst[k];                                                             \
        rem /= oshp[k];                                                                               \
      }                                                                                               \
      const T *p = base + off;                                                                        \
      int64_t best = 0;                                                                               \
      for (int64_t j = 1; j < len; j++) {                                                             \
        T v = p[j * st], b = p[best * st];                                                            \
        if (want_max ? (v > b) : (v < b)) best = j;                                                   \
      }                                                                                               \
      po[dst] = best;                                                                                 \
    }                                                                                                 \
  }

DEFINE_ARGEXT(float)
DEFINE_ARGEXT(double)
DEFINE_ARGEXT(int64_t)
DEFINE_ARGEXT(uint8_t)

int mien_cpu_arg_reduce(bool want_max, const mien_strided *out, const mien_strided *in, int dim) {
  int no = 0;
  int64_t oshp[MIEN_MAX_DIMS], ostr[MIEN_MAX_DIMS], odst[MIEN_MAX_DIMS], nout = 1;
  for (int k = 0; k < in->ndim; k++)
    if (k != dim) {
      oshp[no] = in->shape[k];
      ostr[no] = in->stride[k];
      odst[no++] = out->stride[k];
      nout *= in->shape[k];
    }
  int64_t len = in->shape[dim], st = in->stride[dim];
  int64_t *po = out->data;
  switch (in->dtype) {
    case MIEN_FLOAT32: argext_float(in->data, po, nout, len, st, no, oshp, ostr, odst, want_max); break;
    case MIEN_FLOAT64: argext_double(in->data, po, nout, len, st, no, oshp, ostr, odst, want_max); break;
    case MIEN_INT64: argext_int64_t(in->data, po, nout, len, st, no, oshp, ostr, odst, want_max); break;
    case MIEN_UINT8: argext_uint8_t(in->data, po, nout, len, st, no, oshp, ostr, odst, want_max); break;
    default: break;
  }
  return 0;
}
