/* libFuzzer: the safetensors reader (header JSON, shapes, offsets, tiling)
 * and a copy of every tensor's bytes, as the loader does. */
#include <string.h>

#include "fuzz_util.h"
#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *path = fuzz_write("input.safetensors", data, size);
  mien_safetensors *st = mien_safetensors_open(path);
  if (!st) return 0;
  volatile uint8_t sink = 0;
  for (int i = 0; i < mien_safetensors_count(st); i++) {
    const mien_st_tensor *t = mien_safetensors_get(st, i);
    if (!t || !mien_safetensors_find(st, t->name)) abort(); /* every listed tensor is found by name */
    const uint8_t *p = t->data;
    for (size_t k = 0; k < t->nbytes; k++) sink ^= p[k];
  }
  for (int k = 0; k < mien_safetensors_meta_count(st); k++) {
    const char *key = mien_safetensors_meta_key(st, k);
    if (!mien_safetensors_meta(st, key)) abort();
  }
  (void)sink;
  mien_safetensors_close(st);
  return 0;
}
