/* Parallel decoding of many files into one [N,H,W,C] buffer. Worker threads
 * never touch the caller's error slot: each records a per-file status, and
 * the message of the lowest-index failure is kept under a critical section. */
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "error.h"
#include "transform.h"

/* Decode paths[i] into its slot; -1 with the thread's error set on failure. */
static int load_into_slot(const char *path, const mien_batch_load_opts *o, uint8_t *slot) {
  uint8_t *pixels;
  int h, w, c;
  if (mien_image_load(path, o->channels, &pixels, &h, &w, &c) != 0) return -1;
  int rc = 0;
  if (h == o->height && w == o->width) {
    memcpy(slot, pixels, (size_t)h * (size_t)w * (size_t)c);
  } else if (o->size_policy == MIEN_SIZE_ERROR) {
    mien_set_error("'%s' is %dx%d, expected %dx%d", path, h, w, o->height, o->width);
    rc = -1;
  } else {
    int shrink = h >= o->height && w >= o->width;
    mien_resize_mode mode = o->size_policy == MIEN_SIZE_AREA || (o->size_policy == MIEN_SIZE_AUTO && shrink)
                                ? MIEN_RESIZE_AREA
                                : MIEN_RESIZE_BILINEAR;
    rc = mien_resize_u8(pixels, h, w, c, slot, o->height, o->width, mode);
  }
  mien_image_free(pixels);
  return rc;
}

static int check_opts(const mien_batch_load_opts *o, int64_t n) {
  if (n < 0 || o->height <= 0 || o->width <= 0 || (o->channels != 1 && o->channels != 3)) {
    mien_set_error("image batch: invalid shape [%lld,%d,%d,%d] (channels must be 1 or 3)", (long long)n, o->height,
                   o->width, o->channels);
    return -1;
  }
  if (o->size_policy < MIEN_SIZE_ERROR || o->size_policy > MIEN_SIZE_AUTO) {
    mien_set_error("image batch: unknown size policy %d", (int)o->size_policy);
    return -1;
  }
  return 0;
}

int mien_image_load_batch(const char *const *paths, int64_t n, const mien_batch_load_opts *opts, uint8_t *out,
                          int64_t *failed, int64_t *n_failed) {
  if (check_opts(opts, n) != 0) return -1;
  uint8_t *bad = calloc((size_t)n + 1, 1);
  if (!bad) {
    mien_set_error("image batch: out of memory for %lld statuses", (long long)n);
    return -1;
  }
  size_t slot_bytes = (size_t)opts->height * (size_t)opts->width * (size_t)opts->channels;
  int64_t first_bad = n;
  char first_message[1024] = "";

#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t i = 0; i < n; i++) {
    uint8_t *slot = out + (size_t)i * slot_bytes;
    if (load_into_slot(paths[i], opts, slot) == 0) continue;
    bad[i] = 1;
    memset(slot, 0, slot_bytes);
#pragma omp critical(mien_image_batch_error)
    if (i < first_bad) {
      first_bad = i;
      strncpy(first_message, mien_last_error(), sizeof first_message - 1);
    }
  }

  int64_t count = 0;
  for (int64_t i = 0; i < n; i++)
    if (bad[i]) {
      if (failed) failed[count] = i;
      count++;
    }
  free(bad);
  if (n_failed) *n_failed = count;
  if (count > 0 && !opts->skip_bad) {
    mien_set_error("image %lld of %lld: %s", (long long)first_bad + 1, (long long)n, first_message); /* 1-based */
    return -1;
  }
  return 0;
}
