/* The bf16 GEMM (gemm_bf16.h): packing that rounds float32 to bfloat16 on
 * the fly, and two AVX512-BF16 micro-kernels.
 *
 * vdpbf16ps multiplies pairs: lane i of the float32 accumulator gains
 * a[2i] * b[2i] + a[2i+1] * b[2i+1]. So both operands are packed with two
 * consecutive k side by side, and the two kernels differ in what the 16 lanes
 * hold:
 *   - nn (op(B) with n contiguous, transB == 0): lanes are 16 columns of C;
 *     B is packed as [k pair][column] pairs, A as [k pair][row] pairs that
 *     are broadcast. An 8 x 48 tile of C stays in 24 registers.
 *   - dot (op(B) with k contiguous, transB == 1: the weight gradient of a
 *     convolution and a linear layer's forward): lanes are 32 consecutive k
 *     of one row of A and one column of op(B); a 4 x 6 tile of C keeps 24
 *     vectors of partial sums, summed across lanes at the end of a K block.
 * Packing zero-fills the edges (odd K, partial tiles), so the kernels never
 * branch on sizes; stores are masked.
 *
 * OpenBLAS has a bf16 GEMM (cblas_sbgemm) only when built with
 * BUILD_BFLOAT16; Debian's 0.3.21 is not, so these kernels are the only
 * bf16 path here. */
#include "cpu/gemm_bf16.h"

#include <stdlib.h>
#include <string.h>

#include "bf16.h"
#include "cpu/gemm.h"
#include "cpu/threads.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

/* nn kernel: MR x NR tile, blocks of KC k pairs, MC rows, NC columns */
#define MR 8
#define NV 3
#define NR (16 * NV)
#define KC 256
#define MC 96
#define NC 768
/* dot kernel: DM x DN tile, blocks of DKC k (a multiple of 32), DMC x DNC */
#define DM 4
#define DN 6
#define DKC 1024
#define DMC 128
#define DNC 128

static inline __mmask16 cols_mask(int64_t cols) {
  return cols >= 16 ? (__mmask16)0xffff : cols > 0 ? (__mmask16)((1u << cols) - 1) : 0;
}

/* C tile row: C[0..cols) = alpha * acc + beta * C (beta 0: C not read). */
TARGET static inline void store_row(float *c, __m512 acc, int64_t cols, float alpha, float beta) {
  const __mmask16 m = cols_mask(cols);
  __m512 r = _mm512_mul_ps(acc, _mm512_set1_ps(alpha));
  if (beta != 0) r = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, c), _mm512_set1_ps(beta), r);
  _mm512_mask_storeu_ps(c, m, r);
}

/* --- nn --- */

/* Rows [m0, m0 + mb) and k [k0, k0 + kb) of op(A) as MR-row panels of
 * kp = ceil(kb / 2) pairs: Ap[panel][kk][r]; rows past mb and the odd k are 0. */
