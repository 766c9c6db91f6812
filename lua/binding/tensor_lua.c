/* The mien.Tensor userdata: lifetime, creation, conversion to and from Lua
 * tables, and the autograd fields (t.grad, t.requires_grad). */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lmien.h"

typedef struct tensor_box {
  mien_tensor *t; /* NULL once closed */
} tensor_box;

/* Tensor memory lives outside the Lua heap, so Lua's collector cannot see
 * it. Each new storage adds its size to a debt that is paid with GC steps;
 * and when tensor memory has grown past twice what survived the last full
 * collection (plus a floor), a full collection runs, so a training loop's
 * dead activations are freed within a step or two whatever the GC mode, and
 * go back to the CPU allocator's cache for the next step's (which then
 * touches no fresh page). The floor is 32 MB, or GC_FULL_PER_LUA_BYTE times
 * the Lua heap when that is more: a full collection costs in proportion to
 * the Lua heap, so this bounds its share of the time. */
#define GC_STEP_BYTES (1u << 20)
#define GC_FULL_FLOOR ((size_t)32 << 20)
#define GC_FULL_PER_LUA_BYTE 32
/* Per device: type and index (indices past the table share its last slot). */
#define GC_INDICES 16
static size_t gc_debt[MIEN_NUM_DEVICE_TYPES][GC_INDICES];
static size_t gc_mark[MIEN_NUM_DEVICE_TYPES][GC_INDICES];

static void account_allocation(lua_State *L, size_t nbytes, mien_device device) {
  const int type = mien_device_type_of(device), i = mien_device_index(device) < GC_INDICES ? mien_device_index(device) : GC_INDICES - 1;
  size_t *debt = &gc_debt[type][i], *mark = &gc_mark[type][i];
  *debt += nbytes;
  if (*debt < GC_STEP_BYTES) return;
  size_t in_use = mien_storage_bytes_in_use(device);
  if (in_use < *mark) *mark = in_use; /* memory freed since: lower the mark */
  const size_t lua_bytes = (size_t)lua_gc(L, LUA_GCCOUNT) << 10;
  const size_t floor = GC_FULL_PER_LUA_BYTE * lua_bytes > GC_FULL_FLOOR ? GC_FULL_PER_LUA_BYTE * lua_bytes : GC_FULL_FLOOR;
  if (in_use > 2 * *mark + floor) {
    lua_gc(L, LUA_GCCOLLECT);
    *mark = mien_storage_bytes_in_use(device);
  } else {
    lua_gc(L, LUA_GCSTEP, (int)(*debt >> 10));
  }
  *debt = 0;
}

/* The core's message with its 0-based positions "#N" shown 1-based, as N + 1.
 * A position is "#N" after a space or '(' and before a space or punctuation,
 * so a '#' inside a file name the message quotes ("img#3.png") stays as it is. */
static int is_position(const char *start, const char *m, const char *end) {
  const bool after_gap = m == start || m[-1] == ' ' || m[-1] == '(' || m[-1] == '.';
  const bool before_gap = *end == '\0' || strchr(" ,;:.)]", *end) != NULL;
  return after_gap && before_gap;
}

int lmien_error(lua_State *L) {
  const char *start = mien_last_error(), *m = start;
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  while (*m) {
    const char *digits = m[0] == '#' && m[1] == '-' ? m + 2 : m + 1;
    if (m[0] == '#' && digits[0] >= '0' && digits[0] <= '9') {
      char *end;
      long long n = strtoll(m + 1, &end, 10);
      if (n == LLONG_MAX || n == LLONG_MIN || !is_position(start, m, end)) {
        luaL_addlstring(&b, m, (size_t)(end - m)); /* not a position the core wrote: keep the text */
      } else {
        lua_pushfstring(L, "%I", (lua_Integer)(n + 1));
        luaL_addvalue(&b);
      }
      m = end;
    } else {
      luaL_addchar(&b, *m++);
    }
  }
  luaL_pushresult(&b);
  return luaL_error(L, "%s", lua_tostring(L, -1));
}

