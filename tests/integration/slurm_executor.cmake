# The slurm executor against a real one-node Slurm (munged, slurmctld, slurmd on localhost).
apsis_test(slurm_executor_integration_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/slurm_executor_test.cc
  DEPS apsis_agents
  LABELS integration
  TIMEOUT 120)
