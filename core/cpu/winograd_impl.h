/* Winograd kernels, included once per element type by winograd.c (which
 * defines REAL, FN and GEMM). A convolution runs in chunks of P tiles:
 *
 *   U[t][k][c] = (G w_kc G^T)[t]          once per call (filter transform)
 *   V[t][c][p] = (B^T d_cp B)[t]          per chunk     (input transform)
 *   M[t] = U[t] V[t]                      alpha^2 GEMMs [K x C] x [C x P]
 *                                         (by blocks of WINO_BLOCK_K rows)
 *   y tile (k, p) = A^T M[.][k][p] A      per chunk     (output transform)
 *
 * and the weight gradient, with A = (A^T)^T (Lavin & Gray's derivation run
 * backwards: y = A^T (U . V) A, so dU = sum over tiles of (A dy A^T) . V):
 *
 *   D[t][k][p] = (A dy_kp A^T)[t]          per chunk     (output gradient transform)
 *   dU[t] += D[t] V[t]^T                   alpha^2 GEMMs [K x P] x [P x C]
 *   dw_kc = G^T dU[.][k][c] G              once per call
 *
 * The transforms work on WINO_LANES tiles (or input channels, for the
 * filter) at once, the lanes innermost so the loops vectorise; the
 * filter transform is spread over the threads, and the chunks go to the
 * threads whole (wino_run). */

typedef struct FN(wino_mats) {
  int m, r, alpha;
  REAL BT[WINO_ALPHA_MAX][WINO_ALPHA_MAX], G[WINO_ALPHA_MAX][WINO_ALPHA_MAX], AT[WINO_ALPHA_MAX][WINO_ALPHA_MAX];
  REAL A[WINO_ALPHA_MAX][WINO_ALPHA_MAX], GT[WINO_ALPHA_MAX][WINO_ALPHA_MAX]; /* transposes, for the weight gradient */
} FN(wino_mats);

static void FN(wino_mats_init)(FN(wino_mats) *M, int m, int r) {
  wino_matrices d;
  wino_matrices_init(&d, m, r);
  M->m = m;
  M->r = r;
  M->alpha = d.alpha;
  for (int i = 0; i < WINO_ALPHA_MAX; i++)
    for (int j = 0; j < WINO_ALPHA_MAX; j++) {
      M->BT[i][j] = (REAL)d.BT[i][j];
      M->G[i][j] = (REAL)d.G[i][j];
      M->AT[i][j] = (REAL)d.AT[i][j];
      M->A[j][i] = (REAL)d.AT[i][j];
      M->GT[j][i] = (REAL)d.G[i][j];
    }
}

/* out[i][j][.] = sum_k A[i][k] in[k][j][.] for i < rows, j < cols, k < inner:
 * one side of a transform, on lanes. The transforms call it through
 * wino_by_alpha, where rows, inner and cols are constants: the loops unroll
 * into straight vector code (multiplying by the zero coefficients costs
 * less than branching on them). */
WINO_INLINE void FN(wino_left)(const REAL A[WINO_ALPHA_MAX][WINO_ALPHA_MAX], int rows, int inner, int cols,
                               REAL in[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES],
                               REAL out[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES]) {
WINO_UNROLL_6
  for (int i = 0; i < rows; i++)
WINO_UNROLL_6
    for (int j = 0; j < cols; j++) {
      REAL acc[WINO_LANES] = {0};
WINO_UNROLL_6
      for (int k = 0; k < inner; k++) {
        const REAL a = A[i][k];
        for (int l = 0; l < WINO_LANES; l++) acc[l] += a * in[k][j][l];
      }
      memcpy(out[i][j], acc, sizeof acc);
    }
}

