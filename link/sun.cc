#include "link/sun.h"

#include <algorithm>
#include <cmath>

#include "link/frames.h"
#include "link/interval_search.h"

namespace apsis::link {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;

// Sun-disc boundary functions: positive in full sun (penumbra boundary) and positive outside the
// umbra (umbra boundary); both are smooth in time, which root finding needs.
struct ShadowAngles {
  double sun_radius;    // apparent angular radius of the Sun seen from the satellite
  double earth_radius;  // apparent angular radius of the Earth
  double separation;    // angle between the two centres
};

ShadowAngles Angles(const Vec3& sat, const Vec3& sun) {
  const Vec3 to_sun = sun - sat;
  const double d_sun = Norm(to_sun);
  const double d_earth = Norm(sat);
  ShadowAngles a;
  a.sun_radius = std::asin(std::min(1.0, kSunRadiusKm / d_sun));
  a.earth_radius = std::asin(std::min(1.0, kShadowEarthRadiusKm / d_earth));
  const double cos_sep = -Dot(sat, to_sun) / (d_earth * d_sun);
  a.separation = std::acos(std::clamp(cos_sep, -1.0, 1.0));
  return a;
}

}  // namespace

Vec3 SunPositionEci(TimePoint t) {
  const double n = DaysSinceJ2000(t);
  const double mean_longitude = std::fmod(280.460 + 0.9856474 * n, 360.0);
  const double mean_anomaly = std::fmod(357.528 + 0.9856003 * n, 360.0) * kDegToRad;
  const double ecliptic_longitude =
      (mean_longitude + 1.915 * std::sin(mean_anomaly) + 0.020 * std::sin(2 * mean_anomaly)) *
      kDegToRad;
  const double obliquity = (23.439 - 0.0000004 * n) * kDegToRad;
  const double distance_au =
      1.00014 - 0.01671 * std::cos(mean_anomaly) - 0.00014 * std::cos(2 * mean_anomaly);
  const double r = distance_au * kAstronomicalUnitKm;
  return {r * std::cos(ecliptic_longitude), r * std::cos(obliquity) * std::sin(ecliptic_longitude),
          r * std::sin(obliquity) * std::sin(ecliptic_longitude)};
}

double SunlitFraction(const Vec3& sat_km, const Vec3& sun_km) {
  const ShadowAngles s = Angles(sat_km, sun_km);
  const double a = s.sun_radius;
  const double b = s.earth_radius;
  const double c = s.separation;
  if (c >= a + b) return 1.0;                      // discs apart: full sun
  if (c <= b - a) return 0.0;                      // Sun entirely behind the Earth: umbra
  if (c <= a - b) return 1.0 - (b * b) / (a * a);  // Earth inside the Sun's disc (annular)
  // Partial overlap of two discs (flat-disc approximation, fine at these angular sizes).
  const double x = (c * c + a * a - b * b) / (2 * c);
  const double y = std::sqrt(std::max(0.0, a * a - x * x));
  const double overlap = a * a * std::acos(std::clamp(x / a, -1.0, 1.0)) +
                         b * b * std::acos(std::clamp((c - x) / b, -1.0, 1.0)) - c * y;
  return std::clamp(1.0 - overlap / (kPi * a * a), 0.0, 1.0);
}

ShadowMargins ShadowMarginsAt(const Vec3& sat_km, const Vec3& sun_km) {
  const ShadowAngles s = Angles(sat_km, sun_km);
  return {s.separation - (s.sun_radius + s.earth_radius),
          (s.earth_radius - s.sun_radius) - s.separation};
}

double BetaAngleDeg(const TemeState& s, const Vec3& sun_km) {
  const Vec3 normal = Normalized(Cross(s.r_km, s.v_km_s));
  return std::asin(Dot(normal, Normalized(sun_km))) / kDegToRad;
}

