/* Fused optimizer updates: one loop over the elements of a parameter reads
 * its gradient and state, and writes the new state and parameter. */
#include "optim.h"

#include <math.h>
#include <stdlib.h>

#include "autograd.h"
#include "error.h"

/* Below this many elements a loop is not worth the threads. */
#define OPTIM_PAR_MIN 16384

/* Checks one tensor of an update: CPU, contiguous, the parameter's dtype and
 * element count. NULL is allowed (optional state) when `optional`. */
static int check_tensor(const char *op, const char *what, const mien_tensor *t, const mien_tensor *param, bool optional) {
  if (!t) {
    if (optional) return 0;
    mien_set_error("%s: %s is missing", op, what);
    return -1;
  }
  if (mien_tensor_device(t) != MIEN_CPU) {
    mien_set_error("%s: %s is on %s; the fused updates run on the cpu", op, what, mien_device_name(mien_tensor_device(t)));
    return -1;
  }
  if (t->dtype != MIEN_FLOAT32 && t->dtype != MIEN_FLOAT64) {
    mien_set_error("%s: %s is %s, expected float32 or float64", op, what, mien_dtype_name(t->dtype));
    return -1;
  }
  if (t->dtype != param->dtype) {
    mien_set_error("%s: %s is %s but the parameter is %s", op, what, mien_dtype_name(t->dtype),
                   mien_dtype_name(param->dtype));
    return -1;
  }
  if (mien_numel(t) != mien_numel(param)) {
    char a[128], b[128];
    mien_set_error("%s: %s has shape %s, the parameter %s", op, what, mien_shape_str(t, a, sizeof a),
                   mien_shape_str(param, b, sizeof b));
    return -1;
  }
  if (!mien_is_contiguous(t)) {
    mien_set_error("%s: %s is not contiguous", op, what);
    return -1;
  }
  return 0;
}

/* The gradient may come in any layout or float type: a contiguous tensor of
 * the parameter's dtype (a new reference). */
static mien_tensor *prepare_grad(const char *op, const mien_tensor *grad, const mien_tensor *param) {
  if (!grad) {
    mien_set_error("%s: the gradient is missing", op);
    return NULL;
  }
  if (mien_numel(grad) != mien_numel(param)) {
    char a[128], b[128];
    mien_set_error("%s: the gradient has shape %s, the parameter %s", op, mien_shape_str(grad, a, sizeof a),
                   mien_shape_str(param, b, sizeof b));
    return NULL;
  }
  if (mien_tensor_device(grad) != MIEN_CPU) {
    mien_set_error("%s: the gradient is on %s; the fused updates run on the cpu", op,
                   mien_device_name(mien_tensor_device(grad)));
    return NULL;
  }
  if (grad->dtype == param->dtype && mien_is_contiguous(grad)) return mien_retain((mien_tensor *)grad);
  bool was = mien_set_grad_enabled(false);
  mien_tensor *out = mien_empty(param->ndim, param->shape, param->dtype, MIEN_CPU);
  mien_tensor *src = out ? mien_reshape((mien_tensor *)grad, param->ndim, param->shape) : NULL;
  if (!src || mien_copy_(out, src) != 0) {
    mien_release(out);
    out = NULL;
  }
  mien_release(src);
  mien_set_grad_enabled(was);
  return out;
}

#define PTR(T, t) ((t) ? (T *)mien_data_ptr(t) : NULL)

/* ---- SGD ---- */

#define SGD_LOOP(T)                                                                     \
  do {                                                                                  \
    T *p = PTR(T, param), *buf = PTR(T, momentum_buf);                                  \
    const T *gr = PTR(T, g);                                                            \
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

int mien_sgd_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *momentum_buf, const mien_sgd_opts *o) {
  const char *op = "sgd";
  if (check_tensor(op, "the parameter", param, param, false) != 0) return -1;
  if (check_tensor(op, "the momentum buffer", momentum_buf, param, o->momentum == 0.0) != 0) return -1;
  if (o->nesterov && (o->momentum <= 0.0 || o->dampening != 0.0)) {
    mien_set_error("sgd: nesterov momentum needs momentum > 0 and dampening = 0");
    return -1;
  }
  mien_tensor *g = prepare_grad(op, grad, param);
  if (!g) return -1;
  int64_t n = mien_numel(param);
  if (param->dtype == MIEN_FLOAT32) SGD_LOOP(float);
  else SGD_LOOP(double);
  mien_release(g);
  return 0;
}

/* ---- Adam / AdamW ---- */