TARGET static void pack_a_pairs(const float *A, int64_t lda, int transA, int64_t m0, int64_t mb, int64_t k0, int64_t kb,
                                uint32_t *Ap) {
  const int64_t kp = (kb + 1) / 2;
  if (transA) { /* op(A)[m][k] = A[k][m]: 8 rows are 8 consecutive floats of A's rows k and k + 1 */
    static const uint16_t interleave[16] = {0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15};
    const __m256i idx = _mm256_loadu_si256((const __m256i *)interleave);
    for (int64_t ip = 0; ip < mb; ip += MR) {
      uint32_t *dst = Ap + ip * kp;
      const __mmask8 m = mb - ip >= MR ? (__mmask8)0xff : (__mmask8)((1u << (mb - ip)) - 1);
      for (int64_t kk = 0; kk < kp; kk++) {
        const float *r0 = A + (k0 + 2 * kk) * lda + m0 + ip;
        const __m256 x0 = _mm256_maskz_loadu_ps(m, r0);
        const __m256 x1 = _mm256_maskz_loadu_ps(2 * kk + 1 < kb ? m : 0, r0 + lda);
        const __m256i p = _mm256_permutexvar_epi16(idx, (__m256i)_mm256_cvtne2ps_pbh(x1, x0));
        _mm256_storeu_si256((__m256i *)(dst + kk * MR), p);
      }
    }
    return;
  }
  /* op(A)[m][k] = A[m][k]: 32 floats of a row are 16 pairs, scattered MR apart */
  const __m512i stride = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                            _mm512_set1_epi32(MR));
  for (int64_t ip = 0; ip < mb; ip += MR) {
    uint32_t *dst = Ap + ip * kp;
    for (int r = 0; r < MR; r++) {
      for (int64_t k = 0; k < 2 * kp; k += 32) {
        const __mmask16 pairs = cols_mask((2 * kp - k) / 2);
        __m512i p = _mm512_setzero_si512();
        if (ip + r < mb) {
          const float *row = A + (m0 + ip + r) * lda + k0;
          const __m512 lo = _mm512_maskz_loadu_ps(cols_mask(kb - k), row + k);
          const __m512 hi = _mm512_maskz_loadu_ps(cols_mask(kb - k - 16), row + k + 16);
          p = (__m512i)_mm512_cvtne2ps_pbh(hi, lo);
        }
        _mm512_mask_i32scatter_epi32(dst + (k / 2) * MR + r, pairs, stride, p, 4);
      }
    }
  }
}

/* Columns [n0, n0 + nb) and k [k0, k0 + kb) of B (k x n, n contiguous) as
 * NR-column panels: Bp[panel][kk][j][2], the pair (k, k+1) of column j. */
TARGET static void pack_b_pairs(const float *B, int64_t ldb, int64_t k0, int64_t kb, int64_t n0, int64_t nb,
                                uint16_t *Bp) {
  static const uint16_t interleave[32] = {0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23,
                                          8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
  const __m512i idx = _mm512_loadu_si512(interleave);
  const int64_t kp = (kb + 1) / 2;
  for (int64_t jp = 0; jp < nb; jp += NR) {
    uint16_t *dst = Bp + jp * kp * 2;
    for (int64_t kk = 0; kk < kp; kk++) {
      const float *r0 = B + (k0 + 2 * kk) * ldb + n0 + jp, *r1 = r0 + ldb;
      const int has1 = 2 * kk + 1 < kb;
      for (int v = 0; v < NV; v++) {
        const __mmask16 m = cols_mask(nb - jp - 16 * v);
        const __m512 x0 = _mm512_maskz_loadu_ps(m, r0 + 16 * v);
        const __m512 x1 = _mm512_maskz_loadu_ps(has1 ? m : 0, r1 + 16 * v);
        const __m512i p = _mm512_permutexvar_epi16(idx, (__m512i)_mm512_cvtne2ps_pbh(x1, x0));
        _mm512_storeu_si512(dst + (kk * NR + 16 * v) * 2, p);
      }
    }
  }
}

TARGET static void kernel_nn(int64_t kp, const uint32_t *Ap, const uint16_t *Bp, float *C, int64_t ldc, int64_t mr,
                             int64_t nr, float alpha, float beta) {
  __m512 acc[MR][NV];
  for (int r = 0; r < MR; r++)
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t kk = 0; kk < kp; kk++) {
    __m512bh b[NV];
    for (int v = 0; v < NV; v++) b[v] = (__m512bh)_mm512_loadu_si512(Bp + (kk * NR + 16 * v) * 2);
#pragma GCC unroll 8
    for (int r = 0; r < MR; r++) {
      const __m512bh a = (__m512bh)_mm512_set1_epi32((int)Ap[kk * MR + r]);
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_dpbf16_ps(acc[r][v], a, b[v]);
    }
  }
  for (int64_t r = 0; r < mr; r++)
    for (int v = 0; v < NV && 16 * v < nr; v++) store_row(C + r * ldc + 16 * v, acc[r][v], nr - 16 * v, alpha, beta);
}

