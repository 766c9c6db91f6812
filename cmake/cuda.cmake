# The CUDA backend: kernels/ built by nvcc into libmien_cuda.so (dlopened by
# the core the first time CUDA is asked for), and the same kernel sources
# built by the host C++ compiler into the CPU grid emulator for the tests.
#   MIEN_CUDA=AUTO (default): build the backend when nvcc is found
#   MIEN_CUDA=ON: nvcc is required;  MIEN_CUDA=OFF: CPU only
#   MIEN_CUDNN=AUTO (default): convolution through cuDNN when it is found,
#     else (and =OFF) through our own im2col kernels (kernels/conv.cu);
#     =ON: cuDNN is required
# The emulator tests are built either way: they need only the host compiler.
set(MIEN_CUDA AUTO CACHE STRING "Build the CUDA backend: AUTO, ON or OFF")
set_property(CACHE MIEN_CUDA PROPERTY STRINGS AUTO ON OFF)
set(MIEN_CUDNN AUTO CACHE STRING "Convolution through cuDNN in the CUDA backend: AUTO, ON or OFF")
set_property(CACHE MIEN_CUDNN PROPERTY STRINGS AUTO ON OFF)
set(MIEN_CUDA_ARCH "-gencode=arch=compute_90,code=[sm_90,compute_90]" CACHE STRING "nvcc target (H100/H200)")

enable_language(CXX)
target_link_libraries(mien_core PUBLIC ${CMAKE_DL_LIBS}) # core/cuda_loader.c dlopens the backend
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)

set(MIEN_KERNEL_DIR ${CMAKE_SOURCE_DIR}/kernels)
file(GLOB MIEN_KERNEL_SOURCES CONFIGURE_DEPENDS ${MIEN_KERNEL_DIR}/*.cu)      # emulated and built by nvcc
file(GLOB MIEN_DEVICE_SOURCES CONFIGURE_DEPENDS ${MIEN_KERNEL_DIR}/device/*.cu) # nvcc only (runtime, cuBLAS, cuDNN)
file(GLOB MIEN_PLAN_SOURCES CONFIGURE_DEPENDS ${MIEN_KERNEL_DIR}/plan/*.c)      # pure host C: shapes, descriptors, allocator

# --- host parts, always: pure plan logic, and the kernels under the grid emulator
add_library(mien_cuda_plan STATIC ${MIEN_PLAN_SOURCES})
target_include_directories(mien_cuda_plan PUBLIC ${MIEN_KERNEL_DIR}/plan)

set(MIEN_EMU_SANITIZE -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
set(MIEN_EMU_WRAPPERS "")
foreach(cu ${MIEN_KERNEL_SOURCES})
  get_filename_component(name ${cu} NAME_WE)
  set(wrapper ${CMAKE_BINARY_DIR}/emu/${name}.cpp)
  file(CONFIGURE OUTPUT ${wrapper} CONTENT "/* generated: ${name}.cu for the CPU grid emulator */\n#include \"${cu}\"\n")
  set_source_files_properties(${wrapper} PROPERTIES OBJECT_DEPENDS ${cu})
  list(APPEND MIEN_EMU_WRAPPERS ${wrapper})
endforeach()
add_library(mien_cuda_emu STATIC ${MIEN_EMU_WRAPPERS} ${MIEN_KERNEL_DIR}/emu/emu.cpp ${MIEN_KERNEL_DIR}/emu/emu_backend.cpp)
target_include_directories(mien_cuda_emu PUBLIC ${MIEN_KERNEL_DIR} ${CMAKE_SOURCE_DIR}/core)
target_link_libraries(mien_cuda_emu PUBLIC mien_cuda_plan) # conv.cu's im2col plan
target_compile_options(mien_cuda_emu PUBLIC ${MIEN_EMU_SANITIZE} -g -O1 PRIVATE -Wall -Wextra)
target_link_options(mien_cuda_emu PUBLIC ${MIEN_EMU_SANITIZE})

if(BUILD_TESTING)
  # named cuda_emu_* (not test_*): they carry ASan, so the valgrind group skips them
  file(GLOB MIEN_EMU_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cuda/emu_*.cpp)
  foreach(src ${MIEN_EMU_TESTS})
    get_filename_component(name ${src} NAME_WE)
    set(name cuda_${name})
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE mien_cuda_emu mien_cuda_plan mien_core)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS cuda-emulator
      ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=0;UBSAN_OPTIONS=print_stacktrace=1")
  endforeach()
  add_test(NAME cuda_emu_catches_missing_guard COMMAND cuda_emu_grid missing-guard)
  set_tests_properties(cuda_emu_catches_missing_guard PROPERTIES LABELS cuda-emulator
    PASS_REGULAR_EXPRESSION "heap-buffer-overflow" ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0")
  # The parity harness of the backend table with the emulated CUDA column
  # (once the core has the table and the harness: tests/test_backend_ops.c).
  if(EXISTS ${CMAKE_SOURCE_DIR}/tests/test_backend_ops.c AND EXISTS ${CMAKE_SOURCE_DIR}/core/backend.h)
    add_executable(cuda_emu_backend_ops ${CMAKE_SOURCE_DIR}/tests/test_backend_ops.c
                   ${CMAKE_SOURCE_DIR}/tests/cuda/register_emu_backend.cpp)
    target_include_directories(cuda_emu_backend_ops PRIVATE ${CMAKE_SOURCE_DIR}/tests)
    target_link_libraries(cuda_emu_backend_ops PRIVATE mien_cuda_emu mien_core)
    foreach(seed 1 2 3)
      add_test(NAME cuda_emu_backend_ops_seed${seed} COMMAND cuda_emu_backend_ops)
      set_tests_properties(cuda_emu_backend_ops_seed${seed} PROPERTIES LABELS cuda-emulator
        ENVIRONMENT "MIEN_EMU_SEED=${seed};ASAN_OPTIONS=detect_leaks=1")
    endforeach()
  endif()
  file(GLOB MIEN_PLAN_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/cuda/test_*.c)
  foreach(src ${MIEN_PLAN_TESTS})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${name} ${src})
    target_link_libraries(${name} PRIVATE mien_cuda_plan mien_core)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES LABELS cuda-emulator)
  endforeach()
