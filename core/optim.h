/* Fused, in-place optimizer updates. Each call updates one parameter (or, the
 * _many forms, n parameters) and its state tensors in a single pass over
 * memory (OpenMP over chunks, vectorised). All
 * tensors of one call must be CPU, contiguous, of the same float dtype
 * (float32 or float64) and the same number of elements; arithmetic is done
 * in double. No autograd is recorded. Return 0, or -1 with mien_last_error(). */
#ifndef MIEN_OPTIM_H
#define MIEN_OPTIM_H

#include <stdbool.h>

#include "tensor.h"

/* SGD (PyTorch semantics):
 *   g = grad + weight_decay * p
 *   momentum != 0:  buf = first ? g : momentum * buf + (1 - dampening) * g
 *                   g   = nesterov ? g + momentum * buf : buf
 *   p -= lr * g
 * momentum_buf may be NULL when momentum == 0. */
/* mien_sgd_opts: backend.h */
int mien_sgd_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *momentum_buf, const mien_sgd_opts *o);

/* Adam / AdamW with bias correction; step is the 1-based count after this
 * update.
 *   decoupled (AdamW): p *= 1 - lr * weight_decay;   else g = grad + weight_decay * p
 *   m = beta1 * m + (1 - beta1) * g;   v = beta2 * v + (1 - beta2) * g^2
 *   amsgrad: vmax = max(vmax, v), used instead of v below
 *   p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
 * max_exp_avg_sq may be NULL unless amsgrad. */
/* mien_adam_opts: backend.h */
int mien_adam_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *exp_avg, mien_tensor *exp_avg_sq,
                     mien_tensor *max_exp_avg_sq, const mien_adam_opts *o);

/* RMSProp (PyTorch semantics):
 *   g = grad + weight_decay * p;   sq = alpha * sq + (1 - alpha) * g^2
 *   centered: ga = alpha * ga + (1 - alpha) * g;  avg = sqrt(sq - ga^2) + eps
 *   else avg = sqrt(sq) + eps
 *   momentum > 0: buf = momentum * buf + g / avg;  p -= lr * buf
 *   else p -= lr * g / avg
 * grad_avg may be NULL unless centered, momentum_buf unless momentum > 0. */
/* mien_rmsprop_opts: backend.h */
int mien_rmsprop_update(mien_tensor *param, const mien_tensor *grad, mien_tensor *square_avg, mien_tensor *grad_avg,
                        mien_tensor *momentum_buf, const mien_rmsprop_opts *o);

/* The same updates for n parameters in one call (multi-tensor: one pass
 * over each, the chunks of all of them shared out to the threads), with the
 * same hyper-parameters (and, for Adam, the same step). params[i] pairs with
 * grads[i] and the i-th entry of each state array; a state array may be NULL
 * where that state is optional (as above), and so may its entries. All
 * parameters of one call are on one device and of one dtype. An error names
 * the parameter: "parameter #2: adam: exp_avg has shape ...". */
int mien_sgd_update_many(int n, mien_tensor *const *params, mien_tensor *const *grads, mien_tensor *const *momentum_bufs,
                         const mien_sgd_opts *o);
int mien_adam_update_many(int n, mien_tensor *const *params, mien_tensor *const *grads, mien_tensor *const *exp_avgs,
                          mien_tensor *const *exp_avg_sqs, mien_tensor *const *max_exp_avg_sqs, const mien_adam_opts *o);
int mien_rmsprop_update_many(int n, mien_tensor *const *params, mien_tensor *const *grads,
                             mien_tensor *const *square_avgs, mien_tensor *const *grad_avgs,
                             mien_tensor *const *momentum_bufs, const mien_rmsprop_opts *o);

/* Sum of squares of a float tensor (any layout), accumulated in double. */
int mien_sum_squares(const mien_tensor *t, double *out);
/* In-place clamp of a contiguous float tensor to [lo, hi]. */
int mien_clamp_(mien_tensor *t, double lo, double hi);

#endif
