/* The backend parity harness (after ggml's test-backend-ops): every entry of
 * the backend table (backend.h), on every registered backend, against the
 * float64 references of backend_ref.h. Inputs are random with odd sizes,
 * broadcasting (stride 0), non-contiguous strides and edge values (NaN, Inf,
 * -0, empty dims) where the entry defines them. Tolerances are per dtype.
 *
 * It talks to the backends only through the table: memory through alloc,
 * copy_from_host and copy_to_host, so a device backend (CUDA, or its CPU
 * emulator) is one more column with no change here. It prints a table of
 * op x backend with pass / fail / n/a (the entry is NULL), one line
 * "cell <op> <backend> <result>" per cell for CI, and exits 1 on a failure. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_ref.h"
#include "check.h"
#include "mien.h"

typedef enum { PASS, FAIL, NA, ABSENT } result; /* ABSENT: an optional case's n/a */

/* --- device buffers: everything a case allocates is freed at its end --- */

static const mien_backend *be;
#define MAX_HELD 4096
static struct { void *p; size_t n; } held[MAX_HELD];
static int nheld;
static char why[256]; /* the first mismatch of the failing case */

static void *dev_alloc(size_t nbytes) {
  void *p = be->alloc(nbytes ? nbytes : 1, false);
  if (p && nheld < MAX_HELD) held[nheld].p = p, held[nheld++].n = nbytes ? nbytes : 1;
  return p;
}

static void release_all(void) {
  for (int i = 0; i < nheld; i++) be->free(held[i].p, held[i].n);
  nheld = 0;
}

static double cast_to(mien_dtype dt, double v) {
  switch (dt) {
    case MIEN_FLOAT32: return (float)v;
    case MIEN_INT64: return (double)(int64_t)v;
    case MIEN_UINT8: return (double)(uint8_t)v;
    default: return v;
  }
}

/* n values converted to dt, uploaded; the host copy keeps the rounded values. */
static void *upload(mien_dtype dt, double *h, int64_t n) {
  const size_t es = mien_dtype_size(dt);
  char *tmp = malloc((size_t)n * es + 1);
  for (int64_t i = 0; i < n; i++) {
    h[i] = cast_to(dt, h[i]);
    switch (dt) {
      case MIEN_FLOAT32: ((float *)tmp)[i] = (float)h[i]; break;
      case MIEN_FLOAT64: ((double *)tmp)[i] = h[i]; break;
      case MIEN_INT64: ((int64_t *)tmp)[i] = (int64_t)h[i]; break;
      default: ((uint8_t *)tmp)[i] = (uint8_t)h[i]; break;
    }
  }
  void *d = dev_alloc((size_t)n * es);
  if (n) be->copy_from_host(d, tmp, (size_t)n * es);
  free(tmp);
  return d;
}

static void download(mien_dtype dt, const void *d, int64_t n, double *h) {
  const size_t es = mien_dtype_size(dt);
  char *tmp = malloc((size_t)n * es + 1);
  if (n) be->copy_to_host(tmp, d, (size_t)n * es);
  for (int64_t i = 0; i < n; i++) switch (dt) {
      case MIEN_FLOAT32: h[i] = ((float *)tmp)[i]; break;
      case MIEN_FLOAT64: h[i] = ((double *)tmp)[i]; break;
      case MIEN_INT64: h[i] = (double)((int64_t *)tmp)[i]; break;
      default: h[i] = ((uint8_t *)tmp)[i]; break;
    }
  free(tmp);
}

/* A host array of n doubles (freed by the case). */
static double *hbuf[MAX_HELD];
static int nh;
static double *host(int64_t n) {
  double *p = calloc((size_t)(n > 0 ? n : 1), sizeof *p);
  if (nh < MAX_HELD) hbuf[nh++] = p;
  return p;
}
static void free_host(void) {
  for (int i = 0; i < nh; i++) free(hbuf[i]);
  nh = 0;
}

static double *random_values(int64_t n, double lo, double hi) {
  double *p = host(n);
  for (int64_t i = 0; i < n; i++) p[i] = lo + (hi - lo) * (uniform() + 1) / 2;
  return p;
}

/* Values with the edge cases mixed in: NaN, +-Inf, -0 and 0. */
static double *edgy_values(int64_t n) {
  double *p = random_values(n, -3, 3);
  static const double edges[] = {NAN, INFINITY, -INFINITY, -0.0, 0.0};
  for (int64_t i = 0; i < n && i < 5; i++) p[(i * 7) % n] = edges[i];
  return p;
}

/* --- comparison --- */

static double tolerance(mien_dtype dt) { return dt == MIEN_FLOAT32 ? 3e-5 : dt == MIEN_FLOAT64 ? 1e-11 : 0; }

/* got vs want: NaN matches NaN, infinities match exactly, the rest within
 * tol * scale (absolute and relative). */
static bool close_to(const double *got, const double *want, int64_t n, double tol, const char *what) {
  for (int64_t i = 0; i < n; i++) {
    const double g = got[i], w = want[i];
    if (g != g && w != w) continue;
    if (isinf(w) || isinf(g) ? g == w : fabs(g - w) <= tol * (1 + fabs(w))) continue;
    snprintf(why, sizeof why, "%s: element %lld is %.9g, want %.9g", what, (long long)i, g, w);
    return false;
  }
  return true;
}

/* uint8 results of float arithmetic: a half may round either way. */
static bool within_one(const double *got, const double *want, int64_t n, const char *what) {
  for (int64_t i = 0; i < n; i++)
    if (!(fabs(got[i] - want[i]) <= 1)) {
      snprintf(why, sizeof why, "%s: element %lld is %.9g, want %.9g", what, (long long)i, got[i], want[i]);
      return false;
    }
  return true;
}

/* --- strided descriptors --- */

static mien_strided strided(void *data, mien_dtype dt, int ndim, const int64_t *shape, const int64_t *stride) {
  mien_strided s;
  memset(&s, 0, sizeof s);
  s.data = data, s.dtype = dt, s.ndim = ndim;
  for (int d = 0; d < ndim; d++) s.shape[d] = shape[d], s.stride[d] = stride[d];
  return s;
}

static void contiguous_strides(int ndim, const int64_t *shape, int64_t *stride) {
  int64_t s = 1;
  for (int d = ndim - 1; d >= 0; d--) stride[d] = s, s *= shape[d];
}

static int64_t numel(int ndim, const int64_t *shape) {
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) n *= shape[d];
  return n;
}

/* Element e (row-major over shape) of a strided host array. */
static double at(const double *h, int ndim, const int64_t *shape, const int64_t *stride, int64_t e) {
  int64_t off = 0;
  for (int d = ndim - 1; d >= 0; d--) off += (e % shape[d]) * stride[d], e /= shape[d];
  return h[off];
}

/* The operand shapes of the elementwise cases: [3,5,7] out; a transposed
 * (non-contiguous), b broadcast along dims 0 and 2, and an empty shape. */
typedef struct {
  int ndim;
  int64_t shape[3], sa[3], sb[3], na, nb;
} ew_layout;

static const ew_layout layouts[] = {
    {3, {3, 5, 7}, {1, 3, 15}, {0, 1, 0}, 105, 5}, /* a stored as [7,5,3], b as [5] */
    {2, {0, 3}, {3, 1}, {0, 1}, 0, 3},             /* empty */
};

static const mien_dtype float_types[] = {MIEN_FLOAT32, MIEN_FLOAT64};

/* --- the cases: each returns PASS or FAIL (NA is decided by the table) --- */

static result case_memory(void) { /* alloc, copy within the device, host round trip */
  double *h = random_values(37, -5, 5), *back = host(37);
  void *a = upload(MIEN_FLOAT64, h, 37), *b = dev_alloc(37 * 8);
  if (be->copy && be->copy(b, a, 37 * 8) != 0) return FAIL;
  download(MIEN_FLOAT64, be->copy ? b : a, 37, back);
  double *z = host(11);
  void *zd = be->alloc(11 * 8, true);
  download(MIEN_FLOAT64, zd, 11, z);
  be->free(zd, 11 * 8);
  double *zeros = host(11);
  return close_to(back, h, 37, 0, "round trip") && close_to(z, zeros, 11, 0, "zeroed alloc") ? PASS : FAIL;
}

static result case_copy_strided(void) {
  for (int l = 0; l < 2; l++)
    for (int t = 0; t < 2; t++) {
      const ew_layout *L = &layouts[l];
      const mien_dtype dt = float_types[t];
      double *ha = edgy_values(L->na > 0 ? L->na : 1);
      void *a = upload(MIEN_FLOAT64, ha, L->na);
      int64_t so[3], n = numel(L->ndim, L->shape);
      contiguous_strides(L->ndim, L->shape, so);
      void *o = dev_alloc((size_t)n * mien_dtype_size(dt));
      mien_strided out = strided(o, dt, L->ndim, L->shape, so), in = strided(a, MIEN_FLOAT64, L->ndim, L->shape, L->sa);
      if (be->copy_strided(&out, &in) != 0) return FAIL;
      double *got = host(n), *want = host(n);
      download(dt, o, n, got);
      for (int64_t e = 0; e < n; e++) want[e] = cast_to(dt, at(ha, L->ndim, L->shape, L->sa, e));
      if (!close_to(got, want, n, 0, "copy_strided")) return FAIL;
    }
  return PASS;
}

static result case_fill(void) {
  int64_t shape[2] = {5, 3}, stride[2] = {1, 5}; /* transposed */
  double *h = random_values(15, 0, 1), *got = host(15), *want = host(15);
  void *d = upload(MIEN_FLOAT32, h, 15);
  mien_strided t = strided(d, MIEN_FLOAT32, 2, shape, stride);
  if (be->fill(&t, -2.5) != 0) return FAIL;
  download(MIEN_FLOAT32, d, 15, got);
  for (int i = 0; i < 15; i++) want[i] = -2.5;
  return close_to(got, want, 15, 0, "fill") ? PASS : FAIL;
}

