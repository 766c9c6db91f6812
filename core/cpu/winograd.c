/* Winograd F(m x m, r x r): the transform matrices, the choice of path and
 * tile size, and the float/double instantiations of winograd_impl.h. */
#include "winograd.h"

#include <stdlib.h>
#include <string.h>

#include "cache.h"
#include "error.h"
#include "gemm.h"
#include "simd.h"
#include "threads.h"

/* Largest alpha = m + r - 1 supported (F(4x4,3x3) and F(2x2,5x5) need 6). */
#define WINO_ALPHA_MAX 6
/* Tiles (or channels) handled side by side by one transform call: the
 * vector lanes of its inner loops. */
#define WINO_LANES 16

/* The transforms of F(m, r) in double, from the Toom-Cook construction with
 * interpolation points 0, 1, -1, 2, -2 and infinity (the first alpha - 1
 * finite ones): with L_j(x) = prod_{l != j} (x - a_l) and f_j = L_j(a_j),
 * row j of B^T holds the coefficients of L_j (the last row: of prod_l (x -
 * a_l)), row j of G is (a_j^k / f_j)_k (the last: e_{r-1}), and column j of
 * A^T is (a_j^i)_i (the last: e_{m-1}). Correlation is the transpose of the
 * linear convolution Toom-Cook computes, hence B^T = the interpolation
 * matrix's transpose. */
typedef struct wino_matrices {
  int m, r, alpha;
  double BT[WINO_ALPHA_MAX][WINO_ALPHA_MAX], G[WINO_ALPHA_MAX][WINO_ALPHA_MAX], AT[WINO_ALPHA_MAX][WINO_ALPHA_MAX];
} wino_matrices;

static void wino_matrices_init(wino_matrices *M, int m, int r) {
  static const double points[] = {0, 1, -1, 2, -2};
  const int alpha = m + r - 1, n = alpha - 1;
  memset(M, 0, sizeof *M);
  M->m = m;
  M->r = r;
  M->alpha = alpha;
  for (int j = 0; j <= n; j++) { /* coefficients of prod over l != j (all l for j == n) of (x - a_l) */
    double poly[WINO_ALPHA_MAX + 1] = {1};
    int deg = 0;
    for (int l = 0; l < n; l++) {
      if (l == j) continue;
      for (int i = deg + 1; i > 0; i--) poly[i] = poly[i - 1] - points[l] * poly[i];
      poly[0] *= -points[l];
      deg++;
    }
    for (int i = 0; i < alpha; i++) M->BT[j][i] = poly[i];
  }
  for (int j = 0; j < n; j++) {
    double f = 1, pw = 1;
    for (int l = 0; l < n; l++)
      if (l != j) f *= points[j] - points[l];
    for (int k = 0; k < r; k++, pw *= points[j]) M->G[j][k] = pw / f;
    pw = 1;
    for (int i = 0; i < m; i++, pw *= points[j]) M->AT[i][j] = pw;
  }
  M->G[n][r - 1] = 1;
  M->AT[m - 1][n] = 1;
}

/* --- which path --- */

typedef enum { ALGO_AUTO, ALGO_DIRECT, ALGO_WINOGRAD, ALGO_WINOGRAD2, ALGO_WINOGRAD4 } conv_algo;

/* Read on every call (a getenv per convolution is noise) so that tests can
 * switch it with setenv. An unknown value is treated as auto. */
static conv_algo conv_algo_forced(void) {
  const char *s = getenv("MIEN_CONV_ALGO");
  if (!s) return ALGO_AUTO;
  if (!strcmp(s, "direct")) return ALGO_DIRECT;
  if (!strcmp(s, "winograd")) return ALGO_WINOGRAD;
  if (!strcmp(s, "winograd2")) return ALGO_WINOGRAD2;
  if (!strcmp(s, "winograd4")) return ALGO_WINOGRAD4;
  return ALGO_AUTO;
}

/* Transform points computed per output: alpha^2 per tile, over the tiles
 * that cover an OH x OW plane (partial tiles count whole). */
static int64_t wino_points(int64_t OH, int64_t OW, int m, int r) {
  const int64_t alpha = m + r - 1;
  return alpha * alpha * ((OH + m - 1) / m) * ((OW + m - 1) / m);
}

/* Below these channel counts the GEMMs are too thin for Winograd to beat
 * the direct path (measured on the FER CNN's shapes, bench/cpu_ops.lua). */
#define WINO_MIN_CHANNELS 32

