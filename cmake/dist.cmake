# mien.dist: the dispatcher (core/dist/dist.c, in mien_core) loads its
# backends with dlopen, so MPI and NCCL are linked into separate libraries
# next to mien/core.so, built when found, loaded only by a multi-process job:
#   libmien_mpi.so   MPI collectives over CPU tensors (libopenmpi-dev)
#   libmien_nccl.so  NCCL collectives over CUDA tensors (CUDA toolkit with nccl.h);
#                    GPU only: it runs on machines with GPUs (scripts/gpu-check.d/dist.sh)
target_link_libraries(mien_core PUBLIC ${CMAKE_DL_LIBS})

function(mien_dist_backend target source)
  add_library(${target} MODULE ${source})
  target_include_directories(${target} PRIVATE ${CMAKE_SOURCE_DIR}/core)
  set_target_properties(${target} PROPERTIES PREFIX "lib" LIBRARY_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/mien)
  install(TARGETS ${target} LIBRARY DESTINATION ${LUA_CMODDIR}/mien)
endfunction()

find_package(MPI COMPONENTS C QUIET)
if(MPI_C_FOUND)
  message(STATUS "mien: mien.dist MPI backend (libmien_mpi.so)")
  mien_dist_backend(mien_mpi dist/mpi_backend.c)
  target_link_libraries(mien_mpi PRIVATE MPI::MPI_C)
else()
  message(STATUS "mien: MPI not found (libopenmpi-dev), mien.dist runs single-process only")
endif()

find_package(CUDAToolkit QUIET)
if(CUDAToolkit_FOUND)
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib)
endif()
if(MPI_C_FOUND AND NCCL_INCLUDE_DIR AND NCCL_LIBRARY AND CUDAToolkit_FOUND)
  message(STATUS "mien: mien.dist NCCL backend (libmien_nccl.so, GPU only)")
  mien_dist_backend(mien_nccl dist/nccl_backend.c)
  target_include_directories(mien_nccl PRIVATE ${NCCL_INCLUDE_DIR})
  target_link_libraries(mien_nccl PRIVATE MPI::MPI_C ${NCCL_LIBRARY} CUDA::cudart)
endif()

# GPU only: the NCCL backend's check (scripts/gpu-check.d/dist.sh), not a ctest
if(TARGET mien_nccl)
  add_executable(dist_nccl_check tests/gpu/dist_nccl_check.c)
  target_include_directories(dist_nccl_check PRIVATE ${CMAKE_SOURCE_DIR}/core)
  target_link_libraries(dist_nccl_check PRIVATE MPI::MPI_C CUDA::cudart ${CMAKE_DL_LIBS})
endif()
