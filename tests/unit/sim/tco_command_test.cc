#include "sim/analysis/tco_command.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sim/analysis/tco.h"

namespace apsis::sim {
namespace {

struct CommandRun {
  int code;
  std::string out;
  std::string err;
};

CommandRun Tco(const std::vector<std::string>& args) {
  std::ostringstream out, err;
  const int code = RunTcoCommand(args, out, err);
  return {code, out.str(), err.str()};
}

// A file in a fresh temporary directory, removed with the fixture.
class TcoCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("apsis-tco-test-{}-{}", getpid(),
                       ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path) << text;
    return path;
  }

  std::filesystem::path dir_;
};

constexpr char kSimJson[] = R"({
  "policies": [
    {"name": "fifo-firstfit", "gpu_utilisation_ground": 0.5, "gpu_utilisation_orbit": 0.4},
    {"name": "cost", "gpu_utilisation_ground": 0.75, "gpu_utilisation_orbit": 0.625,
     "jobs_done": 12},
    {"name": "ground-only", "gpu_utilisation_ground": 0.9, "gpu_utilisation_orbit": 0}
  ]
})";

TEST_F(TcoCommandTest, DefaultsPrintBothSidesAndTheClosedFormBreakEven) {
  CommandRun r = Tco({});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  EXPECT_NE(r.out.find("$ per useful GPU-hour"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("$1.141"), std::string::npos) << r.out;  // 39967.28 / 35040 h
  const double closed_form = BreakEvenLaunchUsdPerKg(TcoParams{});
  EXPECT_NE(r.out.find(fmt::format("breaks even at a launch price of ${:.0f}/kg", closed_form)),
            std::string::npos)
      << r.out;
}

TEST_F(TcoCommandTest, FlagsChangeTheParameters) {
  CommandRun r = Tco({"--energy-usd-per-kwh", "0.2", "--pue=1.1", "--utilisation-orbit", "0.9"});
  ASSERT_EQ(r.code, 0) << r.err;
  TcoParams p;
  p.energy_usd_per_kwh = 0.2;
  p.pue = 1.1;
  p.utilisation_orbit = 0.9;
  const TcoComparison c = ComputeTco(p);
  EXPECT_NE(r.out.find(fmt::format("${:.3f}", c.ground.usd_per_useful_gpu_hour())),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("Utilisation: ground 0.800, orbit 0.900"), std::string::npos) << r.out;
}

TEST_F(TcoCommandTest, FromSimTakesTheCostPolicyByDefault) {
  CommandRun r = Tco({"--from-sim", Write("sim.json", kSimJson)});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Utilisation: ground 0.750, orbit 0.625 (policy 'cost' in"),
            std::string::npos)
      << r.out;
}

TEST_F(TcoCommandTest, FromSimWithPolicyPicksThatPolicy) {
  CommandRun r = Tco({"--from-sim", Write("sim.json", kSimJson), "--policy", "fifo-firstfit"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("ground 0.500, orbit 0.400 (policy 'fifo-firstfit'"), std::string::npos)
      << r.out;
}

TEST_F(TcoCommandTest, FromSimRefusesAPolicyThatNeverUsedOrbit) {
  CommandRun r = Tco({"--from-sim", Write("sim.json", kSimJson), "--policy", "ground-only"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("policy 'ground-only' used no orbit GPU"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--policy"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--utilisation-orbit 0.8"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, UnknownPolicyListsThePoliciesInTheFile) {
  CommandRun r = Tco({"--from-sim", Write("sim.json", kSimJson), "--policy", "greedy"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("no policy 'greedy' in it (it has: fifo-firstfit, cost, ground-only)"),
            std::string::npos)
      << r.err;
}

TEST_F(TcoCommandTest, MalformedJsonNamesFileLineAndColumn) {
  const std::string path =
      Write("bad.json", "{\n  \"policies\": [\n    {\"name\": cost}\n  ]\n}\n");
  CommandRun r = Tco({"--from-sim", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find(path + ":3:14: not valid JSON"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, MissingUtilisationFieldIsNamed) {
  const std::string path =
      Write("partial.json", R"({"policies":[{"name":"cost","gpu_utilisation_ground":0.5}]})");
  CommandRun r = Tco({"--from-sim", path});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("policy 'cost' (policies[0]) has no number \"gpu_utilisation_orbit\""),
            std::string::npos)
      << r.err;
}

TEST_F(TcoCommandTest, MissingFileSaysHowToWriteIt) {
  CommandRun r = Tco({"--from-sim", (dir_ / "absent.json").string()});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("absent.json: cannot open it: write it with `apsis-sim run --json"),
            std::string::npos)
      << r.err;
}

TEST_F(TcoCommandTest, UtilisationFlagOverridesOneSideOfFromSim) {
  CommandRun r = Tco({"--from-sim", Write("sim.json", kSimJson), "--policy", "ground-only",
                      "--utilisation-orbit", "0.5"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("Utilisation: ground 0.900, orbit 0.500 (ground from policy "
                       "'ground-only' in"),
            std::string::npos)
      << r.out;
}

TEST_F(TcoCommandTest, PolicyWithoutFromSimIsAnError) {
  CommandRun r = Tco({"--policy", "cost"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("give --from-sim FILE too"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, UnknownFlagIsNamed) {
  CommandRun r = Tco({"--launch-price", "100"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("unknown flag '--launch-price'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("--help lists every flag"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, NonNumericValueNamesTheFlagAndAnExample) {
  CommandRun r = Tco({"--pue", "high"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--pue 'high' is not a number: give a decimal value, e.g. --pue 1.5"),
            std::string::npos)
      << r.err;
}

TEST_F(TcoCommandTest, MissingValueIsNamed) {
  CommandRun r = Tco({"--kg-per-kw"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--kg-per-kw needs a value"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, OutOfRangeValueNamesTheFlagAndTheRange) {
  CommandRun r = Tco({"--pue", "0.8"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--pue 0.8 must be >= 1 and <= 10 (for example 1.3)"), std::string::npos)
      << r.err;
  r = Tco({"--utilisation-ground", "1.5"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--utilisation-ground 1.5 must be"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, BadSweepIsReportedWithItsFlags) {
  CommandRun r = Tco({"--sweep-points", "2.5"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--sweep-points 2.5 must be a whole number"), std::string::npos) << r.err;
  r = Tco({"--sweep-min-usd-per-kg", "500", "--sweep-max-usd-per-kg", "100"});
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("--sweep-min-usd-per-kg"), std::string::npos) << r.err;
}

TEST_F(TcoCommandTest, SweepWithoutCrossingSaysWhereOrbitWouldBreakEven) {
  CommandRun r = Tco({"--sweep-min-usd-per-kg", "1000", "--sweep-max-usd-per-kg", "5000"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find(fmt::format("does not break even within $1,000-$5,000/kg: it would at "
                                   "${:.0f}/kg",
                                   BreakEvenLaunchUsdPerKg(TcoParams{}))),
            std::string::npos)
      << r.out;
}

TEST_F(TcoCommandTest, OrbitThatLosesEvenWithFreeLaunchesIsSaidSo) {
  CommandRun r = Tco({"--orbit-hardware-usd-per-kw", "100000"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("does not break even at any launch price"), std::string::npos) << r.out;
}

TEST_F(TcoCommandTest, HelpListsEveryFlagWithItsDefault) {
  CommandRun r = Tco({"--help"});
  EXPECT_EQ(r.code, 0);
  for (const char* flag :
       {"--gpu-cost-usd", "--kw-per-gpu", "--lifetime-years", "--energy-usd-per-kwh", "--pue",
        "--idle-power-fraction", "--facility-usd-per-kw", "--facility-lifetime-years",
        "--utilisation-ground", "--launch-usd-per-kg", "--kg-per-kw", "--orbit-hardware-usd-per-kw",
        "--utilisation-orbit", "--from-sim", "--policy"}) {
    EXPECT_NE(r.out.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(r.out.find("(default 4000)"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace apsis::sim
