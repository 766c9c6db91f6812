/* Differentiable neural-network ops (NCHW). Composite ops are built from
 * the differentiable tensor ops; conv, pooling and batch norm have their
 * own kernels and backward functions. Class indices are 0-based here. */
#ifndef MIEN_NN_H
#define MIEN_NN_H

#include "tensor.h"

typedef enum mien_reduction { MIEN_REDUCE_NONE, MIEN_REDUCE_MEAN, MIEN_REDUCE_SUM } mien_reduction;

typedef struct mien_conv2d_opts {
  int64_t stride[2], padding[2], dilation[2], groups;
} mien_conv2d_opts;

typedef struct mien_pool2d_opts {
  int64_t kernel[2], stride[2], padding[2];
  bool ceil_mode, count_include_pad;
} mien_pool2d_opts;

mien_tensor *mien_linear(mien_tensor *x, mien_tensor *w, mien_tensor *b /*nullable*/);
mien_tensor *mien_conv2d(mien_tensor *x, mien_tensor *w, mien_tensor *b, const mien_conv2d_opts *o);
/* Inference only (no autograd; refuses inputs requiring grad in grad mode): conv2d, then ReLU when relu, then a
 * 2x2 stride-2 max-pool when pool, in one pass on the CPU (core/ops/conv2d_fused.c). */
mien_tensor *mien_conv2d_fused(mien_tensor *x, mien_tensor *w, mien_tensor *b, const mien_conv2d_opts *o, bool relu,
                               bool pool);
mien_tensor *mien_max_pool2d(mien_tensor *x, const mien_pool2d_opts *o);
mien_tensor *mien_avg_pool2d(mien_tensor *x, const mien_pool2d_opts *o);
mien_tensor *mien_global_avg_pool2d(mien_tensor *x); /* [N,C,H,W] -> [N,C] */
/* running_mean/var are updated in place when training (nullable). */
mien_tensor *mien_batch_norm(mien_tensor *x, mien_tensor *running_mean, mien_tensor *running_var, mien_tensor *weight,
                             mien_tensor *bias, bool training, double momentum, double eps);
mien_tensor *mien_dropout(mien_tensor *x, double p, bool training);
mien_tensor *mien_prelu(mien_tensor *x, mien_tensor *weight); /* weight [C] or [1], C = dim 1 */
mien_tensor *mien_softmax(mien_tensor *x, int dim);
mien_tensor *mien_log_softmax(mien_tensor *x, int dim);
mien_tensor *mien_cross_entropy(mien_tensor *logits, const mien_tensor *target, mien_tensor *weight,
                                double label_smoothing, mien_reduction reduction);
/* Cross-entropy against target distributions [N,C] (soft targets; nn_soft_target.c). */
mien_tensor *mien_cross_entropy_soft(mien_tensor *logits, mien_tensor *target, mien_tensor *weight,
                                     double label_smoothing, mien_reduction reduction);
mien_tensor *mien_bce_with_logits(mien_tensor *logits, mien_tensor *target, mien_tensor *pos_weight,
                                  mien_reduction reduction);
mien_tensor *mien_mse(mien_tensor *a, mien_tensor *b, mien_reduction reduction);
/* Constant padding of the last dims: pad = {left, right, top, bottom, ...}. */
mien_tensor *mien_pad(mien_tensor *x, int npad, const int64_t *pad, double value);

#endif
