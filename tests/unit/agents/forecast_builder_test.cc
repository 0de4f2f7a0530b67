#include "agents/forecast_builder.h"

#include <gtest/gtest.h>

#include "agents/ground_power_model.h"
#include "agents/orbital_power_model.h"

namespace apsis::agents {
namespace {

const TimePoint kEpoch = ParseRfc3339("2026-03-01T00:00:00Z").value();

TEST(ForecastBuilderTest, AlignsToTheStepGridAndNumbersRevisions) {
  GroundPowerConfig config;
  config.grid_kw = 10;
  GroundPowerModel model(config);
  v1::RegionLatency latency;
  latency.set_region("us-west");
  latency.set_latency_ms(9);
  ForecastBuilder builder("g1", ForecastOptions{Seconds(60), Hours(24)}, model, nullptr, {latency});
  auto first = builder.Build(kEpoch + Seconds(90.5), 0);
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->node_id(), "g1");
  EXPECT_EQ(first->start_us(), (kEpoch + Seconds(60)).micros());
  EXPECT_EQ(first->step_us(), 60'000'000);
  EXPECT_EQ(first->steps_size(), 24 * 60);
  EXPECT_EQ(first->revision(), 1u);
  ASSERT_EQ(first->latencies_size(), 1);
  EXPECT_EQ(first->windows_size(), 0);
  auto second = builder.Build(kEpoch + Minutes(10), 0);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->revision(), 2u);
}

TEST(ForecastBuilderTest, OrbitalForecastCarriesContactWindowsAndBattery) {
  OrbitalPowerConfig config;
  config.orbit.altitude_km = 550;
  config.orbit.inclination_deg = 53;
  config.orbit.epoch = kEpoch;
  config.array_bol_w = 20'000;
  config.array_bol_at = kEpoch;
  config.battery.capacity_wh = 30'000;
  config.battery.initial_soc_wh = 25'000;
  config.battery.floor_wh = 6'000;
  config.bus_load_w = 1'000;
  auto model = OrbitalPowerModel::Create(config, "o1", kEpoch);
  ASSERT_TRUE(model.ok());
  link::GroundStation station;
  station.name = "oregon";
  station.location = {45.51, -119.37, 0.1};
  station.min_elevation_deg = 5;
  station.uplink_bps = 2e6;
  station.downlink_bps = 5e7;
  ContactPlan plan((*model)->sgp4(), {station});
  ForecastBuilder builder("o1", ForecastOptions{Seconds(60), Hours(12)}, **model, &plan, {});
  auto forecast = builder.Build(kEpoch, 2'800);
  ASSERT_TRUE(forecast.ok()) << forecast.status().ToString();
  EXPECT_EQ(forecast->steps_size(), 12 * 60);
  EXPECT_DOUBLE_EQ(forecast->battery().soc_wh(), 25'000);
  EXPECT_DOUBLE_EQ(forecast->battery().floor_wh(), 6'000);
  ASSERT_GE(forecast->windows_size(), 2);
  for (const v1::ContactWindow& w : forecast->windows()) {
    EXPECT_EQ(w.station(), "oregon");
    EXPECT_LT(w.aos_us(), w.los_us());
    EXPECT_GE(w.max_elevation_deg(), 5.0);
    EXPECT_DOUBLE_EQ(w.downlink_bps(), 5e7);
    EXPECT_GE(w.aos_us(), forecast->start_us());
  }
  for (int i = 1; i < forecast->windows_size(); ++i) {
    EXPECT_LE(forecast->windows(i - 1).aos_us(), forecast->windows(i).aos_us());
  }
}

TEST(ForecastBuilderTest, RejectsAHorizonShorterThanAStep) {
  GroundPowerConfig config;
  config.grid_kw = 10;
  GroundPowerModel model(config);
  ForecastBuilder builder("g1", ForecastOptions{Minutes(5), Minutes(1)}, model, nullptr, {});
  EXPECT_FALSE(builder.Build(kEpoch, 0).ok());
}

}  // namespace
}  // namespace apsis::agents
