/* Our own GEMM: row-major C = alpha * op(A) op(B) + beta * C for float and
 * double, with leading dimensions, transposes and a batch of matrices at
 * element strides (0 broadcasts). It is the emulated backend's GEMM, the
 * one the im2col convolution (conv.cu) runs on, and the real backend's
 * fallback where cuBLAS is not used; cuBLAS stays the real GEMM path
 * (device/backend_cuda.cu).
 *
 * Tiling: a block of 16x16 threads computes a 64x64 tile of C, stepping
 * through K 16 at a time; the A and B tiles go through shared memory, and
 * each thread keeps a 4x4 set of accumulators (rows ty + 16i, columns
 * tx + 16j, so neighbouring threads read neighbouring shared words). Sums
 * are in the element type, as cuBLAS's are. */
#include "common.cuh"

#define GEMM_TILE 64
#define GEMM_STEP 16
#define GEMM_SIDE 16 /* threads per side of the block */
#define GEMM_PER (GEMM_TILE / GEMM_SIDE)

struct gemm_operands {
  bool ta, tb;
  int64_t M, N, K, lda, ldb, ldc, sa, sb, sc, batch;
};

/* Element (i, k) of op(A) and (k, j) of op(B), 0 outside the matrix. */
template <class T>
MIEN_HD T gemm_a_at(const gemm_operands &g, const T *A, int64_t i, int64_t k) {
  if (i >= g.M || k >= g.K) return T(0);
  return g.ta ? A[k * g.lda + i] : A[i * g.lda + k];
}
template <class T>
MIEN_HD T gemm_b_at(const gemm_operands &g, const T *B, int64_t k, int64_t j) {
  if (k >= g.K || j >= g.N) return T(0);
  return g.tb ? B[j * g.ldb + k] : B[k * g.ldb + j];
}

template <class T>
__global__ void __launch_bounds__(GEMM_SIDE *GEMM_SIDE)
    gemm_tiled_kernel(gemm_operands g, T alpha, const T *A, const T *B, T beta, T *C) {
  __shared__ T As[GEMM_STEP][GEMM_TILE + 1]; /* As[k][i]; +1: no bank conflicts on the transposed stores */
  __shared__ T Bs[GEMM_STEP][GEMM_TILE + 1]; /* Bs[k][j] */
  const int tx = (int)threadIdx.x, ty = (int)threadIdx.y, tid = ty * GEMM_SIDE + tx;
  const int64_t tiles_m = (g.M + GEMM_TILE - 1) / GEMM_TILE, tiles_n = (g.N + GEMM_TILE - 1) / GEMM_TILE;
  for (int64_t z = blockIdx.z; z < g.batch; z += gridDim.z)
    for (int64_t bm = blockIdx.y; bm < tiles_m; bm += gridDim.y)
      for (int64_t bn = blockIdx.x; bn < tiles_n; bn += gridDim.x) {
        const T *a = A + z * g.sa, *b = B + z * g.sb;
        const int64_t row0 = bm * GEMM_TILE, col0 = bn * GEMM_TILE;
        T acc[GEMM_PER][GEMM_PER];
        for (int i = 0; i < GEMM_PER; i++)
          for (int j = 0; j < GEMM_PER; j++) acc[i][j] = T(0);
        for (int64_t k0 = 0; k0 < g.K; k0 += GEMM_STEP) {
          /* 64x16 elements of each operand, 4 per thread; the fastest index
           * follows the operand's memory order so that loads coalesce */
          MIEN_UNROLL
          for (int r = 0; r < GEMM_TILE * GEMM_STEP / (GEMM_SIDE * GEMM_SIDE); r++) {
            const int e = tid + r * GEMM_SIDE * GEMM_SIDE;
            const int ai = g.ta ? e % GEMM_TILE : e / GEMM_STEP, ak = g.ta ? e / GEMM_TILE : e % GEMM_STEP;
            As[ak][ai] = gemm_a_at(g, a, row0 + ai, k0 + ak);
            const int bj = g.tb ? e / GEMM_STEP : e % GEMM_TILE, bk = g.tb ? e % GEMM_STEP : e / GEMM_TILE;
            Bs[bk][bj] = gemm_b_at(g, b, k0 + bk, col0 + bj);
          }
          __syncthreads();
          MIEN_UNROLL /* without it ptxas spills the float form */
          for (int k = 0; k < GEMM_STEP; k++) {
            T av[GEMM_PER], bv[GEMM_PER];
            for (int i = 0; i < GEMM_PER; i++) av[i] = As[k][ty + GEMM_SIDE * i];
            for (int j = 0; j < GEMM_PER; j++) bv[j] = Bs[k][tx + GEMM_SIDE * j];
            for (int i = 0; i < GEMM_PER; i++)
              for (int j = 0; j < GEMM_PER; j++) acc[i][j] += av[i] * bv[j];
          }
          __syncthreads(); /* the tiles are read before the next step overwrites them */
        }
        T *c = C + z * g.sc;
        for (int i = 0; i < GEMM_PER; i++)
          for (int j = 0; j < GEMM_PER; j++) {
            const int64_t row = row0 + ty + GEMM_SIDE * i, col = col0 + tx + GEMM_SIDE * j;
            if (row >= g.M || col >= g.N) continue;
            T *out = &c[row * g.ldc + col];
            *out = beta == T(0) ? alpha * acc[i][j] : alpha * acc[i][j] + beta * *out; /* beta 0 never reads C */
          }
      }
}

static unsigned gemm_grid_side(int64_t n) { return (unsigned)(n < 1 ? 1 : n > 65535 ? 65535 : n); }

extern "C" int mien_cuda_gemm_batched(mien_dtype dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K,
                                      double alpha, const void *A, int64_t lda, int64_t sa, const void *B,
                                      int64_t ldb, int64_t sb, double beta, void *C, int64_t ldc, int64_t sc,
                                      int64_t batch) {
  if (M < 0 || N < 0 || K < 0 || batch < 0) return mien_k_fail("gemm: negative size %lldx%lldx%lld (batch %lld)",
                                                                (long long)M, (long long)N, (long long)K, (long long)batch);
  if (M == 0 || N == 0 || batch == 0) return 0;
  const gemm_operands g = {ta, tb, M, N, K, lda, ldb, ldc, sa, sb, sc, batch};
  const dim3 grid(gemm_grid_side((N + GEMM_TILE - 1) / GEMM_TILE), gemm_grid_side((M + GEMM_TILE - 1) / GEMM_TILE),
                  gemm_grid_side(batch));
  const dim3 block(GEMM_SIDE, GEMM_SIDE);
  if (dtype == MIEN_FLOAT32)
    return MIEN_LAUNCH(gemm_tiled_kernel<float>, grid, block, nullptr, g, (float)alpha, (const float *)A,
                       (const float *)B, (float)beta, (float *)C);
  if (dtype == MIEN_FLOAT64)
    return MIEN_LAUNCH(gemm_tiled_kernel<double>, grid, block, nullptr, g, alpha, (const double *)A, (const double *)B,
                       beta, (double *)C);
  return mien_k_fail("gemm: dtype %d is not a float type", (int)dtype);
}

extern "C" int mien_cuda_gemm(mien_dtype dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                              const void *A, int64_t lda, const void *B, int64_t ldb, double beta, void *C,
                              int64_t ldc) {
  return mien_cuda_gemm_batched(dtype, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
