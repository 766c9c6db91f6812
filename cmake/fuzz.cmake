# libFuzzer harnesses (tests/fuzz/), one per parser. Built by scripts/fuzz.sh
# into build-fuzz/ with clang and the flags
#   -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
# on everything (core, binding, harnesses); the harnesses link libFuzzer.
option(MIEN_FUZZ "Build the libFuzzer harnesses in tests/fuzz (needs clang)" OFF)
if(MIEN_FUZZ)
  # the C parsers, called directly
  foreach(name safetensors image fer_csv fer_csv_gz)
    add_executable(fuzz_${name} tests/fuzz/fuzz_${name}.c)
    target_include_directories(fuzz_${name} PRIVATE tests/fuzz)
    target_link_libraries(fuzz_${name} PRIVATE mien_core)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endforeach()
  # the parsers written in Lua, through an embedded Lua with the binding linked in
  find_library(MIEN_FUZZ_LUA_LIBRARY NAMES lua5.4 REQUIRED)
  add_library(mien_lua_static STATIC ${MIEN_BINDING_SOURCES})
  target_include_directories(mien_lua_static PUBLIC ${LUA_INCLUDE_DIR})
  target_link_libraries(mien_lua_static PUBLIC mien_core ${MIEN_FUZZ_LUA_LIBRARY} dl)
  foreach(name tfjs_manifest tfjs_graph manifest checkpoint sweep)
    add_executable(fuzz_${name} tests/fuzz/fuzz_lua.c)
    target_include_directories(fuzz_${name} PRIVATE tests/fuzz)
    target_compile_definitions(fuzz_${name} PRIVATE FUZZ_TARGET="${name}" MIEN_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    target_link_libraries(fuzz_${name} PRIVATE mien_lua_static)
    target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer)
  endforeach()
endif()
