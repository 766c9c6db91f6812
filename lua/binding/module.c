/* luaopen_mien_core: the C side of require "mien". */
#include <time.h>
#include <unistd.h>

#include "cpu/gemm.h"
#include "lmien.h"
#include "rng.h"

#ifdef _OPENMP
#include <omp.h>
#endif

static int l_manual_seed(lua_State *L) {
  mien_rng_seed(mien_rng_global(), (uint64_t)luaL_checkinteger(L, 1));
  return 0;
}

/* The generator's position, for checkpoints: seed and counter. */
static int l_rng_state(lua_State *L) {
  mien_rng *g = mien_rng_global();
  lua_pushinteger(L, (lua_Integer)g->seed);
  lua_pushinteger(L, (lua_Integer)g->counter);
  return 2;
}

static int l_set_rng_state(lua_State *L) {
  mien_rng *g = mien_rng_global();
  g->seed = (uint64_t)luaL_checkinteger(L, 1);
  g->counter = (uint64_t)luaL_checkinteger(L, 2);
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
  lua_pushstring(L, mien_gemm_backend());
  return 1;
}

static int l_num_threads(lua_State *L) {
#ifdef _OPENMP
  lua_pushinteger(L, omp_get_max_threads());
#else
  lua_pushinteger(L, 1);
#endif
  return 1;
}

static int l_set_num_threads(lua_State *L) {
  int n = (int)luaL_checkinteger(L, 1);
  if (n < 1) return luaL_error(L, "set_num_threads: needs at least 1 thread, got %d", n);
#ifdef _OPENMP
  omp_set_num_threads(n);
#endif
  return 0;
}

int luaopen_mien_core(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"manual_seed", l_manual_seed}, {"rng_state", l_rng_state}, {"set_rng_state", l_set_rng_state},
      {"isatty", l_isatty}, {"now", l_now}, {"blas_backend", l_blas_backend}, {"num_threads", l_num_threads}, {"set_num_threads", l_set_num_threads}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, funcs, 0);
  lmien_register_tensor(L);
  lmien_register_tensor_ops(L);
  lmien_register_nn(L);
  lmien_register_optim(L); lmien_register_io(L);
  lmien_register_image(L);
  lmien_register_bytes(L);
  lmien_register_image_transform(L);
  lmien_register_image_check(L); /* hardening: image_max_pixels, image_set_max_pixels */
  return 1;
}
