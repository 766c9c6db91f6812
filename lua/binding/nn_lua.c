/* mien.F: the functional NN ops. Options come in a trailing table, e.g.
 * F.conv2d(x, w, b, {stride=1, padding=1}); class labels are 1-based. */
#include <math.h>
#include <string.h>

#include "lmien.h"

/* An option that is a number or a {h, w} pair. */
static void pair_opt(lua_State *L, int arg, const char *key, int64_t dflt, int64_t *out) {
  out[0] = out[1] = dflt;
  if (!lua_istable(L, arg)) return;
  int t = lua_getfield(L, arg, key);
  if (t == LUA_TNUMBER) {
    out[0] = out[1] = lua_tointeger(L, -1);
  } else if (t == LUA_TTABLE) {
    for (int k = 0; k < 2; k++) {
      lua_geti(L, -1, k + 1);
      out[k] = luaL_checkinteger(L, -1);
      lua_pop(L, 1);
    }
  } else if (t != LUA_TNIL) {
    luaL_error(L, "option '%s' must be a number or a {h, w} pair", key);
  }
  lua_pop(L, 1);
}

static mien_reduction reduction_opt(lua_State *L, int arg) {
  if (!lua_istable(L, arg)) return MIEN_REDUCE_MEAN;
  lua_getfield(L, arg, "reduction");
  const char *r = luaL_optstring(L, -1, "mean");
  lua_pop(L, 1);
  if (strcmp(r, "mean") == 0) return MIEN_REDUCE_MEAN;
  if (strcmp(r, "sum") == 0) return MIEN_REDUCE_SUM;
  if (strcmp(r, "none") == 0) return MIEN_REDUCE_NONE;
  luaL_error(L, "reduction must be \"mean\", \"sum\" or \"none\", got \"%s\"", r);
  return MIEN_REDUCE_MEAN;
}

static mien_tensor *tensor_field(lua_State *L, int arg, const char *key) {
  if (!lua_istable(L, arg)) return NULL;
  lua_getfield(L, arg, key);
  mien_tensor *t = lua_isnil(L, -1) ? NULL : lmien_check(L, -1);
  lua_pop(L, 1); /* the options table keeps it alive */
  return t;
}

static int l_linear(lua_State *L) {
  lmien_push(L, mien_linear(lmien_check(L, 1), lmien_check(L, 2), lmien_opt(L, 3)));
  return 1;
}

static int l_conv2d(lua_State *L) {
  mien_conv2d_opts o;
  pair_opt(L, 4, "stride", 1, o.stride);
  pair_opt(L, 4, "padding", 0, o.padding);
  pair_opt(L, 4, "dilation", 1, o.dilation);
  o.groups = (int64_t)lmien_opt_number(L, 4, "groups", 1);
  lmien_push(L, mien_conv2d(lmien_check(L, 1), lmien_check(L, 2), lmien_opt(L, 3), &o));
  return 1;
}

/* F.conv2d_fused(x, w, b, {stride=, padding=, dilation=, groups=, relu=false, pool=false}): inference only. */
static int l_conv2d_fused(lua_State *L) {
  mien_conv2d_opts o;
  pair_opt(L, 4, "stride", 1, o.stride);
  pair_opt(L, 4, "padding", 0, o.padding);
  pair_opt(L, 4, "dilation", 1, o.dilation);
  o.groups = (int64_t)lmien_opt_number(L, 4, "groups", 1);
  const bool relu = lmien_opt_bool(L, 4, "relu", 0), pool = lmien_opt_bool(L, 4, "pool", 0);
  lmien_push(L, mien_conv2d_fused(lmien_check(L, 1), lmien_check(L, 2), lmien_opt(L, 3), &o, relu, pool));
  return 1;
}