void lmien_push(lua_State *L, mien_tensor *t) {
  if (!t) lmien_error(L);
  tensor_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->t = t;
  luaL_setmetatable(L, LMIEN_TENSOR);
  if (t->refcount == 1 && t->storage->refcount == 1) account_allocation(L, t->storage->nbytes, mien_tensor_device(t));
}

int lmien_is_tensor(lua_State *L, int arg) { return luaL_testudata(L, arg, LMIEN_TENSOR) != NULL; }

mien_tensor *lmien_check(lua_State *L, int arg) {
  tensor_box *b = luaL_checkudata(L, arg, LMIEN_TENSOR);
  if (!b->t) luaL_argerror(L, arg, "tensor is closed");
  return b->t;
}

mien_tensor *lmien_check_host(lua_State *L, int arg, const char *what) {
  mien_tensor *t = lmien_check(L, arg);
  if (mien_tensor_device(t) != MIEN_HOST) {
    char name[32];
    luaL_error(L, "%s: the tensor is on %s; move it to the cpu first (t:cpu())", what,
               mien_device_str(mien_tensor_device(t), name, sizeof name));
  }
  return t;
}

mien_tensor *lmien_opt(lua_State *L, int arg) { return lua_isnoneornil(L, arg) ? NULL : lmien_check(L, arg); }

mien_tensor *lmien_tensor_or_scalar(lua_State *L, int arg, const mien_tensor *like) {
  if (lua_type(L, arg) == LUA_TNUMBER) {
    double v = lua_tonumber(L, arg);
    mien_dtype dt = like->dtype;
    if (!mien_dtype_is_float(dt) && (v != floor(v) || lua_isinteger(L, arg) == 0)) dt = MIEN_FLOAT32;
    mien_tensor *s = mien_scalar(v, dt, mien_tensor_device(like));
    if (!s) lmien_error(L);
    return s;
  }
  return mien_retain(lmien_check(L, arg));
}

int lmien_dim_value(lua_State *L, lua_Integer d, const mien_tensor *t) {
  if (d == 0 || d > t->ndim || d < -t->ndim) {
    char buf[128];
    /* name the op: the C function that is running (sum, narrow, cat, ...) */
    lua_Debug ar;
    const char *op = lua_getstack(L, 0, &ar) && lua_getinfo(L, "n", &ar) && ar.name ? ar.name : NULL;
    return luaL_error(L, "%s%sdim %d is out of range for a tensor of shape %s (dims are 1..%d or -%d..-1)", op ? op : "",
                      op ? ": " : "", (int)d, mien_shape_str(t, buf, sizeof buf), t->ndim, t->ndim);
  }
  return d > 0 ? (int)d - 1 : (int)d;
}

int lmien_dim(lua_State *L, int arg, const mien_tensor *t) { return lmien_dim_value(L, luaL_checkinteger(L, arg), t); }

int lmien_shape(lua_State *L, int arg, int64_t *shape) {
  int n = 0;
  if (lua_istable(L, arg)) {
    n = (int)luaL_len(L, arg);
    if (n > MIEN_MAX_DIMS) luaL_error(L, "a shape has at most %d dims, got %d", MIEN_MAX_DIMS, n);
    for (int i = 0; i < n; i++) {
      lua_geti(L, arg, i + 1);
      if (!lua_isinteger(L, -1)) luaL_error(L, "shape entry %d is not an integer", i + 1);
      shape[i] = lua_tointeger(L, -1);
      lua_pop(L, 1);
    }
    return n;
  }
  while (lua_type(L, arg + n) == LUA_TNUMBER) {
    if (n == MIEN_MAX_DIMS) luaL_error(L, "a shape has at most %d dims", MIEN_MAX_DIMS);
    shape[n] = luaL_checkinteger(L, arg + n);
    n++;
  }
  return n;
}

