#include "link/mean_elements.h"

#include <cmath>
#include <limits>
#include <string>

#include "link/sun.h"

namespace apsis::link {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
// WGS-72 constants as in SGP4.
constexpr double kMu = 398600.8;
constexpr double kJ2 = 0.001082616;

double Xke() {
  return 60.0 / std::sqrt(kSgp4EarthRadiusKm * kSgp4EarthRadiusKm * kSgp4EarthRadiusKm / kMu);
}

// SGP4's recovery of the un-Kozai mean motion from the Kozai one (initl), rad/min.
double UnKozai(double no_kozai, double ecc, double incl_rad) {
  const double cosio = std::cos(incl_rad);
  const double omeosq = 1.0 - ecc * ecc;
  const double rteosq = std::sqrt(omeosq);
  const double ak = std::pow(Xke() / no_kozai, 2.0 / 3.0);
  const double d1 = 0.75 * kJ2 * (3.0 * cosio * cosio - 1.0) / (rteosq * omeosq);
  double del = d1 / (ak * ak);
  const double adel = ak * (1.0 - del * del - del * (1.0 / 3.0 + 134.0 * del * del / 81.0));
  del = d1 / (adel * adel);
  return no_kozai / (1.0 + del);
}

double Wrap360(double deg) {
  double r = std::fmod(deg, 360.0);
  if (r < 0) r += 360.0;
  return r;
}

}  // namespace

Result<OrbitalElements> ElementsFromMeanKeplerian(const MeanKeplerian& mean) {
  const std::string who =
      mean.name.empty() ? "satellite " + std::to_string(mean.satnum) : mean.name;
  if (mean.semi_major_axis_km.has_value() == mean.altitude_km.has_value()) {
    return InvalidArgumentError(who + ": give exactly one of semi-major axis and altitude");
  }
  const double a_km =
      mean.semi_major_axis_km.value_or(kSgp4EarthRadiusKm + mean.altitude_km.value_or(0));
  if (!(mean.eccentricity >= 0 && mean.eccentricity < 1)) {
    return InvalidArgumentError(who + ": eccentricity " + std::to_string(mean.eccentricity) +
                                " is out of range [0, 1)");
  }
  if (!(a_km * (1 - mean.eccentricity) > kSgp4EarthRadiusKm)) {
    return InvalidArgumentError(who + ": perigee radius " +
                                std::to_string(a_km * (1 - mean.eccentricity)) +
                                " km is inside the Earth (radius 6378.135 km); raise the "
                                "semi-major axis or lower the eccentricity");
  }
  if (!(mean.inclination_deg >= 0 && mean.inclination_deg <= 180)) {
    return InvalidArgumentError(who + ": inclination " + std::to_string(mean.inclination_deg) +
                                " deg is out of range [0, 180]");
  }
  const double incl = mean.inclination_deg * kDegToRad;
  // Target un-Kozai mean motion from the mean semi-major axis, then solve for the Kozai value.
  const double n_target = Xke() / std::pow(a_km / kSgp4EarthRadiusKm, 1.5);
  double n_kozai = n_target;
  for (int i = 0; i < 50; ++i) {
    const double next = n_kozai * n_target / UnKozai(n_kozai, mean.eccentricity, incl);
    if (std::fabs(next - n_kozai) < 1e-15 * n_kozai) {
      n_kozai = next;
      break;
    }
    n_kozai = next;
  }
  OrbitalElements e;
  e.name = mean.name;
  e.satnum = mean.satnum;
  e.epoch = mean.epoch;
  e.bstar = mean.bstar;
  e.inclination_deg = mean.inclination_deg;
  e.raan_deg = Wrap360(mean.raan_deg);
  e.eccentricity = mean.eccentricity;
  e.arg_perigee_deg = Wrap360(mean.arg_perigee_deg);
  e.mean_anomaly_deg = Wrap360(mean.mean_anomaly_deg);
  e.mean_motion_rev_day = n_kozai * 1440.0 / (2 * kPi);
  return e;
}

Result<double> SunSynchronousInclinationDeg(double altitude_km) {
  // Node rate that follows the mean Sun: 360° per tropical year.
  const double required = 2 * kPi / (365.2421897 * 86400.0);  // rad/s
  const double a = kSgp4EarthRadiusKm + altitude_km;
  const double n = std::sqrt(kMu / (a * a * a));
  const double ratio = kSgp4EarthRadiusKm / a;
  const double cos_i = -required / (1.5 * kJ2 * n * ratio * ratio);
  if (!(altitude_km > 0) || cos_i < -1.0) {
    return InvalidArgumentError("no sun-synchronous orbit exists at altitude " +
                                std::to_string(altitude_km) + " km (needs roughly 0-5,900 km)");
  }
  return std::acos(cos_i) / kDegToRad;
}

double RaanForLocalTimeOfAscendingNode(TimePoint epoch, double ltan_hours) {
  const Vec3 sun = SunPositionEci(epoch);
  const double sun_ra_deg = std::atan2(sun.y, sun.x) / kDegToRad;
  return Wrap360(sun_ra_deg + (ltan_hours - 12.0) * 15.0);
}

