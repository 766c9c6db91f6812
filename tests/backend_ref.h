/* Float64 references for the backend parity harness (test_backend_ops.c):
 * the plainest loops that compute what each entry of backend.h promises,
 * written from its comments, never from a kernel. Arrays are contiguous
 * double arrays unless a function says otherwise. */
#ifndef MIEN_TESTS_BACKEND_REF_H
#define MIEN_TESTS_BACKEND_REF_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "backend.h"

/* --- elementwise --- */

static double ref_binary(mien_binary_op op, double x, double y) {
  switch (op) {
    case MIEN_ADD: return x + y;
    case MIEN_SUB: return x - y;
    case MIEN_MUL: return x * y;
    case MIEN_DIV: return x / y;
    case MIEN_POW: return pow(x, y);
    case MIEN_MAXIMUM: return (x > y || x != x) ? x : y;
    case MIEN_MINIMUM: return (x < y || x != x) ? x : y;
    case MIEN_EQ: return x == y;
    case MIEN_NE: return x != y;
    case MIEN_LT: return x < y;
    case MIEN_LE: return x <= y;
    case MIEN_GT: return x > y;
    case MIEN_GE: return x >= y;
    default: return NAN;
  }
}

static double ref_unary(mien_unary_op op, double x, double p0, double p1) {
  switch (op) {
    case MIEN_NEG: return -x;
    case MIEN_EXP: return exp(x);
    case MIEN_LOG: return log(x);
    case MIEN_SQRT: return sqrt(x);
    case MIEN_ABS: return fabs(x);
    case MIEN_RELU: return x > 0 ? x : 0;
    case MIEN_SIGMOID: return 1 / (1 + exp(-x));
    case MIEN_TANH: return tanh(x);
    case MIEN_SIN: return sin(x);
    case MIEN_COS: return cos(x);
    case MIEN_SIGN: return (x > 0) - (x < 0);
    case MIEN_FLOOR: return floor(x);
    case MIEN_CEIL: return ceil(x);
    case MIEN_ROUND: return nearbyint(x);
    case MIEN_RSQRT: return 1 / sqrt(x);
    case MIEN_RELU6: return x < 0 ? 0 : x > 6 ? 6 : x;
    case MIEN_CLAMP: return (p0 == p0 && x < p0) ? p0 : (p1 == p1 && x > p1) ? p1 : x;
    case MIEN_LEAKY_RELU: return x > 0 ? x : x * p0;
    case MIEN_SCALE: return x * p0;
    default: return NAN;
  }
}

/* --- GEMM: C = alpha op(A) op(B) + beta C, row-major with leading dims --- */

static void ref_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double *A, int64_t lda,
                     const double *B, int64_t ldb, double beta, double *C, int64_t ldc) {
  for (int64_t i = 0; i < M; i++)
    for (int64_t j = 0; j < N; j++) {
      double s = 0;
      for (int64_t k = 0; k < K; k++) s += (ta ? A[k * lda + i] : A[i * lda + k]) * (tb ? B[j * ldb + k] : B[k * ldb + j]);
      C[i * ldc + j] = alpha * s + (beta == 0 ? 0 : beta * C[i * ldc + j]);
    }
}

/* --- bfloat16: v (as a float32) rounded to 8 significant bits, ties to even --- */

static double ref_bf16(double v) {
  const float f = (float)v;
  if (f != f || isinf(f) || f == 0) return f;
  if (fabs(f) < 0x1p-126) return (float)(nearbyint(f * 0x1p133) * 0x1p-133); /* subnormal: a fixed step */
  int e;
  const double m = frexp(f, &e); /* f = m 2^e, 0.5 <= |m| < 1 */
  return (float)ldexp(nearbyint(ldexp(m, 8)), e - 8); /* past the largest bf16: inf */
}

/* --- conv2d: y[n,co,oh,ow] = b[co] + sum x[n,ci,ih,iw] w[co,ci',kh,kw] --- */

