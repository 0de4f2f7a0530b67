# The real apsis-agent (and apsis-link) binaries against the real apsis-scheduler on loopback.
apsis_test(agent_process_integration_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/agent_process_test.cc
  DEPS apsis_agents apsis_transport apsis_common apsis_test_support
  LABELS integration
  TIMEOUT 180)
if(TARGET agent_process_integration_test AND TARGET apsis-scheduler)
  add_dependencies(agent_process_integration_test apsis-scheduler apsis-agent apsis-link)
  target_compile_definitions(agent_process_integration_test PRIVATE
    APSIS_SCHEDULER_BINARY="$<TARGET_FILE:apsis-scheduler>"
    APSIS_AGENT_BINARY="$<TARGET_FILE:apsis-agent>"
    APSIS_LINK_BINARY="$<TARGET_FILE:apsis-link>")
endif()
