/* Host-side helpers of every launcher: the iteration descriptor and the
 * launch status. */
#include <stdarg.h>
#include <stdio.h>

#include "common.cuh"

static char k_error[256];
mien_kmem mien_k_mem;
const mien_backend_host *mien_k_host;

const char *mien_k_error(void) { return k_error; }

int mien_k_fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(k_error, sizeof k_error, fmt, ap);
  va_end(ap);
  if (mien_k_host) mien_k_host->error("%s", k_error);
  return -1;
}

#if defined(__CUDACC__)
int mien_k_status(const char *kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return 0;
  return mien_k_fail("%s: launch failed: %s", kernel, cudaGetErrorString(e));
}
#else
int mien_k_status_emu(const char *kernel, int rc) {
  if (rc == 0) return 0;
  return mien_k_fail("%s: %s", kernel, mien_emu::error());
}
#endif

mien_kiter mien_kiter_make(int ndim, const int64_t *shape, int nops, const int64_t *const *strides) {
  mien_kiter it;
  it.ndim = 0;
  it.numel = 1;
  for (int d = 0; d < ndim; d++) it.numel *= shape[d];
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    const int j = it.ndim - 1;
    bool merge = j >= 0;
    for (int k = 0; k < nops && merge; k++) merge = strides[k][d] * shape[d] == it.stride[k][j];
    if (merge) {
      it.shape[j] *= shape[d];
      for (int k = 0; k < nops; k++) it.stride[k][j] = strides[k][d];
      continue;
    }
    it.shape[it.ndim] = shape[d];
    for (int k = 0; k < nops; k++) it.stride[k][it.ndim] = strides[k][d];
    it.ndim++;
  }
  it.contiguous = it.ndim <= 1;
  for (int k = 0; k < nops; k++)
    if (it.ndim == 1 && it.stride[k][0] != 1) it.contiguous = false;
  if (it.ndim == 0) { /* a single element */
    it.ndim = 1;
    it.shape[0] = 1;
    for (int k = 0; k < nops; k++) it.stride[k][0] = 0;
  }
  for (int k = nops; k < MIEN_K_MAX_OPS; k++)
    for (int d = 0; d < it.ndim; d++) it.stride[k][d] = 0;
  return it;
}
