#include "link/link_model.h"

#include <gtest/gtest.h>

namespace apsis::link {
namespace {

TimePoint T(double s) { return TimePoint::FromSeconds(1.7e9 + s); }

ContactWindow Window(const char* station, double aos, double los, double up, double down,
                     double range_km = 600) {
  ContactWindow w;
  w.station = station;
  w.aos = T(aos);
  w.los = T(los);
  w.max_elevation_at = T((aos + los) / 2);
  w.min_range_km = range_km;
  w.uplink_bps = up;
  w.downlink_bps = down;
  return w;
}

TEST(LinkModel, LightTimeFromRange) {
  EXPECT_EQ(OneWayLightTime(299792.458), Seconds(1));
  EXPECT_EQ(OneWayLightTime(600), Duration(2001));  // 2.0014 ms
}

TEST(LinkModel, WindowCapacityIsRateTimesUsableDuration) {
  const ContactWindow w = Window("A", 0, 600, 1e6, 8e6);
  EXPECT_DOUBLE_EQ(WindowCapacityBytes(w, LinkDirection::kDownlink), 600e6);
  EXPECT_DOUBLE_EQ(WindowCapacityBytes(w, LinkDirection::kUplink), 75e6);
  EXPECT_DOUBLE_EQ(WindowCapacityBytes(w, LinkDirection::kDownlink, T(300)), 300e6);
  EXPECT_DOUBLE_EQ(WindowCapacityBytes(w, LinkDirection::kDownlink, T(700)), 0);
}

TEST(LinkModel, StoreAndForwardSpansSeveralWindows) {
  // 8 Mbit/s = 1 MB/s down; 250 MB needs 100 s of the first window (after 'ready' at 50), then
  // 150 s of the second.
  const std::vector<ContactWindow> windows = {Window("B", 1000, 1300, 0, 8e6),
                                              Window("A", 0, 150, 0, 8e6)};
  auto plan = EarliestDelivery(windows, LinkDirection::kDownlink, 250e6, T(50));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->segments.size(), 2u);
  EXPECT_EQ(plan->segments[0].window_index, 1u);
  EXPECT_EQ(plan->segments[0].from, T(50));
  EXPECT_EQ(plan->segments[0].to, T(150));
  EXPECT_EQ(plan->segments[1].window_index, 0u);
  EXPECT_EQ(plan->segments[1].to, T(1150));
  EXPECT_EQ(plan->delivered, T(1150) + OneWayLightTime(600));
}

TEST(LinkModel, OverlappingWindowsUseTheBestRateNotTheSum) {
  const std::vector<ContactWindow> windows = {Window("slow", 0, 100, 0, 8e6),
                                              Window("fast", 50, 100, 0, 16e6)};
  auto plan = EarliestDelivery(windows, LinkDirection::kDownlink, 150e6, T(0));
  ASSERT_TRUE(plan.ok());
  // 50 s at 1 MB/s, then 50 s at 2 MB/s: exactly 150 MB at t = 100.
  EXPECT_EQ(plan->delivered, T(100) + OneWayLightTime(600));
  ASSERT_EQ(plan->segments.size(), 2u);
  EXPECT_EQ(plan->segments[1].window_index, 1u);
}

TEST(LinkModel, NotEnoughCapacitySaysHowMuchFits) {
  auto plan = EarliestDelivery({Window("A", 0, 10, 8e6, 0)}, LinkDirection::kUplink, 20e6, T(0));
  ASSERT_FALSE(plan.ok());
  EXPECT_EQ(plan.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(plan.status().message().find("carry only 10000000 of 20000000 bytes"),
            std::string::npos)
      << plan.status().message();
}

TEST(LinkModel, AlwaysOnRelayAddsItsLatency) {
  RelayConfig relay{RelayMode::kAlways, Seconds(0.6), 8e6};
  auto plan = EarliestDelivery({}, LinkDirection::kDownlink, 10e6, T(0), relay);
  ASSERT_TRUE(plan.ok());
  EXPECT_TRUE(plan->via_relay);
  EXPECT_EQ(plan->delivered, T(10.6));
  EXPECT_EQ(*ParseRelayMode("always"), RelayMode::kAlways);
  EXPECT_EQ(*ParseRelayMode("none"), RelayMode::kNone);
  EXPECT_FALSE(ParseRelayMode("sometimes").ok());
  relay.rate_bps = 0;
  EXPECT_FALSE(EarliestDelivery({}, LinkDirection::kDownlink, 1, T(0), relay).ok());
}

TEST(LinkModel, IonContactPlanHasContactsBothWaysAndRanges) {
  IonNodeContacts sat{44235, {Window("Oregon", 10.4, 500.7, 2e6, 80e6)}};
  auto plan = FormatIonContactPlan({sat}, {{"Oregon", 2}}, T(0));
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  EXPECT_NE(plan->find("a contact +11 +500 44235 2 10000000\n"), std::string::npos) << *plan;
  EXPECT_NE(plan->find("a contact +11 +500 2 44235 250000\n"), std::string::npos) << *plan;
  EXPECT_NE(plan->find("a range +11 +500 44235 2 1\n"), std::string::npos) << *plan;
  EXPECT_FALSE(FormatIonContactPlan({sat}, {{"Ohio", 3}}, T(0)).ok());
}

}  // namespace
}  // namespace apsis::link
