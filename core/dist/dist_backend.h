/* What a mien.dist backend library (libmien_mpi.so, libmien_nccl.so)
 * exports: one function, mien_dist_backend_get, returning this table.
 * Every function returns 0, or -1 with a message in err (errlen bytes). */
#ifndef MIEN_DIST_BACKEND_H
#define MIEN_DIST_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "../dtype.h"
#include "dist.h"

#define MIEN_DIST_BACKEND_ABI 1

typedef struct mien_dist_backend {
  int abi; /* MIEN_DIST_BACKEND_ABI */
  const char *name;
  /* Starts the transport; rank and world_size are the launcher's view, which
   * the backend checks against its own. */
  int (*init)(int rank, int world_size, char *err, size_t errlen);
  int (*finalize)(char *err, size_t errlen);
  void (*abort)(int code);
  int (*barrier)(char *err, size_t errlen);
  int (*all_reduce)(void *buf, int64_t count, mien_dtype dtype, mien_dist_op op, char *err, size_t errlen);
  int (*broadcast)(void *buf, int64_t count, mien_dtype dtype, int root, char *err, size_t errlen);
  int (*all_gather)(const void *send, void *recv, int64_t count, mien_dtype dtype, char *err, size_t errlen);
} mien_dist_backend;

typedef const mien_dist_backend *(*mien_dist_backend_get_fn)(void);
#define MIEN_DIST_BACKEND_SYMBOL "mien_dist_backend_get"

#endif
