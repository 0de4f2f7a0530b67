#include "agents/link_channel.h"

#include <gtest/gtest.h>

#include "link/link_model.h"

namespace apsis::agents {
namespace {

class LinkChannelTest : public ::testing::Test {
 protected:
  LinkChannelTest() {
    ContactWindow window;
    window.station = "svalbard";
    window.aos = t0_ + Minutes(10);
    window.los = t0_ + Minutes(20);
    window.min_range_km = 1000;
    window.downlink_bps = 80'000;  // up direction (space → ground) uses the downlink
    window.uplink_bps = 8'000;
    availability_ = std::make_unique<ContactWindowAvailability>(
        nullptr, std::vector<ContactWindow>{window}, LinkDirection::kUp, Seconds(0.020), 1e6);
  }

  void MakeChannel(size_t limit) {
    channel_ = std::make_unique<LinkChannel>(
        io_, clock_, *availability_, limit,
        [this](v1::Envelope&& e) {
          delivered_.push_back(std::move(e));
          delivered_at_.push_back(clock_.Now());
        },
        metrics_, LinkDirection::kUp);
  }

  // Steps through time so each timer fires within `step` of its deadline.
  void AdvanceTo(TimePoint t, Duration step = Seconds(0.001)) {
    while (clock_.Now() < t) {
      clock_.Set(std::min(t, clock_.Now() + step));
      io_.poll();
      io_.restart();
    }
  }

  static v1::Envelope Heartbeat(double soc) {
    v1::Envelope e;
    e.mutable_heartbeat()->set_node_id("o1");
    e.mutable_heartbeat()->set_battery_soc_wh(soc);
    return e;
  }
  static v1::Envelope Event(uint64_t sequence) {
    v1::Envelope e;
    e.mutable_job_event()->set_node_id("o1");
    e.mutable_job_event()->set_sequence(sequence);
    e.mutable_job_event()->set_job_id("j");
    return e;
  }

  boost::asio::io_context io_;
  ManualClock clock_;
  TimePoint t0_ = clock_.Now();
  metrics::FakeMetricRegistry metrics_;
  std::unique_ptr<ContactWindowAvailability> availability_;
  std::unique_ptr<LinkChannel> channel_;
  std::vector<v1::Envelope> delivered_;
  std::vector<TimePoint> delivered_at_;
};

TEST_F(LinkChannelTest, QueuesOutsideTheWindowAndDeliversInOrderAfterAos) {
  MakeChannel(100);
  channel_->Push(Heartbeat(1));
  channel_->Push(Event(1));
  channel_->Push(Heartbeat(2));  // replaces the queued heartbeat
  channel_->Push(Event(2));
  channel_->Push(Event(3));
  EXPECT_EQ(channel_->queued(), 4u);
  EXPECT_EQ(channel_->superseded(), 1u);
  EXPECT_EQ(metrics_.Value("apsis_link_queued_messages", {{"direction", "up"}}), 4.0);

  AdvanceTo(t0_ + Minutes(10) - Seconds(1), Seconds(1));
  EXPECT_TRUE(delivered_.empty());
  AdvanceTo(t0_ + Minutes(10) + Seconds(2));
  ASSERT_EQ(delivered_.size(), 4u);
  EXPECT_EQ(delivered_[0].job_event().sequence(), 1u);
  EXPECT_DOUBLE_EQ(delivered_[1].heartbeat().battery_soc_wh(), 2.0);
  EXPECT_EQ(delivered_[2].job_event().sequence(), 2u);
  EXPECT_EQ(delivered_[3].job_event().sequence(), 3u);
  // First message: AOS + its transmission at 80 kbit/s + light time over 1000 km + 20 ms.
  const Duration first_tx = Seconds(static_cast<double>(Event(1).ByteSizeLong()) * 8.0 / 80'000.0);
  const TimePoint expected =
      t0_ + Minutes(10) + first_tx + link::OneWayLightTime(1000) + Seconds(0.020);
  EXPECT_NEAR(ToSeconds(delivered_at_[0] - expected), 0.0, 0.0011);
  for (size_t i = 1; i < delivered_at_.size(); ++i)
    EXPECT_GE(delivered_at_[i], delivered_at_[i - 1]);
  EXPECT_EQ(channel_->forwarded(), 4u);
  EXPECT_GT(metrics_.Value("apsis_link_bytes_total", {{"direction", "up"}}), 0.0);
}

TEST_F(LinkChannelTest, RateLimitsToTheWindowsDataRate) {
  MakeChannel(100);
  AdvanceTo(t0_ + Minutes(10), Seconds(1));
  v1::Envelope big;
  big.mutable_forecast()->set_node_id(std::string(9'990, 'x'));  // ~10 kB: 1 s at 80 kbit/s
  const size_t bytes = big.ByteSizeLong();
  channel_->Push(big);
  channel_->Push(Event(1));
  AdvanceTo(t0_ + Minutes(10) + Seconds(0.5));
  EXPECT_TRUE(delivered_.empty());
  AdvanceTo(t0_ + Minutes(10) + Seconds(3));
  ASSERT_EQ(delivered_.size(), 2u);
  EXPECT_NEAR(ToSeconds(delivered_at_[0] - (t0_ + Minutes(10))),
              bytes * 8.0 / 80'000.0 + ToSeconds(link::OneWayLightTime(1000)) + 0.020, 0.0011);
}

TEST_F(LinkChannelTest, FullQueueDropsOldStateButNeverJobEvents) {
  MakeChannel(2);
  channel_->Push(Event(1));
  channel_->Push(Event(2));
  channel_->Push(Event(3));  // over the limit, but job events are never dropped
  EXPECT_EQ(channel_->queued(), 3u);
  channel_->Push(Heartbeat(1));  // no room and nothing droppable: the heartbeat goes
  EXPECT_EQ(channel_->queued(), 3u);
  EXPECT_EQ(channel_->dropped(), 1u);
  AdvanceTo(t0_ + Minutes(10), Seconds(1));
  AdvanceTo(t0_ + Minutes(10) + Seconds(1));
  ASSERT_EQ(delivered_.size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(delivered_[i].job_event().sequence(), i + 1);
}

TEST_F(LinkChannelTest, AfterLosMessagesWaitForTheNextWindow) {
  MakeChannel(100);
  AdvanceTo(t0_ + Minutes(21), Seconds(1));
  channel_->Push(Event(7));
  AdvanceTo(t0_ + Minutes(40), Seconds(1));
  EXPECT_TRUE(delivered_.empty());
  EXPECT_EQ(channel_->queued(), 1u);
}

TEST(RelayAvailabilityTest, IsAlwaysOpenWithTheRelayLatency) {
  RelayAvailability relay(Seconds(0.25), 2e6);
  const LinkState state = relay.At(TimePoint::FromSeconds(1e9));
  EXPECT_TRUE(state.open);
  EXPECT_EQ(state.delay, Seconds(0.25));
  EXPECT_DOUBLE_EQ(state.rate_bps, 2e6);
}

}  // namespace
}  // namespace apsis::agents