Result<std::vector<Eclipse>> FindEclipses(const Sgp4& model, TimePoint start, TimePoint end,
                                          Duration tolerance) {
  std::vector<Eclipse> out;
  if (end <= start) return out;
  const double horizon_s = ToSeconds(end - start);
  // Coarse step: a small fraction of the period so that every eclipse spans several samples.
  const double step_s = std::clamp(model.period_minutes() * 60.0 / 100.0, 10.0, 60.0);
  const double tol_s = std::max(1e-3, ToSeconds(tolerance));
  Sgp4Error failure = Sgp4Error::kNone;
  double failure_at = 0;

  // which = 0: penumbra boundary (value > 0 inside any shadow); 1: umbra boundary.
  auto shadow_depth = [&](double t, int which, double* slack) {
    TemeState s;
    const Sgp4Error e = model.PropagateMinutes(model.MinutesSinceEpoch(start + Seconds(t)), &s);
    if (e != Sgp4Error::kNone && failure == Sgp4Error::kNone) {
      failure = e;
      failure_at = t;
    }
    const ShadowAngles a = Angles(s.r_km, SunPositionEci(start + Seconds(t)));
    if (slack != nullptr) {
      // The angles change at most at about the orbital angular rate (plus the rate of change of
      // the Earth's apparent size for eccentric orbits); bound over half a step, doubled.
      const double r = Norm(s.r_km);
      const double rate = Norm(s.v_km_s) / r * 2.0;
      *slack = rate * step_s;
    }
    return which == 0 ? (a.sun_radius + a.earth_radius) - a.separation
                      : (a.earth_radius - a.sun_radius) - a.separation;
  };

  std::vector<double> times, values, slack;
  for (double t = 0;; t += step_s) {
    const double tt = std::min(t, horizon_s);
    double sl = 0;
    times.push_back(tt);
    values.push_back(shadow_depth(tt, 0, &sl));
    slack.push_back(sl);
    if (tt >= horizon_s) break;
  }
  if (failure != Sgp4Error::kNone) {
    return OutOfRangeError("satellite " + std::to_string(model.elements().satnum) +
                           ": SGP4 error " + std::to_string(static_cast<int>(failure)) + " at " +
                           FormatRfc3339(start + Seconds(failure_at)) + " (" +
                           std::string(Sgp4ErrorText(failure)) + ")");
  }
  auto penumbra_fn = [&](double t) { return shadow_depth(t, 0, nullptr); };
  auto umbra_fn = [&](double t) { return shadow_depth(t, 1, nullptr); };
  for (const auto& iv :
       interval_search::FindPositiveIntervals(penumbra_fn, times, values, slack, tol_s)) {
    Eclipse e;
    e.entry = start + Seconds(iv.begin);
    e.exit = start + Seconds(iv.end);
    e.starts_in_shadow = iv.begins_at_start;
    e.ends_in_shadow = iv.ends_at_end;
    // Umbra inside this eclipse: a finer grid over the eclipse only.
    std::vector<double> ut, uv, us;
    const double ustep = std::min(step_s / 2, std::max(tol_s, (iv.end - iv.begin) / 8));
    for (double t = iv.begin;; t += ustep) {
      const double tt = std::min(t, iv.end);
      double sl = 0;
      ut.push_back(tt);
      uv.push_back(shadow_depth(tt, 1, &sl));
      us.push_back(sl * ustep / step_s);
      if (tt >= iv.end) break;
    }
    double umbra = 0;
    for (const auto& u : interval_search::FindPositiveIntervals(umbra_fn, ut, uv, us, tol_s)) {
      umbra += u.end - u.begin;
    }
    e.umbra_s = umbra;
    e.penumbra_s = std::max(0.0, ToSeconds(e.exit - e.entry) - umbra);
    out.push_back(e);
  }
  if (failure != Sgp4Error::kNone) {
    return OutOfRangeError("satellite " + std::to_string(model.elements().satnum) +
                           ": SGP4 error " + std::to_string(static_cast<int>(failure)) + " at " +
                           FormatRfc3339(start + Seconds(failure_at)) + " (" +
                           std::string(Sgp4ErrorText(failure)) + ")");
  }
  return out;
}

}  // namespace apsis::link
