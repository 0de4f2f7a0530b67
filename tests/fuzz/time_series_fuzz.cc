// Fuzzes price/carbon CSV parsing (ParseTimeSeriesCsv): arbitrary text must give a sorted series
// or an error naming "file:line", and lookups in what parsed must not crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "agents/time_series.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  apsis::agents::CsvColumnSpec spec;
  spec.scale = 0.001;
  auto series = apsis::agents::ParseTimeSeriesCsv(text, "fuzz.csv", spec);
  if (!series.ok()) {
    if (series.status().message().find("fuzz.csv") == std::string::npos) __builtin_trap();
    return 0;
  }
  const auto& samples = series->samples();
  for (size_t i = 1; i < samples.size(); ++i) {
    if (!(samples[i - 1].at < samples[i].at)) __builtin_trap();
  }
  if (!samples.empty()) {
    (void)series->At(samples.front().at);
    (void)series->At(samples.back().at + apsis::Minutes(30));
    (void)series->At(apsis::TimePoint::FromSeconds(0));
  }
  return 0;
}
