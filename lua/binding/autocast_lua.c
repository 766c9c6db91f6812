/* Mixed precision from Lua: the calling thread's autocast mode and what the
 * bf16 products run on (core/autocast.h). mien.autocast (lua/mien/init.lua)
 * sets the mode around a function. */
#include "lmien.h"

/* autocast_set(name) -> the previous mode's name; "bf16" or "float32". */
static int l_autocast_set(lua_State *L) {
  mien_precision p;
  LMIEN_CHECK(L, mien_precision_from_name(luaL_checkstring(L, 1), &p));
  lua_pushstring(L, mien_precision_name(mien_autocast_set(p)));
  return 1;
}

static int l_autocast_get(lua_State *L) {
  lua_pushstring(L, mien_precision_name(mien_autocast_get()));
  return 1;
}

static int l_bf16_path(lua_State *L) {
  lua_pushstring(L, mien_bf16_path());
  return 1;
}

void lmien_register_autocast(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"autocast_set", l_autocast_set}, {"autocast_get", l_autocast_get}, {"bf16_path", l_bf16_path}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
