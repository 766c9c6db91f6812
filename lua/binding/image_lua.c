/* Images and data sets: decoding into uint8 tensors, PNG writing, resize,
 * FER2013 CSV, synthetic faces, directory listing and batch augmentation. */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "image/augment.h"
#include "image/decode.h"
#include "image/encode.h"
#include "image/fer_csv.h"
#include "image/synthetic_faces.h"
#include "image/transform.h"
#include "lmien.h"

static mien_tensor *u8_tensor(lua_State *L, int ndim, const int64_t *shape) {
  mien_tensor *t = mien_empty(ndim, shape, MIEN_UINT8, MIEN_CPU);
  if (!t) lmien_error(L);
  return t;
}

/* core.image_load(path, channels) -> uint8 [H,W,C] */
static int l_image_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int want = (int)luaL_optinteger(L, 2, 0);
  uint8_t *px;
  int h, w, c;
  if (mien_image_load(path, want, &px, &h, &w, &c) != 0) lmien_error(L);
  int64_t hwc[3] = {h, w, c};
  mien_tensor *t = mien_empty(3, hwc, MIEN_UINT8, MIEN_CPU);
  if (t) memcpy(t->storage->data, px, (size_t)h * w * c);
  mien_image_free(px);
  lmien_push(L, t);
  return 1;
}

/* core.image_load_batch(paths, {height=, width=, channels=, resize=, skip_bad=})
 * -> uint8 [N,H,W,C], list of failed 1-based indices */
static int l_image_load_batch(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t n = (int64_t)luaL_len(L, 1);
  mien_batch_load_opts o;
  o.height = (int)lmien_opt_number(L, 2, "height", 0);
  o.width = (int)lmien_opt_number(L, 2, "width", 0);
  o.channels = (int)lmien_opt_number(L, 2, "channels", 1);
  o.skip_bad = lmien_opt_bool(L, 2, "skip_bad", 0);
  o.size_policy = MIEN_SIZE_ERROR;
  if (lua_istable(L, 2) && lua_getfield(L, 2, "resize") == LUA_TSTRING) {
    const char *r = lua_tostring(L, -1);
    o.size_policy = strcmp(r, "bilinear") == 0 ? MIEN_SIZE_BILINEAR : strcmp(r, "area") == 0 ? MIEN_SIZE_AREA : MIEN_SIZE_AUTO;
  }
  const char **paths = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n ? n : 1), 0);
  for (int64_t i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    paths[i] = luaL_checkstring(L, -1); /* kept alive by the table */
    lua_pop(L, 1);
  }
  int64_t shape[4] = {n, o.height, o.width, o.channels};
  mien_tensor *t = u8_tensor(L, 4, shape);
  lmien_push(L, t);
  int64_t *failed = lua_newuserdatauv(L, sizeof(int64_t) * (size_t)(n ? n : 1), 0), nf = 0;
  if (mien_image_load_batch(paths, n, &o, t->storage->data, failed, &nf) != 0) lmien_error(L);
  lua_pop(L, 1);
  lua_createtable(L, (int)nf, 0);
  for (int64_t k = 0; k < nf; k++) {
    lua_pushinteger(L, failed[k] + 1);
    lua_rawseti(L, -2, k + 1);
  }
  return 2;
}

static mien_tensor *contiguous_u8_hwc(lua_State *L, int arg, int *h, int *w, int *c) {
  mien_tensor *t = lmien_check(L, arg);
  if (t->dtype != MIEN_UINT8 || (t->ndim != 3 && t->ndim != 2))
    luaL_error(L, "expected a uint8 image [H,W] or [H,W,C], got %s with %d dims", mien_dtype_name(t->dtype), t->ndim);
  *h = (int)t->shape[0], *w = (int)t->shape[1], *c = t->ndim == 3 ? (int)t->shape[2] : 1;
  mien_tensor *cc = mien_contiguous(t);
  if (!cc) lmien_error(L);
  return cc;
}

/* core.image_write(path, uint8 [H,W,C]) — format from the extension */
static int l_image_write(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  int h, w, c;
  mien_tensor *t = contiguous_u8_hwc(L, 2, &h, &w, &c);
  size_t len = strlen(path);
  int rc;
  if (len > 4 && (strcmp(path + len - 4, ".jpg") == 0 || strcmp(path + len - 5, ".jpeg") == 0))
    rc = mien_image_write_jpeg(path, mien_data_ptr(t), h, w, c, 95);
  else if (len > 4 && strcmp(path + len - 4, ".bmp") == 0)
    rc = mien_image_write_bmp(path, mien_data_ptr(t), h, w, c);
  else
    rc = mien_image_write_png(path, mien_data_ptr(t), h, w, c);
  mien_release(t);
  LMIEN_CHECK(L, rc);
  return 0;
}

