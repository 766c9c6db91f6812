/* The op layer of the fused optimizer updates: it checks the tensors once
 * and hands them to the backend's sgd/adam/rmsprop entries as slots. */
#include "optim.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "autograd.h"
#include "error.h"

/* Checks one tensor of an update: on the parameter's device, contiguous, of
 * the parameter's dtype and element count. NULL is allowed (optional state) when `optional`. */
static int check_tensor(const char *op, const char *what, const mien_tensor *t, const mien_tensor *param, bool optional) {
  if (!t) {
    if (optional) return 0;
    mien_set_error("%s: %s is missing", op, what);
    return -1;
  }
  if (mien_tensor_device(t) != mien_tensor_device(param)) {
    char a[32], b[32];
    mien_set_error("%s: %s is on %s, the parameter on %s", op, what, mien_device_str(mien_tensor_device(t), a, sizeof a),
                   mien_device_str(mien_tensor_device(param), b, sizeof b));
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
  if (mien_check_same_device(grad, param, op) != 0) return NULL;
  if (grad->dtype == param->dtype && mien_is_contiguous(grad)) return mien_retain((mien_tensor *)grad);
  bool was = mien_set_grad_enabled(false);
  mien_tensor *out = mien_empty(param->ndim, param->shape, param->dtype, mien_tensor_device(param));
  mien_tensor *src = out ? mien_reshape((mien_tensor *)grad, param->ndim, param->shape) : NULL;
  if (!src || mien_copy_(out, src) != 0) {
    mien_release(out);
    out = NULL;
  }
  mien_release(src);
  mien_set_grad_enabled(was);
  return out;
}

/* The checks every update shares: the parameter and its state tensors (state
 * k must be there when need[k], and may be NULL otherwise), the gradient made
 * contiguous in the parameter's dtype. Fills the slot and returns the
 * gradient to release after the update, or NULL with the error set. */
static mien_tensor *prepare_slot(const char *op, mien_tensor *param, const mien_tensor *grad, mien_tensor *const state[3],
                                 const char *const names[3], const bool need[3], mien_optim_slot *slot) {
  if (check_tensor(op, "the parameter", param, param, false) != 0) return NULL;
  for (int k = 0; k < 3; k++)
    if (names[k] && check_tensor(op, names[k], state[k], param, !need[k]) != 0) return NULL;
  mien_tensor *g = prepare_grad(op, grad, param);
  if (!g) return NULL;
  slot->param = mien_data_ptr(param);
  slot->grad = mien_data_ptr(g);
  for (int k = 0; k < 3; k++) slot->state[k] = state[k] ? mien_data_ptr(state[k]) : NULL;
  slot->numel = mien_numel(param);
  return g;
}

/* Fills slots[0..n) for one update of n parameters: every parameter on the
 * first one's device and of its dtype, each with its state (state[k][i] must
 * be there when need[k]; a NULL state[k] array means none). The gradients
 * made contiguous go to grads_out[i] (release them after the update).
 * Returns 0, or -1 with the error set (naming the parameter when n > 1). */
static int prepare_slots(const char *op, int n, mien_tensor *const *params, mien_tensor *const *grads,
                         mien_tensor *const *const state[3], const char *const names[3], const bool need[3],
                         mien_optim_slot *slots, mien_tensor **grads_out) {
  for (int i = 0; i < n; i++) grads_out[i] = NULL;
  for (int i = 0; i < n; i++) {
    mien_tensor *param = params[i];
    if (!param) {
      mien_set_error("%s: parameter #%d is missing", op, i);
      return -1;
    }
    if (i > 0 && (mien_tensor_device(param) != mien_tensor_device(params[0]) || param->dtype != params[0]->dtype)) {
      char a[32], b[32];
      mien_set_error("%s: parameter #%d is %s on %s, parameter #0 %s on %s: one update takes one dtype and device", op,
                     i, mien_dtype_name(param->dtype), mien_device_str(mien_tensor_device(param), a, sizeof a),
                     mien_dtype_name(params[0]->dtype), mien_device_str(mien_tensor_device(params[0]), b, sizeof b));
      return -1;
    }
    mien_tensor *st[3];
    for (int k = 0; k < 3; k++) st[k] = state[k] ? state[k][i] : NULL;
    grads_out[i] = prepare_slot(op, param, grads[i], st, names, need, &slots[i]);
    if (!grads_out[i]) {
      if (n > 1) {
        char msg[512];
        snprintf(msg, sizeof msg, "%s", mien_last_error());
        mien_set_error("parameter #%d: %s", i, msg);
      }
      return -1;
    }
  }
  return 0;
}

/* Runs one backend update over n parameters: the shared body of the entries below. */
typedef int (*update_fn)(const mien_backend *be, const void *opts, mien_dtype dtype, int n, const mien_optim_slot *slots);

static int run_update(const char *op, size_t entry, update_fn call, const void *opts, int n, mien_tensor *const *params,
                      mien_tensor *const *grads, mien_tensor *const *const state[3], const char *const names[3],
                      const bool need[3]) {
  if (n < 0) {
    mien_set_error("%s: %d parameters", op, n);
    return -1;
  }
  if (n == 0) return 0;
  if (!params[0]) {
    mien_set_error("%s: parameter #0 is missing", op);
    return -1;
  }
  const mien_backend *be = mien_backend_need(mien_tensor_device(params[0]), entry, op);
  if (!be) return -1;
  mien_optim_slot *slots = malloc(sizeof *slots * (size_t)n);
  mien_tensor **g = malloc(sizeof *g * (size_t)n);
  int rc = -1;
  if (!slots || !g) mien_set_error("%s: out of memory for %d parameters", op, n);
  else if (prepare_slots(op, n, params, grads, state, names, need, slots, g) == 0)
    rc = call(be, opts, params[0]->dtype, n, slots);
  for (int i = 0; g && i < n; i++) mien_release(g[i]);
  free(slots);
  free(g);
  return rc;
}

static int call_sgd(const mien_backend *be, const void *o, mien_dtype dt, int n, const mien_optim_slot *s) {
  return be->sgd_update(o, dt, n, s);
}
static int call_adam(const mien_backend *be, const void *o, mien_dtype dt, int n, const mien_optim_slot *s) {
  return be->adam_update(o, dt, n, s);
}
static int call_rmsprop(const mien_backend *be, const void *o, mien_dtype dt, int n, const mien_optim_slot *s) {
  return be->rmsprop_update(o, dt, n, s);
}

int mien_sgd_update_many(int n, mien_tensor *const *params, mien_tensor *const *grads, mien_tensor *const *momentum_bufs,
                         const mien_sgd_opts *o) {
  if (o->nesterov && (o->momentum <= 0.0 || o->dampening != 0.0)) {
    mien_set_error("sgd: nesterov momentum needs momentum > 0 and dampening = 0");
    return -1;
  }
  mien_tensor *const *const state[3] = {momentum_bufs, NULL, NULL};
  static const char *const names[3] = {"the momentum buffer", NULL, NULL};
  const bool need[3] = {o->momentum != 0.0, false, false};
  return run_update("sgd", offsetof(mien_backend, sgd_update), call_sgd, o, n, params, grads, state, names, need);
}

int mien_adam_update_many(int n, mien_tensor *const *params, mien_tensor *const *grads, mien_tensor *const *exp_avgs,
                          mien_tensor *const *exp_avg_sqs, mien_tensor *const *max_exp_avg_sqs, const mien_adam_opts *o) {
  const char *op = o->decoupled ? "adamw" : "adam";
  if (o->step < 1) {
    mien_set_error("%s: step must be >= 1, got %lld", op, o->step);
    return -1;
  }
  mien_tensor *const *const state[3] = {exp_avgs, exp_avg_sqs, max_exp_avg_sqs};
  static const char *const names[3] = {"exp_avg", "exp_avg_sq", "max_exp_avg_sq"};
  const bool need[3] = {true, true, o->amsgrad};
  return run_update(op, offsetof(mien_backend, adam_update), call_adam, o, n, params, grads, state, names, need);
}

int mien_rmsprop_update_many(int n, mien_tensor *const *params, mien_tensor *const *grads,
                             mien_tensor *const *square_avgs, mien_tensor *const *grad_avgs,
                             mien_tensor *const *momentum_bufs, const mien_rmsprop_opts *o) {
  mien_tensor *const *const state[3] = {square_avgs, grad_avgs, momentum_bufs};
  static const char *const names[3] = {"square_avg", "grad_avg", "the momentum buffer"};
  const bool need[3] = {true, o->centered, o->momentum > 0.0};
  return run_update("rmsprop", offsetof(mien_backend, rmsprop_update), call_rmsprop, o, n, params, grads, state, names,
                    need);
}

int mien_sgd_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *momentum_buf, const mien_sgd_opts *o) {
  mien_tensor *g = (mien_tensor *)grad;
  return mien_sgd_update_many(1, &param, &g, momentum_buf ? &momentum_buf : NULL, o);
}

