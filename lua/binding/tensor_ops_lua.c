/* Tensor methods: views, conversion, elementwise math, reductions, matmul,
 * and the arithmetic metamethods. Dims and indices are 1-based here. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "lmien.h"

/* --- views --- */

/* view, reshape and expand: t:f(shape) with the core function an upvalue. */
typedef mien_tensor *(*shape_fn)(mien_tensor *t, int ndim, const int64_t *shape);

static int l_with_shape(lua_State *L) {
  shape_fn f = (shape_fn)(uintptr_t)lua_touserdata(L, lua_upvalueindex(1));
  mien_tensor *t = lmien_check(L, 1);
  int64_t shape[MIEN_MAX_DIMS];
  int n = lmien_shape(L, 2, shape);
  lmien_push(L, f(t, n, shape));
  return 1;
}

static int l_permute(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int64_t dims[MIEN_MAX_DIMS];
  int n = lmien_shape(L, 2, dims);
  if (n != t->ndim) luaL_error(L, "permute: got %d dims for a tensor with %d", n, t->ndim);
  int perm[MIEN_MAX_DIMS];
  for (int d = 0; d < n; d++) {
    int k = lmien_dim_value(L, dims[d], t);
    perm[d] = k < 0 ? k + t->ndim : k;
  }
  lmien_push(L, mien_permute(t, perm));
  return 1;
}

static int l_transpose(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  if (lua_isnoneornil(L, 2)) {
    if (t->ndim != 2) luaL_error(L, "t(): needs a 2-d tensor; use transpose(d1, d2)");
    lmien_push(L, mien_transpose(t, 0, 1));
    return 1;
  }
  lmien_push(L, mien_transpose(t, lmien_dim(L, 2, t), lmien_dim(L, 3, t)));
  return 1;
}

static int l_narrow(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  lmien_push(L, mien_narrow(t, lmien_dim(L, 2, t), luaL_checkinteger(L, 3) - 1, luaL_checkinteger(L, 4)));
  return 1;
}

static int l_select(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  lmien_push(L, mien_select(t, lmien_dim(L, 2, t), luaL_checkinteger(L, 3) - 1));
  return 1;
}

static int l_unsqueeze(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  lua_Integer d = luaL_checkinteger(L, 2);
  if (d == 0 || d > t->ndim + 1 || d < -(t->ndim + 1)) luaL_error(L, "unsqueeze: dim %d is out of range 1..%d", (int)d, t->ndim + 1);
  lmien_push(L, mien_unsqueeze(t, d > 0 ? (int)d - 1 : (int)d));
  return 1;
}

static int l_squeeze(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  if (!lua_isnoneornil(L, 2)) {
    lmien_push(L, mien_squeeze(t, lmien_dim(L, 2, t)));
    return 1;
  }
  int64_t shape[MIEN_MAX_DIMS];
  int n = 0;
  for (int d = 0; d < t->ndim; d++)
    if (t->shape[d] != 1) shape[n++] = t->shape[d];
  lmien_push(L, mien_reshape(t, n, shape));
  return 1;
}

static int l_flatten(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int s = lua_isnoneornil(L, 2) ? 0 : lmien_dim(L, 2, t);
  int e = lua_isnoneornil(L, 3) ? -1 : lmien_dim(L, 3, t);
  lmien_push(L, mien_flatten(t, s, e));
  return 1;
}

static int l_contiguous(lua_State *L) {
  lmien_push(L, mien_contiguous(lmien_check(L, 1)));
  return 1;
}

static int l_clone(lua_State *L) {
  lmien_push(L, mien_clone(lmien_check(L, 1)));
  return 1;
}

static int l_detach(lua_State *L) {
  lmien_push(L, mien_detach(lmien_check(L, 1)));
  return 1;
}

/* --- conversion --- */

static int l_to(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  const char *what = luaL_checkstring(L, 2);
  mien_dtype dt;
  if (mien_dtype_from_name(what, &dt) == 0 || strcmp(what, "float") == 0 || strcmp(what, "double") == 0 ||
      strcmp(what, "long") == 0 || strcmp(what, "byte") == 0)
    lmien_push(L, mien_to_dtype(t, lmien_dtype_from_name(L, what)));
  else
    lmien_push(L, mien_to_device(t, lmien_device_from_name(L, what)));
  return 1;
}