int mien_winograd_tile(const mien_conv2d_params *p, int which) {
  const conv_algo algo = conv_algo_forced();
  if (algo == ALGO_DIRECT) return 0;
  const int64_t r = p->KH;
  if (p->groups != 1 || p->stride_h != 1 || p->stride_w != 1 || p->dil_h != 1 || p->dil_w != 1 || p->KW != r ||
      (r != 3 && r != 5) || p->pad_h > r - 1 || p->pad_w > r - 1)
    return 0;
  if (algo == ALGO_AUTO && (p->C_in < WINO_MIN_CHANNELS || p->C_out < WINO_MIN_CHANNELS)) return 0;
  if (r == 5) return 2; /* F(2x2,5x5): alpha 6; F(4x4,5x5) would need alpha 8 and loses too much precision */
  /* the weight gradient sums products over every tile of the batch: F(2x2), the more accurate, unless forced */
  if (which == WINO_WEIGHT_GRAD) return algo == ALGO_WINOGRAD4 ? 4 : 2;
  if (algo == ALGO_WINOGRAD2) return 2;
  if (algo == ALGO_WINOGRAD4) return 4;
  /* the plane the (forward or input-gradient) convolution writes */
  const int backward = which == WINO_INPUT_GRAD;
  const int64_t OH = backward ? p->H : p->H + 2 * p->pad_h - r + 1, OW = backward ? p->W : p->W + 2 * p->pad_w - r + 1;
  /* fewer products wins; on a tie F(2x2) is the more accurate */
  return wino_points(OH, OW, 4, (int)r) < wino_points(OH, OW, 2, (int)r) ? 4 : 2;
}

/* One convolution as Winograd sees it: C input channels of H x W, K output
 * channels of OH x OW, covered by tiles_h x tiles_w tiles of m x m, and the
 * weight element (k, c, i, j) at w[k * w_k + c * w_c + i * w_i + j * w_j]
 * (so the input gradient reads the forward weights flipped and transposed). */
typedef struct wino_problem {
  int64_t N, C, K, H, W, OH, OW, pad_h, pad_w;
  int m, r, alpha;
  int64_t tiles_h, tiles_w, tiles; /* tiles = N * tiles_h * tiles_w */
  int64_t w_k, w_c, w_i, w_j;
} wino_problem;

static void wino_problem_init(wino_problem *q, const mien_conv2d_params *p, int m, int backward) {
  const int64_t r = p->KH, OH = p->H + 2 * p->pad_h - r + 1, OW = p->W + 2 * p->pad_w - r + 1;
  q->N = p->N;
  q->m = m;
  q->r = (int)r;
  q->alpha = m + (int)r - 1;
  if (!backward) {
    q->C = p->C_in, q->K = p->C_out, q->H = p->H, q->W = p->W, q->OH = OH, q->OW = OW;
    q->pad_h = p->pad_h, q->pad_w = p->pad_w;
    q->w_k = p->C_in * r * r, q->w_c = r * r, q->w_i = r, q->w_j = 1;
  } else { /* dx = conv(dy, w flipped in space, C_in and C_out swapped, padding r - 1 - pad) */
    q->C = p->C_out, q->K = p->C_in, q->H = OH, q->W = OW, q->OH = p->H, q->OW = p->W;
    q->pad_h = r - 1 - p->pad_h, q->pad_w = r - 1 - p->pad_w;
    q->w_k = r * r, q->w_c = p->C_in * r * r, q->w_i = -r, q->w_j = -1;
  }
  q->tiles_h = (q->OH + m - 1) / m;
  q->tiles_w = (q->OW + m - 1) / m;
  q->tiles = q->N * q->tiles_h * q->tiles_w;
}

/* Offset of the first weight element read (the last one in memory when
 * flipped). */
static int64_t wino_weight_origin(const wino_problem *q) {
  return (q->w_i < 0 ? -q->w_i : 0) * (q->r - 1) + (q->w_j < 0 ? -q->w_j : 0) * (q->r - 1);
}

/* Tile number `tile`: its image n, tile row ty and column tx. */
static inline void wino_tile_of(const wino_problem *q, int64_t tile, int64_t *n, int64_t *ty, int64_t *tx) {
  const int64_t per_image = q->tiles_h * q->tiles_w, rest = tile % per_image;
  *n = tile / per_image;
  *ty = rest / q->tiles_w;
  *tx = rest % q->tiles_w;
}

/* Where a tile starts: its image and the top-left element of its m x m
 * output block (the input block starts pad_h, pad_w before). */
typedef struct wino_tile {
  int64_t n;
  int32_t y, x;
} wino_tile;

/* The origins of tiles [q0, q0 + np), once per chunk for all channels. */
static void wino_tiles_of(const wino_problem *q, int64_t q0, int64_t np, wino_tile *tiles) {
  for (int64_t p = 0; p < np; p++) {
    int64_t n, ty, tx;
    wino_tile_of(q, q0 + p, &n, &ty, &tx);
    tiles[p] = (wino_tile){n, (int32_t)(ty * q->m), (int32_t)(tx * q->m)};
  }
}

