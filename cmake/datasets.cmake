# TIFF decoding (core/image/decode_tiff.c) needs libtiff >= 4.5 (Debian
# libtiff-dev): a core dependency, so a missing one stops the configure.
find_package(PkgConfig QUIET)
if(PkgConfig_FOUND)
  pkg_check_modules(MIEN_TIFF QUIET IMPORTED_TARGET libtiff-4>=4.5)
endif()
if(NOT MIEN_TIFF_FOUND)
  message(FATAL_ERROR "mien: libtiff >= 4.5 not found; it decodes TIFF images (JAFFE). "
    "Install the Debian package libtiff-dev (scripts/deps/datasets.txt, or scripts/install-deps.sh).")
endif()
message(STATUS "mien: TIFF through libtiff ${MIEN_TIFF_VERSION}")
target_link_libraries(mien_core PUBLIC PkgConfig::MIEN_TIFF)

# A helper that writes TIFF fixtures with libtiff for the specs (not a test).
if(BUILD_TESTING)
  add_executable(tiff_fixture tests/tiff_fixture.c)
  target_link_libraries(tiff_fixture PRIVATE mien_core)
endif()
