# The fused optimizer kernels (core/cpu/optim.c) take sqrt of values that are
# never negative: without errno, GCC vectorises it.
set_source_files_properties(${CMAKE_SOURCE_DIR}/core/cpu/optim.c PROPERTIES COMPILE_OPTIONS "-fno-math-errno")