mien_device lmien_device_from_name(lua_State *L, const char *name) {
  mien_device d;
  if (mien_device_parse(name, &d) != 0) lmien_error(L);
  return d;
}

mien_dtype lmien_dtype_from_name(lua_State *L, const char *name) {
  mien_dtype dt;
  if (mien_dtype_from_name(name, &dt) == 0) return dt;
  if (strcmp(name, "float") == 0) return MIEN_FLOAT32;
  if (strcmp(name, "double") == 0) return MIEN_FLOAT64;
  if (strcmp(name, "long") == 0) return MIEN_INT64;
  if (strcmp(name, "byte") == 0) return MIEN_UINT8;
  luaL_error(L, "unknown dtype '%s' (float32, float64, int64, uint8 or bfloat16)", name);
  return MIEN_FLOAT32;
}

void lmien_read_opts(lua_State *L, int arg, lmien_opts *o, mien_dtype default_dtype) {
  o->dtype = default_dtype;
  o->device = lmien_device_from_name(L, "cpu");
  o->requires_grad = 0;
  if (lua_isnoneornil(L, arg)) return;
  luaL_checktype(L, arg, LUA_TTABLE);
  if (lua_getfield(L, arg, "dtype") != LUA_TNIL) o->dtype = lmien_dtype_from_name(L, luaL_checkstring(L, -1));
  if (lua_getfield(L, arg, "device") != LUA_TNIL) o->device = lmien_device_from_name(L, luaL_checkstring(L, -1));
  o->requires_grad = lua_getfield(L, arg, "requires_grad") != LUA_TNIL && lua_toboolean(L, -1);
  lua_pop(L, 3);
}

double lmien_opt_number(lua_State *L, int arg, const char *key, double dflt) {
  if (!lua_istable(L, arg)) return dflt;
  lua_getfield(L, arg, key);
  double v = lua_isnil(L, -1) ? dflt : luaL_checknumber(L, -1);
  lua_pop(L, 1);
  return v;
}

int lmien_opt_bool(lua_State *L, int arg, const char *key, int dflt) {
  if (!lua_istable(L, arg)) return dflt;
  lua_getfield(L, arg, key);
  int v = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
  lua_pop(L, 1);
  return v;
}

/* A new tensor with the options' requires_grad applied. */
static mien_tensor *finish(lua_State *L, mien_tensor *t, const lmien_opts *o) {
  if (!t) lmien_error(L);
  if (o->requires_grad) {
    if (!mien_dtype_is_float(t->dtype)) {
      mien_release(t);
      luaL_error(L, "requires_grad needs a float tensor, not %s", mien_dtype_name(o->dtype));
    }
    t->requires_grad = true;
  }
  return t;
}

/* --- creation from nested tables --- */

static void table_shape(lua_State *L, int idx, int depth, int64_t *shape, int *ndim) {
  if (depth >= MIEN_MAX_DIMS) luaL_error(L, "tensor: nested tables deeper than %d", MIEN_MAX_DIMS);
  int64_t n = (int64_t)luaL_len(L, idx);
  shape[depth] = n;
  *ndim = depth + 1;
  if (n == 0) return;
  lua_geti(L, idx, 1);
  if (lua_istable(L, -1)) table_shape(L, lua_gettop(L), depth + 1, shape, ndim);
  lua_pop(L, 1);
}

static void table_fill(lua_State *L, int idx, int depth, int ndim, const int64_t *shape, double *out, int64_t *pos) {
  int64_t n = (int64_t)luaL_len(L, idx);
  if (n != shape[depth]) luaL_error(L, "tensor: ragged nested table (a row of %d where %d was expected at depth %d)",
                                    (int)n, (int)shape[depth], depth + 1);
  for (int64_t i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    if (depth + 1 < ndim) {
      if (!lua_istable(L, -1)) luaL_error(L, "tensor: ragged nested table (a number where a row was expected)");
      table_fill(L, lua_gettop(L), depth + 1, ndim, shape, out, pos);
    } else {
      int isnum;
      double v = lua_tonumberx(L, -1, &isnum);
      if (!isnum) luaL_error(L, "tensor: element %d is a %s, not a number", (int)(*pos + 1), luaL_typename(L, -1));
      out[(*pos)++] = v;
    }
    lua_pop(L, 1);
  }
}

