#include "sim/run_command.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim_test_support.h"

namespace apsis::sim {
namespace {

std::string Slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class RunCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("apsis-sim-run-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    workload_ =
        testing::WriteWorkloadCsv("run_command_workload_" + std::to_string(::getpid()) + ".csv",
                                  "t1,training,0,8,700,16,,,,0,true,true,,0.05,0.5,2\n"
                                  "t2,training,300,4,700,6,,,,1,false,true,,0.05,0.5,2\n"
                                  "i1,inference,600,2,700,,7200,100,eu-west,2,,,,0,0,0\n"
                                  "i2,inference,900,1,700,,3600,100,us-west,2,,,,0,0,0\n");
  }
  void TearDown() override {
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(workload_);
  }
  int Run(const std::string& tag, std::string* out, std::string* err) {
    std::ostringstream o, e;
    const int rc =
        RunSimCommand({"--fleet", testing::DemoFleetPath(), "--workload", workload_, "--horizon",
                       "12h", "--seed", "7", "--policy", "cost", "--policy", "ground-only",
                       "--check", "--json", Path(tag + ".json"), "--html", Path(tag + ".html")},
                      o, e);
    *out = o.str();
    *err = e.str();
    return rc;
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::filesystem::path dir_;
  std::string workload_;
};

TEST_F(RunCommandTest, SameSeedAndInputGiveByteIdenticalTableJsonAndHtml) {
  std::string out1, err1, out2, err2;
  ASSERT_EQ(Run("a", &out1, &err1), 0) << err1;
  ASSERT_EQ(Run("b", &out2, &err2), 0) << err2;
  EXPECT_EQ(out1, out2);
  EXPECT_NE(out1.find("plan checker: no violation"), std::string::npos) << out1;
  const std::string json = Slurp(Path("a.json"));
  EXPECT_EQ(json, Slurp(Path("b.json")));
  for (const char* key :
       {"\"name\"", "\"jobs_done\"", "\"energy_kwh\"", "\"energy_cost_usd\"", "\"carbon_kg\"",
        "\"slo_attainment\"", "\"wait_p50_s\"", "\"wait_p95_s\"", "\"wait_p99_s\"",
        "\"gpu_utilisation_ground\"", "\"gpu_utilisation_orbit\"", "\"preemptions\"",
        "\"data_moved_gb\"", "\"horizon_s\": 43200", "\"seed\": 7"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key;
  }
  const std::string html = Slurp(Path("a.html"));
  EXPECT_EQ(html, Slurp(Path("b.html")));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_NE(html.find("fill='#cfcfcf'"), std::string::npos) << "no eclipse shading";
  EXPECT_NE(html.find("<line x1="), std::string::npos) << "no contact-window ticks";
  EXPECT_NE(html.find("<title>t1 "), std::string::npos) << "job t1 not on any timeline";
  EXPECT_EQ(html.find("http://") == std::string::npos ||
                html.find("http://") == html.find("http://www.w3.org/2000/svg"),
            true)
      << "the report must not load anything";
}

TEST_F(RunCommandTest, BoundPutsEachPolicysOptimalityGapIntoTheJson) {
  std::ostringstream o, e;
  ASSERT_EQ(RunSimCommand({"--fleet", testing::DemoFleetPath(), "--workload", workload_,
                           "--horizon", "12h", "--seed", "7", "--policy", "cost", "--policy",
                           "fifo-firstfit", "--bound", "--json", Path("gap.json")},
                          o, e),
            0)
      << e.str();
  const nlohmann::json json = nlohmann::json::parse(Slurp(Path("gap.json")));
  ASSERT_EQ(json["policies"].size(), 2u);
  for (const nlohmann::json& p : json["policies"]) {
    const std::string name = p["name"];
    ASSERT_TRUE(p.contains("energy_lower_bound_usd")) << p.dump();
    const double cost = p["energy_cost_usd"], bound = p["energy_lower_bound_usd"];
    const double gap_usd = p["optimality_gap_usd"], gap = p["optimality_gap"];
    EXPECT_GT(cost, 0) << name;
    EXPECT_GE(bound, 0) << name;
    EXPECT_LE(bound, cost * (1 + 1e-9)) << name;
    EXPECT_NEAR(gap_usd, cost - bound, 1e-9) << name;
    EXPECT_NEAR(gap, (cost - bound) / cost, 1e-9) << name;
    // The table prints the same figures.
    char row[64];
    std::snprintf(row, sizeof(row), "%.4f", bound);
    EXPECT_NE(o.str().find(row), std::string::npos) << name << " bound " << row << "\n" << o.str();
  }
  // Without --bound the keys are absent rather than zero.
  std::ostringstream o2, e2;
  ASSERT_EQ(RunSimCommand({"--fleet", testing::DemoFleetPath(), "--workload", workload_,
                           "--horizon", "12h", "--policy", "cost", "--json", Path("plain.json")},
                          o2, e2),
            0)
      << e2.str();
  EXPECT_EQ(Slurp(Path("plain.json")).find("optimality_gap"), std::string::npos);
}

TEST_F(RunCommandTest, UsageAndInputErrorsExitTwoAndSayWhy) {
  std::ostringstream o, e;
  EXPECT_EQ(RunSimCommand({"--workload", workload_, "--policy", "no-such"}, o, e), 2);
  EXPECT_NE(e.str().find("no-such"), std::string::npos) << e.str();
  std::ostringstream o2, e2;
  EXPECT_EQ(RunSimCommand({"--workload", Path("missing.csv")}, o2, e2), 2);
  EXPECT_NE(e2.str().find("missing.csv"), std::string::npos) << e2.str();
  std::ostringstream o3, e3;
  EXPECT_EQ(RunSimCommand({"--workload", workload_, "--horizon", "soon"}, o3, e3), 2);
  EXPECT_NE(e3.str().find("--horizon"), std::string::npos) << e3.str();
}

}  // namespace
}  // namespace apsis::sim