/* out[i][j][.] = sum_k in[i][k][.] A[j][k]: the other side. */
WINO_INLINE void FN(wino_right)(const REAL A[WINO_ALPHA_MAX][WINO_ALPHA_MAX], int rows, int inner, int cols,
                                REAL in[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES],
                                REAL out[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES]) {
WINO_UNROLL_6
  for (int i = 0; i < rows; i++)
WINO_UNROLL_6
    for (int j = 0; j < cols; j++) {
      REAL acc[WINO_LANES] = {0};
WINO_UNROLL_6
      for (int k = 0; k < inner; k++) {
        const REAL a = A[j][k];
        for (int l = 0; l < WINO_LANES; l++) acc[l] += a * in[i][k][l];
      }
      memcpy(out[i][j], acc, sizeof acc);
    }
}

/* U[t][k][c0 .. c0 + nl), t = a * alpha + b: the filters of output channel k
 * and input channels from c0 on the lanes. */
WINO_INLINE void FN(wino_filter_group)(const wino_problem *q, const FN(wino_mats) *M, const REAL *w, int64_t k,
                                       int64_t c0, int nl, REAL *U, const int alpha, const int r) {
  const int64_t KC = q->K * q->C;
  REAL g[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES] = {{{0}}}, t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES],
                                                     u[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
  for (int l = 0; l < nl; l++) {
    const REAL *wkc = w + k * q->w_k + (c0 + l) * q->w_c;
WINO_UNROLL_5
    for (int i = 0; i < r; i++)
WINO_UNROLL_5
      for (int j = 0; j < r; j++) g[i][j][l] = wkc[i * q->w_i + j * q->w_j];
  }
  FN(wino_left)(M->G, alpha, r, r, g, t1);
  FN(wino_right)(M->G, alpha, r, alpha, t1, u);
  for (int a = 0; a < alpha; a++)
    for (int b = 0; b < alpha; b++) memcpy(U + (a * alpha + b) * KC + k * q->C + c0, u[a][b], sizeof(REAL) * nl);
}

/* U[t][k][c] for all K x C filters; lanes run over c. */
static MIEN_MULTIVERSION void FN(wino_filter)(const wino_problem *q, const FN(wino_mats) *M, const REAL *w,
                                              REAL *U) {
  const int64_t KC = q->K * q->C, groups = (q->C + WINO_LANES - 1) / WINO_LANES;
  w += wino_weight_origin(q);
#pragma omp parallel for schedule(static) num_threads(mien_max_threads()) if (KC * q->alpha * q->alpha > MIEN_PARALLEL_GRAIN)
  for (int64_t kg = 0; kg < q->K * groups; kg++) {
    const int64_t k = kg / groups, c0 = kg % groups * WINO_LANES;
    const int nl = q->C - c0 < WINO_LANES ? (int)(q->C - c0) : WINO_LANES;
    if (q->r == 3 && q->alpha == 4) FN(wino_filter_group)(q, M, w, k, c0, nl, U, 4, 3);
    else if (q->r == 3) FN(wino_filter_group)(q, M, w, k, c0, nl, U, 6, 3);
    else FN(wino_filter_group)(q, M, w, k, c0, nl, U, 6, 5);
  }
}

/* Eight rows of eight, transposed: out[j][l] = in[l][j]. Three rounds of
 * two-source shuffles, as the classic AVX 8 x 8 transpose. */
typedef REAL FN(wino_row8) __attribute__((vector_size(8 * sizeof(REAL))));
typedef WINO_INDEX FN(wino_idx8) __attribute__((vector_size(8 * sizeof(REAL))));

WINO_INLINE void FN(wino_transpose8)(const FN(wino_row8) r[8], FN(wino_row8) out[8]) {
  FN(wino_row8) t[8], u[8];
  for (int i = 0; i < 8; i += 2) { /* pairs of rows interleaved */
    t[i] = __builtin_shufflevector(r[i], r[i + 1], 0, 8, 1, 9, 4, 12, 5, 13);
    t[i + 1] = __builtin_shufflevector(r[i], r[i + 1], 2, 10, 3, 11, 6, 14, 7, 15);
  }
  for (int h = 0; h < 8; h += 4) { /* columns j and j + 4 of rows h .. h + 3 */
    u[h] = __builtin_shufflevector(t[h], t[h + 2], 0, 1, 8, 9, 4, 5, 12, 13);
    u[h + 1] = __builtin_shufflevector(t[h], t[h + 2], 2, 3, 10, 11, 6, 7, 14, 15);
    u[h + 2] = __builtin_shufflevector(t[h + 1], t[h + 3], 0, 1, 8, 9, 4, 5, 12, 13);
    u[h + 3] = __builtin_shufflevector(t[h + 1], t[h + 3], 2, 3, 10, 11, 6, 7, 14, 15);
  }
  for (int j = 0; j < 4; j++) {
    out[j] = __builtin_shufflevector(u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11);
    out[j + 4] = __builtin_shufflevector(u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);
  }
}

