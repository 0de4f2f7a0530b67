// Contact-window prediction: when a satellite is above a ground station's elevation mask.
//
// For each pass in a horizon: AOS and LOS (to within the tolerance, 0.5 s by default), the time
// and value of maximum elevation, and the minimum slant range. The search samples the elevation
// on a coarse grid (60 s by default), refines every horizon crossing by root finding and refines
// sampled elevation peaks that may hide a short pass between samples; it never scans second by
// second. Passes already in progress at the start (or still in progress at the end) are clipped
// to the horizon.
//
// FindContactWindows is pure and thread-safe. FindFleetContactWindows runs many satellites ×
// stations on a pool of std::threads and returns results in input order (deterministic).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "link/contact_window.h"
#include "link/frames.h"
#include "link/sgp4.h"

namespace apsis::link {

struct GroundStation {
  std::string name;
  Geodetic location;                // WGS-84 latitude, longitude (east +), altitude
  double min_elevation_deg = 10.0;  // elevation mask
  double uplink_bps = 0;            // ground → space
  double downlink_bps = 0;          // space → ground
};

struct ContactSearchOptions {
  Duration coarse_step = Seconds(60);
  Duration tolerance = Seconds(0.5);  // AOS/LOS and max-elevation time accuracy
  // If set, overrides every station's own elevation mask.
  std::optional<double> min_elevation_deg;
};

// Every pass of one satellite over one station in [start, end], sorted by AOS.
Result<std::vector<ContactWindow>> FindContactWindows(const Sgp4& satellite,
                                                      const GroundStation& station, TimePoint start,
                                                      TimePoint end,
                                                      const ContactSearchOptions& options = {});

// Windows of one satellite over all stations (each window names its station), sorted by AOS.
struct SatelliteContacts {
  int satnum = 0;
  std::vector<ContactWindow> windows;
  Status status;  // not OK if SGP4 failed within the horizon (windows then hold what was found)
};

// Every pass of one satellite over all `stations`: one coarse grid of positions serves every
// station, so this is much cheaper than FindContactWindows station by station (same windows).
SatelliteContacts FindSatelliteContactWindows(const Sgp4& satellite,
                                              const std::vector<GroundStation>& stations,
                                              TimePoint start, TimePoint end,
                                              const ContactSearchOptions& options = {});

// All satellites × all stations, parallel over satellites on `threads` threads (0 = all cores).
std::vector<SatelliteContacts> FindFleetContactWindows(const std::vector<Sgp4>& satellites,
                                                       const std::vector<GroundStation>& stations,
                                                       TimePoint start, TimePoint end,
                                                       const ContactSearchOptions& options = {},
                                                       int threads = 0);

}  // namespace apsis::link
