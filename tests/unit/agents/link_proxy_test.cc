// Emulation of an orbital node behind apsis-link, in one process on a manual clock: the agent
// reaches the scheduler only inside its contact windows, a job time-tagged to start out of contact
// starts on time, and its events reach the scheduler after the next AOS, in order, once each.
#include "agents/link_proxy.h"

#include <gtest/gtest.h>

#include <chrono>

#include "agents/agent.h"
#include "fake_scheduler.h"
#include "temp_dir.h"

namespace apsis::agents {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

class LinkProxyTest : public ::testing::Test {
 protected:
  LinkProxyTest()
      : clock_(ParseRfc3339("2026-03-01T00:00:00Z").value()),
        zmq_(1),
        scheduler_(io_, zmq_, &clock_) {}

  AgentConfig Config(const std::string& agent_endpoint) {
    const std::string yaml =
        "node: {id: o1, kind: orbital, gpus: {count: 4, watts_each: 700}}\n"
        "scheduler: {endpoint: '" +
        agent_endpoint +
        "', hello_retry: 1m, event_resend_interval: 1m}\n"
        "state_dir: " +
        dir_.path() +
        "\n"
        "executor: {kind: sim, checkpoint_interval: 10m}\n"
        "forecast: {step: 60s, horizon: 6h, interval: 30m}\n"
        "orbital:\n"
        "  orbit: {altitude_km: 550, inclination_deg: 53, epoch: 2026-03-01T00:00:00Z}\n"
        "  solar_array: {bol_w: 20000}\n"
        "  battery: {capacity_wh: 30000, max_charge_w: 10000}\n"
        "  bus_load_w: 1000\n"
        "  ground_stations:\n"
        "    - {name: oregon, lat: 45.51, lon: -119.37, min_elevation_deg: 5,\n"
        "       uplink_bps: 2.0e6, downlink_bps: 2.0e7}\n"
        "link_proxy: {listen: 'tcp://127.0.0.1:0', scheduler_endpoint: '" +
        scheduler_.endpoint() + "', ground_latency_ms: 20}\n";
    Result<AgentConfig> config = ParseAgentConfig(yaml, "o1.yaml", "");
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return *config;
  }

  // Advances the manual clock to `t` in steps, letting the loopback sockets carry what is due.
  void AdvanceTo(TimePoint t, Duration step = Seconds(5)) {
    while (clock_.Now() < t) {
      clock_.Set(std::min(t, clock_.Now() + step));
      for (int i = 0; i < 3; ++i) {
        io_.run_for(1ms);
        io_.restart();
      }
    }
  }

  template <typename Pred>
  bool PumpUntil(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(2ms);
      io_.restart();
    }
    return true;
  }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  ManualClock clock_;
  zmq::context_t zmq_;
  metrics::FakeMetricRegistry agent_metrics_;
  metrics::FakeMetricRegistry link_metrics_;
  FakeScheduler scheduler_;
};

