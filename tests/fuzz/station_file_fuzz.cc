// Fuzzes ground-station files (YAML list or GeoJSON, ParseStationFile): arbitrary text must give
// stations or an error naming the file, never a crash.
#include <cstddef>
#include <cstdint>
#include <string>

#include "link/station_file.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto stations = apsis::link::ParseStationFile(text, "fuzz.yaml");
  if (!stations.ok() && stations.status().message().find("fuzz.yaml") == std::string::npos)
    __builtin_trap();
  return 0;
}
