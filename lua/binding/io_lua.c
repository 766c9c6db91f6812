/* Safetensors files of mien tensors:
 *   core.safetensors_save(path, tensors, metadata)
 *     tensors: {name = tensor, ...} (written in sorted name order) or an
 *     ordered list of {name, tensor} pairs; metadata: {key = string, ...} or nil.
 *     Written atomically (temp file, fsync, rename) by core/io.
 *   core.safetensors_load(path) -> tensors {name = tensor}, metadata {key = string},
 *     names (header order)
 * F32, F64, I64 and U8 load as float32, float64, int64 and uint8; F16/BF16 as
 * float32, the other integer types as int64, BOOL as uint8. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lmien.h"

static const char *st_name_of(lua_State *L, const mien_tensor *t, const char *name) {
  switch (t->dtype) {
    case MIEN_FLOAT32: return "F32";
    case MIEN_FLOAT64: return "F64";
    case MIEN_INT64: return "I64";
    case MIEN_UINT8: return "U8";
    default: luaL_error(L, "safetensors_save: tensor '%s' has an unsupported dtype", name);
  }
  return NULL;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Pushes a CPU contiguous tensor for the value at idx (anchored in the table at anchor). */
static mien_tensor *prepare(lua_State *L, int idx, const char *name, int anchor) {
  if (!lmien_is_tensor(L, idx)) luaL_error(L, "safetensors_save: entry '%s' is a %s, not a tensor", name, luaL_typename(L, idx));
  mien_tensor *t = lmien_check(L, idx);
  bool was = mien_set_grad_enabled(false);
  mien_tensor *cpu = mien_to_device(t, MIEN_HOST);
  mien_tensor *c = cpu ? mien_contiguous(cpu) : NULL;
  mien_release(cpu);
  mien_set_grad_enabled(was);
  lmien_push(L, c); /* raises if NULL; Lua owns it from here */
  lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
  return c;
}

static int l_safetensors_save(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  if (!lua_isnoneornil(L, 3)) luaL_checktype(L, 3, LUA_TTABLE);
  lua_settop(L, 3);
  lua_newtable(L); /* 4: anchor for converted tensors */
  int anchor = 4;

  /* names */
  int n = 0;
  int is_list = luaL_len(L, 2) > 0;
  if (is_list) {
    n = (int)luaL_len(L, 2);
  } else {
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "safetensors_save: tensor names must be strings");
      n++;
      lua_pop(L, 1);
    }
  }
  const char **names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n ? n : 1), 0); /* 5 */
  mien_st_entry *entries = lua_newuserdatauv(L, sizeof(mien_st_entry) * (size_t)(n ? n : 1), 0); /* 6 */
  mien_tensor **tensors = lua_newuserdatauv(L, sizeof(mien_tensor *) * (size_t)(n ? n : 1), 0); /* 7 */
  if (is_list) {
    for (int i = 0; i < n; i++) {
      if (lua_geti(L, 2, i + 1) != LUA_TTABLE) luaL_error(L, "safetensors_save: list entry %d is not a {name, tensor} pair", i + 1);
      int pair = lua_gettop(L);
      if (lua_geti(L, pair, 1) != LUA_TSTRING) luaL_error(L, "safetensors_save: list entry %d has no name", i + 1);
      names[i] = lua_tostring(L, -1);
      lua_pushvalue(L, -1);
      lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1); /* keep the string alive */
      lua_geti(L, pair, 2);
      tensors[i] = prepare(L, lua_gettop(L), names[i], anchor);
      lua_settop(L, pair - 1);
    }
  } else {
    int i = 0;
    lua_pushnil(L);
    while (lua_next(L, 2)) {
      names[i++] = lua_tostring(L, -2); /* keys stay alive in the table */
      lua_pop(L, 1);
    }
    qsort(names, (size_t)n, sizeof *names, cmp_str);
    for (i = 0; i < n; i++) {
      lua_getfield(L, 2, names[i]);
      tensors[i] = prepare(L, lua_gettop(L), names[i], anchor);
      lua_pop(L, 1);
    }
  }
  for (int i = 0; i < n; i++) {
    mien_tensor *t = tensors[i];
    entries[i].name = names[i];
    entries[i].dtype = st_name_of(L, t, names[i]);
    entries[i].ndim = t->ndim;
    entries[i].shape = t->shape;
    entries[i].data = mien_data_ptr(t);
    entries[i].nbytes = (size_t)mien_numel(t) * mien_dtype_size(t->dtype);
  }

  /* metadata, sorted by key */
  int nm = 0;
  if (lua_istable(L, 3)) {
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      if (lua_type(L, -2) != LUA_TSTRING) luaL_error(L, "safetensors_save: metadata keys must be strings");
      int vt = lua_type(L, -1);
      if (vt != LUA_TSTRING && vt != LUA_TNUMBER && vt != LUA_TBOOLEAN)
        luaL_error(L, "safetensors_save: metadata '%s' is a %s; values must be strings", lua_tostring(L, -2),
                   luaL_typename(L, -1));
      nm++;
      lua_pop(L, 1);
    }
  }
  const char **keys = lua_newuserdatauv(L, sizeof(char *) * (size_t)(nm ? nm : 1), 0);
  const char **values = lua_newuserdatauv(L, sizeof(char *) * (size_t)(nm ? nm : 1), 0);
  if (nm) {
    int k = 0;
    lua_pushnil(L);
    while (lua_next(L, 3)) {
      keys[k++] = lua_tostring(L, -2);
      lua_pop(L, 1);
    }
    qsort(keys, (size_t)nm, sizeof *keys, cmp_str);
    for (k = 0; k < nm; k++) {
      lua_getfield(L, 3, keys[k]);
      values[k] = luaL_tolstring(L, -1, NULL); /* strings, numbers, booleans */
      lua_rawseti(L, anchor, (lua_Integer)luaL_len(L, anchor) + 1);
      lua_pop(L, 1);
    }
  }
  LMIEN_CHECK(L, mien_safetensors_write(path, n, entries, keys, values, nm));
  return 0;
}

