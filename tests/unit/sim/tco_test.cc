#include "sim/analysis/tco.h"

#include <gtest/gtest.h>

namespace apsis::sim {
namespace {

// Round numbers whose costs are easy to work out by hand (one year = 8,760 hours).
TcoParams HandParams() {
  TcoParams p;
  p.gpu_cost_usd = 10000;
  p.kw_per_gpu = 1;
  p.lifetime_years = 1;
  p.energy_usd_per_kwh = 0.1;
  p.pue = 1.5;
  p.idle_power_fraction = 0.5;
  p.facility_usd_per_kw = 8760;
  p.facility_lifetime_years = 2;
  p.utilisation_ground = 0.5;
  p.launch_usd_per_kg = 100;
  p.kg_per_kw = 10;
  p.orbit_hardware_usd_per_kw = 2000;
  p.utilisation_orbit = 0.25;
  return p;
}

TEST(TcoTest, GroundCostsMatchHandComputation) {
  const TcoComparison c = ComputeTco(HandParams());
  EXPECT_DOUBLE_EQ(c.ground.chips_usd, 10000);
  EXPECT_DOUBLE_EQ(c.ground.facility_usd, 4380);  // 8760 $/kW x 1 kW x (1 y / 2 y)
  // 1 kW x PUE 1.5 x 8760 h x (0.5 busy + 0.5 idle x 0.5 draw) x $0.1
  EXPECT_DOUBLE_EQ(c.ground.energy_usd, 985.5);
  EXPECT_DOUBLE_EQ(c.ground.launch_usd, 0);
  EXPECT_DOUBLE_EQ(c.ground.total_usd(), 15365.5);
  EXPECT_DOUBLE_EQ(c.ground.useful_gpu_hours, 4380);
  EXPECT_DOUBLE_EQ(c.ground.usd_per_useful_gpu_hour(), 15365.5 / 4380);
}

TEST(TcoTest, OrbitCostsMatchHandComputation) {
  const TcoComparison c = ComputeTco(HandParams());
  EXPECT_DOUBLE_EQ(c.orbit.chips_usd, 10000);
  EXPECT_DOUBLE_EQ(c.orbit.facility_usd, 2000);
  EXPECT_DOUBLE_EQ(c.orbit.launch_usd, 1000);  // $100/kg x 10 kg/kW x 1 kW
  EXPECT_DOUBLE_EQ(c.orbit.energy_usd, 0);
  EXPECT_DOUBLE_EQ(c.orbit.useful_gpu_hours, 2190);
  EXPECT_DOUBLE_EQ(c.orbit.usd_per_useful_gpu_hour(), 13000.0 / 2190);
}

TEST(TcoTest, DefaultsGiveChipsAndEnergySharesNearTheRuleOfThumb) {
  const TcoComparison c = ComputeTco(TcoParams{});
  const double total = c.ground.total_usd();
  // Hand computation: facility 11700 x 1.275 / 3 = 4972.5; energy 1.275 x 1.3 x 43800 x 0.86 x
  // 0.08.
  EXPECT_NEAR(c.ground.facility_usd, 4972.5, 1e-9);
  EXPECT_NEAR(c.ground.energy_usd, 4994.77680, 1e-5);
  EXPECT_NEAR(c.ground.chips_usd / total, 0.70, 0.06);
  EXPECT_NEAR(c.ground.energy_usd / total, 0.15, 0.04);
}

TEST(TcoTest, BreakEvenClosedFormEqualisesCostPerUsefulHour) {
  TcoParams p = HandParams();
  p.utilisation_orbit = 1.0;
  // Orbit may spend 15365.5 x (1.0 / 0.5) = 30731 per GPU; 30731 - 12000 = 18731 on 10 kg.
  const double break_even = BreakEvenLaunchUsdPerKg(p);
  EXPECT_DOUBLE_EQ(break_even, 1873.1);
  p.launch_usd_per_kg = break_even;
  const TcoComparison c = ComputeTco(p);
  EXPECT_NEAR(c.orbit.usd_per_useful_gpu_hour(), c.ground.usd_per_useful_gpu_hour(), 1e-9);
}

TEST(TcoTest, BreakEvenIsNegativeWhenOrbitLosesEvenWithFreeLaunches) {
  // Orbit may spend only 15365.5 x 0.25 / 0.5 = 7682.75 but chips and satellite cost 12000.
  EXPECT_DOUBLE_EQ(BreakEvenLaunchUsdPerKg(HandParams()), (7682.75 - 12000) / 10);
}

TEST(TcoTest, SweepFindsTheClosedFormBreakEven) {
  for (double u_orbit : {0.8, 0.9, 1.0}) {
    TcoParams p;
    p.utilisation_orbit = u_orbit;
    const double closed_form = BreakEvenLaunchUsdPerKg(p);
    ASSERT_GT(closed_form, 10);
    Result<LaunchSweep> sweep = SweepLaunchPrice(p, 10, 10000, 13);
    ASSERT_TRUE(sweep.ok()) << sweep.status().ToString();
    ASSERT_EQ(sweep->points.size(), 13u);
    EXPECT_DOUBLE_EQ(sweep->points.front().launch_usd_per_kg, 10);
    EXPECT_DOUBLE_EQ(sweep->points.back().launch_usd_per_kg, 10000);
    ASSERT_TRUE(sweep->has_break_even) << "utilisation_orbit " << u_orbit;
    EXPECT_NEAR(sweep->break_even_usd_per_kg, closed_form, 1e-9 * closed_form);
  }
}

TEST(TcoTest, SweepPointsAreLogSpacedAndOrbitCostRisesWithLaunchPrice) {
  Result<LaunchSweep> sweep = SweepLaunchPrice(TcoParams{}, 10, 1000, 3);
  ASSERT_TRUE(sweep.ok());
  EXPECT_NEAR(sweep->points[1].launch_usd_per_kg, 100, 1e-9);
  EXPECT_LT(sweep->points[0].orbit_usd_per_gpu_hour, sweep->points[1].orbit_usd_per_gpu_hour);
  EXPECT_LT(sweep->points[1].orbit_usd_per_gpu_hour, sweep->points[2].orbit_usd_per_gpu_hour);
  EXPECT_DOUBLE_EQ(sweep->points[0].ground_usd_per_gpu_hour,
                   sweep->points[2].ground_usd_per_gpu_hour);
}

TEST(TcoTest, SweepReportsNoBreakEvenOutsideItsRange) {
  TcoParams p;
  const double closed_form = BreakEvenLaunchUsdPerKg(p);
  Result<LaunchSweep> above = SweepLaunchPrice(p, closed_form * 2, closed_form * 10, 5);
  ASSERT_TRUE(above.ok());
  EXPECT_FALSE(above->has_break_even);
  Result<LaunchSweep> never = SweepLaunchPrice(HandParams(), 1, 10000, 9);
  ASSERT_TRUE(never.ok());
  EXPECT_FALSE(never->has_break_even);
}

TEST(TcoTest, SweepRejectsBadRanges) {
  EXPECT_FALSE(SweepLaunchPrice(TcoParams{}, 0, 100, 5).ok());
  EXPECT_FALSE(SweepLaunchPrice(TcoParams{}, 100, 10, 5).ok());
  Result<LaunchSweep> one = SweepLaunchPrice(TcoParams{}, 10, 100, 1);
  ASSERT_FALSE(one.ok());
  EXPECT_NE(one.status().message().find("at least 2 points"), std::string::npos);
}

TEST(TcoTest, ValidationNamesTheFieldAndTheRange) {
  EXPECT_TRUE(ValidateTcoParams(TcoParams{}).ok());
  TcoParams p;
  p.pue = 0.9;
  Status s = ValidateTcoParams(p);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "pue = 0.9 must be >= 1 and <= 10 (for example 1.3)");
  p = TcoParams{};
  p.utilisation_orbit = 0;
  s = ValidateTcoParams(p);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("utilisation_orbit"), std::string::npos);
}

}  // namespace
}  // namespace apsis::sim
