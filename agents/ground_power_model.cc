#include "agents/ground_power_model.h"

#include <cmath>

#include "link/frames.h"
#include "link/sun.h"

namespace apsis::agents {

double ClearSkyIrradiance(double sun_elevation_deg) {
  if (sun_elevation_deg <= 0) return 0;
  const double cos_zenith = std::sin(sun_elevation_deg * M_PI / 180.0);
  return 1098.0 * cos_zenith * std::exp(-0.057 / cos_zenith);
}

GroundPowerModel::GroundPowerModel(GroundPowerConfig config)
    : config_(std::move(config)),
      price_profile_(DailyProfile::BuiltInPrice(config_.utc_offset)),
      carbon_profile_(DailyProfile::BuiltInCarbon(config_.utc_offset)) {}

double GroundPowerModel::PriceUsdPerKwh(TimePoint t) const {
  if (config_.price) {
    if (std::optional<double> v = config_.price->At(t)) return *v;
  }
  return price_profile_.At(t);
}

double GroundPowerModel::CarbonGPerKwh(TimePoint t) const {
  if (config_.carbon) {
    if (std::optional<double> v = config_.carbon->At(t)) return *v;
  }
  return carbon_profile_.At(t);
}

double GroundPowerModel::SunElevationDeg(TimePoint t) const {
  if (!config_.solar) return 0;
  const SolarSiteConfig& s = *config_.solar;
  const link::Topocentric site(link::Geodetic{s.lat_deg, s.lon_deg, s.alt_km});
  const link::Vec3 sun_ecef = link::TemeToEcefPosition(link::SunPositionEci(t), link::Gmst(t));
  return site.ElevationRad(sun_ecef) * 180.0 / M_PI;
}

double GroundPowerModel::SolarW(TimePoint t) const {
  if (!config_.solar || config_.solar->kwp <= 0) return 0;
  return config_.solar->kwp * ClearSkyIrradiance(SunElevationDeg(t)) *
         config_.solar->performance_ratio;  // kWp × (W/m² / 1000 W/m²) × 1000 W/kW
}

double GroundPowerModel::AvailableW(TimePoint t) const {
  return (config_.grid_kw * 1000.0 + SolarW(t)) / config_.pue;
}

Status GroundPowerModel::FillForecast(TimePoint start, Duration step, int steps,
                                      double /*job_draw_w*/, v1::Forecast* out) {
  for (int i = 0; i < steps; ++i) {
    const TimePoint t = start + step * i;
    v1::PowerStep* s = out->add_steps();
    s->set_available_w(AvailableW(t));
    s->set_price_usd_per_kwh(PriceUsdPerKwh(t));
    s->set_carbon_g_per_kwh(CarbonGPerKwh(t));
    s->set_solar_w(SolarW(t));
    s->set_sunlit_fraction(config_.solar ? (SunElevationDeg(t) > 0 ? 1.0 : 0.0) : 0.0);
  }
  return Status::Ok();
}

}  // namespace apsis::agents
