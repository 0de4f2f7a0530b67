// Ground-station files: a YAML list of stations or a GeoJSON FeatureCollection of points.
//
// YAML (a top-level list, or a mapping with a `stations:` list):
//   - name: Oregon
//     lat: 45.51            # degrees north
//     lon: -119.37          # degrees east
//     alt_m: 100            # optional, metres above the WGS-84 ellipsoid (default 0)
//     min_elevation_deg: 10 # optional elevation mask (default 10)
//     uplink_bps: 2.0e6     # optional (default 0)
//     downlink_bps: 5.0e7   # optional (default 0)
// GeoJSON: features with Point geometry [lon, lat(, alt_m)] and properties.name; the optional
// properties min_elevation_deg, uplink_bps and downlink_bps are read, others ignored.
//
// Parsing only: the caller reads the file. Errors carry "file:line:col". Thread-safe.
#pragma once

#include <string>
#include <vector>

#include "common/status.h"
#include "link/contact_windows.h"

namespace apsis::link {

Result<std::vector<GroundStation>> ParseStationFile(const std::string& text,
                                                    const std::string& source);

}  // namespace apsis::link
