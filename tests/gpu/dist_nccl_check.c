/* GPU only: checks the NCCL backend of mien.dist (libmien_nccl.so) on CUDA
 * buffers. Run by scripts/gpu-check.d/dist.sh under mpirun, one process per
 * GPU (NCCL refuses two ranks on one GPU, so one GPU checks a world of one):
 *   mpirun -np NGPUS build/dist_nccl_check build/mien/libmien_nccl.so
 * Drives the backend table directly (dist.c loads it only for worlds of
 * several processes) and checks all_reduce (sum, max), broadcast and
 * all_gather against the values every rank put in. Prints one line. */
#include <cuda_runtime.h>
#include <dlfcn.h>
#include <mpi.h>
#include <stdio.h>

#include "dist/dist_backend.h"

#define N 1000003 /* odd, not a multiple of any vector width */

static float host[N];

static int expect(const char *what, int ok, int rank) {
  if (!ok) fprintf(stderr, "dist_nccl_check rank %d: %s gave a wrong result\n", rank, what);
  return ok ? 0 : 1;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank, world, failures = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &world);
  void *h = argc > 1 ? dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) : NULL;
  mien_dist_backend_get_fn get = h ? (mien_dist_backend_get_fn)dlsym(h, MIEN_DIST_BACKEND_SYMBOL) : NULL;
  if (!get) {
    fprintf(stderr, "usage: %s path/to/libmien_nccl.so (%s)\n", argv[0], h ? "no backend symbol" : dlerror());
    return 2;
  }
  const mien_dist_backend *b = get();
  char err[512] = "";
  if (b->init(rank, world, err, sizeof err) != 0) {
    fprintf(stderr, "dist_nccl_check rank %d: init: %s\n", rank, err);
    return 1;
  }
  float *dev, *gathered;
  cudaMalloc((void **)&dev, sizeof host);
  cudaMalloc((void **)&gathered, sizeof host * (size_t)world);

  for (int i = 0; i < N; i++) host[i] = (float)(rank + 1) * (float)(i % 7);
  cudaMemcpy(dev, host, sizeof host, cudaMemcpyHostToDevice);
  if (b->all_reduce(dev, N, MIEN_FLOAT32, MIEN_DIST_SUM, err, sizeof err) != 0) fprintf(stderr, "%s\n", err), failures++;
  cudaMemcpy(host, dev, sizeof host, cudaMemcpyDeviceToHost);
  float ranks_sum = (float)world * (world + 1) / 2;
  int ok = 1;
  for (int i = 0; i < N; i++) ok &= host[i] == ranks_sum * (float)(i % 7);
  failures += expect("all_reduce sum", ok, rank);

  for (int i = 0; i < N; i++) host[i] = (float)rank;
  cudaMemcpy(dev, host, sizeof host, cudaMemcpyHostToDevice);
  if (b->all_reduce(dev, N, MIEN_FLOAT32, MIEN_DIST_MAX, err, sizeof err) != 0) fprintf(stderr, "%s\n", err), failures++;
  cudaMemcpy(host, dev, sizeof host, cudaMemcpyDeviceToHost);
  failures += expect("all_reduce max", host[0] == (float)(world - 1) && host[N - 1] == (float)(world - 1), rank);

  for (int i = 0; i < N; i++) host[i] = (float)(rank * 10 + i % 3);
  cudaMemcpy(dev, host, sizeof host, cudaMemcpyHostToDevice);
  if (b->broadcast(dev, N, MIEN_FLOAT32, 0, err, sizeof err) != 0) fprintf(stderr, "%s\n", err), failures++;
  cudaMemcpy(host, dev, sizeof host, cudaMemcpyDeviceToHost);
  failures += expect("broadcast", host[1] == 1.0f && host[N - 1] == (float)((N - 1) % 3), rank);

  for (int i = 0; i < N; i++) host[i] = (float)rank;
  cudaMemcpy(dev, host, sizeof host, cudaMemcpyHostToDevice);
  if (b->all_gather(dev, gathered, N, MIEN_FLOAT32, err, sizeof err) != 0) fprintf(stderr, "%s\n", err), failures++;
  ok = 1;
  for (int r = 0; r < world; r++) {
    cudaMemcpy(host, gathered + (size_t)r * N, sizeof host, cudaMemcpyDeviceToHost);
    ok &= host[0] == (float)r && host[N - 1] == (float)r;
  }
  failures += expect("all_gather", ok, rank);

  cudaFree(dev);
  cudaFree(gathered);
  if (b->finalize(err, sizeof err) != 0) fprintf(stderr, "finalize: %s\n", err), failures++;
  int all = 0;
  MPI_Allreduce(&failures, &all, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  if (rank == 0) printf("dist nccl: %s (world %d, %d floats: all_reduce sum/max, broadcast, all_gather)\n",
                        all ? "FAILED" : "ok", world, N);
  MPI_Finalize();
  return all ? 1 : 0;
}
