/* The CPU's bf16 entries: the AVX512-BF16 kernels, or the float32 ones. */
#include "cpu/bf16_compute.h"

#include "cpu/conv2d.h"
#include "cpu/conv2d_bf16.h"
#include "cpu/cpu_features.h"
#include "cpu/gemm.h"
#include "cpu/gemm_bf16.h"

static int bf16_kernels(void) { return mien_cpu_has_bf16(); }

int mien_cpu_gemm_bf16(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const float *A, int64_t lda,
                       const float *B, int64_t ldb, double beta, float *C, int64_t ldc) {
  if (bf16_kernels()) mien_gemm_bf16(ta, tb, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc);
  else mien_gemm_f32(ta, tb, M, N, K, (float)alpha, A, lda, B, ldb, (float)beta, C, ldc);
  return 0;
}

int mien_cpu_conv2d_forward_bf16(const mien_conv2d_params *p, const float *x, const float *w, const float *bias,
                                 float *y) {
  return bf16_kernels() ? mien_conv2d_forward_bf16(p, x, w, bias, y) : mien_conv2d_forward_f32(p, x, w, bias, y);
}

int mien_cpu_conv2d_backward_input_bf16(const mien_conv2d_params *p, const float *dy, const float *w, float *dx) {
  return bf16_kernels() ? mien_conv2d_backward_input_bf16(p, dy, w, dx)
                          : mien_conv2d_backward_input_f32(p, dy, w, dx);
}

int mien_cpu_conv2d_backward_weight_bf16(const mien_conv2d_params *p, const float *x, const float *dy, float *dw) {
  return bf16_kernels() ? mien_conv2d_backward_weight_bf16(p, x, dy, dw)
                          : mien_conv2d_backward_weight_f32(p, x, dy, dw);
}
