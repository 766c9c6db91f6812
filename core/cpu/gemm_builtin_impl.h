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
 * slivers copy through fixed row pointers or fixed-size rows (a
 * variable-length loop there, with its bounds checks per element, cost more
 * than the micro-kernel on short products); edge slivers are zero-padded. */
static void FN(pack_a)(int transA, const REAL *A, int64_t lda, int64_t mc, int64_t kc, REAL *restrict pa) {
  for (int64_t i0 = 0; i0 < mc; i0 += GEMM_MR, pa += GEMM_MR * kc) {
    const int64_t mr = mc - i0 < GEMM_MR ? mc - i0 : GEMM_MR;
    if (transA && mr == GEMM_MR) {
      for (int64_t k = 0; k < kc; k++) memcpy(pa + k * GEMM_MR, A + k * lda + i0, sizeof(REAL) * GEMM_MR);
      continue;
    }
    if (mr == GEMM_MR) {
      const REAL *r0 = A + i0 * lda, *r1 = r0 + lda, *r2 = r1 + lda, *r3 = r2 + lda, *r4 = r3 + lda, *r5 = r4 + lda;
      for (int64_t k = 0; k < kc; k++) {
        REAL *p = pa + k * GEMM_MR;
        p[0] = r0[k], p[1] = r1[k], p[2] = r2[k], p[3] = r3[k], p[4] = r4[k], p[5] = r5[k];
      }
      continue;
    }
    for (int64_t k = 0; k < kc; k++) {
      int64_t i = 0;
      for (; i < mr; i++) pa[k * GEMM_MR + i] = FN(op_at)(A, lda, transA, i0 + i, k);
      for (; i < GEMM_MR; i++) pa[k * GEMM_MR + i] = 0;
    }
  }
}

/* Columns [j0, j0 + NR) of a kc-row panel of op(B) -> one sliver, k-major.
 * Full slivers: an untransposed B as fixed-size rows, as in pack_a; a
 * transposed one column by column, so that the reads run along B's rows
 * (NR strided read streams defeat the prefetcher; the strided writes stay
 * in the sliver, in L1). */
