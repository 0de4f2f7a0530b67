# Configures the clang build with AddressSanitizer + UndefinedBehaviorSanitizer (both fatal) and
# libFuzzer instrumentation. scripts/fuzz builds the fuzzers in it; scripts/test also builds and
# runs the unit and integration tests there. Sourced, not run.
#   configure_clang_asan_build ROOT BUILD_DIR
configure_clang_asan_build() {
  cmake -S "$1" -B "$2" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPSIS_FUZZ=ON \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
}
