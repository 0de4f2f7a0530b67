apsis_executable(placement_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/placement_bench.cc DEPS apsis_scheduler_core benchmark::benchmark)