static int l_tensor(lua_State *L) {
  lmien_opts o;
  /* a copy of a tensor keeps its dtype unless the options name another */
  lmien_read_opts(L, 2, &o, lmien_is_tensor(L, 1) ? lmien_check(L, 1)->dtype : MIEN_FLOAT32);
  if (lmien_is_tensor(L, 1)) {
    mien_tensor *src = lmien_check(L, 1);
    mien_tensor *t = mien_empty(src->ndim, src->shape, o.dtype, o.device);
    if (!t || mien_copy_(t, src) != 0) lmien_error(L);
    lmien_push(L, finish(L, t, &o));
    return 1;
  }
  if (lua_type(L, 1) == LUA_TNUMBER) {
    lmien_push(L, finish(L, mien_scalar(lua_tonumber(L, 1), o.dtype, o.device), &o));
    return 1;
  }
  luaL_checktype(L, 1, LUA_TTABLE);
  int64_t shape[MIEN_MAX_DIMS];
  int ndim = 0;
  table_shape(L, 1, 0, shape, &ndim);
  mien_tensor *tmp = mien_empty(ndim, shape, MIEN_FLOAT64, MIEN_HOST); /* the table fills it all */
  if (!tmp) lmien_error(L);
  int64_t pos = 0;
  lmien_push(L, tmp); /* owned by Lua while filling, so an error does not leak it */
  table_fill(L, 1, 0, ndim, shape, mien_data_ptr(tmp), &pos);
  mien_tensor *t = mien_empty(ndim, shape, o.dtype, o.device);
  if (!t || mien_copy_(t, tmp) != 0) lmien_error(L);
  lmien_push(L, finish(L, t, &o));
  return 1;
}

/* zeros/ones/... take a shape (table or numbers) and an options table last */
static int shape_and_opts(lua_State *L, int64_t *shape, lmien_opts *o) {
  int ndim = lmien_shape(L, 1, shape);
  lmien_read_opts(L, lua_istable(L, 1) ? 2 : ndim + 1, o, MIEN_FLOAT32);
  return ndim;
}

/* zeros, ones, full, rand, randn and bernoulli: one function, the kind an
 * upvalue. full and bernoulli take a number after the shape table. */
typedef enum { MAKE_ZEROS, MAKE_ONES, MAKE_FULL, MAKE_RAND, MAKE_RANDN, MAKE_BERNOULLI } make_kind;

static int l_make(lua_State *L) {
  const make_kind kind = (make_kind)lua_tointeger(L, lua_upvalueindex(1));
  int64_t shape[MIEN_MAX_DIMS];
  lmien_opts o;
  int ndim;
  double v = 0;
  if (kind == MAKE_FULL || kind == MAKE_BERNOULLI) {
    luaL_checktype(L, 1, LUA_TTABLE);
    ndim = lmien_shape(L, 1, shape);
    v = luaL_checknumber(L, 2);
    lmien_read_opts(L, 3, &o, MIEN_FLOAT32);
  } else {
    ndim = shape_and_opts(L, shape, &o);
  }
  mien_tensor *t = NULL;
  switch (kind) {
    case MAKE_ZEROS: t = mien_zeros(ndim, shape, o.dtype, o.device); break;
    case MAKE_ONES: t = mien_full(ndim, shape, 1.0, o.dtype, o.device); break;
    case MAKE_FULL: t = mien_full(ndim, shape, v, o.dtype, o.device); break;
    case MAKE_RAND: t = mien_rand(ndim, shape, o.dtype, o.device); break;
    case MAKE_RANDN: t = mien_randn(ndim, shape, o.dtype, o.device); break;
    case MAKE_BERNOULLI: t = mien_bernoulli(ndim, shape, v, o.dtype, o.device); break;
  }
  lmien_push(L, finish(L, t, &o));
  return 1;
}