#define ADAM_LOOP(T)                                                                    \
  do {                                                                                  \
    T *p = PTR(T, param), *m = PTR(T, exp_avg), *v = PTR(T, exp_avg_sq), *vmax = PTR(T, max_exp_avg_sq); \
    const T *gr = PTR(T, g);                                                            \
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

int mien_adam_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *exp_avg, mien_tensor *exp_avg_sq,
                     mien_tensor *max_exp_avg_sq, const mien_adam_opts *o) {
  const char *op = o->decoupled ? "adamw" : "adam";
  if (check_tensor(op, "the parameter", param, param, false) != 0 ||
      check_tensor(op, "exp_avg", exp_avg, param, false) != 0 ||
      check_tensor(op, "exp_avg_sq", exp_avg_sq, param, false) != 0 ||
      check_tensor(op, "max_exp_avg_sq", max_exp_avg_sq, param, !o->amsgrad) != 0)
    return -1;
  if (o->step < 1) {
    mien_set_error("%s: step must be >= 1, got %lld", op, o->step);
    return -1;
  }
  mien_tensor *g = prepare_grad(op, grad, param);
  if (!g) return -1;
  const double b1 = o->beta1, b2 = o->beta2, eps = o->eps, wd = o->weight_decay;
  const double bc1 = 1.0 - pow(b1, (double)o->step), bc2 = 1.0 - pow(b2, (double)o->step);
  const double step_size = o->lr / bc1, sqrt_bc2 = sqrt(bc2);
  const double decay = 1.0 - o->lr * wd;
  const bool decoupled = o->decoupled, amsgrad = o->amsgrad;
  int64_t n = mien_numel(param);
  if (param->dtype == MIEN_FLOAT32) ADAM_LOOP(float);
  else ADAM_LOOP(double);
  mien_release(g);
  return 0;
}

/* ---- RMSProp ---- */

#define RMSPROP_LOOP(T)                                                                 \
  do {                                                                                  \
    T *p = PTR(T, param), *sq = PTR(T, square_avg), *ga = PTR(T, grad_avg), *buf = PTR(T, momentum_buf); \
    const T *gr = PTR(T, g);                                                            \
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

int mien_rmsprop_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *square_avg, mien_tensor *grad_avg,
                        mien_tensor *momentum_buf, const mien_rmsprop_opts *o) {
  const char *op = "rmsprop";
  if (check_tensor(op, "the parameter", param, param, false) != 0 ||
      check_tensor(op, "square_avg", square_avg, param, false) != 0 ||
      check_tensor(op, "grad_avg", grad_avg, param, !o->centered) != 0 ||
      check_tensor(op, "the momentum buffer", momentum_buf, param, !(o->momentum > 0.0)) != 0)
    return -1;
  mien_tensor *g = prepare_grad(op, grad, param);
  if (!g) return -1;
  const double lr = o->lr, alpha = o->alpha, eps = o->eps, wd = o->weight_decay, mom = o->momentum;
  const bool centered = o->centered, use_mom = o->momentum > 0.0;
  int64_t n = mien_numel(param);
  if (param->dtype == MIEN_FLOAT32) RMSPROP_LOOP(float);
  else RMSPROP_LOOP(double);
  mien_release(g);
  return 0;
}

/* ---- helpers for gradient clipping ---- */

/* Fixed-size blocks summed in parallel, then the block sums in order: the
 * result does not depend on the number of threads. */
#define SUMSQ_BLOCK 4096

#define SUMSQ(T)                                                                        \
  do {                                                                                  \
    const T *x = (const T *)mien_data_ptr(c);                                           \
    _Pragma("omp parallel for schedule(static) if (nblocks > 4)")                      \
    for (int64_t b = 0; b < nblocks; b++) {                                             \
      int64_t lo = b * SUMSQ_BLOCK, hi = lo + SUMSQ_BLOCK < n ? lo + SUMSQ_BLOCK : n;   \
      double s = 0.0;                                                                   \
      for (int64_t i = lo; i < hi; i++) s += (double)x[i] * (double)x[i];               \
      partial[b] = s;                                                                   \
    }                                                                                   \
  } while (0)

int mien_sum_squares(const mien_tensor *t, double *out) {
  if (mien_tensor_device(t) != MIEN_CPU || (t->dtype != MIEN_FLOAT32 && t->dtype != MIEN_FLOAT64)) {
    mien_set_error("sum_squares: needs a float32 or float64 cpu tensor");
    return -1;
  }
  bool was = mien_set_grad_enabled(false);
  mien_tensor *c = mien_contiguous((mien_tensor *)t);
  mien_set_grad_enabled(was);
  if (!c) return -1;
  int64_t n = mien_numel(c), nblocks = (n + SUMSQ_BLOCK - 1) / SUMSQ_BLOCK;
  double *partial = malloc((size_t)(nblocks > 0 ? nblocks : 1) * sizeof *partial);
  if (!partial) {
    mien_release(c);
    mien_set_error("sum_squares: out of memory");
    return -1;
  }
  if (c->dtype == MIEN_FLOAT32) SUMSQ(float);
  else SUMSQ(double);
  double s = 0.0;
  for (int64_t b = 0; b < nblocks; b++) s += partial[b];
  free(partial);
  mien_release(c);
  *out = s;
  return 0;
}

#define CLAMP(T)                                                                        \
  do {                                                                                  \
    T *x = (T *)mien_data_ptr(t);                                                       \
    _Pragma("omp parallel for schedule(static) if (n >= OPTIM_PAR_MIN)")               \
    for (int64_t i = 0; i < n; i++) {                                                   \
      double v = (double)x[i];                                                          \
      if (v < lo) v = lo;                                                               \
      if (v > hi) v = hi;                                                               \
      x[i] = (T)v;                                                                      \
    }                                                                                   \
  } while (0)

int mien_clamp_(mien_tensor *t, double lo, double hi) {
  if (check_tensor("clamp_", "the tensor", t, t, false) != 0) return -1;
  if (!(lo <= hi)) {
    mien_set_error("clamp_: lower bound %g is above the upper bound %g", lo, hi);
    return -1;
  }
  int64_t n = mien_numel(t);
  if (t->dtype == MIEN_FLOAT32) CLAMP(float);
  else CLAMP(double);
  return 0;
}