namespace {
// A positive decimal integer in text[begin, end), or -1.
int ParseCount(std::string_view text, size_t begin, size_t end) {
  if (begin >= end || end - begin > 6) return -1;
  int value = 0;
  for (size_t i = begin; i < end; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}
}  // namespace

Status ParseWalkerPattern(std::string_view text, ConstellationSpec* spec) {
  const size_t first = text.find('/');
  const size_t second = first == std::string_view::npos ? first : text.find('/', first + 1);
  if (second == std::string_view::npos || text.find('/', second + 1) != std::string_view::npos) {
    return InvalidArgumentError("Walker pattern '" + std::string(text) +
                                "' must be planes/sats-per-plane/phasing, e.g. 24/22/1");
  }
  const int planes = ParseCount(text, 0, first);
  const int per_plane = ParseCount(text, first + 1, second);
  const int phasing = ParseCount(text, second + 1, text.size());
  auto bad = [&](size_t column, const char* what) {
    return InvalidArgumentError("Walker pattern '" + std::string(text) + "', column " +
                                std::to_string(column + 1) + ": " + what);
  };
  if (planes < 1) return bad(0, "the number of planes must be a whole number >= 1");
  if (per_plane < 1) return bad(first + 1, "satellites per plane must be a whole number >= 1");
  if (phasing < 0) return bad(second + 1, "the phasing must be a whole number >= 0");
  if (phasing >= planes) return bad(second + 1, "the phasing must be below the number of planes");
  spec->planes = planes;
  spec->sats_per_plane = per_plane;
  spec->phasing = phasing;
  return Status::Ok();
}

Result<double> ParseLocalTimeOfAscendingNode(std::string_view text) {
  if (text == "dawn-dusk") return 6.0;
  if (text == "dusk-dawn") return 18.0;
  if (text.size() == 5 && text[2] == ':') {
    const int hours = ParseCount(text, 0, 2);
    const int minutes = ParseCount(text, 3, 5);
    if (hours >= 0 && hours < 24 && minutes >= 0 && minutes < 60) return hours + minutes / 60.0;
  }
  return InvalidArgumentError("local time of the ascending node '" + std::string(text) +
                              "' must be dawn-dusk, dusk-dawn or HH:MM (e.g. 06:00)");
}

Result<std::vector<OrbitalElements>> GenerateConstellation(const ConstellationSpec& spec) {
  if (spec.planes < 1 || spec.sats_per_plane < 1) {
    return InvalidArgumentError("constellation needs at least 1 plane and 1 satellite per plane");
  }
  const int64_t total64 = int64_t{spec.planes} * spec.sats_per_plane;
  if (total64 > kMaxConstellationSatellites) {
    return InvalidArgumentError("constellation of " + std::to_string(spec.planes) + " x " +
                                std::to_string(spec.sats_per_plane) + " = " +
                                std::to_string(total64) + " satellites exceeds the limit of " +
                                std::to_string(kMaxConstellationSatellites) +
                                "; split it into smaller shells");
  }
  if (int64_t{spec.first_satnum} + total64 > std::numeric_limits<int>::max()) {
    return InvalidArgumentError("satellite numbers from first_satnum " +
                                std::to_string(spec.first_satnum) + " overflow");
  }
  const int total = static_cast<int>(total64);
  if (spec.phasing < 0 || spec.phasing >= spec.planes) {
    return InvalidArgumentError(
        "Walker phasing F = " + std::to_string(spec.phasing) +
        " is out of range [0, planes - 1 = " + std::to_string(spec.planes - 1) + "]");
  }
  double inclination = 0;
  double raan0 = spec.first_raan_deg;
  if (spec.sun_synchronous_ltan_hours) {
    ASSIGN_OR_RETURN(inclination, SunSynchronousInclinationDeg(spec.altitude_km));
    raan0 = RaanForLocalTimeOfAscendingNode(spec.epoch, *spec.sun_synchronous_ltan_hours);
  } else if (spec.inclination_deg) {
    inclination = *spec.inclination_deg;
  } else {
    return InvalidArgumentError(
        "constellation needs an inclination or a sun-synchronous local time of ascending node");
  }
  std::vector<OrbitalElements> out;
  out.reserve(total);
  for (int p = 0; p < spec.planes; ++p) {
    for (int s = 0; s < spec.sats_per_plane; ++s) {
      MeanKeplerian m;
      m.name = spec.name_prefix + "-" + std::to_string(p + 1) + "-" + std::to_string(s + 1);
      m.satnum = spec.first_satnum + p * spec.sats_per_plane + s;
      m.epoch = spec.epoch;
      m.altitude_km = spec.altitude_km;
      m.inclination_deg = inclination;
      m.raan_deg = raan0 + p * spec.raan_spread_deg / spec.planes;
      m.mean_anomaly_deg =
          s * 360.0 / spec.sats_per_plane + double(p) * spec.phasing * 360.0 / total;
      m.bstar = spec.bstar;
      ASSIGN_OR_RETURN(OrbitalElements e, ElementsFromMeanKeplerian(m));
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace apsis::link
