#include "iter.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

void mien_iter_init(mien_iter *it, int ndim, const int64_t *shape, int nops, const int64_t *const *strides) {
  it->nops = nops;
  it->numel = 1;
  for (int d = 0; d < ndim; d++) it->numel *= shape[d];
  /* drop size-1 dims, then merge neighbours that are contiguous for every operand */
  int n = 0;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    if (n > 0) {
      int mergeable = 1;
      for (int k = 0; k < nops; k++)
        if (it->strides[k][n - 1] != strides[k][d] * shape[d]) mergeable = 0;
      if (mergeable) {
        it->shape[n - 1] *= shape[d];
        for (int k = 0; k < nops; k++) it->strides[k][n - 1] = strides[k][d];
        continue;
      }
    }
    it->shape[n] = shape[d];
    for (int k = 0; k < nops; k++) it->strides[k][n] = strides[k][d];
    n++;
  }
  if (n == 0) {
    it->shape[0] = 1;
    for (int k = 0; k < nops; k++) it->strides[k][0] = 0;
    n = 1;
  }
  it->ndim = n;
  it->inner = it->shape[n - 1];
  it->rows = it->numel == 0 ? 0 : it->numel / it->inner;
  it->chunks = (it->inner + MIEN_ITER_CHUNK - 1) / MIEN_ITER_CHUNK;
  if (it->chunks == 0) it->chunks = 1;
}

void mien_iter_row_offsets(const mien_iter *it, int64_t row, int64_t *offsets) {
  for (int k = 0; k < it->nops; k++) offsets[k] = 0;
  for (int d = it->ndim - 2; d >= 0; d--) {
    int64_t i = row % it->shape[d];
    row /= it->shape[d];
    for (int k = 0; k < it->nops; k++) offsets[k] += i * it->strides[k][d];
  }
}
