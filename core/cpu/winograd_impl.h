/* Winograd kernels, included once per element type by winograd.c (which
 * defines REAL, FN and GEMM). A convolution runs in chunks of P tiles:
 *
 *   U[t][k][c] = (G w_kc G^T)[t]          once per call (filter transform)
 *   V[t][c][p] = (B^T d_cp B)[t]          per chunk     (input transform)
 *   M[t] = U[t] V[t]                      alpha^2 GEMMs [K x C] x [C x P]
 *                                         (by blocks of WINO_BLOCK_K rows)
 *   y tile (k, p) = A^T M[.][k][p] A      per chunk     (output transform)
 *
 * The transforms work on WINO_LANES tiles (or input channels, for the
 * filter) at once, the lanes innermost so the loops vectorise; the
 * filter transform is spread over the threads, and the chunks go to the
 * threads whole (wino_run). */

typedef struct FN(wino_mats) {
  int m, r, alpha;
  REAL BT[WINO_ALPHA_MAX][WINO_ALPHA_MAX], G[WINO_ALPHA_MAX][WINO_ALPHA_MAX], AT[WINO_ALPHA_MAX][WINO_ALPHA_MAX];
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
    }
}

/* out[i][j][.] = sum_k A[i][k] in[k][j][.] for i < rows, j < cols, k < inner:
 * one side of a transform, on lanes. Zero coefficients are skipped. */
static inline void FN(wino_left)(const REAL A[WINO_ALPHA_MAX][WINO_ALPHA_MAX], int rows, int inner, int cols,
                                 REAL in[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES],
                                 REAL out[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES]) {
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) {
      REAL acc[WINO_LANES] = {0};
      for (int k = 0; k < inner; k++) {
        const REAL a = A[i][k];
        if (a == 0) continue;
        for (int l = 0; l < WINO_LANES; l++) acc[l] += a * in[k][j][l];
      }
      memcpy(out[i][j], acc, sizeof acc);
    }
}

/* out[i][j][.] = sum_k in[i][k][.] A[j][k]: the other side. */
static inline void FN(wino_right)(const REAL A[WINO_ALPHA_MAX][WINO_ALPHA_MAX], int rows, int inner, int cols,
                                  REAL in[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES],
                                  REAL out[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES]) {
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) {
      REAL acc[WINO_LANES] = {0};
      for (int k = 0; k < inner; k++) {
        const REAL a = A[j][k];
        if (a == 0) continue;
        for (int l = 0; l < WINO_LANES; l++) acc[l] += a * in[i][k][l];
      }
      memcpy(out[i][j], acc, sizeof acc);
    }
}

/* U[t][k][c], t = a * alpha + b, for all K x C filters; lanes run over c. */
static MIEN_MULTIVERSION void FN(wino_filter)(const wino_problem *q, const FN(wino_mats) *M, const REAL *w,
                                              REAL *U) {
  const int r = q->r, alpha = q->alpha;
  const int64_t KC = q->K * q->C, groups = (q->C + WINO_LANES - 1) / WINO_LANES;
  w += wino_weight_origin(q);
#pragma omp parallel for schedule(static) num_threads(mien_max_threads()) if (KC * alpha * alpha > MIEN_PARALLEL_GRAIN)
  for (int64_t kg = 0; kg < q->K * groups; kg++) {
    const int64_t k = kg / groups, c0 = kg % groups * WINO_LANES;
    const int nl = q->C - c0 < WINO_LANES ? (int)(q->C - c0) : WINO_LANES;
    REAL g[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES] = {{{0}}}, t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES],
                                                       u[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
    for (int l = 0; l < nl; l++) {
      const REAL *wkc = w + k * q->w_k + (c0 + l) * q->w_c;
      for (int i = 0; i < r; i++)
        for (int j = 0; j < r; j++) g[i][j][l] = wkc[i * q->w_i + j * q->w_j];
    }
    FN(wino_left)(M->G, alpha, r, r, g, t1);
    FN(wino_right)(M->G, alpha, r, alpha, t1, u);
    for (int a = 0; a < alpha; a++)
      for (int b = 0; b < alpha; b++) memcpy(U + (a * alpha + b) * KC + k * q->C + c0, u[a][b], sizeof(REAL) * nl);
  }
}

