#include "scheduler/daemon/stored_node.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>

namespace apsis::daemon {
namespace {

v1::StoredNode NodeWithForecast(int steps) {
  v1::StoredNode node;
  node.mutable_spec()->set_id("orbit-7");
  node.mutable_spec()->set_kind(v1::NODE_KIND_ORBITAL);
  node.mutable_spec()->mutable_gpus()->set_count(4);
  node.set_public_key("key");
  node.set_admin_state(v1::NODE_STATE_CORDONED);
  node.set_last_event_sequence(42);
  node.set_last_heard_us(1'796'083'200'000'000);
  v1::Forecast* f = node.mutable_forecast();
  f->set_node_id("orbit-7");
  f->set_start_us(1'796'083'200'000'000);
  f->set_step_us(60'000'000);
  f->mutable_battery()->set_capacity_wh(5000);
  for (int i = 0; i < steps; ++i) {
    v1::PowerStep* s = f->add_steps();
    s->set_available_w(1000 + i);
    s->set_sunlit_fraction(i % 3 == 0 ? 0 : 1);
  }
  return node;
}

bool Same(const google::protobuf::Message& a, const google::protobuf::Message& b) {
  return google::protobuf::util::MessageDifferencer::Equals(a, b);
}

TEST(StoredNode, SplitAndJoinKeepEveryField) {
  const v1::StoredNode node = NodeWithForecast(1440);
  auto split = SplitStoredNode(node.SerializeAsString());
  ASSERT_TRUE(split.ok()) << split.status().ToString();
  EXPECT_FALSE(split->rest.has_forecast());
  EXPECT_EQ(split->rest.last_event_sequence(), 42u);
  EXPECT_EQ(split->rest.admin_state(), v1::NODE_STATE_CORDONED);
  ASSERT_TRUE(split->forecast.has_value());
  v1::Forecast forecast;
  ASSERT_TRUE(forecast.ParseFromString(*split->forecast));
  EXPECT_TRUE(Same(forecast, node.forecast()));

  v1::StoredNode joined;
  ASSERT_TRUE(joined.ParseFromString(JoinStoredNode(split->rest, split->forecast)));
  EXPECT_TRUE(Same(joined, node));
}

TEST(StoredNode, NodeWithoutForecastStaysWithoutAndAnEmptyForecastStaysPresent) {
  v1::StoredNode bare = NodeWithForecast(0);
  bare.clear_forecast();
  auto split = SplitStoredNode(bare.SerializeAsString());
  ASSERT_TRUE(split.ok());
  EXPECT_FALSE(split->forecast.has_value());
  v1::StoredNode joined;
  ASSERT_TRUE(joined.ParseFromString(JoinStoredNode(split->rest, split->forecast)));
  EXPECT_FALSE(joined.has_forecast());

  v1::StoredNode empty = bare;
  empty.mutable_forecast();  // present, every field default: zero bytes on the wire
  split = SplitStoredNode(empty.SerializeAsString());
  ASSERT_TRUE(split.ok());
  ASSERT_TRUE(split->forecast.has_value());
  EXPECT_TRUE(split->forecast->empty());
  ASSERT_TRUE(joined.ParseFromString(JoinStoredNode(split->rest, split->forecast)));
  EXPECT_TRUE(joined.has_forecast());
}

TEST(StoredNode, RepeatedForecastFieldsMergeAsProtobufDoes) {
  v1::StoredNode first = NodeWithForecast(2);
  v1::StoredNode second;
  second.mutable_forecast()->set_revision(9);
  const std::string bytes = first.SerializeAsString() + second.SerializeAsString();
  v1::StoredNode expected;
  ASSERT_TRUE(expected.ParseFromString(bytes));
  auto split = SplitStoredNode(bytes);
  ASSERT_TRUE(split.ok());
  v1::StoredNode joined;
  ASSERT_TRUE(joined.ParseFromString(JoinStoredNode(split->rest, split->forecast)));
  EXPECT_TRUE(Same(joined, expected));
}

TEST(StoredNode, MalformedBytesAreRefused) {
  const std::string bytes = NodeWithForecast(10).SerializeAsString();
  EXPECT_FALSE(SplitStoredNode(bytes.substr(0, bytes.size() - 5)).ok());
  EXPECT_FALSE(SplitStoredNode(std::string("\xff\xff\xff", 3)).ok());
}

TEST(StoredNode, GaugeSeriesKeepsPowerAndSunlightPerStep) {
  const v1::StoredNode node = NodeWithForecast(5);
  const ForecastGaugeSeries series = ForecastGaugeSeries::From(node.forecast(), true);
  EXPECT_EQ(series.start_us, node.forecast().start_us());
  EXPECT_EQ(series.step_us, 60'000'000);
  ASSERT_EQ(series.available_w.size(), 5u);
  EXPECT_EQ(series.available_w[4], 1004.0f);
  ASSERT_EQ(series.sunlit.size(), 5u);
  EXPECT_FALSE(series.sunlit[3]);
  EXPECT_TRUE(series.sunlit[4]);
  EXPECT_EQ(series.battery_capacity_wh, 5000);
  EXPECT_TRUE(ForecastGaugeSeries::From(node.forecast(), false).sunlit.empty());
}

}  // namespace
}  // namespace apsis::daemon