static result case_arange(void) {
  double *got = host(13), *want = host(13);
  void *d = dev_alloc(13 * 8);
  if (be->arange(d, MIEN_INT64, 13, -4, 3) != 0) return FAIL;
  download(MIEN_INT64, d, 13, got);
  for (int i = 0; i < 13; i++) want[i] = -4 + 3 * i;
  return close_to(got, want, 13, 0, "arange") ? PASS : FAIL;
}

static result case_binary(void) {
  for (int op = 0; op < MIEN_NUM_BINARY_OPS; op++)
    for (int l = 0; l < 2; l++)
      for (int t = 0; t < 3; t++) {
        const ew_layout *L = &layouts[l];
        const mien_dtype dt = t < 2 ? float_types[t] : MIEN_INT64;
        if (dt == MIEN_INT64 && (op == MIEN_DIV || op == MIEN_POW)) continue; /* the op layer promotes these */
        const bool cmp = op >= MIEN_EQ;
        const mien_dtype odt = cmp ? MIEN_UINT8 : dt;
        double *ha = dt == MIEN_INT64 ? random_values(L->na > 0 ? L->na : 1, -9, 9) : edgy_values(L->na > 0 ? L->na : 1);
        double *hb = random_values(L->nb, op == MIEN_POW ? 0.5 : -3, 3);
        if (dt == MIEN_INT64)
          for (int64_t i = 0; i < L->na; i++) ha[i] = floor(ha[i]);
        void *a = upload(dt, ha, L->na), *b = upload(dt, hb, L->nb);
        int64_t so[3], n = numel(L->ndim, L->shape);
        contiguous_strides(L->ndim, L->shape, so);
        void *o = dev_alloc((size_t)n * mien_dtype_size(odt));
        mien_strided out = strided(o, odt, L->ndim, L->shape, so);
        mien_strided sa = strided(a, dt, L->ndim, L->shape, L->sa), sb = strided(b, dt, L->ndim, L->shape, L->sb);
        if (be->binary((mien_binary_op)op, &out, &sa, &sb) != 0) return FAIL;
        double *got = host(n), *want = host(n);
        download(odt, o, n, got);
        for (int64_t e = 0; e < n; e++)
          want[e] = cast_to(odt, ref_binary((mien_binary_op)op, at(ha, L->ndim, L->shape, L->sa, e),
                                            at(hb, L->ndim, L->shape, L->sb, e)));
        char what[64];
        snprintf(what, sizeof what, "binary op %d %s", op, mien_dtype_name(dt));
        if (!close_to(got, want, n, tolerance(odt), what)) return FAIL;
      }
  return PASS;
}

static result case_unary(void) {
  for (int op = 0; op < MIEN_NUM_UNARY_OPS; op++)
    for (int l = 0; l < 2; l++)
      for (int t = 0; t < 2; t++) {
        const ew_layout *L = &layouts[l];
        const mien_dtype dt = float_types[t];
        const double p0 = op == MIEN_CLAMP ? -1.5 : op == MIEN_LEAKY_RELU ? 0.1 : op == MIEN_SCALE ? -0.75 : 0;
        const double p1 = op == MIEN_CLAMP ? 2.25 : 0;
        double *ha = edgy_values(L->na > 0 ? L->na : 1);
        void *a = upload(dt, ha, L->na);
        int64_t so[3], n = numel(L->ndim, L->shape);
        contiguous_strides(L->ndim, L->shape, so);
        void *o = dev_alloc((size_t)n * mien_dtype_size(dt));
        mien_strided out = strided(o, dt, L->ndim, L->shape, so), sa = strided(a, dt, L->ndim, L->shape, L->sa);
        if (be->unary((mien_unary_op)op, &out, &sa, p0, p1) != 0) return FAIL;
        double *got = host(n), *want = host(n);
        download(dt, o, n, got);
        for (int64_t e = 0; e < n; e++)
          want[e] = cast_to(dt, ref_unary((mien_unary_op)op, at(ha, L->ndim, L->shape, L->sa, e), p0, p1));
        char what[64];
        snprintf(what, sizeof what, "unary op %d %s", op, mien_dtype_name(dt));
        if (!close_to(got, want, n, tolerance(dt), what)) return FAIL;
      }
  return PASS;
}

static result case_where(void) {
  const ew_layout *L = &layouts[0];
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    double *hc = random_values(L->nb, 0, 2), *ha = edgy_values(L->na), *hb = random_values(L->nb, -1, 1);
    for (int64_t i = 0; i < L->nb; i++) hc[i] = floor(hc[i]);
    void *c = upload(MIEN_UINT8, hc, L->nb), *a = upload(dt, ha, L->na), *b = upload(dt, hb, L->nb);
    int64_t so[3], n = numel(L->ndim, L->shape);
    contiguous_strides(L->ndim, L->shape, so);
    void *o = dev_alloc((size_t)n * mien_dtype_size(dt));
    mien_strided out = strided(o, dt, L->ndim, L->shape, so), sc = strided(c, MIEN_UINT8, L->ndim, L->shape, L->sb);
    mien_strided sa = strided(a, dt, L->ndim, L->shape, L->sa), sb = strided(b, dt, L->ndim, L->shape, L->sb);
    if (be->where(&out, &sc, &sa, &sb) != 0) return FAIL;
    double *got = host(n), *want = host(n);
    download(dt, o, n, got);
    for (int64_t e = 0; e < n; e++)
      want[e] = at(hc, L->ndim, L->shape, L->sb, e) != 0 ? at(ha, L->ndim, L->shape, L->sa, e)
                                                          : at(hb, L->ndim, L->shape, L->sb, e);
    if (!close_to(got, want, n, 0, "where")) return FAIL;
  }
  return PASS;
}

static result case_masked_grad(void) {
  static const double bounds[][3] = {{0, NAN, 0}, {0, 6, 0}, {-1, 2, 0}, {0, NAN, 0.01}};
  for (int k = 0; k < 4; k++)
    for (int layout = 0; layout < 2; layout++)
      for (int t = 0; t < 2; t++) {
        const mien_dtype dt = float_types[t];
        const int64_t shape[2] = {9, 13}, n = 117;
        int64_t sg[2] = {13, 1}, sx[2] = {13, 1};
        if (layout) sx[0] = 1, sx[1] = 9; /* x transposed: not the contiguous fast path */
        double *hg = random_values(n, -2, 2), *hx = random_values(n, -3, 8);
        void *g = upload(dt, hg, n), *x = upload(dt, hx, n), *o = dev_alloc((size_t)n * mien_dtype_size(dt));
        mien_strided so = strided(o, dt, 2, shape, sg), gg = strided(g, dt, 2, shape, sg), xx = strided(x, dt, 2, shape, sx);
        const double lo = bounds[k][0], hi = bounds[k][1], outside = bounds[k][2];
        if (be->masked_grad(&so, &gg, &xx, lo, hi, outside) != 0) return FAIL;
        double *got = host(n), *want = host(n);
        download(dt, o, n, got);
        for (int64_t e = 0; e < n; e++) {
          const double xv = at(hx, 2, shape, sx, e), gv = hg[e];
          want[e] = cast_to(dt, ((lo != lo || xv > lo) && (hi != hi || xv < hi)) ? gv : gv * outside);
        }
        if (!close_to(got, want, n, tolerance(dt), "masked_grad")) return FAIL;
      }
  return PASS;
}

static result case_axpy(void) {
  const ew_layout *L = &layouts[0];
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    const int64_t n = numel(L->ndim, L->shape);
    int64_t so[3];
    contiguous_strides(L->ndim, L->shape, so);
    double *ho = random_values(n, -1, 1), *hb = random_values(L->nb, -1, 1), *want = host(n), *got = host(n);
    void *o = upload(dt, ho, n), *b = upload(dt, hb, L->nb);
    mien_strided out = strided(o, dt, L->ndim, L->shape, so), sb = strided(b, dt, L->ndim, L->shape, L->sb);
    if (be->axpy(&out, &sb, -0.375) != 0) return FAIL;
    download(dt, o, n, got);
    for (int64_t e = 0; e < n; e++) want[e] = ho[e] + -0.375 * at(hb, L->ndim, L->shape, L->sb, e);
    if (!close_to(got, want, n, tolerance(dt), "axpy")) return FAIL;
  }
  return PASS;
}

