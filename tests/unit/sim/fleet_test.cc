#include "sim/fleet.h"

#include <gtest/gtest.h>

#include "sim_test_support.h"

namespace apsis::sim {
namespace {

TEST(FleetTest, BundledFleetIsTheDemoFleet) {
  Result<Fleet> fleet = LoadFleet(testing::DemoFleetPath());
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  EXPECT_EQ(fleet->ground.size(), 3u);
  EXPECT_EQ(fleet->orbital.size(), 8u);
  EXPECT_EQ(fleet->stations.size(), 6u);
  EXPECT_EQ(FormatRfc3339(fleet->epoch), "2026-06-21T00:00:00Z");
  EXPECT_EQ(fleet->total_gpus(), 3 * 32 + 8 * 16);
  // Defaults reach every orbital node; the node's own keys win.
  EXPECT_EQ(fleet->orbital[0].id, "sso-1");
  EXPECT_TRUE(fleet->orbital[0].relay);
  EXPECT_FALSE(fleet->orbital[2].relay);
  EXPECT_DOUBLE_EQ(fleet->orbital[7].battery_capacity_wh, 60000);
  EXPECT_DOUBLE_EQ(fleet->orbital[7].raan_deg, 240);
  // CAISO's 2023 mean at 04:00 UTC is 43.34 $/MWh.
  EXPECT_NEAR(fleet->ground[0].price_usd_per_kwh[4], 0.04334, 1e-9);
}

TEST(FleetTest, UnknownKeyIsReportedWithItsPlace) {
  const std::string text =
      "epoch: 2026-06-21T00:00:00Z\n"
      "ground:\n"
      "  - id: g\n"
      "    region: us-west\n"
      "    gpus: 4\n"
      "    grid_kw: 10\n"
      "    price_profil: p.csv\n";
  Result<Fleet> fleet = ParseFleet(text, "fleet.yaml", "");
  ASSERT_FALSE(fleet.ok());
  EXPECT_NE(fleet.status().message().find("fleet.yaml:7:5"), std::string::npos)
      << fleet.status().message();
}

TEST(FleetTest, PriceProfileNeedsEveryHour) {
  std::string csv = "hour_utc,usd_per_mwh\n";
  for (int h = 0; h < 23; ++h) csv += std::to_string(h) + ",50\n";
  Result<std::array<double, 24>> p = ParseHourlyPriceProfile(csv, "p.csv");
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.status().message().find("hour 23"), std::string::npos);
  Result<std::array<double, 24>> bad =
      ParseHourlyPriceProfile("hour_utc,usd_per_mwh\n0,x\n", "p.csv");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("p.csv:2:3"), std::string::npos) << bad.status().message();
}

}  // namespace
}  // namespace apsis::sim
