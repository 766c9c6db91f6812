/* libFuzzer harness for the parsers written in Lua (TF.js manifests and
 * graphs, labels.csv manifests, checkpoint metadata, sweep files): an
 * embedded Lua 5.4 with mien.core linked in (so the binding and the core run
 * under the sanitizers) calls the driver tests/fuzz/lua/<FUZZ_TARGET>.lua,
 * which returns function(path, dir) parsing the file at path.
 *
 * An error the parser raises on purpose (error(), assert, luaL_error) is the
 * expected outcome for bad input. An error from Lua itself ("attempt to index
 * a nil value" in Lua code, a bad argument to a library function) means a
 * check is missing, and counts as a crash, as does an error that is not a
 * string. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <string.h>

#include "fuzz_util.h"

#ifndef FUZZ_TARGET
#error "compile with -DFUZZ_TARGET=\"name\" (a driver in tests/fuzz/lua/)"
#endif
#ifndef MIEN_SOURCE_DIR
#error "compile with -DMIEN_SOURCE_DIR=\"/path/to/mien\""
#endif

int luaopen_mien_core(lua_State *L);

static lua_State *L;
static int driver = LUA_NOREF;

/* Set by the message handler: the error was raised by the Lua VM inside Lua
 * code (an operation on a value of the wrong type), or by a library
 * function's argument check, not by a parser's error() or luaL_error. */
static int internal_error;

static int message_handler(lua_State *L) {
  lua_Debug ar;
  internal_error = 0;
  if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "S", &ar) && strcmp(ar.what, "Lua") == 0) internal_error = 1;
  const char *msg = lua_tostring(L, 1);
  if (msg && strncmp(msg, "bad argument #", 14) == 0) internal_error = 1;
  return 1;
}

static void fail(const char *what, const char *msg) {
  fprintf(stderr, "fuzz_lua(" FUZZ_TARGET "): %s: %s\n", what, msg ? msg : "(no message)");
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  L = luaL_newstate();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_mien_core);
  lua_setfield(L, -2, "mien.core");
  lua_pop(L, 1);
  lua_getglobal(L, "package");
  lua_pushstring(L, MIEN_SOURCE_DIR "/lua/?.lua;" MIEN_SOURCE_DIR "/lua/?/init.lua");
  lua_setfield(L, -2, "path");
  lua_pop(L, 1);
  if (luaL_dofile(L, MIEN_SOURCE_DIR "/tests/fuzz/lua/" FUZZ_TARGET ".lua") != LUA_OK)
    fail("cannot load the driver", lua_tostring(L, -1));
  if (!lua_isfunction(L, -1)) fail("the driver", "does not return a function");
  driver = luaL_ref(L, LUA_REGISTRYINDEX);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static unsigned runs;
  lua_pushcfunction(L, message_handler);
  lua_rawgeti(L, LUA_REGISTRYINDEX, driver);
  lua_pushlstring(L, (const char *)data, size);
  lua_pushstring(L, fuzz_dir());
  if (lua_pcall(L, 2, 0, -4) != LUA_OK) {
    if (lua_type(L, -1) != LUA_TSTRING) fail("an error that is not a message", luaL_typename(L, -1));
    if (internal_error) fail("a Lua error instead of a clear one", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  lua_pop(L, 1); /* the message handler */
  if (++runs % 256 == 0) lua_gc(L, LUA_GCCOLLECT); /* tensors hold C memory Lua does not count */
  return 0;
}