TEST_F(LinkProxyTest, OrbitalAgentReachesTheSchedulerOnlyInsideItsWindows) {
  AgentConfig config = Config("tcp://127.0.0.1:1");  // the proxy's own settings need no agent
  auto proxy = LinkProxy::Create(io_, zmq_, clock_, config, link_metrics_, /*insecure=*/true);
  ASSERT_TRUE(proxy.ok()) << proxy.status().ToString();

  // The windows the proxy will use, from the same orbit and station.
  auto elements = ElementsFromOrbit(config.orbital->orbit, "o1");
  ASSERT_TRUE(elements.ok());
  ContactPlan plan(link::Sgp4::Create(*elements).value(), config.stations);
  auto windows = plan.Windows(clock_.Now(), clock_.Now() + Hours(6));
  ASSERT_TRUE(windows.ok());
  std::vector<ContactWindow> future;
  for (const ContactWindow& w : *windows) {
    if (w.aos > clock_.Now() + Minutes(1)) future.push_back(w);
  }
  ASSERT_GE(future.size(), 2u) << "a 53° orbit passes over Oregon several times in 6 hours";
  const ContactWindow first = future[0];
  const ContactWindow second = future[1];

  AgentConfig agent_config = Config((*proxy)->listen_endpoint());
  auto agent_or = Agent::Create(io_, zmq_, clock_, agent_config, agent_metrics_, true);
  ASSERT_TRUE(agent_or.ok()) << agent_or.status().ToString();
  auto agent = std::move(*agent_or);
  agent->Start();

  // Out of contact: the Hello waits in the link.
  AdvanceTo(first.aos - Seconds(10), Seconds(30));
  EXPECT_TRUE(scheduler_.received.empty());
  EXPECT_GE((*proxy)->up().queued(), 1u);
  AdvanceTo(first.aos + Seconds(5), Seconds(1));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) >= 1; }));
  EXPECT_GE(scheduler_.received_at.front(), first.aos);
  // Hellos repeated while waiting were superseded in the queue: only one arrives.
  EXPECT_EQ(scheduler_.Count(v1::Envelope::kHello), 1u);

  // Welcome and a job time-tagged to start ten minutes after LOS, out of contact.
  scheduler_.Welcome(0, "o1");
  const TimePoint start_at = first.los + Minutes(10);
  v1::Envelope start;
  start.mutable_start_job()->mutable_job()->set_id("train-1");
  start.mutable_start_job()->mutable_job()->set_kind(v1::JOB_KIND_TRAINING);
  start.mutable_start_job()->mutable_job()->set_gpus(4);
  start.mutable_start_job()->mutable_job()->set_watts_per_gpu(700);
  start.mutable_start_job()->mutable_job()->mutable_training()->set_gpu_hours(100);
  start.mutable_start_job()->set_start_at_us(start_at.micros());
  scheduler_.Send(start);
  AdvanceTo(first.aos + Seconds(15), Seconds(1));
  ASSERT_TRUE(PumpUntil([&] { return agent->registered(); }));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kForecast) >= 1; }));

  AdvanceTo(start_at - Seconds(5), Seconds(10));
  EXPECT_TRUE(agent->executor().Running().empty());
  AdvanceTo(start_at + Seconds(5), Seconds(1));
  ASSERT_EQ(agent->executor().Running().size(), 1u) << "the job starts on time, out of contact";
  const size_t received_before = scheduler_.received.size();

  AdvanceTo(second.aos - Seconds(5), Seconds(30));
  EXPECT_EQ(scheduler_.received.size(), received_before) << "nothing crosses a closed link";
  EXPECT_EQ(agent->queued_events(), agent->journal().pending().size());
  const size_t queued = agent->queued_events();
  EXPECT_GE(queued, 2u);  // started + checkpoints

  AdvanceTo(second.aos + Seconds(20), Seconds(1));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() >= queued; }));
  // Every queued event arrived after AOS, in order, exactly once.
  std::vector<uint64_t> sequences;
  for (size_t i = received_before; i < scheduler_.received.size(); ++i) {
    if (!scheduler_.received[i].has_job_event()) continue;
    EXPECT_GE(scheduler_.received_at[i], second.aos);
    sequences.push_back(scheduler_.received[i].job_event().sequence());
  }
  // (A checkpoint may fall due between the count above and AOS: at least `queued` arrive.)
  ASSERT_GE(sequences.size(), queued);
  for (size_t i = 0; i < sequences.size(); ++i) EXPECT_EQ(sequences[i], i + 1);
  EXPECT_EQ(scheduler_.Events()[0].kind(), v1::JOB_EVENT_STARTED);
  EXPECT_EQ(scheduler_.Events()[0].at_us(), start_at.micros());
  EXPECT_GT(link_metrics_.Value("apsis_link_forwarded_total", {{"direction", "up"}}), 0.0);
  EXPECT_GT(link_metrics_.Value("apsis_link_superseded_total", {{"direction", "up"}}), 0.0);
}

}  // namespace
}  // namespace apsis::agents
