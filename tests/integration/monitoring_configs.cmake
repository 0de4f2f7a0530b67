# promtool checks of configs/prometheus and the dashboard's metric names.
add_test(NAME monitoring_configs COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/monitoring_configs_test.sh)
set_tests_properties(monitoring_configs PROPERTIES TIMEOUT 60 LABELS integration)
