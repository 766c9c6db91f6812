/* mien.core.cpu_*: the CPU allocator's cache for lua/mien/cpu.lua. */
#include <lauxlib.h>
#include <lua.h>

#include "mien.h"
#include "lmien.h"

static int l_cpu_memory(lua_State *L) {
  mien_cpu_memory_info m;
  mien_cpu_memory(&m);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, (lua_Integer)m.allocated);
  lua_setfield(L, -2, "allocated");
  lua_pushinteger(L, (lua_Integer)m.cached);
  lua_setfield(L, -2, "cached");
  lua_pushinteger(L, (lua_Integer)(m.allocated + m.cached));
  lua_setfield(L, -2, "reserved");
  lua_pushinteger(L, (lua_Integer)m.peak);
  lua_setfield(L, -2, "peak");
  lua_pushinteger(L, (lua_Integer)m.hits);
  lua_setfield(L, -2, "hits");
  lua_pushinteger(L, (lua_Integer)m.misses);
  lua_setfield(L, -2, "misses");
  return 1;
}

static int l_cpu_empty_cache(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)mien_cpu_empty_cache());
  return 1;
}

void lmien_register_cpu(lua_State *L) {
  static const luaL_Reg funcs[] = {{"cpu_memory", l_cpu_memory}, {"cpu_empty_cache", l_cpu_empty_cache}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
