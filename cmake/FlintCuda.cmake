# CUDA is optional. The backend is a MODULE that the engine dlopens at run time, so the app
# starts on machines without the CUDA runtime. Architectures are explicit: `native` fails
# on machines without a GPU, which is where CI builds.
include(CheckLanguage)
check_language(CUDA)
if(CMAKE_CUDA_COMPILER)
  set(_flint_cuda_default ON)
else()
  set(_flint_cuda_default OFF)
endif()
option(FLINT_CUDA "Build the CUDA backend module (needs nvcc)" ${_flint_cuda_default})

if(FLINT_CUDA)
  if(NOT CMAKE_CUDA_COMPILER)
    message(FATAL_ERROR "FLINT_CUDA is ON but no CUDA compiler was found; install nvcc or pass -DFLINT_CUDA=OFF.")
  endif()
  if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES OR CMAKE_CUDA_ARCHITECTURES STREQUAL "")
    set(CMAKE_CUDA_ARCHITECTURES "80;90")
  endif()
  # CMake 3.25 does not know cuda_std_20; CUDA sources stay C++17.
  set(CMAKE_CUDA_STANDARD 17)
  set(CMAKE_CUDA_STANDARD_REQUIRED ON)
  enable_language(CUDA)
  find_package(CUDAToolkit REQUIRED)
  message(STATUS "Flint: CUDA backend ON (architectures ${CMAKE_CUDA_ARCHITECTURES})")
else()
  message(STATUS "Flint: CUDA backend OFF; the app runs on the CPU")
endif()