/* Reductions over dims {0, 2} of a non-contiguous [6,5,7], and over all of an empty tensor. */
static result case_reduce(void) {
  for (int op = MIEN_SUM; op <= MIEN_PROD; op++)
    for (int t = 0; t < 3; t++) {
      const mien_dtype dt = t < 2 ? float_types[t] : MIEN_INT64;
      const int64_t shape[3] = {6, 5, 7}, sin[3] = {1, 6, 30}, n = 210;
      const bool reduced[3] = {true, false, true};
      const int64_t oshape[3] = {1, 5, 1}, ostr[3] = {0, 1, 0};
      const mien_dtype odt = op == MIEN_MEAN && dt == MIEN_INT64 ? MIEN_FLOAT32 : dt;
      double *h = random_values(n, op == MIEN_PROD ? 0.8 : -4, op == MIEN_PROD ? 1.2 : 4);
      if (dt == MIEN_INT64)
        for (int64_t i = 0; i < n; i++) h[i] = op == MIEN_PROD ? 1 + (i % 3 == 0) : floor(h[i]);
      void *in = upload(dt, h, n), *o = dev_alloc(5 * mien_dtype_size(odt));
      mien_strided so = strided(o, odt, 3, oshape, ostr), si = strided(in, dt, 3, shape, sin);
      if (be->reduce((mien_reduce_op)op, &so, &si, reduced) != 0) return FAIL;
      double *got = host(5), *want = host(5);
      download(odt, o, 5, got);
      for (int j = 0; j < 5; j++) {
        double acc = op == MIEN_MAX ? -INFINITY : op == MIEN_MIN ? INFINITY : op == MIEN_PROD ? 1 : 0;
        for (int i0 = 0; i0 < 6; i0++)
          for (int i2 = 0; i2 < 7; i2++) {
            const double v = h[i0 * sin[0] + j * sin[1] + i2 * sin[2]];
            acc = op == MIEN_MAX ? fmax(acc, v) : op == MIEN_MIN ? fmin(acc, v) : op == MIEN_PROD ? acc * v : acc + v;
          }
        want[j] = cast_to(odt, op == MIEN_MEAN ? acc / 42 : acc);
      }
      char what[64];
      snprintf(what, sizeof what, "reduce op %d %s", op, mien_dtype_name(dt));
      if (!close_to(got, want, 5, tolerance(odt) * 10, what)) return FAIL;
    }
  /* an empty sum is 0 */
  const int64_t eshape[2] = {0, 4}, estr[2] = {4, 1}, oshape[2] = {1, 4}, ostr[2] = {0, 1};
  const bool all[2] = {true, false};
  void *o = dev_alloc(4 * 4), *in = dev_alloc(4);
  mien_strided so = strided(o, MIEN_FLOAT32, 2, oshape, ostr), si = strided(in, MIEN_FLOAT32, 2, eshape, estr);
  if (be->reduce(MIEN_SUM, &so, &si, all) != 0) return FAIL;
  double *got = host(4), *want = host(4);
  download(MIEN_FLOAT32, o, 4, got);
  return close_to(got, want, 4, 0, "empty sum") ? PASS : FAIL;
}

static result case_arg_reduce(void) {
  for (int want_max = 0; want_max < 2; want_max++)
    for (int t = 0; t < 2; t++) {
      const mien_dtype dt = float_types[t];
      const int64_t shape[2] = {7, 9}, sin[2] = {1, 7}, n = 63; /* transposed; reduce dim 1 */
      const int64_t oshape[2] = {7, 1}, ostr[2] = {1, 0};
      double *h = random_values(n, -5, 5);
      void *in = upload(dt, h, n), *o = dev_alloc(7 * 8);
      mien_strided so = strided(o, MIEN_INT64, 2, oshape, ostr), si = strided(in, dt, 2, shape, sin);
      if (be->arg_reduce(want_max, &so, &si, 1) != 0) return FAIL;
      double *got = host(7), *want = host(7);
      download(MIEN_INT64, o, 7, got);
      for (int i = 0; i < 7; i++) {
        int best = 0;
        for (int j = 1; j < 9; j++)
          if (want_max ? h[i + j * 7] > h[i + best * 7] : h[i + j * 7] < h[i + best * 7]) best = j;
        want[i] = best;
      }
      if (!close_to(got, want, 7, 0, "arg_reduce")) return FAIL;
    }
  return PASS;
}

static result case_sum_squares(void) {
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    const int64_t shape[1] = {10007}, st[1] = {1};
    double *h = random_values(10007, -2, 2), want = 0, got = 0;
    void *d = upload(dt, h, 10007);
    for (int i = 0; i < 10007; i++) want += h[i] * h[i];
    mien_strided s = strided(d, dt, 1, shape, st);
    if (be->sum_squares(&s, &got) != 0 || !close_to(&got, &want, 1, 1e-12, "sum_squares")) return FAIL;
  }
  return PASS;
}

static result gemm_cases(bool batched) {
  for (int t = 0; t < 2; t++)
    for (int ta = 0; ta < 2; ta++)
      for (int tb = 0; tb < 2; tb++) {
        const mien_dtype dt = float_types[t];
        const int64_t M = 13, N = 7, K = 19, batch = batched ? 3 : 1;
        const int64_t lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3; /* padded rows */
        const int64_t sa = (ta ? K : M) * lda, sb = 0 /* B broadcast over the batch */, sc = M * ldc;
        double *A = random_values(sa * batch, -1, 1), *B = random_values((tb ? N : K) * ldb, -1, 1);
        double *C = random_values(sc * batch, -1, 1), *want = host(sc * batch), *got = host(sc * batch);
        void *dA = upload(dt, A, sa * batch), *dB = upload(dt, B, (tb ? N : K) * ldb), *dC = upload(dt, C, sc * batch);
        memcpy(want, C, sizeof(double) * (size_t)(sc * batch));
        const double alpha = 0.75, beta = batched ? 0 : -0.5;
        int rc = batched ? be->gemm_batched(dt, ta, tb, M, N, K, alpha, dA, lda, sa, dB, ldb, sb, beta, dC, ldc, sc, batch)
                         : be->gemm(dt, ta, tb, M, N, K, alpha, dA, lda, dB, ldb, beta, dC, ldc);
        if (rc != 0) return FAIL;
        for (int64_t i = 0; i < batch; i++)
          ref_gemm(ta, tb, M, N, K, alpha, A + i * sa, lda, B, ldb, beta, want + i * sc, ldc);
        download(dt, dC, sc * batch, got);
        for (int64_t i = 0; i < batch; i++) /* the padding of C must stay as it was */
          for (int64_t r = 0; r < M; r++)
            for (int64_t j = N; j < ldc; j++) want[i * sc + r * ldc + j] = C[i * sc + r * ldc + j];
        if (!close_to(got, want, sc * batch, tolerance(dt) * 4, batched ? "gemm_batched" : "gemm")) return FAIL;
      }
  return PASS;
}
static result case_gemm(void) { return gemm_cases(false); }
static result case_gemm_batched(void) { return gemm_cases(true); }

/* --- conv2d: odd sizes, stride, padding, dilation, groups (and depthwise) --- */

