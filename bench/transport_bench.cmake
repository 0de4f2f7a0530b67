apsis_executable(transport_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/transport_bench.cc
  DEPS apsis_transport)
