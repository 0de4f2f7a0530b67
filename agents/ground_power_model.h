// GroundPowerModel: the energy side of a ground data centre.
//
// Power available to jobs = (grid connection + on-site solar) / PUE. The energy price comes from a
// CSV series (declared in $/MWh or $/kWh) with the built-in 24-hour profile filling times the
// series does not cover (before, after, or inside gaps); carbon intensity likewise. On-site solar
// is clear-sky output from the Sun's elevation at the site (Haurwitz irradiance × kWp × performance
// ratio), using link/'s Sun position. Single-threaded (see power_model.h).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "agents/power_model.h"
#include "agents/time_series.h"

namespace apsis::agents {

struct SolarSiteConfig {
  double kwp = 0;  // installed peak power (kW at 1000 W/m²)
  double lat_deg = 0;
  double lon_deg = 0;
  double alt_km = 0;
  double performance_ratio = 0.8;  // inverter, temperature and soiling losses
};

struct GroundPowerConfig {
  double grid_kw = 0;
  double pue = 1.2;
  Duration utc_offset{};             // local time of the built-in profiles
  std::optional<TimeSeries> price;   // $/kWh; nullopt: built-in profile only
  std::optional<TimeSeries> carbon;  // g/kWh; nullopt: built-in profile only
  std::optional<SolarSiteConfig> solar;
};

class GroundPowerModel final : public PowerModel {
 public:
  explicit GroundPowerModel(GroundPowerConfig config);

  Status FillForecast(TimePoint start, Duration step, int steps, double job_draw_w,
                      v1::Forecast* out) override;
  void Integrate(TimePoint /*now*/, double /*job_draw_w*/) override {}
  double AvailableW(TimePoint t) const override;

  double PriceUsdPerKwh(TimePoint t) const;
  double CarbonGPerKwh(TimePoint t) const;
  double SolarW(TimePoint t) const;
  // The Sun's elevation (degrees) at the solar site; 0 without one.
  double SunElevationDeg(TimePoint t) const;

 private:
  GroundPowerConfig config_;
  DailyProfile price_profile_;
  DailyProfile carbon_profile_;
};

// Clear-sky global horizontal irradiance (W/m²) for a Sun elevation (Haurwitz 1945).
double ClearSkyIrradiance(double sun_elevation_deg);

}  // namespace apsis::agents
