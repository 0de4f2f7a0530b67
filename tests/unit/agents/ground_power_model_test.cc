#include "agents/ground_power_model.h"

#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.h"

namespace apsis::agents {
namespace {

TimePoint At(const char* text) { return ParseRfc3339(text).value(); }

TEST(DailyProfileTest, WrapsAcrossMidnightAndInterpolatesBetweenHourCentres) {
  std::array<double, 24> hourly{};
  for (int h = 0; h < 24; ++h) hourly[h] = h;
  const DailyProfile profile(hourly, Duration::zero());
  EXPECT_DOUBLE_EQ(profile.At(At("2026-03-01T23:30:00Z")), 23.0);
  EXPECT_DOUBLE_EQ(profile.At(At("2026-03-02T00:30:00Z")), 0.0);
  // Midnight lies halfway between the centres of hour 23 and hour 0 of the next day.
  EXPECT_DOUBLE_EQ(profile.At(At("2026-03-02T00:00:00Z")), 11.5);
  EXPECT_DOUBLE_EQ(profile.At(At("2026-03-02T10:00:00Z")), 9.5);
  // A UTC offset shifts local time: 23:30 UTC is 01:30 at UTC+2.
  const DailyProfile east(hourly, Hours(2));
  EXPECT_DOUBLE_EQ(east.At(At("2026-03-01T23:30:00Z")), 1.0);
  // Times before the epoch wrap correctly too.
  EXPECT_DOUBLE_EQ(profile.At(At("1969-12-31T23:30:00Z")), 23.0);
}

TEST(TimeSeriesTest, PriceLookupAcrossADayBoundaryAndAGapFallsBackToTheProfile) {
  // $/MWh across midnight, then a hole from 01:00 to 06:00 (longer than the 1 h max gap).
  const std::string csv =
      "timestamp,price\n"
      "2026-03-01T22:00:00Z,80\n"
      "2026-03-01T23:00:00Z,60\n"
      "2026-03-02T00:00:00Z,40\n"
      "2026-03-02T01:00:00Z,30\n"
      "2026-03-02T06:00:00Z,50\n";
  CsvColumnSpec spec;
  spec.scale = 0.001;  // $/MWh → $/kWh
  Result<TimeSeries> series = ParseTimeSeriesCsv(csv, "prices.csv", spec);
  ASSERT_TRUE(series.ok()) << series.status().ToString();

  GroundPowerConfig config;
  config.grid_kw = 1000;
  config.pue = 1.25;
  config.price = *series;
  const GroundPowerModel model(config);
  const DailyProfile builtin = DailyProfile::BuiltInPrice(Duration::zero());
  EXPECT_DOUBLE_EQ(model.PriceUsdPerKwh(At("2026-03-01T23:59:59Z")), 0.060);
  EXPECT_DOUBLE_EQ(model.PriceUsdPerKwh(At("2026-03-02T00:00:00Z")), 0.040);
  EXPECT_DOUBLE_EQ(model.PriceUsdPerKwh(At("2026-03-02T01:30:00Z")),
                   builtin.At(At("2026-03-02T01:30:00Z")));  // inside the hole
  EXPECT_DOUBLE_EQ(model.PriceUsdPerKwh(At("2026-03-02T06:30:00Z")), 0.050);
  EXPECT_DOUBLE_EQ(model.PriceUsdPerKwh(At("2026-03-02T09:00:00Z")),
                   builtin.At(At("2026-03-02T09:00:00Z")));  // past the end
  EXPECT_DOUBLE_EQ(model.PriceUsdPerKwh(At("2026-03-01T12:00:00Z")),
                   builtin.At(At("2026-03-01T12:00:00Z")));  // before the start
  EXPECT_DOUBLE_EQ(model.AvailableW(At("2026-03-02T00:00:00Z")), 800'000.0);
}

TEST(TimeSeriesTest, AcceptsUnixSecondsCommentsAndCrlf) {
  Result<TimeSeries> series =
      ParseTimeSeriesCsv("# exported\r\n1772323200, 0.12\r\n\r\n1772326800,0.10\r\n", "p.csv", {});
  ASSERT_TRUE(series.ok()) << series.status().ToString();
  ASSERT_EQ(series->samples().size(), 2u);
  EXPECT_EQ(series->samples()[0].at, TimePoint::FromSeconds(1772323200));
  EXPECT_DOUBLE_EQ(series->samples()[1].value, 0.10);
}

TEST(TimeSeriesTest, UnixSecondsTooLargeForMicrosecondsAreAnErrorNotAnOverflow) {
  // 99999999999999 s * 10^6 does not fit in int64 microseconds.
  auto huge = ParseTimeSeriesCsv("1772323200,0.12\n99999999999999,0.10\n", "p.csv", {});
  ASSERT_FALSE(huge.ok());
  EXPECT_EQ(huge.status().message().rfind("p.csv:2:1: timestamp '99999999999999'", 0), 0u)
      << huge.status().message();
  auto negative = ParseTimeSeriesCsv("1772323200,0.12\n-99999999999999,0.10\n", "p.csv", {});
  ASSERT_FALSE(negative.ok());
}

TEST(TimeSeriesTest, BadCsvNamesFileLineAndColumn) {
  const CsvColumnSpec spec;
  auto bad_value = ParseTimeSeriesCsv(
      "timestamp,price\n2026-03-01T00:00:00Z,40\n2026-03-01T01:00:00Z, abc\n", "prices.csv", spec);
  ASSERT_FALSE(bad_value.ok());
  EXPECT_EQ(bad_value.status().message(), "prices.csv:3:23: price 'abc' is not a number");

  auto bad_time = ParseTimeSeriesCsv("2026-03-01T00:00:00Z,40\n2026-13-01,41\n", "p.csv", spec);
  ASSERT_FALSE(bad_time.ok());
  EXPECT_EQ(bad_time.status().message().rfind("p.csv:2:1: timestamp '2026-13-01'", 0), 0u)
      << bad_time.status().message();

  auto unsorted =
      ParseTimeSeriesCsv("2026-03-01T01:00:00Z,40\n2026-03-01T00:00:00Z,41\n", "p.csv", spec);
  ASSERT_FALSE(unsorted.ok());
  EXPECT_NE(unsorted.status().message().find("p.csv:2:1:"), std::string::npos);
  EXPECT_NE(unsorted.status().message().find("sort the file"), std::string::npos);

  auto extra = ParseTimeSeriesCsv("2026-03-01T00:00:00Z,40,7\n", "p.csv", spec);
  ASSERT_FALSE(extra.ok());
  EXPECT_EQ(extra.status().message().rfind("p.csv:1:24:", 0), 0u) << extra.status().message();

  auto empty = ParseTimeSeriesCsv("timestamp,price\n", "p.csv", spec);
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("no data rows"), std::string::npos);
}

TEST(TimeSeriesTest, LoadsFromAFileAndNamesTheFileInErrors) {
  testing::TempDir dir;
  const std::string path = dir.File("carbon.csv");
  std::ofstream(path) << "2026-03-01T00:00:00Z,300\n2026-03-01T01:00:00Z,x\n";
  CsvColumnSpec spec;
  spec.value_name = "carbon";
  auto result = LoadTimeSeriesCsv(path, spec);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), path + ":2:22: carbon 'x' is not a number");
  EXPECT_FALSE(LoadTimeSeriesCsv(dir.File("missing.csv"), spec).ok());
}

