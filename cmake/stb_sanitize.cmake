# Sanitizer builds (build-fuzz/, build-asan/): stb_image 2.27 shifts its bit
# buffer by 32 or more (stbi__grow_buffer_unsafe) when corrupt entropy-coded
# JPEG data leaves its bit count negative. That is undefined behaviour but
# no memory access (the value is discarded as the decode fails or yields
# noise), and it cannot be prevented from outside the decoder; so the one
# translation unit that compiles stb_image is built without UBSan's
# shift-exponent check. Every other check, bounds included, stays on there.
if(CMAKE_C_FLAGS MATCHES "fsanitize=[^ ]*undefined")
  set_source_files_properties(core/image/decode.c PROPERTIES COMPILE_OPTIONS "-fno-sanitize=shift-exponent")
endif()
