apsis_executable(scheduler_restart SOURCES ${CMAKE_CURRENT_LIST_DIR}/scheduler_restart.cc
  DEPS apsis_transport apsis_storage apsis_proto apsis_test_support)
add_dependencies(scheduler_restart apsis-scheduler)
target_compile_definitions(scheduler_restart PRIVATE
  APSIS_SCHEDULER_BINARY="$<TARGET_FILE:apsis-scheduler>")