static const mien_conv2d_params conv_shapes[] = {
    {2, 3, 9, 11, 5, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {1, 4, 10, 7, 6, 3, 2, 2, 1, 1, 0, 2, 1, 2},
    {2, 3, 8, 9, 6, 3, 3, 1, 2, 1, 1, 1, 1, 3}, /* depthwise with multiplier 2 */
    {1, 1, 13, 12, 4, 5, 5, 2, 2, 2, 2, 1, 1, 1},
};

static result conv_cases(int which) {
  for (size_t k = 0; k < sizeof conv_shapes / sizeof *conv_shapes; k++)
    for (int t = 0; t < 2; t++) {
      const mien_dtype dt = float_types[t];
      const mien_conv2d_params *p = &conv_shapes[k];
      int64_t OH, OW;
      if (mien_conv2d_out_size(p, &OH, &OW) != 0) return FAIL;
      const int64_t nx = p->N * p->C_in * p->H * p->W, nw = p->C_out * (p->C_in / p->groups) * p->KH * p->KW;
      const int64_t ny = p->N * p->C_out * OH * OW;
      double *x = random_values(nx, -1, 1), *w = random_values(nw, -1, 1), *b = random_values(p->C_out, -1, 1);
      double *dy = random_values(ny, -1, 1);
      void *dx_ = upload(dt, x, nx), *dw_ = upload(dt, w, nw), *db_ = upload(dt, b, p->C_out), *ddy = upload(dt, dy, ny);
      int64_t n_out = which == 0 ? ny : which == 1 ? nx : which == 2 ? nw : p->C_out;
      void *out = dev_alloc((size_t)n_out * mien_dtype_size(dt));
      double *want = host(n_out), *got = host(n_out);
      int rc;
      switch (which) {
        case 0:
          rc = be->conv2d_forward(p, dt, dx_, dw_, k % 2 ? NULL : db_, out);
          for (int64_t i = 0; i < ny; i++) want[i] = k % 2 ? 0 : b[(i / (OH * OW)) % p->C_out];
          REF_CONV_TERMS(p, OH, OW, want[yi] += x[xi] * w[wi]);
          break;
        case 1:
          rc = be->conv2d_backward_input(p, dt, ddy, dw_, out);
          REF_CONV_TERMS(p, OH, OW, want[xi] += dy[yi] * w[wi]);
          break;
        case 2:
          rc = be->conv2d_backward_weight(p, dt, dx_, ddy, out);
          REF_CONV_TERMS(p, OH, OW, want[wi] += dy[yi] * x[xi]);
          break;
        default:
          rc = be->conv2d_backward_bias(p, dt, ddy, out);
          for (int64_t i = 0; i < ny; i++) want[(i / (OH * OW)) % p->C_out] += dy[i];
          break;
      }
      if (rc != 0) return FAIL;
      download(dt, out, n_out, got);
      if (!close_to(got, want, n_out, tolerance(dt) * 10, "conv2d")) return FAIL;
    }
  return PASS;
}
/* --- Winograd (CPU, forced with MIEN_CONV_ALGO) and the fused inference conv --- */

/* Stride-1 3x3 shapes: partial tiles, padding 0/1/2, channels not multiples of 16. */
static const mien_conv2d_params winograd_shapes[] = {
    {2, 19, 9, 11, 21, 3, 3, 1, 1, 1, 1, 1, 1, 1},
    {3, 5, 7, 6, 4, 3, 3, 1, 1, 0, 0, 1, 1, 1},
    {1, 3, 5, 5, 2, 3, 3, 1, 1, 2, 2, 1, 1, 1},
};
/* Against the float64 reference, tol * (1 + |want|): F(4x4,3x3) loses about a
 * digit against the direct path in float32 (tests/test_winograd.c bounds it
 * normwise); float64 stays near rounding. */
#define WINOGRAD_TOL_F32 1e-4
#define WINOGRAD_TOL_F64 1e-11

/* which: 0 forward (conv2d_forward forced to F(2x2) and F(4x4)), 1 input
 * gradient (likewise), 2 conv2d_forward_fused with ReLU and the 2x2 pool
 * (whatever path the CPU picks), 3 weight gradient (forced, as 0). The
 * forced cells are CPU-only: n/a elsewhere. */
static result winograd_cases(int which) {
  if (which != 2 && strcmp(be->name, "cpu") != 0) return NA;
  for (size_t k = 0; k < sizeof winograd_shapes / sizeof *winograd_shapes; k++)
    for (int t = 0; t < 2; t++)
      for (int m = 2; m <= 4; m += 2) {
        const mien_dtype dt = float_types[t];
        const mien_conv2d_params *p = &winograd_shapes[k];
        int64_t OH, OW;
        if (mien_conv2d_out_size(p, &OH, &OW) != 0) return FAIL;
        const int64_t nx = p->N * p->C_in * p->H * p->W, nw = p->C_out * p->C_in * 9, ny = p->N * p->C_out * OH * OW;
        const int64_t PH = OH / 2, PW = OW / 2, npool = p->N * p->C_out * PH * PW;
        double *x = random_values(nx, -1, 1), *w = random_values(nw, -1, 1), *b = random_values(p->C_out, -1, 1);
        double *dy = random_values(ny, -1, 1);
        void *dx_ = upload(dt, x, nx), *dw_ = upload(dt, w, nw), *db_ = upload(dt, b, p->C_out), *ddy = upload(dt, dy, ny);
        const int64_t n_out = which == 0 ? ny : which == 1 ? nx : which == 3 ? nw : npool;
        void *out = dev_alloc((size_t)n_out * mien_dtype_size(dt));
        double *want = host(n_out), *got = host(n_out), *full = host(ny);
        int rc;
        setenv("MIEN_CONV_ALGO", m == 2 ? "winograd2" : "winograd4", 1);
        if (which == 1) {
          rc = be->conv2d_backward_input(p, dt, ddy, dw_, out);
          REF_CONV_TERMS(p, OH, OW, want[xi] += dy[yi] * w[wi]);
        } else if (which == 3) {
          rc = be->conv2d_backward_weight(p, dt, dx_, ddy, out);
          REF_CONV_TERMS(p, OH, OW, want[wi] += dy[yi] * x[xi]);
        } else {
          if (which == 2) unsetenv("MIEN_CONV_ALGO"); /* fused: the CPU's own choice */
          rc = which == 0 ? be->conv2d_forward(p, dt, dx_, dw_, db_, out)
                          : be->conv2d_forward_fused(p, dt, dx_, dw_, db_, 3, out);
          for (int64_t i = 0; i < ny; i++) full[i] = b[(i / (OH * OW)) % p->C_out];
          REF_CONV_TERMS(p, OH, OW, full[yi] += x[xi] * w[wi]);
          if (which == 0) memcpy(want, full, sizeof(double) * (size_t)ny);
          for (int64_t c = 0; which == 2 && c < p->N * p->C_out; c++) /* relu(max of each 2x2 window) */
            for (int64_t i = 0; i < PH; i++)
              for (int64_t j = 0; j < PW; j++) {
                const double *r0 = full + c * OH * OW + 2 * i * OW + 2 * j, *r1 = r0 + OW;
                const double v = fmax(fmax(r0[0], r0[1]), fmax(r1[0], r1[1]));
                want[(c * PH + i) * PW + j] = v > 0 ? v : 0;
              }
        }
        unsetenv("MIEN_CONV_ALGO");
        if (rc != 0) return FAIL;
        download(dt, out, n_out, got);
        if (!close_to(got, want, n_out, dt == MIEN_FLOAT32 ? WINOGRAD_TOL_F32 : WINOGRAD_TOL_F64, "winograd"))
          return FAIL;
        if (which == 2) break; /* one path per shape */
      }
  return PASS;
}
static result case_conv2d_winograd_forward(void) { return winograd_cases(0); }
static result case_conv2d_winograd_backward_input(void) { return winograd_cases(1); }
static result case_conv2d_forward_fused(void) { return winograd_cases(2); }
static result case_conv2d_winograd_backward_weight(void) { return winograd_cases(3); }

static result case_conv2d_forward(void) { return conv_cases(0); }
static result case_conv2d_backward_input(void) { return conv_cases(1); }
static result case_conv2d_backward_weight(void) { return conv_cases(2); }
static result case_conv2d_backward_bias(void) { return conv_cases(3); }

/* --- pooling --- */

static const mien_pool2d_params pool_shapes[] = {
    {2, 3, 9, 11, 3, 3, 2, 2, 1, 1, 0, 1},
    {1, 2, 7, 8, 2, 3, 2, 2, 0, 1, 1, 0}, /* ceil mode, no padding counted */
    {1, 1, 5, 5, 5, 5, 1, 1, 0, 0, 0, 1}, /* global */
};

static result pool_cases(bool is_max, bool backward) {
  for (size_t k = 0; k < sizeof pool_shapes / sizeof *pool_shapes; k++)
    for (int t = 0; t < 2; t++) {
      const mien_dtype dt = float_types[t];
      const mien_pool2d_params *p = &pool_shapes[k];
      const int64_t OH = ref_pool_out(p->H, p->KH, p->stride_h, p->pad_h, p->ceil_mode);
      const int64_t OW = ref_pool_out(p->W, p->KW, p->stride_w, p->pad_w, p->ceil_mode);
      const int64_t nx = p->N * p->C * p->H * p->W, ny = p->N * p->C * OH * OW;
      double *x = random_values(nx, -3, 3), *dy = random_values(ny, -1, 1), *y = host(ny), *dx = host(nx);
      int64_t *arg = calloc((size_t)ny, sizeof *arg);
      for (int64_t plane = 0; plane < p->N * p->C; plane++)
        for (int64_t oh = 0; oh < OH; oh++)
          for (int64_t ow = 0; ow < OW; ow++) {
            double best = -INFINITY, sum = 0;
            int64_t count = 0, where = -1;
            const int64_t h0 = oh * p->stride_h - p->pad_h, w0 = ow * p->stride_w - p->pad_w;
            const int64_t h1 = h0 + p->KH < p->H + p->pad_h ? h0 + p->KH : p->H + p->pad_h;
            const int64_t w1 = w0 + p->KW < p->W + p->pad_w ? w0 + p->KW : p->W + p->pad_w;
            const int64_t padded = (h1 - h0) * (w1 - w0);
            for (int64_t ih = h0; ih < h0 + p->KH; ih++)
              for (int64_t iw = w0; iw < w0 + p->KW; iw++) {
                if (ih < 0 || ih >= p->H || iw < 0 || iw >= p->W) continue;
                const double v = x[plane * p->H * p->W + ih * p->W + iw];
                if (v > best) best = v, where = ih * p->W + iw;
                sum += v, count++;
              }
            const int64_t yi = (plane * OH + oh) * OW + ow, div = p->count_include_pad ? padded : count;
            y[yi] = is_max ? best : sum / (double)div;
            arg[yi] = where;
            for (int64_t ih = h0; ih < h0 + p->KH; ih++)
              for (int64_t iw = w0; iw < w0 + p->KW; iw++) {
                if (ih < 0 || ih >= p->H || iw < 0 || iw >= p->W) continue;
                if (!is_max) dx[plane * p->H * p->W + ih * p->W + iw] += dy[yi] / (double)div;
              }
            if (is_max) dx[plane * p->H * p->W + where] += dy[yi];
          }
      void *dxd = upload(dt, x, nx), *dyd = upload(dt, dy, ny), *out = dev_alloc((size_t)nx * 8);
      void *idx = dev_alloc((size_t)ny * 8);
      int rc;
      const int64_t n_out = backward ? nx : ny;
      double *got = host(n_out), *idx_got = host(ny), *idx_want = host(ny);
      for (int64_t i = 0; i < ny; i++) idx_want[i] = (double)arg[i];
      free(arg);
      if (!backward)
        rc = is_max ? be->max_pool2d_forward(p, dt, dxd, out, idx) : be->avg_pool2d_forward(p, dt, dxd, out);
      else if (is_max) {
        void *hidx = upload(MIEN_INT64, idx_want, ny);
        rc = be->max_pool2d_backward(p, dt, dyd, hidx, out);
      } else
        rc = be->avg_pool2d_backward(p, dt, dyd, out);
      if (rc != 0) return FAIL;
      download(dt, out, n_out, got);
      if (!close_to(got, backward ? dx : y, n_out, tolerance(dt) * 4, "pool2d")) return FAIL;
      if (is_max && !backward) {
        download(MIEN_INT64, idx, ny, idx_got);
        if (!close_to(idx_got, idx_want, ny, 0, "max_pool2d indices")) return FAIL;
      }
    }
  return PASS;
}
static result case_max_pool2d_forward(void) { return pool_cases(true, false); }
static result case_max_pool2d_backward(void) { return pool_cases(true, true); }
static result case_avg_pool2d_forward(void) { return pool_cases(false, false); }
static result case_avg_pool2d_backward(void) { return pool_cases(false, true); }

/* --- batch norm over [3, 5, 7] --- */

static result bn_cases(bool training, bool backward) {
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    const mien_batchnorm_params p = {3, 5, 7, 1e-5, 0.1};
    const int64_t n = 105, C = 5;
    double *x = random_values(n, -2, 3), *dy = random_values(n, -1, 1), *g = random_values(C, 0.5, 1.5);
    double *b = random_values(C, -1, 1), *rm = random_values(C, -0.5, 0.5), *rv = random_values(C, 0.5, 2);
    double *mean = host(C), *var = host(C), *y = host(n), *dx = host(n), *dg = host(C), *db = host(C);
    double *rm2 = host(C), *rv2 = host(C), *inv = host(C);
    for (int64_t c = 0; c < C; c++) {
      ref_bn_stats(&p, x, c, &mean[c], &var[c]);
      const double mu = training ? mean[c] : rm[c], v = training ? var[c] : rv[c];
      inv[c] = 1 / sqrt(v + p.eps);
      rm2[c] = 0.9 * rm[c] + 0.1 * mean[c];
      rv2[c] = 0.9 * rv[c] + 0.1 * var[c] * 21 / 20; /* unbiased over N * S = 21 */
      double sdy = 0, sdyx = 0;
      for (int64_t i = 0; i < 3; i++)
        for (int64_t s = 0; s < 7; s++) {
          const int64_t at_ = (i * C + c) * 7 + s;
          y[at_] = (x[at_] - mu) * inv[c] * g[c] + b[c];
          sdy += dy[at_], sdyx += dy[at_] * (x[at_] - mu) * inv[c];
        }
      db[c] = sdy, dg[c] = sdyx;
      for (int64_t i = 0; i < 3; i++)
        for (int64_t s = 0; s < 7; s++) {
          const int64_t at_ = (i * C + c) * 7 + s;
          const double xhat = (x[at_] - mu) * inv[c];
          dx[at_] = training ? g[c] * inv[c] * (dy[at_] - sdy / 21 - xhat * sdyx / 21) : g[c] * inv[c] * dy[at_];
        }
    }
    void *dX = upload(dt, x, n), *dDY = upload(dt, dy, n), *dG = upload(dt, g, C), *dB = upload(dt, b, C);
    void *dRM = upload(dt, rm, C), *dRV = upload(dt, rv, C), *dY = dev_alloc((size_t)n * 8);
    void *dSM = dev_alloc(C * 8), *dSI = dev_alloc(C * 8), *dGG = dev_alloc(C * 8), *dGB = dev_alloc(C * 8);
    int rc;
    double *got = host(n), *got_c = host(C);
    if (!backward) {
      rc = training ? be->batchnorm_forward_train(&p, dt, dX, dG, dB, dRM, dRV, dSM, dSI, dY)
                    : be->batchnorm_forward_eval(&p, dt, dX, dG, dB, dRM, dRV, dY);
      if (rc != 0) return FAIL;
      download(dt, dY, n, got);
      if (!close_to(got, y, n, tolerance(dt) * 4, "batchnorm forward")) return FAIL;
      if (training) {
        download(dt, dRM, C, got_c);
        if (!close_to(got_c, rm2, C, tolerance(dt) * 4, "running_mean")) return FAIL;
        download(dt, dRV, C, got_c);
        if (!close_to(got_c, rv2, C, tolerance(dt) * 4, "running_var")) return FAIL;
        download(dt, dSI, C, got_c);
        if (!close_to(got_c, inv, C, tolerance(dt) * 4, "save_invstd")) return FAIL;
      }
    } else {
      void *dMean = upload(dt, mean, C), *dInv = upload(dt, inv, C);
      rc = training ? be->batchnorm_backward_train(&p, dt, dX, dDY, dG, dMean, dInv, dY, dGG, dGB)
                    : be->batchnorm_backward_eval(&p, dt, dX, dDY, dG, dRM, dRV, dY, dGG, dGB);
      if (rc != 0) return FAIL;
      download(dt, dY, n, got);
      if (!close_to(got, dx, n, tolerance(dt) * 10, "batchnorm dx")) return FAIL;
      download(dt, dGG, C, got_c);
      if (!close_to(got_c, dg, C, tolerance(dt) * 10, "batchnorm dgamma")) return FAIL;
      download(dt, dGB, C, got_c);
      if (!close_to(got_c, db, C, tolerance(dt) * 10, "batchnorm dbeta")) return FAIL;
    }
  }
  return PASS;
}
static result case_batchnorm_forward_train(void) { return bn_cases(true, false); }
static result case_batchnorm_forward_eval(void) { return bn_cases(false, false); }
static result case_batchnorm_backward_train(void) { return bn_cases(true, true); }
static result case_batchnorm_backward_eval(void) { return bn_cases(false, true); }

