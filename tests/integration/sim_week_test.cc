// A simulated week of the Alibaba GPU 2023 trace on the demo fleet: the `cost` policy spends less
// on energy than the baselines at equal or better inference SLO attainment, and the plan checker
// finds no violation in any planning step of any policy.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "sim/report.h"
#include "sim/simulation.h"

namespace apsis::sim {
namespace {

std::string SourceDir() {
  const char* src = std::getenv("APSIS_SOURCE_DIR");
  return src ? src : APSIS_SOURCE_DIR;
}

TEST(SimWeekTest, CostPolicySpendsLessOnEnergyAtEqualOrBetterSlo) {
  const std::string trace = SourceDir() + "/../shared/data/traces/alibaba-gpu-2023-openb.csv";
  if (!std::filesystem::exists(trace)) {
    GTEST_SKIP() << "../shared/data/traces is absent (public data, not bundled)";
  }
  Result<Fleet> fleet = LoadFleet(SourceDir() + "/configs/sim/fleet.yaml");
  ASSERT_TRUE(fleet.ok()) << fleet.status().ToString();
  ImportOptions import;
  import.epoch = fleet->epoch;
  import.offset_s = 10'886'400;  // week 18 of the trace: 1,356 GPU pods
  import.horizon = Hours(24 * 7);
  Result<Workload> workload = LoadWorkload(trace, TraceFormat::kAlibaba, import);
  ASSERT_TRUE(workload.ok()) << workload.status().ToString();
  auto model =
      FleetModel::Build(*fleet, import.horizon + fleet->forecast_horizon + fleet->forecast_step);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  SimOptions options;
  options.policies = {"cost", "fifo-firstfit", "ground-only"};
  options.horizon = import.horizon;
  options.check = true;
  Result<SimReport> report = Simulate(**model, *workload, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  std::cout << FormatTable(*report);
  const PolicyResult& cost = report->policies[0];
  for (const PolicyResult& p : report->policies) {
    EXPECT_EQ(p.check_violations, 0)
        << p.name << ": " << (p.violations.empty() ? "" : p.violations[0]);
    EXPECT_TRUE(p.anomalies.empty()) << p.name;
    EXPECT_GT(p.jobs_done, 1300) << p.name;
    if (&p == &cost) continue;
    EXPECT_LT(cost.energy_cost_usd, p.energy_cost_usd) << "cost vs " << p.name;
    EXPECT_GE(cost.slo_attainment, p.slo_attainment) << "cost vs " << p.name;
  }
}

}  // namespace
}  // namespace apsis::sim
