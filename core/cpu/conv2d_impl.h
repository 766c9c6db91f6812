/* conv2d entry points and the im2col + GEMM path, included once per element
 * type by conv2d.c (which defines REAL, FN, GEMM and GEMM_BUILTIN).
 *
 * Images are independent, so the batch is split across threads, each with
 * its own column buffer, and each thread's GEMMs must run single-threaded.
 * The built-in GEMM does (its nested OpenMP region is inactive); OpenBLAS's
 * pthreads build does not: concurrent calls share one thread pool, which
 * measured about a third slower than the built-in kernel here. So the batch
 * loop uses the built-in GEMM, and the library GEMM only when the batch runs
 * on one thread (fewer images than threads) and can have the whole machine. */

typedef void FN(gemm_fn)(int, int, int64_t, int64_t, int64_t, REAL, const REAL *, int64_t, const REAL *, int64_t,
                         REAL, REAL *, int64_t);

static FN(gemm_fn) *FN(batch_gemm)(int nthreads) { return nthreads > 1 ? GEMM_BUILTIN : GEMM; }

static int FN(forward_im2col)(const conv2d_geometry *g, const REAL *x, const REAL *w, const REAL *bias, REAL *y) {
  const mien_conv2d_params *p = &g->p;
  const int pointwise = conv2d_is_pointwise(p);
  const int nthreads = conv2d_batch_threads(g);
  const int64_t col_size = p->C_in * g->kernel_size * g->out_plane;
  FN(gemm_fn) *gemm = FN(batch_gemm)(nthreads);
  REAL *cols = pointwise ? NULL : conv2d_alloc(sizeof(REAL) * col_size * nthreads);
  if (!pointwise && !cols) return -1;
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *xn = x + n * p->C_in * g->in_plane;
    REAL *yn = y + n * p->C_out * g->out_plane;
    const REAL *col = xn; /* a 1x1, stride-1, unpadded kernel needs no unfolding */
    if (!pointwise) {
      REAL *buf = cols + mien_thread_num() * col_size;
      FN(im2col)(g, p->C_in, xn, buf);
      col = buf;
    }
    if (bias)
      for (int64_t co = 0; co < p->C_out; co++)
        for (int64_t i = 0; i < g->out_plane; i++) yn[co * g->out_plane + i] = bias[co];
    for (int64_t grp = 0; grp < p->groups; grp++)
      gemm(0, 0, g->group_out, g->out_plane, g->col_rows, 1, w + grp * g->group_out * g->col_rows, g->col_rows,
           col + grp * g->col_rows * g->out_plane, g->out_plane, bias ? 1 : 0,
           yn + grp * g->group_out * g->out_plane, g->out_plane);
  }
  free(cols);
  return 0;
}

/* dcol = w^T dy per group, then dx = col2im(dcol). */
static int FN(backward_input_im2col)(const conv2d_geometry *g, const REAL *dy, const REAL *w, REAL *dx) {
  const mien_conv2d_params *p = &g->p;
  const int pointwise = conv2d_is_pointwise(p);
  const int nthreads = conv2d_batch_threads(g);
  const int64_t col_size = p->C_in * g->kernel_size * g->out_plane;
  FN(gemm_fn) *gemm = FN(batch_gemm)(nthreads);
  REAL *cols = pointwise ? NULL : conv2d_alloc(sizeof(REAL) * col_size * nthreads);
  if (!pointwise && !cols) return -1;
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t n = 0; n < p->N; n++) {
    const REAL *dyn = dy + n * p->C_out * g->out_plane;
    REAL *dxn = dx + n * p->C_in * g->in_plane;
    REAL *dcol = pointwise ? dxn : cols + mien_thread_num() * col_size;
    for (int64_t grp = 0; grp < p->groups; grp++)
      gemm(1, 0, g->col_rows, g->out_plane, g->group_out, 1, w + grp * g->group_out * g->col_rows, g->col_rows,
           dyn + grp * g->group_out * g->out_plane, g->out_plane, 0, dcol + grp * g->col_rows * g->out_plane,
           g->out_plane);
    if (!pointwise) {
      memset(dxn, 0, sizeof(REAL) * p->C_in * g->in_plane);
      FN(col2im)(g, p->C_in, dcol, dxn);
    }
  }
  free(cols);
  return 0;
}

