// Fuzzes agent.yaml loading (ParseAgentConfig), ground and orbital: arbitrary text must give a
// config or an error that names the file, never a crash or an exception escaping. Relative paths
// resolve against tests/fuzz/data, so seeds can name its price CSV and station file.
#include <cstddef>
#include <cstdint>
#include <string>

#include "agents/agent_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto config = apsis::agents::ParseAgentConfig(text, "fuzz.yaml", APSIS_FUZZ_CONFIG_DIR);
  if (!config.ok() && config.status().message().find("fuzz.yaml") == std::string::npos)
    __builtin_trap();
  return 0;
}
