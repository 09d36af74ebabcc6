# `format` rewrites every C++/CUDA source in place; `format-check` fails on any difference.
find_program(CLANG_FORMAT NAMES clang-format-14 clang-format)
if(NOT CLANG_FORMAT)
  message(STATUS "Flint: clang-format not found; the format targets are unavailable")
  return()
endif()
set(_flint_format_dirs app engine kernels ui tests tools)
set(_flint_format_globs)
foreach(dir ${_flint_format_dirs})
  foreach(ext cpp h cu cuh)
    list(APPEND _flint_format_globs ${PROJECT_SOURCE_DIR}/${dir}/*.${ext})
  endforeach()
endforeach()
file(GLOB_RECURSE FLINT_FORMAT_FILES CONFIGURE_DEPENDS ${_flint_format_globs})
add_custom_target(format COMMAND ${CLANG_FORMAT} -i ${FLINT_FORMAT_FILES}
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMENT "clang-format: rewriting sources")
add_custom_target(format-check COMMAND ${CLANG_FORMAT} --dry-run --Werror ${FLINT_FORMAT_FILES}
  WORKING_DIRECTORY ${PROJECT_SOURCE_DIR} COMMENT "clang-format: checking sources")

