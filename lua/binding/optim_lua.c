/* The fused optimizer updates for lua/mien/optim (one call per parameter):
 *   core.sgd_update(p, grad, buf|nil, {lr=, momentum=, dampening=, weight_decay=, nesterov=, first=})
 *   core.adam_update(p, grad, exp_avg, exp_avg_sq, max_exp_avg_sq|nil,
 *                    {lr=, beta1=, beta2=, eps=, weight_decay=, step=, amsgrad=, decoupled=})
 *   core.rmsprop_update(p, grad, square_avg, grad_avg|nil, buf|nil,
 *                       {lr=, alpha=, eps=, weight_decay=, momentum=, centered=})
 *   core.sum_squares(t) -> number;  core.clamp_(t, lo, hi) -> t
 * and their multi-tensor forms, lists of tensors in place of each tensor (a
 * list of optional state may be nil, or hold false for a missing entry):
 *   core.sgd_update_many(ps, grads, bufs|nil, opts)
 *   core.adam_update_many(ps, grads, exp_avgs, exp_avg_sqs, max_exp_avg_sqs|nil, opts)
 *   core.rmsprop_update_many(ps, grads, square_avgs, grad_avgs|nil, bufs|nil, opts) */
#include "lmien.h"

static double need_number(lua_State *L, int arg, const char *key) {
  luaL_checktype(L, arg, LUA_TTABLE);
  lua_getfield(L, arg, key);
  if (lua_type(L, -1) != LUA_TNUMBER) luaL_error(L, "optimizer option '%s' must be a number", key);
  double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

/* The options table at arg of each optimizer, read once for the one-tensor
 * and the multi-tensor updates. */
static mien_sgd_opts sgd_opts(lua_State *L, int arg) {
  mien_sgd_opts o;
  o.lr = need_number(L, arg, "lr");
  o.momentum = lmien_opt_number(L, arg, "momentum", 0);
  o.dampening = lmien_opt_number(L, arg, "dampening", 0);
  o.weight_decay = lmien_opt_number(L, arg, "weight_decay", 0);
  o.nesterov = lmien_opt_bool(L, arg, "nesterov", 0);
  o.first = lmien_opt_bool(L, arg, "first", 0);
  return o;
}

static mien_adam_opts adam_opts(lua_State *L, int arg) {
  mien_adam_opts o;
  o.lr = need_number(L, arg, "lr");
  o.beta1 = lmien_opt_number(L, arg, "beta1", 0.9);
  o.beta2 = lmien_opt_number(L, arg, "beta2", 0.999);
  o.eps = lmien_opt_number(L, arg, "eps", 1e-8);
  o.weight_decay = lmien_opt_number(L, arg, "weight_decay", 0);
  o.step = (long long)need_number(L, arg, "step");
  o.amsgrad = lmien_opt_bool(L, arg, "amsgrad", 0);
  o.decoupled = lmien_opt_bool(L, arg, "decoupled", 0);
  return o;
}

static mien_rmsprop_opts rmsprop_opts(lua_State *L, int arg) {
  mien_rmsprop_opts o;
  o.lr = need_number(L, arg, "lr");
  o.alpha = lmien_opt_number(L, arg, "alpha", 0.99);
  o.eps = lmien_opt_number(L, arg, "eps", 1e-8);
  o.weight_decay = lmien_opt_number(L, arg, "weight_decay", 0);
  o.momentum = lmien_opt_number(L, arg, "momentum", 0);
  o.centered = lmien_opt_bool(L, arg, "centered", 0);
  return o;
}

static int l_sgd_update(lua_State *L) {
  mien_tensor *p = lmien_check(L, 1), *g = lmien_check(L, 2), *buf = lmien_opt(L, 3);
  const mien_sgd_opts o = sgd_opts(L, 4);
  LMIEN_CHECK(L, mien_sgd_update(p, g, buf, &o));
  return 0;
}

static int l_adam_update(lua_State *L) {
  mien_tensor *p = lmien_check(L, 1), *g = lmien_check(L, 2);
  mien_tensor *m = lmien_check(L, 3), *v = lmien_check(L, 4), *vmax = lmien_opt(L, 5);
  const mien_adam_opts o = adam_opts(L, 6);
  LMIEN_CHECK(L, mien_adam_update(p, g, m, v, vmax, &o));
  return 0;
}

static int l_rmsprop_update(lua_State *L) {
  mien_tensor *p = lmien_check(L, 1), *g = lmien_check(L, 2), *sq = lmien_check(L, 3);
  mien_tensor *ga = lmien_opt(L, 4), *buf = lmien_opt(L, 5);
  const mien_rmsprop_opts o = rmsprop_opts(L, 6);
  LMIEN_CHECK(L, mien_rmsprop_update(p, g, sq, ga, buf, &o));
  return 0;
}

/* The n tensors of the list at arg, in an array that lives in a userdata
 * left on the stack (so an error frees it); NULL for a nil argument when
 * `optional`. Entries false/nil are NULL when `optional`. */
static mien_tensor **tensor_list(lua_State *L, int arg, int n, bool optional, const char *what) {
  if (optional && lua_isnoneornil(L, arg)) return NULL;
  if (lua_type(L, arg) != LUA_TTABLE) luaL_error(L, "%s must be a list of tensors", what);
  if ((lua_Integer)luaL_len(L, arg) != n)
    luaL_error(L, "%s has %d tensors, the parameters %d", what, (int)luaL_len(L, arg), n);
  mien_tensor **out = lua_newuserdatauv(L, sizeof *out * (size_t)(n ? n : 1), 0);
  for (int i = 0; i < n; i++) {
    lua_geti(L, arg, i + 1);
    if (optional && (lua_isnil(L, -1) || (lua_isboolean(L, -1) && !lua_toboolean(L, -1)))) out[i] = NULL;
    else if (!luaL_testudata(L, -1, LMIEN_TENSOR)) luaL_error(L, "%s[%d] is not a tensor", what, i + 1);
    else out[i] = lmien_check(L, -1);
    lua_pop(L, 1);
  }
  return out;
}

static int param_count(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_Integer n = luaL_len(L, 1);
  if (n > 1 << 24) luaL_error(L, "too many parameters for one update: %d", (int)n);
  return (int)n;
}

static int l_sgd_update_many(lua_State *L) {
  const int n = param_count(L);
  const mien_sgd_opts o = sgd_opts(L, 4);
  mien_tensor **p = tensor_list(L, 1, n, false, "the parameters"), **g = tensor_list(L, 2, n, false, "the gradients");
  mien_tensor **buf = tensor_list(L, 3, n, true, "the momentum buffers");
  LMIEN_CHECK(L, mien_sgd_update_many(n, p, g, buf, &o));
  return 0;
}

static int l_adam_update_many(lua_State *L) {
  const int n = param_count(L);
  const mien_adam_opts o = adam_opts(L, 6);
  mien_tensor **p = tensor_list(L, 1, n, false, "the parameters"), **g = tensor_list(L, 2, n, false, "the gradients");
  mien_tensor **m = tensor_list(L, 3, n, false, "exp_avgs"), **v = tensor_list(L, 4, n, false, "exp_avg_sqs");
  mien_tensor **vmax = tensor_list(L, 5, n, true, "max_exp_avg_sqs");
  LMIEN_CHECK(L, mien_adam_update_many(n, p, g, m, v, vmax, &o));
  return 0;
}

static int l_rmsprop_update_many(lua_State *L) {
  const int n = param_count(L);
  const mien_rmsprop_opts o = rmsprop_opts(L, 6);
  mien_tensor **p = tensor_list(L, 1, n, false, "the parameters"), **g = tensor_list(L, 2, n, false, "the gradients");
  mien_tensor **sq = tensor_list(L, 3, n, false, "square_avgs"), **ga = tensor_list(L, 4, n, true, "grad_avgs");
  mien_tensor **buf = tensor_list(L, 5, n, true, "the momentum buffers");
  LMIEN_CHECK(L, mien_rmsprop_update_many(n, p, g, sq, ga, buf, &o));
  return 0;
}

static int l_sum_squares(lua_State *L) {
  double s;
  LMIEN_CHECK(L, mien_sum_squares(lmien_check(L, 1), &s));
  lua_pushnumber(L, s);
  return 1;
}

static int l_clamp_(lua_State *L) {
  LMIEN_CHECK(L, mien_clamp_(lmien_check(L, 1), luaL_checknumber(L, 2), luaL_checknumber(L, 3)));
  lua_settop(L, 1);
  return 1;
}

void lmien_register_optim(lua_State *L) {
  static const luaL_Reg funcs[] = {{"sgd_update", l_sgd_update}, {"adam_update", l_adam_update},
                                   {"rmsprop_update", l_rmsprop_update}, {"sum_squares", l_sum_squares},
                                   {"sgd_update_many", l_sgd_update_many}, {"adam_update_many", l_adam_update_many},
                                   {"rmsprop_update_many", l_rmsprop_update_many},
                                   {"clamp_", l_clamp_}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
