/* core.video_open / core.video_writer: the Lua side of core/video (built
 * only with libav, see cmake/video.cmake).
 *
 *   r = core.video_open(path)        r:read() -> uint8 [H,W,3], seconds | nil at the end
 *                                    r:info() -> {width=, height=, fps=, duration=, frames=, codec=}
 *                                    r:position(), r:close() (also __gc, __close)
 *   w = core.video_writer(path, width, height, fps, codec|nil, quality)
 *                                    w:write(uint8 [H,W,3]), w:count(), w:close() (puts the file in
 *                                    place), w:abort(); __gc aborts an unclosed writer, __close closes
 *                                    it, or aborts it when the block ends by an error. */
#include <string.h>

#include "lmien.h"
#include "video/video.h"

#define READER "mien.VideoReader"
#define WRITER "mien.VideoWriter"

static mien_video_reader **reader_box(lua_State *L) { return luaL_checkudata(L, 1, READER); }

static mien_video_reader *open_reader(lua_State *L) {
  mien_video_reader *r = *reader_box(L);
  if (!r) luaL_error(L, "video: the reader is closed");
  return r;
}

static int l_video_open(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  mien_video_reader **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  luaL_setmetatable(L, READER);
  if (!(*box = mien_video_open(path))) lmien_error(L);
  return 1;
}

static int l_reader_read(lua_State *L) {
  mien_video_reader *r = open_reader(L);
  mien_video_info info;
  mien_video_get_info(r, &info);
  int64_t shape[3] = {info.height, info.width, 3};
  mien_tensor *t = mien_empty(3, shape, MIEN_UINT8, MIEN_HOST);
  if (!t) lmien_error(L);
  double time = 0.0;
  int got = mien_video_read(r, mien_data_ptr(t), &time);
  if (got <= 0) {
    mien_release(t);
    if (got < 0) lmien_error(L);
    lua_pushnil(L);
    return 1;
  }
  lmien_push(L, t);
  lua_pushnumber(L, time);
  return 2;
}

static int l_reader_info(lua_State *L) {
  mien_video_info info;
  mien_video_get_info(open_reader(L), &info);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, info.width);
  lua_setfield(L, -2, "width");
  lua_pushinteger(L, info.height);
  lua_setfield(L, -2, "height");
  lua_pushnumber(L, info.fps);
  lua_setfield(L, -2, "fps");
  lua_pushnumber(L, info.duration);
  lua_setfield(L, -2, "duration");
  lua_pushinteger(L, (lua_Integer)info.frames);
  lua_setfield(L, -2, "frames");
  lua_pushstring(L, info.codec);
  lua_setfield(L, -2, "codec");
  return 1;
}

static int l_reader_position(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)mien_video_position(open_reader(L)));
  return 1;
}

static int l_reader_close(lua_State *L) {
  mien_video_reader **box = reader_box(L);
  mien_video_close(*box);
  *box = NULL;
  return 0;
}

typedef struct writer_box_t {
  mien_video_writer *w;
  int width, height;
} writer_box_t;

static writer_box_t *writer_box(lua_State *L) { return luaL_checkudata(L, 1, WRITER); }

static mien_video_writer *open_writer(lua_State *L) {
  mien_video_writer *w = writer_box(L)->w;
  if (!w) luaL_error(L, "video.writer: the writer is closed");
  return w;
}

static int l_video_writer(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lua_Integer width = luaL_checkinteger(L, 2), height = luaL_checkinteger(L, 3);
  double fps = luaL_checknumber(L, 4);
  const char *codec = luaL_optstring(L, 5, NULL);
  lua_Integer quality = luaL_optinteger(L, 6, 0);
  if (width < 1 || height < 1 || width > (1 << 16) || height > (1 << 16))
    return luaL_error(L, "video.writer: '%s': bad frame size %dx%d", path, (int)width, (int)height);
  writer_box_t *box = lua_newuserdatauv(L, sizeof *box, 0);
  box->w = NULL;
  box->width = (int)width;
  box->height = (int)height;
  luaL_setmetatable(L, WRITER);
  if (!(box->w = mien_video_writer_open(path, (int)width, (int)height, fps, codec, (int)quality))) lmien_error(L);
  return 1;
}

static int l_writer_write(lua_State *L) {
  mien_video_writer *w = open_writer(L);
  mien_tensor *t = lmien_check(L, 2);
  int64_t want_h = writer_box(L)->height, want_w = writer_box(L)->width;
  if (t->dtype != MIEN_UINT8 || t->ndim != 3 || t->shape[2] != 3 || t->shape[0] != want_h || t->shape[1] != want_w) {
    char buf[64];
    return luaL_error(L, "video.writer: frame %d: expected uint8 [%d,%d,3], got %s %s",
                      (int)mien_video_writer_count(w), (int)want_h, (int)want_w, mien_dtype_name(t->dtype),
                      mien_shape_str(t, buf, sizeof buf));
  }
  if (mien_tensor_device(t) != MIEN_HOST) return luaL_error(L, "video.writer: move the frame to the cpu first");
  mien_tensor *c = mien_contiguous(t);
  if (!c) lmien_error(L);
  int rc = mien_video_write(w, mien_data_ptr(c));
  mien_release(c);
  if (rc != 0) {
    writer_box(L)->w = NULL;
    mien_video_writer_abort(w);
    lmien_error(L);
  }
  return 0;
}

static int l_writer_count(lua_State *L) {
  lua_pushinteger(L, (lua_Integer)mien_video_writer_count(open_writer(L)));
  return 1;
}

static int l_writer_close(lua_State *L) {
  writer_box_t *box = writer_box(L);
  mien_video_writer *w = box->w;
  if (!w) return 0;
  box->w = NULL;
  if (mien_video_writer_close(w) != 0) lmien_error(L);
  return 0;
}

static int l_writer_abort(lua_State *L) {
  writer_box_t *box = writer_box(L);
  mien_video_writer_abort(box->w);
  box->w = NULL;
  return 0;
}

/* __close(w, err): close normally, abort when the block ends by an error. */
static int l_writer_scope_end(lua_State *L) {
  return lua_isnoneornil(L, 2) ? l_writer_close(L) : l_writer_abort(L);
}

static void new_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction gc, lua_CFunction close) {
  luaL_newmetatable(L, name);
  lua_newtable(L);
  luaL_setfuncs(L, methods, 0);
  lua_setfield(L, -2, "__index");
  lua_pushcfunction(L, gc);
  lua_setfield(L, -2, "__gc");
  lua_pushcfunction(L, close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
}

void lmien_register_video(lua_State *L) {
  static const luaL_Reg reader_methods[] = {{"read", l_reader_read},         {"info", l_reader_info},
                                            {"position", l_reader_position}, {"close", l_reader_close},
                                            {NULL, NULL}};
  static const luaL_Reg writer_methods[] = {{"write", l_writer_write}, {"count", l_writer_count},
                                            {"close", l_writer_close}, {"abort", l_writer_abort},
                                            {NULL, NULL}};
  new_class(L, READER, reader_methods, l_reader_close, l_reader_close);
  new_class(L, WRITER, writer_methods, l_writer_abort, l_writer_scope_end);
  static const luaL_Reg funcs[] = {{"video_open", l_video_open}, {"video_writer", l_video_writer}, {NULL, NULL}};
  luaL_setfuncs(L, funcs, 0);
}
