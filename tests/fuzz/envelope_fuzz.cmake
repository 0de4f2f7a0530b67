apsis_fuzzer(envelope_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/envelope_fuzz.cc DEPS apsis_transport)
