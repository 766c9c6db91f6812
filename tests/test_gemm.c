/* GEMM (built-in kernel and the dispatching entry point) against a naive
 * double-precision triple loop: all transpose combinations, odd sizes,
 * padded leading dimensions, several alpha/beta, and beta == 0 over NaN. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cpu/gemm.h"

typedef void gemm_f32_fn(int, int, int64_t, int64_t, int64_t, float, const float *, int64_t, const float *, int64_t,
                         float, float *, int64_t);
typedef void gemm_f64_fn(int, int, int64_t, int64_t, int64_t, double, const double *, int64_t, const double *,
                         int64_t, double, double *, int64_t);

typedef struct problem {
  int transA, transB;
  int64_t M, N, K, lda, ldb, ldc;
  double alpha, beta;
  int nan_c; /* fill C with NaN (only meaningful with beta == 0) */
} problem;

/* Matrices are generated in double and rounded to the tested type, so the
 * reference sees exactly the values the kernel sees. */
typedef struct operands {
  double *A, *B, *C0, *ref, *bound;
} operands;

static operands make_operands(const problem *p) {
  const int64_t a_rows = p->transA ? p->K : p->M, b_rows = p->transB ? p->N : p->K;
  operands o = {malloc(sizeof(double) * a_rows * p->lda), malloc(sizeof(double) * b_rows * p->ldb),
                malloc(sizeof(double) * p->M * p->ldc), malloc(sizeof(double) * p->M * p->ldc),
                malloc(sizeof(double) * p->M * p->ldc)};
  for (int64_t i = 0; i < a_rows * p->lda; i++) o.A[i] = uniform();
  for (int64_t i = 0; i < b_rows * p->ldb; i++) o.B[i] = uniform();
  for (int64_t i = 0; i < p->M * p->ldc; i++) o.C0[i] = p->nan_c ? NAN : uniform();
  return o;
}

static void free_operands(operands *o) {
  free(o->A), free(o->B), free(o->C0), free(o->ref), free(o->bound);
}

/* ref = alpha*op(A)*op(B) + beta*C0, and bound = the same with absolute
 * values, which scales the rounding error allowed for each entry. */
static void reference(const problem *p, operands *o) {
  for (int64_t i = 0; i < p->M; i++) {
    for (int64_t j = 0; j < p->N; j++) {
      double sum = 0, abs_sum = 0;
      for (int64_t k = 0; k < p->K; k++) {
        const double a = p->transA ? o->A[k * p->lda + i] : o->A[i * p->lda + k];
        const double b = p->transB ? o->B[j * p->ldb + k] : o->B[k * p->ldb + j];
        sum += a * b;
        abs_sum += fabs(a * b);
      }
      const double c = p->beta == 0 ? 0 : p->beta * o->C0[i * p->ldc + j];
      o->ref[i * p->ldc + j] = p->alpha * sum + c;
      o->bound[i * p->ldc + j] = fabs(p->alpha) * abs_sum + fabs(c) + 1e-30;
    }
  }
}

static void report(const char *what, const problem *p, double worst) {
  failures++;
  fprintf(stderr, "FAIL %s transA=%d transB=%d M=%lld N=%lld K=%lld alpha=%g beta=%g nan_c=%d: rel err %g\n", what,
          p->transA, p->transB, (long long)p->M, (long long)p->N, (long long)p->K, p->alpha, p->beta, p->nan_c,
          worst);
}

/* Largest |C - ref| / bound over the M x N block; NaN counts as infinite. */
#define CHECK_RESULT(C, p, o, tol, what)                                                   \
  do {                                                                                     \
    double worst = 0;                                                                      \
    for (int64_t i = 0; i < (p)->M; i++)                                                   \
      for (int64_t j = 0; j < (p)->N; j++) {                                               \
        const int64_t at = i * (p)->ldc + j;                                               \
        worst = worse_error(worst, fabs((double)(C)[at] - (o)->ref[at]) / (o)->bound[at]); \
      }                                                                                    \
    if (worst > (tol)) report(what, p, worst);                                             \
  } while (0)

static void run_f32(gemm_f32_fn *gemm, const char *what, const problem *p) {
  operands o = make_operands(p);
  const int64_t a_size = (p->transA ? p->K : p->M) * p->lda, b_size = (p->transB ? p->N : p->K) * p->ldb;
  const int64_t c_size = p->M * p->ldc;
  float *A = malloc(sizeof(float) * a_size), *B = malloc(sizeof(float) * b_size), *C = malloc(sizeof(float) * c_size);
  for (int64_t i = 0; i < a_size; i++) A[i] = (float)o.A[i], o.A[i] = A[i];
  for (int64_t i = 0; i < b_size; i++) B[i] = (float)o.B[i], o.B[i] = B[i];
  for (int64_t i = 0; i < c_size; i++) C[i] = (float)o.C0[i], o.C0[i] = C[i];
  reference(p, &o);
  gemm(p->transA, p->transB, p->M, p->N, p->K, (float)p->alpha, A, p->lda, B, p->ldb, (float)p->beta, C, p->ldc);
  CHECK_RESULT(C, p, &o, 1e-5, what);
  free(A), free(B), free(C);
  free_operands(&o);
}

static void run_f64(gemm_f64_fn *gemm, const char *what, const problem *p) {
  operands o = make_operands(p);
  double *C = malloc(sizeof(double) * p->M * p->ldc);
  memcpy(C, o.C0, sizeof(double) * p->M * p->ldc);
  reference(p, &o);
  gemm(p->transA, p->transB, p->M, p->N, p->K, p->alpha, o.A, p->lda, o.B, p->ldb, p->beta, C, p->ldc);
  CHECK_RESULT(C, p, &o, 1e-13, what);
  free(C);
  free_operands(&o);
}