/* V[t][c][.] for lanes [p0, p0 + WINO_LANES) of the chunk (lanes from np on
 * are zero). Each lane's alpha x alpha block of input is read as alpha rows
 * of eight (the last ones unused) and transposed eight lanes at a time into
 * d[i][j][lane]: a vector load per row where scalar copies took a load and
 * a store per element. Rows above or below the input read zeros; columns
 * left or right of it (read from the neighbouring rows) are masked to zero
 * afterwards. A block whose reads would leave the tensor altogether (its
 * first or last row) is copied, zero-filled, into `stage` first. */
WINO_INLINE void FN(wino_input_group)(const wino_problem *q, const FN(wino_mats) *M, const REAL *x,
                                      const wino_tile *tiles, int64_t c, int64_t p0, int64_t np, int64_t P, REAL *V,
                                      const int alpha) {
  static const REAL zeros[8];
  REAL d[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES], t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
  REAL stage[WINO_LANES][WINO_ALPHA_MAX][8];
  int64_t off[WINO_LANES]; /* x + off[l]: lane l's top-left input element, perhaps outside the input */
  int row_lo[WINO_LANES], row_hi[WINO_LANES], staged[WINO_LANES];
  WINO_INDEX col_lo[WINO_LANES], col_hi[WINO_LANES];
  const int64_t total = q->N * q->C * q->H * q->W;
  int masked = 0;
  for (int l = 0; l < WINO_LANES; l++) {
    staged[l] = 0;
    if (p0 + l >= np) { /* past the chunk's last tile: all rows zero */
      off[l] = 0, row_lo[l] = row_hi[l] = 0, col_lo[l] = 0, col_hi[l] = 8;
      continue;
    }
    const wino_tile *t = &tiles[p0 + l];
    const int64_t y0 = t->y - q->pad_h, x0 = t->x - q->pad_w;
    off[l] = (t->n * q->C + c) * q->H * q->W + y0 * q->W + x0;
    row_lo[l] = y0 < 0 ? (int)-y0 : 0;
    row_hi[l] = y0 + alpha > q->H ? (int)(q->H - y0) : alpha;
    col_lo[l] = x0 < 0 ? (WINO_INDEX)-x0 : 0;
    col_hi[l] = x0 + 8 > q->W ? (WINO_INDEX)(q->W - x0) : 8;
    if (off[l] + row_lo[l] * q->W >= 0 && off[l] + (row_hi[l] - 1) * q->W + 8 <= total) { /* reads inside the tensor */
      masked |= col_lo[l] > 0 || col_hi[l] < alpha;
      continue;
    }
    for (int i = 0; i < alpha; i++) /* the tensor's first or last row: stage exactly what is inside */
      for (int j = 0; j < 8; j++)
        stage[l][i][j] = i >= row_lo[l] && i < row_hi[l] && j >= col_lo[l] && j < col_hi[l]
                             ? x[off[l] + i * q->W + j]
                             : 0;
    staged[l] = 1, row_lo[l] = 0, row_hi[l] = alpha, col_lo[l] = 0, col_hi[l] = 8;
  }
  for (int i = 0; i < alpha; i++)
    for (int h = 0; h < WINO_LANES; h += 8) {
      FN(wino_row8) r[8], out[8];
      for (int l = 0; l < 8; l++) {
        const int L = h + l;
        const REAL *src = i < row_lo[L] || i >= row_hi[L] ? zeros : staged[L] ? stage[L][i] : x + off[L] + i * q->W;
        memcpy(&r[l], src, sizeof r[l]);
      }
      FN(wino_transpose8)(r, out);
WINO_UNROLL_6
      for (int j = 0; j < alpha; j++) memcpy(&d[i][j][h], &out[j], sizeof out[j]);
    }
  if (masked)
    for (int h = 0; h < WINO_LANES; h += 8) {
      FN(wino_idx8) lo, hi;
      memcpy(&lo, col_lo + h, sizeof lo);
      memcpy(&hi, col_hi + h, sizeof hi);
      for (int j = 0; j < alpha; j++) {
        const FN(wino_idx8) inside = (lo <= j) & (hi > j);
        for (int i = 0; i < alpha; i++) {
          FN(wino_idx8) v;
          memcpy(&v, &d[i][j][h], sizeof v);
          v &= inside;
          memcpy(&d[i][j][h], &v, sizeof v);
        }
      }
    }
  FN(wino_left)(M->BT, alpha, alpha, alpha, d, t1);
  FN(wino_right)(M->BT, alpha, alpha, alpha, t1, d);
  for (int i = 0; i < alpha; i++)
    for (int j = 0; j < alpha; j++) memcpy(V + ((i * alpha + j) * q->C + c) * P + p0, d[i][j], sizeof d[i][j]);
}

