// OrbitalPowerModel: the energy side of an orbital GPU cluster.
//
// The solar array delivers its beginning-of-life power, degraded by a fixed percentage per year,
// times the sunlit fraction at the satellite (link/: SGP4 position, Sun position, conical Earth
// shadow). The battery buffers the difference between array output and load (bus + jobs): charging
// is limited to max_charge_w and loses (1 − charge efficiency), discharging loses (1 − discharge
// efficiency), and the state of charge is clipped to [0, capacity]. The agent integrates the real
// state of charge from its jobs' actual draw (Integrate); forecasts simulate it forward assuming
// the current draw continues, and remember that prediction so the agent can notice when the
// measured SoC drifts from it. Single-threaded (see power_model.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agents/power_model.h"
#include "link/orbital_elements.h"
#include "link/sgp4.h"

namespace apsis::agents {

// Either a TLE (line1/line2 set) or mean elements.
struct OrbitConfig {
  std::string tle_line1;
  std::string tle_line2;
  double altitude_km = 550;  // of a circular orbit (semi-major axis − Earth radius)
  double inclination_deg = 53;
  double raan_deg = 0;
  double eccentricity = 0;
  double arg_perigee_deg = 0;
  double mean_anomaly_deg = 0;
  TimePoint epoch;
};

// NORAD elements for the orbit: the parsed TLE, or the mean elements converted to a mean motion.
// Errors name the TLE line and column, or the bad element.
Result<link::OrbitalElements> ElementsFromOrbit(const OrbitConfig& orbit, const std::string& name);

struct BatteryConfig {
  double capacity_wh = 0;
  double initial_soc_wh = 0;
  double floor_wh = 0;
  double charge_efficiency = 0.95;
  double discharge_efficiency = 0.95;
  double max_charge_w = 0;
};

struct OrbitalPowerConfig {
  OrbitConfig orbit;
  double array_bol_w = 0;  // beginning-of-life array output in full sun
  double degradation_pct_per_year = 2.5;
  TimePoint array_bol_at;  // when the array was at its beginning of life
  BatteryConfig battery;
  double bus_load_w = 0;        // housekeeping load, always on
  double radiator_limit_w = 0;  // heat the radiators can reject (reported)
};

// One battery step of `dt_s` seconds: returns the new state of charge. Energy the load needed but
// the empty battery could not give is added to *unmet_wh (if not null).
double StepBattery(const BatteryConfig& battery, double soc_wh, double solar_w, double load_w,
                   double dt_s, double* unmet_wh = nullptr);

class OrbitalPowerModel final : public PowerModel {
 public:
  // `now` is when the initial state of charge holds.
  static Result<std::unique_ptr<OrbitalPowerModel>> Create(const OrbitalPowerConfig& config,
                                                           const std::string& name, TimePoint now);

  Status FillForecast(TimePoint start, Duration step, int steps, double job_draw_w,
                      v1::Forecast* out) override;
  void Integrate(TimePoint now, double job_draw_w) override;
  double BatterySocWh() const override { return soc_wh_; }
  std::optional<double> PredictedSocWh(TimePoint t) const override;
  double AvailableW(TimePoint t) const override;

  double SunlitFraction(TimePoint t) const;
  double ArrayW(TimePoint t) const;  // full-sun output after degradation
  // The sunlit fraction averaged over `samples` points of [t0, t0 + step) when one propagation
  // at its middle shows every point in full sun (1) or in umbra (0); nullopt: sample them.
  std::optional<double> WholeStepSunlit(TimePoint t0, Duration step, int samples) const;
  double SolarW(TimePoint t) const { return ArrayW(t) * SunlitFraction(t); }
  // Energy the loads needed but the battery could not deliver since start (brown-out).
  double unmet_wh() const { return unmet_wh_; }
  const link::Sgp4& sgp4() const { return sgp4_; }
  const OrbitalPowerConfig& config() const { return config_; }

 private:
  OrbitalPowerModel(OrbitalPowerConfig config, link::Sgp4 sgp4, TimePoint now);

  OrbitalPowerConfig config_;
  link::Sgp4 sgp4_;
  double soc_wh_;
  TimePoint last_update_;
  double unmet_wh_ = 0;
  // The last forecast's state of charge at each step boundary.
  TimePoint predicted_start_;
  Duration predicted_step_{};
  std::vector<double> predicted_soc_;
};

}  // namespace apsis::agents
