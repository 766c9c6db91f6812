/* The CUDA backend on a real device: what libmien_cuda.so exports to the
 * core's loader (core/cuda_loader.c). mien_cuda_backend_init probes the
 * driver (checking cudaGetDeviceCount's return code: without a driver it
 * fails with cudaErrorInsufficientDriver and leaves the count at -1), and
 * only then fills the table: memory through the stream-ordered caching
 * allocator over cudaMalloc, the kernels of table.cu, GEMM through cuBLAS
 * and convolution through cuDNN (conv_cudnn.cu) when it is built in
 * (MIEN_WITH_CUDNN), with our own im2col kernels (conv.cu) otherwise and
 * wherever cuDNN has no algorithm. */
#include <cublas_v2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caching_alloc.h"
#include "common.cuh"
#include "gemm_plan.h"

#define MIEN_CUDA_MAX_DEVICES 16

static mien_backend table;
static mien_caching_alloc *pools[MIEN_CUDA_MAX_DEVICES];
static cublasHandle_t blas[MIEN_CUDA_MAX_DEVICES];
static int current_device;

#ifdef MIEN_WITH_CUDNN
extern "C" void mien_cuda_fill_conv(mien_backend *b);
#endif

static int cuda_fail(const char *what, cudaError_t e) {
  return mien_k_fail("%s: %s (%s)", what, cudaGetErrorString(e), cudaGetErrorName(e));
}

static void *device_malloc(void *, size_t n) {
  void *p = nullptr;
  if (cudaMalloc(&p, n) != cudaSuccess) {
    cudaGetLastError(); /* clear the sticky out-of-memory error */
    return nullptr;
  }
  return p;
}
static void device_free(void *, void *p) { cudaFree(p); }

static mien_caching_alloc *pool(void) {
  if (!pools[current_device]) pools[current_device] = mien_caching_alloc_new({device_malloc, device_free, nullptr});
  return pools[current_device];
}

static void *cuda_alloc(size_t nbytes, bool zero) {
  char err[256];
  void *p = pool() ? mien_caching_alloc_get(pool(), nbytes, nullptr, err, sizeof err) : nullptr;
  if (!p) {
    mien_k_fail("cuda:%d %s", current_device, pool() ? err : "out of host memory for the allocator");
    return nullptr;
  }
  if (zero && nbytes && cudaMemsetAsync(p, 0, nbytes, nullptr) != cudaSuccess) {
    mien_caching_alloc_put(pool(), p);
    return nullptr;
  }
  return p;
}
static void cuda_free(void *p, size_t) {
  if (p) mien_caching_alloc_put(pool(), p);
}
static int cuda_copy(void *dst, const void *src, size_t n) {
  const cudaError_t e = n ? cudaMemcpyAsync(dst, src, n, cudaMemcpyDeviceToDevice, nullptr) : cudaSuccess;
  return e == cudaSuccess ? 0 : cuda_fail("copy", e);
}
static int cuda_to_host(void *dst, const void *src, size_t n) {
  const cudaError_t e = n ? cudaMemcpy(dst, src, n, cudaMemcpyDeviceToHost) : cudaSuccess;
  return e == cudaSuccess ? 0 : cuda_fail("copy to host", e);
}
static int cuda_from_host(void *dst, const void *src, size_t n) {
  const cudaError_t e = n ? cudaMemcpy(dst, src, n, cudaMemcpyHostToDevice) : cudaSuccess;
  return e == cudaSuccess ? 0 : cuda_fail("copy from host", e);
}
static int cuda_set_device(int index) {
  if (index == current_device) return 0;
  const cudaError_t e = cudaSetDevice(index);
  if (e != cudaSuccess) return cuda_fail("set device", e);
  current_device = index;
  return 0;
}
static int cuda_synchronize(void) {
  const cudaError_t e = cudaDeviceSynchronize();
  return e == cudaSuccess ? 0 : cuda_fail("synchronize", e);
}

