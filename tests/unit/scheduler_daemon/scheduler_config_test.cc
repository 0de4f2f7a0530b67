#include "scheduler/daemon/scheduler_config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace apsis::daemon {
namespace {

TEST(SchedulerConfigTest, ReadsFullConfigAndResolvesPathsAgainstItsDirectory) {
  auto c = ParseSchedulerConfig(R"(
cluster_id: test
state_dir: state
security:
  server_key: keys/scheduler.key
  agents_allowlist: keys/agents
clock:
  mode: scaled
  epoch: 2026-06-21T00:00:00Z
  factor: 60
agents:
  heartbeat_interval: 2s
planning:
  policy: ground-only
  weights:
    carbon_usd_per_kg: 0.1
)",
                                "scheduler.yaml", "/etc/apsis");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->state_dir, "/etc/apsis/state");
  EXPECT_EQ(c->security.server_key, "/etc/apsis/keys/scheduler.key");
  EXPECT_EQ(c->clock.mode, "scaled");
  EXPECT_EQ(c->clock.factor, 60);
  EXPECT_EQ(c->agents.heartbeat_interval, Seconds(2));
  EXPECT_EQ(c->engine.policy, "ground-only");
  EXPECT_EQ(c->engine.weights.carbon_usd_per_kg, 0.1);
}

TEST(SchedulerConfigTest, SecureByDefaultNeedsKeys) {
  auto c = ParseSchedulerConfig("cluster_id: x\nsecurity: {}\n", "s.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("server_key' is required"), std::string::npos)
      << c.status().message();
  auto missing = ParseSchedulerConfig("cluster_id: x\n", "s.yaml", "");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("missing 'security' section"), std::string::npos);
}

TEST(SchedulerConfigTest, ErrorsNameFileLineAndColumn) {
  auto c = ParseSchedulerConfig(
      "cluster_id: x\nsecurity:\n  insecure: true\nplanning:\n  policy: cheapest\n  weigths: {}\n",
      "s.yaml", "");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("s.yaml:5:11: 'planning.policy' must be one of"),
            std::string::npos)
      << c.status().message();
  EXPECT_NE(c.status().message().find("s.yaml:6:3: unknown key 'weigths'"), std::string::npos)
      << c.status().message();
}

TEST(SchedulerConfigTest, ExampleConfigInRepositoryLoads) {
  auto c = LoadSchedulerConfig(std::string(APSIS_SOURCE_DIR) + "/configs/scheduler.yaml");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_FALSE(c->security.insecure);
}

}  // namespace
}  // namespace apsis::daemon
