/* The public C API of mien: the one header a host program (the Lua binding,
 * a C tool, a test) includes. It gathers the public headers of the core:
 * devices and backends, tensors, autograd, the NN ops and optimizer updates,
 * safetensors files and the image functions, plus the runtime controls
 * below. Kernels, the CPU backend and the random generator's internals stay
 * behind it.
 *
 * Conventions: functions return a new tensor reference (release it with
 * mien_release) or NULL, and 0 or -1, with mien_last_error() set on failure.
 * Dims, indices and class labels are 0-based here; a binding shows them
 * 1-based. Devices are parsed with mien_device_parse ("cpu", "cuda:1"). */
#ifndef MIEN_H
#define MIEN_H

#if defined(_WIN32)
#define MIEN_API __declspec(dllexport)
#elif defined(__GNUC__)
#define MIEN_API __attribute__((visibility("default")))
#else
#define MIEN_API
#endif

#include "autocast.h"
#include "autograd.h"
#include "backend.h"
#include "checked_size.h"
#include "cuda_loader.h"
#include "dtype.h"
#include "error.h"
#include "image/augment.h"
#include "image/augment_job.h"
#include "image/augment_tensor.h"
#include "image/decode.h"
#include "image/encode.h"
#include "image/image_check.h"
#include "image/fer_csv.h"
#include "image/synthetic_faces.h"
#include "image/transform.h"
#include "dist/dist.h"
#include "io/safetensors.h"
#include "nn.h"
#include "optim.h"
#include "tensor.h"

/* --- runtime --- */

/* The global random stream (rand, randn, dropout, initialisers): seed it, or
 * read and restore its position (seed and next Philox block) for checkpoints. */
MIEN_API void mien_manual_seed(uint64_t seed);
MIEN_API void mien_rng_get_state(uint64_t *seed, uint64_t *counter);
MIEN_API void mien_rng_set_state(uint64_t seed, uint64_t counter);
/* What the CPU's GEMM runs on: "openblas" or "builtin". */
MIEN_API const char *mien_blas_name(void);
/* OpenBLAS's kernel set ("SkylakeX", "Cooperlake", "Haswell", ...; a CPU
 * OpenBLAS does not know gets the one its AVX-512/AVX2 features call for,
 * unless OPENBLAS_CORETYPE says otherwise), or "builtin". */
MIEN_API const char *mien_blas_core(void);
/* The built-in GEMM's micro-kernels, which run every GEMM inside the
 * convolutions and Winograd: "avx512 (6x32 float, 6x16 double)", or
 * "avx2/baseline (6x16 float, 6x8 double)" without AVX-512 or with
 * MIEN_NO_AVX512=1. */
MIEN_API const char *mien_gemm_kernels(void);
/* The CPU backend's threads (OpenMP; 1 without it). */
MIEN_API int mien_num_threads(void);
MIEN_API void mien_set_num_threads(int n);

#endif
