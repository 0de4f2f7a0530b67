#include "sim/analysis/tco.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace apsis::sim {
namespace {

constexpr double kHoursPerYear = 8760;  // 365 days; leap days do not move the comparison

Status CheckRange(const char* field, double value, double min, bool min_inclusive, double max,
                  const char* example) {
  bool low_ok = min_inclusive ? value >= min : value > min;
  if (std::isfinite(value) && low_ok && value <= max) return Status::Ok();
  std::string bound = fmt::format("{} {}", min_inclusive ? ">=" : ">", min);
  if (std::isfinite(max)) bound += fmt::format(" and <= {}", max);
  return InvalidArgumentError(
      fmt::format("{} = {} must be {} (for example {})", field, value, bound, example));
}

}  // namespace

Status ValidateTcoParams(const TcoParams& p) {
  constexpr double kInf = INFINITY;
  RETURN_IF_ERROR(CheckRange("gpu_cost_usd", p.gpu_cost_usd, 0, true, kInf, "30000"));
  RETURN_IF_ERROR(CheckRange("kw_per_gpu", p.kw_per_gpu, 0, false, kInf, "1.275"));
  RETURN_IF_ERROR(CheckRange("lifetime_years", p.lifetime_years, 0, false, 100, "5"));
  RETURN_IF_ERROR(CheckRange("energy_usd_per_kwh", p.energy_usd_per_kwh, 0, true, kInf, "0.08"));
  RETURN_IF_ERROR(CheckRange("pue", p.pue, 1, true, 10, "1.3"));
  RETURN_IF_ERROR(CheckRange("idle_power_fraction", p.idle_power_fraction, 0, true, 1, "0.3"));
  RETURN_IF_ERROR(CheckRange("facility_usd_per_kw", p.facility_usd_per_kw, 0, true, kInf, "11700"));
  RETURN_IF_ERROR(
      CheckRange("facility_lifetime_years", p.facility_lifetime_years, 0, false, 100, "15"));
  RETURN_IF_ERROR(CheckRange("utilisation_ground", p.utilisation_ground, 0, false, 1, "0.8"));
  RETURN_IF_ERROR(CheckRange("launch_usd_per_kg", p.launch_usd_per_kg, 0, true, kInf, "4000"));
  RETURN_IF_ERROR(CheckRange("kg_per_kw", p.kg_per_kw, 0, false, kInf, "20"));
  RETURN_IF_ERROR(
      CheckRange("orbit_hardware_usd_per_kw", p.orbit_hardware_usd_per_kw, 0, true, kInf, "5000"));
  RETURN_IF_ERROR(CheckRange("utilisation_orbit", p.utilisation_orbit, 0, false, 1, "0.8"));
  return Status::Ok();
}

TcoComparison ComputeTco(const TcoParams& p) {
  const double lifetime_hours = kHoursPerYear * p.lifetime_years;
  TcoComparison c;

  c.ground.chips_usd = p.gpu_cost_usd;
  // The facility serves facility_lifetime_years; one GPU generation pays its share of that.
  c.ground.facility_usd =
      p.facility_usd_per_kw * p.kw_per_gpu * (p.lifetime_years / p.facility_lifetime_years);
  // Busy hours draw full power, idle hours a fraction of it; the facility multiplies both by PUE.
  const double load_factor =
      p.utilisation_ground + p.idle_power_fraction * (1 - p.utilisation_ground);
  c.ground.energy_usd = p.kw_per_gpu * p.pue * lifetime_hours * load_factor * p.energy_usd_per_kwh;
  c.ground.useful_gpu_hours = lifetime_hours * p.utilisation_ground;

  c.orbit.chips_usd = p.gpu_cost_usd;
  // The satellite is not reused: its whole cost and its launch fall on one GPU generation.
  c.orbit.facility_usd = p.orbit_hardware_usd_per_kw * p.kw_per_gpu;
  c.orbit.launch_usd = p.launch_usd_per_kg * p.kg_per_kw * p.kw_per_gpu;
  c.orbit.useful_gpu_hours = lifetime_hours * p.utilisation_orbit;
  return c;
}

double BreakEvenLaunchUsdPerKg(const TcoParams& p) {
  // Orbit total / (H * u_orbit) = ground total / (H * u_ground), solved for the launch price.
  const TcoComparison c = ComputeTco(p);
  const double orbit_budget = c.ground.total_usd() * (p.utilisation_orbit / p.utilisation_ground);
  return (orbit_budget - c.orbit.chips_usd - c.orbit.facility_usd) / (p.kg_per_kw * p.kw_per_gpu);
}

Result<LaunchSweep> SweepLaunchPrice(const TcoParams& params, double min_usd_per_kg,
                                     double max_usd_per_kg, int points) {
  if (!(min_usd_per_kg > 0) || !(max_usd_per_kg > min_usd_per_kg) ||
      !std::isfinite(max_usd_per_kg)) {
    return InvalidArgumentError(
        fmt::format("launch sweep range {}..{} $/kg must satisfy 0 < min < max (for example "
                    "10..10000)",
                    min_usd_per_kg, max_usd_per_kg));
  }
  if (points < 2) {
    return InvalidArgumentError(
        fmt::format("launch sweep needs at least 2 points, got {} (for example 13)", points));
  }
  LaunchSweep sweep;
  const double log_min = std::log(min_usd_per_kg);
  const double log_step = (std::log(max_usd_per_kg) - log_min) / (points - 1);
  TcoParams p = params;
  for (int i = 0; i < points; ++i) {
    // Pin the ends exactly so the range printed is the range asked for.
    p.launch_usd_per_kg = i == 0            ? min_usd_per_kg
                          : i == points - 1 ? max_usd_per_kg
                                            : std::exp(log_min + log_step * i);
    const TcoComparison c = ComputeTco(p);
    sweep.points.push_back({p.launch_usd_per_kg, c.orbit.usd_per_useful_gpu_hour(),
                            c.ground.usd_per_useful_gpu_hour()});
  }
  for (size_t i = 1; i < sweep.points.size() && !sweep.has_break_even; ++i) {
    const LaunchSweepPoint& a = sweep.points[i - 1];
    const LaunchSweepPoint& b = sweep.points[i];
    const double gap_a = a.orbit_usd_per_gpu_hour - a.ground_usd_per_gpu_hour;
    const double gap_b = b.orbit_usd_per_gpu_hour - b.ground_usd_per_gpu_hour;
    if (gap_a <= 0 && gap_b >= 0) {
      // Orbit's cost is linear in the launch price, so linear interpolation is exact.
      sweep.has_break_even = true;
      sweep.break_even_usd_per_kg =
          gap_b == gap_a ? a.launch_usd_per_kg
                         : a.launch_usd_per_kg + (b.launch_usd_per_kg - a.launch_usd_per_kg) *
                                                     (-gap_a) / (gap_b - gap_a);
    }
  }
  return sweep;
}

}  // namespace apsis::sim
