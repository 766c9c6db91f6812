/* mien.core.cuda_*: the CUDA loader's answers for lua/mien/cuda.lua. */
#include <lauxlib.h>
#include <lua.h>

#include "mien.h"
#include "lmien.h"

static int l_cuda_available(lua_State *L) {
  lua_pushboolean(L, mien_cuda_load() == 0);
  return 1;
}

static int l_cuda_why(lua_State *L) {
  const char *why = mien_cuda_why();
  if (*why) lua_pushstring(L, why);
  else lua_pushnil(L);
  return 1;
}

static int l_cuda_memory(lua_State *L) {
  const int index = (int)luaL_optinteger(L, 1, 0);
  mien_cuda_memory_info m;
  const int have = mien_cuda_memory(index, &m) == 0;
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, have ? (lua_Integer)m.allocated : 0);
  lua_setfield(L, -2, "allocated");
  lua_pushinteger(L, have ? (lua_Integer)m.reserved : 0);
  lua_setfield(L, -2, "reserved");
  lua_pushinteger(L, have ? (lua_Integer)m.peak_allocated : 0);
  lua_setfield(L, -2, "peak");
  lua_pushinteger(L, have ? (lua_Integer)m.requested : 0);
  lua_setfield(L, -2, "requested");
  return 1;
}

static int l_cuda_empty_cache(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)mien_cuda_empty_cache());
  return 1;
}

/* Waits for the work queued on cuda:index; nothing to do without CUDA. */
static int l_cuda_synchronize(lua_State *L) {
  const int index = (int)luaL_optinteger(L, 1, 0);
  if (mien_cuda_load() != 0) return 0;
  const mien_backend *be = mien_backend_for(mien_device_make(MIEN_DEVICE_CUDA, index));
  if (!be || (be->synchronize && be->synchronize() != 0)) lmien_error(L);
  return 0;
}

void lmien_register_cuda(lua_State *L) {
  static const luaL_Reg funcs[] = {{"cuda_available", l_cuda_available},
                                   {"cuda_why", l_cuda_why},
                                   {"cuda_memory", l_cuda_memory},
                                   {"cuda_empty_cache", l_cuda_empty_cache},
                                   {"cuda_synchronize", l_cuda_synchronize},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
