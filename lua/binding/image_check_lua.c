/* The image pixel limit (core/image/image_check.h):
 *   core.image_max_pixels() -> n
 *   core.image_set_max_pixels(n) -> previous n (n a positive integer) */
#include "mien.h"
#include "lmien.h"

static int l_image_max_pixels(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)mien_image_max_pixels());
  return 1;
}

static int l_image_set_max_pixels(lua_State *L) {
  lua_Integer n = luaL_checkinteger(L, 1);
  if (n < 1) return luaL_error(L, "image_set_max_pixels: the limit must be a positive number of pixels, got %I", n);
  lua_pushinteger(L, (lua_Integer)mien_image_set_max_pixels((int64_t)n));
  return 1;
}

void lmien_register_image_check(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"image_max_pixels", l_image_max_pixels}, {"image_set_max_pixels", l_image_set_max_pixels}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
