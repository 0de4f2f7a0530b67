// ContactPlan: when an orbital node can talk to its ground stations, and how far away they are.
//
// Wraps link/'s contact-window search and look angles for one satellite and its configured
// stations. Used by the forecast builder (windows in every orbital forecast) and by apsis-link
// (forward only inside windows, delay by the light time at the current slant range). Immutable
// after construction; const methods are thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "link/contact_window.h"
#include "link/contact_windows.h"
#include "link/sgp4.h"

namespace apsis::agents {

class ContactPlan {
 public:
  ContactPlan(link::Sgp4 satellite, std::vector<link::GroundStation> stations);

  // Every window of every station in [start, end], sorted by AOS.
  Result<std::vector<ContactWindow>> Windows(TimePoint start, TimePoint end) const;

  // Slant range (km) from `station` to the satellite at `t`.
  Result<double> RangeKm(const std::string& station, TimePoint t) const;

  const std::vector<link::GroundStation>& stations() const { return stations_; }
  const link::Sgp4& satellite() const { return satellite_; }

 private:
  link::Sgp4 satellite_;
  std::vector<link::GroundStation> stations_;
};

}  // namespace apsis::agents
