# apsis-sim over a week of the public Alibaba GPU trace on the demo fleet (about 15 s of CPU).
apsis_test(sim_week_integration_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/sim_week_test.cc
  DEPS apsis_sim
  LABELS integration
  TIMEOUT 300)
