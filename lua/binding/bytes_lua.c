/* Byte strings <-> tensors, for weight files whose bytes are read in Lua
 * (TF.js weight shards, little-endian):
 *
 *   core.bytes_decode(s, offset, shape, stored [, {scale=, min=}]) -> tensor
 *     Reads prod(shape) values of type `stored` starting at the 0-based byte
 *     `offset` of the string s.
 *       "float32"            -> float32 (raw copy)
 *       "float16"            -> float32 (exact IEEE half conversion)
 *       "int32", "uint16"    -> int64
 *       "uint8"              -> uint8
 *       "float64", "int64"   -> float64, int64 (raw copy)
 *     With the quantisation table, the integer types "uint8" and "uint16"
 *     become float32 values float(q*scale + min), the product and sum done in
 *     double and rounded once to float, as tfjs does (a JS Number computation
 *     stored into a Float32Array).
 *     Returns the tensor and the byte offset just past the data.
 *
 *   core.bytes_encode(t, stored) -> string: the inverse for "float32",
 *     "float16" (round to nearest even), "int32" and "uint8" (values are
 *     converted, so a float tensor can be written as int32).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lmien.h"

typedef enum stored_kind { S_F32, S_F16, S_I32, S_U16, S_U8, S_F64, S_I64 } stored_kind;

static const struct {
  const char *name;
  stored_kind kind;
  size_t size;
} stored_types[] = {
    {"float32", S_F32, 4}, {"float16", S_F16, 2}, {"int32", S_I32, 4}, {"uint16", S_U16, 2},
    {"uint8", S_U8, 1},    {"float64", S_F64, 8}, {"int64", S_I64, 8},
};

static int stored_index(lua_State *L, int arg) {
  const char *name = luaL_checkstring(L, arg);
  for (size_t i = 0; i < sizeof stored_types / sizeof stored_types[0]; i++)
    if (strcmp(stored_types[i].name, name) == 0) return (int)i;
  return luaL_error(L, "bytes: unknown stored type '%s' (float32, float16, int32, uint16, uint8, float64, int64)", name);
}

static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
  uint32_t e = (h >> 10) & 0x1fu, m = h & 0x3ffu, bits;
  if (e == 0x1f) {
    bits = sign | 0x7f800000u | (m << 13);
  } else if (e != 0) {
    bits = sign | ((e + 112u) << 23) | (m << 13);
  } else {
    float v = (float)m * (1.0f / 16777216.0f); /* subnormal or zero: m * 2^-24, exact */
    return sign ? -v : v;
  }
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* float -> half, round to nearest even, overflow to inf. */
static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, sizeof x);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (absx > 0x7f800000u ? 0x200u : 0));
  if (absx >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to >= 65520: inf */
  if (absx < 0x38800000u) {                                  /* below the smallest normal half */
    float a;
    memcpy(&a, &absx, sizeof a);
    float q = a * 16777216.0f; /* in units of 2^-24, exact */
    return (uint16_t)(sign | (uint16_t)nearbyintf(q));
  }
  uint32_t mant = absx & 0x7fffffu;
  uint32_t e = (absx >> 23) - 112u;
  uint32_t h = (e << 10) | (mant >> 13);
  uint32_t rest = mant & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
  return (uint16_t)(sign | h);
}

/* hardening: the element count goes through core/checked_size.h */
static int64_t read_shape(lua_State *L, int arg, int64_t *shape, int *ndim) {
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_Integer n = luaL_len(L, arg);
  if (n < 0 || n > MIEN_MAX_DIMS) luaL_error(L, "bytes_decode: a shape has at most %d dims", MIEN_MAX_DIMS);
  for (int i = 0; i < (int)n; i++) {
    lua_geti(L, arg, i + 1);
    if (!lua_isinteger(L, -1)) luaL_error(L, "bytes_decode: shape entry %d is not an integer", i + 1);
    shape[i] = lua_tointeger(L, -1);
    lua_pop(L, 1);
  }
  int64_t count = 0;
  if (mien_checked_numel((int)n, shape, "bytes_decode", &count) != 0) lmien_error(L);
  *ndim = (int)n;
  return count;
}

