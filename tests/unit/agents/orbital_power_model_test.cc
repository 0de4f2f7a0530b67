#include "agents/orbital_power_model.h"

#include <gtest/gtest.h>

#include "apsis/v1/common.pb.h"
#include "link/sun.h"

namespace apsis::agents {
namespace {

const TimePoint kEpoch = ParseRfc3339("2026-03-01T00:00:00Z").value();

OrbitalPowerConfig Config() {
  OrbitalPowerConfig c;
  c.orbit.altitude_km = 550;
  c.orbit.inclination_deg = 53;
  c.orbit.epoch = kEpoch;
  c.array_bol_w = 10'000;
  c.degradation_pct_per_year = 0;
  c.array_bol_at = kEpoch;
  c.battery = BatteryConfig{.capacity_wh = 8'000,
                            .initial_soc_wh = 6'000,
                            .floor_wh = 1'600,
                            .charge_efficiency = 0.9,
                            .discharge_efficiency = 0.9,
                            .max_charge_w = 2'000};
  c.bus_load_w = 500;
  c.radiator_limit_w = 9'000;
  return c;
}

TEST(StepBatteryTest, ChargesAtMostTheMaxRateWithLossesAndClipsAtCapacity) {
  const BatteryConfig b = Config().battery;
  // 5 kW surplus, charge limited to 2 kW × 0.9 for one hour.
  EXPECT_DOUBLE_EQ(StepBattery(b, 1'000, 6'000, 1'000, 3600), 1'000 + 1'800);
  EXPECT_DOUBLE_EQ(StepBattery(b, 7'900, 6'000, 1'000, 3600), 8'000);
  // 900 W deficit for one hour draws 1000 Wh from the battery.
  EXPECT_DOUBLE_EQ(StepBattery(b, 3'000, 100, 1'000, 3600), 2'000);
  double unmet = 0;
  EXPECT_DOUBLE_EQ(StepBattery(b, 500, 0, 900, 3600, &unmet), 0);
  EXPECT_NEAR(unmet, (1000 - 500) * 0.9, 1e-9);
}

TEST(OrbitalPowerModelTest, StateOfChargeFallsThroughAnEclipseAndRecoversInSunlight) {
  auto model_or = OrbitalPowerModel::Create(Config(), "sat-1", kEpoch);
  ASSERT_TRUE(model_or.ok()) << model_or.status().ToString();
  OrbitalPowerModel& model = **model_or;
  auto eclipses = link::FindEclipses(model.sgp4(), kEpoch, kEpoch + Hours(3));
  ASSERT_TRUE(eclipses.ok());
  ASSERT_FALSE(eclipses->empty());
  link::Eclipse eclipse = eclipses->front();
  if (eclipse.starts_in_shadow) eclipse = eclipses->at(1);
  ASSERT_GT(eclipse.umbra_s, 20 * 60.0);  // a 550 km orbit spends over 20 minutes in umbra

  const double job_w = 3'000;
  // Sunlit before the eclipse: the battery charges at the 2 kW limit × 0.9.
  model.Integrate(eclipse.entry, job_w);
  const double at_entry = model.BatterySocWh();
  EXPECT_NEAR(at_entry, std::min(8'000.0, 6'000 + 1'800 * ToSeconds(eclipse.entry - kEpoch) / 3600),
              1.0);
  EXPECT_DOUBLE_EQ(model.SunlitFraction(eclipse.entry - Seconds(60)), 1.0);
  const TimePoint mid = eclipse.entry + (eclipse.exit - eclipse.entry) / 2;
  EXPECT_DOUBLE_EQ(model.SunlitFraction(mid), 0.0);
  EXPECT_DOUBLE_EQ(model.AvailableW(mid), 0.0);

  model.Integrate(eclipse.exit, job_w);
  // In umbra the whole load (bus + job) comes from the battery through its discharge efficiency;
  // in penumbra only part of it. Slack: one 10 s integration sub-step at the shadow edges.
  const double per_second_wh = (500 + job_w) / 0.9 / 3600.0;
  const double drawn = at_entry - model.BatterySocWh();
  EXPECT_GE(drawn, per_second_wh * (eclipse.umbra_s - 10));
  EXPECT_LE(drawn, per_second_wh * (eclipse.umbra_s + eclipse.penumbra_s + 10));
  EXPECT_GT(drawn, 2'000.0);
  EXPECT_DOUBLE_EQ(model.unmet_wh(), 0.0);

  // Back in the Sun: 10 kW array − 3.5 kW load leaves 6.5 kW, charging is capped at 2 kW × 0.9.
  const double after_eclipse = model.BatterySocWh();
  model.Integrate(eclipse.exit + Minutes(30), job_w);
  EXPECT_NEAR(model.BatterySocWh(), std::min(8'000.0, after_eclipse + 900.0), 1.0);
}

TEST(OrbitalPowerModelTest, ForecastSimulatesTheBatteryForwardAndMatchesIntegration) {
  auto model_or = OrbitalPowerModel::Create(Config(), "sat-1", kEpoch);
  ASSERT_TRUE(model_or.ok());
  OrbitalPowerModel& model = **model_or;
  v1::Forecast forecast;
  const int steps = 3 * 60;  // three hours of 60 s steps: about two orbits
  ASSERT_TRUE(model.FillForecast(kEpoch, Seconds(60), steps, 3'000, &forecast).ok());
  ASSERT_EQ(forecast.steps_size(), steps);
  EXPECT_DOUBLE_EQ(forecast.battery().soc_wh(), 6'000);
  EXPECT_DOUBLE_EQ(forecast.battery().floor_wh(), 1'600);
  EXPECT_DOUBLE_EQ(forecast.radiator_limit_w(), 9'000);
  int dark_steps = 0;
  for (const v1::PowerStep& s : forecast.steps()) {
    if (s.sunlit_fraction() == 0) {
      ++dark_steps;
      EXPECT_DOUBLE_EQ(s.available_w(), 0);
    } else if (s.sunlit_fraction() == 1) {
      EXPECT_DOUBLE_EQ(s.solar_w(), 10'000);
      EXPECT_DOUBLE_EQ(s.available_w(), 9'500);
    }
  }
  EXPECT_GT(dark_steps, 40);  // two umbra passages of 20+ minutes

  // The measured SoC, integrated with the same draw, follows the forecast's prediction.
  for (int minutes : {30, 60, 90, 120, 150}) {
    model.Integrate(kEpoch + Minutes(minutes), 3'000);
    const std::optional<double> predicted = model.PredictedSocWh(kEpoch + Minutes(minutes));
    ASSERT_TRUE(predicted.has_value());
    EXPECT_NEAR(model.BatterySocWh(), *predicted, 60.0) << "at +" << minutes << " min";
  }
  EXPECT_FALSE(model.PredictedSocWh(kEpoch + Hours(4)).has_value());
}

// FillForecast skips the sub-samples of a step that is wholly in full sun or in umbra; the
// forecast must be exactly what sampling every sub-step gives, for LEO, sun-synchronous and
// eccentric orbits, with penumbra steps in between.
TEST(OrbitalPowerModelTest, ForecastSunlitFractionEqualsSamplingEveryStep) {
  struct Orbit {
    double altitude_km, inclination_deg, raan_deg, eccentricity;
  };
  int partial_steps = 0;
  for (const Orbit& o : {Orbit{550, 53, 0, 0}, Orbit{650, 97.99, 0, 0}, Orbit{400, 51.6, 200, 0},
                         Orbit{2000, 63.4, 45, 0.1}}) {
    OrbitalPowerConfig c = Config();
    c.orbit.altitude_km = o.altitude_km;
    c.orbit.inclination_deg = o.inclination_deg;
    c.orbit.raan_deg = o.raan_deg;
    c.orbit.eccentricity = o.eccentricity;
    auto model = OrbitalPowerModel::Create(c, "sat", kEpoch);
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    const Duration step = Seconds(60);
    const int steps = 24 * 60;
    v1::Forecast f;
    ASSERT_TRUE((*model)->FillForecast(kEpoch, step, steps, 0, &f).ok());
    ASSERT_EQ(f.steps_size(), steps);
    for (int i = 0; i < steps; ++i) {
      const TimePoint t0 = kEpoch + step * i;
      double sampled = 0;
      for (int k = 0; k < 6; ++k) sampled += (*model)->SunlitFraction(t0 + step * (2 * k + 1) / 12);
      sampled /= 6;
      ASSERT_EQ(f.steps(i).sunlit_fraction(), sampled) << o.altitude_km << " km, step " << i;
      partial_steps += sampled > 0 && sampled < 1;
    }
  }
  EXPECT_GT(partial_steps, 20);  // penumbra steps were met and sampled
}

TEST(OrbitalPowerModelTest, ArrayDegradesPerYear) {
  OrbitalPowerConfig config = Config();
  config.degradation_pct_per_year = 3;
  auto model = OrbitalPowerModel::Create(config, "sat-1", kEpoch);
  ASSERT_TRUE(model.ok());
  EXPECT_NEAR((*model)->ArrayW(kEpoch + Hours(2 * 365.25 * 24)), 10'000 * 0.97 * 0.97, 1e-6);
}

TEST(OrbitalPowerModelTest, AcceptsATleAndReportsBadOnesWithTheirColumn) {
  OrbitalPowerConfig config = Config();
  config.orbit.tle_line1 = "1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927";
  config.orbit.tle_line2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537";
  EXPECT_TRUE(OrbitalPowerModel::Create(config, "iss", kEpoch).ok());
  config.orbit.tle_line2 = "2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563538";
  auto bad = OrbitalPowerModel::Create(config, "iss", kEpoch);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("checksum"), std::string::npos) << bad.status().message();

  OrbitalPowerConfig low = Config();
  low.orbit.altitude_km = -10;
  EXPECT_FALSE(OrbitalPowerModel::Create(low, "sat", kEpoch).ok());
}

}  // namespace
}  // namespace apsis::agents
