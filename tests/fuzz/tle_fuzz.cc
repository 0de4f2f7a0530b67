// libFuzzer target for the TLE parser: arbitrary text must yield element sets or a precise
// error, never a crash, and whatever parses must initialize and propagate without crashing.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "link/sgp4.h"
#include "link/tle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto sets = apsis::link::ParseTleText(text, "fuzz.tle");
  if (!sets.ok()) {
    // Errors always say where: "fuzz.tle:<line>:<column>: ...".
    if (sets.status().message().rfind("fuzz.tle:", 0) != 0) __builtin_trap();
    return 0;
  }
  for (const auto& elements : *sets) {
    auto model = apsis::link::Sgp4::Create(elements);
    if (!model.ok()) continue;
    apsis::link::TemeState state;
    for (double minutes : {-1440.0, 0.0, 90.0, 1440.0}) model->PropagateMinutes(minutes, &state);
  }
  return 0;
}
