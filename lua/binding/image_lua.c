/* Images and data sets: decoding into uint8 tensors, PNG writing, resize,
 * FER2013 CSV, synthetic faces, directory listing, file fingerprints (for
 * data-set caches) and batch augmentation. */
#define _DEFAULT_SOURCE   /* d_type in struct dirent */
#define _XOPEN_SOURCE 700 /* realpath, struct stat st_mtim */

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "lmien.h"

static mien_tensor *u8_tensor(lua_State *L, int ndim, const int64_t *shape) {
  mien_tensor *t = mien_zeros(ndim, shape, MIEN_UINT8, MIEN_HOST);
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
  mien_tensor *t = mien_zeros(3, hwc, MIEN_UINT8, MIEN_HOST);
  if (t) memcpy(mien_data_ptr(t), px, (size_t)h * w * c);
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
  if (mien_image_load_batch(paths, n, &o, mien_data_ptr(t), failed, &nf) != 0) lmien_error(L);
  lua_pop(L, 1);
  lua_createtable(L, (int)nf, 0);
  for (int64_t k = 0; k < nf; k++) {
    lua_pushinteger(L, failed[k] + 1);
    lua_rawseti(L, -2, k + 1);
  }
  return 2;
}

static mien_tensor *contiguous_u8_hwc(lua_State *L, int arg, int *h, int *w, int *c) {
  mien_tensor *t = lmien_check_host(L, arg, "image");
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
  mien_tensor *out = mien_zeros(3, shape, MIEN_UINT8, MIEN_HOST);
  int rc = out ? mien_resize_u8(mien_data_ptr(t), h, w, c, mien_data_ptr(out), dh, dw,
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
    mien_tensor *img = mien_zeros(4, ishape, MIEN_UINT8, MIEN_HOST), *lab = mien_zeros(1, &n, MIEN_INT64, MIEN_HOST);
    if (img && lab) {
      memcpy(mien_data_ptr(img), d.split[u].pixels, (size_t)n * MIEN_FER_PIXELS);
      int64_t *p = mien_data_ptr(lab);
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
  mien_tensor *lab = mien_zeros(1, &n, MIEN_INT64, MIEN_HOST);
  lmien_push(L, lab);
  if (mien_synthetic_faces(n, size, seed, mien_data_ptr(img), mien_data_ptr(lab)) != 0) lmien_error(L);
  int64_t *p = mien_data_ptr(lab);
  for (int64_t i = 0; i < n; i++) p[i] += 1;
  return 2;
}

/* core.synthetic_face_aus(n, seed) -> float32 [n,K] AU intensities of the
 * faces synthetic_faces draws, and the AU names {"AU1", ...} of the columns. */
static int l_synthetic_face_aus(lua_State *L) {
  int64_t n = luaL_checkinteger(L, 1);
  uint64_t seed = (uint64_t)luaL_optinteger(L, 2, 0);
  if (n < 0) luaL_error(L, "synthetic_face_aus: n must be >= 0, got %d", (int)n);
  int64_t shape[2] = {n, MIEN_SYNTHETIC_AUS};
  mien_tensor *aus = mien_zeros(2, shape, MIEN_FLOAT32, MIEN_HOST);
  lmien_push(L, aus);
  if (mien_synthetic_face_aus(n, seed, mien_data_ptr(aus)) != 0) lmien_error(L);
  lua_createtable(L, MIEN_SYNTHETIC_AUS, 0);
  for (int k = 0; k < MIEN_SYNTHETIC_AUS; k++) {
    lua_pushfstring(L, "AU%d", mien_synthetic_au_numbers[k]);
    lua_rawseti(L, -2, k + 1);
  }
  return 2;
}

/* core.listdir(path) -> sorted names (no "." or ".."), and a parallel list
 * of booleans: whether each entry is a directory (links followed). */
typedef struct dir_entry {
  char *name;
  int is_dir;
} dir_entry;

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const dir_entry *)a)->name, ((const dir_entry *)b)->name);
}

static void free_entries(dir_entry *e, size_t n) {
  for (size_t i = 0; i < n; i++) free(e[i].name);
  free(e);
}

