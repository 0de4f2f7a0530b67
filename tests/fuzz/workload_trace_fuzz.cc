// Fuzzes apsis-sim's workload readers: the Apsis workload CSV and the Alibaba and Tiresias trace
// importers. The input's first line names the format (as `apsis-sim run --trace-format` takes
// it), the rest is the file. Every row must become a job or a "file:line:col" error.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace sim = apsis::sim;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t newline = input.find('\n');
  if (newline == std::string_view::npos) return 0;
  auto format = sim::ParseTraceFormat(input.substr(0, newline));
  if (!format.ok()) return 0;
  const std::string text(input.substr(newline + 1));
  const apsis::TimePoint epoch = apsis::TimePoint::FromSeconds(1796083200);
  sim::ImportOptions options;
  options.epoch = epoch;
  auto read = [&]() -> apsis::Result<sim::Workload> {
    switch (*format) {
      case sim::TraceFormat::kAlibaba:
        return sim::ParseAlibabaTrace(text, "fuzz.csv", options);
      case sim::TraceFormat::kTiresias:
        return sim::ParseTiresiasTrace(text, "fuzz.csv", options);
      default:
        return sim::ParseWorkloadCsv(text, "fuzz.csv", epoch);
    }
  };
  const apsis::Result<sim::Workload> workload = read();
  if (!workload.ok()) {
    if (workload.status().message().find("fuzz.csv") == std::string::npos) __builtin_trap();
    return 0;
  }
  // What was imported writes out as an Apsis workload CSV that reads back.
  auto again = sim::ParseWorkloadCsv(sim::WorkloadToCsv(*workload, epoch), "again.csv", epoch);
  (void)again;
  return 0;
}
