/* Video round trip through libav: frames written with the writer come back
 * with their count, timestamps and (lossily) their pixels in .mp4, .avi and
 * .mkv; truncated and non-video files are errors naming the file; a writer
 * leaves no temporary file behind. */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "error.h"
#include "video/video.h"

enum { W = 64, H = 48, N = 10 };
#define FPS 12.5

/* Frame k: a gradient that moves with k, so frames differ. */
static void make_frame(int k, uint8_t *rgb) {
  for (int y = 0; y < H; y++)
    for (int x = 0; x < W; x++) {
      uint8_t *p = rgb + 3 * (y * W + x);
      p[0] = (uint8_t)(4 * x + 8 * k);
      p[1] = (uint8_t)(5 * y);
      p[2] = (uint8_t)(k * 20);
    }
}

static void write_video(const char *path) {
  uint8_t rgb[W * H * 3];
  mien_video_writer *w = mien_video_writer_open(path, W, H, FPS, NULL, 2);
  CHECK(w != NULL);
  if (!w) return;
  for (int k = 0; k < N; k++) {
    make_frame(k, rgb);
    CHECK(mien_video_write(w, rgb) == 0);
  }
  CHECK(mien_video_writer_count(w) == N);
  CHECK(mien_video_writer_close(w) == 0);
}

static void round_trip(const char *ext) {
  char path[256], name[32];
  snprintf(name, sizeof name, "clip.%s", ext);
  temp_path(path, sizeof path, name);
  write_video(path);
  EXPECT(temp_dir_count(".tmp.") == 0, "%s: a temporary file is left", ext);
  mien_video_reader *r = mien_video_open(path);
  CHECK(r != NULL);
  if (!r) return;
  mien_video_info info;
  mien_video_get_info(r, &info);
  EXPECT(info.width == W && info.height == H, "%s: size %dx%d", ext, info.width, info.height);
  EXPECT(fabs(info.fps - FPS) < 1e-6, "%s: fps %g", ext, info.fps);
  uint8_t got[W * H * 3], want[W * H * 3];
  int k = 0, rc;
  double t;
  while ((rc = mien_video_read(r, got, &t)) == 1) {
    make_frame(k, want);
    double diff = 0;
    for (int i = 0; i < W * H * 3; i++) diff += fabs((double)got[i] - want[i]);
    diff /= W * H * 3;
    EXPECT(diff < 6.0, "%s frame %d: mean abs difference %.2f", ext, k, diff);
    EXPECT(fabs(t - k / FPS) < 1e-3, "%s frame %d: time %.4f, want %.4f", ext, k, t, k / FPS);
    k++;
  }
  EXPECT(rc == 0, "%s: %s", ext, mien_last_error());
  EXPECT(k == N, "%s: %d frames back, wrote %d", ext, k, N);
  CHECK(mien_video_position(r) == N);
  mien_video_close(r);
}

/* The first part of a file: opening or reading it must fail, naming it. */
static void truncated(const char *ext, double keep) {
  char path[256], cut[256], name[32];
  snprintf(name, sizeof name, "clip.%s", ext);
  temp_path(path, sizeof path, name);
  snprintf(name, sizeof name, "cut.%s", ext);
  temp_path(cut, sizeof cut, name);
  size_t n;
  unsigned char *bytes = read_file(path, &n);
  CHECK(bytes != NULL);
  if (!bytes) return;
  write_bytes(cut, bytes, (size_t)(n * keep));
  free(bytes);
  mien_video_reader *r = mien_video_open(cut);
  int rc = 0;
  if (r) {
    uint8_t rgb[W * H * 3];
    double t;
    while ((rc = mien_video_read(r, rgb, &t)) == 1) {}
    mien_video_close(r);
  }
  EXPECT(!r || rc == -1, "%s cut to %.0f%%: read without an error", ext, 100 * keep);
  CHECK(error_mentions(cut, NULL, NULL));
  if (r) CHECK(error_mentions("frame", NULL, NULL));
}

static void bad_files(void) {
  char path[256];
  temp_path(path, sizeof path, "not_a_video.mp4");
  write_text(path, "this is not a video file, just some text");
  CHECK(mien_video_open(path) == NULL);
  CHECK(error_mentions("cannot open", path, NULL));
  temp_path(path, sizeof path, "missing.mp4");
  CHECK(mien_video_open(path) == NULL);
  CHECK(error_mentions(path, NULL, NULL));
  temp_path(path, sizeof path, "odd.mp4");
  CHECK(mien_video_writer_open(path, 63, 48, FPS, NULL, 0) == NULL);
  CHECK(error_mentions("even", NULL, NULL));
  CHECK(mien_video_writer_open(path, W, H, FPS, "no_such_codec", 0) == NULL);
  CHECK(error_mentions("no_such_codec", NULL, NULL));
  temp_path(path, sizeof path, "clip.unknownext");
  CHECK(mien_video_writer_open(path, W, H, FPS, NULL, 0) == NULL);
  CHECK(error_mentions("extension", NULL, NULL));
  /* an aborted writer leaves nothing */
  temp_path(path, sizeof path, "aborted.mp4");
  mien_video_writer *w = mien_video_writer_open(path, W, H, FPS, NULL, 0);
  CHECK(w != NULL);
  mien_video_writer_abort(w);
  CHECK(temp_dir_count("aborted") == 0);
}

int main(void) {
  if (temp_dir_create("video") != 0) return 1;
  const char *exts[] = {"mp4", "avi", "mkv"};
  for (int i = 0; i < 3; i++) {
    round_trip(exts[i]);
    truncated(exts[i], 0.5);
    truncated(exts[i], 0.9);
  }
  bad_files();
  temp_dir_remove();
  return check_exit("test_video");
}