#define CONVERT(name, dt)                         \
  static int l_##name(lua_State *L) {             \
    lmien_push(L, mien_to_dtype(lmien_check(L, 1), dt)); \
    return 1;                                     \
  }
CONVERT(float, MIEN_FLOAT32)
CONVERT(double, MIEN_FLOAT64)
CONVERT(long, MIEN_INT64)
CONVERT(byte, MIEN_UINT8)

static int l_cpu(lua_State *L) {
  lmien_push(L, mien_to_device(lmien_check(L, 1), MIEN_HOST));
  return 1;
}

/* t:cuda([index]): to device cuda:index (0 by default, as in "cuda:0"). */
static int l_cuda(lua_State *L) {
  lua_Integer index = luaL_optinteger(L, 2, 0);
  if (index < 0 || index > 0xffff) luaL_error(L, "cuda: device index %d is out of range", (int)index);
  lmien_push(L, mien_to_device(lmien_check(L, 1), mien_device_make(MIEN_DEVICE_CUDA, (int)index)));
  return 1;
}

/* --- in place --- */

static int l_fill_(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  LMIEN_CHECK(L, mien_fill_(t, luaL_checknumber(L, 2)));
  lua_settop(L, 1);
  return 1;
}

static int l_zero_(lua_State *L) {
  LMIEN_CHECK(L, mien_fill_(lmien_check(L, 1), 0));
  lua_settop(L, 1);
  return 1;
}

static int l_copy_(lua_State *L) {
  LMIEN_CHECK(L, mien_copy_(lmien_check(L, 1), lmien_check(L, 2)));
  lua_settop(L, 1);
  return 1;
}

static int l_add_(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  double alpha = luaL_optnumber(L, 3, 1.0); /* before the reference below, which an error would leak */
  mien_tensor *o = lmien_tensor_or_scalar(L, 2, t);
  int rc = mien_add_(t, o, alpha);
  mien_release(o);
  LMIEN_CHECK(L, rc);
  lua_settop(L, 1);
  return 1;
}

static int l_mul_(lua_State *L) {
  LMIEN_CHECK(L, mien_mul_scalar_(lmien_check(L, 1), luaL_checknumber(L, 2)));
  lua_settop(L, 1);
  return 1;
}

static int l_uniform_(lua_State *L) {
  LMIEN_CHECK(L, mien_uniform_(lmien_check(L, 1), luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)));
  lua_settop(L, 1);
  return 1;
}

static int l_normal_(lua_State *L) {
  LMIEN_CHECK(L, mien_normal_(lmien_check(L, 1), luaL_optnumber(L, 2, 0), luaL_optnumber(L, 3, 1)));
  lua_settop(L, 1);
  return 1;
}

/* --- elementwise --- */

static int binary(lua_State *L, mien_binary_op op) {
  if (!lmien_is_tensor(L, 1)) { /* number op tensor, from a metamethod */
    mien_tensor *b = lmien_check(L, 2);
    lmien_push(L, mien_binary_scalar(op, b, luaL_checknumber(L, 1), true));
    return 1;
  }
  mien_tensor *a = lmien_check(L, 1);
  if (lua_type(L, 2) == LUA_TNUMBER) {
    lmien_push(L, mien_binary_scalar(op, a, lua_tonumber(L, 2), false));
    return 1;
  }
  lmien_push(L, mien_binary(op, a, lmien_check(L, 2)));
  return 1;
}

#define BINARY(name, op) \
  static int l_##name(lua_State *L) { return binary(L, op); }
BINARY(add, MIEN_ADD)
BINARY(sub, MIEN_SUB)
BINARY(mul, MIEN_MUL)
BINARY(div, MIEN_DIV)
BINARY(pow, MIEN_POW)
BINARY(maximum, MIEN_MAXIMUM)
BINARY(minimum, MIEN_MINIMUM)
BINARY(eq, MIEN_EQ)
BINARY(ne, MIEN_NE)
BINARY(lt, MIEN_LT)
BINARY(le, MIEN_LE)
BINARY(gt, MIEN_GT)
BINARY(ge, MIEN_GE)

#define UNARY(name, op)                                      \
  static int l_##name(lua_State *L) {                        \
    lmien_push(L, mien_unary(op, lmien_check(L, 1)));        \
    return 1;                                                \
  }