/* core.image_resize(uint8 [H,W,C], h, w, "bilinear"|"area") */
static int l_image_resize(lua_State *L) {
  int h, w, c;
  mien_tensor *t = contiguous_u8_hwc(L, 1, &h, &w, &c);
  int dh = (int)luaL_checkinteger(L, 2), dw = (int)luaL_checkinteger(L, 3);
  const char *mode = luaL_optstring(L, 4, "bilinear");
  int64_t shape[3] = {dh, dw, c};
  mien_tensor *out = mien_empty(3, shape, MIEN_UINT8, MIEN_CPU);
  int rc = out ? mien_resize_u8(mien_data_ptr(t), h, w, c, out->storage->data, dh, dw,
                                strcmp(mode, "area") == 0 ? MIEN_RESIZE_AREA : MIEN_RESIZE_BILINEAR)
               : -1;
  mien_release(t);
  if (rc != 0) {
    mien_release(out);
    lmien_error(L);
  }
  lmien_push(L, out);
  return 1;
}

/* core.fer2013_csv(path) -> {Training={images=, labels=}, PublicTest=..., PrivateTest=...}; labels 1-based */
static int l_fer2013_csv(lua_State *L) {
  mien_fer_data d;
  if (mien_fer_csv_read(luaL_checkstring(L, 1), &d) != 0) lmien_error(L);
  static const char *const names[MIEN_FER_USAGES] = {"Training", "PublicTest", "PrivateTest"};
  lua_newtable(L);
  for (int u = 0; u < MIEN_FER_USAGES; u++) {
    int64_t n = d.split[u].n, ishape[4] = {n, MIEN_FER_SIDE, MIEN_FER_SIDE, 1};
    mien_tensor *img = mien_empty(4, ishape, MIEN_UINT8, MIEN_CPU), *lab = mien_empty(1, &n, MIEN_INT64, MIEN_CPU);
    if (img && lab) {
      memcpy(img->storage->data, d.split[u].pixels, (size_t)n * MIEN_FER_PIXELS);
      int64_t *p = lab->storage->data;
      for (int64_t i = 0; i < n; i++) p[i] = d.split[u].labels[i] + 1;
    }
    if (!img || !lab) {
      mien_release(img);
      mien_release(lab);
      mien_fer_csv_free(&d);
      lmien_error(L);
    }
    lua_newtable(L);
    lmien_push(L, img);
    lua_setfield(L, -2, "images");
    lmien_push(L, lab);
    lua_setfield(L, -2, "labels");
    lua_setfield(L, -2, names[u]);
  }
  mien_fer_csv_free(&d);
  return 1;
}

/* core.synthetic_faces(n, size, seed) -> uint8 [n,size,size,1], int64 labels 1..7 */
static int l_synthetic_faces(lua_State *L) {
  int64_t n = luaL_checkinteger(L, 1);
  int size = (int)luaL_optinteger(L, 2, 48);
  uint64_t seed = (uint64_t)luaL_optinteger(L, 3, 0);
  if (n < 0) luaL_error(L, "synthetic_faces: n must be >= 0, got %d", (int)n);
  int64_t shape[4] = {n, size, size, 1};
  mien_tensor *img = u8_tensor(L, 4, shape);
  lmien_push(L, img);
  mien_tensor *lab = mien_empty(1, &n, MIEN_INT64, MIEN_CPU);
  lmien_push(L, lab);
  if (mien_synthetic_faces(n, size, seed, img->storage->data, lab->storage->data) != 0) lmien_error(L);
  int64_t *p = lab->storage->data;
  for (int64_t i = 0; i < n; i++) p[i] += 1;
  return 2;
}