/* V[t][c][p] for the tiles [q0, q0 + np) of the chunk (P columns; lanes
 * beyond np are zero). */
static MIEN_MULTIVERSION void FN(wino_input)(const wino_problem *q, const FN(wino_mats) *M, const REAL *x,
                                             int64_t q0, int64_t np, int64_t P, REAL *V) {
  wino_tile tiles[WINO_MAX_CHUNK];
  wino_tiles_of(q, q0, np, tiles);
  const int64_t groups = (np + WINO_LANES - 1) / WINO_LANES;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads())
  for (int64_t cg = 0; cg < q->C * groups; cg++) {
    const int64_t c = cg / groups, p0 = cg % groups * WINO_LANES;
    if (q->alpha == 4) FN(wino_input_group)(q, M, x, tiles, c, p0, np, P, V, 4);
    else FN(wino_input_group)(q, M, x, tiles, c, p0, np, P, V, 6);
  }
}

/* The y tiles of output channel k = k0 + kk for lanes [p0, p0 + WINO_LANES)
 * of the chunk, from Mt, then the epilogue. */
WINO_INLINE void FN(wino_output_group)(const wino_problem *q, const FN(wino_mats) *M, const REAL *Mt,
                                       const wino_tile *tiles, int64_t k0, int64_t kk, int64_t kb, int64_t p0,
                                       int64_t np, int64_t P, const REAL *bias, int epilogue, REAL *y, const int alpha,
                                       const int m) {
  const int relu = epilogue & MIEN_EPILOGUE_RELU, pool = epilogue & MIEN_EPILOGUE_POOL;
  const int64_t k = k0 + kk, YH = pool ? q->OH / 2 : q->OH, YW = pool ? q->OW / 2 : q->OW, ym = pool ? m / 2 : m;
  REAL s[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES], t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
  for (int i = 0; i < alpha; i++)
    for (int j = 0; j < alpha; j++) memcpy(s[i][j], Mt + ((i * alpha + j) * kb + kk) * P + p0, sizeof s[i][j]);
  FN(wino_left)(M->AT, m, alpha, alpha, s, t1);
  FN(wino_right)(M->AT, m, alpha, m, t1, s);
  if (pool)
    for (int i = 0; i < ym; i++)
      for (int j = 0; j < ym; j++)
        for (int l = 0; l < WINO_LANES; l++) {
          const REAL a = s[2 * i][2 * j][l], b = s[2 * i][2 * j + 1][l], c = s[2 * i + 1][2 * j][l],
                     d = s[2 * i + 1][2 * j + 1][l], ab = a > b ? a : b, cd = c > d ? c : d;
          s[i][j][l] = ab > cd ? ab : cd;
        }
  const REAL add = bias ? bias[k] : 0;
  for (int l = 0; l < WINO_LANES && p0 + l < np; l++) {
    const wino_tile *t = &tiles[p0 + l];
    REAL *plane = y + (t->n * q->K + k) * YH * YW;
    const int64_t oy = pool ? t->y / 2 : t->y, ox = pool ? t->x / 2 : t->x;
    const int rows = YH - oy < ym ? (int)(YH - oy) : (int)ym, cols = YW - ox < ym ? (int)(YW - ox) : (int)ym;
    for (int i = 0; i < rows; i++)
      for (int j = 0; j < cols; j++) {
        const REAL v = s[i][j][l] + add; /* the bias commutes with the max */
        plane[(oy + i) * YW + ox + j] = relu && !(v > 0) ? 0 : v;
      }
  }
}

