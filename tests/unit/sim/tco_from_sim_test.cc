// `apsis-sim tco --from-sim` reads the JSON that `apsis-sim run --json` writes.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/analysis/tco_command.h"
#include "sim/run_command.h"
#include "sim_test_support.h"

namespace apsis::sim {
namespace {

TEST(TcoFromSimTest, ReadsTheUtilisationThatRunJsonWrote) {
  const std::string csv = testing::WriteWorkloadCsv("tco-from-sim.csv",
                                                    "t1,training,0,8,700,24,,,,0,false,true,,,,\n"
                                                    "t2,training,300,4,700,8,,,,0,true,true,,,,\n");
  const std::string json = ::testing::TempDir() + "/tco-from-sim.json";
  std::ostringstream out, err;
  ASSERT_EQ(RunSimCommand({"--fleet", testing::DemoFleetPath(), "--workload", csv, "--horizon",
                           "6h", "--policy", "cost", "--json", json},
                          out, err),
            0)
      << err.str();
  const nlohmann::json doc = nlohmann::json::parse(std::ifstream(json));
  const double ground = doc["policies"][0]["gpu_utilisation_ground"].get<double>();
  const double orbit = doc["policies"][0]["gpu_utilisation_orbit"].get<double>();
  ASSERT_GT(ground + orbit, 0);

  // Orbit is given by flag in case the run used only one side.
  std::ostringstream tco_out, tco_err;
  const std::vector<std::string> args =
      ground > 0 ? std::vector<std::string>{"--from-sim", json, "--utilisation-orbit", "0.5"}
                 : std::vector<std::string>{"--from-sim", json, "--utilisation-ground", "0.5"};
  ASSERT_EQ(RunTcoCommand(args, tco_out, tco_err), 0) << tco_err.str();
  const std::string expected = ground > 0 ? fmt::format("ground {:.3f}, orbit 0.500", ground)
                                          : fmt::format("ground 0.500, orbit {:.3f}", orbit);
  EXPECT_NE(tco_out.str().find("Utilisation: " + expected), std::string::npos) << tco_out.str();
  EXPECT_NE(tco_out.str().find("policy 'cost' in " + json), std::string::npos) << tco_out.str();
}

}  // namespace
}  // namespace apsis::sim
