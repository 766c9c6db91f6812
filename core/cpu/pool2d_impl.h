/* Pooling kernels, included once per element type by pool2d.c (which
 * defines REAL and FN). Every (image, channel) plane is independent, so the
 * planes are split across threads. */

/* One plane of the common 2x2, stride-2, unpadded max pool with every
 * window inside the input. The general loop below branches on every
 * comparison, which random activations mispredict half the time; this one
 * selects without branches (and vectorises). Same scan order and tie/NaN
 * rules: the first maximum wins, a NaN wins over numbers (the last NaN). */
static MIEN_MULTIVERSION void FN(max_pool2x2_plane)(const pool2d_geometry *g, const REAL *restrict in,
                                                    REAL *restrict y, int64_t *restrict indices) {
  const int64_t W = g->p.W;
  for (int64_t oh = 0; oh < g->OH; oh++) {
    const REAL *r0 = in + 2 * oh * W, *r1 = r0 + W;
    REAL *out = y + oh * g->OW;
    int64_t *at = indices ? indices + oh * g->OW : NULL; /* a loop invariant: GCC unswitches it */
    for (int64_t ow = 0; ow < g->OW; ow++) {
      const REAL a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
      REAL best = a;
      int64_t k = 0;
      const int take_b = b > best || b != b;
      best = take_b ? b : best, k = take_b ? 1 : k;
      const int take_c = c > best || c != c;
      best = take_c ? c : best, k = take_c ? W : k;
      const int take_d = d > best || d != d;
      best = take_d ? d : best, k = take_d ? W + 1 : k;
      out[ow] = best;
      if (at) at[ow] = 2 * oh * W + 2 * ow + k;
    }
  }
}

static int FN(max_pool_is_2x2)(const pool2d_geometry *g) {
  const mien_pool2d_params *p = &g->p;
  return p->KH == 2 && p->KW == 2 && p->stride_h == 2 && p->stride_w == 2 && p->pad_h == 0 && p->pad_w == 0 &&
         2 * g->OH <= p->H && 2 * g->OW <= p->W;
}

int FN(mien_max_pool2d_forward)(const mien_pool2d_params *p, const REAL *x, REAL *y, int64_t *indices) {
  pool2d_geometry g;
  if (pool2d_geometry_init(&g, p) != 0) return -1;
  const int is_2x2 = FN(max_pool_is_2x2)(&g);
#pragma omp parallel for schedule(static) if (pool2d_work(&g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C; plane++) {
    const REAL *in = x + plane * g.in_plane;
    if (is_2x2) {
      FN(max_pool2x2_plane)(&g, in, y + plane * g.out_plane, indices ? indices + plane * g.out_plane : NULL);
      continue;
    }
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const pool_span hs = pool_span_at(oh, p->stride_h, p->pad_h, p->KH, p->H);
      for (int64_t ow = 0; ow < g.OW; ow++) {
        const pool_span ws = pool_span_at(ow, p->stride_w, p->pad_w, p->KW, p->W);
        REAL best = -INFINITY;
        int64_t best_at = hs.start * p->W + ws.start;
        for (int64_t ih = hs.start; ih < hs.end; ih++)
          for (int64_t iw = ws.start; iw < ws.end; iw++) {
            const REAL v = in[ih * p->W + iw];
            if (v > best || isnan(v)) best = v, best_at = ih * p->W + iw;
          }
        const int64_t out = plane * g.out_plane + oh * g.OW + ow;
        y[out] = best;
        if (indices) indices[out] = best_at;
      }
    }
  }
  return 0;
}

int FN(mien_max_pool2d_backward)(const mien_pool2d_params *p, const REAL *dy, const int64_t *indices, REAL *dx) {
  pool2d_geometry g;
  if (pool2d_geometry_init(&g, p) != 0) return -1;
  int64_t bad_index = -1; /* an index outside its plane would write out of bounds */
#pragma omp parallel for schedule(static) if (pool2d_work(&g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C; plane++) {
    REAL *din = dx + plane * g.in_plane;
    memset(din, 0, sizeof(REAL) * g.in_plane);
    for (int64_t i = plane * g.out_plane; i < (plane + 1) * g.out_plane; i++) {
      if (indices[i] < 0 || indices[i] >= g.in_plane) {
#pragma omp atomic write
        bad_index = i;
        continue;
      }
      din[indices[i]] += dy[i];
    }
  }
  if (bad_index >= 0) {
    mien_set_error("max_pool2d backward: index %" PRId64 " at position %" PRId64 " is outside the %" PRId64
                   "x%" PRId64 " plane",
                   indices[bad_index], bad_index, p->H, p->W);
    return -1;
  }
  return 0;
}

int FN(mien_avg_pool2d_forward)(const mien_pool2d_params *p, const REAL *x, REAL *y) {
  pool2d_geometry g;
  if (pool2d_geometry_init(&g, p) != 0) return -1;
#pragma omp parallel for schedule(static) if (pool2d_work(&g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C; plane++) {
    const REAL *in = x + plane * g.in_plane;
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const pool_span hs = pool_span_at(oh, p->stride_h, p->pad_h, p->KH, p->H);
      for (int64_t ow = 0; ow < g.OW; ow++) {
        const pool_span ws = pool_span_at(ow, p->stride_w, p->pad_w, p->KW, p->W);
        REAL sum = 0;
        for (int64_t ih = hs.start; ih < hs.end; ih++)
          for (int64_t iw = ws.start; iw < ws.end; iw++) sum += in[ih * p->W + iw];
        y[plane * g.out_plane + oh * g.OW + ow] = sum / (REAL)avg_divisor(p, hs, ws);
      }
    }
  }
  return 0;
}

int FN(mien_avg_pool2d_backward)(const mien_pool2d_params *p, const REAL *dy, REAL *dx) {
  pool2d_geometry g;
  if (pool2d_geometry_init(&g, p) != 0) return -1;
#pragma omp parallel for schedule(static) if (pool2d_work(&g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C; plane++) {
    REAL *din = dx + plane * g.in_plane;
    memset(din, 0, sizeof(REAL) * g.in_plane);
    for (int64_t oh = 0; oh < g.OH; oh++) {
      const pool_span hs = pool_span_at(oh, p->stride_h, p->pad_h, p->KH, p->H);
      for (int64_t ow = 0; ow < g.OW; ow++) {
        const pool_span ws = pool_span_at(ow, p->stride_w, p->pad_w, p->KW, p->W);
        const REAL share = dy[plane * g.out_plane + oh * g.OW + ow] / (REAL)avg_divisor(p, hs, ws);
        for (int64_t ih = hs.start; ih < hs.end; ih++)
          for (int64_t iw = ws.start; iw < ws.end; iw++) din[ih * p->W + iw] += share;
      }
    }
  }
  return 0;
}
