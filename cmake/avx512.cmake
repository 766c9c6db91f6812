# AVX-512 GEMM micro-kernels (core/cpu/gemm_builtin.c): on a CPU that has
# AVX-512 every built-in GEMM runs them, so the GEMM tests and the backend
# parity harness run a second time with them switched off, to cover the
# AVX2 / baseline path that other CPUs take.
if(BUILD_TESTING)
  foreach(name test_gemm test_conv2d test_backend_ops)
    add_test(NAME ${name}_no_avx512 COMMAND ${name})
    set_tests_properties(${name}_no_avx512 PROPERTIES ENVIRONMENT "MIEN_NO_AVX512=1")
  endforeach()
endif()
