/* Shared helpers of the Lua binding: one userdata type "mien.Tensor" that
 * holds a reference to a core tensor. */
#ifndef LMIEN_H
#define LMIEN_H

#include <lauxlib.h>
#include <lua.h>

#include "mien.h"

#define LMIEN_TENSOR "mien.Tensor"

/* Pushes t (taking its reference); NULL raises the core's last error. */
void lmien_push(lua_State *L, mien_tensor *t);
mien_tensor *lmien_check(lua_State *L, int arg);
mien_tensor *lmien_opt(lua_State *L, int arg); /* nil -> NULL */
/* A tensor in host memory (on the cpu), for functions that read its data
 * (images, files); a Lua error naming `what` and the device otherwise. */
mien_tensor *lmien_check_host(lua_State *L, int arg, const char *what);
int lmien_is_tensor(lua_State *L, int arg);
/* A tensor, or a number turned into a 0-d tensor like `like` (new ref). */
mien_tensor *lmien_tensor_or_scalar(lua_State *L, int arg, const mien_tensor *like);
/* 1-based Lua dim -> 0-based (negative dims pass through). */
int lmien_dim(lua_State *L, int arg, const mien_tensor *t);
int lmien_dim_value(lua_State *L, lua_Integer d, const mien_tensor *t);
/* A shape from a table {2,3} or from the numbers at arg.. (returns ndim). */
int lmien_shape(lua_State *L, int arg, int64_t *shape);
/* Options table {dtype=, device=, requires_grad=} at arg (may be none/nil). */
typedef struct lmien_opts {
  mien_dtype dtype;
  mien_device device;
  int requires_grad;
} lmien_opts;
void lmien_read_opts(lua_State *L, int arg, lmien_opts *o, mien_dtype default_dtype);
/* "cpu", "cuda", "cuda:1"; a Lua error for anything else. */
mien_device lmien_device_from_name(lua_State *L, const char *name);
mien_dtype lmien_dtype_from_name(lua_State *L, const char *name);
/* Raises mien_last_error() as a Lua error. */
int lmien_error(lua_State *L);
#define LMIEN_CHECK(L, rc) \
  do {                     \
    if ((rc) != 0) lmien_error(L); \
  } while (0)
/* Number field of an options table, or a default. */
double lmien_opt_number(lua_State *L, int arg, const char *key, double dflt);
int lmien_opt_bool(lua_State *L, int arg, const char *key, int dflt);

void lmien_register_tensor(lua_State *L);  /* metatable and creation functions into the table on top */
void lmien_register_tensor_ops(lua_State *L);
void lmien_register_nn(lua_State *L);
void lmien_register_optim(lua_State *L);
void lmien_register_io(lua_State *L);
void lmien_register_image(lua_State *L);
void lmien_register_bytes(lua_State *L); /* bytes_decode/bytes_encode (bytes_lua.c) */
void lmien_register_image_transform(lua_State *L); /* image_warp, image_convert (image_transform_lua.c) */
void lmien_register_dist(lua_State *L); /* dist_* collectives for mien.dist (dist_lua.c) */
void lmien_register_video(lua_State *L); /* video_open, video_writer (video/video_lua.c; with libav only) */
void lmien_register_cuda(lua_State *L); /* cuda_available, cuda_why, ... (cuda_lua.c) */
void lmien_register_cpu(lua_State *L);  /* cpu_memory, cpu_empty_cache (cpu_lua.c) */
void lmien_register_image_check(lua_State *L);     /* hardening: the pixel limit (image_check_lua.c) */
void lmien_register_autocast(lua_State *L); /* autocast_set/get, bf16_path (autocast_lua.c) */

#endif