endif()

# --- the device library, when nvcc is there
if(MIEN_CUDA STREQUAL "OFF")
  message(STATUS "mien: CUDA backend off (MIEN_CUDA=OFF)")
  return()
endif()
find_program(MIEN_NVCC nvcc HINTS ENV CUDA_HOME PATHS /usr/local/cuda/bin)
if(NOT MIEN_NVCC)
  if(MIEN_CUDA STREQUAL "ON")
    message(FATAL_ERROR "mien: MIEN_CUDA=ON but nvcc was not found (set CUDA_HOME or PATH)")
  endif()
  message(STATUS "mien: nvcc not found, CUDA backend not built (CPU only)")
  return()
endif()
get_filename_component(MIEN_CUDA_HOME ${MIEN_NVCC} DIRECTORY)
get_filename_component(MIEN_CUDA_HOME ${MIEN_CUDA_HOME} DIRECTORY)
find_library(MIEN_CUDART cudart HINTS ${MIEN_CUDA_HOME}/lib64 ${MIEN_CUDA_HOME}/lib)
find_library(MIEN_CUBLAS cublas HINTS ${MIEN_CUDA_HOME}/lib64 ${MIEN_CUDA_HOME}/lib)
find_library(MIEN_CUDNN_LIB cudnn HINTS ${MIEN_CUDA_HOME}/lib64 ${MIEN_CUDA_HOME}/lib)
find_path(MIEN_CUDNN_INCLUDE cudnn.h HINTS ${MIEN_CUDA_HOME}/include)
if(NOT MIEN_CUDART OR NOT MIEN_CUBLAS)
  if(MIEN_CUDA STREQUAL "ON")
    message(FATAL_ERROR "mien: MIEN_CUDA=ON but cudart/cuBLAS were not found under ${MIEN_CUDA_HOME}")
  endif()
  message(STATUS "mien: nvcc found but not cudart/cuBLAS, CUDA backend not built (CPU only)")
  return()
endif()
set(MIEN_CUDNN_USED OFF)
if(NOT MIEN_CUDNN STREQUAL "OFF")
  if(MIEN_CUDNN_LIB AND MIEN_CUDNN_INCLUDE)
    set(MIEN_CUDNN_USED ON)
  elseif(MIEN_CUDNN STREQUAL "ON")
    message(FATAL_ERROR "mien: MIEN_CUDNN=ON but cuDNN was not found under ${MIEN_CUDA_HOME}")
  endif()
endif()
if(MIEN_CUDNN_USED)
  message(STATUS "mien: CUDA backend with ${MIEN_NVCC} (${MIEN_CUDA_ARCH}), convolution through cuDNN")
else()
  message(STATUS "mien: CUDA backend with ${MIEN_NVCC} (${MIEN_CUDA_ARCH}), convolution on our im2col kernels (no cuDNN)")
  list(FILTER MIEN_DEVICE_SOURCES EXCLUDE REGEX "/conv_cudnn\\.cu$")
