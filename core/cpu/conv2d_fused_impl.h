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
  const int m = mien_winograd_tile(p, WINO_FORWARD);
  if (m) return FN(mien_winograd_forward)(p, m, x, w, bias, epilogue, y);
  if (!epilogue) return FN(mien_conv2d_forward)(p, x, w, bias, y);
  if (p->N == 0) return 0;
  /* the whole batch in one call (a conv2d call per few images measured slower: each allocates its column
   * buffers afresh), into a cached buffer when pooling, then the epilogue */
  const int pool = epilogue & MIEN_EPILOGUE_POOL;
  const size_t bytes = pool ? sizeof(REAL) * (size_t)(p->N * p->C_out * OH * OW) : 0;
  REAL *buf = NULL;
  if (pool && !(buf = mien_cpu_alloc(bytes, false))) {
    mien_set_error("conv2d_fused: out of memory (%zu bytes)", bytes);
    return -1;
  }
  REAL *out = pool ? buf : y; /* ReLU alone: in place in y */
  const int rc = FN(mien_conv2d_forward)(p, x, w, bias, out);
  if (rc == 0) FN(fused_epilogue)(out, p->N * p->C_out, OH, OW, epilogue, y);
  if (buf) mien_cpu_free(buf, bytes);
  return rc;
}
