/* Body of the built-in GEMM, included once per element type by gemm_builtin.c
 * (the includer defines REAL, VEC, FN, GEMM_KERNEL_ATTR and the GEMM_* sizes);
 * it defines FN(gemm), the whole product.
 *
 * Classic Goto/BLIS blocking: for each KC x NC panel of op(B) (packed once,
 * shared by all threads) and each MC x KC block of op(A) (packed per thread),
 * an MR x NR micro-kernel streams the two packed slivers. Packing makes the
 * micro-kernel's loads contiguous whatever the transposes and strides are,
 * and zero-pads edge slivers so the micro-kernel never needs bounds checks. */

static inline REAL FN(op_at)(const REAL *X, int64_t ld, int trans, int64_t row, int64_t col) {
  return trans ? X[col * ld + row] : X[row * ld + col];
}

/* C = beta * C, where beta == 0 overwrites (C may hold NaN). */
static void FN(scale_c)(int64_t M, int64_t N, REAL beta, REAL *C, int64_t ldc) {
  if (beta == 1) return;
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) C[i * ldc + j] = beta == 0 ? 0 : beta * C[i * ldc + j];
}

/* Unpacked loops: used for small products, where packing costs more than it
 * saves, and as the fallback when the packing buffers cannot be allocated. */
static void FN(gemm_unpacked)(int transA, int transB, int64_t M, int64_t N, int64_t K, REAL alpha, const REAL *A,
                              int64_t lda, const REAL *B, int64_t ldb, REAL beta, REAL *C, int64_t ldc) {
#pragma omp parallel for schedule(static) if (M * N * K > GEMM_UNPACKED_MAX)
  for (int64_t i = 0; i < M; i++) {
    REAL *c = C + i * ldc;
    FN(scale_c)(1, N, beta, c, ldc);
    if (!transB) {
      for (int64_t k = 0; k < K; k++) {
        const REAL a = alpha * FN(op_at)(A, lda, transA, i, k);
        const REAL *b = B + k * ldb;
        for (int64_t j = 0; j < N; j++) c[j] += a * b[j];
      }
    } else {
      for (int64_t j = 0; j < N; j++) {
        const REAL *b = B + j * ldb;
        REAL sum = 0;
        for (int64_t k = 0; k < K; k++) sum += FN(op_at)(A, lda, transA, i, k) * b[k];
        c[j] += alpha * sum;
      }
    }
  }
}

/* mc x kc block of op(A) -> MR-row slivers, each stored k-major. Full
 * slivers of a transposed A copy fixed-size rows: a variable-length copy
 * loop becomes a memmove call per row of six elements. */
static void FN(pack_a)(int transA, const REAL *A, int64_t lda, int64_t mc, int64_t kc, REAL *restrict pa) {
  for (int64_t i0 = 0; i0 < mc; i0 += GEMM_MR, pa += GEMM_MR * kc) {
    const int64_t mr = mc - i0 < GEMM_MR ? mc - i0 : GEMM_MR;
    if (transA && mr == GEMM_MR) {
      for (int64_t k = 0; k < kc; k++) memcpy(pa + k * GEMM_MR, A + k * lda + i0, sizeof(REAL) * GEMM_MR);
      continue;
    }
    for (int64_t k = 0; k < kc; k++) {
      int64_t i = 0;
      for (; i < mr; i++) pa[k * GEMM_MR + i] = FN(op_at)(A, lda, transA, i0 + i, k);
      for (; i < GEMM_MR; i++) pa[k * GEMM_MR + i] = 0;
    }
  }
}

/* Columns [j0, j0 + NR) of a kc-row panel of op(B) -> one sliver, k-major
 * (full slivers of an untransposed B as fixed-size rows, as in pack_a). */