/* Calls visit(x index, w index, y index) for every term of the sum. */
#define REF_CONV_TERMS(p, OH, OW, VISIT)                                                                  \
  do {                                                                                                    \
    const int64_t cin_g_ = (p)->C_in / (p)->groups, cout_g_ = (p)->C_out / (p)->groups;                   \
    for (int64_t n = 0; n < (p)->N; n++)                                                                  \
      for (int64_t co = 0; co < (p)->C_out; co++)                                                         \
        for (int64_t oh = 0; oh < (OH); oh++)                                                             \
          for (int64_t ow = 0; ow < (OW); ow++)                                                           \
            for (int64_t cg = 0; cg < cin_g_; cg++)                                                       \
              for (int64_t kh = 0; kh < (p)->KH; kh++)                                                    \
                for (int64_t kw = 0; kw < (p)->KW; kw++) {                                                \
                  const int64_t ci = co / cout_g_ * cin_g_ + cg;                                          \
                  const int64_t ih = oh * (p)->stride_h - (p)->pad_h + kh * (p)->dil_h;                   \
                  const int64_t iw = ow * (p)->stride_w - (p)->pad_w + kw * (p)->dil_w;                   \
                  if (ih < 0 || ih >= (p)->H || iw < 0 || iw >= (p)->W) continue;                         \
                  const int64_t xi = ((n * (p)->C_in + ci) * (p)->H + ih) * (p)->W + iw;                  \
                  const int64_t wi = ((co * cin_g_ + cg) * (p)->KH + kh) * (p)->KW + kw;                  \
                  const int64_t yi = ((n * (p)->C_out + co) * (OH) + oh) * (OW) + ow;                     \
                  VISIT;                                                                                  \
                }                                                                                         \
  } while (0)

/* --- pooling (PyTorch semantics, as cpu/pool2d.h documents) --- */

static int64_t ref_pool_out(int64_t in, int64_t k, int64_t s, int64_t pad, int ceil_mode) {
  int64_t span = in + 2 * pad - k;
  int64_t o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  if (ceil_mode && (o - 1) * s >= in + pad) o--; /* a window must start inside the input or its left padding */
  return o;
}

/* --- batch norm over [N, C, S] --- */

static void ref_bn_stats(const mien_batchnorm_params *p, const double *x, int64_t c, double *mean, double *var) {
  double s = 0, q = 0, m = (double)(p->N * p->S);
  for (int64_t n = 0; n < p->N; n++)
    for (int64_t k = 0; k < p->S; k++) s += x[(n * p->C + c) * p->S + k];
  s /= m;
  for (int64_t n = 0; n < p->N; n++)
    for (int64_t k = 0; k < p->S; k++) q += pow(x[(n * p->C + c) * p->S + k] - s, 2);
  *mean = s;
  *var = q / m;
}

/* --- Philox4x32-10, straight from its definition, for the random entries --- */

static void ref_philox(uint64_t seed, uint64_t counter, uint32_t out[4]) {
  uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
  uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
  for (int r = 0; r < 10; r++) {
    const uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
    const uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1;
    c1 = (uint32_t)p1;
    c3 = (uint32_t)p0;
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0, out[1] = c1, out[2] = c2, out[3] = c3;
}

static double ref_unit(uint32_t w) { return (double)(w >> 8) / 16777216.0; }

/* --- bilinear sampling with half-pixel centres and edge replication --- */

static double ref_bilinear(const double *src, int sh, int sw, int c, int ch, double xs, double ys) {
  xs = xs < 0 ? 0 : xs > sw - 1 ? sw - 1 : xs;
  ys = ys < 0 ? 0 : ys > sh - 1 ? sh - 1 : ys;
  const int x0 = (int)floor(xs), y0 = (int)floor(ys), x1 = x0 + 1 < sw ? x0 + 1 : sw - 1, y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
  const double tx = xs - x0, ty = ys - y0;
#define PX(yy, xx) src[((int64_t)(yy) * sw + (xx)) * c + ch]
  const double top = PX(y0, x0) + (PX(y0, x1) - PX(y0, x0)) * tx, bot = PX(y1, x0) + (PX(y1, x1) - PX(y1, x0)) * tx;
#undef PX
  return top + (bot - top) * ty;
}

#endif