/* --- softmax over the middle of [3, 11, 4]; cross entropy on [6, 9] --- */

static void ref_softmax(bool log_, const double *x, double *y, int64_t outer, int64_t n, int64_t inner) {
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double mx = -INFINITY, s = 0;
      for (int64_t j = 0; j < n; j++) mx = fmax(mx, x[(o * n + j) * inner + i]);
      for (int64_t j = 0; j < n; j++) s += exp(x[(o * n + j) * inner + i] - mx);
      for (int64_t j = 0; j < n; j++) {
        const double v = x[(o * n + j) * inner + i] - mx;
        y[(o * n + j) * inner + i] = log_ ? v - log(s) : exp(v) / s;
      }
    }
}

static result softmax_cases(bool backward) {
  for (int log_ = 0; log_ < 2; log_++)
    for (int t = 0; t < 2; t++) {
      const mien_dtype dt = float_types[t];
      const int64_t outer = 3, n = 11, inner = 4, total = 132;
      double *x = random_values(total, -30, 30), *y = host(total), *dy = random_values(total, -1, 1), *dx = host(total);
      ref_softmax(log_, x, y, outer, n, inner);
      void *dX = upload(dt, x, total), *dY = dev_alloc((size_t)total * 8), *dDY = upload(dt, dy, total);
      double *got = host(total);
      if (!backward) {
        if (be->softmax_forward(dt, log_, outer, n, inner, dX, dY) != 0) return FAIL;
        download(dt, dY, total, got);
        if (!close_to(got, y, total, tolerance(dt) * 4, "softmax")) return FAIL;
        continue;
      }
      for (int64_t o = 0; o < outer; o++)
        for (int64_t i = 0; i < inner; i++) {
          double s = 0;
          for (int64_t j = 0; j < n; j++) {
            const int64_t k = (o * n + j) * inner + i;
            s += log_ ? dy[k] : dy[k] * y[k];
          }
          for (int64_t j = 0; j < n; j++) {
            const int64_t k = (o * n + j) * inner + i;
            dx[k] = log_ ? dy[k] - exp(y[k]) * s : y[k] * (dy[k] - s);
          }
        }
      void *dYin = upload(dt, y, total);
      if (be->softmax_backward(dt, log_, outer, n, inner, dYin, dDY, dY) != 0) return FAIL;
      download(dt, dY, total, got);
      if (!close_to(got, dx, total, tolerance(dt) * 10, "softmax backward")) return FAIL;
    }
  return PASS;
}
static result case_softmax_forward(void) { return softmax_cases(false); }
static result case_softmax_backward(void) { return softmax_cases(true); }

static result cross_entropy_cases(bool backward) {
  for (int variant = 0; variant < 2; variant++) /* plain; class weights with smoothing */
    for (int t = 0; t < 2; t++) {
      const mien_dtype dt = float_types[t];
      const int64_t N = 6, C = 9;
      const double s = variant ? 0.1 : 0;
      double *logits = random_values(N * C, -4, 4), *w = variant ? random_values(C, 0.2, 2) : NULL;
      double *labels = host(N), *logp = host(N * C), *loss = host(N), *dloss = random_values(N, -1, 1);
      double *dlog = host(N * C);
      for (int64_t i = 0; i < N; i++) labels[i] = (double)((i * 5) % C);
      ref_softmax(true, logits, logp, N, C, 1);
      double wsum = 0;
      for (int64_t c = 0; c < C; c++) wsum += w ? w[c] : 1;
      for (int64_t i = 0; i < N; i++) {
        const int64_t y = (int64_t)labels[i];
        const double wy = w ? w[y] : 1;
        double all = 0;
        for (int64_t c = 0; c < C; c++) all += (w ? w[c] : 1) * logp[i * C + c];
        loss[i] = -(1 - s) * wy * logp[i * C + y] - s / (double)C * all;
        for (int64_t c = 0; c < C; c++)
          dlog[i * C + c] = dloss[i] * (exp(logp[i * C + c]) * ((1 - s) * wy + s / (double)C * wsum) -
                                        (1 - s) * wy * (c == y) - s / (double)C * (w ? w[c] : 1));
      }
      void *dL = upload(dt, logits, N * C), *dW = w ? upload(dt, w, C) : NULL, *dLab = upload(MIEN_INT64, labels, N);
      void *dLogp = dev_alloc((size_t)(N * C) * 8), *dLoss = dev_alloc((size_t)N * 8);
      double *got = host(N * C);
      if (!backward) {
        if (be->cross_entropy_forward(dt, N, C, dL, dLab, dW, s, dLogp, dLoss) != 0) return FAIL;
        download(dt, dLoss, N, got);
        if (!close_to(got, loss, N, tolerance(dt) * 10, "cross_entropy loss")) return FAIL;
        download(dt, dLogp, N * C, got);
        if (!close_to(got, logp, N * C, tolerance(dt) * 10, "cross_entropy logp")) return FAIL;
      } else {
        void *dLp = upload(dt, logp, N * C), *dDl = upload(dt, dloss, N);
        if (be->cross_entropy_backward(dt, N, C, dLp, dLab, dW, s, dDl, dLogp) != 0) return FAIL;
        download(dt, dLogp, N * C, got);
        if (!close_to(got, dlog, N * C, tolerance(dt) * 10, "cross_entropy backward")) return FAIL;
      }
    }
  return PASS;
}
static result case_cross_entropy_forward(void) { return cross_entropy_cases(false); }
static result case_cross_entropy_backward(void) { return cross_entropy_cases(true); }

/* --- random streams: the exact values of rng.h's layout --- */

