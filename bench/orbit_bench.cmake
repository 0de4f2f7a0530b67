apsis_executable(orbit_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/orbit_bench.cc DEPS apsis_link benchmark::benchmark)
