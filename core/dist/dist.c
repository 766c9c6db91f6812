/* mien.dist's dispatcher: the launcher's environment, the world-of-one
 * no-op path, and the backend libraries loaded with dlopen (see dist.h). */
#include "dist.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../error.h"
#include "../backend.h"
#include "dist_backend.h"

static struct {
  int initialized, rank, world_size;
  const mien_dist_backend *host;   /* CPU buffers */
  const mien_dist_backend *device; /* CUDA buffers, loaded on first use */
  char *device_lib;
  int finalized;
} state = {0, 0, 1, NULL, NULL, NULL, 0};

/* A non-negative int from the variable, or -1 when unset, -2 when malformed. */
static int env_int(const char *name) {
  const char *s = getenv(name);
  if (!s || !*s) return -1;
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || *end || v < 0 || v > 1 << 30) return -2;
  return (int)v;
}

int mien_dist_env(int *rank, int *world_size, const char **source) {
  static const struct { const char *rank, *size, *size_fallback, *source; } launchers[] = {
      {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", NULL, "OMPI_COMM_WORLD"},
      /* srun sets the step's task count. A batch script has SLURM_PROCID=0 and
       * the allocation's SLURM_NTASKS but no step id: it is not a launched task. */
      {"SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_NTASKS", "SLURM"},
      {"RANK", "WORLD_SIZE", NULL, "RANK"},
  };
  for (size_t i = 0; i < sizeof launchers / sizeof launchers[0]; i++) {
    int r = env_int(launchers[i].rank);
    if (r == -1) continue;
    int n = env_int(launchers[i].size);
    const char *size_name = launchers[i].size;
    if (n == -1 && launchers[i].size_fallback && getenv("SLURM_STEP_ID"))
      n = env_int(size_name = launchers[i].size_fallback);
    if (n == -1 && launchers[i].size_fallback) continue;
    if (r == -2 || n < 1 || r >= n) {
      mien_set_error("dist: %s=%s and %s=%s do not make a rank in a world of processes", launchers[i].rank,
                     getenv(launchers[i].rank), size_name, getenv(size_name) ? getenv(size_name) : "(unset)");
      return -1;
    }
    *rank = r, *world_size = n, *source = launchers[i].source;
    return 0;
  }
  *rank = 0, *world_size = 1, *source = "none";
  return 0;
}

static const mien_dist_backend *load_backend(const char *path) {
  if (!path) {
    mien_set_error("dist: no backend library to load (was mien built with MPI? see cmake/dist.cmake)");
    return NULL;
  }
  /* RTLD_GLOBAL: MPI libraries load their own plugins, which need its symbols */
  void *h = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
  if (!h) {
    mien_set_error("dist: cannot load the backend %s: %s", path, dlerror());
    return NULL;
  }
  mien_dist_backend_get_fn get = (mien_dist_backend_get_fn)dlsym(h, MIEN_DIST_BACKEND_SYMBOL);
  const mien_dist_backend *b = get ? get() : NULL;
  if (!b || b->abi != MIEN_DIST_BACKEND_ABI) {
    mien_set_error("dist: %s is not a mien.dist backend of ABI %d", path, MIEN_DIST_BACKEND_ABI);
    return NULL; /* the handle stays open: the library may have started threads */
  }
  return b;
}

static int start(const mien_dist_backend *b) {
  char err[512] = "";
  if (b->init(state.rank, state.world_size, err, sizeof err) != 0) {
    mien_set_error("dist %s: %s", b->name, err);
    return -1;
  }
  return 0;
}

static void finalize_at_exit(void) { mien_dist_finalize(); }

int mien_dist_init(const char *host_lib, const char *device_lib) {
  if (state.initialized) return 0;
  const char *source;
  if (mien_dist_env(&state.rank, &state.world_size, &source) != 0) return -1;
  if (state.world_size > 1) {
    const mien_dist_backend *b = load_backend(host_lib);
    if (!b || start(b) != 0) return -1;
    state.host = b;
    atexit(finalize_at_exit);
  }
  if (device_lib) state.device_lib = strdup(device_lib);
  state.initialized = 1;
  return 0;
}

int mien_dist_initialized(void) { return state.initialized; }
int mien_dist_rank(void) { return state.rank; }
int mien_dist_world_size(void) { return state.world_size; }
const char *mien_dist_backend_name(void) { return state.host ? state.host->name : "none"; }

static int not_initialized(void) {
  mien_set_error("dist: call mien.dist.init() first");
  return -1;
}

/* The backend for buffers on device, or NULL with the error set. */
static const mien_dist_backend *backend_for(int device) {
  if (state.finalized) {
    mien_set_error("dist: the backend was finalized");
    return NULL;
  }
  if (device == MIEN_HOST) return state.host;
  if (!state.device) {
    const mien_dist_backend *b = load_backend(state.device_lib);
    if (!b || start(b) != 0) return NULL;
    state.device = b;
  }
  return state.device;
}

static int check(const char *what, int64_t count, mien_dtype dtype, int device) {
  if (count < 0 || (unsigned)dtype >= MIEN_NUM_DTYPES || device < 0 || mien_device_type_of(device) >= MIEN_NUM_DEVICE_TYPES) {
    mien_set_error("dist.%s: bad buffer (count %lld, dtype %d, device %d)", what, (long long)count, (int)dtype, device);
    return -1;
  }
  return 0;
}

#define CALL(b, fn, ...)                                       \
  do {                                                         \
    char err_[512] = "";                                       \
    if ((b)->fn(__VA_ARGS__, err_, sizeof err_) != 0) {        \
      mien_set_error("dist %s " #fn ": %s", (b)->name, err_);  \
      return -1;                                               \
    }                                                          \
    return 0;                                                  \
  } while (0)

int mien_dist_barrier(void) {
  if (!state.initialized) return not_initialized();
  if (state.world_size == 1) return 0;
  const mien_dist_backend *b = backend_for(MIEN_HOST);
  if (!b) return -1;
  char err_[512] = "";
  if (b->barrier(err_, sizeof err_) != 0) {
    mien_set_error("dist %s barrier: %s", b->name, err_);
    return -1;
  }
  return 0;
}

int mien_dist_all_reduce(void *buf, int64_t count, mien_dtype dtype, mien_dist_op op, int device) {
  if (check("all_reduce", count, dtype, device) != 0) return -1;
  if ((unsigned)op >= MIEN_DIST_NUM_OPS) {
    mien_set_error("dist.all_reduce: unknown op %d", (int)op);
    return -1;
  }
  if (!state.initialized) return not_initialized();
  if (state.world_size == 1 || count == 0) return 0;
  const mien_dist_backend *b = backend_for(device);
  if (!b) return -1;
  CALL(b, all_reduce, buf, count, dtype, op);
}

int mien_dist_broadcast(void *buf, int64_t count, mien_dtype dtype, int root, int device) {
  if (check("broadcast", count, dtype, device) != 0) return -1;
  if (!state.initialized) return not_initialized();
  if (root < 0 || root >= state.world_size) {
    mien_set_error("dist.broadcast: root %d is not a rank of a world of %d", root, state.world_size);
    return -1;
  }
  if (state.world_size == 1 || count == 0) return 0;
  const mien_dist_backend *b = backend_for(device);
  if (!b) return -1;
  CALL(b, broadcast, buf, count, dtype, root);
}

int mien_dist_all_gather(const void *send, void *recv, int64_t count, mien_dtype dtype, int device) {
  if (check("all_gather", count, dtype, device) != 0) return -1;
  if (!state.initialized) return not_initialized();
  if (count == 0) return 0;
  if (state.world_size == 1) {
    if (device != MIEN_HOST) {
      mien_set_error("dist.all_gather: a world of one copies CPU buffers only");
      return -1;
    }
    if (send != recv) memmove(recv, send, (size_t)count * mien_dtype_size(dtype));
    return 0;
  }
  const mien_dist_backend *b = backend_for(device);
  if (!b) return -1;
  CALL(b, all_gather, send, recv, count, dtype);
}

int mien_dist_finalize(void) {
  if (state.finalized || !state.initialized) return 0;
  state.finalized = 1;
  int rc = 0;
  char err[512] = "";
  /* NCCL first: its communicator was bootstrapped over MPI */
  if (state.device && state.device->finalize(err, sizeof err) != 0) {
    mien_set_error("dist %s finalize: %s", state.device->name, err);
    rc = -1;
  }
  if (state.host && state.host->finalize(err, sizeof err) != 0) {
    mien_set_error("dist %s finalize: %s", state.host->name, err);
    rc = -1;
  }
  return rc;
}

void mien_dist_abort(int code) {
  if (state.finalized) return;
  if (state.device) state.device->abort(code);
  if (state.host) state.host->abort(code);
}
