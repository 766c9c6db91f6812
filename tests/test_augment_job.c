/* Augmentation on a background thread: the job's batch equals
 * mien_augment_batch run directly (with and without indices, at several
 * thread counts, two jobs at once), the worker's error comes back to the
 * waiter, bad arguments fail at the start, and every tensor is released. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "image/augment_job.h"
#include "tensor.h"

enum { N = 9, H = 40, W = 36, C = 3 };

static mien_augment_params busy_params(int oh, int ow, int oc) {
  mien_augment_params p = mien_augment_defaults(oh, ow, oc);
  p.rotate_deg = 15;
  p.zoom_lo = 0.9f;
  p.zoom_hi = 1.1f;
  p.translate_x = p.translate_y = 0.1f;
  p.flip_prob = 0.5f;
  p.contrast_lo = 0.8f;
  p.contrast_hi = 1.2f;
  p.erase_prob = 0.5f;
  for (int k = 0; k < 3; k++) {
    p.mean[k] = 0.1f * (float)(k + 3);
    p.std[k] = 0.25f;
  }
  return p;
}

static mien_tensor *make_source(void) {
  int64_t shape[4] = {N, H, W, C};
  mien_tensor *t = mien_zeros(4, shape, MIEN_UINT8, MIEN_HOST);
  uint8_t *px = mien_data_ptr(t);
  for (int64_t i = 0; i < (int64_t)N * H * W * C; i++) px[i] = (uint8_t)((i * 2654435761u) >> 24);
  return t;
}

static mien_tensor *make_indices(int64_t n, const int64_t *v) {
  mien_tensor *t = mien_zeros(1, &n, MIEN_INT64, MIEN_HOST);
  memcpy(mien_data_ptr(t), v, sizeof(int64_t) * (size_t)n);
  return t;
}

static mien_tensor *make_out(const mien_augment_params *p, int64_t batch) {
  int64_t shape[4] = {batch, p->out_channels, p->out_h, p->out_w};
  return mien_zeros(4, shape, MIEN_FLOAT32, MIEN_HOST);
}

/* The batch from mien_augment_batch directly, into a malloc'd buffer. */
static float *direct(const mien_augment_params *p, const mien_tensor *src, const mien_tensor *idx, int64_t batch,
                     uint64_t seed, uint64_t base) {
  float *out = malloc(sizeof(float) * (size_t)batch * p->out_channels * p->out_h * p->out_w);
  CHECK(mien_augment_batch(p, mien_data_ptr(src), N, H, W, C, idx ? mien_data_ptr(idx) : NULL, batch, seed, base,
                           out) == 0);
  return out;
}

static void check_same(const mien_tensor *got, const float *want, const char *what) {
  EXPECT(memcmp(mien_data_ptr(got), want, sizeof(float) * (size_t)mien_numel(got)) == 0,
         "%s: the job's batch differs from mien_augment_batch", what);
}

static void test_matches_direct(mien_tensor *src) {
  static const int64_t order[] = {4, 0, 8, 8, 2, 7, 1};
  mien_tensor *idx = make_indices(7, order);
  mien_augment_params grey = busy_params(24, 28, 1), rgb = busy_params(48, 48, 3);
  float *want_idx = direct(&grey, src, idx, 7, 11, 300), *want_all = direct(&rgb, src, NULL, N, 5, 0);
  for (int threads = 0; threads <= 3; threads++) {
    char what[64];
    mien_tensor *out = make_out(&grey, 7);
    mien_augment_job *j = mien_augment_job_start(&grey, src, idx, 11, 300, threads, out);
    CHECK(j != NULL);
    if (!j) continue;
    CHECK(mien_augment_job_wait(j) == 0);
    snprintf(what, sizeof what, "indices, %d threads", threads);
    check_same(out, want_idx, what);
    CHECK(mien_augment_job_wait(j) == 0); /* a second wait changes nothing */
    mien_augment_job_free(j);
    mien_release(out);
  }
  /* two jobs at once, and the caller's own tensor references dropped while they run */
  mien_tensor *a = make_out(&grey, 7), *b = make_out(&rgb, N);
  mien_augment_job *ja = mien_augment_job_start(&grey, src, idx, 11, 300, 2, a);
  mien_augment_job *jb = mien_augment_job_start(&rgb, src, NULL, 5, 0, 1, b);
  CHECK(ja && jb);
  mien_tensor *keep_a = mien_retain(a), *keep_b = mien_retain(b);
  mien_release(a);
  mien_release(b);
  CHECK(mien_augment_job_wait(jb) == 0);
  CHECK(mien_augment_job_wait(ja) == 0);
  check_same(keep_a, want_idx, "concurrent job, indices");
  check_same(keep_b, want_all, "concurrent job, all images");
  CHECK(keep_a->refcount == 1 && keep_b->refcount == 1); /* the jobs let go of them */
  mien_augment_job_free(ja);
  mien_augment_job_free(jb);
  mien_release(keep_a);
  mien_release(keep_b);
  free(want_idx);
  free(want_all);
  mien_release(idx);
}

static void test_worker_error(mien_tensor *src) {
  static const int64_t bad[] = {1, N};
  mien_tensor *idx = make_indices(2, bad);
  mien_augment_params p = busy_params(16, 16, 1);
  mien_tensor *out = make_out(&p, 2);
  mien_augment_job *j = mien_augment_job_start(&p, src, idx, 0, 0, 0, out);
  CHECK(j != NULL); /* the index is the kernel's to find, on the worker */
  mien_clear_error();
  CHECK(mien_augment_job_wait(j) == -1);
  CHECK(error_mentions("index 9", "batch position 1", "out of range"));
  /* freeing leaves the waiter's message alone */
  mien_set_error("mine");
  mien_augment_job_free(j);
  CHECK(strcmp(mien_last_error(), "mine") == 0);
  /* a job freed without a wait is joined */
  j = mien_augment_job_start(&p, src, idx, 0, 0, 0, out);
  CHECK(j != NULL);
  mien_augment_job_free(j);
  CHECK(out->refcount == 1);
  mien_release(out);
  mien_release(idx);
}

static void test_bad_arguments(mien_tensor *src) {
  mien_augment_params p = busy_params(16, 16, 1);
  mien_tensor *small = make_out(&p, N - 1);
  CHECK(mien_augment_job_start(&p, src, NULL, 0, 0, 0, small) == NULL);
  CHECK(error_mentions("out must be", "float32", NULL));
  mien_tensor *out = make_out(&p, N);
  CHECK(mien_augment_job_start(&p, src, NULL, 0, 0, -2, out) == NULL);
  CHECK(error_mentions("threads", NULL, NULL));
  CHECK(mien_augment_job_start(&p, out, NULL, 0, 0, 0, out) == NULL);
  CHECK(error_mentions("uint8", NULL, NULL));
  p.zoom_lo = 0;
  CHECK(mien_augment_job_start(&p, src, NULL, 0, 0, 0, out) == NULL);
  CHECK(error_mentions("zoom", NULL, NULL));
  CHECK(out->refcount == 1 && src->refcount == 1);
  mien_augment_job_free(NULL);
  mien_release(small);
  mien_release(out);
}

int main(void) {
  int64_t live = mien_live_tensors();
  mien_tensor *src = make_source();
  test_matches_direct(src);
  test_worker_error(src);
  test_bad_arguments(src);
  mien_release(src);
  EXPECT(mien_live_tensors() == live, "%lld tensors left alive", (long long)(mien_live_tensors() - live));
  return check_exit("test_augment_job");
}
