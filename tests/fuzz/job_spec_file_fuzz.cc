// Fuzzes job spec files as apsisctl submit reads them (ParseJobSpecText), then validates what
// parsed with the scheduler's own ValidateJobSpecProto: neither may crash on any text.
#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/job_spec_file.h"
#include "scheduler/daemon/job_spec_validation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto specs = apsis::cli::ParseJobSpecText(text, "fuzz.yaml");
  if (!specs.ok()) {
    if (specs.status().message().find("fuzz.yaml") == std::string::npos) __builtin_trap();
    return 0;
  }
  const apsis::TimePoint now = apsis::TimePoint::FromSeconds(1796083200);
  for (size_t i = 0; i < specs->size(); ++i) {
    (void)apsis::daemon::ValidateJobSpecProto((*specs)[i], "jobs[" + std::to_string(i) + "]", now);
  }
  return 0;
}