TEST(GroundPowerModelTest, OnSiteSolarFollowsTheSunAndAddsToGridPower) {
  GroundPowerConfig config;
  config.grid_kw = 100;
  config.pue = 1.0;
  config.solar = SolarSiteConfig{.kwp = 500, .lat_deg = 35.0, .lon_deg = 0.0};
  const GroundPowerModel model(config);
  const TimePoint noon = At("2026-06-21T12:00:00Z");
  const TimePoint midnight = At("2026-06-21T00:00:00Z");
  EXPECT_NEAR(model.SunElevationDeg(noon), 90.0 - 35.0 + 23.4, 0.5);
  EXPECT_LT(model.SunElevationDeg(midnight), 0.0);
  EXPECT_DOUBLE_EQ(model.SolarW(midnight), 0.0);
  const double expected = 500.0 * ClearSkyIrradiance(model.SunElevationDeg(noon)) * 0.8;
  EXPECT_NEAR(model.SolarW(noon), expected, 1e-6);
  EXPECT_GT(model.SolarW(noon), 350'000.0);
  EXPECT_DOUBLE_EQ(model.AvailableW(noon), 100'000.0 + model.SolarW(noon));
}

TEST(GroundPowerModelTest, ForecastStepsCarryPowerPriceAndCarbon) {
  GroundPowerConfig config;
  config.grid_kw = 2000;
  config.pue = 1.6;
  GroundPowerModel model(config);
  v1::Forecast forecast;
  const TimePoint start = At("2026-03-01T23:00:00Z");
  ASSERT_TRUE(model.FillForecast(start, Minutes(30), 4, 0, &forecast).ok());
  ASSERT_EQ(forecast.steps_size(), 4);
  EXPECT_DOUBLE_EQ(forecast.steps(0).available_w(), 1250000.0);
  const DailyProfile price = DailyProfile::BuiltInPrice(Duration::zero());
  const DailyProfile carbon = DailyProfile::BuiltInCarbon(Duration::zero());
  for (int i = 0; i < 4; ++i) {
    EXPECT_DOUBLE_EQ(forecast.steps(i).price_usd_per_kwh(), price.At(start + Minutes(30) * i));
    EXPECT_DOUBLE_EQ(forecast.steps(i).carbon_g_per_kwh(), carbon.At(start + Minutes(30) * i));
  }
  EXPECT_FALSE(forecast.has_battery());
}

}  // namespace
}  // namespace apsis::agents
