/* conv2d entry points and the im2col path, included once per element type by
 * conv2d.c (which defines REAL, FN, GEMM and GEMM_BUILTIN). The products are
 * GEMMs, or for few column rows the small-K kernels (conv2d_smallk_impl.h).
 *
 * Images are independent, so the batch is split across threads, each with
 * its own column buffer, and each thread's GEMMs must run single-threaded.
 * The built-in GEMM does (its nested OpenMP region is inactive); OpenBLAS's
 * pthreads build does not: concurrent calls share one thread pool, which
 * measured about a third slower than the built-in kernel here. So the batch
 * loop uses the built-in GEMM, and the library GEMM only when the batch runs
 * on one thread (fewer images than threads) and can have the whole machine.
 *
 * The GEMMs of one image are N = OH * OW wide, which is thin for small
 * planes (36 columns at 6x6). So `span` images (conv2d_span) are unfolded
 * side by side into one column matrix of span * OH * OW columns; their
 * outputs and output gradients pass through a [C_out, span * OH * OW]
 * matrix, gathered from and scattered to the images' planes. */

typedef void FN(gemm_fn)(int, int, int64_t, int64_t, int64_t, REAL, const REAL *, int64_t, const REAL *, int64_t,
                         REAL, REAL *, int64_t);

static FN(gemm_fn) *FN(batch_gemm)(int nthreads) { return nthreads > 1 ? GEMM_BUILTIN : GEMM; }

/* dst[c][b * plane + i] = src[b][c][i] for nb images of `channels` planes. */
static void FN(gather_planes)(const REAL *restrict src, int64_t channels, int64_t plane, int64_t nb,
                              REAL *restrict dst) {
  for (int64_t b = 0; b < nb; b++)
    for (int64_t c = 0; c < channels; c++)
      memcpy(dst + (c * nb + b) * plane, src + (b * channels + c) * plane, sizeof(REAL) * plane);
}

/* The inverse of gather_planes, adding bias[c] when there is one. */
static void FN(scatter_planes)(const REAL *restrict src, int64_t channels, int64_t plane, int64_t nb,
                               const REAL *bias, REAL *restrict dst) {
  for (int64_t b = 0; b < nb; b++)
    for (int64_t c = 0; c < channels; c++) {
      const REAL *from = src + (c * nb + b) * plane, add = bias ? bias[c] : 0;
      REAL *to = dst + (b * channels + c) * plane;
      for (int64_t i = 0; i < plane; i++) to[i] = from[i] + add;
    }
}

/* The column matrix of images [n0, n0 + nb): each image's columns at b *
 * out_plane of rows `ld` long. A pointwise kernel needs none: x is it. */
static const REAL *FN(unfold_span)(const conv2d_geometry *g, const REAL *x, int64_t n0, int64_t nb, REAL *buf) {
  const REAL *xn = x + n0 * g->p.C_in * g->in_plane;
  if (conv2d_is_pointwise(&g->p)) return xn;
  for (int64_t b = 0; b < nb; b++)
    FN(im2col)(g, g->p.C_in, xn + b * g->p.C_in * g->in_plane, buf + b * g->out_plane, nb * g->out_plane);
  return buf;
}

static int FN(forward_im2col)(const conv2d_geometry *g, const REAL *x, const REAL *w, const REAL *bias, REAL *y) {
  const mien_conv2d_params *p = &g->p;
  const int small_k = conv2d_small_nn(g);
  const conv2d_plan pl = conv2d_plan_of(g, sizeof(REAL), small_k);
  const int nthreads = pl.nthreads;
  const int64_t span = pl.span, nspans = pl.nspans, col_size = pl.col_size, out_size = pl.planes_size;
  FN(gemm_fn) *gemm = FN(batch_gemm)(nthreads);
  REAL *scratch;
  size_t scratch_bytes;
  if (conv2d_scratch(&pl, sizeof(REAL), 0, (void **)&scratch, &scratch_bytes) != 0) return -1;
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t s = 0; s < nspans; s++) {
    const int64_t n0 = s * span, nb = p->N - n0 < span ? p->N - n0 : span, ld = nb * g->out_plane;
    REAL *buf = scratch ? scratch + mien_thread_num() * (col_size + out_size) : NULL; /* none for 1x1 kernels */
    const REAL *col = FN(unfold_span)(g, x, n0, nb, buf);
    REAL *yn = y + n0 * p->C_out * g->out_plane;
    if (small_k) { /* span 1 */
      for (int64_t grp = 0; grp < p->groups; grp++)
        FN(small_nn)(g->group_out, g->col_rows, ld, w + grp * g->group_out * g->col_rows, g->col_rows, 1,
                     col + grp * g->col_rows * ld, ld, bias ? bias + grp * g->group_out : NULL,
                     yn + grp * g->group_out * ld, ld);
      continue;
    }
    /* one image: straight into y, on top of the bias; several: via scratch */
    REAL *out = nb > 1 ? buf + col_size : yn;
    if (bias && nb == 1)
      for (int64_t co = 0; co < p->C_out; co++)
        for (int64_t i = 0; i < g->out_plane; i++) yn[co * g->out_plane + i] = bias[co];
    for (int64_t grp = 0; grp < p->groups; grp++)
      gemm(0, 0, g->group_out, ld, g->col_rows, 1, w + grp * g->group_out * g->col_rows, g->col_rows,
           col + grp * g->col_rows * ld, ld, bias && nb == 1 ? 1 : 0, out + grp * g->group_out * ld, ld);
    if (nb > 1) FN(scatter_planes)(out, p->C_out, g->out_plane, nb, bias, yn);
  }
  conv2d_scratch_free(scratch, scratch_bytes);
  return 0;
}

