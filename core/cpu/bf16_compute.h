/* The CPU backend's bf16 entries (backend.h, "bf16 compute"): the AVX512-BF16
 * kernels when mien_cpu_has_bf16(), else the float32 kernels (the core never
 * prints: mien.autocast gives the one-line notice). Private to core/cpu. */
#ifndef MIEN_CPU_BF16_COMPUTE_H
#define MIEN_CPU_BF16_COMPUTE_H

#include "backend.h"

int mien_cpu_gemm_bf16(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const float *A, int64_t lda,
                       const float *B, int64_t ldb, double beta, float *C, int64_t ldc);
int mien_cpu_conv2d_forward_bf16(const mien_conv2d_params *p, const float *x, const float *w, const float *bias,
                                 float *y);
int mien_cpu_conv2d_backward_input_bf16(const mien_conv2d_params *p, const float *dy, const float *w, float *dx);
int mien_cpu_conv2d_backward_weight_bf16(const mien_conv2d_params *p, const float *x, const float *dy, float *dw);

#endif