static int l_randperm(lua_State *L) {
  /* 1-based, like every index handed to Lua */
  lmien_opts o;
  lmien_read_opts(L, 2, &o, MIEN_INT64);
  mien_tensor *p = mien_randperm(luaL_checkinteger(L, 1), o.device);
  if (!p) lmien_error(L);
  mien_tensor *one = mien_binary_scalar(MIEN_ADD, p, 1, false);
  mien_release(p);
  lmien_push(L, one);
  return 1;
}

static int l_arange(lua_State *L) {
  /* arange(stop) or arange(start, stop[, step]) then opts; stop is exclusive */
  int n = 0;
  double v[3];
  while (n < 3 && lua_type(L, n + 1) == LUA_TNUMBER) v[n] = lua_tonumber(L, n + 1), n++;
  double start = n >= 2 ? v[0] : 0, stop = n >= 2 ? v[1] : (n ? v[0] : luaL_checknumber(L, 1)), step = n == 3 ? v[2] : 1;
  lmien_opts o;
  lmien_read_opts(L, n + 1, &o, MIEN_FLOAT32);
  lmien_push(L, finish(L, mien_arange(start, stop, step, o.dtype, o.device), &o));
  return 1;
}

/* --- lifetime --- */

static int l_gc(lua_State *L) {
  tensor_box *b = luaL_checkudata(L, 1, LMIEN_TENSOR);
  mien_release(b->t);
  b->t = NULL;
  return 0;
}

/* device_available(name): whether a backend serves that device ("cuda:1"). */
static int l_device_available(lua_State *L) {
  mien_device d = lmien_device_from_name(L, luaL_checkstring(L, 1));
  lua_pushboolean(L, mien_backend_for(d) != NULL);
  mien_clear_error();
  return 1;
}

static int l_live_tensors(lua_State *L) {
  lua_pushinteger(L, mien_live_tensors());
  return 1;
}

/* bytes_in_use([device]): bytes held by live tensors on a device ("cpu" by default). */
static int l_bytes_in_use(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)mien_storage_bytes_in_use(lmien_device_from_name(L, luaL_optstring(L, 1, "cpu"))));
  return 1;
}

/* --- to Lua --- */

static void push_table(lua_State *L, const mien_tensor *t, int dim, int64_t *index) {
  lua_createtable(L, (int)t->shape[dim], 0);
  for (int64_t i = 0; i < t->shape[dim]; i++) {
    index[dim] = i;
    if (dim + 1 < t->ndim) push_table(L, t, dim + 1, index);
    else if (mien_dtype_is_floating(t->dtype)) lua_pushnumber(L, mien_get(t, index));
    else lua_pushinteger(L, (lua_Integer)mien_get(t, index));
    lua_rawseti(L, -2, i + 1);
  }
}

static int l_totable(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int64_t index[MIEN_MAX_DIMS] = {0};
  if (t->ndim == 0) {
    if (mien_dtype_is_floating(t->dtype)) lua_pushnumber(L, mien_get(t, index));
    else lua_pushinteger(L, (lua_Integer)mien_get(t, index));
    return 1;
  }
  push_table(L, t, 0, index);
  return 1;
}

