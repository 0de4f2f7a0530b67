#include "sim/optimality_gap.h"

#include <gtest/gtest.h>

#include <sstream>

#include "sim/run_command.h"
#include "sim_test_support.h"

namespace apsis::sim {
namespace {

core::JobSpec TrainingJob(const std::string& id, TimePoint at, int gpus, double gpu_hours) {
  core::JobSpec j;
  j.id = id;
  j.kind = core::JobKind::kTraining;
  j.gpus = gpus;
  j.watts_per_gpu = 700;
  j.training.gpu_hours = gpu_hours;
  j.training.preemptible = true;
  j.submitted_at = at;
  j.earliest_start = at;
  return j;
}

// A few hours of mixed work on the demo fleet: training (some deferrable) and inference.
Workload SmallMix(TimePoint epoch) {
  Workload w;
  for (int i = 0; i < 12; ++i) {
    core::JobSpec j = TrainingJob("job-" + std::to_string(i), epoch + Minutes(15 * i), 1 + i % 4,
                                  (1 + i % 4) * (0.5 + i % 3));
    if (i % 3 == 0) {
      j.kind = core::JobKind::kInference;
      j.training = {};
      j.region = i % 2 ? "eu-west" : "us-east";
      j.inference.serve_start = j.submitted_at;
      j.inference.serve_end = j.submitted_at + Hours(1 + i % 2);
      j.inference.latency_slo_ms = 100;
    } else {
      j.training.deferrable = i % 2 == 0;
      j.training.deadline = j.submitted_at + Hours(5);
    }
    w.jobs.push_back(j);
  }
  return w;
}

TEST(OptimalityGapTest, FlatPricedGroundSiteHasNoGap) {
  // One ground site at one price all day: every schedule of the same work costs the same, so the
  // bound must equal what the simulation spent (8 GPUs x 700 W x 2 h x PUE 1.25 x $0.10).
  Fleet fleet;
  ASSERT_TRUE(ParseRfc3339("2026-06-21T00:00:00Z").ok());
  fleet.epoch = *ParseRfc3339("2026-06-21T00:00:00Z");
  GroundSite site;
  site.id = "flat";
  site.region = "us-west";
  site.gpus = 8;
  site.pue = 1.25;
  site.grid_kw = 100;
  site.price_usd_per_kwh.fill(0.10);
  site.latency_ms = {{"us-west", 10}};
  fleet.ground.push_back(site);
  auto model = FleetModel::Build(fleet, Hours(6) + fleet.forecast_horizon + Minutes(1));
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  Workload w;
  w.jobs.push_back(TrainingJob("a", fleet.epoch, 8, 16));
  SimOptions o;
  o.horizon = Hours(6);
  Result<PolicyResult> run = SimulatePolicy(**model, w, o, "cost");
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  ASSERT_EQ(run->jobs_done, 1);
  EXPECT_NEAR(run->energy_cost_usd, 8 * 0.7 * 2 * 1.25 * 0.10, 1e-6);
  Result<OptimalityGap> gap = ComputeOptimalityGap(**model, w, *run, {Hours(6), Minutes(15), 0});
  ASSERT_TRUE(gap.ok()) << gap.status().ToString();
  EXPECT_NEAR(gap->lower_bound_usd, run->energy_cost_usd, 1e-6);
  EXPECT_NEAR(gap->gap_fraction, 0, 1e-6);
}

class DemoFleetGapTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    Result<Fleet> fleet = LoadFleet(testing::DemoFleetPath());
    ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
    auto model = FleetModel::Build(*fleet, Hours(8) + fleet->forecast_horizon + Minutes(1));
    ASSERT_TRUE(model.ok()) << model.status().ToString();
    model_ = std::move(*model).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
  }
  static FleetModel* model_;
};
FleetModel* DemoFleetGapTest::model_ = nullptr;

TEST_F(DemoFleetGapTest, BoundIsAtMostEveryPolicysEnergyCost) {
  const Workload w = SmallMix(model_->fleet().epoch);
  SimOptions o;
  o.policies = {"cost", "fifo-firstfit", "ground-only", "greedy-latency"};
  o.horizon = Hours(8);
  o.engine.weights.orbital_energy_usd_per_kwh = 0.01;  // orbit is not free: the bound must price it
  Result<SimReport> report = Simulate(*model_, w, o);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  for (const PolicyResult& p : report->policies) {
    ASSERT_GT(p.jobs_done, 0) << p.name;
    Result<BoundInstance> in = BuildBoundInstance(*model_, w, p, {Hours(8), Minutes(15), 0.01});
    ASSERT_TRUE(in.ok()) << p.name << ": " << in.status().ToString();
    EXPECT_EQ(in->steps, 32);
    EXPECT_EQ(in->nodes.size(), model_->nodes().size());
    Result<OptimalityGap> gap = ComputeOptimalityGap(*model_, w, p, {Hours(8), Minutes(15), 0.01});
    ASSERT_TRUE(gap.ok()) << p.name << ": " << gap.status().ToString();
    EXPECT_GT(gap->lower_bound_usd, 0) << p.name;
    EXPECT_LE(gap->lower_bound_usd, p.energy_cost_usd * (1 + 1e-9) + 1e-9) << p.name;
    EXPECT_GE(gap->gap_fraction, -1e-9) << p.name;
  }
}

TEST_F(DemoFleetGapTest, BoundStepMustBeAMultipleOfTheForecastStep) {
  PolicyResult empty;
  Result<BoundInstance> in =
      BuildBoundInstance(*model_, Workload{}, empty, {Hours(1), Seconds(90), 0});
  ASSERT_FALSE(in.ok());
  EXPECT_NE(in.status().message().find("--bound-step 90 s must be a whole multiple"),
            std::string::npos)
      << in.status().message();
}

TEST(OptimalityGapCommandTest, RunWithBoundPrintsEachPolicysGap) {
  const std::string csv =
      testing::WriteWorkloadCsv("gap-workload.csv",
                                "t1,training,0,4,700,8,,,,0,true,true,,,,\n"
                                "t2,training,600,2,700,3,,,,0,false,true,,,,\n");
  std::ostringstream out, err;
  const int code = RunSimCommand(
      {"--fleet", testing::DemoFleetPath(), "--workload", csv, "--horizon", "6h", "--policy",
       "cost", "--policy", "ground-only", "--bound", "--orbital-usd-per-kwh", "0.02"},
      out, err);
  ASSERT_EQ(code, 0) << err.str();
  EXPECT_NE(out.str().find("Optimality gap: LP lower bound"), std::string::npos) << out.str();
  EXPECT_EQ(out.str().find("bound not computed"), std::string::npos) << out.str();
  std::ostringstream out2, err2;
  EXPECT_EQ(RunSimCommand({"--workload", csv, "--bound", "--bound-step", "soon"}, out2, err2), 2);
  EXPECT_NE(err2.str().find("--bound-step 'soon'"), std::string::npos) << err2.str();
}

}  // namespace
}  // namespace apsis::sim