static void pool_opts(lua_State *L, int arg, mien_pool2d_opts *o) {
  if (lua_type(L, arg) == LUA_TNUMBER) { /* F.max_pool2d(x, 2) */
    o->kernel[0] = o->kernel[1] = lua_tointeger(L, arg);
    o->stride[0] = o->stride[1] = o->kernel[0];
    o->padding[0] = o->padding[1] = 0;
    o->ceil_mode = false;
    o->count_include_pad = true;
    return;
  }
  luaL_checktype(L, arg, LUA_TTABLE);
  pair_opt(L, arg, "kernel_size", 0, o->kernel);
  if (o->kernel[0] <= 0) luaL_error(L, "pooling needs kernel_size");
  pair_opt(L, arg, "stride", 0, o->stride);
  if (o->stride[0] <= 0) o->stride[0] = o->kernel[0], o->stride[1] = o->kernel[1];
  pair_opt(L, arg, "padding", 0, o->padding);
  o->ceil_mode = lmien_opt_bool(L, arg, "ceil_mode", 0);
  o->count_include_pad = lmien_opt_bool(L, arg, "count_include_pad", 1);
}

static int l_max_pool2d(lua_State *L) {
  mien_pool2d_opts o;
  pool_opts(L, 2, &o);
  lmien_push(L, mien_max_pool2d(lmien_check(L, 1), &o));
  return 1;
}

static int l_avg_pool2d(lua_State *L) {
  mien_pool2d_opts o;
  pool_opts(L, 2, &o);
  lmien_push(L, mien_avg_pool2d(lmien_check(L, 1), &o));
  return 1;
}

static int l_global_avg_pool2d(lua_State *L) {
  lmien_push(L, mien_global_avg_pool2d(lmien_check(L, 1)));
  return 1;
}

/* F.batch_norm(x, running_mean, running_var, {weight=, bias=, training=, momentum=, eps=}) */
static int l_batch_norm(lua_State *L) {
  mien_tensor *x = lmien_check(L, 1);
  mien_tensor *rm = lmien_opt(L, 2), *rv = lmien_opt(L, 3);
  lmien_push(L, mien_batch_norm(x, rm, rv, tensor_field(L, 4, "weight"), tensor_field(L, 4, "bias"),
                                lmien_opt_bool(L, 4, "training", 0), lmien_opt_number(L, 4, "momentum", 0.1),
                                lmien_opt_number(L, 4, "eps", 1e-5)));
  return 1;
}

static int l_dropout(lua_State *L) {
  lmien_push(L, mien_dropout(lmien_check(L, 1), luaL_optnumber(L, 2, 0.5), lua_isnoneornil(L, 3) || lua_toboolean(L, 3)));
  return 1;
}

static int l_relu(lua_State *L) {
  lmien_push(L, mien_unary(MIEN_RELU, lmien_check(L, 1)));
  return 1;
}

static int l_relu6(lua_State *L) {
  lmien_push(L, mien_unary(MIEN_RELU6, lmien_check(L, 1)));
  return 1;
}

static int l_sigmoid(lua_State *L) {
  lmien_push(L, mien_unary(MIEN_SIGMOID, lmien_check(L, 1)));
  return 1;
}

static int l_tanh(lua_State *L) {
  lmien_push(L, mien_unary(MIEN_TANH, lmien_check(L, 1)));
  return 1;
}

static int l_leaky_relu(lua_State *L) {
  lmien_push(L, mien_leaky_relu(lmien_check(L, 1), luaL_optnumber(L, 2, 0.01)));
  return 1;
}

static int l_prelu(lua_State *L) {
  lmien_push(L, mien_prelu(lmien_check(L, 1), lmien_check(L, 2)));
  return 1;
}

static int softmax_like(lua_State *L, int log) {
  mien_tensor *x = lmien_check(L, 1);
  int d = lua_isnoneornil(L, 2) ? -1 : lmien_dim(L, 2, x);
  lmien_push(L, log ? mien_log_softmax(x, d) : mien_softmax(x, d));
  return 1;
}

static int l_softmax(lua_State *L) { return softmax_like(L, 0); }
static int l_log_softmax(lua_State *L) { return softmax_like(L, 1); }