/* The transforms are written for GCC, which unrolls them under these pragmas
 * into straight vector code. Clang builds are the sanitizer builds: fully
 * unrolled and instrumented, one file took clang minutes to compile, so
 * there the loops stay loops. */
#if defined(__clang__)
#define WINO_INLINE static inline
#define WINO_UNROLL_4
#define WINO_UNROLL_5
#define WINO_UNROLL_6
#else
#define WINO_INLINE static inline __attribute__((always_inline))
#define WINO_UNROLL_4 _Pragma("GCC unroll 4")
#define WINO_UNROLL_5 _Pragma("GCC unroll 5")
#define WINO_UNROLL_6 _Pragma("GCC unroll 6")
#endif

/* Tiles per chunk: the GEMMs are [K x C] x [C x P], near their peak from a
 * few hundred columns; every thread's V and M (alpha^2 * (C + WINO_BLOCK_K)
 * * P elements) together within tens of MB; and every thread a chunk. */
#define WINO_CHUNK_TILES 256
#define WINO_CHUNK_BYTES ((int64_t)48 << 20)
/* Output channels per round of GEMMs and output transform, so that the
 * products are still in cache when transformed back. */
#define WINO_BLOCK_K 512

static int64_t wino_chunk(const wino_problem *q, size_t elem, int nthreads) {
  const int64_t per_tile = (int64_t)elem * q->alpha * q->alpha * (q->C + WINO_BLOCK_K);
  int64_t P = WINO_CHUNK_TILES;
  if (P * per_tile * nthreads > WINO_CHUNK_BYTES) P = WINO_CHUNK_BYTES / (per_tile * nthreads);
  /* at least one chunk per thread */
  const int64_t share = (q->tiles + nthreads - 1) / nthreads;
  const int64_t all = (share + WINO_LANES - 1) / WINO_LANES * WINO_LANES;
  if (P > all) P = all;
  P = P / WINO_LANES * WINO_LANES;
  return P < WINO_LANES ? WINO_LANES : P;
}


/* Tiles per chunk of the weight gradient: its GEMMs are [K x P] x [P x C],
 * each of which reads and writes all of dU[t], so the longer P the better,
 * within the same budget for every thread's V and D (alpha^2 * (C + K) * P
 * elements). */
#define WINO_GRAD_CHUNK_TILES 1024
/* The most tiles of any chunk (the size of the per-chunk tile tables). */
#define WINO_MAX_CHUNK 1024

static int64_t wino_grad_chunk(const wino_problem *q, size_t elem, int nthreads) {
  const int64_t per_tile = (int64_t)elem * q->alpha * q->alpha * (q->C + q->K);
  int64_t P = WINO_GRAD_CHUNK_TILES;
  if (P * per_tile * nthreads > WINO_CHUNK_BYTES) P = WINO_CHUNK_BYTES / (per_tile * nthreads);
  const int64_t share = (q->tiles + nthreads - 1) / nthreads; /* at least one chunk per thread */
  const int64_t all = (share + WINO_LANES - 1) / WINO_LANES * WINO_LANES;
  if (P > all) P = all;
  P = P / WINO_LANES * WINO_LANES;
  return P < WINO_LANES ? WINO_LANES : P;
}

/* U[t] packed for the GEMMs by blocks of KB output channels
 * (mien_gemm_*_pack_a): a block's size, and all blocks of one t. */
static int64_t wino_packed_block(const wino_problem *q, int64_t KB) { return mien_gemm_packed_a_elems(KB, q->C); }
static int64_t wino_packed_per_t(const wino_problem *q, int64_t KB) {
  const int64_t full = q->K / KB, rest = q->K % KB;
  return full * wino_packed_block(q, KB) + (rest ? mien_gemm_packed_a_elems(rest, q->C) : 0);
}

#define REAL float
#define WINO_INDEX int32_t /* shuffle indices: integers as wide as REAL */
#define FN(name) name##_f32
#define GEMM mien_gemm_f32
#define GEMM_BUILTIN mien_gemm_f32_builtin
#define GEMM_BUILTIN_PACKED mien_gemm_f32_builtin_packed
#define GEMM_PACK_A mien_gemm_f32_pack_a
#include "winograd_impl.h"
#undef REAL
#undef WINO_INDEX
#undef FN
#undef GEMM
#undef GEMM_BUILTIN
#undef GEMM_BUILTIN_PACKED
#undef GEMM_PACK_A

#define REAL double
#define WINO_INDEX int64_t
#define FN(name) name##_f64
#define GEMM mien_gemm_f64
#define GEMM_BUILTIN mien_gemm_f64_builtin
#define GEMM_BUILTIN_PACKED mien_gemm_f64_builtin_packed
#define GEMM_PACK_A mien_gemm_f64_pack_a
#include "winograd_impl.h"
