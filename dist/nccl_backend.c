/* The NCCL backend of mien.dist (libmien_nccl.so): collectives over CUDA
 * buffers. GPU only: it compiles wherever the CUDA toolkit's nccl.h and
 * cudart are, but runs only on machines with GPUs (scripts/gpu-check.d/dist.sh).
 * core/dist/dist.c loads it on the first collective over a CUDA buffer; the
 * communicator is bootstrapped over MPI (rank 0's ncclUniqueId broadcast),
 * which the CPU backend has already started. Each process uses the GPU of
 * its node-local rank modulo the GPUs it sees. */
#include <cuda_runtime.h>
#include <mpi.h>
#include <nccl.h>
#include <stdio.h>
#include <stdlib.h>

#include "dist/dist_backend.h"

static ncclComm_t comm;
static cudaStream_t stream;

static int cuda_fail(char *err, size_t errlen, const char *what, cudaError_t e) {
  snprintf(err, errlen, "%s: %s", what, cudaGetErrorString(e));
  return -1;
}

static int nccl_fail(char *err, size_t errlen, const char *what, ncclResult_t r) {
  snprintf(err, errlen, "%s: %s", what, ncclGetErrorString(r));
  return -1;
}

static ncclDataType_t nccl_type(mien_dtype t) {
  switch (t) {
    case MIEN_FLOAT32: return ncclFloat32;
    case MIEN_FLOAT64: return ncclFloat64;
    case MIEN_INT64: return ncclInt64;
    default: return ncclUint8;
  }
}

static ncclRedOp_t nccl_op(mien_dist_op op) { return op == MIEN_DIST_MAX ? ncclMax : op == MIEN_DIST_MIN ? ncclMin : ncclSum; }

static int local_rank(void) {
  static const char *names[] = {"OMPI_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID", "LOCAL_RANK"};
  for (int i = 0; i < 3; i++) {
    const char *s = getenv(names[i]);
    if (s && *s) return atoi(s);
  }
  return 0;
}

static int init(int rank, int world_size, char *err, size_t errlen) {
  int flag = 0, devices = 0;
  MPI_Initialized(&flag);
  if (!flag) {
    snprintf(err, errlen, "NCCL is bootstrapped over MPI, which is not running");
    return -1;
  }
  cudaError_t e = cudaGetDeviceCount(&devices);
  if (e != cudaSuccess) return cuda_fail(err, errlen, "cudaGetDeviceCount", e);
  if (devices < 1) {
    snprintf(err, errlen, "no CUDA device");
    return -1;
  }
  if ((e = cudaSetDevice(local_rank() % devices)) != cudaSuccess) return cuda_fail(err, errlen, "cudaSetDevice", e);
  ncclUniqueId id;
  ncclResult_t r;
  if (rank == 0 && (r = ncclGetUniqueId(&id)) != ncclSuccess) return nccl_fail(err, errlen, "ncclGetUniqueId", r);
  if (MPI_Bcast(&id, sizeof id, MPI_BYTE, 0, MPI_COMM_WORLD) != MPI_SUCCESS) {
    snprintf(err, errlen, "MPI_Bcast of the NCCL id failed");
    return -1;
  }
  if ((e = cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking)) != cudaSuccess)
    return cuda_fail(err, errlen, "cudaStreamCreate", e);
  if ((r = ncclCommInitRank(&comm, world_size, id, rank)) != ncclSuccess)
    return nccl_fail(err, errlen, "ncclCommInitRank", r);
  return 0;
}

static int finalize(char *err, size_t errlen) {
  ncclResult_t r = ncclCommDestroy(comm);
  cudaStreamDestroy(stream);
  return r == ncclSuccess ? 0 : nccl_fail(err, errlen, "ncclCommDestroy", r);
}

static void abort_job(int code) {
  ncclCommAbort(comm);
  MPI_Abort(MPI_COMM_WORLD, code);
}

static int wait_stream(char *err, size_t errlen) {
  cudaError_t e = cudaStreamSynchronize(stream);
  return e == cudaSuccess ? 0 : cuda_fail(err, errlen, "cudaStreamSynchronize", e);
}

static int barrier(char *err, size_t errlen) {
  if (MPI_Barrier(MPI_COMM_WORLD) != MPI_SUCCESS) {
    snprintf(err, errlen, "MPI_Barrier failed");
    return -1;
  }
  return 0;
}

/* The collectives run on our stream after everything queued on the default
 * stream (the kernels that wrote buf), and are waited for before returning. */
static int after_default_stream(char *err, size_t errlen) {
  cudaError_t e = cudaDeviceSynchronize();
  return e == cudaSuccess ? 0 : cuda_fail(err, errlen, "cudaDeviceSynchronize", e);
}

static int all_reduce(void *buf, int64_t count, mien_dtype dtype, mien_dist_op op, char *err, size_t errlen) {
  if (after_default_stream(err, errlen) != 0) return -1;
  ncclResult_t r = ncclAllReduce(buf, buf, (size_t)count, nccl_type(dtype), nccl_op(op), comm, stream);
  return r == ncclSuccess ? wait_stream(err, errlen) : nccl_fail(err, errlen, "ncclAllReduce", r);
}

static int broadcast(void *buf, int64_t count, mien_dtype dtype, int root, char *err, size_t errlen) {
  if (after_default_stream(err, errlen) != 0) return -1;
  ncclResult_t r = ncclBroadcast(buf, buf, (size_t)count, nccl_type(dtype), root, comm, stream);
  return r == ncclSuccess ? wait_stream(err, errlen) : nccl_fail(err, errlen, "ncclBroadcast", r);
}

static int all_gather(const void *send, void *recv, int64_t count, mien_dtype dtype, char *err, size_t errlen) {
  if (after_default_stream(err, errlen) != 0) return -1;
  ncclResult_t r = ncclAllGather(send, recv, (size_t)count, nccl_type(dtype), comm, stream);
  return r == ncclSuccess ? wait_stream(err, errlen) : nccl_fail(err, errlen, "ncclAllGather", r);
}

static const mien_dist_backend backend = {
    MIEN_DIST_BACKEND_ABI, "nccl", init, finalize, abort_job, barrier, all_reduce, broadcast, all_gather,
};

const mien_dist_backend *mien_dist_backend_get(void);
const mien_dist_backend *mien_dist_backend_get(void) { return &backend; }
