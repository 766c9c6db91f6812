/* Fused inference convolution, included once per element type by
 * conv2d_fused.c (which defines REAL and FN). */

/* dst = pool(relu(src)) (each optional) for `planes` planes of OH x OW. */
static MIEN_MULTIVERSION void FN(fused_epilogue)(const REAL *src, int64_t planes, int64_t OH, int64_t OW,
                                                 int epilogue, REAL *dst) {
  const int relu = epilogue & MIEN_EPILOGUE_RELU, pool = epilogue & MIEN_EPILOGUE_POOL;
  const int64_t PH = OH / 2, PW = OW / 2;
#pragma omp parallel for schedule(static) num_threads(mien_max_threads()) if (planes * OH * OW > MIEN_PARALLEL_GRAIN)
  for (int64_t c = 0; c < planes; c++) {
    const REAL *in = src + c * OH * OW;
    if (!pool) { /* in place (src == dst) */
      REAL *out = dst + c * OH * OW;
      for (int64_t i = 0; i < OH * OW; i++) out[i] = in[i] > 0 ? in[i] : 0;
      continue;
    }
    REAL *out = dst + c * PH * PW;
    for (int64_t i = 0; i < PH; i++)
      for (int64_t j = 0; j < PW; j++) {
        const REAL *r0 = in + 2 * i * OW + 2 * j, *r1 = r0 + OW;
        const REAL ab = r0[0] > r0[1] ? r0[0] : r0[1], cd = r1[0] > r1[1] ? r1[0] : r1[1], v = ab > cd ? ab : cd;
        out[i * PW + j] = relu && !(v > 0) ? 0 : v;
      }
  }
}

int FN(mien_conv2d_forward_fused)(const mien_conv2d_params *p, const REAL *x, const REAL *w, const REAL *bias,
                                  int epilogue, REAL *y) {
  int64_t OH, OW;
  if (mien_conv2d_out_size(p, &OH, &OW) != 0) return -1;
  const int m = mien_winograd_tile(p, 0);
  if (m) return FN(mien_winograd_forward)(p, m, x, w, bias, epilogue, y);
  if (!epilogue) return FN(mien_conv2d_forward)(p, x, w, bias, y);
  const int pool = epilogue & MIEN_EPILOGUE_POOL;
  const int64_t image_out = p->C_out * OH * OW, image_in = p->C_in * p->H * p->W;
  const int64_t image_y = pool ? p->C_out * (OH / 2) * (OW / 2) : image_out;
  int64_t nb = FUSED_BUFFER_BYTES / ((int64_t)sizeof(REAL) * image_out);
  const int nthreads = mien_max_threads();
  nb = nb < nthreads ? nthreads : nb / nthreads * nthreads; /* the same number of images for every thread */
  if (nb > p->N) nb = p->N;
  if (nb < 1) return 0; /* N == 0 */
  REAL *buf = NULL;
  const size_t bytes = pool ? sizeof(REAL) * (size_t)(nb * image_out) : 0;
  if (pool && !(buf = mien_cpu_alloc(bytes, false))) {
    mien_set_error("conv2d_fused: out of memory (%zu bytes)", bytes);
    return -1;
  }
  int rc = 0;
  for (int64_t n0 = 0; n0 < p->N && rc == 0; n0 += nb) {
    mien_conv2d_params part = *p;
    part.N = p->N - n0 < nb ? p->N - n0 : nb;
    REAL *out = pool ? buf : y + n0 * image_y; /* ReLU alone: in place in y */
    rc = FN(mien_conv2d_forward)(&part, x + n0 * image_in, w, bias, out);
    if (rc == 0) FN(fused_epilogue)(out, part.N * p->C_out, OH, OW, epilogue, y + n0 * image_y);
  }
  if (buf) mien_cpu_free(buf, bytes);
  return rc;
}
