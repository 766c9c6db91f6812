/* Single-image transforms for mien.image: affine warping (face alignment)
 * and grey <-> RGB conversion, on uint8 HWC tensors. */
#include "lmien.h"

/* core.image_warp(img uint8 [H,W] or [H,W,C], {m1..m6}, out_h, out_w, zero_border)
 * -> uint8 [out_h,out_w(,C)]; m maps output pixel centres to source points
 * (see mien_warp_affine_u8). */
static int l_image_warp(lua_State *L) {
  mien_tensor *t = lmien_check_host(L, 1, "image_warp");
  if (t->dtype != MIEN_UINT8 || (t->ndim != 3 && t->ndim != 2))
    return luaL_error(L, "image_warp: expected a uint8 image [H,W] or [H,W,C], got %s with %d dims",
                      mien_dtype_name(t->dtype), t->ndim);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (luaL_len(L, 2) != 6) return luaL_error(L, "image_warp: the matrix must have 6 numbers, got %d", (int)luaL_len(L, 2));
  double m[6];
  for (int k = 0; k < 6; k++) {
    lua_geti(L, 2, k + 1);
    m[k] = luaL_checknumber(L, -1);
    lua_pop(L, 1);
  }
  int oh = (int)luaL_checkinteger(L, 3), ow = (int)luaL_checkinteger(L, 4);
  int zero_border = lua_toboolean(L, 5);
  if (oh <= 0 || ow <= 0) return luaL_error(L, "image_warp: output size must be positive, got %dx%d", oh, ow);
  int h = (int)t->shape[0], w = (int)t->shape[1], c = t->ndim == 3 ? (int)t->shape[2] : 1;
  int64_t shape[3] = {oh, ow, c};
  mien_tensor *src = mien_contiguous(t);
  mien_tensor *out = src ? mien_zeros(t->ndim, shape, MIEN_UINT8, MIEN_HOST) : NULL;
  int rc = out ? mien_warp_affine_u8(mien_data_ptr(src), h, w, c, m, mien_data_ptr(out), oh, ow, zero_border) : -1;
  mien_release(src);
  if (rc != 0) {
    mien_release(out);
    return lmien_error(L);
  }
  lmien_push(L, out);
  return 1;
}

/* core.image_convert(img uint8 [H,W,C], channels 1 or 3) -> uint8
 * [H,W,channels]: BT.601 grey from RGB, or the grey replicated to RGB (see
 * transform.h); an image that already has that many channels comes back as is. */
static int l_image_convert(lua_State *L) {
  mien_tensor *t = lmien_check_host(L, 1, "image_convert");
  int want = (int)luaL_checkinteger(L, 2);
  if (t->dtype != MIEN_UINT8 || t->ndim != 3 || (t->shape[2] != 1 && t->shape[2] != 3) || (want != 1 && want != 3))
    return luaL_error(L, "image_convert: expected a uint8 [H,W,1 or 3] image and 1 or 3 channels");
  if (t->shape[2] == want) {
    lua_settop(L, 1);
    return 1;
  }
  int64_t shape[3] = {t->shape[0], t->shape[1], want}, npix = t->shape[0] * t->shape[1];
  mien_tensor *src = mien_contiguous(t);
  mien_tensor *out = src ? mien_zeros(3, shape, MIEN_UINT8, MIEN_HOST) : NULL;
  if (out) {
    if (want == 1) mien_rgb_to_grey_u8(mien_data_ptr(src), npix, mien_data_ptr(out));
    else mien_grey_to_rgb_u8(mien_data_ptr(src), npix, mien_data_ptr(out));
  }
  mien_release(src);
  lmien_push(L, out);
  return 1;
}

void lmien_register_image_transform(lua_State *L) {
  static const luaL_Reg funcs[] = {{"image_warp", l_image_warp}, {"image_convert", l_image_convert}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
