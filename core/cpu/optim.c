/* CPU kernels of the fused optimizer updates: one loop over the elements of
 * each parameter reads its gradient and state and writes the new state and
 * parameter, in double. Several parameters per call (multi-tensor). */
#include <math.h>
#include <stdlib.h>

#include "cpu/kernels.h"

/* Below this many elements a loop is not worth the threads. */
#define OPTIM_PAR_MIN 16384

#define SGD_LOOP(T)                                                                     \
  do {                                                                                  \
    T *p = sl->param, *buf = sl->state[0];                                  \
    const T *gr = sl->grad;                                                            \
    const double lr = o->lr, mom = o->momentum, damp = 1.0 - o->dampening, wd = o->weight_decay; \
    const bool nesterov = o->nesterov, first = o->first, use_mom = mom != 0.0;          \
    _Pragma("omp parallel for schedule(static) if (n >= OPTIM_PAR_MIN)")               \
    for (int64_t i = 0; i < n; i++) {                                                   \
      double pi = (double)p[i];                                                         \
      double d = (double)gr[i];                                                         \
      if (wd != 0.0) d += wd * pi;                                                      \
      if (use_mom) {                                                                    \
        double b = first ? d : mom * (double)buf[i] + damp * d;                         \
        buf[i] = (T)b;                                                                  \
        b = (double)buf[i];                                                             \
        d = nesterov ? d + mom * b : b;                                                 \
      }                                                                                 \
      p[i] = (T)(pi - lr * d);                                                          \
    }                                                                                   \
  } while (0)

int mien_cpu_sgd_update(const mien_sgd_opts *o, mien_dtype dtype, int count, const mien_optim_slot *slots) {
  for (int k = 0; k < count; k++) {
    const mien_optim_slot *sl = &slots[k];
    const int64_t n = sl->numel;
    if (dtype == MIEN_FLOAT32) SGD_LOOP(float);
    else SGD_LOOP(double);
  }
  return 0;
}

#define ADAM_LOOP(T)                                                                    \
  do {                                                                                  \
    T *p = sl->param, *m = sl->state[0], *v = sl->state[1], *vmax = sl->state[2]; \
    const T *gr = sl->grad;                                                            \
    _Pragma("omp parallel for schedule(static) if (n >= OPTIM_PAR_MIN)")               \
    for (int64_t i = 0; i < n; i++) {                                                   \
      double pi = (double)p[i];                                                         \
      double d = (double)gr[i];                                                         \
      if (decoupled) pi *= decay;                                                       \
      else if (wd != 0.0) d += wd * pi;                                                 \
      double mi = b1 * (double)m[i] + (1.0 - b1) * d;                                   \
      double vi = b2 * (double)v[i] + (1.0 - b2) * d * d;                               \
      m[i] = (T)mi;                                                                     \
      v[i] = (T)vi;                                                                     \
      mi = (double)m[i];                                                                \
      vi = (double)v[i];                                                                \
      double vu = vi;                                                                   \
      if (amsgrad) {                                                                    \
        double vm = (double)vmax[i];                                                    \
        if (vi > vm) vm = vi;                                                           \
        vmax[i] = (T)vm;                                                                \
        vu = vm;                                                                        \
      }                                                                                 \
      double denom = sqrt(vu) / sqrt_bc2 + eps;                                         \
      p[i] = (T)(pi - step_size * mi / denom);                                          \
    }                                                                                   \
  } while (0)

int mien_cpu_adam_update(const mien_adam_opts *o, mien_dtype dtype, int count, const mien_optim_slot *slots) {
  const double b1 = o->beta1, b2 = o->beta2, eps = o->eps, wd = o->weight_decay;
  const double bc1 = 1.0 - pow(b1, (double)o->step), bc2 = 1.0 - pow(b2, (double)o->step);
  const double step_size = o->lr / bc1, sqrt_bc2 = sqrt(bc2);
  const double decay = 1.0 - o->lr * wd;
  const bool decoupled = o->decoupled, amsgrad = o->amsgrad;
  for (int k = 0; k < count; k++) {
    const mien_optim_slot *sl = &slots[k];
    const int64_t n = sl->numel;
    if (dtype == MIEN_FLOAT32) ADAM_LOOP(float);
    else ADAM_LOOP(double);
  }
  return 0;
}