static result random_cases(int which) {
  const uint64_t seed = 0x1234abcd5678ull, base = 77;
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    const int64_t shape[2] = {7, 5}, stride[2] = {1, 7}, n = 35; /* transposed output */
    void *d = dev_alloc(35 * 8);
    double *got = host(n), *want = host(n), *x = random_values(n, -2, 2), *mask = host(n), *mwant = host(n);
    for (int64_t e = 0; e < n; e++) x[e] = cast_to(dt, x[e]);
    for (int64_t e = 0; e < n; e++) {
      uint32_t wd[4];
      ref_philox(seed, base + (uint64_t)(which == 1 ? e : e / 4), wd);
      const int64_t where = which == 3 ? e : (e % 5) * 7 + e / 5; /* element e of the transposed output */
      if (which == 0) want[where] = cast_to(dt, -1 + 3 * ref_unit(wd[e % 4]));
      if (which == 1) {
        const double u1 = ((double)(wd[0] >> 8) + 1) / 16777216.0, u2 = ref_unit(wd[1]);
        want[where] = cast_to(dt, 0.5 + 2 * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2));
      }
      if (which >= 2) {
        const double thr = ceil(0.7 * 16777216.0);
        const bool keep = (double)(wd[e % 4] >> 8) < thr;
        if (which == 2) want[e] = keep;
        else want[e] = cast_to(dt, x[e] * (keep ? cast_to(dt, 1 / 0.7) : 0)), mwant[e] = keep;
      }
    }
    mien_strided s = strided(d, dt, 2, shape, stride);
    int rc;
    if (which == 0) rc = be->uniform(&s, seed, base, -1, 2);
    else if (which == 1) rc = be->normal(&s, seed, base, 0.5, 2);
    else if (which == 2) {
      int64_t cs[2];
      contiguous_strides(2, shape, cs);
      s = strided(d, dt, 2, shape, cs);
      rc = be->bernoulli(&s, seed, base, 0.7);
    } else {
      void *dx = upload(dt, x, n), *dm = dev_alloc(35);
      rc = be->dropout(dt, n, dx, 0.3, seed, base, d, dm);
      download(MIEN_UINT8, dm, n, mask);
      if (rc == 0 && !close_to(mask, mwant, n, 0, "dropout mask")) return FAIL;
    }
    if (rc != 0) return FAIL;
    download(dt, d, n, got);
    if (!close_to(got, want, n, which == 1 ? tolerance(dt) : 0, "random stream")) return FAIL;
  }
  return PASS;
}
static result case_uniform(void) { return random_cases(0); }
static result case_normal(void) { return random_cases(1); }
static result case_bernoulli(void) { return random_cases(2); }
static result case_dropout(void) { return random_cases(3); }

/* --- index ops on a non-contiguous [5, 6, 3] --- */

static result index_cases(int which) {
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    const int64_t shape[3] = {5, 6, 3}, sin[3] = {1, 5, 30}, n = 90; /* stored as [3,6,5] */
    const int dim = 1;
    double *x = random_values(n, -3, 3);
    void *dx = upload(dt, x, n);
    mien_strided in = strided(dx, dt, 3, shape, sin);
    if (which == 0 || which == 1) { /* index_select / index_add with 4 indices (one repeated) */
      double idx[4] = {5, 0, 2, 5};
      void *di = upload(MIEN_INT64, idx, 4);
      const int64_t oshape[3] = {5, 4, 3}, m = 60;
      int64_t ostr[3];
      contiguous_strides(3, oshape, ostr);
      double *want = host(which == 0 ? m : n), *got = host(which == 0 ? m : n);
      if (which == 0) {
        void *o = dev_alloc((size_t)m * 8);
        mien_strided so = strided(o, dt, 3, oshape, ostr);
        if (be->index_select(&so, &in, dim, di, 4) != 0) return FAIL;
        for (int64_t a = 0; a < 5; a++)
          for (int64_t k = 0; k < 4; k++)
            for (int64_t c = 0; c < 3; c++) want[(a * 4 + k) * 3 + c] = x[a * sin[0] + (int64_t)idx[k] * sin[1] + c * sin[2]];
        download(dt, o, m, got);
        if (!close_to(got, want, m, 0, "index_select")) return FAIL;
      } else {
        double *src = random_values(m, -1, 1);
        void *ds = upload(dt, src, m);
        mien_strided ss = strided(ds, dt, 3, oshape, ostr);
        memcpy(want, x, sizeof(double) * (size_t)n);
        for (int64_t a = 0; a < 5; a++)
          for (int64_t k = 0; k < 4; k++)
            for (int64_t c = 0; c < 3; c++) want[a * sin[0] + (int64_t)idx[k] * sin[1] + c * sin[2]] += src[(a * 4 + k) * 3 + c];
        if (be->index_add(&in, dim, di, 4, &ss) != 0) return FAIL;
        download(dt, dx, n, got);
        if (!close_to(got, want, n, tolerance(dt), "index_add")) return FAIL;
      }
      continue;
    }
    /* gather / scatter_add with an index of shape [4, 2, 3] along dim 1 */
    const int64_t ishape[3] = {4, 2, 3}, m = 24;
    int64_t istr[3];
    contiguous_strides(3, ishape, istr);
    double *idx = host(m);
    for (int64_t e = 0; e < m; e++) idx[e] = (double)((e * 7) % 6);
    void *di = upload(MIEN_INT64, idx, m);
    mien_strided si = strided(di, MIEN_INT64, 3, ishape, istr);
    if (which == 2) {
      void *o = dev_alloc((size_t)m * 8);
      mien_strided so = strided(o, dt, 3, ishape, istr);
      if (be->gather(&so, &in, dim, &si) != 0) return FAIL;
      double *want = host(m), *got = host(m);
      for (int64_t a = 0; a < 4; a++)
        for (int64_t k = 0; k < 2; k++)
          for (int64_t c = 0; c < 3; c++) {
            const int64_t e = (a * 2 + k) * 3 + c;
            want[e] = x[a * sin[0] + (int64_t)idx[e] * sin[1] + c * sin[2]];
          }
      download(dt, o, m, got);
      if (!close_to(got, want, m, 0, "gather")) return FAIL;
    } else {
      double *src = random_values(m, -1, 1), *want = host(n), *got = host(n);
      void *ds = upload(dt, src, m);
      mien_strided ss = strided(ds, dt, 3, ishape, istr);
      memcpy(want, x, sizeof(double) * (size_t)n);
      for (int64_t a = 0; a < 4; a++)
        for (int64_t k = 0; k < 2; k++)
          for (int64_t c = 0; c < 3; c++) {
            const int64_t e = (a * 2 + k) * 3 + c;
            want[a * sin[0] + (int64_t)idx[e] * sin[1] + c * sin[2]] += src[e];
          }
      if (be->scatter_add(&in, dim, &si, &ss) != 0) return FAIL;
      download(dt, dx, n, got);
      if (!close_to(got, want, n, tolerance(dt), "scatter_add")) return FAIL;
    }
  }
  return PASS;
}
static result case_index_select(void) { return index_cases(0); }
static result case_index_add(void) { return index_cases(1); }
static result case_gather(void) { return index_cases(2); }
static result case_scatter_add(void) { return index_cases(3); }

static result case_cat(void) {
  /* three inputs along dim 1 of [4, *, 3]: sizes 2, 0 (empty) and 5; the first transposed */
  const int64_t sizes[3] = {2, 0, 5};
  mien_strided ins[3];
  double *h[3];
  for (int k = 0; k < 3; k++) {
    const int64_t shape[3] = {4, sizes[k], 3}, n = 12 * sizes[k];
    int64_t st[3];
    if (k == 0) st[0] = 1, st[1] = 12, st[2] = 4; /* stored as [2,3,4] */
    else contiguous_strides(3, shape, st);
    h[k] = random_values(n > 0 ? n : 1, -1, 1);
    ins[k] = strided(upload(MIEN_FLOAT64, h[k], n), MIEN_FLOAT64, 3, shape, st);
  }
  const int64_t oshape[3] = {4, 7, 3}, n = 84;
  int64_t ostr[3];
  contiguous_strides(3, oshape, ostr);
  void *o = dev_alloc(n * 8);
  mien_strided so = strided(o, MIEN_FLOAT64, 3, oshape, ostr);
  if (be->cat(&so, 3, ins, 1) != 0) return FAIL;
  double *want = host(n), *got = host(n);
  for (int64_t a = 0; a < 4; a++)
    for (int64_t j = 0; j < 7; j++)
      for (int64_t c = 0; c < 3; c++) {
        const int k = j < 2 ? 0 : 2, jj = j < 2 ? (int)j : (int)j - 2;
        want[(a * 7 + j) * 3 + c] = h[k][a * ins[k].stride[0] + jj * ins[k].stride[1] + c * ins[k].stride[2]];
      }
  download(MIEN_FLOAT64, o, n, got);
  return close_to(got, want, n, 0, "cat") ? PASS : FAIL;
}

/* --- optimizers: two parameters per call (multi-tensor), odd sizes --- */

