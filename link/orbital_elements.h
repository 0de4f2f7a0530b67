// OrbitalElements: one NORAD mean element set (what a TLE carries), in the TLE's own units.
//
// Produced by the TLE parser (link/tle.h) and by the mean-element and constellation builders
// (link/mean_elements.h); consumed by the SGP4 propagator (link/sgp4.h). Plain value type.
#pragma once

#include <string>

#include "common/time.h"

namespace apsis::link {

struct OrbitalElements {
  std::string name;                      // line 0 of a three-line set, or a generated name
  int satnum = 0;                        // catalogue number (Alpha-5 letters decoded)
  char classification = 'U';             // U, C or S
  std::string international_designator;  // e.g. "19029A"
  TimePoint epoch;                       // epoch, UTC (exact: TLE epochs are multiples of 864 µs)
  double mean_motion_dot = 0;            // first derivative of mean motion / 2, rev/day²
  double mean_motion_ddot = 0;           // second derivative of mean motion / 6, rev/day³
  double bstar = 0;                      // drag term, 1 / Earth radii
  int ephemeris_type = 0;
  int element_number = 0;
  double inclination_deg = 0;
  double raan_deg = 0;  // right ascension of the ascending node
  double eccentricity = 0;
  double arg_perigee_deg = 0;
  double mean_anomaly_deg = 0;
  double mean_motion_rev_day = 0;  // Kozai mean motion, revolutions per day
  int rev_number = 0;              // revolution number at epoch
};

// Days since 1949-12-31 00:00 UTC (Julian date − 2433281.5), SGP4's epoch unit.
double DaysSince1950(TimePoint t);

}  // namespace apsis::link