int mien_adam_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *exp_avg, mien_tensor *exp_avg_sq,
                     mien_tensor *max_exp_avg_sq, const mien_adam_opts *o) {
  mien_tensor *g = (mien_tensor *)grad;
  return mien_adam_update_many(1, &param, &g, &exp_avg, &exp_avg_sq, max_exp_avg_sq ? &max_exp_avg_sq : NULL, o);
}

int mien_rmsprop_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *square_avg, mien_tensor *grad_avg,
                        mien_tensor *momentum_buf, const mien_rmsprop_opts *o) {
  mien_tensor *g = (mien_tensor *)grad;
  return mien_rmsprop_update_many(1, &param, &g, &square_avg, grad_avg ? &grad_avg : NULL,
                                  momentum_buf ? &momentum_buf : NULL, o);
}

/* ---- helpers for gradient clipping ---- */

int mien_sum_squares(const mien_tensor *t, double *out) {
  if (t->dtype != MIEN_FLOAT32 && t->dtype != MIEN_FLOAT64) {
    mien_set_error("sum_squares: needs a float32 or float64 tensor, got %s", mien_dtype_name(t->dtype));
    return -1;
  }
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(t), sum_squares, "sum_squares");
  if (!be) return -1;
  bool was = mien_set_grad_enabled(false);
  mien_tensor *c = mien_contiguous((mien_tensor *)t);
  mien_set_grad_enabled(was);
  if (!c) return -1;
  mien_strided d = mien_strided_of(c);
  int rc = be->sum_squares(&d, out);
  mien_release(c);
  return rc;
}

int mien_clamp_(mien_tensor *t, double lo, double hi) {
  if (check_tensor("clamp_", "the tensor", t, t, false) != 0) return -1;
  if (!(lo <= hi)) {
    mien_set_error("clamp_: lower bound %g is above the upper bound %g", lo, hi);
    return -1;
  }
  const mien_backend *be = MIEN_BACKEND_NEED(mien_tensor_device(t), unary, "clamp_");
  if (!be) return -1;
  mien_strided d = mien_strided_of(t);
  return be->unary(MIEN_CLAMP, &d, &d, lo, hi);
}