static void FN(pack_b_sliver)(int transB, const REAL *B, int64_t ldb, int64_t kc, int64_t nc, int64_t j0,
                              REAL *restrict pb) {
  const int64_t nr = nc - j0 < GEMM_NR ? nc - j0 : GEMM_NR;
  if (!transB && nr == GEMM_NR) { /* a fixed-size memcpy: inlined as vector moves */
    for (int64_t k = 0; k < kc; k++) memcpy(pb + k * GEMM_NR, B + k * ldb + j0, sizeof(REAL) * GEMM_NR);
    return;
  }
  for (int64_t k = 0; k < kc; k++) {
    int64_t j = 0;
    for (; j < nr; j++) pb[k * GEMM_NR + j] = FN(op_at)(B, ldb, transB, k, j0 + j);
    for (; j < GEMM_NR; j++) pb[k * GEMM_NR + j] = 0;
  }
}

/* (A sliver) * (B sliver), an MR x NR tile, MR == 6, NR == two VECs: into
 * C (= alpha * tile + beta * C, C not read when beta == 0) when the tile is
 * whole, else into `tile` (row-major) for store_tile. Twelve named vector
 * accumulators (rather than an array) are what GCC keeps in registers at -O2
 * as well as -O3; whole tiles go to C as vectors, not through the scalar
 * edge loop, which matters when K is short. */
static GEMM_KERNEL_ATTR void FN(micro_kernel)(int64_t kc, const REAL *restrict pa, const REAL *restrict pb,
                                              REAL alpha, REAL beta, REAL *restrict C, int64_t ldc,
                                              REAL *restrict tile) {
  VEC c00 = {0}, c01 = {0}, c10 = {0}, c11 = {0}, c20 = {0}, c21 = {0};
  VEC c30 = {0}, c31 = {0}, c40 = {0}, c41 = {0}, c50 = {0}, c51 = {0};
  for (int64_t k = 0; k < kc; k++, pa += GEMM_MR, pb += GEMM_NR) {
    VEC b0, b1;
    memcpy(&b0, pb, sizeof b0);
    memcpy(&b1, pb + GEMM_NR / 2, sizeof b1);
    c00 += pa[0] * b0, c01 += pa[0] * b1;
    c10 += pa[1] * b0, c11 += pa[1] * b1;
    c20 += pa[2] * b0, c21 += pa[2] * b1;
    c30 += pa[3] * b0, c31 += pa[3] * b1;
    c40 += pa[4] * b0, c41 += pa[4] * b1;
    c50 += pa[5] * b0, c51 += pa[5] * b1;
  }
  const VEC rows[2 * GEMM_MR] = {c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51};
  if (tile) {
    memcpy(tile, rows, sizeof rows);
    return;
  }
  for (int i = 0; i < GEMM_MR; i++) {
    REAL *c = C + i * ldc;
    VEC r0 = alpha * rows[2 * i], r1 = alpha * rows[2 * i + 1];
    if (beta != 0) {
      VEC old0, old1;
      memcpy(&old0, c, sizeof old0);
      memcpy(&old1, c + GEMM_NR / 2, sizeof old1);
      r0 += beta * old0, r1 += beta * old1;
    }
    memcpy(c, &r0, sizeof r0);
    memcpy(c + GEMM_NR / 2, &r1, sizeof r1);
  }
}

static void FN(store_tile)(int64_t mr, int64_t nr, const REAL *tile, REAL alpha, REAL beta, REAL *C, int64_t ldc) {
  for (int64_t i = 0; i < mr; i++) {
    REAL *c = C + i * ldc;
    const REAL *t = tile + i * GEMM_NR;
    if (beta == 0)
      for (int64_t j = 0; j < nr; j++) c[j] = alpha * t[j];
    else if (beta == 1)
      for (int64_t j = 0; j < nr; j++) c[j] += alpha * t[j];
    else
      for (int64_t j = 0; j < nr; j++) c[j] = beta * c[j] + alpha * t[j];
  }
}

