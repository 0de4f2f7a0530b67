#include "link/frames.h"

#include <cmath>

namespace apsis::link {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kTwoPi = 2.0 * kPi;
constexpr double kDegToRad = kPi / 180.0;
constexpr int64_t kMicrosPerDay = 86400LL * 1000000LL;
// 2000-01-01 12:00:00 UTC in Unix microseconds.
constexpr int64_t kJ2000Micros = 946728000LL * 1000000LL;
}  // namespace

double JulianDate(TimePoint t) { return 2451545.0 + DaysSinceJ2000(t); }

double DaysSinceJ2000(TimePoint t) {
  const int64_t us = t.micros() - kJ2000Micros;
  const int64_t days = us / kMicrosPerDay;  // truncation keeps the remainder small either way
  return static_cast<double>(days) +
         static_cast<double>(us - days * kMicrosPerDay) / static_cast<double>(kMicrosPerDay);
}

namespace {
// IAU-82 GMST from UT1 Julian centuries since J2000.0.
double GmstFromCenturies(double tut1) {
  double temp = -6.2e-6 * tut1 * tut1 * tut1 + 0.093104 * tut1 * tut1 +
                (876600.0 * 3600.0 + 8640184.812866) * tut1 + 67310.54841;  // seconds
  temp = std::fmod(temp * kDegToRad / 240.0, kTwoPi);  // 360°/86400 s = 1/240 °/s
  if (temp < 0.0) temp += kTwoPi;
  return temp;
}
}  // namespace

double GmstFromJulianDate(double jd_ut1) {
  return GmstFromCenturies((jd_ut1 - 2451545.0) / 36525.0);
}

// From the time point directly, avoiding the ~40 µs rounding of a full Julian date.
double Gmst(TimePoint t) { return GmstFromCenturies(DaysSinceJ2000(t) / 36525.0); }

Vec3 TemeToEcefPosition(const Vec3& r, double gmst) {
  const double c = std::cos(gmst);
  const double s = std::sin(gmst);
  return {c * r.x + s * r.y, -s * r.x + c * r.y, r.z};
}

Vec3 EcefToTemePosition(const Vec3& r, double gmst) {
  const double c = std::cos(gmst);
  const double s = std::sin(gmst);
  return {c * r.x - s * r.y, s * r.x + c * r.y, r.z};
}

EcefState TemeToEcef(const TemeState& teme, double gmst) {
  const double c = std::cos(gmst);
  const double s = std::sin(gmst);
  EcefState out;
  out.r_km = {c * teme.r_km.x + s * teme.r_km.y, -s * teme.r_km.x + c * teme.r_km.y, teme.r_km.z};
  const Vec3 v_rot = {c * teme.v_km_s.x + s * teme.v_km_s.y, -s * teme.v_km_s.x + c * teme.v_km_s.y,
                      teme.v_km_s.z};
  // v_ecef = R v_teme − ω × r_ecef
  const Vec3 omega_cross_r = {-kEarthRotationRadPerS * out.r_km.y,
                              kEarthRotationRadPerS * out.r_km.x, 0.0};
  out.v_km_s = v_rot - omega_cross_r;
  return out;
}

Vec3 GeodeticToEcef(const Geodetic& g) {
  const double e2 = kWgs84Flattening * (2.0 - kWgs84Flattening);
  const double lat = g.lat_deg * kDegToRad;
  const double lon = g.lon_deg * kDegToRad;
  const double sin_lat = std::sin(lat);
  const double cos_lat = std::cos(lat);
  const double n = kWgs84EquatorialRadiusKm / std::sqrt(1.0 - e2 * sin_lat * sin_lat);
  return {(n + g.alt_km) * cos_lat * std::cos(lon), (n + g.alt_km) * cos_lat * std::sin(lon),
          (n * (1.0 - e2) + g.alt_km) * sin_lat};
}

Geodetic EcefToGeodetic(const Vec3& r) {
  const double a = kWgs84EquatorialRadiusKm;
  const double f = kWgs84Flattening;
  const double b = a * (1.0 - f);
  const double e2 = f * (2.0 - f);
  const double ep2 = e2 / (1.0 - e2);
  const double p = std::hypot(r.x, r.y);
  Geodetic g;
  g.lon_deg = std::atan2(r.y, r.x) / kDegToRad;
  if (p < 1e-9) {  // on the polar axis
    g.lat_deg = r.z >= 0 ? 90.0 : -90.0;
    g.alt_km = std::fabs(r.z) - b;
    return g;
  }
  // Bowring's initial guess, refined by fixed-point iteration on the reduced latitude.
  double beta = std::atan2(r.z * a, p * b);
  double lat = 0;
  for (int i = 0; i < 4; ++i) {
    const double sb = std::sin(beta);
    const double cb = std::cos(beta);
    lat = std::atan2(r.z + ep2 * b * sb * sb * sb, p - e2 * a * cb * cb * cb);
    const double new_beta = std::atan2((1.0 - f) * std::sin(lat), std::cos(lat));
    if (std::fabs(new_beta - beta) < 1e-15) break;
    beta = new_beta;
  }
  const double sin_lat = std::sin(lat);
  const double n = a / std::sqrt(1.0 - e2 * sin_lat * sin_lat);
  // Altitude formula that stays accurate near the poles and the equator alike.
  g.alt_km = p * std::cos(lat) + (r.z + e2 * n * sin_lat) * sin_lat - n;
  g.lat_deg = lat / kDegToRad;
  return g;
}

Topocentric::Topocentric(const Geodetic& site) : ecef_(GeodeticToEcef(site)) {
  const double lat = site.lat_deg * kDegToRad;
  const double lon = site.lon_deg * kDegToRad;
  east_ = {-std::sin(lon), std::cos(lon), 0.0};
  north_ = {-std::sin(lat) * std::cos(lon), -std::sin(lat) * std::sin(lon), std::cos(lat)};
  up_ = {std::cos(lat) * std::cos(lon), std::cos(lat) * std::sin(lon), std::sin(lat)};
}

Topocentric::LookAngles Topocentric::Look(const EcefState& sat) const {
  const Vec3 rho = sat.r_km - ecef_;
  const double e = Dot(rho, east_);
  const double n = Dot(rho, north_);
  const double u = Dot(rho, up_);
  LookAngles out;
  out.range_km = Norm(rho);
  out.elevation_deg = std::asin(u / out.range_km) / kDegToRad;
  double az = std::atan2(e, n) / kDegToRad;
  if (az < 0) az += 360.0;
  if (az >= 360.0) az = 0.0;  // -0.0 or a tiny negative angle rounds up to exactly 360
  out.azimuth_deg = az;
  out.range_rate_km_s = Dot(rho, sat.v_km_s) / out.range_km;
  return out;
}

double Topocentric::ElevationRad(const Vec3& sat) const {
  const Vec3 rho = sat - ecef_;
  return std::asin(Dot(rho, up_) / Norm(rho));
}

}  // namespace apsis::link
