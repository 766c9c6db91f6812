/* The per-thread autocast mode (autocast.h). */
#include "autocast.h"

#include <string.h>

#include "backend.h"
#include "error.h"

static _Thread_local mien_precision mode = MIEN_PRECISION_FLOAT32;

mien_precision mien_autocast_get(void) { return mode; }

mien_precision mien_autocast_set(mien_precision p) {
  const mien_precision old = mode;
  mode = p;
  return old;
}

const char *mien_precision_name(mien_precision p) { return p == MIEN_PRECISION_BF16 ? "bf16" : "float32"; }

int mien_precision_from_name(const char *name, mien_precision *out) {
  if (strcmp(name, "bf16") == 0 || strcmp(name, "bfloat16") == 0) *out = MIEN_PRECISION_BF16;
  else if (strcmp(name, "float32") == 0 || strcmp(name, "fp32") == 0) *out = MIEN_PRECISION_FLOAT32;
  else {
    mien_set_error("autocast: unknown precision '%s' (bf16 or float32)", name);
    return -1;
  }
  return 0;
}

const char *mien_bf16_path(void) {
  const mien_backend *cpu = mien_backend_for(MIEN_HOST);
  return cpu && cpu->bf16_path ? cpu->bf16_path() : "float32 (no bf16 kernels)";
}
