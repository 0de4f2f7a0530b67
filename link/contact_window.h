// ContactWindow: one pass of a satellite over a ground station, as plain data.
//
// Produced by link/ (contact-window prediction) and consumed by scheduler/core, which may use only
// this plain type from link/ (no physics, no I/O). Thread-compatible value type.
#pragma once

#include <string>

#include "common/time.h"

namespace apsis {

struct ContactWindow {
  std::string station;           // ground-station name
  TimePoint aos;                 // acquisition of signal (elevation rises above the mask)
  TimePoint los;                 // loss of signal
  TimePoint max_elevation_at;    // time of maximum elevation
  double max_elevation_deg = 0;  // maximum elevation above the horizon
  double min_range_km = 0;       // minimum slant range during the pass
  double uplink_bps = 0;         // ground → space data rate
  double downlink_bps = 0;       // space → ground data rate

  Duration duration() const { return los - aos; }
  bool Contains(TimePoint t) const { return aos <= t && t < los; }
  bool operator==(const ContactWindow&) const = default;
};

}  // namespace apsis