/* core.listdir(path) -> sorted names (no "." or "..") */
static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int l_listdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  DIR *d = opendir(path);
  if (!d) return luaL_error(L, "cannot list directory '%s'", path);
  lua_newtable(L);
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    lua_pushstring(L, e->d_name);
    lua_rawseti(L, -2, ++n);
  }
  closedir(d);
  /* sort in C order so class names and file lists are stable */
  const char **names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n ? n : 1), 0);
  for (int i = 0; i < n; i++) {
    lua_rawgeti(L, -2, i + 1);
    names[i] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    lua_pushstring(L, names[i]);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int l_is_dir(lua_State *L) {
  DIR *d = opendir(luaL_checkstring(L, 1));
  if (d) closedir(d);
  lua_pushboolean(L, d != NULL);
  return 1;
}

/* --- augmentation --- */

static float num_field(lua_State *L, int arg, const char *key, float dflt) {
  return (float)lmien_opt_number(L, arg, key, dflt);
}

static void range_field(lua_State *L, int arg, const char *key, float *lo, float *hi) {
  lua_getfield(L, arg, key);
  if (lua_istable(L, -1)) {
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    *lo = (float)luaL_checknumber(L, -2);
    *hi = (float)luaL_checknumber(L, -1);
    lua_pop(L, 2);
  } else if (!lua_isnil(L, -1)) {
    luaL_error(L, "augment: '%s' must be a {lo, hi} pair", key);
  }
  lua_pop(L, 1);
}

static void triple_field(lua_State *L, int arg, const char *key, float *v) {
  lua_getfield(L, arg, key);
  if (lua_type(L, -1) == LUA_TNUMBER) {
    v[0] = v[1] = v[2] = (float)lua_tonumber(L, -1);
  } else if (lua_istable(L, -1)) {
    int n = (int)luaL_len(L, -1);
    for (int k = 0; k < 3; k++) {
      lua_geti(L, -1, k < n ? k + 1 : n);
      v[k] = (float)luaL_checknumber(L, -1);
      lua_pop(L, 1);
    }
  }
  lua_pop(L, 1);
}

/* The augmentation spec table (see mien.data.augment) -> params. */
static void read_augment(lua_State *L, int arg, int src_h, int src_w, mien_augment_params *p) {
  luaL_checktype(L, arg, LUA_TTABLE);
  int oh = src_h, ow = src_w;
  lua_getfield(L, arg, "size");
  if (lua_type(L, -1) == LUA_TNUMBER) oh = ow = (int)lua_tointeger(L, -1);
  else if (lua_istable(L, -1)) {
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    oh = (int)luaL_checkinteger(L, -2);
    ow = (int)luaL_checkinteger(L, -1);
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  *p = mien_augment_defaults(oh, ow, (int)lmien_opt_number(L, arg, "channels", 1));
  p->rotate_deg = num_field(L, arg, "rotation", 0);
  p->shear_deg = num_field(L, arg, "shear", 0);
  range_field(L, arg, "zoom", &p->zoom_lo, &p->zoom_hi);
  lua_getfield(L, arg, "shift");
  if (lua_type(L, -1) == LUA_TNUMBER) p->translate_x = p->translate_y = (float)lua_tonumber(L, -1);
  lua_pop(L, 1);
  p->flip_prob = num_field(L, arg, "flip", 0);
  p->brightness = num_field(L, arg, "brightness", 0);
  range_field(L, arg, "contrast", &p->contrast_lo, &p->contrast_hi);
  p->erase_prob = num_field(L, arg, "erase", 0);
  range_field(L, arg, "erase_area", &p->erase_area_lo, &p->erase_area_hi);
  p->border = lmien_opt_bool(L, arg, "zero_border", 0) ? MIEN_BORDER_ZERO : MIEN_BORDER_REPLICATE;
  triple_field(L, arg, "mean", p->mean);
  triple_field(L, arg, "std", p->std);
  if (mien_augment_check(p) != 0) lmien_error(L);
}

/* core.augment_batch(images uint8 [N,H,W,C], indices int64 (1-based) or nil, spec, seed, base)
 * -> float32 [B,C,OH,OW]. Uses blocks base .. base + 4*B of the seed's Philox stream. */
static int l_augment_batch(lua_State *L) {
  mien_tensor *src = lmien_check(L, 1);
  if (src->dtype != MIEN_UINT8 || src->ndim != 4 || !mien_is_contiguous(src))
    luaL_error(L, "augment: images must be a contiguous uint8 [N,H,W,C] tensor");
  mien_tensor *idx = lmien_opt(L, 2);
  int h = (int)src->shape[1], w = (int)src->shape[2], c = (int)src->shape[3];
  mien_augment_params p;
  read_augment(L, 3, h, w, &p);
  uint64_t seed = (uint64_t)luaL_checkinteger(L, 4), base = (uint64_t)luaL_checkinteger(L, 5);
  int64_t batch = idx ? mien_numel(idx) : src->shape[0];
  mien_tensor *zidx = NULL;
  if (idx) {
    if (idx->dtype != MIEN_INT64) luaL_error(L, "augment: indices must be int64");
    zidx = mien_binary_scalar(MIEN_SUB, idx, 1, false);
    if (!zidx) lmien_error(L);
  }
  int64_t shape[4] = {batch, p.out_channels, p.out_h, p.out_w};
  mien_tensor *out = mien_empty(4, shape, MIEN_FLOAT32, MIEN_CPU);
  int rc = out ? mien_augment_batch(&p, mien_data_ptr(src), src->shape[0], h, w, c, zidx ? mien_data_ptr(zidx) : NULL,
                                    batch, seed, base, out->storage->data)
               : -1;
  mien_release(zidx);
  if (rc != 0) {
    mien_release(out);
    lmien_error(L);
  }
  lmien_push(L, out);
  return 1;
}

void lmien_register_image(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"image_load", l_image_load}, {"image_load_batch", l_image_load_batch}, {"image_write", l_image_write},
      {"image_resize", l_image_resize}, {"fer2013_csv", l_fer2013_csv}, {"synthetic_faces", l_synthetic_faces},
      {"listdir", l_listdir}, {"is_dir", l_is_dir}, {"augment_batch", l_augment_batch}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
