// libFuzzer initialisation for targets that parse protobuf: malformed input makes protobuf log an
// error line per parse (e.g. invalid UTF-8 in a string field), which would dominate the run time.
// The parse result is what the target checks, so the log lines are dropped.
#pragma once

#include <google/protobuf/stubs/logging.h>

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}
