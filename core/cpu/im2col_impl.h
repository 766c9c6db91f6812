/* im2col / col2im, included once per element type by conv2d.c (which
 * defines REAL and FN).
 *
 * The column matrix of `channels` input channels has one row per (c, kh, kw)
 * and one column per output position:
 *   col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*sh + kh*dh - ph][ow*sw + kw*dw - pw]
 * (zero where that falls in the padding), so that a convolution becomes
 * weights [C_out, rows] x col [rows, OH*OW]. */

static void FN(im2col)(const conv2d_geometry *g, int64_t channels, const REAL *restrict x, REAL *restrict col) {
  const mien_conv2d_params *p = &g->p;
  for (int64_t c = 0; c < channels; c++) {
    for (int64_t kh = 0; kh < p->KH; kh++) {
      for (int64_t kw = 0; kw < p->KW; kw++, col += g->out_plane) {
        const int64_t w_offset = kw * p->dil_w - p->pad_w;
        int64_t lo, hi;
        conv2d_valid_range(p->W, g->OW, p->stride_w, w_offset, &lo, &hi);
        for (int64_t oh = 0; oh < g->OH; oh++) {
          REAL *dst = col + oh * g->OW;
          const int64_t ih = oh * p->stride_h + kh * p->dil_h - p->pad_h;
          if (ih < 0 || ih >= p->H) {
            memset(dst, 0, sizeof(REAL) * g->OW);
            continue;
          }
          memset(dst, 0, sizeof(REAL) * lo);
          memset(dst + hi, 0, sizeof(REAL) * (g->OW - hi));
          if (lo == hi) continue;
          const REAL *src = x + c * g->in_plane + ih * p->W + lo * p->stride_w + w_offset;
          if (p->stride_w == 1)
            memcpy(dst + lo, src, sizeof(REAL) * (hi - lo));
          else
            for (int64_t t = 0; t < hi - lo; t++) dst[lo + t] = src[t * p->stride_w];
        }
      }
    }
  }
}

/* The adjoint of im2col: x += fold(col). */
static void FN(col2im)(const conv2d_geometry *g, int64_t channels, const REAL *restrict col, REAL *restrict x) {
  const mien_conv2d_params *p = &g->p;
  for (int64_t c = 0; c < channels; c++) {
    for (int64_t kh = 0; kh < p->KH; kh++) {
      for (int64_t kw = 0; kw < p->KW; kw++, col += g->out_plane) {
        const int64_t w_offset = kw * p->dil_w - p->pad_w;
        int64_t lo, hi;
        conv2d_valid_range(p->W, g->OW, p->stride_w, w_offset, &lo, &hi);
        for (int64_t oh = 0; oh < g->OH; oh++) {
          const int64_t ih = oh * p->stride_h + kh * p->dil_h - p->pad_h;
          if (ih < 0 || ih >= p->H || lo == hi) continue;
          const REAL *src = col + oh * g->OW + lo;
          REAL *dst = x + c * g->in_plane + ih * p->W + lo * p->stride_w + w_offset;
          for (int64_t t = 0; t < hi - lo; t++) dst[t * p->stride_w] += src[t];
        }
      }
    }
  }
}
