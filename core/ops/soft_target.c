/* Cross-entropy against a distribution (soft targets such as FER+ vote
 * shares), built from differentiable ops like the other losses:
 *   loss_i = -sum_c w_c t'_ic log softmax(x_i)_c,  t' = (1 - s) t + s / C,
 * the mean dividing by N (as for probability targets elsewhere). */
#include "error.h"
#include "nn.h"

mien_tensor *mien_cross_entropy_soft(mien_tensor *logits, mien_tensor *target, mien_tensor *weight,
                                     double label_smoothing, mien_reduction reduction) {
  char a[128], b[128];
  if (logits->ndim != 2 || !mien_same_shape(logits, target)) {
    mien_set_error("cross_entropy: %s targets %s fit neither as int64 class indices [N] nor as distributions "
                   "shaped like the logits %s",
                   mien_dtype_name(target->dtype), mien_shape_str(target, b, sizeof b),
                   mien_shape_str(logits, a, sizeof a));
    return NULL;
  }
  if (!mien_dtype_is_float(target->dtype)) {
    mien_set_error("cross_entropy: target distributions must be floating point, got %s", mien_dtype_name(target->dtype));
    return NULL;
  }
  int64_t n = logits->shape[0], c = logits->shape[1];
  if (weight && mien_numel(weight) != c) {
    mien_set_error("cross_entropy: %lld class weights for %lld classes", (long long)mien_numel(weight), (long long)c);
    return NULL;
  }
  if (label_smoothing < 0 || label_smoothing > 1) {
    mien_set_error("cross_entropy: label_smoothing %g is outside [0, 1]", label_smoothing);
    return NULL;
  }
  mien_tensor *t[8] = {0};
  int one = 1;
  t[0] = target->dtype == logits->dtype ? mien_retain(target) : mien_to_dtype(target, logits->dtype);
  if (t[0] && label_smoothing > 0) {
    t[1] = mien_binary_scalar(MIEN_MUL, t[0], 1.0 - label_smoothing, false);
    t[2] = t[1] ? mien_binary_scalar(MIEN_ADD, t[1], label_smoothing / (double)c, false) : NULL;
  } else {
    t[2] = t[0] ? mien_retain(t[0]) : NULL;
  }
  t[3] = mien_log_softmax(logits, 1);
  t[4] = t[2] && t[3] ? mien_binary(MIEN_MUL, t[2], t[3]) : NULL; /* [N,C] t' log p */
  t[5] = t[4] && weight ? mien_binary(MIEN_MUL, t[4], weight) : (t[4] ? mien_retain(t[4]) : NULL);
  t[6] = t[5] ? mien_reduce(MIEN_SUM, t[5], 1, &one, false) : NULL; /* [N] */
  t[7] = t[6] ? mien_unary(MIEN_NEG, t[6]) : NULL;
  mien_tensor *out = NULL;
  if (t[7]) {
    if (reduction == MIEN_REDUCE_NONE) {
      out = mien_retain(t[7]);
    } else {
      out = mien_reduce(MIEN_SUM, t[7], 0, NULL, false);
      if (out && reduction == MIEN_REDUCE_MEAN) {
        mien_tensor *sum = out;
        out = mien_binary_scalar(MIEN_DIV, sum, (double)n, false);
        mien_release(sum);
      }
    }
  }
  for (int k = 0; k < 8; k++) mien_release(t[k]);
  return out;
}
