/* A batch augmentation on a background POSIX thread, so the next batch of a
 * data loader is made while the current one trains:
 *
 *   mien_augment_job *j = mien_augment_job_start(&p, src, idx, seed, base, 0, out);
 *   ... other work ...
 *   if (mien_augment_job_wait(j) != 0) ... mien_last_error() says why ...
 *   mien_augment_job_free(j);
 *
 * The worker runs mien_augment_batch (augment.h) into out's data and nothing
 * else: it never allocates through mien's allocator (storage.c, cpu_cache.c)
 * and never touches a reference count, so everything it needs (out, and the
 * zero-based index tensor) is made by the caller before the start. The job
 * holds a reference to each tensor until it is waited for. The caller must
 * not write src, idx or out until then. */
#ifndef MIEN_IMAGE_AUGMENT_JOB_H
#define MIEN_IMAGE_AUGMENT_JOB_H

#include <stdint.h>

#include "image/augment.h"
#include "tensor.h"

typedef struct mien_augment_job mien_augment_job;

/* Starts augmenting src (contiguous uint8 [N,H,W,C] on the CPU) at the
 * zero-based int64 indices idx (contiguous, any shape; NULL: all N images in
 * order) into out (contiguous float32, [B, out_channels, out_h, out_w] elements
 * in all). threads: the worker's OpenMP team size, 0 for the calling thread's
 * omp_get_max_threads() (a new thread would otherwise see only the
 * environment's default, not omp_set_num_threads). Errors found here (shapes,
 * dtypes, params, no thread) return NULL with mien_last_error() set; errors
 * of the kernel itself (an index out of range) come from the wait. */
mien_augment_job *mien_augment_job_start(const mien_augment_params *p, mien_tensor *src, mien_tensor *idx,
                                         uint64_t seed, uint64_t base, int threads, mien_tensor *out);

/* Joins the worker and drops the job's tensor references; returns the
 * batch's rc (0, or -1 with the worker's message set as this thread's
 * mien_last_error()). A second wait returns the same rc and message. */
int mien_augment_job_wait(mien_augment_job *j);

/* Waits if still running, then frees the job. NULL is fine. */
void mien_augment_job_free(mien_augment_job *j);

#endif
