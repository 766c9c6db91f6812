/* luaopen_mien_core: the C side of require "mien". */
#include "lmien.h"
#include "rng.h"

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

int luaopen_mien_core(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"manual_seed", l_manual_seed}, {"rng_state", l_rng_state}, {"set_rng_state", l_set_rng_state}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, funcs, 0);
  lmien_register_tensor(L);
  lmien_register_tensor_ops(L);
  lmien_register_nn(L);
  lmien_register_optim(L); lmien_register_io(L);
  lmien_register_image(L);
  return 1;
}
