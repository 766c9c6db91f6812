/* mien_augment_job: one mien_augment_batch on its own pthread. See
 * augment_job.h for what the worker may and may not touch. */
#define _POSIX_C_SOURCE 200809L

#include "augment_job.h"

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#ifdef _OPENMP
#include <omp.h>
#endif

struct mien_augment_job {
  pthread_t thread;
  int joined;
  mien_augment_params p;
  mien_tensor *src, *idx, *out; /* references held until the wait */
  uint64_t seed, base;
  int threads;
  int rc;
  char error[1024]; /* the worker's mien_last_error() when rc != 0 */
};

static void *worker(void *arg) {
  mien_augment_job *j = arg;
#ifdef _OPENMP
  /* ICVs are per thread: this one starts from the environment's defaults. */
  omp_set_num_threads(j->threads);
#endif
  const mien_tensor *s = j->src;
  j->rc = mien_augment_batch(&j->p, mien_data_ptr(s), s->shape[0], (int)s->shape[1], (int)s->shape[2],
                             (int)s->shape[3], j->idx ? mien_data_ptr(j->idx) : NULL,
                             j->idx ? mien_numel(j->idx) : s->shape[0], j->seed, j->base, mien_data_ptr(j->out));
  if (j->rc != 0) {
    /* The message buffer is thread-local: carry it over to the waiter. */
    snprintf(j->error, sizeof j->error, "%s", mien_last_error());
  }
  return NULL;
}

static int check_tensors(const mien_augment_params *p, const mien_tensor *src, const mien_tensor *idx,
                         const mien_tensor *out) {
  if (!src || src->dtype != MIEN_UINT8 || src->ndim != 4 || !mien_is_contiguous(src) || mien_tensor_device(src) != MIEN_HOST ||
      src->shape[1] > INT_MAX || src->shape[2] > INT_MAX || src->shape[3] > INT_MAX) {
    mien_set_error("augment job: images must be a contiguous uint8 [N,H,W,C] tensor on the CPU");
    return -1;
  }
  if (idx && (idx->dtype != MIEN_INT64 || !mien_is_contiguous(idx) || mien_tensor_device(idx) != MIEN_HOST)) {
    mien_set_error("augment job: indices must be a contiguous int64 tensor on the CPU");
    return -1;
  }
  int64_t batch = idx ? mien_numel(idx) : src->shape[0];
  int64_t want = batch * p->out_channels * p->out_h * p->out_w;
  if (!out || out->dtype != MIEN_FLOAT32 || !mien_is_contiguous(out) || mien_tensor_device(out) != MIEN_HOST ||
      mien_numel(out) != want) {
    mien_set_error("augment job: out must be a contiguous float32 CPU tensor of %lld elements ([%lld,%d,%d,%d])",
                   (long long)want, (long long)batch, p->out_channels, p->out_h, p->out_w);
    return -1;
  }
  return 0;
}

/* Joins the worker once and drops the tensor references. */
static void join(mien_augment_job *j) {
  if (!j->joined) pthread_join(j->thread, NULL);
  j->joined = 1;
  mien_release(j->src);
  mien_release(j->idx);
  mien_release(j->out);
  j->src = j->idx = j->out = NULL;
}

mien_augment_job *mien_augment_job_start(const mien_augment_params *p, mien_tensor *src, mien_tensor *idx,
                                         uint64_t seed, uint64_t base, int threads, mien_tensor *out) {
  if (mien_augment_check(p) != 0 || check_tensors(p, src, idx, out) != 0) return NULL;
  if (threads < 0) {
    mien_set_error("augment job: threads must be >= 0 (0: as many as this thread uses), got %d", threads);
    return NULL;
  }
  mien_augment_job *j = calloc(1, sizeof *j);
  if (!j) {
    mien_set_error("augment job: out of memory");
    return NULL;
  }
  j->p = *p;
  j->src = mien_retain(src);
  j->idx = mien_retain(idx);
  j->out = mien_retain(out);
  j->seed = seed;
  j->base = base;
#ifdef _OPENMP
  j->threads = threads > 0 ? threads : omp_get_max_threads();
#else
  j->threads = 1;
#endif
  int err = pthread_create(&j->thread, NULL, worker, j);
  if (err != 0) {
    mien_set_error("augment job: cannot start a thread (%s)", strerror(err));
    j->joined = 1;
    mien_augment_job_free(j);
    return NULL;
  }
  return j;
}

int mien_augment_job_wait(mien_augment_job *j) {
  join(j);
  if (j->rc != 0) mien_set_error("%s", j->error);
  return j->rc;
}

void mien_augment_job_free(mien_augment_job *j) {
  if (!j) return;
  join(j); /* not the wait: the caller's own error message stays */
  free(j);
}
