/* Strided iteration over one output and up to three inputs of the same
 * (broadcast) shape. Dims are coalesced where every operand is contiguous
 * across them, so the common cases become one long inner loop; the work is
 * cut into (row, chunk) items that OpenMP spreads over the cores. */
#ifndef MIEN_ITER_H
#define MIEN_ITER_H

#include <stdint.h>

#include "backend.h"

#define MIEN_ITER_MAX_OPS 4
#define MIEN_ITER_CHUNK 16384
#define MIEN_ITER_PARALLEL_MIN 32768

typedef struct mien_iter {
  int ndim;
  int nops;
  int64_t shape[MIEN_MAX_DIMS];
  int64_t strides[MIEN_ITER_MAX_OPS][MIEN_MAX_DIMS];
  int64_t inner;  /* size of the last coalesced dim */
  int64_t rows;   /* product of the other dims */
  int64_t chunks; /* chunks per row */
  int64_t numel;
} mien_iter;

/* strides[k] are operand k's element strides for `shape` (0 where broadcast). */
void mien_iter_init(mien_iter *it, int ndim, const int64_t *shape, int nops, const int64_t *const *strides);
/* Element offsets of operand k at the start of `row`. */
void mien_iter_row_offsets(const mien_iter *it, int64_t row, int64_t *offsets);

/* Runs BODY for each work item with OFF[k] the row offsets and [J0, J1) the
 * inner range; the inner stride of operand k is (IT).strides[k][(IT).ndim-1]. */
#define MIEN_ITER_FOR(IT, OFF, J0, J1, ...)                                              \
  do {                                                                                     \
    const mien_iter *it_ = &(IT);                                                          \
    int64_t items_ = it_->rows * it_->chunks;                                              \
    _Pragma("omp parallel for schedule(static) if (it_->numel >= MIEN_ITER_PARALLEL_MIN)") \
    for (int64_t w_ = 0; w_ < items_; w_++) {                                              \
      int64_t OFF[MIEN_ITER_MAX_OPS];                                                      \
      mien_iter_row_offsets(it_, w_ / it_->chunks, OFF);                                   \
      int64_t J0 = (w_ % it_->chunks) * MIEN_ITER_CHUNK;                                   \
      int64_t J1 = J0 + MIEN_ITER_CHUNK < it_->inner ? J0 + MIEN_ITER_CHUNK : it_->inner;  \
      __VA_ARGS__                                                                          \
    }                                                                                      \
  } while (0)

#endif