/* F.cross_entropy(logits, labels, {weight=, label_smoothing=, reduction=}); labels 1-based
 * int64 class indices [N], or target distributions [N,C] (floating point). */
static int l_cross_entropy(lua_State *L) {
  mien_tensor *logits = lmien_check(L, 1);
  mien_tensor *labels = lmien_check(L, 2);
  if (mien_dtype_is_float(labels->dtype)) { /* soft targets */
    lmien_push(L, mien_cross_entropy_soft(logits, labels, tensor_field(L, 3, "weight"),
                                          lmien_opt_number(L, 3, "label_smoothing", 0), reduction_opt(L, 3)));
    return 1;
  }
  if (labels->dtype != MIEN_INT64)
    luaL_error(L, "cross_entropy: labels must be int64 class indices (1-based) or floating-point distributions, got %s",
               mien_dtype_name(labels->dtype));
  /* read the options first: a Lua error after zero_based exists would leak it */
  mien_tensor *weight = tensor_field(L, 3, "weight");
  double smoothing = lmien_opt_number(L, 3, "label_smoothing", 0);
  mien_reduction reduction = reduction_opt(L, 3);
  mien_tensor *zero_based = mien_binary_scalar(MIEN_SUB, labels, 1, false);
  if (!zero_based) lmien_error(L);
  mien_tensor *out = mien_cross_entropy(logits, zero_based, weight, smoothing, reduction);
  mien_release(zero_based);
  lmien_push(L, out);
  return 1;
}

static int l_bce_with_logits(lua_State *L) {
  lmien_push(L, mien_bce_with_logits(lmien_check(L, 1), lmien_check(L, 2), tensor_field(L, 3, "pos_weight"),
                                     reduction_opt(L, 3)));
  return 1;
}

static int l_mse(lua_State *L) {
  lmien_push(L, mien_mse(lmien_check(L, 1), lmien_check(L, 2), reduction_opt(L, 3)));
  return 1;
}

static int l_flatten(lua_State *L) {
  mien_tensor *x = lmien_check(L, 1);
  int s = lua_isnoneornil(L, 2) ? (x->ndim > 1 ? 1 : 0) : lmien_dim(L, 2, x);
  lmien_push(L, mien_flatten(x, s, -1));
  return 1;
}

/* F.pad(x, {left, right, top, bottom}, value) */
static int l_pad(lua_State *L) {
  mien_tensor *x = lmien_check(L, 1);
  int64_t pad[2 * MIEN_MAX_DIMS];
  luaL_checktype(L, 2, LUA_TTABLE);
  int n = (int)luaL_len(L, 2);
  if (n > 2 * MIEN_MAX_DIMS) luaL_error(L, "pad: too many numbers");
  for (int k = 0; k < n; k++) {
    lua_geti(L, 2, k + 1);
    pad[k] = luaL_checkinteger(L, -1);
    lua_pop(L, 1);
  }
  lmien_push(L, mien_pad(x, n, pad, luaL_optnumber(L, 3, 0)));
  return 1;
}

void lmien_register_nn(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"linear", l_linear}, {"conv2d", l_conv2d}, {"conv2d_fused", l_conv2d_fused}, {"max_pool2d", l_max_pool2d}, {"avg_pool2d", l_avg_pool2d},
      {"global_avg_pool2d", l_global_avg_pool2d}, {"batch_norm", l_batch_norm}, {"dropout", l_dropout},
      {"relu", l_relu}, {"relu6", l_relu6}, {"sigmoid", l_sigmoid}, {"tanh", l_tanh}, {"leaky_relu", l_leaky_relu},
      {"prelu", l_prelu}, {"softmax", l_softmax}, {"log_softmax", l_log_softmax}, {"cross_entropy", l_cross_entropy},
      {"binary_cross_entropy_with_logits", l_bce_with_logits}, {"mse_loss", l_mse}, {"flatten", l_flatten},
      {"pad", l_pad}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, funcs, 0);
  lua_setfield(L, -2, "F");
}
