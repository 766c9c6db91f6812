/* mien.dist's dispatcher without a launcher: the rank and world size from
 * each launcher's variables, malformed ones rejected with a message, calls
 * before init refused, and a world of one where every collective is a no-op
 * and no backend library is loaded. (The MPI backend itself is exercised by
 * spec/dist_spec.lua under mpirun.) */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dist/dist.h"
#include "storage.h"

static void clear_launchers(void) {
  const char *names[] = {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS",
                         "SLURM_NTASKS", "SLURM_STEP_ID", "RANK", "WORLD_SIZE"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) unsetenv(names[i]);
}

static void env_is(int want_rank, int want_size, const char *want_source) {
  int rank = -1, size = -1;
  const char *source = NULL;
  CHECK(mien_dist_env(&rank, &size, &source) == 0);
  EXPECT(rank == want_rank && size == want_size && source && strcmp(source, want_source) == 0,
         "got rank %d of %d from %s, expected %d of %d from %s", rank, size, source ? source : "(null)", want_rank,
         want_size, want_source);
}

int main(void) {
  clear_launchers();
  env_is(0, 1, "none");
  setenv("RANK", "2", 1), setenv("WORLD_SIZE", "4", 1);
  env_is(2, 4, "RANK");
  /* srun's step variables come before RANK */
  setenv("SLURM_PROCID", "1", 1), setenv("SLURM_STEP_NUM_TASKS", "3", 1);
  env_is(1, 3, "SLURM");
  /* a batch script: the allocation's task count but no step is not a launch */
  unsetenv("SLURM_STEP_NUM_TASKS"), setenv("SLURM_NTASKS", "8", 1);
  env_is(2, 4, "RANK");
  setenv("SLURM_STEP_ID", "0", 1);
  env_is(1, 8, "SLURM");
  setenv("OMPI_COMM_WORLD_RANK", "0", 1), setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
  env_is(0, 2, "OMPI_COMM_WORLD");

  int rank, size;
  const char *source;
  clear_launchers();
  setenv("RANK", "4", 1), setenv("WORLD_SIZE", "4", 1);
  CHECK(mien_dist_env(&rank, &size, &source) == -1);
  CHECK(error_mentions("RANK=4", "WORLD_SIZE=4", "rank"));
  setenv("RANK", "1x", 1);
  CHECK(mien_dist_env(&rank, &size, &source) == -1);
  setenv("RANK", "1", 1), unsetenv("WORLD_SIZE");
  CHECK(mien_dist_env(&rank, &size, &source) == -1);
  CHECK(error_mentions("WORLD_SIZE", "(unset)", "RANK=1"));

  clear_launchers();
  float buf[3] = {1, 2, 3}, gathered[3] = {0};
  CHECK(mien_dist_all_reduce(buf, 3, MIEN_FLOAT32, MIEN_DIST_SUM, MIEN_HOST) == -1);
  CHECK(error_mentions("init", "", ""));
  CHECK(mien_dist_init(NULL, NULL) == 0); /* a world of one needs no library */
  CHECK(mien_dist_initialized() && mien_dist_rank() == 0 && mien_dist_world_size() == 1);
  CHECK(strcmp(mien_dist_backend_name(), "none") == 0);
  CHECK(mien_dist_barrier() == 0);
  CHECK(mien_dist_all_reduce(buf, 3, MIEN_FLOAT32, MIEN_DIST_MAX, MIEN_HOST) == 0);
  CHECK(mien_dist_broadcast(buf, 3, MIEN_FLOAT32, 0, MIEN_HOST) == 0);
  CHECK(buf[0] == 1 && buf[1] == 2 && buf[2] == 3);
  CHECK(mien_dist_broadcast(buf, 3, MIEN_FLOAT32, 1, MIEN_HOST) == -1);
  CHECK(error_mentions("root 1", "world of 1", ""));
  CHECK(mien_dist_all_gather(buf, gathered, 3, MIEN_FLOAT32, MIEN_HOST) == 0);
  CHECK(gathered[0] == 1 && gathered[2] == 3);
  CHECK(mien_dist_all_reduce(buf, -1, MIEN_FLOAT32, MIEN_DIST_SUM, MIEN_HOST) == -1);
  CHECK(mien_dist_all_reduce(buf, 3, MIEN_FLOAT32, (mien_dist_op)7, MIEN_HOST) == -1);
  CHECK(mien_dist_finalize() == 0);
  CHECK(mien_dist_all_reduce(buf, 3, MIEN_FLOAT32, MIEN_DIST_SUM, MIEN_HOST) == 0); /* world of one: still a no-op */
  return check_exit("test_dist");
}