static result optim_cases(int which) {
  for (int t = 0; t < 2; t++)
    for (int variant = 0; variant < 2; variant++) {
      const mien_dtype dt = float_types[t];
      const int64_t sizes[2] = {17, 1031};
      mien_optim_slot slots[2];
      double *p[2], *g[2], *s[2][3], *want[2][4];
      for (int k = 0; k < 2; k++) {
        const int64_t n = sizes[k];
        p[k] = random_values(n, -1, 1), g[k] = random_values(n, -1, 1);
        for (int j = 0; j < 3; j++) s[k][j] = random_values(n, 0.1, 1);
        memset(&slots[k], 0, sizeof slots[k]);
        slots[k].param = upload(dt, p[k], n), slots[k].grad = upload(dt, g[k], n), slots[k].numel = n;
        for (int j = 0; j < 3; j++) slots[k].state[j] = upload(dt, s[k][j], n);
        for (int j = 0; j < 4; j++) want[k][j] = host(n);
        for (int64_t i = 0; i < n; i++) {
          double pi = p[k][i], d = g[k][i];
          if (which == 0) { /* SGD, momentum 0.9, nesterov on the second variant, weight decay 0.01 */
            d += 0.01 * pi;
            double b = 0.9 * s[k][0][i] + (1 - (variant ? 0 : 0.1)) * d;
            d = variant ? d + 0.9 * b : b;
            want[k][0][i] = pi - 0.05 * d, want[k][1][i] = b;
          } else if (which == 1) { /* Adam (AdamW on the second variant, amsgrad too) at step 3 */
            const double b1 = 0.9, b2 = 0.999, lr = 0.01, wd = 0.02;
            if (variant) pi *= 1 - lr * wd;
            else d += wd * pi;
            const double m = b1 * s[k][0][i] + (1 - b1) * d, v = b2 * s[k][1][i] + (1 - b2) * d * d;
            const double vmax = variant ? fmax(s[k][2][i], v) : v;
            want[k][0][i] = pi - lr / (1 - pow(b1, 3)) * m / (sqrt(vmax) / sqrt(1 - pow(b2, 3)) + 1e-8);
            want[k][1][i] = m, want[k][2][i] = v, want[k][3][i] = variant ? vmax : s[k][2][i];
          } else { /* RMSProp, centered with momentum on the second variant */
            const double alpha = 0.99, eps = 1e-8, lr = 0.01;
            const double sq = alpha * s[k][0][i] + (1 - alpha) * d * d;
            const double ga = alpha * s[k][1][i] + (1 - alpha) * d;
            const double avg = variant ? sqrt(sq - ga * ga) + eps : sqrt(sq) + eps;
            const double buf = 0.5 * s[k][2][i] + d / avg;
            want[k][0][i] = variant ? pi - lr * buf : pi - lr * d / avg;
            want[k][1][i] = sq, want[k][2][i] = variant ? ga : s[k][1][i], want[k][3][i] = variant ? buf : s[k][2][i];
          }
        }
      }
      int rc;
      if (which == 0) {
        mien_sgd_opts o = {0.05, 0.9, variant ? 0 : 0.1, 0.01, variant, false};
        for (int k = 0; k < 2; k++) slots[k].state[1] = slots[k].state[2] = NULL;
        rc = be->sgd_update(&o, dt, 2, slots);
      } else if (which == 1) {
        mien_adam_opts o = {0.01, 0.9, 0.999, 1e-8, 0.02, 3, variant, variant};
        rc = be->adam_update(&o, dt, 2, slots);
      } else {
        mien_rmsprop_opts o = {0.01, 0.99, 1e-8, 0, variant ? 0.5 : 0, variant};
        rc = be->rmsprop_update(&o, dt, 2, slots);
      }
      if (rc != 0) return FAIL;
      for (int k = 0; k < 2; k++) {
        double *got = host(sizes[k]);
        download(dt, slots[k].param, sizes[k], got);
        if (!close_to(got, want[k][0], sizes[k], tolerance(dt) * 10, "optimizer parameter")) return FAIL;
        download(dt, slots[k].state[0], sizes[k], got);
        if (!close_to(got, want[k][1], sizes[k], tolerance(dt) * 10, "optimizer state")) return FAIL;
      }
    }
  return PASS;
}
static result case_sgd_update(void) { return optim_cases(0); }
static result case_adam_update(void) { return optim_cases(1); }
static result case_rmsprop_update(void) { return optim_cases(2); }

/* --- images: bilinear resize and warp, augmentation with everything off --- */

static result case_resize(void) {
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = t ? MIEN_FLOAT32 : MIEN_UINT8;
    const int sh = 9, sw = 13, c = 3, dh = 6, dw = 17;
    double *src = random_values(sh * sw * c, 0, 255), *want = host(dh * dw * c), *got = host(dh * dw * c);
    if (dt == MIEN_UINT8)
      for (int i = 0; i < sh * sw * c; i++) src[i] = floor(src[i]);
    void *ds = upload(dt, src, sh * sw * c), *dd = dev_alloc((size_t)(dh * dw * c) * 4);
    if (be->resize(dt, ds, sh, sw, c, dd, dh, dw, MIEN_RESIZE_BILINEAR) != 0) return FAIL;
    for (int y = 0; y < dh; y++)
      for (int x = 0; x < dw; x++)
        for (int ch = 0; ch < c; ch++) {
          const double v = ref_bilinear(src, sh, sw, c, ch, (x + 0.5) * sw / dw - 0.5, (y + 0.5) * sh / dh - 0.5);
          want[(y * dw + x) * c + ch] = dt == MIEN_UINT8 ? floor(v + 0.5) : v;
        }
    download(dt, dd, dh * dw * c, got);
    if (dt == MIEN_UINT8 ? !within_one(got, want, dh * dw * c, "resize") : !close_to(got, want, dh * dw * c, 1e-5, "resize"))
      return FAIL;
  }
  return PASS;
}

static result case_warp_affine(void) {
  const int sh = 11, sw = 9, c = 1, dh = 8, dw = 10;
  const double m[6] = {0.8, 0.3, 1.0, -0.2, 1.1, -0.5};
  double *src = random_values(sh * sw, 0, 256), *want = host(dh * dw), *got = host(dh * dw);
  for (int i = 0; i < sh * sw; i++) src[i] = floor(src[i]);
  void *ds = upload(MIEN_UINT8, src, sh * sw), *dd = dev_alloc((size_t)(dh * dw));
  for (int zero = 0; zero < 2; zero++) {
    if (be->warp_affine(ds, sh, sw, c, m, dd, dh, dw, zero) != 0) return FAIL;
    for (int y = 0; y < dh; y++)
      for (int x = 0; x < dw; x++) {
        const double X = x + 0.5, Y = y + 0.5, xs = m[0] * X + m[1] * Y + m[2], ys = m[3] * X + m[4] * Y + m[5];
        const bool outside = xs < 0 || xs > sw || ys < 0 || ys > sh;
        want[y * dw + x] = zero && outside ? 0 : floor(ref_bilinear(src, sh, sw, c, 0, xs - 0.5, ys - 0.5) + 0.5);
      }
    download(MIEN_UINT8, dd, dh * dw, got);
    if (!within_one(got, want, dh * dw, "warp_affine")) return FAIL;
  }
  return PASS;
}

static result case_augment_batch(void) {
  /* everything off: the resize of each picked image, scaled to [0,1] and normalised */
  const int n_src = 3, h = 10, w = 7, c = 1, oh = 6, ow = 5;
  mien_augment_params p = mien_augment_defaults(oh, ow, 1);
  p.mean[0] = 0.25f, p.std[0] = 0.5f;
  double *src = random_values(n_src * h * w, 0, 256), idx[4] = {2, 0, 2, 1};
  for (int i = 0; i < n_src * h * w; i++) src[i] = floor(src[i]);
  void *ds = upload(MIEN_UINT8, src, n_src * h * w), *di = upload(MIEN_INT64, idx, 4);
  void *dout = dev_alloc((size_t)(4 * oh * ow) * 4);
  if (be->augment_batch(&p, ds, n_src, h, w, c, di, 4, 99, 5, dout) != 0) return FAIL;
  double *want = host(4 * oh * ow), *got = host(4 * oh * ow);
  for (int b = 0; b < 4; b++)
    for (int y = 0; y < oh; y++)
      for (int x = 0; x < ow; x++) {
        const double v = ref_bilinear(src + (int64_t)idx[b] * h * w, h, w, c, 0, (x + 0.5) * w / ow - 0.5,
                                      (y + 0.5) * h / oh - 0.5);
        want[(b * oh + y) * ow + x] = (v / 255 - 0.25) / 0.5;
      }
  download(MIEN_FLOAT32, dout, 4 * oh * ow, got);
  return close_to(got, want, 4 * oh * ow, 1e-5, "augment_batch") ? PASS : FAIL;
}

/* --- bfloat16: conversions, and the bf16 compute entries ---
 * The compute entries take float32 inputs as they are; the result must match
 * the float64 reference on bf16-rounded inputs (the bf16 kernels) or on the
 * inputs themselves (the float32 fallback of a CPU without AVX512_BF16), within
 * the float32 tolerance either way: rounding inside the kernel is exact, so
 * only the float32 sums differ. */

static uint16_t host_bf16_bits(double v) { /* v already rounded to bf16 */
  const float f = (float)v;
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return (uint16_t)(u >> 16);
}

static result case_copy_bf16(void) {
  const int64_t n = 257;
  double *h = edgy_values(n), *want = host(n), *got = host(n);
  h[11] = 1.0 + 0x1p-8, h[12] = 1.0 + 3 * 0x1p-8, h[13] = 3.4e38, h[14] = 1e-39; /* ties, overflow, subnormal */
  for (int t = 0; t < 2; t++) {
    const mien_dtype dt = float_types[t];
    void *src = upload(dt, h, n), *b16 = dev_alloc((size_t)n * 2), *back = dev_alloc((size_t)n * mien_dtype_size(dt));
    int64_t shape[1] = {n}, stride[1] = {1};
    mien_strided s_src = strided(src, dt, 1, shape, stride), s_b16 = strided(b16, MIEN_BFLOAT16, 1, shape, stride);
    mien_strided s_back = strided(back, dt, 1, shape, stride);
    if (be->copy_strided(&s_b16, &s_src) != 0 || be->copy_strided(&s_back, &s_b16) != 0) return FAIL;
    uint16_t *bits = malloc((size_t)n * 2);
    be->copy_to_host(bits, b16, (size_t)n * 2);
    download(dt, back, n, got);
    for (int64_t i = 0; i < n; i++) want[i] = ref_bf16(h[i]);
    bool bits_ok = true;
    for (int64_t i = 0; i < n; i++) /* NaN: any NaN bits; the rest exact */
      if (want[i] == want[i] && bits[i] != host_bf16_bits(want[i])) bits_ok = false;
    free(bits);
    if (!bits_ok) {
      snprintf(why, sizeof why, "copy to bfloat16: wrong bits");
      return FAIL;
    }
    if (!close_to(got, want, n, 0, "bfloat16 round trip")) return FAIL;
  }
  return PASS;
}

/* got within tol of want_rounded or of want_exact. */
static bool close_either(const double *got, const double *want_rounded, const double *want_exact, int64_t n,
                         double tol, const char *what) {
  if (close_to(got, want_exact, n, tol, what)) return true;
  return close_to(got, want_rounded, n, tol, what);
}

static double *rounded_copy(const double *h, int64_t n) {
  double *r = host(n);
  for (int64_t i = 0; i < n; i++) r[i] = ref_bf16(h[i]);
  return r;
}

