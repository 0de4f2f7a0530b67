#include "metrics/metrics.h"

#include <gtest/gtest.h>

namespace apsis::metrics {
namespace {

void RecordSomething(MetricRegistry& registry) {
  registry.GetCounter("apsis_jobs_submitted_total", "Jobs submitted").Increment();
  registry.GetCounter("apsis_jobs_submitted_total", "Jobs submitted").Increment(2);
  registry.GetGauge("apsis_node_battery_soc_ratio", "Battery state of charge", {{"node", "o1"}})
      .Set(0.75);
  registry.GetHistogram("apsis_placement_seconds", "Placement latency", LatencyBuckets())
      .Observe(0.002);
}

TEST(MetricsTest, FakeRegistryRemembersValues) {
  FakeMetricRegistry fake;
  RecordSomething(fake);
  EXPECT_EQ(fake.Value("apsis_jobs_submitted_total"), 3);
  EXPECT_EQ(fake.Value("apsis_node_battery_soc_ratio", {{"node", "o1"}}), 0.75);
  EXPECT_EQ(fake.Observations("apsis_placement_seconds"), 1u);
  fake.RemoveGauge("apsis_node_battery_soc_ratio", {{"node", "o1"}});
  EXPECT_EQ(fake.Value("apsis_node_battery_soc_ratio", {{"node", "o1"}}), 0);
}

TEST(MetricsTest, PrometheusRegistryExposesTextFormat) {
  auto registry = CreatePrometheusRegistry();
  RecordSomething(*registry);
  std::string text = registry->Exposition();
  EXPECT_NE(text.find("# TYPE apsis_jobs_submitted_total counter"), std::string::npos) << text;
  EXPECT_NE(text.find("apsis_jobs_submitted_total 3"), std::string::npos) << text;
  EXPECT_NE(text.find("apsis_node_battery_soc_ratio{node=\"o1\"} 0.75"), std::string::npos) << text;
  EXPECT_NE(text.find("apsis_placement_seconds_count 1"), std::string::npos) << text;
  registry->RemoveGauge("apsis_node_battery_soc_ratio", {{"node", "o1"}});
  EXPECT_EQ(registry->Exposition().find("node=\"o1\""), std::string::npos);
}

TEST(MetricsTest, EndpointBindsAnyFreePort) {
  auto endpoint = PrometheusEndpoint::Create("127.0.0.1:0");
  ASSERT_TRUE(endpoint.ok()) << endpoint.status().ToString();
  EXPECT_GT((*endpoint)->port(), 0);
  (*endpoint)->registry().GetGauge("apsis_up", "1 while running").Set(1);
  EXPECT_NE((*endpoint)->registry().Exposition().find("apsis_up 1"), std::string::npos);
}

}  // namespace
}  // namespace apsis::metrics
