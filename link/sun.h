// Sun position and Earth-shadow geometry for orbital power planning.
//
// SunPositionEci: the Astronomical Almanac's low-precision solar ephemeris (about 0.01° over
// 1950-2050), geocentric, mean equator and equinox of date, which for eclipse and beta-angle
// purposes is the same frame as TEME. SunlitFraction: conical Earth shadow (umbra and penumbra)
// with the Sun as a finite disc; 1 = full sun, 0 = umbra. Pure functions, thread-safe.
#pragma once

#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "link/sgp4.h"
#include "link/vec3.h"

namespace apsis::link {

inline constexpr double kSunRadiusKm = 696000.0;
inline constexpr double kAstronomicalUnitKm = 149597870.7;
// Shadow computations use a spherical Earth of the WGS-84 equatorial radius.
inline constexpr double kShadowEarthRadiusKm = 6378.137;

// Geocentric Sun position in km.
Vec3 SunPositionEci(TimePoint t);

// Fraction of the solar disc visible from `sat_km` (same frame as `sun_km`), in [0, 1].
double SunlitFraction(const Vec3& sat_km, const Vec3& sun_km);

// How far from a shadow boundary `sat_km` is, in radians of the angle between the Sun's and the
// Earth's centres: full_sun > 0 exactly when SunlitFraction is 1, umbra > 0 exactly when it is 0.
struct ShadowMargins {
  double full_sun = 0;
  double umbra = 0;
};
ShadowMargins ShadowMarginsAt(const Vec3& sat_km, const Vec3& sun_km);

// Solar beta angle (degrees): the Sun's elevation above the orbit plane of state `s`.
double BetaAngleDeg(const TemeState& s, const Vec3& sun_km);

// One passage through the Earth's shadow.
struct Eclipse {
  TimePoint entry;                // penumbra entry (sunlit fraction drops below 1)
  TimePoint exit;                 // penumbra exit (back to full sun)
  double umbra_s = 0;             // time with sunlit fraction 0
  double penumbra_s = 0;          // time partially lit (exit − entry − umbra)
  bool starts_in_shadow = false;  // entry clipped to the horizon start
  bool ends_in_shadow = false;    // exit clipped to the horizon end
};

// Every eclipse of the satellite in [start, end], entry and exit to within `tolerance` (≤ 1 s by
// default). Fails if SGP4 fails during the horizon.
Result<std::vector<Eclipse>> FindEclipses(const Sgp4& model, TimePoint start, TimePoint end,
                                          Duration tolerance = Seconds(0.5));

}  // namespace apsis::link
