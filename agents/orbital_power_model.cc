#include "agents/orbital_power_model.h"

#include <algorithm>
#include <cmath>

#include "link/mean_elements.h"
#include "link/sun.h"
#include "link/tle.h"

namespace apsis::agents {
namespace {

// Integration sub-step: short against a ~20 s penumbra crossing.
constexpr Duration kMaxSubStep = Seconds(10);

}  // namespace

Result<link::OrbitalElements> ElementsFromOrbit(const OrbitConfig& orbit, const std::string& name) {
  if (!orbit.tle_line1.empty() || !orbit.tle_line2.empty()) {
    return link::ParseTle(orbit.tle_line1, orbit.tle_line2, name, "orbit.tle");
  }
  link::MeanKeplerian mean;
  mean.name = name;
  mean.satnum = 99999;
  mean.epoch = orbit.epoch;
  mean.altitude_km = orbit.altitude_km;
  mean.eccentricity = orbit.eccentricity;
  mean.inclination_deg = orbit.inclination_deg;
  mean.raan_deg = orbit.raan_deg;
  mean.arg_perigee_deg = orbit.arg_perigee_deg;
  mean.mean_anomaly_deg = orbit.mean_anomaly_deg;
  Result<link::OrbitalElements> elements = link::ElementsFromMeanKeplerian(mean);
  if (!elements.ok()) return elements.status().WithContext("orbit");
  return elements;
}

double StepBattery(const BatteryConfig& battery, double soc_wh, double solar_w, double load_w,
                   double dt_s, double* unmet_wh) {
  const double hours = dt_s / 3600.0;
  const double net_w = solar_w - load_w;
  if (net_w >= 0) {
    const double charge_w =
        battery.max_charge_w > 0 ? std::min(net_w, battery.max_charge_w) : net_w;
    return std::min(battery.capacity_wh, soc_wh + charge_w * battery.charge_efficiency * hours);
  }
  const double drawn_wh = -net_w / battery.discharge_efficiency * hours;
  if (drawn_wh <= soc_wh) return soc_wh - drawn_wh;
  if (unmet_wh != nullptr) *unmet_wh += (drawn_wh - soc_wh) * battery.discharge_efficiency;
  return 0;
}

Result<std::unique_ptr<OrbitalPowerModel>> OrbitalPowerModel::Create(
    const OrbitalPowerConfig& config, const std::string& name, TimePoint now) {
  ASSIGN_OR_RETURN(link::OrbitalElements elements, ElementsFromOrbit(config.orbit, name));
  ASSIGN_OR_RETURN(link::Sgp4 sgp4, link::Sgp4::Create(elements));
  if (config.battery.initial_soc_wh > config.battery.capacity_wh) {
    return InvalidArgumentError("battery.initial_soc_wh exceeds battery.capacity_wh");
  }
  return std::unique_ptr<OrbitalPowerModel>(new OrbitalPowerModel(config, std::move(sgp4), now));
}

OrbitalPowerModel::OrbitalPowerModel(OrbitalPowerConfig config, link::Sgp4 sgp4, TimePoint now)
    : config_(std::move(config)),
      sgp4_(std::move(sgp4)),
      soc_wh_(config_.battery.initial_soc_wh),
      last_update_(now) {}

double OrbitalPowerModel::SunlitFraction(TimePoint t) const {
  Result<link::TemeState> state = sgp4_.PropagateAt(t);
  if (!state.ok()) return 0;  // no position, no power: the conservative answer
  return link::SunlitFraction(state->r_km, link::SunPositionEci(t));
}

std::optional<double> OrbitalPowerModel::WholeStepSunlit(TimePoint t0, Duration step,
                                                         int samples) const {
  if (samples < 2) return std::nullopt;
  Result<link::TemeState> mid = sgp4_.PropagateAt(t0 + step / 2);
  if (!mid.ok()) return std::nullopt;
  const double r = link::Norm(mid->r_km), v = link::Norm(mid->v_km_s);
  const double re = link::kShadowEarthRadiusKm;
  if (r < 1.05 * re) return std::nullopt;
  // The angles of the shadow test turn at most this fast (rad/s): the Earth's centre as seen from
  // the satellite, the Earth's apparent radius as the altitude changes, and (1e-6) the Sun's
  // direction and size. Doubled for the change of r and v within the step.
  const double rate = 2.0 * (v / r + re * v / (r * std::sqrt(r * r - re * re))) + 1e-6;
  // The samples lie within this of the middle of the step.
  const double reach_s = ToSeconds(step) * (samples - 1) / (2.0 * samples);
  const double margin = rate * reach_s + 1e-6;  // plus the angles' rounding
  const link::ShadowMargins m =
      link::ShadowMarginsAt(mid->r_km, link::SunPositionEci(t0 + step / 2));
  // Every sample then gives exactly 1 (or 0), so the average is exactly what sampling gives.
  if (m.full_sun > margin) return 1.0;
  if (m.umbra > margin) return 0.0;
  return std::nullopt;
}

double OrbitalPowerModel::ArrayW(TimePoint t) const {
  const double years = std::max(0.0, ToSeconds(t - config_.array_bol_at) / (365.25 * 86400.0));
  return config_.array_bol_w * std::pow(1.0 - config_.degradation_pct_per_year / 100.0, years);
}

double OrbitalPowerModel::AvailableW(TimePoint t) const {
  return std::max(0.0, SolarW(t) - config_.bus_load_w);
}

void OrbitalPowerModel::Integrate(TimePoint now, double job_draw_w) {
  while (last_update_ < now) {
    const Duration dt = std::min(kMaxSubStep, now - last_update_);
    const TimePoint mid = last_update_ + dt / 2;
    soc_wh_ = StepBattery(config_.battery, soc_wh_, SolarW(mid), config_.bus_load_w + job_draw_w,
                          ToSeconds(dt), &unmet_wh_);
    last_update_ += dt;
  }
}

Status OrbitalPowerModel::FillForecast(TimePoint start, Duration step, int steps, double job_draw_w,
                                       v1::Forecast* out) {
  v1::BatterySpec* battery = out->mutable_battery();
  battery->set_capacity_wh(config_.battery.capacity_wh);
  battery->set_soc_wh(soc_wh_);
  battery->set_floor_wh(config_.battery.floor_wh);
  battery->set_charge_efficiency(config_.battery.charge_efficiency);
  battery->set_discharge_efficiency(config_.battery.discharge_efficiency);
  battery->set_max_charge_w(config_.battery.max_charge_w);
  out->set_radiator_limit_w(config_.radiator_limit_w);

  predicted_start_ = start;
  predicted_step_ = step;
  predicted_soc_.assign(1, soc_wh_);
  double soc = soc_wh_;
  const int kSamples = std::max<int>(1, static_cast<int>(step / kMaxSubStep));
  for (int i = 0; i < steps; ++i) {
    const TimePoint t0 = start + step * i;
    // Average the sunlit fraction over the step so short penumbra passages are not missed.
    double sunlit = 0;
    if (std::optional<double> whole = WholeStepSunlit(t0, step, kSamples)) {
      sunlit = *whole;
    } else {
      for (int k = 0; k < kSamples; ++k) {
        sunlit += SunlitFraction(t0 + step * (2 * k + 1) / (2 * kSamples));
      }
      sunlit /= kSamples;
    }
    const double solar_w = ArrayW(t0) * sunlit;
    v1::PowerStep* s = out->add_steps();
    s->set_solar_w(solar_w);
    s->set_sunlit_fraction(sunlit);
    s->set_available_w(std::max(0.0, solar_w - config_.bus_load_w));
    soc = StepBattery(config_.battery, soc, solar_w, config_.bus_load_w + job_draw_w,
                      ToSeconds(step));
    predicted_soc_.push_back(soc);
  }
  return Status::Ok();
}

std::optional<double> OrbitalPowerModel::PredictedSocWh(TimePoint t) const {
  if (predicted_soc_.size() < 2 || t < predicted_start_ || predicted_step_.count() <= 0) {
    return std::nullopt;
  }
  const double x = ToSeconds(t - predicted_start_) / ToSeconds(predicted_step_);
  const size_t i = static_cast<size_t>(x);
  if (i + 1 >= predicted_soc_.size()) return std::nullopt;
  const double f = x - static_cast<double>(i);
  return predicted_soc_[i] * (1 - f) + predicted_soc_[i + 1] * f;
}

}  // namespace apsis::agents
