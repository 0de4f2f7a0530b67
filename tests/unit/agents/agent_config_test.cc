#include "agents/agent_config.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace apsis::agents {
namespace {

std::string SourceDir() {
  const char* dir = std::getenv("APSIS_SOURCE_DIR");
  return dir != nullptr ? dir : ".";
}

TEST(AgentConfigTest, ExampleGroundConfigIsValid) {
  auto config = LoadAgentConfig(SourceDir() + "/configs/agent-ground.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->spec.id(), "ground-oregon-1");
  EXPECT_EQ(config->spec.kind(), v1::NODE_KIND_GROUND);
  EXPECT_EQ(config->spec.gpus().count(), 64u);
  EXPECT_DOUBLE_EQ(config->spec.ground().pue(), 1.15);
  ASSERT_TRUE(config->ground.has_value());
  ASSERT_TRUE(config->ground->solar.has_value());
  EXPECT_EQ(config->latencies.size(), 3u);
  EXPECT_EQ(config->executor, ExecutorKind::kSim);
}

TEST(AgentConfigTest, ExampleOrbitalConfigIsValid) {
  auto config = LoadAgentConfig(SourceDir() + "/configs/agent-orbital.yaml");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->spec.kind(), v1::NODE_KIND_ORBITAL);
  ASSERT_TRUE(config->orbital.has_value());
  EXPECT_DOUBLE_EQ(config->orbital->battery.capacity_wh, 60'000);
  EXPECT_EQ(config->stations.size(), 2u);
  EXPECT_EQ(config->spec.ground_stations_size(), 2);
  EXPECT_DOUBLE_EQ(config->spec.orbit().altitude_km(), 550);
  ASSERT_TRUE(config->link_proxy.has_value());
  EXPECT_EQ(config->link_proxy->listen, "tcp://127.0.0.1:7710");
  EXPECT_EQ(config->on_shutdown, ShutdownPolicy::kCheckpoint);
}

TEST(AgentConfigTest, ReportsEveryProblemWithItsPlace) {
  auto config = ParseAgentConfig(
      "node: {id: x, kind: ground, gpus: {count: 4, watts_each: 700}}\n"
      "scheduler: {endpoint: 'tcp://h:1'}\n"
      "ground: {grid_kw: -5, region: r, pue: 1.1, prise: 3}\n"
      "executor: {kind: docker}\n",
      "node.yaml", "");
  ASSERT_FALSE(config.ok());
  const std::string& message = config.status().message();
  EXPECT_NE(message.find("node.yaml:3:19:"), std::string::npos) << message;  // grid_kw range
  EXPECT_NE(message.find("prise"), std::string::npos) << message;            // unknown key
  EXPECT_NE(message.find("node.yaml:4:18:"), std::string::npos) << message;  // executor kind
}

TEST(AgentConfigTest, BadPriceCsvIsReportedWithItsOwnLineAndColumn) {
  const std::string dir = ::testing::TempDir();
  const std::string csv = dir + "/bad-prices.csv";
  FILE* f = std::fopen(csv.c_str(), "w");
  std::fputs("timestamp,price\n2026-01-01T00:00:00Z,40\n2026-01-01T01:00:00Z,4O\n", f);
  std::fclose(f);
  auto config = ParseAgentConfig(
      "node: {id: x, kind: ground, gpus: {count: 4, watts_each: 700}}\n"
      "scheduler: {endpoint: 'tcp://h:1'}\n"
      "ground: {grid_kw: 5, region: r, price: {csv: bad-prices.csv, unit: usd_per_mwh}}\n",
      "node.yaml", dir);
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("bad-prices.csv:3:22: price '4O' is not a number"),
            std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace apsis::agents

namespace apsis::agents {
namespace {

TEST(ClockOverridesTest, CommandLineOverridesTheFileAndNamesTheBadFlag) {
  ClockConfig clock;
  ASSERT_TRUE(ApplyClockOverrides("scaled", "2026-06-21T00:00:00Z", 60, clock).ok());
  EXPECT_TRUE(clock.scaled);
  EXPECT_EQ(clock.epoch, *ParseRfc3339("2026-06-21T00:00:00Z"));
  EXPECT_EQ(clock.factor, 60);
  ASSERT_TRUE(ApplyClockOverrides("", "", 0, clock).ok());  // nothing given: unchanged
  EXPECT_EQ(clock.factor, 60);
  Status bad = ApplyClockOverrides("", "yesterday", 0, clock);
  EXPECT_NE(bad.message().find("--clock-epoch: invalid RFC 3339 time 'yesterday'"),
            std::string::npos)
      << bad.message();
  ClockConfig no_epoch;
  EXPECT_NE(ApplyClockOverrides("scaled", "", 0, no_epoch).message().find("needs an epoch"),
            std::string::npos);
}

}  // namespace
}  // namespace apsis::agents