/* dcol = w^T dy per group, then dx = col2im(dcol). */
static int FN(backward_input_im2col)(const conv2d_geometry *g, const REAL *dy, const REAL *w, REAL *dx) {
  const mien_conv2d_params *p = &g->p;
  const int pointwise = conv2d_is_pointwise(p), small_k = conv2d_small_nn(g);
  const conv2d_plan pl = conv2d_plan_of(g, sizeof(REAL), small_k);
  const int nthreads = pl.nthreads;
  const int64_t span = pl.span, nspans = pl.nspans, col_size = pl.col_size, dy_size = pl.planes_size;
  FN(gemm_fn) *gemm = FN(batch_gemm)(nthreads);
  REAL *scratch;
  size_t scratch_bytes;
  if (conv2d_scratch(&pl, sizeof(REAL), 0, (void **)&scratch, &scratch_bytes) != 0) return -1;
#pragma omp parallel for num_threads(nthreads) schedule(static)
  for (int64_t s = 0; s < nspans; s++) {
    const int64_t n0 = s * span, nb = p->N - n0 < span ? p->N - n0 : span, ld = nb * g->out_plane;
    REAL *buf = scratch ? scratch + mien_thread_num() * (col_size + dy_size) : NULL; /* none for 1x1 kernels */
    const REAL *dyn = dy + n0 * p->C_out * g->out_plane;
    REAL *dxn = dx + n0 * p->C_in * g->in_plane;
    if (nb > 1) {
      FN(gather_planes)(dyn, p->C_out, g->out_plane, nb, buf + col_size);
      dyn = buf + col_size;
    }
    REAL *dcol = pointwise ? dxn : buf;
    for (int64_t grp = 0; grp < p->groups; grp++) {
      const REAL *wg = w + grp * g->group_out * g->col_rows, *dyg = dyn + grp * g->group_out * ld;
      REAL *dcolg = dcol + grp * g->col_rows * ld;
      if (small_k) /* w^T read in place: row stride 1, column stride col_rows */
        FN(small_nn)(g->col_rows, g->group_out, ld, wg, 1, g->col_rows, dyg, ld, NULL, dcolg, ld);
      else
        gemm(1, 0, g->col_rows, ld, g->group_out, 1, wg, g->col_rows, dyg, ld, 0, dcolg, ld);
    }
    if (pointwise) continue;
    memset(dxn, 0, sizeof(REAL) * nb * p->C_in * g->in_plane);
    for (int64_t b = 0; b < nb; b++)
      FN(col2im)(g, p->C_in, dcol + b * g->out_plane, ld, dxn + b * p->C_in * g->in_plane);
  }
  conv2d_scratch_free(scratch, scratch_bytes);
  return 0;
}

/* dw = sum over images of dy_n col_n^T per group. Each thread accumulates its
 * images into its own copy of dw (thread 0 into dw itself); the copies are
 * summed at the end. */
