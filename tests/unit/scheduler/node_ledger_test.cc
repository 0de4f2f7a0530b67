// NodeLedger: the planner's per-node arrays must agree with a straightforward recomputation.
#include "scheduler/core/node_ledger.h"

#include <vector>

#include "fleet_fixtures.h"
#include "gtest/gtest.h"

namespace apsis::core {
namespace {

using testing::GroundForecast;
using testing::GroundSpec;
using testing::OrbitalForecast;
using testing::OrbitalSpec;
using testing::OrbitShape;
using testing::T0;

Reservation Load(TimePoint start, Duration d, int gpus, double it_w) {
  Reservation r;
  r.job_id = "r";
  r.start = start;
  r.end = start + d;
  r.gpus = gpus;
  r.it_load_w = it_w;
  return r;
}

TEST(NodeLedgerTest, FindsFirstCapacityViolationAndNextFreeStep) {
  NodeLedger l(GroundSpec("dc", 8, 1.5), GroundForecast(T0(), 600, 10000, {0.1}));
  l.Commit(Load(T0() + Minutes(100), Minutes(50), 6, 1000));
  EXPECT_FALSE(l.FirstCapacityViolation(0, 100, 8, 1000).has_value());
  auto v = l.FirstCapacityViolation(40, 200, 4, 1000);
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->step, 100);
  EXPECT_EQ(v->constraint, Constraint::kGpusBusy);
  EXPECT_EQ(l.NextFitStep(101, 4, 1000), 150);
  // 1 kW IT × PUE 1.5 already committed: 8.5 kW more does not fit 10 kW.
  auto p = l.FirstCapacityViolation(0, 600, 2, 8500);
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->step, 100);
  EXPECT_EQ(p->constraint, Constraint::kPower);
  EXPECT_DOUBLE_EQ(p->limit, 10000);
}

TEST(NodeLedgerTest, NextFitStepSkipsFullBlocksAndFindsTheFirstStepWithRoom) {
  // 600 steps; loads straddle the 32-step blocks so that whole blocks have no room for some
  // requests while others fit in single steps inside a block.
  NodeLedger l(GroundSpec("dc", 8, 1.0), GroundForecast(T0(), 600, 10000, {0.1}));
  l.Commit(Load(T0() + Minutes(10), Minutes(170), 6, 1000));   // steps 10..179
  l.Commit(Load(T0() + Minutes(181), Minutes(100), 8, 1000));  // steps 181..280: full
  l.Commit(Load(T0() + Minutes(300), Minutes(200), 1, 9000));  // steps 300..499: no power
  for (int gpus : {1, 2, 3, 8}) {
    for (double watts : {500.0, 1000.0, 5000.0}) {
      for (int from = 0; from < 600; from += 7) {
        int expected = 600;
        for (int i = from; i < 600; ++i) {
          if (!l.FirstCapacityViolation(i, i + 1, gpus, watts)) {
            expected = i;
            break;
          }
        }
        EXPECT_EQ(l.NextFitStep(from, gpus, watts), expected)
            << gpus << " GPUs, " << watts << " W from step " << from;
      }
    }
  }
}

TEST(NodeLedgerTest, BatteryBoundStepsCountEveryRangeAcrossWords) {
  // Eclipses are steps 60..94 of every 95-step orbit; a committed load above the solar input
  // makes steps 100..129 battery-bound too. Every range agrees with a count step by step.
  OrbitShape o;
  o.solar_w = 3000;
  NodeLedger l(OrbitalSpec("sat"), OrbitalForecast(T0(), 300, o));
  l.Commit(Load(T0() + Minutes(100), Minutes(30), 1, 2600));
  std::vector<int> bound(300);
  for (int i = 0; i < 300; ++i) bound[i] = i % 95 >= 60 || (i >= 100 && i < 130);
  for (int s = 0; s <= 300; s += 3) {
    int n = 0;
    for (int e = s; e <= 300; ++e) {
      EXPECT_EQ(l.BatteryBoundSteps(s, e), n) << s << ".." << e;
      if (e < 300) n += bound[e];
    }
  }
  // Rebuild gives the same counts as the incremental commit.
  NodeLedger r(OrbitalSpec("sat"), OrbitalForecast(T0(), 300, o));
  const Reservation res = Load(T0() + Minutes(100), Minutes(30), 1, 2600);
  r.Rebuild({&res});
  EXPECT_EQ(r.BatteryBoundSteps(0, 300), l.BatteryBoundSteps(0, 300));
}

