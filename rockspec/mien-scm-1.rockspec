rockspec_format = "3.0"
package = "mien"
version = "scm-1"
source = {
  url = "git+file:///dev/null", -- built from a checkout with `luarocks make`
}
description = {
  summary = "Deep learning in C, driven from Lua 5.4, for facial-expression-recognition research",
  detailed = [[
mien is a tensor library with autograd, NN modules, optimizers, data loading
and experiment tools. The core is plain C (CPU kernels with OpenMP and
OpenBLAS; a CUDA backend when built with CUDA); Lua 5.4 drives it.
]],
  license = "MIT",
}
-- The Lua modules mien needs. Offline, or with the Debian packages lua-argparse
-- and lua-cjson installed, skip fetching them: luarocks make --deps-mode=none ...
dependencies = {
  "lua >= 5.4",
  "argparse",
  "lua-cjson",
}
external_dependencies = {
  CJSON = { header = "cjson/cJSON.h" },
  ZLIB = { header = "zlib.h" },
  TIFF = { header = "tiffio.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    BUILD_TESTING = "OFF",
    LUA_INCDIR = "$(LUA_INCDIR)",
    LUA_CMODDIR = "$(LIBDIR)",
    LUA_LMODDIR = "$(LUADIR)",
  },
  install = {
    bin = { mien = "scripts/mien" },
  },
}
