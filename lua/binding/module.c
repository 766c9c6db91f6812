/* luaopen_mien_core: the C side of require "mien". */
#include <time.h>
#include <unistd.h>

#include "lmien.h"

static int l_manual_seed(lua_State *L) {
  mien_manual_seed((uint64_t)luaL_checkinteger(L, 1));
  return 0;
}

/* The generator's position, for checkpoints: seed and counter. */
static int l_rng_state(lua_State *L) {
  uint64_t seed, counter;
  mien_rng_get_state(&seed, &counter);
  lua_pushinteger(L, (lua_Integer)seed);
  lua_pushinteger(L, (lua_Integer)counter);
  return 2;
}

static int l_set_rng_state(lua_State *L) {
  mien_rng_set_state((uint64_t)luaL_checkinteger(L, 1), (uint64_t)luaL_checkinteger(L, 2));
  return 0;
}

/* Whether a file descriptor is a terminal (progress bars vs log lines). */
static int l_isatty(lua_State *L) {
  lua_pushboolean(L, isatty((int)luaL_optinteger(L, 1, 1)));
  return 1;
}

/* Monotonic wall-clock seconds, for throughput figures. */
static int l_now(lua_State *L) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  lua_pushnumber(L, (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec);
  return 1;
}

static int l_blas_backend(lua_State *L) {
  lua_pushstring(L, mien_blas_name());
  return 1;
}

static int l_gemm_kernels(lua_State *L) {
  lua_pushstring(L, mien_gemm_kernels());
  return 1;
}

static int l_blas_core(lua_State *L) {
  lua_pushstring(L, mien_blas_core());
  return 1;
}

static int l_num_threads(lua_State *L) {
  lua_pushinteger(L, mien_num_threads());
  return 1;
}

static int l_set_num_threads(lua_State *L) {
  int n = (int)luaL_checkinteger(L, 1);
  if (n < 1) return luaL_error(L, "set_num_threads: needs at least 1 thread, got %d", n);
  mien_set_num_threads(n);
  return 0;
}

int luaopen_mien_core(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"manual_seed", l_manual_seed}, {"rng_state", l_rng_state}, {"set_rng_state", l_set_rng_state},
      {"isatty", l_isatty}, {"now", l_now}, {"blas_backend", l_blas_backend}, {"blas_core", l_blas_core}, {"gemm_kernels", l_gemm_kernels}, {"num_threads", l_num_threads}, {"set_num_threads", l_set_num_threads}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, funcs, 0);
  lmien_register_tensor(L);
  lmien_register_tensor_ops(L);
  lmien_register_nn(L);
  lmien_register_optim(L); lmien_register_io(L);
  lmien_register_image(L);
  lmien_register_bytes(L);
  lmien_register_image_transform(L);
  lmien_register_dist(L); /* mien.dist (dist_lua.c) */
#ifdef MIEN_HAVE_VIDEO /* cmake/video.cmake, when libav is found */
  lmien_register_video(L);
#endif
  lmien_register_cuda(L);
  lmien_register_cpu(L); /* the CPU allocator's cache: cpu_memory, cpu_empty_cache */
  lmien_register_image_check(L); /* hardening: image_max_pixels, image_set_max_pixels */
  lmien_register_autocast(L);    /* bf16: autocast_set, autocast_get, bf16_path */
  return 1;
}