UNARY(neg, MIEN_NEG)
UNARY(exp, MIEN_EXP)
UNARY(log, MIEN_LOG)
UNARY(sqrt, MIEN_SQRT)
UNARY(abs, MIEN_ABS)
UNARY(relu, MIEN_RELU)
UNARY(sigmoid, MIEN_SIGMOID)
UNARY(tanh, MIEN_TANH)
UNARY(sin, MIEN_SIN)
UNARY(cos, MIEN_COS)
UNARY(sign, MIEN_SIGN)
UNARY(floor_op, MIEN_FLOOR)
UNARY(ceil, MIEN_CEIL)
UNARY(round, MIEN_ROUND)
UNARY(rsqrt, MIEN_RSQRT)

static int l_clamp(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  double lo = lua_isnoneornil(L, 2) ? NAN : luaL_checknumber(L, 2);
  double hi = lua_isnoneornil(L, 3) ? NAN : luaL_checknumber(L, 3);
  lmien_push(L, mien_clamp(t, lo, hi));
  return 1;
}

static int l_where(lua_State *L) {
  mien_tensor *c = lmien_check(L, 1);
  mien_tensor *ref = lmien_is_tensor(L, 2) ? lmien_check(L, 2) : lmien_is_tensor(L, 3) ? lmien_check(L, 3) : NULL;
  if (!ref) luaL_error(L, "where: needs at least one tensor among the two value arguments");
  for (int k = 2; k <= 3; k++) /* raise before taking references, which an error would leak */
    if (lua_type(L, k) != LUA_TNUMBER) lmien_check(L, k);
  mien_tensor *a = lmien_tensor_or_scalar(L, 2, ref), *b = lmien_tensor_or_scalar(L, 3, ref);
  mien_tensor *out = mien_where(c, a, b);
  mien_release(a);
  mien_release(b);
  lmien_push(L, out);
  return 1;
}

/* --- reductions --- */

/* dims from a number, a table of numbers, or nil (all dims) */
static int reduce_dims(lua_State *L, int arg, const mien_tensor *t, int *dims) {
  if (lua_isnoneornil(L, arg)) return 0;
  if (lua_type(L, arg) == LUA_TNUMBER) {
    dims[0] = lmien_dim(L, arg, t);
    return 1;
  }
  luaL_checktype(L, arg, LUA_TTABLE);
  int n = (int)luaL_len(L, arg);
  if (n > MIEN_MAX_DIMS) luaL_error(L, "too many dims");
  for (int i = 0; i < n; i++) {
    lua_geti(L, arg, i + 1);
    dims[i] = lmien_dim_value(L, luaL_checkinteger(L, -1), t);
    lua_pop(L, 1);
  }
  return n;
}

static int reduce(lua_State *L, mien_reduce_op op) {
  mien_tensor *t = lmien_check(L, 1);
  int dims[MIEN_MAX_DIMS];
  int n = reduce_dims(L, 2, t, dims);
  int keep = lua_toboolean(L, 3);
  if (n == 0 && !lua_isnoneornil(L, 2)) { /* an empty table: nothing reduced */
    lmien_push(L, mien_retain(t));
    return 1;
  }
  lmien_push(L, mien_reduce(op, t, n, dims, keep));
  return 1;
}

static int l_sum(lua_State *L) { return reduce(L, MIEN_SUM); }
static int l_mean(lua_State *L) { return reduce(L, MIEN_MEAN); }
static int l_prod(lua_State *L) { return reduce(L, MIEN_PROD); }

/* max()/min() of everything, or along one dim: values and 1-based indices */
static int extreme(lua_State *L, mien_reduce_op op) {
  mien_tensor *t = lmien_check(L, 1);
  if (lua_type(L, 2) != LUA_TNUMBER) return reduce(L, op);
  int d = lmien_dim(L, 2, t), keep = lua_toboolean(L, 3);
  lmien_push(L, mien_reduce(op, t, 1, &d, keep));
  mien_tensor *idx = op == MIEN_MAX ? mien_argmax(t, d, keep) : mien_argmin(t, d, keep);
  if (!idx) lmien_error(L);
  mien_tensor *one = mien_binary_scalar(MIEN_ADD, idx, 1, false);
  mien_release(idx);
  lmien_push(L, one);
  return 2;
}