endif()

# Warnings are errors, and so is a register spilled to local memory.
set(MIEN_NVCC_FLAGS ${MIEN_CUDA_ARCH} -std=c++17 -O3 --fmad=false -Werror all-warnings -Xptxas -warn-spills,-Werror
    --resource-usage -Xcompiler -fPIC,-Wall -I${MIEN_KERNEL_DIR} -I${CMAKE_SOURCE_DIR}/core -I${MIEN_KERNEL_DIR}/plan)
if(MIEN_CUDNN_USED)
  list(APPEND MIEN_NVCC_FLAGS -DMIEN_WITH_CUDNN -I${MIEN_CUDNN_INCLUDE})
endif()
# the nvcc that built this tree, for scripts/gpu-check.sh (reuse a carried build only with the same one)
execute_process(COMMAND ${MIEN_NVCC} --version OUTPUT_VARIABLE nvcc_version OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE ".*\n" "" nvcc_version "${nvcc_version}")
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/cuda/nvcc-version.txt CONTENT "${nvcc_version}\n")
# one argument a line, for scripts/cuda-spill-check.sh
list(JOIN MIEN_NVCC_FLAGS "\n" flag_lines)
file(CONFIGURE OUTPUT ${CMAKE_BINARY_DIR}/cuda/nvcc-flags.txt CONTENT "${MIEN_NVCC}\n${flag_lines}\n")
set(MIEN_CUDA_OBJECTS "")
set(MIEN_CUDA_REPORTS "")
foreach(cu ${MIEN_KERNEL_SOURCES} ${MIEN_DEVICE_SOURCES})
  get_filename_component(name ${cu} NAME_WE)
  set(obj ${CMAKE_BINARY_DIR}/cuda/${name}.o)
  set(report ${CMAKE_BINARY_DIR}/cuda/${name}.resources.txt)
  file(GLOB headers ${MIEN_KERNEL_DIR}/*.h ${MIEN_KERNEL_DIR}/*.cuh ${MIEN_KERNEL_DIR}/plan/*.h)
  add_custom_command(OUTPUT ${obj} ${report}
    COMMAND ${CMAKE_SOURCE_DIR}/cmake/nvcc_compile.sh ${report} ${MIEN_NVCC} ${MIEN_NVCC_FLAGS} -c ${cu} -o ${obj}
    DEPENDS ${cu} ${headers} ${CMAKE_SOURCE_DIR}/cmake/nvcc_compile.sh
    COMMENT "nvcc ${name}.cu" VERBATIM)
  list(APPEND MIEN_CUDA_OBJECTS ${obj})
  list(APPEND MIEN_CUDA_REPORTS ${report})
endforeach()
set_source_files_properties(${MIEN_CUDA_OBJECTS} PROPERTIES EXTERNAL_OBJECT TRUE GENERATED TRUE)
add_library(mien_cuda SHARED ${MIEN_CUDA_OBJECTS} ${MIEN_PLAN_SOURCES})
target_include_directories(mien_cuda PRIVATE ${MIEN_KERNEL_DIR}/plan ${CMAKE_SOURCE_DIR}/core)
set_target_properties(mien_cuda PROPERTIES LINKER_LANGUAGE CXX LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/mien)
target_link_libraries(mien_cuda PRIVATE ${MIEN_CUDART} ${MIEN_CUBLAS})
if(MIEN_CUDNN_USED)
  target_link_libraries(mien_cuda PRIVATE ${MIEN_CUDNN_LIB})
endif()
# the report of every kernel: registers, shared memory, stack (build/cuda-resource-usage.txt)
add_custom_command(TARGET mien_cuda POST_BUILD
  COMMAND cat ${MIEN_CUDA_REPORTS} > ${CMAKE_BINARY_DIR}/cuda-resource-usage.txt VERBATIM)
install(TARGETS mien_cuda LIBRARY DESTINATION ${LUA_CMODDIR}/mien)
if(BUILD_TESTING)
  add_test(NAME cuda_resource_budget COMMAND ${CMAKE_SOURCE_DIR}/scripts/cuda-resource-check.sh
    ${CMAKE_BINARY_DIR}/cuda-resource-usage.txt ${MIEN_KERNEL_DIR}/resource_budget.txt)
  set_tests_properties(cuda_resource_budget PROPERTIES LABELS cuda-build)
  add_test(NAME cuda_spill_fails_build COMMAND ${CMAKE_SOURCE_DIR}/scripts/cuda-spill-check.sh ${CMAKE_BINARY_DIR})
  set_tests_properties(cuda_spill_fails_build PROPERTIES LABELS cuda-build)
endif()
