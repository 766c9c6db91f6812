/* bf16 GEMM with float32 accumulation, on float32 operands:
 *
 *   C = alpha * op(A) * op(B) + beta * C
 *
 * with the same conventions as gemm.h (row-major, beta == 0 never reads C).
 * A and B are rounded to bfloat16 while they are packed (round to nearest
 * even, in hardware: subnormal inputs count as 0), multiplied with vdpbf16ps
 * and summed in float32. Callers keep float32 tensors.
 *
 * Precondition: mien_cpu_has_bf16() (cpu_features.h); the table's bf16
 * entries check it and fall back to the float32 kernels. Multi-threaded
 * (OpenMP) when called outside a parallel region, single-threaded inside one,
 * so the conv batch loop can call it per thread. */
#ifndef MIEN_CPU_GEMM_BF16_H
#define MIEN_CPU_GEMM_BF16_H

#include <stdint.h>

void mien_gemm_bf16(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc);

#endif