static int l_item(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  double v;
  LMIEN_CHECK(L, mien_item(t, &v));
  if (mien_dtype_is_floating(t->dtype)) lua_pushnumber(L, v);
  else lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

static int l_shape(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  lua_createtable(L, t->ndim, 0);
  for (int d = 0; d < t->ndim; d++) {
    lua_pushinteger(L, t->shape[d]);
    lua_rawseti(L, -2, d + 1);
  }
  return 1;
}

static int l_size(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  if (lua_isnoneornil(L, 2)) return l_shape(L);
  lua_pushinteger(L, t->shape[mien_normalize_dim(t, lmien_dim(L, 2, t), "size")]);
  return 1;
}

static int l_stride(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  lua_createtable(L, t->ndim, 0);
  for (int d = 0; d < t->ndim; d++) {
    lua_pushinteger(L, t->stride[d]);
    lua_rawseti(L, -2, d + 1);
  }
  return 1;
}

static int l_dim(lua_State *L) {
  lua_pushinteger(L, lmien_check(L, 1)->ndim);
  return 1;
}

static int l_numel(lua_State *L) {
  lua_pushinteger(L, mien_numel(lmien_check(L, 1)));
  return 1;
}

static int l_len(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  if (t->ndim == 0) luaL_error(L, "# of a 0-d tensor: it has no length");
  lua_pushinteger(L, t->shape[0]);
  return 1;
}

static int l_dtype(lua_State *L) {
  lua_pushstring(L, mien_dtype_name(lmien_check(L, 1)->dtype));
  return 1;
}

static int l_device(lua_State *L) {
  char name[32];
  lua_pushstring(L, mien_device_str(mien_tensor_device(lmien_check(L, 1)), name, sizeof name));
  return 1;
}

static int l_is_contiguous(lua_State *L) {
  lua_pushboolean(L, mien_is_contiguous(lmien_check(L, 1)));
  return 1;
}

/* --- autograd fields, numeric indexing --- */

static int l_index(lua_State *L) {
  if (lua_type(L, 2) == LUA_TNUMBER) { /* t[i]: a row, or a number for 1-d tensors */
    mien_tensor *t = lmien_check(L, 1);
    if (t->ndim == 0) luaL_error(L, "cannot index a 0-d tensor; use :item()");
    lua_Integer i = luaL_checkinteger(L, 2);
    if (i < 1 || i > t->shape[0])
      luaL_error(L, "index %d is out of range 1..%d", (int)i, (int)t->shape[0]);
    if (t->ndim == 1) {
      int64_t idx = i - 1;
      double v = mien_get(t, &idx);
      if (mien_dtype_is_floating(t->dtype)) lua_pushnumber(L, v);
      else lua_pushinteger(L, (lua_Integer)v);
      return 1;
    }
    lmien_push(L, mien_select(t, 0, i - 1));
    return 1;
  }
  const char *key = luaL_checkstring(L, 2);
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1;
  mien_tensor *t = lmien_check(L, 1);
  if (strcmp(key, "grad") == 0) {
    if (!t->grad) return 0;
    lmien_push(L, mien_retain(t->grad));
    return 1;
  }
  if (strcmp(key, "requires_grad") == 0) {
    lua_pushboolean(L, t->requires_grad);
    return 1;
  }
  if (strcmp(key, "is_leaf") == 0) {
    lua_pushboolean(L, t->grad_fn == NULL);
    return 1;
  }
  if (strcmp(key, "grad_fn") == 0) {
    if (!t->grad_fn) return 0;
    lua_pushstring(L, t->grad_fn->name);
    return 1;
  }
  return 0;
}

static int l_newindex(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) { /* t[i] = number or tensor */
    lua_Integer i = luaL_checkinteger(L, 2);
    if (t->ndim == 0 || i < 1 || i > t->shape[0]) luaL_error(L, "index %d is out of range", (int)i);
    mien_tensor *row = mien_select(t, 0, i - 1);
    if (!row) lmien_error(L);
    int rc = lua_type(L, 3) == LUA_TNUMBER ? mien_fill_(row, lua_tonumber(L, 3)) : mien_copy_(row, lmien_check(L, 3));
    mien_release(row);
    LMIEN_CHECK(L, rc);
    return 0;
  }
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "grad") == 0) {
    mien_tensor *g = lmien_opt(L, 3);
    if (g && !mien_same_shape(g, t)) luaL_error(L, "grad: shape does not match the tensor");
    if (g && g->dtype != t->dtype) /* backward would fail to accumulate into it */
      luaL_error(L, "grad: a %s gradient for a %s tensor", mien_dtype_name(g->dtype), mien_dtype_name(t->dtype));
    mien_release(t->grad);
    t->grad = mien_retain(g);
    return 0;
  }
  if (strcmp(key, "requires_grad") == 0) {
    if (lua_toboolean(L, 3) && !mien_dtype_is_float(t->dtype))
      luaL_error(L, "requires_grad needs a float tensor, not %s", mien_dtype_name(t->dtype));
    t->requires_grad = lua_toboolean(L, 3);
    return 0;
  }
  return luaL_error(L, "cannot set field '%s' of a tensor", key);
}