/* C[0:mc, 0:nc] (= or +=) packed A block * packed B slivers. */
static void FN(macro_kernel)(int64_t mc, int64_t nc, int64_t kc, const REAL *pa, const REAL *pb, REAL alpha,
                             REAL beta, REAL *C, int64_t ldc) {
  REAL tile[GEMM_MR * GEMM_NR];
  for (int64_t j0 = 0; j0 < nc; j0 += GEMM_NR) {
    const int64_t nr = nc - j0 < GEMM_NR ? nc - j0 : GEMM_NR;
    for (int64_t i0 = 0; i0 < mc; i0 += GEMM_MR) {
      const int64_t mr = mc - i0 < GEMM_MR ? mc - i0 : GEMM_MR;
      if (mr == GEMM_MR && nr == GEMM_NR) {
        FN(micro_kernel)(kc, pa + i0 * kc, pb + j0 * kc, alpha, beta, C + i0 * ldc + j0, ldc, NULL);
      } else {
        FN(micro_kernel)(kc, pa + i0 * kc, pb + j0 * kc, alpha, beta, NULL, 0, tile);
        FN(store_tile)(mr, nr, tile, alpha, beta, C + i0 * ldc + j0, ldc);
      }
    }
  }
}

static void FN(gemm)(int transA, int transB, int64_t M, int64_t N, int64_t K, REAL alpha, const REAL *A, int64_t lda,
                     const REAL *B, int64_t ldb, REAL beta, REAL *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    FN(scale_c)(M, N, beta, C, ldc);
    return;
  }
  if (M * N * K <= GEMM_UNPACKED_MAX) {
    FN(gemm_unpacked)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const int nthreads = M * N * K > GEMM_PARALLEL_MIN ? mien_max_threads() : 1;
  const int64_t mc_block = even_block(M, GEMM_MC, GEMM_MR);
  const int64_t nc_block = even_block(N, GEMM_NC, GEMM_NR);
  const int64_t kc_block = even_block(K, GEMM_KC, 1);
  const int64_t pa_stride = mc_block * kc_block; /* per-thread A block */
  REAL *pb = aligned_buffer(sizeof(REAL) * kc_block * nc_block);
  REAL *pa = aligned_buffer(sizeof(REAL) * pa_stride * nthreads);
  if (!pa || !pb) {
    free(pa);
    free(pb);
    FN(gemm_unpacked)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel num_threads(nthreads)
  {
    REAL *my_pa = pa + mien_thread_num() * pa_stride;
    for (int64_t jc = 0; jc < N; jc += nc_block) {
      const int64_t nc = N - jc < nc_block ? N - jc : nc_block;
      const int64_t nslivers = (nc + GEMM_NR - 1) / GEMM_NR;
      const int64_t nchunks = (nslivers + GEMM_CHUNK - 1) / GEMM_CHUNK;
      for (int64_t pc = 0; pc < K; pc += kc_block) {
        const int64_t kc = K - pc < kc_block ? K - pc : kc_block;
        const REAL beta_block = pc == 0 ? beta : 1; /* later K blocks accumulate */
        const REAL *B_panel = transB ? B + jc * ldb + pc : B + pc * ldb + jc;
#pragma omp for schedule(static)
        for (int64_t s = 0; s < nslivers; s++)
          FN(pack_b_sliver)(transB, B_panel, ldb, kc, nc, s * GEMM_NR, pb + s * GEMM_NR * kc);
        /* Static schedule hands each thread a contiguous run of work items,
         * so it repacks its A block only when the run crosses an M block. */
        int64_t packed_ic = -1;
#pragma omp for collapse(2) schedule(static)
        for (int64_t ic = 0; ic < M; ic += mc_block) {
          for (int64_t chunk = 0; chunk < nchunks; chunk++) {
            const int64_t mc = M - ic < mc_block ? M - ic : mc_block;
            if (ic != packed_ic) {
              FN(pack_a)(transA, transA ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, my_pa);
              packed_ic = ic;
            }
            const int64_t j0 = chunk * GEMM_CHUNK * GEMM_NR;
            const int64_t cols = nc - j0 < GEMM_CHUNK * GEMM_NR ? nc - j0 : GEMM_CHUNK * GEMM_NR;
            FN(macro_kernel)(mc, cols, kc, my_pa, pb + j0 * kc, alpha, beta_block, C + ic * ldc + jc + j0, ldc);
          }
        }
      }
    }
  }
  free(pa);
  free(pb);
}
