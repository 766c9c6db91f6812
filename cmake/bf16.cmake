# bf16 mixed precision: test_bf16 (added with every tests/test_*.c) runs a
# second time with the bf16 kernels switched off, to cover the float32
# fallback that a CPU without AVX512_BF16 takes.
if(BUILD_TESTING)
  add_test(NAME test_bf16_fallback COMMAND test_bf16)
  set_tests_properties(test_bf16_fallback PROPERTIES ENVIRONMENT "MIEN_NO_BF16=1")
endif()
