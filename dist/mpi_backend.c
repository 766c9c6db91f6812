/* The MPI backend of mien.dist (libmien_mpi.so): collectives over CPU
 * buffers on MPI_COMM_WORLD. Loaded by core/dist/dist.c with dlopen only
 * when a job has more than one process. */
#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>

#include "dist/dist_backend.h"

/* MPI counts are ints: larger buffers go in chunks of this many elements. */
#define CHUNK ((int64_t)1 << 30)

static int we_initialized;

static int fail(char *err, size_t errlen, const char *what, int code) {
  char msg[MPI_MAX_ERROR_STRING] = "";
  int len = 0;
  MPI_Error_string(code, msg, &len);
  snprintf(err, errlen, "%s: %s", what, msg);
  return -1;
}

static MPI_Datatype mpi_type(mien_dtype t) {
  switch (t) {
    case MIEN_FLOAT32: return MPI_FLOAT;
    case MIEN_FLOAT64: return MPI_DOUBLE;
    case MIEN_INT64: return MPI_INT64_T;
    case MIEN_UINT8: return MPI_UINT8_T;
    default: return MPI_DATATYPE_NULL;
  }
}

static size_t type_size(mien_dtype t) { return t == MIEN_FLOAT32 ? 4 : t == MIEN_UINT8 ? 1 : 8; }

static MPI_Op mpi_op(mien_dist_op op) { return op == MIEN_DIST_MAX ? MPI_MAX : op == MIEN_DIST_MIN ? MPI_MIN : MPI_SUM; }

static int init(int rank, int world_size, char *err, size_t errlen) {
  int flag = 0, rc;
  MPI_Initialized(&flag);
  if (!flag) {
    int provided;
    rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return fail(err, errlen, "MPI_Init_thread", rc);
    we_initialized = 1;
  }
  /* errors come back as codes (and so as Lua errors) instead of killing the job */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int r, n;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  if (r != rank || n != world_size) {
    snprintf(err, errlen,
             "MPI says rank %d of %d but the launcher's environment says rank %d of %d "
             "(srun needs --mpi=pmix, or MpiDefault=pmix in slurm.conf)",
             r, n, rank, world_size);
    return -1;
  }
  return 0;
}

static int finalize(char *err, size_t errlen) {
  int flag = 0;
  MPI_Finalized(&flag);
  if (!we_initialized || flag) return 0;
  int rc = MPI_Finalize();
  return rc == MPI_SUCCESS ? 0 : fail(err, errlen, "MPI_Finalize", rc);
}

static void abort_job(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

static int barrier(char *err, size_t errlen) {
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail(err, errlen, "MPI_Barrier", rc);
}

static int all_reduce(void *buf, int64_t count, mien_dtype dtype, mien_dist_op op, char *err, size_t errlen) {
  char *p = buf;
  for (int64_t done = 0; done < count; done += CHUNK) {
    int n = (int)(count - done < CHUNK ? count - done : CHUNK);
    int rc = MPI_Allreduce(MPI_IN_PLACE, p + done * type_size(dtype), n, mpi_type(dtype), mpi_op(op), MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return fail(err, errlen, "MPI_Allreduce", rc);
  }
  return 0;
}

static int broadcast(void *buf, int64_t count, mien_dtype dtype, int root, char *err, size_t errlen) {
  char *p = buf;
  for (int64_t done = 0; done < count; done += CHUNK) {
    int n = (int)(count - done < CHUNK ? count - done : CHUNK);
    int rc = MPI_Bcast(p + done * type_size(dtype), n, mpi_type(dtype), root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return fail(err, errlen, "MPI_Bcast", rc);
  }
  return 0;
}

static int all_gather(const void *send, void *recv, int64_t count, mien_dtype dtype, char *err, size_t errlen) {
  if (count > INT_MAX) {
    snprintf(err, errlen, "all_gather of %lld elements per rank: at most %d", (long long)count, INT_MAX);
    return -1;
  }
  int rc = MPI_Allgather(send, (int)count, mpi_type(dtype), recv, (int)count, mpi_type(dtype), MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? 0 : fail(err, errlen, "MPI_Allgather", rc);
}

static const mien_dist_backend backend = {
    MIEN_DIST_BACKEND_ABI, "mpi", init, finalize, abort_job, barrier, all_reduce, broadcast, all_gather,
};

const mien_dist_backend *mien_dist_backend_get(void);
const mien_dist_backend *mien_dist_backend_get(void) { return &backend; }