/* ---- GEMM through cuBLAS (plan: gemm_plan.c) ---- */
static int blas_gemm(mien_dtype dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                     const void *A, int64_t lda, int64_t sa, const void *B, int64_t ldb, int64_t sb, double beta,
                     void *C, int64_t ldc, int64_t sc, int64_t batch) {
  if (M == 0 || N == 0 || batch == 0) return 0;
  mien_gemm_plan p;
  char err[256];
  if (mien_gemm_plan_make(ta, tb, M, N, K, lda, ldb, ldc, sa, sb, sc, &p, err, sizeof err) != 0)
    return mien_k_fail("%s", err);
  if (!blas[current_device] && cublasCreate(&blas[current_device]) != CUBLAS_STATUS_SUCCESS)
    return mien_k_fail("gemm: cublasCreate failed on cuda:%d", current_device);
  if (dtype != MIEN_FLOAT32 && dtype != MIEN_FLOAT64) return mien_k_fail("gemm: dtype %d is not a float type", (int)dtype);
  const cudaDataType_t t = dtype == MIEN_FLOAT32 ? CUDA_R_32F : CUDA_R_64F;
  const cublasComputeType_t ct = dtype == MIEN_FLOAT32 ? CUBLAS_COMPUTE_32F : CUBLAS_COMPUTE_64F;
  const float af = (float)alpha, bf = (float)beta;
  const void *al = dtype == MIEN_FLOAT32 ? (const void *)&af : (const void *)&alpha;
  const void *be = dtype == MIEN_FLOAT32 ? (const void *)&bf : (const void *)&beta;
  const cublasOperation_t o1 = p.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N, o2 = p.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasStatus_t s =
      batch == 1 ? cublasGemmEx(blas[current_device], o1, o2, p.m, p.n, p.k, al, B, t, p.ld_first, A, t, p.ld_second,
                                be, C, t, p.ldc, ct, CUBLAS_GEMM_DEFAULT)
                 : cublasGemmStridedBatchedEx(blas[current_device], o1, o2, p.m, p.n, p.k, al, B, t, p.ld_first,
                                              p.stride_first, A, t, p.ld_second, p.stride_second, be, C, t, p.ldc,
                                              p.stride_c, (int)batch, ct, CUBLAS_GEMM_DEFAULT);
  return s == CUBLAS_STATUS_SUCCESS ? 0 : mien_k_fail("gemm: cuBLAS status %d", (int)s);
}
static int cuda_gemm(mien_dtype dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A,
                     int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
  return blas_gemm(dtype, ta, tb, M, N, K, alpha, A, lda, 0, B, ldb, 0, beta, C, ldc, 0, 1);
}
static int cuda_gemm_batched(mien_dtype dtype, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha,
                             const void *A, int64_t lda, int64_t sa, const void *B, int64_t ldb, int64_t sb,
                             double beta, void *C, int64_t ldc, int64_t sc, int64_t batch) {
  return blas_gemm(dtype, ta, tb, M, N, K, alpha, A, lda, sa, B, ldb, sb, beta, C, ldc, sc, batch);
}

static void *scratch_alloc(size_t n) { return cuda_alloc(n, false); }

/* ---- what the loader calls ---- */

/* Probes the driver; 0 and the table registered, or -1 with the reason in why. */
extern "C" __attribute__((visibility("default"))) int mien_cuda_backend_init(int (*register_backend)(mien_backend *),
                                                                             char *why, size_t why_len) {
  int count = -1;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) {
    snprintf(why, why_len, "no usable CUDA driver: cudaGetDeviceCount failed with %s (%d): %s", cudaGetErrorName(e),
             (int)e, cudaGetErrorString(e));
    return -1;
  }
  if (count <= 0) {
    snprintf(why, why_len, "no CUDA device: cudaGetDeviceCount found %d", count);
    return -1;
  }
  table.type = MIEN_DEVICE_CUDA;
  table.name = "cuda";
  table.device_count = count < MIEN_CUDA_MAX_DEVICES ? count : MIEN_CUDA_MAX_DEVICES;
  table.set_device = cuda_set_device;
  table.synchronize = cuda_synchronize;
  table.alloc = cuda_alloc;
  table.free = cuda_free;
  table.copy = cuda_copy;
  table.copy_to_host = cuda_to_host;
  table.copy_from_host = cuda_from_host;
  mien_cuda_fill_kernels(&table);
  /* MIEN_CUDA_OWN_KERNELS=1 keeps our GEMM and convolution in the table, so
   * that they can be checked on a GPU (scripts/gpu-check.sh) */
  const char *own = getenv("MIEN_CUDA_OWN_KERNELS");
  if (!own || strcmp(own, "1") != 0) {
    table.gemm = cuda_gemm;
    table.gemm_batched = cuda_gemm_batched;
#ifdef MIEN_WITH_CUDNN
    mien_cuda_fill_conv(&table);
#endif
  }
  mien_k_mem.alloc = scratch_alloc;
  mien_k_mem.free = cuda_free;
  mien_k_mem.to_host = cuda_to_host;
  mien_k_mem.from_host = cuda_from_host;
  if (!register_backend || register_backend(&table) != 0) {
    snprintf(why, why_len, "the CUDA backend could not be registered with the core");
    return -1;
  }
  mien_k_host = table.host;
  return 0;
}

/* mien.cuda.memory(): bytes of device `index`; -1 if it has no allocator yet. */
extern "C" __attribute__((visibility("default"))) int mien_cuda_memory_stats(int index, mien_memory_stats *out) {
  if (index < 0 || index >= MIEN_CUDA_MAX_DEVICES || !pools[index]) return -1;
  mien_caching_alloc_stats(pools[index], out);
  return 0;
}

/* mien.cuda.empty_cache(): gives every device's cached blocks back. */
extern "C" __attribute__((visibility("default"))) size_t mien_cuda_empty_cache(void) {
  size_t freed = 0;
  for (int d = 0; d < MIEN_CUDA_MAX_DEVICES; d++)
    if (pools[d]) {
      cudaSetDevice(d);
      cudaDeviceSynchronize(); /* a cached block may still be in use by queued kernels */
      freed += mien_caching_alloc_empty_cache(pools[d]);
    }
  cudaSetDevice(current_device);
  return freed;
}