static int l_bytes_decode(lua_State *L) {
  size_t len;
  const unsigned char *s = (const unsigned char *)luaL_checklstring(L, 1, &len);
  lua_Integer offset = luaL_checkinteger(L, 2);
  int64_t shape[MIEN_MAX_DIMS];
  int ndim;
  int64_t count = read_shape(L, 3, shape, &ndim);
  int si = stored_index(L, 4);
  stored_kind kind = stored_types[si].kind;
  size_t size = stored_types[si].size;
  int quant = lua_istable(L, 5);
  double scale = 1, minv = 0;
  if (quant) {
    if (kind != S_U8 && kind != S_U16) luaL_error(L, "bytes_decode: affine quantisation needs uint8 or uint16 data");
    lua_getfield(L, 5, "scale");
    lua_getfield(L, 5, "min");
    if (!lua_isnumber(L, -2) || !lua_isnumber(L, -1)) luaL_error(L, "bytes_decode: quantisation needs numbers scale and min");
    scale = lua_tonumber(L, -2);
    minv = lua_tonumber(L, -1);
    lua_pop(L, 2);
  }
  if (offset < 0 || (size_t)offset > len || (uint64_t)count > (len - (size_t)offset) / size) {
    int64_t need;
    if (__builtin_mul_overflow(count, (int64_t)size, &need)) need = INT64_MAX;
    luaL_error(L, "bytes_decode: %I values of %s at byte %I need %I bytes, but the data has %I", (lua_Integer)count,
               stored_types[si].name, offset, (lua_Integer)need, (lua_Integer)len);
  }
  const unsigned char *p = s + offset;
  mien_dtype dt;
  if (quant) dt = MIEN_FLOAT32;
  else switch (kind) {
      case S_F32: case S_F16: dt = MIEN_FLOAT32; break;
      case S_F64: dt = MIEN_FLOAT64; break;
      case S_U8: dt = MIEN_UINT8; break;
      default: dt = MIEN_INT64; break;
    }
  mien_tensor *t = mien_zeros(ndim, shape, dt, MIEN_HOST);
  if (!t) lmien_error(L);
  void *out = mien_data_ptr(t);
  if (quant) {
    float *o = out;
    for (int64_t i = 0; i < count; i++) {
      double q;
      if (kind == S_U8) q = p[i];
      else {
        uint16_t v;
        memcpy(&v, p + 2 * i, 2);
        q = v;
      }
      o[i] = (float)(q * scale + minv);
    }
  } else {
    switch (kind) {
      case S_F32: case S_F64: case S_I64: case S_U8:
        if (count) memcpy(out, p, (size_t)count * size);
        break;
      case S_F16:
        for (int64_t i = 0; i < count; i++) {
          uint16_t h;
          memcpy(&h, p + 2 * i, 2);
          ((float *)out)[i] = half_to_float(h);
        }
        break;
      case S_I32:
        for (int64_t i = 0; i < count; i++) {
          int32_t v;
          memcpy(&v, p + 4 * i, 4);
          ((int64_t *)out)[i] = v;
        }
        break;
      case S_U16:
        for (int64_t i = 0; i < count; i++) {
          uint16_t v;
          memcpy(&v, p + 2 * i, 2);
          ((int64_t *)out)[i] = v;
        }
        break;
    }
  }
  lmien_push(L, t);
  lua_pushinteger(L, offset + (lua_Integer)((size_t)count * size));
  return 2;
}

static int l_bytes_encode(lua_State *L) {
  mien_tensor *t = lmien_check_host(L, 1, "bytes_encode");
  int si = stored_index(L, 2);
  stored_kind kind = stored_types[si].kind;
  if (kind != S_F32 && kind != S_F16 && kind != S_I32 && kind != S_U8)
    luaL_error(L, "bytes_encode: can write float32, float16, int32 or uint8, not %s", stored_types[si].name);
  bool was = mien_set_grad_enabled(false);
  mien_tensor *d = mien_to_dtype(t, MIEN_FLOAT64);
  mien_tensor *c = d ? mien_contiguous(d) : NULL;
  mien_release(d);
  mien_set_grad_enabled(was);
  if (!c) lmien_error(L);
  lmien_push(L, c); /* owned by Lua: an error below does not leak it */
  int64_t n = mien_numel(c);
  const double *v = mien_data_ptr(c);
  size_t size = stored_types[si].size;
  luaL_Buffer b;
  unsigned char *out = (unsigned char *)luaL_buffinitsize(L, &b, (size_t)n * size);
  for (int64_t i = 0; i < n; i++) {
    switch (kind) {
      case S_F32: {
        float f = (float)v[i];
        memcpy(out + 4 * i, &f, 4);
        break;
      }
      case S_F16: {
        uint16_t h = float_to_half((float)v[i]);
        memcpy(out + 2 * i, &h, 2);
        break;
      }
      case S_I32: {
        int32_t x = (int32_t)v[i];
        memcpy(out + 4 * i, &x, 4);
        break;
      }
      default: {
        double x = v[i] < 0 ? 0 : v[i] > 255 ? 255 : v[i];
        out[i] = (unsigned char)x;
        break;
      }
    }
  }
  luaL_pushresultsize(&b, (size_t)n * size);
  return 1;
}

void lmien_register_bytes(lua_State *L) {
  static const luaL_Reg funcs[] = {{"bytes_decode", l_bytes_decode}, {"bytes_encode", l_bytes_encode}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