static int l_max(lua_State *L) { return extreme(L, MIEN_MAX); }
static int l_min(lua_State *L) { return extreme(L, MIEN_MIN); }

static int arg_extreme(lua_State *L, int want_max) {
  mien_tensor *t = lmien_check(L, 1);
  mien_tensor *idx;
  if (lua_isnoneornil(L, 2)) {
    mien_tensor *flat = mien_reshape(t, 1, (int64_t[]){-1});
    if (!flat) lmien_error(L);
    idx = want_max ? mien_argmax(flat, 0, false) : mien_argmin(flat, 0, false);
    mien_release(flat);
  } else {
    int d = lmien_dim(L, 2, t);
    idx = want_max ? mien_argmax(t, d, lua_toboolean(L, 3)) : mien_argmin(t, d, lua_toboolean(L, 3));
  }
  if (!idx) lmien_error(L);
  mien_tensor *one = mien_binary_scalar(MIEN_ADD, idx, 1, false);
  mien_release(idx);
  lmien_push(L, one);
  return 1;
}

static int l_argmax(lua_State *L) { return arg_extreme(L, 1); }
static int l_argmin(lua_State *L) { return arg_extreme(L, 0); }

static int l_var(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int dims[MIEN_MAX_DIMS];
  int n = reduce_dims(L, 2, t, dims);
  int unbiased = lmien_opt_bool(L, 3, "unbiased", 1), keep = lmien_opt_bool(L, 3, "keepdim", 0);
  lmien_push(L, mien_var(t, n, dims, unbiased, keep));
  return 1;
}

static int l_std(lua_State *L) {
  l_var(L);
  mien_tensor *v = lmien_check(L, -1);
  lmien_push(L, mien_unary(MIEN_SQRT, v));
  return 1;
}

static int l_matmul(lua_State *L) {
  lmien_push(L, mien_matmul(lmien_check(L, 1), lmien_check(L, 2)));
  return 1;
}

/* --- indexing with 1-based indices --- */

static mien_tensor *zero_based_index(lua_State *L, int arg, const char *op) {
  mien_tensor *idx;
  if (lua_istable(L, arg)) {
    int64_t n = (int64_t)luaL_len(L, arg);
    for (int64_t i = 0; i < n; i++) { /* check before allocating: a Lua error would leak idx */
      lua_geti(L, arg, i + 1);
      if (!lua_isinteger(L, -1))
        luaL_error(L, "%s: index %d is a %s, not an integer", op, (int)(i + 1), luaL_typename(L, -1));
      lua_pop(L, 1);
    }
    idx = mien_zeros(1, &n, MIEN_INT64, MIEN_HOST);
    if (!idx) lmien_error(L);
    int64_t *p = mien_data_ptr(idx);
    for (int64_t i = 0; i < n; i++) {
      lua_geti(L, arg, i + 1);
      p[i] = lua_tointeger(L, -1) - 1;
      lua_pop(L, 1);
    }
    return idx;
  }
  mien_tensor *t = lmien_check(L, arg);
  if (t->dtype != MIEN_INT64)
    luaL_error(L, "%s: indices must be an int64 tensor or a table of integers, got %s", op, mien_dtype_name(t->dtype));
  idx = mien_binary_scalar(MIEN_SUB, t, 1, false);
  if (!idx) lmien_error(L);
  return idx;
}

static int l_index_select(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int d = lmien_dim(L, 2, t);
  mien_tensor *idx = zero_based_index(L, 3, "index_select");
  mien_tensor *out = mien_index_select(t, d, idx);
  mien_release(idx);
  lmien_push(L, out);
  return 1;
}

static int l_gather(lua_State *L) {
  mien_tensor *t = lmien_check(L, 1);
  int d = lmien_dim(L, 2, t);
  mien_tensor *idx = zero_based_index(L, 3, "gather");
  mien_tensor *out = mien_gather(t, d, idx);
  mien_release(idx);
  lmien_push(L, out);
  return 1;
}

/* --- joining (module functions) --- */

