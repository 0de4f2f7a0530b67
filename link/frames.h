// Time scales, reference frames and topocentric geometry for orbit work.
//
// Julian dates, Greenwich mean sidereal time (IAU-82), TEME → Earth-fixed (ECEF, polar motion
// ignored), WGS-84 geodetic ↔ ECEF and azimuth/elevation/range/range-rate from a ground site.
// UTC stands in for UT1 (|UT1 − UTC| < 0.9 s, a few hundred metres of Earth rotation at most,
// well inside what contact-window and eclipse predictions need). Pure functions, thread-safe.
#pragma once

#include "common/time.h"
#include "link/sgp4.h"
#include "link/vec3.h"

namespace apsis::link {

inline constexpr double kEarthRotationRadPerS = 7.292115146706979e-5;
inline constexpr double kWgs84EquatorialRadiusKm = 6378.137;
inline constexpr double kWgs84Flattening = 1.0 / 298.257223563;

// Julian date of a UTC time point (JD 2440587.5 is the Unix epoch).
double JulianDate(TimePoint t);
// Days (and fraction) since J2000.0 = 2000-01-01 12:00 (JD 2451545.0), computed without the
// precision loss of a full Julian date.
double DaysSinceJ2000(TimePoint t);

// Greenwich mean sidereal angle (IAU-82, radians in [0, 2π)) from a UT1 Julian date.
double GmstFromJulianDate(double jd_ut1);
// The same for a UTC time point (UTC used as UT1).
double Gmst(TimePoint t);

struct EcefState {
  Vec3 r_km;
  Vec3 v_km_s;  // velocity relative to the rotating Earth
};

// Rotates a TEME state by the sidereal angle `gmst` into the Earth-fixed frame.
EcefState TemeToEcef(const TemeState& teme, double gmst);
// Position only: the cheap variant for look angles and geodetic output.
Vec3 TemeToEcefPosition(const Vec3& r_teme, double gmst);
// Earth-fixed position back to TEME (inverse rotation).
Vec3 EcefToTemePosition(const Vec3& r_ecef, double gmst);

struct Geodetic {
  double lat_deg = 0;
  double lon_deg = 0;  // east positive, (-180, 180]
  double alt_km = 0;   // above the WGS-84 ellipsoid
};

Vec3 GeodeticToEcef(const Geodetic& g);
// Exact to well under a millimetre for any altitude above −5,000 km (Bowring's method, iterated).
Geodetic EcefToGeodetic(const Vec3& r_ecef);

// A ground site prepared for repeated look-angle evaluation.
class Topocentric {
 public:
  explicit Topocentric(const Geodetic& site);

  struct LookAngles {
    double azimuth_deg = 0;  // from north through east, [0, 360)
    double elevation_deg = 0;
    double range_km = 0;
    double range_rate_km_s = 0;  // positive when receding
  };
  LookAngles Look(const EcefState& sat) const;
  // Elevation only (radians), the hot path of contact-window search.
  double ElevationRad(const Vec3& sat_ecef_km) const;

  const Vec3& position_km() const { return ecef_; }
  const Vec3& up() const { return up_; }

 private:
  Vec3 ecef_;
  Vec3 east_, north_, up_;
};

}  // namespace apsis::link