#define RMSPROP_LOOP(T)                                                                 \
  do {                                                                                  \
    T *p = sl->param, *sq = sl->state[0], *ga = sl->state[1], *buf = sl->state[2]; \
    const T *gr = sl->grad;                                                            \
    _Pragma("omp parallel for schedule(static) if (n >= OPTIM_PAR_MIN)")               \
    for (int64_t i = 0; i < n; i++) {                                                   \
      double pi = (double)p[i];                                                         \
      double d = (double)gr[i];                                                         \
      if (wd != 0.0) d += wd * pi;                                                      \
      double s = alpha * (double)sq[i] + (1.0 - alpha) * d * d;                         \
      sq[i] = (T)s;                                                                     \
      s = (double)sq[i];                                                                \
      double avg;                                                                       \
      if (centered) {                                                                   \
        double a = alpha * (double)ga[i] + (1.0 - alpha) * d;                           \
        ga[i] = (T)a;                                                                   \
        a = (double)ga[i];                                                              \
        avg = sqrt(s - a * a) + eps;                                                    \
      } else {                                                                          \
        avg = sqrt(s) + eps;                                                            \
      }                                                                                 \
      if (use_mom) {                                                                    \
        double b = mom * (double)buf[i] + d / avg;                                      \
        buf[i] = (T)b;                                                                  \
        b = (double)buf[i];                                                             \
        p[i] = (T)(pi - lr * b);                                                        \
      } else {                                                                          \
        p[i] = (T)(pi - lr * d / avg);                                                  \
      }                                                                                 \
    }                                                                                   \
  } while (0)

int mien_cpu_rmsprop_update(const mien_rmsprop_opts *o, mien_dtype dtype, int count, const mien_optim_slot *slots) {
  const double lr = o->lr, alpha = o->alpha, eps = o->eps, wd = o->weight_decay, mom = o->momentum;
  const bool centered = o->centered, use_mom = o->momentum > 0.0;
  for (int k = 0; k < count; k++) {
    const mien_optim_slot *sl = &slots[k];
    const int64_t n = sl->numel;
    if (dtype == MIEN_FLOAT32) RMSPROP_LOOP(float);
    else RMSPROP_LOOP(double);
  }
  return 0;
}

/* Fixed-size blocks summed in parallel, then the block sums in order: the
 * result does not depend on the number of threads. */
#define SUMSQ_BLOCK 4096

#define SUMSQ(T)                                                                        \
  do {                                                                                  \
    const T *x = (const T *)in->data;                                           \
    _Pragma("omp parallel for schedule(static) if (nblocks > 4)")                      \
    for (int64_t b = 0; b < nblocks; b++) {                                             \
      int64_t lo = b * SUMSQ_BLOCK, hi = lo + SUMSQ_BLOCK < n ? lo + SUMSQ_BLOCK : n;   \
      double s = 0.0;                                                                   \
      for (int64_t i = lo; i < hi; i++) s += (double)x[i] * (double)x[i];               \
      partial[b] = s;                                                                   \
    }                                                                                   \
  } while (0)

int mien_cpu_sum_squares(const mien_strided *in, double *host_out) {
  int64_t n = mien_cpu_numel(in), nblocks = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
  if (!mien_cpu_is_contiguous(in)) return mien_cpu_error("sum_squares: the cpu kernel needs a contiguous tensor");
  double *partial = malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof *partial);
  if (!partial) return mien_cpu_error("sum_squares: out of memory");
  if (in->dtype == MIEN_FLOAT32) SUMSQ(float);
  else SUMSQ(double);
  double s = 0.0;
  for (int64_t b = 0; b < nblocks; b++) s += partial[b];
  free(partial);
  *host_out = s;
  return 0;
}