TEST(NodeLedgerTest, PriceIntegralIsPriceTimesHours) {
  NodeLedger l(GroundSpec("dc"), GroundForecast(T0(), 240, 10000, {0.1, 0.3}));
  // Prices are stored as float (the forecast's precision); sums are kept in double.
  EXPECT_NEAR(l.PriceIntegral(0, 60), 0.1, 1e-7);
  EXPECT_NEAR(l.PriceIntegral(30, 90), 0.5 * 0.1 + 0.5 * 0.3, 1e-7);
}

TEST(NodeLedgerTest, BatterySimulationMatchesHandComputation) {
  OrbitShape o;
  o.capacity_wh = 4000;
  o.initial_soc_wh = 4000;
  NodeLedger l(OrbitalSpec("sat"), OrbitalForecast(T0(), 190, o));
  // Eclipse is steps 60..94. A 3 kW job through it draws (3000 + 500) / 0.95 W from the
  // battery for 35 minutes; the bus alone would draw 500 / 0.95 W.
  auto b = l.SimulateBattery(0, 95, 3000);
  ASSERT_TRUE(b.ok);
  EXPECT_NEAR(b.extra_discharge_wh, 3000 / 0.95 * 35 / 60.0, 1e-6);
  EXPECT_EQ(l.BatteryBoundSteps(0, 95), 35);
  // 6 kW through the eclipse empties the 4 kWh battery below its 20 % floor.
  auto weak = l.SimulateBattery(0, 95, 6000);
  ASSERT_FALSE(weak.ok);
  EXPECT_EQ(weak.constraint, Constraint::kBatteryFloor);
  const double drain_w = 6500 / 0.95;
  const int expected = 60 + int((4000 - 800) / (drain_w / 60.0));
  EXPECT_EQ(weak.step, expected);
}

TEST(NodeLedgerTest, CommittedLoadShiftsTheBatteryTrajectory) {
  NodeLedger l(OrbitalSpec("sat"), OrbitalForecast(T0(), 190));
  l.Commit(Load(T0() + Minutes(50), Minutes(45), 8, 4000));
  EXPECT_EQ(l.BatteryBoundSteps(60, 95), 35);
  EXPECT_FALSE(l.FirstCommittedViolation().has_value());
  // Another 3.5 kW in the same eclipse would breach the floor of the 6 kWh battery:
  // (4000 + 3500 + 500) / 0.95 W for 35 min is 4.91 kWh, leaving 1.09 kWh < 1.2 kWh; 3 kW fits.
  EXPECT_TRUE(l.SimulateBattery(60, 95, 3000).ok);
  auto b = l.SimulateBattery(60, 95, 3500);
  EXPECT_FALSE(b.ok);
  // Rebuild gives the same state as incremental commits.
  NodeLedger r(OrbitalSpec("sat"), OrbitalForecast(T0(), 190));
  const Reservation res = Load(T0() + Minutes(50), Minutes(45), 8, 4000);
  r.Rebuild({&res});
  EXPECT_EQ(r.SimulateBattery(60, 95, 3500).step, b.step);
}

TEST(NodeLedgerTest, WindowCapacityIsShared) {
  NodeLedger l(OrbitalSpec("sat"), OrbitalForecast(T0(), 600));
  const double cap = l.UplinkFreeBytes(0);
  EXPECT_NEAR(cap, 8 * 60 * 200e6 / 8, 1);
  Reservation r = Load(T0() + Minutes(30), Minutes(10), 1, 100);
  const ContactWindow& w = l.forecast().windows[0];
  r.transfers = {{TransferDirection::kUplink, 0, w.station, w.aos, w.los, cap * 0.75}};
  l.Commit(r);
  EXPECT_NEAR(l.UplinkFreeBytes(0), cap * 0.25, 1);
  l.Commit(r);
  auto v = l.FirstCommittedViolation();
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->constraint, Constraint::kUplink);
  EXPECT_EQ(v->window, 0);
}

}  // namespace
}  // namespace apsis::core