/* y tiles of the chunk from M[t][k][p] (output channels [k0, k0 + kb)), plus
 * bias, then the epilogue: ReLU, and a 2x2 max-pool inside each tile (tiles
 * start at even rows and columns, m is even). */
static MIEN_MULTIVERSION void FN(wino_output)(const wino_problem *q, const FN(wino_mats) *M, const REAL *Mt,
                                              int64_t k0, int64_t kb, int64_t q0, int64_t np, int64_t P,
                                              const REAL *bias, int epilogue, REAL *y) {
  wino_tile tiles[WINO_MAX_CHUNK];
  wino_tiles_of(q, q0, np, tiles);
  const int64_t groups = (np + WINO_LANES - 1) / WINO_LANES;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads())
  for (int64_t kg = 0; kg < kb * groups; kg++) {
    const int64_t kk = kg / groups, p0 = kg % groups * WINO_LANES;
    if (q->alpha == 4) FN(wino_output_group)(q, M, Mt, tiles, k0, kk, kb, p0, np, P, bias, epilogue, y, 4, 2);
    else if (q->m == 4) FN(wino_output_group)(q, M, Mt, tiles, k0, kk, kb, p0, np, P, bias, epilogue, y, 6, 4);
    else FN(wino_output_group)(q, M, Mt, tiles, k0, kk, kb, p0, np, P, bias, epilogue, y, 6, 2);
  }
}

/* U[t] packed for the GEMMs (wino_packed_per_t), once per call rather than
 * once per chunk. */
static void FN(wino_pack_filters)(const wino_problem *q, const REAL *U, int64_t KB, REAL *Up) {
  const int64_t T = (int64_t)q->alpha * q->alpha, nkb = (q->K + KB - 1) / KB, per_t = wino_packed_per_t(q, KB);
#pragma omp parallel for schedule(static) num_threads(mien_max_threads()) if (T * q->K * q->C > MIEN_PARALLEL_GRAIN)
  for (int64_t tb = 0; tb < T * nkb; tb++) {
    const int64_t t = tb / nkb, k0 = tb % nkb * KB, kb = q->K - k0 < KB ? q->K - k0 : KB;
    GEMM_PACK_A(0, kb, q->C, U + t * q->K * q->C + k0 * q->C, q->C, Up + t * per_t + k0 / KB * wino_packed_block(q, KB));
  }
}

/* One chunk of tiles [q0, q0 + np): input transform into V, then per block
 * of output channels the alpha^2 GEMMs into Mt and the output transform. */
static void FN(wino_chunk_run)(const wino_problem *q, const FN(wino_mats) *M, const REAL *x, const REAL *U,
                               const REAL *Up, const REAL *bias, int epilogue, int64_t q0, int64_t np, int64_t P,
                               REAL *V, REAL *Mt, REAL *y) {
  const int64_t T = (int64_t)q->alpha * q->alpha, KB = q->K < WINO_BLOCK_K ? q->K : WINO_BLOCK_K;
  const int64_t cols = (np + WINO_LANES - 1) / WINO_LANES * WINO_LANES, per_t = wino_packed_per_t(q, KB);
  FN(wino_input)(q, M, x, q0, np, P, V);
  for (int64_t k0 = 0; k0 < q->K; k0 += KB) { /* a block of output channels, transformed while M is in cache */
    const int64_t kb = q->K - k0 < KB ? q->K - k0 : KB;
    for (int64_t t = 0; t < T; t++)
      GEMM_BUILTIN_PACKED(0, 0, kb, cols, q->C, 1, U + t * q->K * q->C + k0 * q->C, q->C,
                          Up + t * per_t + k0 / KB * wino_packed_block(q, KB), V + t * q->C * P, P, 0,
                          Mt + t * kb * P, P);
    FN(wino_output)(q, M, Mt, k0, kb, q0, np, P, bias, epilogue, y);
  }
}

