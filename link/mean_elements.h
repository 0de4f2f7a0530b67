// Mean Keplerian elements and constellation generators, turned into SGP4 element sets.
//
// ElementsFromMeanKeplerian converts an epoch, semi-major axis (or mean altitude), eccentricity,
// inclination, RAAN, argument of perigee, mean anomaly and optional B* into the same
// OrbitalElements a TLE gives: the semi-major axis is taken as SGP4's recovered (Brouwer) mean
// value and the Kozai mean motion is solved for, so that SGP4 reproduces it exactly.
// GenerateConstellation builds Walker-delta shells and sun-synchronous (dawn-dusk) planes.
// Pure functions, thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "link/orbital_elements.h"

namespace apsis::link {

// WGS-72 equatorial radius: SGP4's Earth, so that "altitude" means the same as in the model.
inline constexpr double kSgp4EarthRadiusKm = 6378.135;

struct MeanKeplerian {
  std::string name;
  int satnum = 0;
  TimePoint epoch;
  std::optional<double> semi_major_axis_km;  // exactly one of these two
  std::optional<double> altitude_km;         // mean altitude above kSgp4EarthRadiusKm
  double eccentricity = 0;
  double inclination_deg = 0;
  double raan_deg = 0;
  double arg_perigee_deg = 0;
  double mean_anomaly_deg = 0;
  double bstar = 0;
};

// Fails with INVALID_ARGUMENT naming the field when a value is out of range (e.g. a perigee
// below the Earth's surface).
Result<OrbitalElements> ElementsFromMeanKeplerian(const MeanKeplerian& mean);

// Inclination (degrees, retrograde) of a circular sun-synchronous orbit at `altitude_km`.
Result<double> SunSynchronousInclinationDeg(double altitude_km);

// Right ascension (degrees) of the ascending node for a given local time of the ascending node
// (hours, e.g. 6.0 or 18.0 for dawn-dusk) at `epoch`, measured from the apparent Sun.
double RaanForLocalTimeOfAscendingNode(TimePoint epoch, double ltan_hours);

struct ConstellationSpec {
  std::string name_prefix = "SAT";
  int first_satnum = 90000;
  TimePoint epoch;
  int planes = 1;
  int sats_per_plane = 1;
  int phasing = 0;  // Walker F: relative phase between adjacent planes, in units of 360°/total
  double altitude_km = 550;
  std::optional<double> inclination_deg;  // required unless sun-synchronous
  // Sun-synchronous: inclination from the altitude, first plane's RAAN from this LTAN (hours).
  std::optional<double> sun_synchronous_ltan_hours;
  double raan_spread_deg = 360;  // planes are spread over this much RAAN
  double first_raan_deg = 0;     // ignored when sun-synchronous
  double bstar = 0;
};

// Reads a Walker-delta pattern "planes/sats-per-plane/phasing", e.g. "24/22/1", into `spec`.
// Errors say which part is wrong and name the column (1-based) in `text`.
Status ParseWalkerPattern(std::string_view text, ConstellationSpec* spec);

// Local time of the ascending node (hours) for a sun-synchronous orbit: "dawn-dusk" (06:00),
// "dusk-dawn" (18:00) or a time "HH:MM".
Result<double> ParseLocalTimeOfAscendingNode(std::string_view text);

// More satellites than any constellation flown or filed; larger counts are refused before any
// allocation (and before int arithmetic on the count could overflow).
inline constexpr int64_t kMaxConstellationSatellites = 100'000;

// Satellites named "<prefix>-<plane>-<slot>" (1-based), numbered from first_satnum.
Result<std::vector<OrbitalElements>> GenerateConstellation(const ConstellationSpec& spec);

}  // namespace apsis::link