/* dw = sum over images of dy_n col_n^T per group. Each thread accumulates its
 * images into its own copy of dw (thread 0 into dw itself); the copies are
 * summed at the end. */
static int FN(backward_weight_im2col)(const conv2d_geometry *g, const REAL *x, const REAL *dy, REAL *dw) {
  const mien_conv2d_params *p = &g->p;
  const int pointwise = conv2d_is_pointwise(p);
  const int nthreads = conv2d_batch_threads(g);
  const int64_t col_size = pointwise ? 0 : p->C_in * g->kernel_size * g->out_plane;
  const int64_t dw_size = p->C_out * g->col_rows;
  FN(gemm_fn) *gemm = FN(batch_gemm)(nthreads);
  const int64_t scratch_size = nthreads * col_size + (nthreads - 1) * dw_size;
  REAL *scratch = scratch_size ? conv2d_alloc(sizeof(REAL) * scratch_size) : NULL;
  if (scratch_size && !scratch) return -1;
  REAL *partials = scratch ? scratch + nthreads * col_size : NULL; /* dw copies of threads 1.. */
#pragma omp parallel num_threads(nthreads)
  {
    const int t = mien_thread_num();
    REAL *my_dw = t == 0 ? dw : partials + (t - 1) * dw_size;
    memset(my_dw, 0, sizeof(REAL) * dw_size);
#pragma omp for schedule(static)
    for (int64_t n = 0; n < p->N; n++) {
      const REAL *xn = x + n * p->C_in * g->in_plane;
      const REAL *dyn = dy + n * p->C_out * g->out_plane;
      const REAL *col = xn;
      if (!pointwise) {
        REAL *buf = scratch + t * col_size;
        FN(im2col)(g, p->C_in, xn, buf);
        col = buf;
      }
      for (int64_t grp = 0; grp < p->groups; grp++)
        gemm(0, 1, g->group_out, g->col_rows, g->out_plane, 1, dyn + grp * g->group_out * g->out_plane,
             g->out_plane, col + grp * g->col_rows * g->out_plane, g->out_plane, 1,
             my_dw + grp * g->group_out * g->col_rows, g->col_rows);
    }
#pragma omp for schedule(static)
    for (int64_t i = 0; i < dw_size; i++)
      for (int u = 1; u < nthreads; u++) dw[i] += partials[(u - 1) * dw_size + i];
  }
  free(scratch);
  return 0;
}

int FN(mien_conv2d_forward)(const mien_conv2d_params *p, const REAL *x, const REAL *w, const REAL *bias, REAL *y) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
  if (conv2d_is_depthwise(p)) {
    FN(forward_depthwise)(&g, x, w, bias, y);
    return 0;
  }
  return FN(forward_im2col)(&g, x, w, bias, y);
}

int FN(mien_conv2d_backward_input)(const mien_conv2d_params *p, const REAL *dy, const REAL *w, REAL *dx) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
  if (conv2d_is_depthwise(p)) {
    FN(backward_input_depthwise)(&g, dy, w, dx);
    return 0;
  }
  return FN(backward_input_im2col)(&g, dy, w, dx);
}

int FN(mien_conv2d_backward_weight)(const mien_conv2d_params *p, const REAL *x, const REAL *dy, REAL *dw) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
  if (conv2d_is_depthwise(p)) {
    FN(backward_weight_depthwise)(&g, x, dy, dw);
    return 0;
  }
  return FN(backward_weight_im2col)(&g, x, dy, dw);
}

/* Summed in double whatever REAL is: a plane sum over a large batch loses
 * bits quickly in float. */
int FN(mien_conv2d_backward_bias)(const mien_conv2d_params *p, const REAL *dy, REAL *db) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
#pragma omp parallel for schedule(static) if (p->N * p->C_out * g.out_plane > MIEN_PARALLEL_GRAIN)
  for (int64_t co = 0; co < p->C_out; co++) {
    double sum = 0;
    for (int64_t n = 0; n < p->N; n++) {
      const REAL *plane = dy + (n * p->C_out + co) * g.out_plane;
      for (int64_t i = 0; i < g.out_plane; i++) sum += plane[i];
    }
    db[co] = (REAL)sum;
  }
  return 0;
}