/* The filter transform and its packing on all threads, then the chunks of
 * tiles, one per thread at a time, each thread transforming and
 * multiplying its own on the built-in GEMM (as in conv2d_impl.h: concurrent
 * OpenBLAS calls share its one thread pool; and only the built-in GEMM
 * takes the filters packed once), so that the threads meet at no barrier
 * per chunk; that matters on a loaded machine, where each barrier waits for
 * a descheduled thread. */
static int FN(wino_run)(const wino_problem *q, const REAL *x, const REAL *w, const REAL *bias, int epilogue,
                        REAL *y) {
  if (q->N == 0) return 0;
  FN(wino_mats) M;
  FN(wino_mats_init)(&M, q->m, q->r);
  const int nthreads = mien_max_threads();
  const int64_t T = (int64_t)q->alpha * q->alpha, KB = q->K < WINO_BLOCK_K ? q->K : WINO_BLOCK_K;
  const int64_t P = wino_chunk(q, sizeof(REAL), nthreads), nchunks = (q->tiles + P - 1) / P;
  const int64_t nU = T * q->K * q->C, nUp = T * wino_packed_per_t(q, KB), per_thread = T * q->C * P + T * KB * P;
  const size_t bytes = sizeof(REAL) * (size_t)(nU + nUp + per_thread * nthreads);
  REAL *U = mien_cpu_alloc(bytes, false); /* cached: fresh pages would fault on every call */
  if (!U) {
    mien_set_error("conv2d (winograd): out of memory (%zu bytes)", bytes);
    return -1;
  }
  REAL *Up = U + nU, *work = Up + nUp;
  FN(wino_filter)(q, &M, w, U);
  FN(wino_pack_filters)(q, U, KB, Up);
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads) if (nthreads > 1)
  for (int64_t c = 0; c < nchunks; c++) { /* the transforms' own loops run on this thread alone */
    REAL *V = work + per_thread * mien_thread_num(), *Mt = V + T * q->C * P;
    const int64_t q0 = c * P, np = q->tiles - q0 < P ? q->tiles - q0 : P;
    FN(wino_chunk_run)(q, &M, x, U, Up, bias, epilogue, q0, np, P, V, Mt, y);
  }
  mien_cpu_free(U, bytes);
  return 0;
}

/* --- the weight gradient --- */

/* D[t][k][.] for lanes [p0, p0 + WINO_LANES) of the chunk: each m x m tile
 * of dy (zero past the output's edge, and for lanes from np on) as A dy A^T. */
WINO_INLINE void FN(wino_grad_output_group)(const wino_problem *q, const FN(wino_mats) *M, const REAL *dy,
                                            const wino_tile *tiles, int64_t k, int64_t p0, int64_t np, int64_t P,
                                            REAL *D, const int alpha, const int m) {
  REAL s[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES], t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
  for (int l = 0; l < WINO_LANES; l++) {
    const wino_tile *t = &tiles[p0 + l];
    const int64_t rows = p0 + l < np ? q->OH - t->y : 0, cols = p0 + l < np ? q->OW - t->x : 0;
    const REAL *tile = p0 + l < np ? dy + (t->n * q->K + k) * q->OH * q->OW + t->y * q->OW + t->x : NULL;
    if (rows >= m && cols >= m) {
WINO_UNROLL_4
      for (int i = 0; i < m; i++)
WINO_UNROLL_4
        for (int j = 0; j < m; j++) s[i][j][l] = tile[i * q->OW + j];
    } else {
      for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) s[i][j][l] = i < rows && j < cols ? tile[i * q->OW + j] : 0;
    }
  }
  FN(wino_left)(M->A, alpha, m, m, s, t1);
  FN(wino_right)(M->A, alpha, m, alpha, t1, s);
  for (int i = 0; i < alpha; i++)
    for (int j = 0; j < alpha; j++) memcpy(D + ((i * alpha + j) * q->K + k) * P + p0, s[i][j], sizeof s[i][j]);
}

