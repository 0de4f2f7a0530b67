apsis_executable(scheduler_load SOURCES ${CMAKE_CURRENT_LIST_DIR}/scheduler_load.cc
  DEPS apsis_transport apsis_test_support)
add_dependencies(scheduler_load apsis-scheduler)
target_compile_definitions(scheduler_load PRIVATE
  APSIS_SCHEDULER_BINARY="$<TARGET_FILE:apsis-scheduler>")