static int l_requires_grad_(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int on = lua_isnoneornil(L, 2) ? 1 : lua_toboolean(L, 2);
  if (on && !mien_dtype_is_float(t->dtype)) luaL_error(L, "requires_grad needs a float tensor, not %s", mien_dtype_name(t->dtype));
  t->requires_grad = on;
  lua_settop(L, 1);
  return 1;
}

static int l_backward(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  mien_tensor *g = NULL;
  int opts = 2;
  if (lmien_is_tensor(L, 2)) g = lmien_check(L, 2), opts = 3;
  int retain = lmien_opt_bool(L, opts, "retain_graph", 0);
  LMIEN_CHECK(L, mien_backward(t, g, retain));
  return 0;
}

static int l_no_grad(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  bool was = mien_set_grad_enabled(false);
  int n = lua_gettop(L);
  int rc = lua_pcall(L, n - 1, LUA_MULTRET, 0);
  mien_set_grad_enabled(was);
  if (rc != LUA_OK) return lua_error(L);
  return lua_gettop(L);
}

static int l_set_grad_enabled(lua_State *L) {
  lua_pushboolean(L, mien_set_grad_enabled(lua_toboolean(L, 1)));
  return 1;
}

static int l_is_grad_enabled(lua_State *L) {
  lua_pushboolean(L, mien_grad_enabled());
  return 1;
}

void lmien_register_tensor(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"tensor", l_tensor}, {"randperm", l_randperm}, {"arange", l_arange}, {"device_available", l_device_available},
      {"live_tensors", l_live_tensors}, {"bytes_in_use", l_bytes_in_use}, {"no_grad", l_no_grad},
      {"set_grad_enabled", l_set_grad_enabled}, {"is_grad_enabled", l_is_grad_enabled}, {NULL, NULL}};
  static const luaL_Reg methods[] = {
      {"totable", l_totable}, {"item", l_item}, {"shape", l_shape}, {"size", l_size}, {"stride", l_stride},
      {"dim", l_dim}, {"numel", l_numel}, {"dtype", l_dtype}, {"device", l_device},
      {"is_contiguous", l_is_contiguous}, {"requires_grad_", l_requires_grad_}, {"backward", l_backward},
      {"close", l_gc}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
  static const char *const makers[] = {"zeros", "ones", "full", "rand", "randn", "bernoulli"};
  for (int k = 0; k < 6; k++) {
    lua_pushinteger(L, k);
    lua_pushcclosure(L, l_make, 1);
    lua_setfield(L, -2, makers[k]);
  }
  /* methods table: core.Tensor, extended by the ops file and by init.lua */
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_pushvalue(L, -1);
  lua_setfield(L, -3, "Tensor");
  luaL_newmetatable(L, LMIEN_TENSOR);
  lua_pushvalue(L, -2);
  lua_pushcclosure(L, l_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, l_newindex);
  lua_setfield(L, -2, "__newindex");
  lua_pushcfunction(L, l_gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, l_gc);
  lua_setfield(L, -2, "__close");
  lua_pushcfunction(L, l_len);
  lua_setfield(L, -2, "__len");
  lua_pushstring(L, "mien.Tensor");
  lua_setfield(L, -2, "__name");
  lua_pop(L, 2);
}