/* V[t][c][p] for the tiles [q0, q0 + np) of the chunk (P columns; lanes
 * beyond np are zero). */
static MIEN_MULTIVERSION void FN(wino_input)(const wino_problem *q, const FN(wino_mats) *M, const REAL *x,
                                             int64_t q0, int64_t np, int64_t P, REAL *V) {
  const int alpha = q->alpha, m = q->m;
  const int64_t groups = (np + WINO_LANES - 1) / WINO_LANES, CP = q->C * P;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads())
  for (int64_t cg = 0; cg < q->C * groups; cg++) {
    const int64_t c = cg / groups, p0 = cg % groups * WINO_LANES;
    REAL d[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES], t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
    for (int l = 0; l < WINO_LANES; l++) {
      if (p0 + l >= np) {
        for (int i = 0; i < alpha; i++)
          for (int j = 0; j < alpha; j++) d[i][j][l] = 0;
        continue;
      }
      int64_t n, ty, tx;
      wino_tile_of(q, q0 + p0 + l, &n, &ty, &tx);
      const int64_t y0 = ty * m - q->pad_h, x0 = tx * m - q->pad_w;
      const REAL *plane = x + (n * q->C + c) * q->H * q->W;
      if (y0 >= 0 && x0 >= 0 && y0 + alpha <= q->H && x0 + alpha <= q->W) {
        for (int i = 0; i < alpha; i++)
          for (int j = 0; j < alpha; j++) d[i][j][l] = plane[(y0 + i) * q->W + x0 + j];
      } else { /* zero padding, or past the input's edge in a partial tile */
        for (int i = 0; i < alpha; i++)
          for (int j = 0; j < alpha; j++) {
            const int64_t yy = y0 + i, xx = x0 + j;
            d[i][j][l] = yy >= 0 && yy < q->H && xx >= 0 && xx < q->W ? plane[yy * q->W + xx] : 0;
          }
      }
    }
    FN(wino_left)(M->BT, alpha, alpha, alpha, d, t1);
    FN(wino_right)(M->BT, alpha, alpha, alpha, t1, d);
    for (int i = 0; i < alpha; i++)
      for (int j = 0; j < alpha; j++) memcpy(V + (i * alpha + j) * CP + c * P + p0, d[i][j], sizeof d[i][j]);
  }
}

/* y tiles of the chunk from M[t][k][p] (output channels [k0, k0 + kb)), plus
 * bias, then the epilogue: ReLU, and a 2x2 max-pool inside each tile (tiles
 * start at even rows and columns, m is even). */
static MIEN_MULTIVERSION void FN(wino_output)(const wino_problem *q, const FN(wino_mats) *M, const REAL *Mt,
                                              int64_t k0, int64_t kb, int64_t q0, int64_t np, int64_t P,
                                              const REAL *bias, int epilogue, REAL *y) {
  const int alpha = q->alpha, m = q->m, relu = epilogue & MIEN_EPILOGUE_RELU, pool = epilogue & MIEN_EPILOGUE_POOL;
  const int64_t groups = (np + WINO_LANES - 1) / WINO_LANES, KP = kb * P;
  const int64_t YH = pool ? q->OH / 2 : q->OH, YW = pool ? q->OW / 2 : q->OW, ym = pool ? m / 2 : m;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads())
  for (int64_t kg = 0; kg < kb * groups; kg++) {
    const int64_t kk = kg / groups, k = k0 + kk, p0 = kg % groups * WINO_LANES;
    REAL s[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES], t1[WINO_ALPHA_MAX][WINO_ALPHA_MAX][WINO_LANES];
    for (int i = 0; i < alpha; i++)
      for (int j = 0; j < alpha; j++) memcpy(s[i][j], Mt + (i * alpha + j) * KP + kk * P + p0, sizeof s[i][j]);
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
      int64_t n, ty, tx;
      wino_tile_of(q, q0 + p0 + l, &n, &ty, &tx);
      REAL *plane = y + (n * q->K + k) * YH * YW;
      const int64_t oy = ty * ym, ox = tx * ym;
      const int rows = YH - oy < ym ? (int)(YH - oy) : (int)ym, cols = YW - ox < ym ? (int)(YW - ox) : (int)ym;
      for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
          const REAL v = s[i][j][l] + add; /* the bias commutes with the max */
          plane[(oy + i) * YW + ox + j] = relu && !(v > 0) ? 0 : v;
        }
    }
  }
}

