/* Pooling kernels, included once per element type by pool2d.c (which
 * defines REAL and FN). Every (image, channel) plane is independent, so the
 * planes are split across threads. */

int FN(mien_max_pool2d_forward)(const mien_pool2d_params *p, const REAL *x, REAL *y, int64_t *indices) {
  pool2d_geometry g;
  if (pool2d_geometry_init(&g, p) != 0) return -1;
#pragma omp parallel for schedule(static) if (pool2d_work(&g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C; plane++) {
    const REAL *in = x + plane * g.in_plane;
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