/* D[t][k][p] for the tiles [q0, q0 + np) of the chunk. */
static MIEN_MULTIVERSION void FN(wino_grad_output)(const wino_problem *q, const FN(wino_mats) *M, const REAL *dy,
                                                   int64_t q0, int64_t np, int64_t P, REAL *D) {
  wino_tile tiles[WINO_MAX_CHUNK];
  wino_tiles_of(q, q0, np, tiles);
  const int64_t groups = (np + WINO_LANES - 1) / WINO_LANES;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads())
  for (int64_t kg = 0; kg < q->K * groups; kg++) {
    const int64_t k = kg / groups, p0 = kg % groups * WINO_LANES;
    if (q->alpha == 4) FN(wino_grad_output_group)(q, M, dy, tiles, k, p0, np, P, D, 4, 2);
    else if (q->m == 4) FN(wino_grad_output_group)(q, M, dy, tiles, k, p0, np, P, D, 6, 4);
    else FN(wino_grad_output_group)(q, M, dy, tiles, k, p0, np, P, D, 6, 2);
  }
}

/* dw[k][c0 .. c0 + nl) = G^T dU[.][k][c] G. */
WINO_INLINE void FN(wino_filter_grad_group)(const wino_problem *q, const FN(wino_mats) *M, const REAL *dU,
                                            int64_t k, int64_t c0, int nl, REAL *dw, const int alpha, const int r) {
  const int64_t KC = q->K * q->C;
  REAL u[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES] = {{{0}}}, t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
  for (int a = 0; a < alpha; a++)
    for (int b = 0; b < alpha; b++) memcpy(u[a][b], dU + (a * alpha + b) * KC + k * q->C + c0, sizeof(REAL) * nl);
  FN(wino_left)(M->GT, r, alpha, alpha, u, t1);
  FN(wino_right)(M->GT, r, alpha, r, t1, u);
  for (int l = 0; l < nl; l++) {
    REAL *dwkc = dw + k * q->w_k + (c0 + l) * q->w_c;
    for (int i = 0; i < r; i++)
      for (int j = 0; j < r; j++) dwkc[i * q->w_i + j * q->w_j] = u[i][j][l];
  }
}

/* dw[k][c] = G^T dU[.][k][c] G for all K x C filters; lanes run over c. */
static MIEN_MULTIVERSION void FN(wino_filter_grad)(const wino_problem *q, const FN(wino_mats) *M, const REAL *dU,
                                                   REAL *dw) {
  const int64_t KC = q->K * q->C, groups = (q->C + WINO_LANES - 1) / WINO_LANES;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads()) if (KC * q->alpha * q->alpha > MIEN_PARALLEL_GRAIN)
  for (int64_t kg = 0; kg < q->K * groups; kg++) {
    const int64_t k = kg / groups, c0 = kg % groups * WINO_LANES;
    const int nl = q->C - c0 < WINO_LANES ? (int)(q->C - c0) : WINO_LANES;
    if (q->r == 3 && q->alpha == 4) FN(wino_filter_grad_group)(q, M, dU, k, c0, nl, dw, 4, 3);
    else if (q->r == 3) FN(wino_filter_grad_group)(q, M, dU, k, c0, nl, dw, 6, 3);
    else FN(wino_filter_grad_group)(q, M, dU, k, c0, nl, dw, 6, 5);
  }
}

