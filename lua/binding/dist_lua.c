/* mien.core.dist_*: the C side of mien.dist (lua/mien/dist/init.lua).
 * Tensors are reached only through mien_data_ptr on contiguous tensors; the
 * collectives work in place on them (see core/dist/dist.h). */
#include <string.h>

#include "mien.h"
#include "lmien.h"

/* A contiguous tensor at arg (collectives write into its memory). */
static mien_tensor *check_contiguous(lua_State *L, int arg, const char *what) {
  mien_tensor *t = lmien_check(L, arg);
  if (!mien_is_contiguous(t)) {
    char shape[64];
    luaL_error(L, "dist.%s: the tensor %s is not contiguous (call :contiguous() first)", what,
               mien_shape_str(t, shape, sizeof shape));
  }
  return t;
}

/* dist_env() -> rank, world_size, source: the launcher's view, nothing started. */
static int l_dist_env(lua_State *L) {
  int rank, size;
  const char *source;
  LMIEN_CHECK(L, mien_dist_env(&rank, &size, &source));
  lua_pushinteger(L, rank);
  lua_pushinteger(L, size);
  lua_pushstring(L, source);
  return 3;
}

/* dist_init(host_lib or nil, device_lib or nil) -> rank, world_size, backend */
static int l_dist_init(lua_State *L) {
  const char *host = luaL_optstring(L, 1, NULL), *device = luaL_optstring(L, 2, NULL);
  LMIEN_CHECK(L, mien_dist_init(host, device));
  lua_pushinteger(L, mien_dist_rank());
  lua_pushinteger(L, mien_dist_world_size());
  lua_pushstring(L, mien_dist_backend_name());
  return 3;
}

static int l_dist_state(lua_State *L) {
  lua_pushboolean(L, mien_dist_initialized());
  lua_pushinteger(L, mien_dist_rank());
  lua_pushinteger(L, mien_dist_world_size());
  lua_pushstring(L, mien_dist_backend_name());
  return 4;
}

static int l_dist_barrier(lua_State *L) {
  LMIEN_CHECK(L, mien_dist_barrier());
  return 0;
}

/* dist_all_reduce(t, "sum"|"max"|"min") in place */
static int l_dist_all_reduce(lua_State *L) {
  mien_tensor *t = check_contiguous(L, 1, "all_reduce");
  static const char *const ops[] = {"sum", "max", "min", NULL};
  mien_dist_op op = (mien_dist_op)luaL_checkoption(L, 2, "sum", ops);
  LMIEN_CHECK(L, mien_dist_all_reduce(mien_data_ptr(t), mien_numel(t), t->dtype, op, mien_tensor_device(t)));
  lua_settop(L, 1);
  return 1;
}

/* dist_broadcast(t, root) in place; root is 0-based like the ranks */
static int l_dist_broadcast(lua_State *L) {
  mien_tensor *t = check_contiguous(L, 1, "broadcast");
  lua_Integer root = luaL_optinteger(L, 2, 0);
  luaL_argcheck(L, root >= 0 && root < mien_dist_world_size(), 2, "root is not a rank");
  LMIEN_CHECK(L, mien_dist_broadcast(mien_data_ptr(t), mien_numel(t), t->dtype, (int)root, mien_tensor_device(t)));
  lua_settop(L, 1);
  return 1;
}

/* dist_all_gather(t) -> a new tensor [world_size, ...t's shape], row r from rank r */
static int l_dist_all_gather(lua_State *L) {
  mien_tensor *t = check_contiguous(L, 1, "all_gather");
  if (t->ndim + 1 > MIEN_MAX_DIMS) return luaL_error(L, "dist.all_gather: a %d-d tensor has no room for the rank dim", t->ndim);
  int64_t shape[MIEN_MAX_DIMS];
  shape[0] = mien_dist_world_size();
  memcpy(shape + 1, t->shape, (size_t)t->ndim * sizeof shape[0]);
  mien_tensor *out = mien_empty(t->ndim + 1, shape, t->dtype, mien_tensor_device(t));
  lmien_push(L, out); /* owned by Lua from here, so an error does not leak it */
  if (mien_dist_world_size() == 1 && mien_tensor_device(t) != MIEN_HOST) {
    mien_tensor *row = mien_select(out, 0, 0);
    int rc = row ? mien_copy_(row, t) : -1;
    mien_release(row);
    LMIEN_CHECK(L, rc);
    return 1;
  }
  LMIEN_CHECK(L, mien_dist_all_gather(mien_data_ptr(t), mien_data_ptr(out), mien_numel(t), t->dtype, mien_tensor_device(t)));
  return 1;
}

static int l_dist_finalize(lua_State *L) {
  LMIEN_CHECK(L, mien_dist_finalize());
  return 0;
}

static int l_dist_abort(lua_State *L) {
  mien_dist_abort((int)luaL_optinteger(L, 1, 1));
  return 0;
}

void lmien_register_dist(lua_State *L) {
  static const luaL_Reg funcs[] = {
      {"dist_env", l_dist_env},           {"dist_init", l_dist_init},
      {"dist_state", l_dist_state},       {"dist_barrier", l_dist_barrier},
      {"dist_all_reduce", l_dist_all_reduce}, {"dist_broadcast", l_dist_broadcast},
      {"dist_all_gather", l_dist_all_gather}, {"dist_finalize", l_dist_finalize},
      {"dist_abort", l_dist_abort},       {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
