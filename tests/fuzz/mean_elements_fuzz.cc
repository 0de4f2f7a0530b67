// Fuzzes the constellation inputs of apsisctl orbit (ParseWalkerPattern, the local time of the
// ascending node) and GenerateConstellation on what parses. The first line of the input is the
// Walker pattern, the second the LTAN; satellite counts are capped so that execs stay fast.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "link/mean_elements.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t newline = text.find('\n');
  const std::string_view pattern = text.substr(0, newline);
  const std::string_view ltan =
      newline == std::string_view::npos ? std::string_view() : text.substr(newline + 1);
  apsis::link::ConstellationSpec spec;
  if (!apsis::link::ParseWalkerPattern(pattern, &spec).ok()) return 0;
  auto hours = apsis::link::ParseLocalTimeOfAscendingNode(ltan);
  if (hours.ok()) {
    if (!(*hours >= 0 && *hours < 24)) __builtin_trap();
    spec.sun_synchronous_ltan_hours = *hours;
  } else {
    spec.inclination_deg = 53;
  }
  // Oversized constellations must be refused cheaply; mid-sized ones are skipped only because
  // generating tens of thousands of satellites per exec would slow the search.
  const int64_t total = int64_t{spec.planes} * spec.sats_per_plane;
  if (total > apsis::link::kMaxConstellationSatellites) {
    if (apsis::link::GenerateConstellation(spec).ok()) __builtin_trap();
    return 0;
  }
  if (total > 2000) return 0;
  (void)apsis::link::GenerateConstellation(spec);
  return 0;
}