static int l_listdir(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  DIR *d = opendir(path);
  if (!d) return luaL_error(L, "cannot list directory '%s': %s", path, strerror(errno));
  size_t n = 0, cap = 64, plen = strlen(path);
  dir_entry *list = malloc(cap * sizeof *list);
  char *full = NULL;
  size_t full_cap = 0;
  struct dirent *e;
  int oom = list == NULL;
  while (!oom && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n == cap) {
      dir_entry *grown = realloc(list, 2 * cap * sizeof *list);
      if (!grown) { oom = 1; break; }
      list = grown;
      cap *= 2;
    }
    int is_dir = e->d_type == DT_DIR;
    if (e->d_type == DT_UNKNOWN || e->d_type == DT_LNK) { /* ask stat */
      size_t need = plen + strlen(e->d_name) + 2;
      if (need > full_cap) {
        char *grown = realloc(full, need);
        if (!grown) { oom = 1; break; }
        full = grown;
        full_cap = need;
      }
      snprintf(full, need, "%s/%s", path, e->d_name);
      struct stat st;
      is_dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
    }
    list[n].name = strdup(e->d_name);
    if (!list[n].name) { oom = 1; break; }
    list[n++].is_dir = is_dir;
  }
  closedir(d);
  free(full);
  if (oom) {
    free_entries(list, n);
    return luaL_error(L, "listdir '%s': out of memory", path);
  }
  /* sort in C order so class names and file lists are stable */
  qsort(list, n, sizeof *list, cmp_entry);
  lua_createtable(L, (int)n, 0);
  lua_createtable(L, (int)n, 0);
  for (size_t i = 0; i < n; i++) {
    lua_pushstring(L, list[i].name);
    lua_rawseti(L, -3, (lua_Integer)i + 1);
    lua_pushboolean(L, list[i].is_dir);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  free_entries(list, n);
  return 2;
}

static int l_is_dir(lua_State *L) {
  DIR *d = opendir(luaL_checkstring(L, 1));
  if (d) closedir(d);
  lua_pushboolean(L, d != NULL);
  return 1;
}

