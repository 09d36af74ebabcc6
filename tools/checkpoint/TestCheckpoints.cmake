# Generated DeepSeek-V4 checkpoints for the tests, written into the build tree at build time
# by make_checkpoint.py (python3 + numpy; `make setup` installs python3-numpy). Never committed.
#
#   flint_add_test_checkpoint(NAME PRESET p [ARGS --single-file ...])
#     -> ${FLINT_TEST_CHECKPOINTS_DIR}/NAME/ (the model folder) and NAME.totals.json (the
#        writer's own counts), both built by the target flint_test_checkpoints.

# The Debian interpreter first: a pyenv or venv python3 earlier on PATH often lacks numpy.
find_program(FLINT_CHECKPOINT_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT FLINT_CHECKPOINT_PYTHON)
  find_program(FLINT_CHECKPOINT_PYTHON NAMES python3 REQUIRED)
endif()
execute_process(COMMAND ${FLINT_CHECKPOINT_PYTHON} -c "import numpy"
                RESULT_VARIABLE _flint_numpy_missing OUTPUT_QUIET ERROR_QUIET)
if(_flint_numpy_missing)
  message(FATAL_ERROR "${FLINT_CHECKPOINT_PYTHON} cannot import numpy, which the test checkpoint "
                      "writer needs; run 'make setup' (it installs python3-numpy).")
endif()

set(FLINT_TEST_CHECKPOINTS_DIR ${PROJECT_BINARY_DIR}/test-checkpoints)
set(_flint_checkpoint_writer ${CMAKE_CURRENT_LIST_DIR}/make_checkpoint.py)
file(GLOB _flint_checkpoint_writer_sources ${CMAKE_CURRENT_LIST_DIR}/*.py)
if(NOT TARGET flint_test_checkpoints)
  add_custom_target(flint_test_checkpoints)
endif()

function(flint_add_test_checkpoint name)
  cmake_parse_arguments(ARG "" "PRESET" "ARGS" ${ARGN})
  set(dir ${FLINT_TEST_CHECKPOINTS_DIR}/${name})
  set(totals ${FLINT_TEST_CHECKPOINTS_DIR}/${name}.totals.json)
  add_custom_command(
    OUTPUT ${totals}
    COMMAND ${FLINT_CHECKPOINT_PYTHON} -B ${_flint_checkpoint_writer} --preset ${ARG_PRESET}
            --out ${dir} --totals ${totals} ${ARG_ARGS}
    DEPENDS ${_flint_checkpoint_writer_sources}
    COMMENT "Writing test checkpoint ${name} (preset ${ARG_PRESET})"
    VERBATIM)
  add_custom_target(flint_test_checkpoint_${name} DEPENDS ${totals})
  add_dependencies(flint_test_checkpoints flint_test_checkpoint_${name})
endfunction()
