#define _GNU_SOURCE /* dladdr */
#include "cuda_loader.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"

#define LIBRARY "libmien_cuda.so"

#include "backend.h"

/* The core's registration function, passed to the library (which cannot
 * see the core's symbols: Lua loads modules with RTLD_LOCAL). */
typedef mien_backend backend_t;
static int register_backend(backend_t *b) { return mien_backend_register(b); }

typedef int (*init_fn)(int (*)(backend_t *), char *, size_t);
typedef int (*memory_fn)(int, mien_cuda_memory_info *);
typedef size_t (*empty_fn)(void);

static int tried, loaded;
static char why[512];
static memory_fn memory_stats;
static empty_fn empty_cache;

/* Beside the module holding the core (build/mien/ or the install's mien/),
 * then $MIEN_CUDA_LIB, then the loader's search path. */
static void *open_library(char *tried_paths, size_t n) {
  const char *env = getenv("MIEN_CUDA_LIB");
  char path[4096] = "";
  Dl_info info;
  if (env && *env) snprintf(path, sizeof path, "%s", env);
  else if (dladdr((void *)&mien_cuda_load, &info) && info.dli_fname) {
    const char *slash = strrchr(info.dli_fname, '/');
    if (slash) snprintf(path, sizeof path, "%.*s/" LIBRARY, (int)(slash - info.dli_fname), info.dli_fname);
  }
  void *h = path[0] ? dlopen(path, RTLD_NOW | RTLD_LOCAL) : NULL;
  if (!h && !(env && *env)) h = dlopen(LIBRARY, RTLD_NOW | RTLD_LOCAL);
  if (!h) snprintf(tried_paths, n, "%s", dlerror());
  return h;
}

int mien_cuda_load(void) {
  if (!tried) {
    tried = 1;
    char detail[600] = "";
    void *h = open_library(detail, sizeof detail);
    if (!h) {
      snprintf(why, sizeof why, "this build has no CUDA backend (%s could not be loaded: %.400s)", LIBRARY, detail);
    } else {
      init_fn init = (init_fn)dlsym(h, "mien_cuda_backend_init");
      memory_stats = (memory_fn)dlsym(h, "mien_cuda_memory_stats");
      empty_cache = (empty_fn)dlsym(h, "mien_cuda_empty_cache");
      if (!init) snprintf(why, sizeof why, "%s has no mien_cuda_backend_init", LIBRARY);
      else if (init(register_backend, why, sizeof why) == 0) loaded = 1;
      /* the library stays mapped even when unusable: its runtime may hold state */
    }
  }
  if (loaded) return 0;
  mien_set_error("CUDA is not available: %s", why);
  return -1;
}

const char *mien_cuda_why(void) {
  mien_cuda_load();
  return loaded ? "" : why;
}

int mien_cuda_memory(int index, mien_cuda_memory_info *out) {
  memset(out, 0, sizeof *out);
  if (!loaded || !memory_stats) return -1;
  return memory_stats(index, out);
}

size_t mien_cuda_empty_cache(void) { return loaded && empty_cache ? empty_cache() : 0; }
