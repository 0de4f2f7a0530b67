// A node's outlook from its forecast (power now and per hour, next eclipse, next contacts) and how
// nodes are shown.
#include "cli/node_views.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace apsis::cli {
namespace {

using ::testing::HasSubstr;

const TimePoint kStart = *ParseRfc3339("2026-12-01T00:00:00Z");

// An orbital node with a 10-minute-step forecast over 4 hours: sunlit except 00:50-01:20 and
// from 03:00 on; available power 1000 W + 10 W per step index.
v1::NodeStatus OrbitalNode() {
  v1::NodeStatus node;
  node.mutable_spec()->set_id("leo-1");
  node.mutable_spec()->set_kind(v1::NODE_KIND_ORBITAL);
  node.mutable_spec()->mutable_gpus()->set_count(8);
  node.mutable_spec()->mutable_gpus()->set_type("H100");
  node.mutable_spec()->mutable_orbit()->set_altitude_km(550);
  node.mutable_spec()->mutable_orbit()->set_inclination_deg(53);
  node.set_state(v1::NODE_STATE_READY);
  node.set_battery_soc_wh(3000);
  v1::Forecast* f = node.mutable_forecast();
  f->set_start_us(kStart.micros());
  f->set_step_us(Minutes(10).count());
  f->set_revision(7);
  for (int i = 0; i < 24; ++i) {
    v1::PowerStep* s = f->add_steps();
    s->set_available_w(1000 + 10 * i);
    const bool dark = (i >= 5 && i < 8) || i >= 18;
    s->set_sunlit_fraction(dark ? 0 : 1);
    s->set_solar_w(dark ? 0 : 2000);
  }
  f->mutable_battery()->set_capacity_wh(4000);
  f->mutable_battery()->set_floor_wh(800);
  auto add_window = [&](const char* station, int aos_min, int los_min) {
    v1::ContactWindow* w = f->add_windows();
    w->set_station(station);
    w->set_aos_us((kStart + Minutes(aos_min)).micros());
    w->set_los_us((kStart + Minutes(los_min)).micros());
    w->set_max_elevation_deg(40);
    w->set_downlink_bps(200e6);
    w->set_uplink_bps(20e6);
  };
  add_window("svalbard", 100, 110);  // listed out of order on purpose
  add_window("awarua", 5, 12);       // over before now
  add_window("matera", 25, 33);      // open at now (00:30)
  add_window("inuvik", 60, 68);
  return node;
}

TEST(NodeViewsTest, PowerNowIsTheStepHoldingNow) {
  const NodeOutlook outlook = SummarizeNodeForecast(OrbitalNode(), kStart + Minutes(31), 2, 10);
  ASSERT_TRUE(outlook.has_forecast);
  ASSERT_TRUE(outlook.power_now.has_value());
  EXPECT_DOUBLE_EQ(outlook.power_now->available_w(), 1030);  // step 3: 00:30-00:40
  EXPECT_EQ(outlook.forecast_end, kStart + Hours(4));
}

TEST(NodeViewsTest, HoursAverageTheStepsOfEachHourFromNow) {
  const NodeOutlook outlook = SummarizeNodeForecast(OrbitalNode(), kStart + Minutes(30), 10, 10);
  // From 00:30: hours start 00:30, 01:30, 02:30, 03:30; the forecast ends at 04:00.
  ASSERT_EQ(outlook.hours.size(), 4u);
  EXPECT_EQ(outlook.hours[0].start, kStart + Minutes(30));
  EXPECT_DOUBLE_EQ(outlook.hours[0].min_available_w, 1030);      // steps 3..8
  EXPECT_DOUBLE_EQ(outlook.hours[0].mean_available_w, 1055);     // (1030 + ... + 1080) / 6
  EXPECT_DOUBLE_EQ(outlook.hours[0].mean_sunlit_fraction, 0.5);  // steps 5, 6, 7 dark
  EXPECT_DOUBLE_EQ(outlook.hours[3].mean_available_w, 1220);     // steps 21..23
}

TEST(NodeViewsTest, NextEclipseIsTheFirstDarkStepAfterNowAndEndsAtTheNextSunlitOne) {
  const NodeOutlook before = SummarizeNodeForecast(OrbitalNode(), kStart + Minutes(31), 1, 10);
  ASSERT_TRUE(before.next_eclipse.has_value());
  EXPECT_EQ(before.next_eclipse->start, kStart + Minutes(50));
  EXPECT_EQ(before.next_eclipse->end, kStart + Minutes(80));
  EXPECT_FALSE(before.next_eclipse->now);

  const NodeOutlook during = SummarizeNodeForecast(OrbitalNode(), kStart + Minutes(61), 1, 10);
  ASSERT_TRUE(during.next_eclipse.has_value());
  EXPECT_TRUE(during.next_eclipse->now);
  EXPECT_EQ(during.next_eclipse->end, kStart + Minutes(80));

  const NodeOutlook last = SummarizeNodeForecast(OrbitalNode(), kStart + Minutes(100), 1, 10);
  ASSERT_TRUE(last.next_eclipse.has_value());
  EXPECT_EQ(last.next_eclipse->start, kStart + Hours(3));
  EXPECT_FALSE(last.next_eclipse->end.has_value());  // dark to the end of the forecast
}

TEST(NodeViewsTest, GroundNodesHaveNoEclipses) {
  v1::NodeStatus ground = OrbitalNode();
  ground.mutable_spec()->set_kind(v1::NODE_KIND_GROUND);
  EXPECT_FALSE(SummarizeNodeForecast(ground, kStart, 1, 1).next_eclipse.has_value());
}

TEST(NodeViewsTest, NextContactsAreTheWindowsNotYetOverInTimeOrder) {
  const NodeOutlook outlook = SummarizeNodeForecast(OrbitalNode(), kStart + Minutes(30), 1, 2);
  ASSERT_EQ(outlook.next_contacts.size(), 2u);
  EXPECT_EQ(outlook.next_contacts[0].station(), "matera");  // open now
  EXPECT_EQ(outlook.next_contacts[1].station(), "inuvik");
}

TEST(NodeViewsTest, AStaleForecastHasNoPowerNowAndNoHours) {
  const NodeOutlook outlook = SummarizeNodeForecast(OrbitalNode(), kStart + Hours(5), 3, 3);
  EXPECT_TRUE(outlook.has_forecast);
  EXPECT_FALSE(outlook.power_now.has_value());
  EXPECT_TRUE(outlook.hours.empty());
  EXPECT_FALSE(outlook.next_eclipse.has_value());
  EXPECT_TRUE(outlook.next_contacts.empty());
}

TEST(NodeViewsTest, DetailJsonCarriesBatteryEclipseAndContacts) {
  const v1::NodeStatus node = OrbitalNode();
  const NodeOutlook outlook = SummarizeNodeForecast(node, kStart + Minutes(30), 2, 5);
  const nlohmann::json json = NodeDetailJson(node, outlook);
  EXPECT_EQ(json["id"], "leo-1");
  EXPECT_EQ(json["kind"], "orbital");
  EXPECT_DOUBLE_EQ(json["battery"]["soc_ratio"].get<double>(), 0.75);
  EXPECT_EQ(json["next_eclipse"]["start"], "2026-12-01T00:50:00Z");
  EXPECT_EQ(json["next_eclipse"]["end"], "2026-12-01T01:20:00Z");
  EXPECT_EQ(json["next_contacts"].size(), 3u);
  EXPECT_EQ(json["next_contacts"][0]["station"], "matera");
  EXPECT_EQ(json["forecast"]["revision"], 7);
  EXPECT_DOUBLE_EQ(json["power_now"]["available_w"].get<double>(), 1030);
  EXPECT_EQ(json["next_hours"].size(), 2u);
}

TEST(NodeViewsTest, DetailTableShowsEclipseAndContactWindows) {
  const v1::NodeStatus node = OrbitalNode();
  const TimePoint now = kStart + Minutes(30);
  std::ostringstream out;
  PrintNodeDetail(out, node, SummarizeNodeForecast(node, now, 2, 5), now);
  const std::string text = out.str();
  EXPECT_THAT(text, HasSubstr("battery:         3000 / 4000 Wh (75 %), floor 800 Wh\n"));
  EXPECT_THAT(text, HasSubstr("next eclipse:    2026-12-01T00:50:00Z (in 20m00s), sunlight again "
                              "2026-12-01T01:20:00Z, lasting 30m00s\n"));
  EXPECT_THAT(text, HasSubstr("power now:       1.0 kW available, solar 2.0 kW, sunlit 100 %\n"));
  EXPECT_THAT(text, HasSubstr("matera    2026-12-01T00:25:00Z  2026-12-01T00:33:00Z  8m00s"));
  EXPECT_THAT(text, HasSubstr("open now"));
  EXPECT_THAT(text, HasSubstr("in 30m00s"));  // inuvik at 01:00
}

TEST(NodeViewsTest, BeforeTheFirstHeartbeatTheBatteryIsTheForecastsStartingCharge) {
  v1::NodeStatus node = OrbitalNode();
  node.set_battery_soc_wh(0);
  node.mutable_forecast()->mutable_battery()->set_soc_wh(2000);
  std::ostringstream out;
  PrintNodeDetail(out, node, SummarizeNodeForecast(node, kStart, 1, 1), kStart);
  EXPECT_THAT(out.str(), HasSubstr("battery:         2000 / 4000 Wh (50 % at forecast start, no "
                                   "heartbeat yet), floor 800 Wh\n"));
}

TEST(NodeViewsTest, NodesTableShowsBusyGpusAndHeartbeatAge) {
  v1::NodeList nodes;
  v1::NodeStatus* node = nodes.add_nodes();
  *node = OrbitalNode();
  node->set_gpus_busy(6);
  node->set_power_draw_w(4500);
  node->set_last_heartbeat_us((kStart - Seconds(4)).micros());
  node->add_running_jobs("job-000001");
  std::ostringstream out;
  PrintNodesTable(out, nodes, kStart);
  EXPECT_EQ(
      out.str(),
      "NODE   KIND     STATE  WHERE             GPUS  TYPE  DRAW    BATTERY  HEARTBEAT  JOBS\n"
      "leo-1  orbital  ready  550 km, 53.0 deg  6/8   H100  4.5 kW  3000 Wh  4s ago     1\n");
  EXPECT_EQ(NodeListJson(nodes)["nodes"][0]["gpus"]["busy"], 6);
}

}  // namespace
}  // namespace apsis::cli
