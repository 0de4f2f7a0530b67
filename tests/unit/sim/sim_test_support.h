// Shared fixtures of the simulator tests: paths of the bundled fleet and of the public traces.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace apsis::sim::testing {

inline std::string SourceDir() {
  const char* src = std::getenv("APSIS_SOURCE_DIR");
  return src ? src : APSIS_SOURCE_DIR;
}
inline std::string DemoFleetPath() { return SourceDir() + "/configs/sim/fleet.yaml"; }
// ../shared/data/traces/<name>, or "" when the public data is absent (a fresh clone).
inline std::string TracePath(const std::string& name) {
  const std::string p = SourceDir() + "/../shared/data/traces/" + name;
  return std::filesystem::exists(p) ? p : "";
}

}  // namespace apsis::sim::testing
