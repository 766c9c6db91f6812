/* im2col / col2im, included once per element type by conv2d.c (which
 * defines REAL and FN).
 *
 * The column matrix of `channels` input channels has one row per (c, kh, kw)
 * and one column per output position:
 *   col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*sh + kh*dh - ph][ow*sw + kw*dw - pw]
 * (zero where that falls in the padding), so that a convolution becomes
 * weights [C_out, rows] x col [rows, OH*OW]. Rows are `ld` apart, so several
 * images' columns can sit side by side in one matrix. */

/* One row of the column matrix of a stride-1 kernel whose output is as wide
 * as its input (W == OW, 'same' padding): the rows of x it reads and the
 * rows of col it writes are equally far apart, so the valid block is one
 * copy, after which the columns that fall in the left and right padding
 * (wrapped around from the neighbouring rows) are zeroed. Copying row by row
 * costs three library calls per row of a small plane. */
static void FN(im2col_same_row)(const conv2d_geometry *g, const REAL *restrict xc, int64_t kh, int64_t w_offset,
                                int64_t lo, int64_t hi, REAL *restrict row) {
  const mien_conv2d_params *p = &g->p;
  const int64_t OW = g->OW, h_offset = kh * p->dil_h - p->pad_h;
  int64_t oh_lo, oh_hi; /* output rows whose input row lies in x */
  conv2d_valid_range(p->H, g->OH, 1, h_offset, &oh_lo, &oh_hi);
  if (lo >= hi) oh_hi = oh_lo; /* no column is valid */
  memset(row, 0, sizeof(REAL) * oh_lo * OW);
  memset(row + oh_hi * OW, 0, sizeof(REAL) * (g->OH - oh_hi) * OW);
  if (oh_lo == oh_hi) return;
  memcpy(row + oh_lo * OW + lo, xc + (oh_lo + h_offset) * p->W + lo + w_offset,
         sizeof(REAL) * ((oh_hi - oh_lo - 1) * OW + hi - lo));
  for (int64_t oh = oh_lo; oh < oh_hi; oh++) {
    for (int64_t t = 0; t < lo; t++) row[oh * OW + t] = 0;
    for (int64_t t = hi; t < OW; t++) row[oh * OW + t] = 0;
  }
}

static void FN(im2col)(const conv2d_geometry *g, int64_t channels, const REAL *restrict x, REAL *restrict col,
                       int64_t ld) {
  const mien_conv2d_params *p = &g->p;
  const int same = p->stride_h == 1 && p->stride_w == 1 && p->W == g->OW;
  for (int64_t c = 0; c < channels; c++) {
    for (int64_t kh = 0; kh < p->KH; kh++) {
      for (int64_t kw = 0; kw < p->KW; kw++, col += ld) {
        const int64_t w_offset = kw * p->dil_w - p->pad_w;
        int64_t lo, hi;
        conv2d_valid_range(p->W, g->OW, p->stride_w, w_offset, &lo, &hi);
        if (same) {
          FN(im2col_same_row)(g, x + c * g->in_plane, kh, w_offset, lo, hi, col);
          continue;
        }
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
static void FN(col2im)(const conv2d_geometry *g, int64_t channels, const REAL *restrict col, int64_t ld,
                       REAL *restrict x) {
  const mien_conv2d_params *p = &g->p;
  for (int64_t c = 0; c < channels; c++) {
    for (int64_t kh = 0; kh < p->KH; kh++) {
      for (int64_t kw = 0; kw < p->KW; kw++, col += ld) {
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