static void FN(pack_b_sliver)(int transB, const REAL *B, int64_t ldb, int64_t kc, int64_t nc, int64_t j0,
                              REAL *restrict pb) {
  const int64_t nr = nc - j0 < GEMM_NR ? nc - j0 : GEMM_NR;
  if (!transB && nr == GEMM_NR) { /* a fixed-size memcpy: inlined as vector moves */
    for (int64_t k = 0; k < kc; k++) memcpy(pb + k * GEMM_NR, B + k * ldb + j0, sizeof(REAL) * GEMM_NR);
    return;
  }
  if (transB && nr == GEMM_NR) {
    for (int64_t j = 0; j < GEMM_NR; j++) {
      const REAL *b = B + (j0 + j) * ldb;
      for (int64_t k = 0; k < kc; k++) pb[k * GEMM_NR + j] = b[k];
    }
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

#ifdef GEMM_DOT
/* C = alpha * A B^T + beta * C with A [M x K] and B [N x K] both row-major
 * and K long (the Winograd weight gradient's products, K = tiles): dot
 * products along K, which both operands hold contiguously, so nothing is
 * packed (packing both would cost as much as the multiplications when M and
 * N are small). 4 x 4 blocks: sixteen accumulators, summed across their
 * lanes together by a shuffle tree into one vector of the block's sixteen
 * products (8 x 2 blocks, which read B half as often, measured slower).
 * Edge blocks repeat the last row of A or B and store only what is inside
 * C. */
/* Pairs of 16-lane vectors of partial sums, folded: each fold halves the
 * lanes per product, 16 -> 8 -> 4 -> 2 -> 1 (lanes of a first, then of b). */
#define DOT_FOLD1(a, b)                                                                                               \
  (__builtin_shufflevector(a, b, 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23) +                           \
   __builtin_shufflevector(a, b, 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31))
#define DOT_FOLD2(a, b)                                                                                               \
  (__builtin_shufflevector(a, b, 0, 1, 2, 3, 8, 9, 10, 11, 16, 17, 18, 19, 24, 25, 26, 27) +                         \
   __builtin_shufflevector(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31))
#define DOT_FOLD3(a, b)                                                                                               \
  (__builtin_shufflevector(a, b, 0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25, 28, 29) +                         \
   __builtin_shufflevector(a, b, 2, 3, 6, 7, 10, 11, 14, 15, 18, 19, 22, 23, 26, 27, 30, 31))
#define DOT_FOLD4(a, b)                                                                                               \
  (__builtin_shufflevector(a, b, 0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30) +                        \
   __builtin_shufflevector(a, b, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31))

static void FN(dot_block)(int64_t K, const REAL *const a[4], const REAL *const b[4], REAL out[16]) {
  enum { L = sizeof(VEC) / sizeof(REAL) };
  _Static_assert(L == 16, "the shuffle tree folds sixteen lanes");
  VEC c00 = {0}, c01 = {0}, c02 = {0}, c03 = {0}, c10 = {0}, c11 = {0}, c12 = {0}, c13 = {0};
  VEC c20 = {0}, c21 = {0}, c22 = {0}, c23 = {0}, c30 = {0}, c31 = {0}, c32 = {0}, c33 = {0};
  const REAL *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3], *b0 = b[0], *b1 = b[1], *b2 = b[2], *b3 = b[3];
  const int64_t Kv = K - K % L;
  for (int64_t k = 0; k < Kv; k += L) {
    VEC x0, x1, x2, x3, y;
    memcpy(&x0, b0 + k, sizeof x0);
    memcpy(&x1, b1 + k, sizeof x1);
    memcpy(&x2, b2 + k, sizeof x2);
    memcpy(&x3, b3 + k, sizeof x3);
#define DOT_ROW(i)                                                                                                     \
  memcpy(&y, a##i + k, sizeof y);                                                                                      \
  c##i##0 += y * x0, c##i##1 += y * x1, c##i##2 += y * x2, c##i##3 += y * x3;
    DOT_ROW(0) DOT_ROW(1) DOT_ROW(2) DOT_ROW(3)
#undef DOT_ROW
  }
  const VEC row0 = DOT_FOLD2(DOT_FOLD1(c00, c01), DOT_FOLD1(c02, c03));
  const VEC row1 = DOT_FOLD2(DOT_FOLD1(c10, c11), DOT_FOLD1(c12, c13));
  const VEC row2 = DOT_FOLD2(DOT_FOLD1(c20, c21), DOT_FOLD1(c22, c23));
  const VEC row3 = DOT_FOLD2(DOT_FOLD1(c30, c31), DOT_FOLD1(c32, c33));
  const VEC sums = DOT_FOLD4(DOT_FOLD3(row0, row1), DOT_FOLD3(row2, row3));
  memcpy(out, &sums, sizeof sums); /* out[4 * i + j]: row i of A with row j of B */
  for (int64_t k = Kv; k < K; k++)
    for (int i = 0; i < 4; i++)
      for (int j = 0; j < 4; j++) out[4 * i + j] += a[i][k] * b[j][k];
}

static void FN(gemm_dot)(int64_t M, int64_t N, int64_t K, REAL alpha, const REAL *A, int64_t lda, const REAL *B,
                         int64_t ldb, REAL beta, REAL *C, int64_t ldc, int nthreads) {
  const int64_t row_blocks = (M + 3) / 4;
#pragma omp parallel for schedule(static) num_threads(nthreads)
  for (int64_t ib = 0; ib < row_blocks; ib++) {
    const int64_t i0 = ib * 4, rows = M - i0 < 4 ? M - i0 : 4;
    const REAL *ar[4], *br[4];
    for (int i = 0; i < 4; i++) ar[i] = A + (i0 + (i < rows ? i : rows - 1)) * lda;
    for (int64_t j0 = 0; j0 < N; j0 += 4) {
      const int64_t cols = N - j0 < 4 ? N - j0 : 4;
      for (int j = 0; j < 4; j++) br[j] = B + (j0 + (j < cols ? j : cols - 1)) * ldb;
      REAL out[16];
      FN(dot_block)(K, ar, br, out);
      for (int64_t i = 0; i < rows; i++) {
        REAL *c = C + (i0 + i) * ldc + j0;
        for (int64_t j = 0; j < cols; j++) {
          const REAL v = alpha * out[4 * i + j];
          c[j] = beta == 0 ? v : beta * c[j] + v;
        }
      }
    }
  }
}

/* The dot products win where packing both operands would cost a sizeable
 * share of the multiplications ((M + N) K elements copied against M N K
 * multiply-adds), and K is long enough to pay for summing the lanes. */
static int FN(gemm_dot_pays)(int transA, int transB, int64_t M, int64_t N, int64_t K) {
  return !transA && transB && K >= 256 && 2 * (M + N) * K > 3 * M * N;
}
#undef DOT_FOLD1
#undef DOT_FOLD2
#undef DOT_FOLD3
#undef DOT_FOLD4
#endif

/* op(A) packed whole, for FN(gemm)'s packed_A: per K block (GEMM_KC
 * columns, as FN(gemm) splits K), all of op(A)'s rows as MR-row slivers,
 * so the block of rows ic starts at pc * (M rounded up to MR) + ic * kc. */
static inline void FN(pack_a_whole)(int transA, int64_t M, int64_t K, const REAL *A, int64_t lda, REAL *packed) {
  if (M <= 0 || K <= 0) return;
  const int64_t kc_block = even_block(K, GEMM_KC, 1), m_pad = (M + GEMM_MR - 1) / GEMM_MR * GEMM_MR;
  for (int64_t pc = 0; pc < K; pc += kc_block) {
    const int64_t kc = K - pc < kc_block ? K - pc : kc_block;
    FN(pack_a)(transA, transA ? A + pc * lda : A + pc, lda, M, kc, packed + pc * m_pad);
  }
}

/* C = alpha op(A) op(B) + beta C; packed_A, when not NULL, is op(A) as
 * FN(pack_a_whole) left it (A is then read only if the B panel cannot be
 * allocated). */
static void FN(gemm)(int transA, int transB, int64_t M, int64_t N, int64_t K, REAL alpha, const REAL *A, int64_t lda,
                     const REAL *packed_A, const REAL *B, int64_t ldb, REAL beta, REAL *C, int64_t ldc) {
  if (M <= 0 || N <= 0) return;
  if (K <= 0 || alpha == 0) {
    FN(scale_c)(M, N, beta, C, ldc);
    return;
  }
  if (!packed_A && M * N * K <= GEMM_UNPACKED_MAX) {
    FN(gemm_unpacked)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
  const int nthreads = M * N * K > GEMM_PARALLEL_MIN ? mien_max_threads() : 1;
#ifdef GEMM_DOT
  if (!packed_A && FN(gemm_dot_pays)(transA, transB, M, N, K)) {
    FN(gemm_dot)(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, nthreads);
    return;
  }
#endif
  const int64_t mc_block = even_block(M, GEMM_MC, GEMM_MR);
  const int64_t nc_block = even_block(N, GEMM_NC, GEMM_NR);
  const int64_t kc_block = even_block(K, GEMM_KC, 1);
  const int64_t pa_stride = mc_block * kc_block; /* per-thread A block */
  const int64_t m_pad = (M + GEMM_MR - 1) / GEMM_MR * GEMM_MR;
  REAL *pb = aligned_buffer(sizeof(REAL) * kc_block * nc_block);
  REAL *pa = packed_A ? NULL : aligned_buffer(sizeof(REAL) * pa_stride * nthreads);
  if ((!pa && !packed_A) || !pb) {
    free(pa);
    free(pb);
    FN(gemm_unpacked)(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    return;
  }
#pragma omp parallel num_threads(nthreads)
  {
    REAL *my_pa = pa ? pa + mien_thread_num() * pa_stride : NULL;
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
            const REAL *block_a = packed_A ? packed_A + pc * m_pad + ic * kc : my_pa;
            if (!packed_A && ic != packed_ic) {
              FN(pack_a)(transA, transA ? A + pc * lda + ic : A + ic * lda + pc, lda, mc, kc, my_pa);
              packed_ic = ic;
            }
            const int64_t j0 = chunk * GEMM_CHUNK * GEMM_NR;
            const int64_t cols = nc - j0 < GEMM_CHUNK * GEMM_NR ? nc - j0 : GEMM_CHUNK * GEMM_NR;
            FN(macro_kernel)(mc, cols, kc, block_a, pb + j0 * kc, alpha, beta_block, C + ic * ldc + jc + j0, ldc);
          }
        }
      }
    }
  }
  free(pa);
  free(pb);
}
