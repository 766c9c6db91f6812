/* The CPU backend's table: memory from the block cache, and each entry a
 * thin dtype dispatch onto the CPU kernels (the same kernels the ops called
 * directly before the table existed, so the same speed). */
#include "cpu/kernels.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cpu/batchnorm.h"
#include "cpu/bf16_compute.h"
#include "cpu/bf16_storage.h"
#include "cpu/cpu_features.h"
#include "cpu/cache.h"
#include "cpu/conv2d.h"
#include "cpu/conv2d_fused.h"
#include "cpu/gemm.h"
#include "cpu/pool2d.h"
#include "image/augment.h"
#include "image/transform.h"

static mien_backend cpu;

int mien_cpu_error(const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return cpu.host->error("%s", msg);
}

int64_t mien_cpu_numel(const mien_strided *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

bool mien_cpu_is_contiguous(const mien_strided *t) {
  int64_t s = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->shape[d] != 1 && t->stride[d] != s) return false;
    s *= t->shape[d];
  }
  return true;
}

/* --- memory --- */

static void *cpu_alloc(size_t nbytes, bool zero) { return mien_cpu_alloc(nbytes, zero); }
static void cpu_free(void *p, size_t nbytes) { mien_cpu_free(p, nbytes); }
static int cpu_copy(void *dst, const void *src, size_t nbytes) {
  if (nbytes) memmove(dst, src, nbytes);
  return 0;
}

/* --- float32 / float64 dispatch onto the typed kernels --- */

static int float_only(mien_dtype dt, const char *op) {
  if (dt == MIEN_FLOAT32 || dt == MIEN_FLOAT64) return 0;
  return mien_cpu_error("%s: the cpu kernel takes float32 or float64, not %s", op, mien_dtype_name(dt));
}

#define FLOAT_CALL(DT, OP, F32, F64) \
  (float_only((DT), (OP)) != 0 ? -1 : (DT) == MIEN_FLOAT32 ? (F32) : (F64))

