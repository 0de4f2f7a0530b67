apsis_executable(storage_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/storage_bench.cc DEPS apsis_storage benchmark::benchmark)
