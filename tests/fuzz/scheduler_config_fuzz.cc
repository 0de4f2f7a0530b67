// Fuzzes scheduler.yaml loading (ParseSchedulerConfig): arbitrary text must give a config or an
// error that names the file, never a crash or an exception escaping.
#include <cstddef>
#include <cstdint>
#include <string>

#include "scheduler/daemon/scheduler_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = apsis::daemon::ParseSchedulerConfig(text, "fuzz.yaml", "/nonexistent");
  if (!config.ok() && config.status().message().find("fuzz.yaml") == std::string::npos)
    __builtin_trap();
  return 0;
}
