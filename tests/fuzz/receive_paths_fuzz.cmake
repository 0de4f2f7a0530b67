# Fuzzers of the message receive paths: what the scheduler does with agents' and clients'
# messages (conversion, validation, planning) and what an agent does with the scheduler's.
apsis_fuzzer(agent_messages_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/agent_messages_fuzz.cc
  DEPS apsis_scheduler_daemon)
apsis_fuzzer(client_requests_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/client_requests_fuzz.cc
  DEPS apsis_scheduler_daemon)
apsis_fuzzer(scheduler_messages_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/scheduler_messages_fuzz.cc
  DEPS apsis_agents)
foreach(target agent_messages_fuzz client_requests_fuzz)
  # fleet_fixtures.h: the nodes, forecasts and jobs the planner's own tests use.
  target_include_directories(${target} PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/scheduler
                                               ${CMAKE_CURRENT_LIST_DIR})
endforeach()
