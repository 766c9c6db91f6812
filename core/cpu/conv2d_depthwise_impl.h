/* Direct depthwise convolution (groups == C_in, one input channel per
 * group), included once per element type by conv2d.c. With a single input
 * channel per output channel, im2col would copy each input KH*KW times to
 * feed tiny GEMMs; sliding over the planes directly does the same arithmetic
 * without that traffic. Output channel co reads input channel co / mult,
 * mult = C_out / C_in. */

/* out += wv * (the input plane seen through tap (kh, kw)). */
static void FN(depthwise_tap)(const conv2d_geometry *g, int64_t kh, int64_t kw, REAL wv, const REAL *restrict in,
                              REAL *restrict out) {
  const mien_conv2d_params *p = &g->p;
  const int64_t w_offset = kw * p->dil_w - p->pad_w;
  int64_t lo, hi;
  conv2d_valid_range(p->W, g->OW, p->stride_w, w_offset, &lo, &hi);
  for (int64_t oh = 0; oh < g->OH && lo < hi; oh++) {
    const int64_t ih = oh * p->stride_h + kh * p->dil_h - p->pad_h;
    if (ih < 0 || ih >= p->H) continue;
    const REAL *src = in + ih * p->W + lo * p->stride_w + w_offset;
    REAL *dst = out + oh * g->OW + lo;
    for (int64_t t = 0; t < hi - lo; t++) dst[t] += wv * src[t * p->stride_w];
  }
}

/* The adjoint of depthwise_tap: in += wv * (out shifted back through the tap). */
static void FN(depthwise_tap_adjoint)(const conv2d_geometry *g, int64_t kh, int64_t kw, REAL wv,
                                      const REAL *restrict out, REAL *restrict in) {
  const mien_conv2d_params *p = &g->p;
  const int64_t w_offset = kw * p->dil_w - p->pad_w;
  int64_t lo, hi;
  conv2d_valid_range(p->W, g->OW, p->stride_w, w_offset, &lo, &hi);
  for (int64_t oh = 0; oh < g->OH && lo < hi; oh++) {
    const int64_t ih = oh * p->stride_h + kh * p->dil_h - p->pad_h;
    if (ih < 0 || ih >= p->H) continue;
    const REAL *src = out + oh * g->OW + lo;
    REAL *dst = in + ih * p->W + lo * p->stride_w + w_offset;
    for (int64_t t = 0; t < hi - lo; t++) dst[t * p->stride_w] += wv * src[t];
  }
}

static void FN(forward_depthwise)(const conv2d_geometry *g, const REAL *x, const REAL *w, const REAL *bias, REAL *y) {
  const mien_conv2d_params *p = &g->p;
  const int64_t mult = p->C_out / p->C_in;
#pragma omp parallel for schedule(static) if (conv2d_work(g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C_out; plane++) {
    const int64_t n = plane / p->C_out, co = plane % p->C_out;
    REAL *out = y + plane * g->out_plane;
    const REAL *in = x + (n * p->C_in + co / mult) * g->in_plane;
    const REAL b = bias ? bias[co] : 0;
    for (int64_t i = 0; i < g->out_plane; i++) out[i] = b;
    for (int64_t kh = 0; kh < p->KH; kh++)
      for (int64_t kw = 0; kw < p->KW; kw++)
        FN(depthwise_tap)(g, kh, kw, w[(co * p->KH + kh) * p->KW + kw], in, out);
  }
}

static void FN(backward_input_depthwise)(const conv2d_geometry *g, const REAL *dy, const REAL *w, REAL *dx) {
  const mien_conv2d_params *p = &g->p;
  const int64_t mult = p->C_out / p->C_in;
#pragma omp parallel for schedule(static) if (conv2d_work(g) > MIEN_PARALLEL_GRAIN)
  for (int64_t plane = 0; plane < p->N * p->C_in; plane++) {
    const int64_t n = plane / p->C_in, ci = plane % p->C_in;
    REAL *in = dx + plane * g->in_plane;
    memset(in, 0, sizeof(REAL) * g->in_plane);
    for (int64_t co = ci * mult; co < (ci + 1) * mult; co++) {
      const REAL *out = dy + (n * p->C_out + co) * g->out_plane;
      for (int64_t kh = 0; kh < p->KH; kh++)
        for (int64_t kw = 0; kw < p->KW; kw++)
          FN(depthwise_tap_adjoint)(g, kh, kw, w[(co * p->KH + kh) * p->KW + kw], out, in);
    }
  }
}

/* dw[co][kh][kw] = sum over n, oh, ow of dy[n][co][oh][ow] * x[n][ci][ih][iw];
 * each output channel is independent, so no reduction across threads. */
static void FN(backward_weight_depthwise)(const conv2d_geometry *g, const REAL *x, const REAL *dy, REAL *dw) {
  const mien_conv2d_params *p = &g->p;
  const int64_t mult = p->C_out / p->C_in;
#pragma omp parallel for schedule(static) if (conv2d_work(g) > MIEN_PARALLEL_GRAIN)
  for (int64_t co = 0; co < p->C_out; co++) {
    for (int64_t kh = 0; kh < p->KH; kh++) {
      for (int64_t kw = 0; kw < p->KW; kw++) {
        const int64_t w_offset = kw * p->dil_w - p->pad_w;
        int64_t lo, hi;
        conv2d_valid_range(p->W, g->OW, p->stride_w, w_offset, &lo, &hi);
        double sum = 0;
        for (int64_t n = 0; n < p->N && lo < hi; n++) {
          const REAL *in_plane = x + (n * p->C_in + co / mult) * g->in_plane;
          const REAL *out_plane = dy + (n * p->C_out + co) * g->out_plane;
          for (int64_t oh = 0; oh < g->OH; oh++) {
            const int64_t ih = oh * p->stride_h + kh * p->dil_h - p->pad_h;
            if (ih < 0 || ih >= p->H) continue;
            const REAL *in = in_plane + ih * p->W + lo * p->stride_w + w_offset;
            const REAL *out = out_plane + oh * g->OW + lo;
            REAL row = 0;
            for (int64_t t = 0; t < hi - lo; t++) row += out[t] * in[t * p->stride_w];
            sum += row;
          }
        }
        dw[(co * p->KH + kh) * p->KW + kw] = (REAL)sum;
      }
    }
  }
}