static int join(lua_State *L, int stack) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 2); /* the scratch userdata below goes to index 3, not over an omitted dim */
  int n = (int)luaL_len(L, 1);
  if (n == 0) luaL_error(L, "%s: needs a non-empty list of tensors", stack ? "stack" : "cat");
  mien_tensor **ts = lua_newuserdatauv(L, sizeof(mien_tensor *) * (size_t)n, 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, 1, i + 1);
    if (!lmien_is_tensor(L, -1)) luaL_error(L, "%s: element %d is not a tensor", stack ? "stack" : "cat", i + 1);
    ts[i] = lmien_check(L, -1);
    lua_pop(L, 1);
  }
  lua_Integer d = luaL_optinteger(L, 2, 1);
  int dim;
  if (stack) {
    if (d == 0 || d > ts[0]->ndim + 1 || d < -(ts[0]->ndim + 1)) luaL_error(L, "stack: dim %d is out of range", (int)d);
    dim = d > 0 ? (int)d - 1 : (int)d;
  } else {
    dim = lmien_dim_value(L, d, ts[0]);
  }
  lmien_push(L, stack ? mien_stack(n, ts, dim) : mien_cat(n, ts, dim));
  return 1;
}

static int l_cat(lua_State *L) { return join(L, 0); }
static int l_stack(lua_State *L) { return join(L, 1); }

void lmien_register_tensor_ops(lua_State *L) {
  static const luaL_Reg methods[] = {
      {"permute", l_permute}, {"transpose", l_transpose},
      {"t", l_transpose}, {"narrow", l_narrow}, {"select", l_select},
      {"unsqueeze", l_unsqueeze}, {"squeeze", l_squeeze}, {"flatten", l_flatten}, {"contiguous", l_contiguous},
      {"clone", l_clone}, {"detach", l_detach}, {"to", l_to}, {"float", l_float}, {"double", l_double},
      {"long", l_long}, {"byte", l_byte}, {"cpu", l_cpu}, {"cuda", l_cuda}, {"fill_", l_fill_},
      {"zero_", l_zero_}, {"copy_", l_copy_}, {"add_", l_add_}, {"mul_", l_mul_}, {"uniform_", l_uniform_},
      {"normal_", l_normal_}, {"add", l_add}, {"sub", l_sub}, {"mul", l_mul}, {"div", l_div}, {"pow", l_pow},
      {"maximum", l_maximum}, {"minimum", l_minimum}, {"eq", l_eq}, {"ne", l_ne}, {"lt", l_lt}, {"le", l_le},
      {"gt", l_gt}, {"ge", l_ge}, {"neg", l_neg}, {"exp", l_exp}, {"log", l_log}, {"sqrt", l_sqrt},
      {"abs", l_abs}, {"relu", l_relu}, {"sigmoid", l_sigmoid}, {"tanh", l_tanh}, {"sin", l_sin},
      {"cos", l_cos}, {"sign", l_sign}, {"floor", l_floor_op}, {"ceil", l_ceil}, {"round", l_round},
      {"rsqrt", l_rsqrt}, {"clamp", l_clamp}, {"sum", l_sum}, {"mean", l_mean}, {"prod", l_prod},
      {"max", l_max}, {"min", l_min}, {"argmax", l_argmax}, {"argmin", l_argmin}, {"var", l_var},
      {"std", l_std}, {"matmul", l_matmul}, {"mm", l_matmul}, {"index_select", l_index_select},
      {"gather", l_gather}, {NULL, NULL}};
  static const luaL_Reg funcs[] = {{"cat", l_cat}, {"stack", l_stack}, {"where", l_where}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__add", l_add}, {"__sub", l_sub}, {"__mul", l_mul}, {"__div", l_div},
                                  {"__pow", l_pow}, {"__unm", l_neg}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
  lua_getfield(L, -1, "Tensor");
  luaL_setfuncs(L, methods, 0);
  static const struct { const char *name; shape_fn f; } shaped[] = {
      {"view", mien_view}, {"reshape", mien_reshape}, {"expand", mien_expand}};
  for (int k = 0; k < 3; k++) {
    lua_pushlightuserdata(L, (void *)(uintptr_t)shaped[k].f);
    lua_pushcclosure(L, l_with_shape, 1);
    lua_setfield(L, -2, shaped[k].name);
  }
  lua_pop(L, 1);
  luaL_getmetatable(L, LMIEN_TENSOR);
  luaL_setfuncs(L, meta, 0);
  lua_pop(L, 1);
}
