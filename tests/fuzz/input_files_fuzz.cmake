# Fuzzers of the files operators and users write: configs, job specs, site data, stations and
# constellation patterns.
apsis_fuzzer(scheduler_config_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/scheduler_config_fuzz.cc
  DEPS apsis_scheduler_daemon)
# Job spec files as apsisctl submit reads them, then the scheduler's validation of each job.
apsis_fuzzer(job_spec_file_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/job_spec_file_fuzz.cc
  DEPS apsis_cli_client apsis_scheduler_daemon)
apsis_fuzzer(agent_config_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_config_fuzz.cc
  DEPS apsis_agents)
target_compile_definitions(agent_config_fuzz PRIVATE
  APSIS_FUZZ_CONFIG_DIR="${CMAKE_CURRENT_LIST_DIR}/data")
apsis_fuzzer(time_series_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/time_series_fuzz.cc
  DEPS apsis_agents)
apsis_fuzzer(station_file_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/station_file_fuzz.cc
  DEPS apsis_link)
apsis_fuzzer(mean_elements_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/mean_elements_fuzz.cc
  DEPS apsis_link)
if(TARGET apsis_sim)
  apsis_fuzzer(workload_trace_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/workload_trace_fuzz.cc
    DEPS apsis_sim)
endif()