static int cpu_gemm(mien_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A,
                    int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
  if (float_only(dt, "gemm") != 0) return -1;
  if (dt == MIEN_FLOAT32) mien_gemm_f32(ta, tb, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc);
  else mien_gemm_f64(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  return 0;
}

static int cpu_gemm_batched(mien_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                            const void *A, int64_t lda, int64_t sa, const void *B, int64_t ldb, int64_t sb, double beta,
                            void *C, int64_t ldc, int64_t sc, int64_t batch) {
  if (float_only(dt, "gemm_batched") != 0) return -1;
  const size_t es = mien_dtype_size(dt);
  for (int64_t i = 0; i < batch; i++)
    cpu_gemm(dt, ta, tb, M, N, K, alpha, (const char *)A + (size_t)(i * sa) * es, lda,
             (const char *)B + (size_t)(i * sb) * es, ldb, beta, (char *)C + (size_t)(i * sc) * es, ldc);
  return 0;
}

static int conv_fwd(const mien_conv2d_params *p, mien_dtype dt, const void *x, const void *w, const void *b, void *y) {
  return FLOAT_CALL(dt, "conv2d", mien_conv2d_forward_f32(p, x, w, b, y), mien_conv2d_forward_f64(p, x, w, b, y));
}
static int conv_bwd_in(const mien_conv2d_params *p, mien_dtype dt, const void *dy, const void *w, void *dx) {
  return FLOAT_CALL(dt, "conv2d", mien_conv2d_backward_input_f32(p, dy, w, dx),
                    mien_conv2d_backward_input_f64(p, dy, w, dx));
}
static int conv_bwd_w(const mien_conv2d_params *p, mien_dtype dt, const void *x, const void *dy, void *dw) {
  return FLOAT_CALL(dt, "conv2d", mien_conv2d_backward_weight_f32(p, x, dy, dw),
                    mien_conv2d_backward_weight_f64(p, x, dy, dw));
}
static int conv_bwd_b(const mien_conv2d_params *p, mien_dtype dt, const void *dy, void *db) {
  return FLOAT_CALL(dt, "conv2d", mien_conv2d_backward_bias_f32(p, dy, db), mien_conv2d_backward_bias_f64(p, dy, db));
}

static int conv_fused(const mien_conv2d_params *p, mien_dtype dt, const void *x, const void *w, const void *b,
                      int epilogue, void *y) {
  return FLOAT_CALL(dt, "conv2d_fused", mien_conv2d_forward_fused_f32(p, x, w, b, epilogue, y),
                    mien_conv2d_forward_fused_f64(p, x, w, b, epilogue, y));
}

static int maxpool_fwd(const mien_pool2d_params *p, mien_dtype dt, const void *x, void *y, int64_t *idx) {
  return FLOAT_CALL(dt, "max_pool2d", mien_max_pool2d_forward_f32(p, x, y, idx),
                    mien_max_pool2d_forward_f64(p, x, y, idx));
}
static int maxpool_bwd(const mien_pool2d_params *p, mien_dtype dt, const void *dy, const int64_t *idx, void *dx) {
  return FLOAT_CALL(dt, "max_pool2d", mien_max_pool2d_backward_f32(p, dy, idx, dx),
                    mien_max_pool2d_backward_f64(p, dy, idx, dx));
}
static int avgpool_fwd(const mien_pool2d_params *p, mien_dtype dt, const void *x, void *y) {
  return FLOAT_CALL(dt, "avg_pool2d", mien_avg_pool2d_forward_f32(p, x, y), mien_avg_pool2d_forward_f64(p, x, y));
}
static int avgpool_bwd(const mien_pool2d_params *p, mien_dtype dt, const void *dy, void *dx) {
  return FLOAT_CALL(dt, "avg_pool2d", mien_avg_pool2d_backward_f32(p, dy, dx), mien_avg_pool2d_backward_f64(p, dy, dx));
}

static int bn_fwd_train(const mien_batchnorm_params *p, mien_dtype dt, const void *x, const void *g, const void *b,
                        void *rm, void *rv, void *sm, void *si, void *y) {
  return FLOAT_CALL(dt, "batch_norm", mien_batchnorm_forward_train_f32(p, x, g, b, rm, rv, sm, si, y),
                    mien_batchnorm_forward_train_f64(p, x, g, b, rm, rv, sm, si, y));
}
static int bn_fwd_eval(const mien_batchnorm_params *p, mien_dtype dt, const void *x, const void *g, const void *b,
                       const void *rm, const void *rv, void *y) {
  return FLOAT_CALL(dt, "batch_norm", mien_batchnorm_forward_eval_f32(p, x, g, b, rm, rv, y),
                    mien_batchnorm_forward_eval_f64(p, x, g, b, rm, rv, y));
}
static int bn_bwd_train(const mien_batchnorm_params *p, mien_dtype dt, const void *x, const void *dy, const void *g,
                        const void *sm, const void *si, void *dx, void *dg, void *db) {
  return FLOAT_CALL(dt, "batch_norm", mien_batchnorm_backward_train_f32(p, x, dy, g, sm, si, dx, dg, db),
                    mien_batchnorm_backward_train_f64(p, x, dy, g, sm, si, dx, dg, db));
}
static int bn_bwd_eval(const mien_batchnorm_params *p, mien_dtype dt, const void *x, const void *dy, const void *g,
                       const void *rm, const void *rv, void *dx, void *dg, void *db) {
  return FLOAT_CALL(dt, "batch_norm", mien_batchnorm_backward_eval_f32(p, x, dy, g, rm, rv, dx, dg, db),
                    mien_batchnorm_backward_eval_f64(p, x, dy, g, rm, rv, dx, dg, db));
}

static int cpu_resize(mien_dtype dt, const void *src, int sh, int sw, int c, void *dst, int dh, int dw,
                      mien_resize_mode mode) {
  if (dt == MIEN_UINT8) return mien_resize_u8(src, sh, sw, c, dst, dh, dw, mode);
  if (dt == MIEN_FLOAT32) return mien_resize_f32(src, sh, sw, c, dst, dh, dw, mode);
  return mien_cpu_error("resize: the cpu kernel takes uint8 or float32, not %s", mien_dtype_name(dt));
}

static mien_backend cpu = {
    .type = MIEN_DEVICE_CPU,
    .name = "cpu",
    .device_count = 1,
    .alloc = cpu_alloc,
    .free = cpu_free,
    .copy = cpu_copy,
    .copy_to_host = cpu_copy,
    .copy_from_host = cpu_copy,
    .copy_strided = mien_cpu_copy_strided,
    .fill = mien_cpu_fill,
    .arange = mien_cpu_arange_guarded, /* bf16: refused */
    .binary = mien_cpu_binary_guarded, /* bf16: refused */
    .unary = mien_cpu_unary_guarded, /* bf16: refused */
    .where = mien_cpu_where_guarded, /* bf16: refused */
    .masked_grad = mien_cpu_masked_grad_guarded, /* bf16: refused */
    .axpy = mien_cpu_axpy_guarded, /* bf16: refused */
    .reduce = mien_cpu_reduce_guarded, /* bf16: refused */
    .arg_reduce = mien_cpu_arg_reduce_guarded, /* bf16: refused */
    .sum_squares = mien_cpu_sum_squares_guarded, /* bf16: refused */
    .gemm = cpu_gemm,
    .gemm_batched = cpu_gemm_batched,
    .conv2d_forward = conv_fwd,
    .conv2d_backward_input = conv_bwd_in,
    .conv2d_backward_weight = conv_bwd_w,
    .conv2d_backward_bias = conv_bwd_b,
    .conv2d_forward_fused = conv_fused,
    .max_pool2d_forward = maxpool_fwd,
    .max_pool2d_backward = maxpool_bwd,
    .avg_pool2d_forward = avgpool_fwd,
    .avg_pool2d_backward = avgpool_bwd,
    .batchnorm_forward_train = bn_fwd_train,
    .batchnorm_forward_eval = bn_fwd_eval,
    .batchnorm_backward_train = bn_bwd_train,
    .batchnorm_backward_eval = bn_bwd_eval,
    .softmax_forward = mien_cpu_softmax_forward,
    .softmax_backward = mien_cpu_softmax_backward,
    .cross_entropy_forward = mien_cpu_cross_entropy_forward,
    .cross_entropy_backward = mien_cpu_cross_entropy_backward,
    .uniform = mien_cpu_uniform_guarded, /* bf16: refused */
    .normal = mien_cpu_normal_guarded, /* bf16: refused */
    .bernoulli = mien_cpu_bernoulli_guarded, /* bf16: refused */
    .dropout = mien_cpu_dropout,
    .index_select = mien_cpu_index_select_guarded, /* bf16: refused */
    .index_add = mien_cpu_index_add_guarded, /* bf16: refused */
    .gather = mien_cpu_gather_guarded, /* bf16: refused */
    .scatter_add = mien_cpu_scatter_add_guarded, /* bf16: refused */
    .cat = mien_cpu_cat_guarded, /* bf16: refused */
    .sgd_update = mien_cpu_sgd_update,
    .adam_update = mien_cpu_adam_update,
    .rmsprop_update = mien_cpu_rmsprop_update,
    .resize = cpu_resize,
    .warp_affine = mien_warp_affine_u8,
    .augment_batch = mien_augment_batch,
    /* bf16 compute (bf16_compute.c) */
    .gemm_bf16 = mien_cpu_gemm_bf16,
    .conv2d_forward_bf16 = mien_cpu_conv2d_forward_bf16,
    .conv2d_backward_input_bf16 = mien_cpu_conv2d_backward_input_bf16,
    .conv2d_backward_weight_bf16 = mien_cpu_conv2d_backward_weight_bf16,
    .bf16_path = mien_cpu_bf16_path,
};

int mien_cpu_backend_register(void) { return mien_backend_register(&cpu); }
