# TIFF decoding (core/image/decode_tiff.c) through libtiff >= 4.5 (Debian
# libtiff-dev): a core dependency, so a missing one stops the configure.
# -DMIEN_TIFF=OFF builds without it (a machine without the package, such as
# a bare GPU host): TIFF files then fail to load with an error saying so.
option(MIEN_TIFF "Decode TIFF images through libtiff (required unless OFF)" ON)
if(MIEN_TIFF)
  find_package(PkgConfig QUIET)
  if(PkgConfig_FOUND)
    pkg_check_modules(MIEN_TIFF_LIB QUIET IMPORTED_TARGET libtiff-4>=4.5)
  endif()
  if(NOT MIEN_TIFF_LIB_FOUND)
    message(FATAL_ERROR "mien: libtiff >= 4.5 not found (with pkg-config). It decodes TIFF images (JAFFE) and is "
      "a core dependency: install the Debian packages libtiff-dev and pkg-config (scripts/deps/datasets.txt, or "
      "run scripts/install-deps.sh), or configure with -DMIEN_TIFF=OFF to build without TIFF support.")
  endif()
  message(STATUS "mien: TIFF through libtiff ${MIEN_TIFF_LIB_VERSION}")
  target_compile_definitions(mien_core PUBLIC MIEN_HAVE_TIFF)
  target_link_libraries(mien_core PUBLIC PkgConfig::MIEN_TIFF_LIB)
  # a helper that writes TIFF fixtures with libtiff for the specs (not a test)
  if(BUILD_TESTING)
    add_executable(tiff_fixture tests/tiff_fixture.c)
    target_link_libraries(tiff_fixture PRIVATE mien_core)
  endif()
else()
  message(WARNING "mien: built without libtiff (MIEN_TIFF=OFF): TIFF images cannot be loaded")
endif()
