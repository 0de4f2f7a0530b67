#include "sim/simulation.h"

#include <gtest/gtest.h>

#include "sim/report.h"
#include "sim_test_support.h"

namespace apsis::sim {
namespace {

// A day of mixed work on the demo fleet: deferrable and urgent training, inference in three
// regions; enough to keep GPUs busy through eclipses and contact gaps.
Workload MixedDay(TimePoint epoch) {
  Workload w;
  for (int i = 0; i < 60; ++i) {
    core::JobSpec j;
    j.id = "job-" + std::to_string(100 + i);
    j.submitted_at = epoch + Minutes(20 * i);
    j.earliest_start = j.submitted_at;
    j.gpus = 1 + (i % 4) * 2;
    j.watts_per_gpu = 700;
    if (i % 3 == 0) {
      j.kind = core::JobKind::kInference;
      j.region = i % 2 ? "eu-west" : "us-east";
      j.inference.serve_start = j.submitted_at;
      j.inference.serve_end = j.submitted_at + Hours(2 + i % 5);
      j.inference.latency_slo_ms = 100;
      j.priority = 2;
    } else {
      j.kind = core::JobKind::kTraining;
      j.training.gpu_hours = j.gpus * (1.0 + i % 7);
      j.training.checkpoint_gb = 2;
      j.training.deferrable = i % 2 == 0;
      j.training.preemptible = true;
      j.input_gb = 0.05;
      j.output_gb = 0.5;
    }
    w.jobs.push_back(j);
  }
  return w;
}

class SimulationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<Fleet> fleet = LoadFleet(testing::DemoFleetPath());
    ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
    auto model = FleetModel::Build(*fleet, Hours(24) + fleet->forecast_horizon + Minutes(1));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(*model).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static SimOptions Options() {
    SimOptions o;
    o.policies = {"cost", "fifo-firstfit", "ground-only", "greedy-latency"};
    o.horizon = Hours(24);
    o.check = true;
    return o;
  }
  static FleetModel* model_;
};
FleetModel* SimulationTest::model_ = nullptr;

TEST_F(SimulationTest, SameSeedAndInputGiveByteIdenticalReports) {
  const Workload w = MixedDay(model_->fleet().epoch);
  SimOptions o = Options();
  o.check = false;
  Result<SimReport> a = Simulate(*model_, w, o);
  o.threads = 1;  // a different thread layout must not change anything
  Result<SimReport> b = Simulate(*model_, w, o);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(FormatTable(*a), FormatTable(*b));
  EXPECT_EQ(FormatJson(*a), FormatJson(*b));
  EXPECT_EQ(FormatHtml(*a, *model_), FormatHtml(*b, *model_));
  ASSERT_EQ(a->policies.size(), 4u);
  EXPECT_GT(a->policies[0].jobs_done, 30);
}

TEST_F(SimulationTest, PlanCheckerFindsNoViolationInAnyStep) {
  const Workload w = MixedDay(model_->fleet().epoch);
  Result<SimReport> r = Simulate(*model_, w, Options());
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  for (const PolicyResult& p : r->policies) {
    EXPECT_GT(p.plan_calls, 60) << p.name;
    EXPECT_EQ(p.check_violations, 0)
        << p.name << ": " << (p.violations.empty() ? "" : p.violations[0]);
    EXPECT_TRUE(p.anomalies.empty()) << p.name << ": " << p.anomalies[0];
    EXPECT_DOUBLE_EQ(p.battery_unmet_wh, 0) << p.name;
  }
}

TEST_F(SimulationTest, AccountsEnergyAtTheSitePrice) {
  // One 8-GPU hour on the ground at a known price: energy = 8 × 700 W × PUE for one hour.
  Workload w;
  core::JobSpec j;
  j.id = "one";
  j.kind = core::JobKind::kTraining;
  j.gpus = 8;
  j.watts_per_gpu = 700;
  j.training.gpu_hours = 8;
  j.submitted_at = model_->fleet().epoch;
  j.earliest_start = j.submitted_at;
  w.jobs.push_back(j);
  SimOptions o = Options();
  o.policies = {"ground-only"};
  Result<SimReport> r = Simulate(*model_, w, o);
  ASSERT_TRUE(r.ok());
  const PolicyResult& p = r->policies[0];
  EXPECT_EQ(p.jobs_done, 1);
  ASSERT_EQ(p.segments.size(), 1u);
  const NodeModel& node = model_->nodes()[p.segments[0].node];
  EXPECT_EQ(p.segments[0].end - p.segments[0].start, Hours(1));
  EXPECT_NEAR(p.energy_kwh, 5.6 * node.spec().pue, 1e-6);
  double usd = 0;
  for (int i = node.StepOf(p.segments[0].start); i < node.StepOf(p.segments[0].end); ++i) {
    usd += 5.6 * node.spec().pue / 60.0 * node.price_usd_per_kwh(i);
  }
  EXPECT_NEAR(p.energy_cost_usd, usd, 1e-6);
  EXPECT_NEAR(p.gpu_utilisation_ground, 8.0 / (96 * 24), 1e-9);
}

}  // namespace
}  // namespace apsis::sim
