# The real apsis-scheduler binary on loopback ports, with scripted agents and clients.
apsis_test(scheduler_process_integration_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/scheduler_process_test.cc
  DEPS apsis_transport apsis_common apsis_test_support
  LABELS integration
  TIMEOUT 180)
if(TARGET scheduler_process_integration_test)
  add_dependencies(scheduler_process_integration_test apsis-scheduler)
  target_compile_definitions(scheduler_process_integration_test PRIVATE
    APSIS_SCHEDULER_BINARY="$<TARGET_FILE:apsis-scheduler>")
endif()