static result case_gemm_bf16(void) {
  for (int ta = 0; ta < 2; ta++)
    for (int tb = 0; tb < 2; tb++) {
      const int64_t M = 13, N = 50, K = 71;
      const int64_t lda = (ta ? M : K) + 2, ldb = (tb ? K : N) + 1, ldc = N + 3, na = (ta ? K : M) * lda,
                    nb = (tb ? N : K) * ldb, nc = M * ldc;
      double *A = random_values(na, -1, 1), *B = random_values(nb, -1, 1), *C = random_values(nc, -1, 1);
      void *dA = upload(MIEN_FLOAT32, A, na), *dB = upload(MIEN_FLOAT32, B, nb), *dC = upload(MIEN_FLOAT32, C, nc);
      double *want_r = host(nc), *want_u = host(nc), *got = host(nc);
      memcpy(want_r, C, sizeof(double) * (size_t)nc);
      memcpy(want_u, C, sizeof(double) * (size_t)nc);
      if (be->gemm_bf16(ta, tb, M, N, K, 0.75, dA, lda, dB, ldb, -0.5, dC, ldc) != 0) return FAIL;
      ref_gemm(ta, tb, M, N, K, 0.75, rounded_copy(A, na), lda, rounded_copy(B, nb), ldb, -0.5, want_r, ldc);
      ref_gemm(ta, tb, M, N, K, 0.75, A, lda, B, ldb, -0.5, want_u, ldc);
      download(MIEN_FLOAT32, dC, nc, got);
      for (int64_t r = 0; r < M; r++) /* the padding of C must stay as it was */
        for (int64_t j = N; j < ldc; j++) want_r[r * ldc + j] = want_u[r * ldc + j] = C[r * ldc + j];
      if (!close_either(got, want_r, want_u, nc, tolerance(MIEN_FLOAT32) * 4, "gemm_bf16")) return FAIL;
    }
  return PASS;
}

/* conv_shapes (the small-K and depthwise paths) and one whose column matrix
 * (288 rows) goes through the GEMM. */
static result conv_bf16_cases(int which) {
  static const mien_conv2d_params gemm_shape = {2, 32, 6, 7, 8, 3, 3, 1, 1, 1, 1, 1, 1, 1};
  const size_t nshapes = sizeof conv_shapes / sizeof *conv_shapes;
  for (size_t k = 0; k <= nshapes; k++) {
    const mien_conv2d_params *p = k < nshapes ? &conv_shapes[k] : &gemm_shape;
    int64_t OH, OW;
    if (mien_conv2d_out_size(p, &OH, &OW) != 0) return FAIL;
    const int64_t nx = p->N * p->C_in * p->H * p->W, nw = p->C_out * (p->C_in / p->groups) * p->KH * p->KW;
    const int64_t ny = p->N * p->C_out * OH * OW, n_out = which == 0 ? ny : which == 1 ? nx : nw;
    double *x = random_values(nx, -1, 1), *w = random_values(nw, -1, 1), *b = random_values(p->C_out, -1, 1);
    double *dy = random_values(ny, -1, 1);
    void *dx_ = upload(MIEN_FLOAT32, x, nx), *dw_ = upload(MIEN_FLOAT32, w, nw), *db_ = upload(MIEN_FLOAT32, b, p->C_out);
    void *ddy = upload(MIEN_FLOAT32, dy, ny), *out = dev_alloc((size_t)n_out * 4);
    double *xr = rounded_copy(x, nx), *wr = rounded_copy(w, nw), *dyr = rounded_copy(dy, ny);
    double *want_r = host(n_out), *want_u = host(n_out), *got = host(n_out);
    int rc;
    switch (which) {
      case 0:
        rc = be->conv2d_forward_bf16(p, dx_, dw_, db_, out);
        for (int64_t i = 0; i < ny; i++) want_r[i] = want_u[i] = b[(i / (OH * OW)) % p->C_out];
        REF_CONV_TERMS(p, OH, OW, want_r[yi] += xr[xi] * wr[wi]; want_u[yi] += x[xi] * w[wi]);
        break;
      case 1:
        rc = be->conv2d_backward_input_bf16(p, ddy, dw_, out);
        REF_CONV_TERMS(p, OH, OW, want_r[xi] += dyr[yi] * wr[wi]; want_u[xi] += dy[yi] * w[wi]);
        break;
      default:
        rc = be->conv2d_backward_weight_bf16(p, dx_, ddy, out);
        REF_CONV_TERMS(p, OH, OW, want_r[wi] += dyr[yi] * xr[xi]; want_u[wi] += dy[yi] * x[xi]);
        break;
    }
    if (rc != 0) return FAIL;
    download(MIEN_FLOAT32, out, n_out, got);
    if (!close_either(got, want_r, want_u, n_out, tolerance(MIEN_FLOAT32) * 10, "conv2d bf16")) return FAIL;
  }
  return PASS;
}
static result case_conv2d_forward_bf16(void) { return conv_bf16_cases(0); }
static result case_conv2d_backward_input_bf16(void) { return conv_bf16_cases(1); }
static result case_conv2d_backward_weight_bf16(void) { return conv_bf16_cases(2); }

/* --- the table of cases: one per entry (or group of entries) of backend.h --- */

typedef struct {
  const char *name;
  size_t entry; /* offsetof(mien_backend, ...): NULL there means n/a */
  result (*run)(void);
  /* An optional case: a CPU-specific path (forced Winograd, bf16) or an entry
   * the op layer composes from others when NULL (conv2d_forward_fused). Its
   * n/a prints "-": absent by design, not missing. */
  bool optional;
} op_case;

#define CASE(name) {#name, offsetof(mien_backend, name), case_##name, false}
#define OPTIONAL_CASE(name) {#name, offsetof(mien_backend, name), case_##name, true}

static const op_case cases[] = {
    {"memory", offsetof(mien_backend, copy_from_host), case_memory, false},
    CASE(copy_strided), CASE(fill), CASE(arange),
    CASE(binary), CASE(unary), CASE(where), CASE(masked_grad), CASE(axpy),
    CASE(reduce), CASE(arg_reduce), CASE(sum_squares),
    CASE(gemm), CASE(gemm_batched),
    CASE(conv2d_forward), CASE(conv2d_backward_input), CASE(conv2d_backward_weight), CASE(conv2d_backward_bias),
    {"winograd_forward", offsetof(mien_backend, conv2d_forward), case_conv2d_winograd_forward, true},
    {"winograd_backward_input", offsetof(mien_backend, conv2d_backward_input),
     case_conv2d_winograd_backward_input, true},
    {"winograd_backward_weight", offsetof(mien_backend, conv2d_backward_weight),
     case_conv2d_winograd_backward_weight, true},
    OPTIONAL_CASE(conv2d_forward_fused),
    CASE(max_pool2d_forward), CASE(max_pool2d_backward), CASE(avg_pool2d_forward), CASE(avg_pool2d_backward),
    CASE(batchnorm_forward_train), CASE(batchnorm_forward_eval), CASE(batchnorm_backward_train),
    CASE(batchnorm_backward_eval),
    CASE(softmax_forward), CASE(softmax_backward), CASE(cross_entropy_forward), CASE(cross_entropy_backward),
    CASE(uniform), CASE(normal), CASE(bernoulli), CASE(dropout),
    CASE(index_select), CASE(index_add), CASE(gather), CASE(scatter_add), CASE(cat),
    CASE(sgd_update), CASE(adam_update), CASE(rmsprop_update),
    CASE(resize), CASE(warp_affine), CASE(augment_batch),
    /* a backend with a bf16 path stores bfloat16 (copy_strided converts it) */
    {"copy_bf16", offsetof(mien_backend, bf16_path), case_copy_bf16, true}, OPTIONAL_CASE(gemm_bf16),
    OPTIONAL_CASE(conv2d_forward_bf16), OPTIONAL_CASE(conv2d_backward_input_bf16),
    OPTIONAL_CASE(conv2d_backward_weight_bf16),
};

int main(void) {
  /* Asking for cuda:0 loads the CUDA backend where a GPU is (or finds the
   * emulated one a test binary registered): it is then one more column. */
  (void)mien_backend_for(mien_device_make(MIEN_DEVICE_CUDA, 0));
  const int nb = mien_backend_count(), nc = (int)(sizeof cases / sizeof *cases);
  static const char *const names[] = {"pass", "FAIL", "n/a", "-"};
  printf("%-26s", "op");
  for (int b = 0; b < nb; b++) printf(" %-8s", mien_backend_at(b)->name);
  printf("\n");
  int failed = 0;
  char lines[64][16][320];
  for (int k = 0; k < nc; k++) {
    printf("%-26s", cases[k].name);
    for (int b = 0; b < nb; b++) {
      be = mien_backend_at(b);
      if (be->set_device) be->set_device(0);
      void (*fn)(void);
      memcpy(&fn, (const char *)be + cases[k].entry, sizeof fn);
      rng_seed(1234 + (uint64_t)k);
      why[0] = '\0';
      mien_clear_error();
      result r = fn ? cases[k].run() : NA;
      if (r == NA && cases[k].optional) r = ABSENT;
      if (r == FAIL && !why[0]) snprintf(why, sizeof why, "%s", mien_last_error());
      release_all();
      free_host();
      printf(" %-8s", names[r]);
      snprintf(lines[k][b], sizeof lines[k][b], "cell %s %s %s%s%s", cases[k].name, be->name, names[r],
               r == FAIL ? ": " : "", r == FAIL ? why : "");
      failed += r == FAIL;
    }
    printf("\n");
  }
  for (int k = 0; k < nc; k++)
    for (int b = 0; b < nb; b++) printf("%s\n", lines[k][b]);
  printf("%d op(s) x %d backend(s), %d failed\n", nc, nb, failed);
  return failed ? 1 : 0;
}