/* core.realpath(path) -> the absolute path with links resolved, or nil, message */
static int l_realpath(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  char *abs = realpath(path, NULL);
  if (!abs) {
    luaL_pushfail(L);
    lua_pushfstring(L, "cannot resolve '%s': %s", path, strerror(errno));
    return 2;
  }
  lua_pushstring(L, abs);
  free(abs);
  return 1;
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

/* core.files_fingerprint(paths, strip, extra) -> 16 hex digits: FNV-1a (64 bit)
 * over extra, then for each path its name without the first `strip` bytes,
 * its size and its modification time (ns), or its stat errno. A data-set
 * cache keyed by it goes stale when a file is added, removed, renamed or
 * rewritten. */
static int l_files_fingerprint(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer strip = luaL_optinteger(L, 2, 0);
  size_t extra_len = 0;
  const char *extra = luaL_optlstring(L, 3, "", &extra_len);
  uint64_t h = fnv1a(0xcbf29ce484222325ull, extra, extra_len);
  lua_Integer n = luaL_len(L, 1);
  for (lua_Integer i = 1; i <= n; i++) {
    lua_geti(L, 1, i);
    size_t len;
    const char *path = lua_tolstring(L, -1, &len);
    if (!path) return luaL_error(L, "files_fingerprint: entry %d is not a string", (int)i);
    size_t skip = strip > 0 && (size_t)strip < len ? (size_t)strip : 0;
    h = fnv1a(h, path + skip, len - skip + 1); /* with the NUL, so names stay apart */
    struct stat st;
    int64_t info[3] = {0, 0, 0};
    if (stat(path, &st) == 0) {
      info[0] = (int64_t)st.st_size;
      info[1] = (int64_t)st.st_mtim.tv_sec;
      info[2] = (int64_t)st.st_mtim.tv_nsec;
    } else {
      info[0] = -1 - errno;
    }
    h = fnv1a(h, info, sizeof info);
    lua_pop(L, 1);
  }
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
  lua_pushstring(L, hex);
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

/* The arguments shared by augment_batch and augment_batch_async: (images
 * uint8 [N,H,W,C], indices int64 (1-based) or nil, spec, seed, base). */
typedef struct batch_args {
  mien_tensor *src, *idx; /* borrowed from the Lua stack; idx may be NULL */
  mien_augment_params p;
  uint64_t seed, base;
  int64_t batch;
} batch_args;

static void read_batch_args(lua_State *L, batch_args *a) {
  a->src = lmien_check_host(L, 1, "augment");
  if (a->src->dtype != MIEN_UINT8 || a->src->ndim != 4 || !mien_is_contiguous(a->src))
    luaL_error(L, "augment: images must be a contiguous uint8 [N,H,W,C] tensor");
  a->idx = lua_isnoneornil(L, 2) ? NULL : lmien_check_host(L, 2, "augment");
  if (a->idx && a->idx->dtype != MIEN_INT64) luaL_error(L, "augment: indices must be int64");
  read_augment(L, 3, (int)a->src->shape[1], (int)a->src->shape[2], &a->p);
  a->seed = (uint64_t)luaL_checkinteger(L, 4);
  a->base = (uint64_t)luaL_checkinteger(L, 5);
  a->batch = a->idx ? mien_numel(a->idx) : a->src->shape[0];
}

/* The zero-based copy of the indices (a new reference), or NULL for none;
 * raises the core's error when it cannot be made. */
static mien_tensor *zero_based(lua_State *L, const batch_args *a) {
  if (!a->idx) return NULL;
  mien_tensor *z = mien_binary_scalar(MIEN_SUB, a->idx, 1, false);
  if (!z) lmien_error(L);
  return z;
}

/* core.augment_batch(images uint8 [N,H,W,C], indices int64 (1-based) or nil, spec, seed, base)
 * -> float32 [B,C,OH,OW]. Uses blocks base .. base + 4*B of the seed's Philox stream. */
static int l_augment_batch(lua_State *L) {
  batch_args a;
  read_batch_args(L, &a);
  mien_tensor *zidx = zero_based(L, &a);
  mien_augment_params p = a.p;
  int64_t shape[4] = {a.batch, p.out_channels, p.out_h, p.out_w};
  mien_tensor *out = mien_zeros(4, shape, MIEN_FLOAT32, MIEN_HOST);
  int rc = out ? mien_augment_batch(&p, mien_data_ptr(a.src), a.src->shape[0], (int)a.src->shape[1],
                                    (int)a.src->shape[2], (int)a.src->shape[3], zidx ? mien_data_ptr(zidx) : NULL,
                                    a.batch, a.seed, a.base, mien_data_ptr(out))
               : -1;
  mien_release(zidx);
  if (rc != 0) {
    mien_release(out);
    lmien_error(L);
  }
  lmien_push(L, out);
  return 1;
}

/* core.augment_tensor(images uint8 [N,H,W,C] on any device, indices int64
 * (1-based, host) or nil, spec, seed, base) -> float32 [B,C,OH,OW] on the
 * images' device, through that device's backend (the resident loader). */
static int l_augment_tensor(lua_State *L) {
  mien_tensor *src = lmien_check(L, 1);
  if (src->ndim != 4) luaL_error(L, "augment: images must be a uint8 [N,H,W,C] tensor");
  mien_tensor *idx = lua_isnoneornil(L, 2) ? NULL : lmien_check_host(L, 2, "augment");
  mien_augment_params p;
  read_augment(L, 3, (int)src->shape[1], (int)src->shape[2], &p);
  const uint64_t seed = (uint64_t)luaL_checkinteger(L, 4), base = (uint64_t)luaL_checkinteger(L, 5);
  mien_tensor *zidx = idx ? mien_binary_scalar(MIEN_SUB, idx, 1, false) : NULL;
  if (idx && !zidx) lmien_error(L);
  mien_tensor *out = mien_augment_tensor(&p, src, zidx, seed, base);
  mien_release(zidx);
  if (!out) lmien_error(L);
  lmien_push(L, out);
  return 1;
}

/* A batch being augmented on a background thread (augment_job.h). The
 * userdata owns the job and its output tensor; __gc and __close join the
 * thread, so no worker outlives the tensors it writes. */
#define LMIEN_AUGMENT_JOB "mien.AugmentJob"

typedef struct job_box {
  mien_augment_job *job; /* NULL once waited for or closed */
  mien_tensor *out;
} job_box;

/* core.augment_batch_async(images, indices or nil, spec, seed, base [, threads])
 * -> a job; job:wait() gives what augment_batch would have returned. threads:
 * the worker's OpenMP threads (default: as many as this thread uses). The
 * caller must not write images in place before the wait. */
static int l_augment_batch_async(lua_State *L) {
  batch_args a;
  read_batch_args(L, &a);
  lua_Integer threads = luaL_optinteger(L, 6, 0);
  if (threads < 0 || threads > 4096)
    luaL_error(L, "augment_batch_async: threads must be in [1, 4096] (or nil for the default), got %I", threads);
  job_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->job = NULL;
  b->out = NULL;
  luaL_setmetatable(L, LMIEN_AUGMENT_JOB); /* from here on the GC frees what b holds */
  int64_t shape[4] = {a.batch, a.p.out_channels, a.p.out_h, a.p.out_w};
  b->out = mien_empty(4, shape, MIEN_FLOAT32, MIEN_HOST); /* the kernel writes every element */
  if (!b->out) lmien_error(L);
  mien_tensor *zidx = zero_based(L, &a);
  b->job = mien_augment_job_start(&a.p, a.src, zidx, a.seed, a.base, (int)threads, b->out);
  mien_release(zidx); /* the job holds its own reference */
  if (!b->job) lmien_error(L);
  return 1;
}

static job_box *check_job(lua_State *L) { return luaL_checkudata(L, 1, LMIEN_AUGMENT_JOB); }

/* job:wait() -> float32 [B,C,OH,OW], or the kernel's error as a Lua error. Once only. */
static int l_job_wait(lua_State *L) {
  job_box *b = check_job(L);
  if (!b->job) return luaL_error(L, "augment job: already waited for or closed");
  int rc = mien_augment_job_wait(b->job);
  mien_augment_job_free(b->job);
  mien_tensor *out = b->out;
  b->job = NULL;
  b->out = NULL;
  if (rc != 0) {
    mien_release(out);
    return lmien_error(L);
  }
  lmien_push(L, out);
  return 1;
}

/* job:close() (also __close and __gc): joins the thread and drops the batch. Idempotent. */
static int l_job_close(lua_State *L) {
  job_box *b = check_job(L);
  mien_augment_job_free(b->job);
  mien_release(b->out);
  b->job = NULL;
  b->out = NULL;
  return 0;
}

static void register_augment_job(lua_State *L) {
  static const luaL_Reg methods[] = {{"wait", l_job_wait}, {"close", l_job_close}, {NULL, NULL}};
  luaL_newmetatable(L, LMIEN_AUGMENT_JOB);
  luaL_newlib(L, methods);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_job_close);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_job_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

/* core.augment_draw(spec, src_h, src_w, seed, base, i) -> the random draw of
 * batch position i (0-based), as in augment.h: {a = {a0..a5}, flip, gain,
 * offset, erase = {y, x, h, w} (0-based; h = w = 0 when none)}. For tests and
 * for checking another implementation of the kernel. */
static int l_augment_draw(lua_State *L) {
  int h = (int)luaL_checkinteger(L, 2), w = (int)luaL_checkinteger(L, 3);
  if (h <= 0 || w <= 0) luaL_error(L, "augment_draw: source size must be positive, got %dx%d", h, w);
  mien_augment_params p;
  read_augment(L, 1, h, w, &p);
  uint64_t seed = (uint64_t)luaL_checkinteger(L, 4), base = (uint64_t)luaL_checkinteger(L, 5);
  int64_t i = luaL_checkinteger(L, 6);
  mien_augment_draw d;
  mien_augment_draw_image(&p, h, w, seed, base, i, &d);
  lua_createtable(L, 0, 5);
  lua_createtable(L, 6, 0);
  for (int k = 0; k < 6; k++) {
    lua_pushnumber(L, d.a[k]);
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "a");
  lua_pushboolean(L, d.flip);
  lua_setfield(L, -2, "flip");
  lua_pushnumber(L, d.gain);
  lua_setfield(L, -2, "gain");
  lua_pushnumber(L, d.offset);
  lua_setfield(L, -2, "offset");
  lua_createtable(L, 4, 0);
  int box[4] = {d.erase_y, d.erase_x, d.erase_h, d.erase_w};
  for (int k = 0; k < 4; k++) {
    lua_pushinteger(L, box[k]);
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "erase");
  return 1;
}

void lmien_register_image(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"image_load", l_image_load}, {"image_load_batch", l_image_load_batch}, {"image_write", l_image_write},
      {"image_resize", l_image_resize}, {"fer2013_csv", l_fer2013_csv}, {"synthetic_faces", l_synthetic_faces},
      {"synthetic_face_aus", l_synthetic_face_aus},
      {"listdir", l_listdir}, {"is_dir", l_is_dir}, {"realpath", l_realpath},
      {"files_fingerprint", l_files_fingerprint}, {"augment_batch", l_augment_batch}, {"augment_draw", l_augment_draw},
      {"augment_batch_async", l_augment_batch_async}, {"augment_tensor", l_augment_tensor}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
  register_augment_job(L);
}