/* One chunk of tiles [q0, q0 + np): input transform into V, then per block
 * of output channels the alpha^2 GEMMs into Mt and the output transform. */
static void FN(wino_chunk_run)(const wino_problem *q, const FN(wino_mats) *M, const REAL *x, const REAL *U,
                               const REAL *bias, int epilogue, int64_t q0, int64_t np, int64_t P, REAL *V, REAL *Mt,
                               int one_thread, REAL *y) {
  const int64_t T = (int64_t)q->alpha * q->alpha, KB = q->K < WINO_BLOCK_K ? q->K : WINO_BLOCK_K;
  const int64_t cols = (np + WINO_LANES - 1) / WINO_LANES * WINO_LANES;
  FN(wino_input)(q, M, x, q0, np, P, V);
  for (int64_t k0 = 0; k0 < q->K; k0 += KB) { /* a block of output channels, transformed while M is in cache */
    const int64_t kb = q->K - k0 < KB ? q->K - k0 : KB;
    for (int64_t t = 0; t < T; t++)
      (one_thread ? GEMM_BUILTIN : GEMM)(0, 0, kb, cols, q->C, 1, U + t * q->K * q->C + k0 * q->C, q->C,
                                         V + t * q->C * P, P, 0, Mt + t * kb * P, P);
    FN(wino_output)(q, M, Mt, k0, kb, q0, np, P, bias, epilogue, y);
  }
}

/* The filter transform on all threads, then the chunks of tiles: on one
 * thread in turn with OpenBLAS's GEMMs, or one chunk per thread at a time,
 * each thread transforming and multiplying its own (the built-in GEMM on
 * one thread, as in conv2d_impl.h: concurrent OpenBLAS calls share its one
 * thread pool), so that the threads meet at no barrier per chunk; that
 * matters on a loaded machine, where each barrier waits for a descheduled
 * thread. */
static int FN(wino_run)(const wino_problem *q, const REAL *x, const REAL *w, const REAL *bias, int epilogue,
                        REAL *y) {
  if (q->N == 0) return 0;
  FN(wino_mats) M;
  FN(wino_mats_init)(&M, q->m, q->r);
  const int nthreads = mien_max_threads();
  const int64_t T = (int64_t)q->alpha * q->alpha, KB = q->K < WINO_BLOCK_K ? q->K : WINO_BLOCK_K;
  const int64_t P = wino_chunk(q, sizeof(REAL), nthreads), nchunks = (q->tiles + P - 1) / P;
  const int64_t nU = T * q->K * q->C, per_thread = T * q->C * P + T * KB * P;
  const size_t bytes = sizeof(REAL) * (size_t)(nU + per_thread * nthreads);
  REAL *U = mien_cpu_alloc(bytes, false); /* cached: fresh pages would fault on every call */
  if (!U) {
    mien_set_error("conv2d (winograd): out of memory (%zu bytes)", bytes);
    return -1;
  }
  FN(wino_filter)(q, &M, w, U);
  if (nthreads == 1) {
    for (int64_t c = 0; c < nchunks; c++) {
      const int64_t q0 = c * P, np = q->tiles - q0 < P ? q->tiles - q0 : P;
      FN(wino_chunk_run)(q, &M, x, U, bias, epilogue, q0, np, P, U + nU, U + nU + T * q->C * P, 0, y);
    }
  } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
    for (int64_t c = 0; c < nchunks; c++) { /* the transforms' own loops run on this thread alone */
      REAL *V = U + nU + per_thread * mien_thread_num(), *Mt = V + T * q->C * P;
      const int64_t q0 = c * P, np = q->tiles - q0 < P ? q->tiles - q0 : P;
      FN(wino_chunk_run)(q, &M, x, U, bias, epilogue, q0, np, P, V, Mt, 1, y);
    }
  }
  mien_cpu_free(U, bytes);
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