/* One chunk: its input and output-gradient transforms, then dU[t] += D[t] V[t]^T. */
static void FN(wino_grad_chunk_run)(const wino_problem *q, const FN(wino_mats) *M, const REAL *x, const REAL *dy,
                                    int64_t q0, int64_t np, int64_t P, REAL *V, REAL *D, int one_thread, REAL *dU) {
  const int64_t T = (int64_t)q->alpha * q->alpha, cols = (np + WINO_LANES - 1) / WINO_LANES * WINO_LANES;
  FN(wino_input)(q, M, x, q0, np, P, V);
  FN(wino_grad_output)(q, M, dy, q0, np, P, D);
  for (int64_t t = 0; t < T; t++)
    (one_thread ? GEMM_BUILTIN : GEMM)(0, 1, q->K, q->C, cols, 1, D + t * q->K * P, P, V + t * q->C * P, P, 1,
                                       dU + t * q->K * q->C, q->C);
}

/* Chunks of tiles as in wino_run, each thread summing its chunks' products
 * into its own dU (the first thread's is the result), then the sum of the
 * threads' dU and the filter gradient transform. */
static int FN(wino_weight_run)(const wino_problem *q, const REAL *x, const REAL *dy, REAL *dw) {
  FN(wino_mats) M;
  FN(wino_mats_init)(&M, q->m, q->r);
  const int64_t T = (int64_t)q->alpha * q->alpha, nU = T * q->K * q->C;
  const int nthreads = q->tiles > WINO_LANES ? mien_max_threads() : 1;
  const int64_t P = wino_grad_chunk(q, sizeof(REAL), nthreads), nchunks = (q->tiles + P - 1) / P;
  const int64_t per_thread = nU + T * (q->C + q->K) * P;
  const size_t bytes = sizeof(REAL) * (size_t)(per_thread * nthreads);
  REAL *buf = mien_cpu_alloc(bytes, false);
  if (!buf) {
    mien_set_error("conv2d (winograd weight gradient): out of memory (%zu bytes)", bytes);
    return -1;
  }
  if (nthreads == 1) {
    REAL *dU = buf, *V = buf + nU, *D = V + T * q->C * P;
    memset(dU, 0, sizeof(REAL) * (size_t)nU);
    for (int64_t c = 0; c < nchunks; c++) {
      const int64_t q0 = c * P, np = q->tiles - q0 < P ? q->tiles - q0 : P;
      FN(wino_grad_chunk_run)(q, &M, x, dy, q0, np, P, V, D, 0, dU);
    }
  } else {
#pragma omp parallel num_threads(nthreads)
    {
      REAL *dU = buf + per_thread * mien_thread_num(), *V = dU + nU, *D = V + T * q->C * P;
      memset(dU, 0, sizeof(REAL) * (size_t)nU);
#pragma omp for schedule(static) /* a fixed share per thread: the sums come out the same every run */
      for (int64_t c = 0; c < nchunks; c++) {
        const int64_t q0 = c * P, np = q->tiles - q0 < P ? q->tiles - q0 : P;
        FN(wino_grad_chunk_run)(q, &M, x, dy, q0, np, P, V, D, 1, dU);
      }
#pragma omp for schedule(static)
      for (int64_t i = 0; i < nU; i++)
        for (int u = 1; u < nthreads; u++) buf[i] += buf[u * per_thread + i];
    }
  }
  FN(wino_filter_grad)(q, &M, buf, dw);
  mien_cpu_free(buf, bytes);
  return 0;
}

int FN(mien_winograd_forward)(const mien_conv2d_params *p, int m, const REAL *x, const REAL *w, const REAL *bias,
                              int epilogue, REAL *y) {
  wino_problem q;
  wino_problem_init(&q, p, m, 0);
  return FN(wino_run)(&q, x, w, bias, epilogue, y);
}

int FN(mien_winograd_backward_input)(const mien_conv2d_params *p, int m, const REAL *dy, const REAL *w, REAL *dx) {
  wino_problem q;
  wino_problem_init(&q, p, m, 1);
  return FN(wino_run)(&q, dy, w, NULL, 0, dx);
}

int FN(mien_winograd_backward_weight)(const mien_conv2d_params *p, int m, const REAL *x, const REAL *dy, REAL *dw) {
  wino_problem q;
  wino_problem_init(&q, p, m, 0);
  return FN(wino_weight_run)(&q, x, dy, dw);
}
