# Sanitizer builds (build-fuzz/ by scripts/fuzz.sh, build-asan/ by
# scripts/sanitize.sh) keep every UBSan check on mien's own code. Two checks
# are off in the two files that compile Debian's stb headers, each for a
# defect inside stb that mien cannot reach from outside:
#   decode.c (stb_image 2.27): stbi__grow_buffer_unsafe shifts its 32-bit
#     bit buffer by 32 or more when corrupt entropy-coded JPEG data drives
#     its bit count negative; no memory is touched, the decode yields noise
#     or fails. (-fno-sanitize=shift-exponent)
#   encode.c (stb_image_write 1.16): the JPEG bit writer shifts negative
#     signed ints left; GCC and Clang define that as two's complement.
#     (-fno-sanitize=shift-base)
# Bounds, overflow, alignment and null checks stay on in both files.
if(CMAKE_C_FLAGS MATCHES "fsanitize=[^ ]*undefined")
  set_source_files_properties(core/image/decode.c PROPERTIES COMPILE_OPTIONS "-fno-sanitize=shift-exponent")
  set_source_files_properties(core/image/encode.c PROPERTIES COMPILE_OPTIONS "-fno-sanitize=shift-base")
endif()
