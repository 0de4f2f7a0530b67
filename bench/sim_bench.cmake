if(TARGET apsis_sim)
  apsis_executable(sim_bench SOURCES ${CMAKE_CURRENT_LIST_DIR}/sim_bench.cc DEPS apsis_sim CLI11::CLI11)
  target_compile_definitions(sim_bench PRIVATE APSIS_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
endif()
