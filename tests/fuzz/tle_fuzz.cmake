apsis_fuzzer(tle_fuzz SOURCES ${CMAKE_CURRENT_LIST_DIR}/tle_fuzz.cc DEPS apsis_link)
