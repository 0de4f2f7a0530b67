#include "link/contact_windows.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>

#include "link/interval_search.h"

namespace apsis::link {
namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kDegToRad = kPi / 180.0;
// Upper bound of the ground speed of a site due to Earth rotation, km/s.
constexpr double kMaxSiteSpeedKmS = 0.47;

Status Sgp4FailureStatus(const Sgp4& model, Sgp4Error error, TimePoint at) {
  return OutOfRangeError("satellite " + std::to_string(model.elements().satnum) + ": SGP4 error " +
                         std::to_string(static_cast<int>(error)) + " at " + FormatRfc3339(at) +
                         " (" + std::string(Sgp4ErrorText(error)) +
                         "); windows after it are "
                         "not predicted");
}

SatelliteContacts SearchSatellite(const Sgp4& model, const std::vector<GroundStation>& stations,
                                  TimePoint start, TimePoint end,
                                  const ContactSearchOptions& options) {
  SatelliteContacts result;
  result.satnum = model.elements().satnum;
  if (end <= start) return result;
  const double horizon_s = ToSeconds(end - start);
  const double step_s = std::max(1.0, ToSeconds(options.coarse_step));
  const double tol_s = std::max(1e-3, ToSeconds(options.tolerance));
  const double epoch_offset_min = model.MinutesSinceEpoch(start);

  // Coarse grid of Earth-fixed positions, shared by all stations.
  std::vector<double> times;
  std::vector<Vec3> ecef;
  std::vector<double> speed;
  Sgp4Error failure = Sgp4Error::kNone;
  double failure_at = 0;
  for (double t = 0;; t += step_s) {
    const double tt = std::min(t, horizon_s);
    TemeState s;
    const Sgp4Error e = model.PropagateMinutes(epoch_offset_min + tt / 60.0, &s);
    if (e != Sgp4Error::kNone) {
      failure = e;
      failure_at = tt;
      break;
    }
    times.push_back(tt);
    ecef.push_back(TemeToEcefPosition(s.r_km, Gmst(start + Seconds(tt))));
    speed.push_back(Norm(s.v_km_s) + kMaxSiteSpeedKmS);
    if (tt >= horizon_s) break;
  }
  if (failure != Sgp4Error::kNone) {
    result.status = Sgp4FailureStatus(model, failure, start + Seconds(failure_at));
  }

  auto position_at = [&](double t) {
    TemeState s;
    if (model.PropagateMinutes(epoch_offset_min + t / 60.0, &s) != Sgp4Error::kNone) {
      return Vec3{0, 0, 0};  // only reachable past a failure, which the grid already excludes
    }
    return TemeToEcefPosition(s.r_km, Gmst(start + Seconds(t)));
  };

  std::vector<double> values(times.size());
  std::vector<double> slack(times.size());
  for (const GroundStation& station : stations) {
    const Topocentric site(station.location);
    const double mask_rad =
        options.min_elevation_deg.value_or(station.min_elevation_deg) * kDegToRad;
    for (size_t i = 0; i < times.size(); ++i) {
      const Vec3 rho = ecef[i] - site.position_km();
      const double range = Norm(rho);
      values[i] = std::asin(Dot(rho, site.up()) / range) - mask_rad;
      // Within half a step the satellite moves at most d km relative to the site, so the line of
      // sight turns by at most asin(d / range).
      const double d = speed[i] * step_s * 0.5;
      slack[i] = d >= range ? kPi : std::asin(d / range);
    }
    auto elevation = [&](double t) { return site.ElevationRad(position_at(t)) - mask_rad; };
    auto neg_range = [&](double t) { return -Norm(position_at(t) - site.position_km()); };
    for (const auto& iv :
         interval_search::FindPositiveIntervals(elevation, times, values, slack, tol_s)) {
      // Bracket the peak around the highest grid sample inside the pass.
      double best_t = 0.5 * (iv.begin + iv.end);
      double best_v = -1e9;
      for (size_t i = 0; i < times.size(); ++i) {
        if (times[i] >= iv.begin && times[i] <= iv.end && values[i] > best_v) {
          best_v = values[i];
          best_t = times[i];
        }
      }
      const double lo = std::max(iv.begin, best_t - step_s);
      const double hi = std::min(iv.end, best_t + step_s);
      auto [t_max, e_max] = interval_search::Maximize(elevation, lo, hi, 0.02);
      // A pass clipped by the horizon may peak at the clipped end, which Brent never evaluates.
      for (const double edge :
           {iv.begins_at_start ? iv.begin : -1.0, iv.ends_at_end ? iv.end : -1.0}) {
        if (edge < 0) continue;
        const double e = elevation(edge);
        if (e > e_max) {
          t_max = edge;
          e_max = e;
        }
      }
      const double rlo = std::max(iv.begin, t_max - step_s);
      const double rhi = std::min(iv.end, t_max + step_s);
      const auto [t_min_range, neg_min_range] = interval_search::Maximize(neg_range, rlo, rhi, 0.1);

      ContactWindow w;
      w.station = station.name;
      w.aos = start + Seconds(iv.begin);
      w.los = start + Seconds(iv.end);
      w.max_elevation_at = start + Seconds(t_max);
      w.max_elevation_deg = (e_max + mask_rad) / kDegToRad;
      w.min_range_km = -neg_min_range;
      w.uplink_bps = station.uplink_bps;
      w.downlink_bps = station.downlink_bps;
      result.windows.push_back(std::move(w));
    }
  }
  std::stable_sort(result.windows.begin(), result.windows.end(),
                   [](const ContactWindow& a, const ContactWindow& b) { return a.aos < b.aos; });
  return result;
}

}  // namespace

Result<std::vector<ContactWindow>> FindContactWindows(const Sgp4& satellite,
                                                      const GroundStation& station, TimePoint start,
                                                      TimePoint end,
                                                      const ContactSearchOptions& options) {
  SatelliteContacts contacts = SearchSatellite(satellite, {station}, start, end, options);
  if (!contacts.status.ok()) return contacts.status;
  return std::move(contacts.windows);
}

SatelliteContacts FindSatelliteContactWindows(const Sgp4& satellite,
                                              const std::vector<GroundStation>& stations,
                                              TimePoint start, TimePoint end,
                                              const ContactSearchOptions& options) {
  return SearchSatellite(satellite, stations, start, end, options);
}

std::vector<SatelliteContacts> FindFleetContactWindows(const std::vector<Sgp4>& satellites,
                                                       const std::vector<GroundStation>& stations,
                                                       TimePoint start, TimePoint end,
                                                       const ContactSearchOptions& options,
                                                       int threads) {
  std::vector<SatelliteContacts> results(satellites.size());
  int workers = threads > 0 ? threads : static_cast<int>(std::thread::hardware_concurrency());
  workers = std::clamp(workers, 1, std::max(1, static_cast<int>(satellites.size())));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next.fetch_add(1); i < satellites.size(); i = next.fetch_add(1)) {
      results[i] = SearchSatellite(satellites[i], stations, start, end, options);
    }
  };
  if (workers == 1) {
    work();
    return results;
  }
  std::vector<std::thread> pool;
  pool.reserve(workers - 1);
  for (int w = 1; w < workers; ++w) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  return results;
}

}  // namespace apsis::link