/* The packed-A entry points, handed an A full of NaN after the packing:
 * only the packing may read A. */
#define PACKED_WRAPPER(T, REAL)                                                                                    \
  static void gemm_##T##_packed(int transA, int transB, int64_t M, int64_t N, int64_t K, REAL alpha, const REAL *A, \
                                int64_t lda, const REAL *B, int64_t ldb, REAL beta, REAL *C, int64_t ldc) {        \
    const int64_t a_size = (transA ? K : M) * lda + 1;                                                            \
    REAL *packed = malloc(sizeof(REAL) * (size_t)(mien_gemm_packed_a_elems(M, K) + 1));                          \
    REAL *poisoned = malloc(sizeof(REAL) * (size_t)a_size);                                                       \
    mien_gemm_##T##_pack_a(transA, M, K, A, lda, packed);                                                         \
    for (int64_t i = 0; i < a_size; i++) poisoned[i] = NAN;                                                       \
    mien_gemm_##T##_builtin_packed(transA, transB, M, N, K, alpha, poisoned, lda, packed, B, ldb, beta, C, ldc);  \
    free(packed);                                                                                                 \
    free(poisoned);                                                                                               \
  }
PACKED_WRAPPER(f32, float)
PACKED_WRAPPER(f64, double)

static void run_all(const problem *p) {
  run_f32(gemm_f32_packed, "f32 builtin, A packed", p);
  run_f64(gemm_f64_packed, "f64 builtin, A packed", p);
  run_f32(mien_gemm_f32_builtin, "f32 builtin", p);
  run_f64(mien_gemm_f64_builtin, "f64 builtin", p);
  run_f32(mien_gemm_f32, "f32", p);
  run_f64(mien_gemm_f64, "f64", p);
}

/* Leading dimensions a little wider than the rows, to catch stride mix-ups. */
static problem make_problem(int transA, int transB, int64_t M, int64_t N, int64_t K, double alpha, double beta) {
  problem p = {transA, transB, M, N, K, 0, 0, 0, alpha, beta, 0};
  p.lda = (transA ? M : K) + 3;
  p.ldb = (transB ? K : N) + 1;
  p.ldc = N + 2;
  return p;
}

int main(void) {
  rng_seed(0x9e3779b97f4a7c15ull);
  const char *backend = mien_gemm_backend();
  if (strcmp(backend, "openblas") != 0 && strcmp(backend, "builtin") != 0) {
    fprintf(stderr, "FAIL unexpected backend name '%s'\n", backend);
    failures++;
  }

  static const int64_t sizes[] = {1, 7, 33, 130};
  static const double scalars[][2] = {{1, 0}, {-0.5, 1}, {2, -1.5}};
  const int nsizes = sizeof sizes / sizeof *sizes;
  for (int t = 0; t < 4; t++)
    for (int mi = 0; mi < nsizes; mi++)
      for (int ni = 0; ni < nsizes; ni++)
        for (int ki = 0; ki < nsizes; ki++) {
          const double *s = scalars[(mi + ni + ki) % 3];
          problem p = make_problem(t & 1, t >> 1, sizes[mi], sizes[ni], sizes[ki], s[0], s[1]);
          run_all(&p);
        }

  /* Crosses every blocking boundary (KC, MC, NC) with ragged edges. */
  for (int t = 0; t < 4; t++) {
    problem p = make_problem(t & 1, t >> 1, 101, 2061, 300, 0.75, 0.25);
    run_f32(mien_gemm_f32_builtin, "f32 builtin (large)", &p);
    run_f64(mien_gemm_f64_builtin, "f64 builtin (large)", &p);
    run_f32(gemm_f32_packed, "f32 builtin, A packed (large)", &p);
    run_f64(gemm_f64_packed, "f64 builtin, A packed (large)", &p);
  }

  /* beta == 0 must overwrite C, NaN included, on the packed path too. */
  for (int t = 0; t < 4; t++) {
    problem p = make_problem(t & 1, t >> 1, 67, 45, 70, 1.5, 0);
    p.nan_c = 1;
    run_all(&p);
    problem tiny = make_problem(t & 1, t >> 1, 3, 5, 2, 1, 0);
    tiny.nan_c = 1;
    run_all(&tiny);
  }

  /* A B^T with a long K: the AVX-512 build's dot-product path (ragged row
   * and column blocks, a K tail past the last full vector, beta == 0 over
   * NaN and beta != 0). */
  static const int64_t dot_shapes[][3] = {{130, 70, 896}, {5, 3, 257}, {64, 128, 608}, {9, 4, 1000}};
  for (int d = 0; d < 4; d++) {
    problem p = make_problem(0, 1, dot_shapes[d][0], dot_shapes[d][1], dot_shapes[d][2], d % 2 ? -0.5 : 1, d % 2);
    p.nan_c = d % 2 == 0;
    run_f32(mien_gemm_f32_builtin, "f32 builtin (dot products)", &p);
    run_f32(gemm_f32_packed, "f32 builtin, A packed (no dot products)", &p);
  }

  /* Degenerate products: K == 0 and alpha == 0 leave beta * C. */
  problem k0 = make_problem(0, 0, 9, 11, 0, 1, -2);
  run_all(&k0);
  k0.lda = 0; /* what a contiguous [9, 0] operand has */
  run_all(&k0);
  problem a0 = make_problem(1, 1, 40, 50, 60, 0, 0.5);
  run_all(&a0);

  printf("test_gemm: backend %s\n", backend);
  return check_exit("test_gemm");
}
