/* Products for convolutions with few column rows (group_in * KH * KW, e.g. 9
 * for a 3x3 kernel on a grey image), included once per element type by
 * conv2d.c (which defines REAL, VEC and FN). There the im2col GEMM has a
 * tiny inner dimension, and the packed GEMM spends its time packing and
 * storing tiles rather than multiplying. These kernels read their operands
 * in place and keep a strip of outputs in registers instead.
 *
 * Vectors are VLEN elements (32 bytes). The strip and block helpers are
 * forced inline with constant row and column counts, so each call site keeps
 * only its live accumulators, named ones that GCC holds in registers. */

#define VLEN ((int64_t)(sizeof(VEC) / sizeof(REAL)))
/* Unaligned loads and stores; macros, since passing a 32-byte vector by value
 * changes the ABI between the AVX and the baseline clones. */
#define VLOAD(v, ptr) memcpy(&(v), (ptr), sizeof(VEC))
#define VSTORE(ptr, v) memcpy((ptr), &(v), sizeof(VEC))

static inline REAL FN(vsum)(const VEC *v) {
  REAL s = 0;
  for (int64_t i = 0; i < VLEN; i++) s += (*v)[i];
  return s;
}

/* Rows [r, r + rows) of C over columns [p, p + 2 VLEN), rows <= 4:
 *   C[r][p] = init[r] + sum over j < J of A[r * a_rs + j * a_cs] * B[j][p]. */
static inline __attribute__((always_inline)) void FN(small_nn_strip)(int rows, int64_t J, const REAL *A,
                                                                     int64_t a_rs, int64_t a_cs, const REAL *B,
                                                                     int64_t ldb, const REAL *init, REAL *C,
                                                                     int64_t ldc) {
  VEC c00, c01, c10, c11, c20, c21, c30, c31;
  c00 = c01 = (VEC){0} + init[0];
  c10 = c11 = (VEC){0} + (rows > 1 ? init[1] : 0);
  c20 = c21 = (VEC){0} + (rows > 2 ? init[2] : 0);
  c30 = c31 = (VEC){0} + (rows > 3 ? init[3] : 0);
  for (int64_t j = 0; j < J; j++) {
    VEC b0, b1;
    VLOAD(b0, B + j * ldb);
    VLOAD(b1, B + j * ldb + VLEN);
    const REAL *a = A + j * a_cs;
    c00 += a[0] * b0, c01 += a[0] * b1;
    if (rows > 1) c10 += a[a_rs] * b0, c11 += a[a_rs] * b1;
    if (rows > 2) c20 += a[2 * a_rs] * b0, c21 += a[2 * a_rs] * b1;
    if (rows > 3) c30 += a[3 * a_rs] * b0, c31 += a[3 * a_rs] * b1;
  }
  VSTORE(C, c00), VSTORE(C + VLEN, c01);
  if (rows > 1) VSTORE(C + ldc, c10), VSTORE(C + ldc + VLEN, c11);
  if (rows > 2) VSTORE(C + 2 * ldc, c20), VSTORE(C + 2 * ldc + VLEN, c21);
  if (rows > 3) VSTORE(C + 3 * ldc, c30), VSTORE(C + 3 * ldc + VLEN, c31);
}

/* C [M x P] = bias (or 0) + A [M x J] * B [J x P], A given by its row and
 * column strides (so a transposed weight needs no copy), B and C row-major. */
