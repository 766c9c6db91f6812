/* Collectives across the processes of a data-parallel job (mien.dist).
 *
 * The rank and world size come from the launcher's environment: OpenMPI's
 * OMPI_COMM_WORLD_RANK/SIZE, Slurm's SLURM_PROCID and SLURM_STEP_NUM_TASKS
 * (or SLURM_NTASKS inside an srun step; a batch script is one process), or
 * plain RANK/WORLD_SIZE. With none of them (or a world
 * of one) every collective is a no-op and no backend is loaded.
 *
 * A world of several processes loads a backend library with dlopen on
 * mien_dist_init: libmien_mpi.so (MPI) for CPU buffers and, on the first
 * collective over a CUDA buffer, libmien_nccl.so (NCCL). A process that
 * never calls mien_dist_init pays nothing.
 *
 * The collectives work in place on contiguous buffers of `count` elements
 * of `dtype`, on `device` (MIEN_HOST or a CUDA device). They return 0, or -1
 * with mien_last_error() set. */
#ifndef MIEN_DIST_H
#define MIEN_DIST_H

#include <stdint.h>

#include "../dtype.h"

typedef enum mien_dist_op { MIEN_DIST_SUM, MIEN_DIST_MAX, MIEN_DIST_MIN, MIEN_DIST_NUM_OPS } mien_dist_op;

/* Where the rank and world size come from, without starting anything:
 * *source is "OMPI_COMM_WORLD", "SLURM", "RANK" or "none". Returns -1 on a
 * malformed variable (rank outside [0, size), not an integer). */
int mien_dist_env(int *rank, int *world_size, const char **source);

/* Reads the environment and, when the world has more than one process,
 * loads the CPU backend from host_lib (e.g. ".../libmien_mpi.so") and starts
 * it. device_lib (may be NULL) is the NCCL backend, loaded on first use.
 * Calling it again is a no-op. */
int mien_dist_init(const char *host_lib, const char *device_lib);
int mien_dist_initialized(void);
int mien_dist_rank(void);       /* 0 before init */
int mien_dist_world_size(void); /* 1 before init */
const char *mien_dist_backend_name(void); /* "none", "mpi", ... */

int mien_dist_barrier(void);
int mien_dist_all_reduce(void *buf, int64_t count, mien_dtype dtype, mien_dist_op op, int device);
int mien_dist_broadcast(void *buf, int64_t count, mien_dtype dtype, int root, int device);
/* recv holds world_size * count elements: rank r's send at r * count. */
int mien_dist_all_gather(const void *send, void *recv, int64_t count, mien_dtype dtype, int device);

/* Stops the backends (MPI_Finalize). Also run at exit after a successful init. */
int mien_dist_finalize(void);
/* Ends every process of the job at once (MPI_Abort), for a rank that failed
 * while the others may be waiting in a collective. Returns only without a backend. */
void mien_dist_abort(int code);

#endif