typedef struct gemm_args {
  int transA, transB;
  int64_t M, N, K;
  float alpha, beta;
  const float *A, *B;
  int64_t lda, ldb, ldc;
  float *C;
} gemm_args;

/* The part [m_lo, m_hi) x [n_lo, n_hi) of C in float32, when there is no
 * memory for the packed blocks. */
static void part_in_f32(const gemm_args *g, int64_t m_lo, int64_t m_hi, int64_t n_lo, int64_t n_hi) {
  mien_gemm_f32_builtin(g->transA, g->transB, m_hi - m_lo, n_hi - n_lo, g->K, g->alpha,
                        g->transA ? g->A + m_lo : g->A + m_lo * g->lda, g->lda,
                        g->transB ? g->B + n_lo * g->ldb : g->B + n_lo, g->ldb, g->beta,
                        g->C + m_lo * g->ldc + n_lo, g->ldc);
}

static void gemm_nn_part(const gemm_args *g, int64_t m_lo, int64_t m_hi, int64_t n_lo, int64_t n_hi) {
  const int64_t kp_max = (g->K + 1) / 2 < KC ? (g->K + 1) / 2 : KC;
  const int64_t mc = m_hi - m_lo < MC ? m_hi - m_lo : MC, nc = n_hi - n_lo < NC ? n_hi - n_lo : NC;
  uint32_t *Ap = malloc(sizeof(uint32_t) * (size_t)(((mc + MR - 1) / MR) * MR * kp_max));
  uint16_t *Bp = malloc(sizeof(uint16_t) * 2 * (size_t)(((nc + NR - 1) / NR) * NR * kp_max));
  if (!Ap || !Bp) {
    free(Ap);
    free(Bp);
    part_in_f32(g, m_lo, m_hi, n_lo, n_hi);
    return;
  }
  for (int64_t jc = n_lo; jc < n_hi; jc += NC) {
    const int64_t nb = n_hi - jc < NC ? n_hi - jc : NC;
    for (int64_t pc = 0; pc < g->K; pc += 2 * KC) {
      const int64_t kb = g->K - pc < 2 * KC ? g->K - pc : 2 * KC, kp = (kb + 1) / 2;
      const float beta = pc == 0 ? g->beta : 1.0f;
      pack_b_pairs(g->B, g->ldb, pc, kb, jc, nb, Bp);
      for (int64_t ic = m_lo; ic < m_hi; ic += MC) {
        const int64_t mb = m_hi - ic < MC ? m_hi - ic : MC;
        pack_a_pairs(g->A, g->lda, g->transA, ic, mb, pc, kb, Ap);
        for (int64_t jr = 0; jr < nb; jr += NR)
          for (int64_t ir = 0; ir < mb; ir += MR)
            kernel_nn(kp, Ap + ir * kp, Bp + jr * kp * 2, g->C + (ic + ir) * g->ldc + jc + jr, g->ldc,
                      mb - ir < MR ? mb - ir : MR, nb - jr < NR ? nb - jr : NR, g->alpha, beta);
      }
    }
  }
  free(Ap);
  free(Bp);
}

/* --- dot --- */

/* Rows [r0, r0 + rb) of X (element (r, k) at X[r * ld + k], or X[k * ld + r] when trans) over
 * k [k0, k0 + kb), rounded to bf16 into rows of kbp (kb rounded up to 32)
 * values; rows up to a multiple of `pad` are zero. */