/* hardening: a tensor mien cannot hold is an error naming the file and the tensor */
static mien_tensor *load_one(const char *path, const mien_st_tensor *e) {
  if (e->ndim > MIEN_MAX_DIMS) {
    mien_set_error("safetensors '%s': tensor '%s' has %d dims; mien tensors have at most %d", path, e->name, e->ndim,
                   MIEN_MAX_DIMS);
    return NULL;
  }
  mien_dtype dt;
  switch (e->type) {
    case MIEN_ST_F64: dt = MIEN_FLOAT64; break;
    case MIEN_ST_F32: case MIEN_ST_F16: case MIEN_ST_BF16: dt = MIEN_FLOAT32; break;
    case MIEN_ST_U8: case MIEN_ST_BOOL: dt = MIEN_UINT8; break;
    default: dt = MIEN_INT64; break;
  }
  mien_tensor *t = mien_zeros(e->ndim, e->shape, dt, MIEN_HOST);
  if (!t) {
    char reason[512];
    snprintf(reason, sizeof reason, "%s", mien_last_error());
    mien_set_error("safetensors '%s': tensor '%s': %s", path, e->name, reason);
    return NULL;
  }
  int64_t n = mien_numel(t);
  void *out = mien_data_ptr(t);
  const unsigned char *src = e->data;
  switch (e->type) {
    case MIEN_ST_F64: case MIEN_ST_F32: case MIEN_ST_I64: case MIEN_ST_U8: case MIEN_ST_BOOL:
      if (e->nbytes) memcpy(out, src, e->nbytes);
      break;
    case MIEN_ST_F16: case MIEN_ST_BF16:
      for (int64_t i = 0; i < n; i++) {
        uint16_t h;
        memcpy(&h, src + 2 * i, 2);
        ((float *)out)[i] = e->type == MIEN_ST_F16 ? mien_f16_to_f32(h) : mien_bf16_to_f32(h);
      }
      break;
    default: {
      size_t sz = mien_st_dtype_size(e->type);
      for (int64_t i = 0; i < n; i++) {
        const unsigned char *p = src + (size_t)i * sz;
        int64_t v = 0;
        switch (e->type) {
          case MIEN_ST_I32: { int32_t x; memcpy(&x, p, 4); v = x; break; }
          case MIEN_ST_I16: { int16_t x; memcpy(&x, p, 2); v = x; break; }
          case MIEN_ST_I8: { int8_t x; memcpy(&x, p, 1); v = x; break; }
          case MIEN_ST_U64: {
            uint64_t x;
            memcpy(&x, p, 8);
            if (x > (uint64_t)INT64_MAX) { /* hardening: U64 loads as int64 only when it fits */
              mien_release(t);
              mien_set_error("safetensors '%s': tensor '%s' (U64): element %lld is %llu, more than int64 holds", path,
                             e->name, (long long)i + 1, (unsigned long long)x);
              return NULL;
            }
            v = (int64_t)x;
            break;
          }
          case MIEN_ST_U32: { uint32_t x; memcpy(&x, p, 4); v = x; break; }
          case MIEN_ST_U16: { uint16_t x; memcpy(&x, p, 2); v = x; break; }
          default: break;
        }
        ((int64_t *)out)[i] = v;
      }
    }
  }
  return t;
}

static int l_safetensors_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_settop(L, 1);
  lua_newtable(L); /* 2: tensors */
  lua_newtable(L); /* 3: metadata */
  lua_newtable(L); /* 4: names */
  mien_safetensors *st = mien_safetensors_open(path);
  if (!st) return lmien_error(L);
  int n = mien_safetensors_count(st);
  for (int i = 0; i < n; i++) {
    const mien_st_tensor *e = mien_safetensors_get(st, i);
    mien_tensor *t = e ? load_one(path, e) : NULL;
    if (!t) {
      mien_safetensors_close(st);
      return lmien_error(L);
    }
    lmien_push(L, t);
    lua_setfield(L, 2, e->name);
    lua_pushstring(L, e->name);
    lua_rawseti(L, 4, i + 1);
  }
  int nm = mien_safetensors_meta_count(st);
  for (int k = 0; k < nm; k++) {
    const char *key = mien_safetensors_meta_key(st, k);
    lua_pushstring(L, mien_safetensors_meta(st, key));
    lua_setfield(L, 3, key);
  }
  mien_safetensors_close(st);
  return 3;
}

void lmien_register_io(lua_State *L) {
  static const luaL_Reg funcs[] = {{"safetensors_save", l_safetensors_save}, {"safetensors_load", l_safetensors_load},
                                   {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
