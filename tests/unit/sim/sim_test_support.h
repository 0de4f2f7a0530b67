// Shared fixtures of the simulator tests: paths of the bundled fleet and of the public traces.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
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

// Writes an Apsis workload CSV (the header, then `rows`) into the temporary directory; its path.
inline std::string WriteWorkloadCsv(const std::string& name, const std::string& rows) {
  const std::string path = (std::filesystem::temp_directory_path() / name).string();
  std::ofstream(path) << "id,kind,submit_s,gpus,watts_per_gpu,gpu_hours,serve_s,latency_slo_ms,"
                         "region,priority,deferrable,preemptible,deadline_s,input_gb,output_gb,"
                         "checkpoint_gb\n"
                      << rows;
  return path;
}

}  // namespace apsis::sim::testing