TARGET static void pack_rows(const float *X, int64_t ld, int trans, int64_t r0, int64_t rb, int64_t k0, int64_t kb,
                             int64_t kbp, int pad, uint16_t *dst) {
  const int64_t rows = (rb + pad - 1) / pad * pad;
  for (int64_t r = 0; r < rows; r++) {
    uint16_t *d = dst + r * kbp;
    if (r >= rb) {
      memset(d, 0, sizeof(uint16_t) * (size_t)kbp);
    } else if (!trans) {
      const float *s = X + (r0 + r) * ld + k0;
      for (int64_t k = 0; k < kbp; k += 32) {
        const __m512 lo = _mm512_maskz_loadu_ps(cols_mask(kb - k), s + k);
        const __m512 hi = _mm512_maskz_loadu_ps(cols_mask(kb - k - 16), s + k + 16);
        _mm512_storeu_si512(d + k, (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
      }
    } else {
      for (int64_t k = 0; k < kbp; k++) d[k] = k < kb ? mien_f32_to_bf16(X[(k0 + k) * ld + r0 + r]) : 0;
    }
  }
}

/* The sums of the lanes of a, b, c and d, in elements 0, 4, 8 and 12: a tree
 * of 128-bit lane shuffles, then pairs within the lanes. */
TARGET static inline __m512 sum4(__m512 a, __m512 b, __m512 c, __m512 d) {
  const __m512 ab = _mm512_add_ps(_mm512_shuffle_f32x4(a, b, 0x44), _mm512_shuffle_f32x4(a, b, 0xee));
  const __m512 cd = _mm512_add_ps(_mm512_shuffle_f32x4(c, d, 0x44), _mm512_shuffle_f32x4(c, d, 0xee));
  const __m512 s = _mm512_add_ps(_mm512_shuffle_f32x4(ab, cd, 0x88), _mm512_shuffle_f32x4(ab, cd, 0xdd));
  const __m512 t = _mm512_add_ps(s, _mm512_permute_ps(s, 0x4e));
  return _mm512_add_ps(t, _mm512_permute_ps(t, 0xb1));
}

TARGET static void kernel_dot(int64_t kbp, const uint16_t *Ap, const uint16_t *Bp, float *C, int64_t ldc, int64_t mr,
                              int64_t nr, float alpha, float beta) {
  __m512 acc[DM][DN];
  for (int i = 0; i < DM; i++)
    for (int j = 0; j < DN; j++) acc[i][j] = _mm512_setzero_ps();
  for (int64_t k = 0; k < kbp; k += 32) {
    __m512bh a[DM];
    for (int i = 0; i < DM; i++) a[i] = (__m512bh)_mm512_loadu_si512(Ap + i * kbp + k);
#pragma GCC unroll 6
    for (int j = 0; j < DN; j++) {
      const __m512bh b = (__m512bh)_mm512_loadu_si512(Bp + j * kbp + k);
      for (int i = 0; i < DM; i++) acc[i][j] = _mm512_dpbf16_ps(acc[i][j], a[i], b);
    }
  }
  const __m512 zero = _mm512_setzero_ps();
  for (int64_t i = 0; i < mr; i++)
    for (int j0 = 0; j0 < nr; j0 += 4) {
      float sums[16];
      _mm512_storeu_ps(sums, sum4(acc[i][j0], acc[i][j0 + 1], j0 + 2 < DN ? acc[i][j0 + 2] : zero,
                                  j0 + 3 < DN ? acc[i][j0 + 3] : zero));
      for (int64_t j = j0; j < nr && j < j0 + 4; j++) {
        float *c = C + i * ldc + j;
        const float s = alpha * sums[4 * (j - j0)];
        *c = beta != 0 ? s + beta * *c : s;
      }
    }
}

static void gemm_dot_part(const gemm_args *g, int64_t m_lo, int64_t m_hi, int64_t n_lo, int64_t n_hi) {
  const int64_t kbp_max = ((g->K < DKC ? g->K : DKC) + 31) / 32 * 32;
  const int64_t mc = m_hi - m_lo < DMC ? m_hi - m_lo : DMC, nc = n_hi - n_lo < DNC ? n_hi - n_lo : DNC;
  uint16_t *Ap = malloc(sizeof(uint16_t) * (size_t)(((mc + DM - 1) / DM) * DM * kbp_max));
  uint16_t *Bp = malloc(sizeof(uint16_t) * (size_t)(((nc + DN - 1) / DN) * DN * kbp_max));
  if (!Ap || !Bp) {
    free(Ap);
    free(Bp);
    part_in_f32(g, m_lo, m_hi, n_lo, n_hi);
    return;
  }
  for (int64_t pc = 0; pc < g->K; pc += DKC) {
    const int64_t kb = g->K - pc < DKC ? g->K - pc : DKC, kbp = (kb + 31) / 32 * 32;
    const float beta = pc == 0 ? g->beta : 1.0f;
    for (int64_t ic = m_lo; ic < m_hi; ic += DMC) {
      const int64_t mb = m_hi - ic < DMC ? m_hi - ic : DMC;
      pack_rows(g->A, g->lda, g->transA, ic, mb, pc, kb, kbp, DM, Ap);
      for (int64_t jc = n_lo; jc < n_hi; jc += DNC) {
        const int64_t nb = n_hi - jc < DNC ? n_hi - jc : DNC;
        pack_rows(g->B, g->ldb, 0, jc, nb, pc, kb, kbp, DN, Bp); /* op(B) column n = row n of B */
        for (int64_t ir = 0; ir < mb; ir += DM)
          for (int64_t jr = 0; jr < nb; jr += DN)
            kernel_dot(kbp, Ap + ir * kbp, Bp + jr * kbp, g->C + (ic + ir) * g->ldc + jc + jr, g->ldc,
                       mb - ir < DM ? mb - ir : DM, nb - jr < DN ? nb - jr : DN, g->alpha, beta);
      }
    }
  }
  free(Ap);
  free(Bp);
}

/* Splits the larger of M and N over the threads, in whole tiles. */
void mien_gemm_bf16(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) { /* C = beta * C */
    for (int64_t m = 0; m < M; m++)
      for (int64_t n = 0; n < N; n++) C[m * ldc + n] = beta != 0 ? beta * C[m * ldc + n] : 0;
    return;
  }
  const gemm_args g = {transA, transB, M, N, K, alpha, beta, A, B, lda, ldb, ldc, C};
  const int dot = transB != 0;
  const int64_t tm = dot ? DM : MR, tn = dot ? DN : NR;
  int nthreads = (double)M * N * K < 262144.0 ? 1 : mien_max_threads();
  const int split_n = N / tn >= M / tm;
  const int64_t tiles = split_n ? (N + tn - 1) / tn : (M + tm - 1) / tm;
  if (nthreads > tiles) nthreads = (int)tiles;
  if (nthreads < 1) nthreads = 1;
#pragma omp parallel num_threads(nthreads) if (nthreads > 1)
  {
    const int t = mien_thread_num(), nt = nthreads > 1 ? nthreads : 1;
    const int64_t per = (tiles + nt - 1) / nt, lo = t * per * (split_n ? tn : tm);
    const int64_t extent = split_n ? N : M, hi = lo + per * (split_n ? tn : tm) < extent ? lo + per * (split_n ? tn : tm) : extent;
    if (lo < hi) {
      const int64_t m_lo = split_n ? 0 : lo, m_hi = split_n ? M : hi, n_lo = split_n ? lo : 0, n_hi = split_n ? hi : N;
      if (dot) gemm_dot_part(&g, m_lo, m_hi, n_lo, n_hi);
      else gemm_nn_part(&g, m_lo, m_hi, n_lo, n_hi);
    }
  }
}
#else
/* Not x86-64: mien_cpu_has_bf16() is 0, so this is never reached. */
void mien_gemm_bf16(int transA, int transB, int64_t M, int64_t N, int64_t K, float alpha, const float *A, int64_t lda,
                    const float *B, int64_t ldb, float beta, float *C, int64_t ldc) {
  mien_gemm_f32_builtin(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
#endif