static int FN(backward_weight_im2col)(const conv2d_geometry *g, const REAL *x, const REAL *dy, REAL *dw) {
  const mien_conv2d_params *p = &g->p;
  const int small_k = conv2d_small_nt(g);
  const conv2d_plan pl = conv2d_plan_of(g, sizeof(REAL), small_k);
  const int nthreads = pl.nthreads;
  const int64_t span = pl.span, nspans = pl.nspans, col_size = pl.col_size, dy_size = pl.planes_size;
  const int64_t dw_size = p->C_out * g->col_rows;
  FN(gemm_fn) *gemm = FN(batch_gemm)(nthreads);
  REAL *scratch;
  size_t scratch_bytes;
  if (conv2d_scratch(&pl, sizeof(REAL), (nthreads - 1) * dw_size, (void **)&scratch, &scratch_bytes) != 0) return -1;
  REAL *partials = scratch ? scratch + nthreads * (col_size + dy_size) : NULL; /* dw copies of threads 1.. */
#pragma omp parallel num_threads(nthreads)
  {
    const int t = mien_thread_num();
    REAL *my_dw = t == 0 ? dw : partials + (t - 1) * dw_size;
    REAL *buf = scratch ? scratch + t * (col_size + dy_size) : NULL; /* none for 1x1 kernels */
    memset(my_dw, 0, sizeof(REAL) * dw_size);
#pragma omp for schedule(static)
    for (int64_t s = 0; s < nspans; s++) {
      const int64_t n0 = s * span, nb = p->N - n0 < span ? p->N - n0 : span, ld = nb * g->out_plane;
      const REAL *col = FN(unfold_span)(g, x, n0, nb, buf);
      const REAL *dyn = dy + n0 * p->C_out * g->out_plane;
      if (nb > 1) {
        FN(gather_planes)(dyn, p->C_out, g->out_plane, nb, buf + col_size);
        dyn = buf + col_size;
      }
      for (int64_t grp = 0; grp < p->groups; grp++) {
        const REAL *dyg = dyn + grp * g->group_out * ld, *colg = col + grp * g->col_rows * ld;
        REAL *dwg = my_dw + grp * g->group_out * g->col_rows;
        if (small_k)
          FN(small_nt)(g->group_out, g->col_rows, ld, dyg, ld, colg, ld, dwg, g->col_rows);
        else
          gemm(0, 1, g->group_out, g->col_rows, ld, 1, dyg, ld, colg, ld, 1, dwg, g->col_rows);
      }
    }
#pragma omp for schedule(static)
    for (int64_t i = 0; i < dw_size; i++)
      for (int u = 1; u < nthreads; u++) dw[i] += partials[(u - 1) * dw_size + i];
  }
  conv2d_scratch_free(scratch, scratch_bytes);
  return 0;
}

int FN(mien_conv2d_forward)(const mien_conv2d_params *p, const REAL *x, const REAL *w, const REAL *bias, REAL *y) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
  if (conv2d_is_depthwise(p)) {
    FN(forward_depthwise)(&g, x, w, bias, y);
    return 0;
  }
#ifndef CONV2D_NO_WINOGRAD
  /* winograd: stride-1 3x3 convolutions where it wins (winograd.c) */
  const int wino_m = mien_winograd_tile(p, WINO_FORWARD);
  if (wino_m) return FN(mien_winograd_forward)(p, wino_m, x, w, bias, 0, y);
#endif
  return FN(forward_im2col)(&g, x, w, bias, y);
}

int FN(mien_conv2d_backward_input)(const mien_conv2d_params *p, const REAL *dy, const REAL *w, REAL *dx) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
  if (conv2d_is_depthwise(p)) {
    FN(backward_input_depthwise)(&g, dy, w, dx);
    return 0;
  }
#ifndef CONV2D_NO_WINOGRAD
  /* winograd: the input gradient is a stride-1 3x3 convolution too */
  const int wino_m = mien_winograd_tile(p, WINO_INPUT_GRAD);
  if (wino_m) return FN(mien_winograd_backward_input)(p, wino_m, dy, w, dx);
#endif
  return FN(backward_input_im2col)(&g, dy, w, dx);
}

int FN(mien_conv2d_backward_weight)(const mien_conv2d_params *p, const REAL *x, const REAL *dy, REAL *dw) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
  if (conv2d_is_depthwise(p)) {
    FN(backward_weight_depthwise)(&g, x, dy, dw);
    return 0;
  }
#ifndef CONV2D_NO_WINOGRAD
  const int wino_m = mien_winograd_tile(p, WINO_WEIGHT_GRAD);
  if (wino_m) return FN(mien_winograd_backward_weight)(p, wino_m, x, dy, dw);
#endif
  return FN(backward_weight_im2col)(&g, x, dy, dw);
}

/* Sum of output channel co of dy over the batch, in eight partial sums (one
 * would bind the loop to the latency of a double add; eight vectorise). */
static MIEN_MULTIVERSION double FN(channel_sum)(const conv2d_geometry *g, const REAL *dy, int64_t co) {
  double acc[8] = {0}, sum = 0;
  for (int64_t n = 0; n < g->p.N; n++) {
    const REAL *plane = dy + (n * g->p.C_out + co) * g->out_plane;
    int64_t i = 0;
    for (; i + 8 <= g->out_plane; i += 8)
      for (int k = 0; k < 8; k++) acc[k] += plane[i + k];
    for (; i < g->out_plane; i++) sum += plane[i];
  }
  for (int k = 0; k < 8; k++) sum += acc[k];
  return sum;
}

/* Summed in double whatever REAL is: a plane sum over a large batch loses
 * bits quickly in float. */
int FN(mien_conv2d_backward_bias)(const mien_conv2d_params *p, const REAL *dy, REAL *db) {
  conv2d_geometry g;
  if (conv2d_geometry_init(&g, p) != 0) return -1;
#pragma omp parallel for schedule(static) if (p->N * p->C_out * g.out_plane > MIEN_PARALLEL_GRAIN)
  for (int64_t co = 0; co < p->C_out; co++) db[co] = (REAL)FN(channel_sum)(&g, dy, co);
  return 0;
}
