find_package(GTest REQUIRED)
include(GoogleTest)

# flint_add_gtest(NAME SOURCES a.cpp b.cpp LIBS flint_engine [LABELS x] [TIMEOUT s])
# One executable per topic; each TEST() becomes its own ctest entry.
function(flint_add_gtest name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE GTest::gtest GTest::gtest_main ${ARG_LIBS})
  target_compile_definitions(${name} PRIVATE
    FLINT_SOURCE_DIR="${PROJECT_SOURCE_DIR}" FLINT_BINARY_DIR="${PROJECT_BINARY_DIR}")
  flint_set_warnings(${name})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 120)
  endif()
  gtest_discover_tests(${name}
    DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}" SKIP_REGULAR_EXPRESSION "\\[  SKIPPED \\]")
endfunction()
