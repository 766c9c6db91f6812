/* libFuzzer: the image check and stb_image decoding from memory, as every
 * image load does (the first byte picks the channel conversion). */
#include "fuzz_util.h"
#include "image/decode.h"
#include "image/image_check.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  mien_image_set_max_pixels(4 * 1000 * 1000); /* keeps each run fast; the limit logic is the same */
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const int channels[4] = {0, 1, 3, 0};
  uint8_t *pixels;
  int h, w, c;
  if (mien_image_decode("fuzz input", data + 1, size - 1, channels[data[0] & 3], &pixels, &h, &w, &c) == 0) {
    volatile uint8_t sink = 0;
    size_t n = (size_t)h * (size_t)w * (size_t)c;
    for (size_t i = 0; i < n; i += 97) sink ^= pixels[i];
    (void)sink;
    mien_image_free(pixels);
  }
  return 0;
}