static MIEN_MULTIVERSION void FN(small_nn)(int64_t M, int64_t J, int64_t P, const REAL *A, int64_t a_rs,
                                           int64_t a_cs, const REAL *B, int64_t ldb, const REAL *bias, REAL *C,
                                           int64_t ldc) {
  const int64_t P_vec = P - P % (2 * VLEN);
  for (int64_t r = 0; r < M; r += 4) {
    const int rows = M - r < 4 ? (int)(M - r) : 4;
    REAL init[4] = {0, 0, 0, 0};
    for (int i = 0; bias && i < rows; i++) init[i] = bias[r + i];
    const REAL *Ar = A + r * a_rs;
    REAL *Cr = C + r * ldc;
    for (int64_t p = 0; p < P_vec; p += 2 * VLEN) {
      if (rows == 4) FN(small_nn_strip)(4, J, Ar, a_rs, a_cs, B + p, ldb, init, Cr + p, ldc);
      else if (rows == 3) FN(small_nn_strip)(3, J, Ar, a_rs, a_cs, B + p, ldb, init, Cr + p, ldc);
      else if (rows == 2) FN(small_nn_strip)(2, J, Ar, a_rs, a_cs, B + p, ldb, init, Cr + p, ldc);
      else FN(small_nn_strip)(1, J, Ar, a_rs, a_cs, B + p, ldb, init, Cr + p, ldc);
    }
    for (int i = 0; i < rows; i++)
      for (int64_t p = P_vec; p < P; p++) {
        REAL sum = init[i];
        for (int64_t j = 0; j < J; j++) sum += Ar[i * a_rs + j * a_cs] * B[j * ldb + p];
        Cr[i * ldc + p] = sum;
      }
  }
}

/* C[r][j..j+3) += dot products over P of A's rows r..r+3 with B's rows
 * j..j+2 (rows <= 4, cols <= 3), vectorised over P; the tail of P scalar. */
static inline __attribute__((always_inline)) void FN(small_nt_block)(int rows, int cols, int64_t P, const REAL *A,
                                                                     int64_t lda, const REAL *B, int64_t ldb,
                                                                     REAL *C, int64_t ldc) {
  VEC c00 = {0}, c01 = {0}, c02 = {0}, c10 = {0}, c11 = {0}, c12 = {0};
  VEC c20 = {0}, c21 = {0}, c22 = {0}, c30 = {0}, c31 = {0}, c32 = {0};
  const int64_t P_vec = P - P % VLEN;
  for (int64_t p = 0; p < P_vec; p += VLEN) {
    VEC a, b0, b1, b2;
    VLOAD(b0, B + p);
    b1 = b2 = b0;
    if (cols > 1) VLOAD(b1, B + ldb + p);
    if (cols > 2) VLOAD(b2, B + 2 * ldb + p);
    VLOAD(a, A + p);
    c00 += a * b0, c01 += a * b1, c02 += a * b2;
    if (rows > 1) {
      VLOAD(a, A + lda + p);
      c10 += a * b0, c11 += a * b1, c12 += a * b2;
    }
    if (rows > 2) {
      VLOAD(a, A + 2 * lda + p);
      c20 += a * b0, c21 += a * b1, c22 += a * b2;
    }
    if (rows > 3) {
      VLOAD(a, A + 3 * lda + p);
      c30 += a * b0, c31 += a * b1, c32 += a * b2;
    }
  }
  const VEC acc[4][3] = {{c00, c01, c02}, {c10, c11, c12}, {c20, c21, c22}, {c30, c31, c32}};
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) {
      REAL sum = FN(vsum)(&acc[i][j]);
      for (int64_t p = P_vec; p < P; p++) sum += A[i * lda + p] * B[j * ldb + p];
      C[i * ldc + j] += sum;
    }
}

/* C [M x J] += A [M x P] * B [J x P]^T, all row-major, for small J. */
static MIEN_MULTIVERSION void FN(small_nt)(int64_t M, int64_t J, int64_t P, const REAL *A, int64_t lda,
                                           const REAL *B, int64_t ldb, REAL *C, int64_t ldc) {
  for (int64_t r = 0; r < M; r += 4) {
    const int rows = M - r < 4 ? (int)(M - r) : 4;
    for (int64_t j = 0; j < J; j += 3) {
      const int cols = J - j < 3 ? (int)(J - j) : 3;
      const REAL *Ar = A + r * lda, *Bj = B + j * ldb;
      REAL *Cr = C + r * ldc + j;
      if (rows == 4 && cols == 3) FN(small_nt_block)(4, 3, P, Ar, lda, Bj, ldb, Cr, ldc);
      else FN(small_nt_block)(rows, cols, P, Ar, lda, Bj, ldb, Cr, ldc);
    }
  }
}

#undef VLEN
#undef VLOAD
#undef VSTORE
