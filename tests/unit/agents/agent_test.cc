#include "agents/agent.h"

#include <gtest/gtest.h>

#include <chrono>

#include "fake_scheduler.h"
#include "temp_dir.h"

namespace apsis::agents {
namespace {

using namespace std::chrono_literals;
using testing::FakeScheduler;

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() : zmq_(1), scheduler_(io_, zmq_) {}

  AgentConfig Config() {
    const std::string yaml =
        "node: {id: g1, kind: ground, gpus: {count: 8, watts_each: 700}}\n"
        "scheduler: {endpoint: '" +
        scheduler_.endpoint() +
        "', hello_retry: 5s, event_resend_interval: 1m}\n"
        "state_dir: " +
        dir_.path() +
        "\n"
        "executor: {kind: sim, checkpoint_interval: 30m}\n"
        "forecast: {step: 60s, horizon: 2h, interval: 10m}\n"
        "latencies: [{region: eu-west, latency_ms: 8}]\n"
        "ground: {grid_kw: 100, pue: 1.25, region: eu-west}\n";
    Result<AgentConfig> config = ParseAgentConfig(yaml, "test.yaml", "");
    EXPECT_TRUE(config.ok()) << config.status().ToString();
    return *config;
  }

  std::unique_ptr<Agent> MakeAgent() {
    auto agent = Agent::Create(io_, zmq_, clock_, Config(), metrics_, /*insecure=*/true);
    EXPECT_TRUE(agent.ok()) << agent.status().ToString();
    return std::move(*agent);
  }

  // Runs the loop until `done` holds (bounded: 10 s of real time for the loopback sockets).
  template <typename Pred>
  bool PumpUntil(Pred done) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      io_.run_for(5ms);
      io_.restart();
    }
    return true;
  }

  void Advance(Duration d) {
    clock_.Advance(d);
    io_.poll();
    io_.restart();
  }

  v1::Envelope StartJob(const std::string& id, TimePoint at) {
    v1::Envelope envelope;
    v1::StartJob* start = envelope.mutable_start_job();
    start->mutable_job()->set_id(id);
    start->mutable_job()->set_kind(v1::JOB_KIND_TRAINING);
    start->mutable_job()->set_gpus(2);
    start->mutable_job()->set_watts_per_gpu(700);
    start->mutable_job()->mutable_training()->set_gpu_hours(4);
    start->set_start_at_us(at.micros());
    return envelope;
  }

  testing::TempDir dir_;
  boost::asio::io_context io_;
  ManualClock clock_;
  zmq::context_t zmq_;
  metrics::FakeMetricRegistry metrics_;
  FakeScheduler scheduler_;
};

TEST_F(AgentTest, SaysHelloAndSendsAForecastAfterWelcome) {
  auto agent = MakeAgent();
  agent->Start();
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 1; }));
  const v1::Hello& hello = scheduler_.received[0].hello();
  EXPECT_EQ(hello.spec().id(), "g1");
  EXPECT_EQ(hello.spec().gpus().count(), 8u);
  EXPECT_EQ(hello.spec().ground().region(), "eu-west");
  scheduler_.Welcome(0);
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kForecast) == 1; }));
  EXPECT_TRUE(agent->registered());
  const v1::Forecast* forecast = nullptr;
  for (const auto& e : scheduler_.received) {
    if (e.has_forecast()) forecast = &e.forecast();
  }
  EXPECT_EQ(forecast->steps_size(), 120);
  EXPECT_EQ(forecast->step_us(), Seconds(60).count());
  EXPECT_DOUBLE_EQ(forecast->steps(0).available_w(), 80'000.0);
  ASSERT_EQ(forecast->latencies_size(), 1);
  EXPECT_EQ(forecast->latencies(0).region(), "eu-west");
  EXPECT_EQ(metrics_.Value("apsis_agent_registered"), 1.0);

  // Heartbeats follow the interval from the Welcome; a periodic forecast every 10 minutes.
  Advance(Seconds(10));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHeartbeat) == 1; }));
  Advance(Minutes(10));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kForecast) == 2; }));
}

TEST_F(AgentTest, TimeTaggedStartRunsOnTimeWithoutContactAndEventsWaitInOrder) {
  auto agent = MakeAgent();
  agent->Start();
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 1; }));
  scheduler_.Welcome(0);
  ASSERT_TRUE(PumpUntil([&] { return agent->registered(); }));
  const TimePoint start_at = clock_.Now() + Hours(1);
  scheduler_.Send(StartJob("j1", start_at));
  ASSERT_TRUE(PumpUntil([&] { return metrics_.Value("apsis_agent_jobs_running") == 0; }));
  io_.run_for(50ms);
  io_.restart();
  Advance(Minutes(59));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kForecast) >= 2; }));
  const size_t forecasts_before_start = scheduler_.Count(v1::Envelope::kForecast);
  EXPECT_TRUE(agent->executor().Running().empty());
  Advance(Minutes(1));
  ASSERT_TRUE(PumpUntil([&] { return agent->executor().Running().size() == 1u; }));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() == 1u; }));
  EXPECT_EQ(scheduler_.Events()[0].kind(), v1::JOB_EVENT_STARTED);
  EXPECT_EQ(scheduler_.Events()[0].at_us(), start_at.micros());
  EXPECT_EQ(scheduler_.Events()[0].sequence(), 1u);
  // The job start is a material change: a fresh forecast goes out.
  ASSERT_TRUE(PumpUntil(
      [&] { return scheduler_.Count(v1::Envelope::kForecast) == forecasts_before_start + 1; }));

  // Finish the job (2 GPUs × 2 h = 4 GPU-hours) with checkpoints at 30, 60, 90 minutes.
  Advance(Hours(2));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() == 5u; }));
  const auto events = scheduler_.Events();
  for (size_t i = 0; i < events.size(); ++i) EXPECT_EQ(events[i].sequence(), i + 1);
  EXPECT_EQ(events.back().kind(), v1::JOB_EVENT_FINISHED);
  EXPECT_NEAR(events.back().energy_kwh(), 1.4 * 0.5, 1e-9);  // 1400 W for 30 min since the last
  EXPECT_EQ(agent->queued_events(), 5u);

  // A StartJob re-sent before the scheduler has our report does not run the job again.
  scheduler_.Send(StartJob("j1", clock_.Now()));
  io_.run_for(50ms);
  io_.restart();
  Advance(Seconds(1));
  EXPECT_TRUE(agent->executor().Running().empty());

  v1::Envelope ack;
  ack.mutable_ack()->set_sequence(5);
  scheduler_.Send(ack);
  ASSERT_TRUE(PumpUntil([&] { return agent->queued_events() == 0; }));
}

TEST_F(AgentTest, AgentRestartedMidJobLosesNoQueuedEvent) {
  {
    auto agent = MakeAgent();
    agent->Start();
    ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 1; }));
    scheduler_.Welcome(0);
    ASSERT_TRUE(PumpUntil([&] { return agent->registered(); }));
    scheduler_.Send(StartJob("j1", clock_.Now()));
    ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() == 1u; }));
    Advance(Minutes(30));
    Advance(Minutes(30));
    ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() == 3u; }));
    // The scheduler acknowledged only the first event before the agent went away mid-job.
    v1::Envelope ack;
    ack.mutable_ack()->set_sequence(1);
    scheduler_.Send(ack);
    ASSERT_TRUE(PumpUntil([&] { return agent->queued_events() == 2; }));
  }
  const size_t before_restart = scheduler_.received.size();
  auto agent = MakeAgent();
  EXPECT_EQ(agent->queued_events(), 2u);
  agent->Start();
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 2; }));
  scheduler_.Welcome(1);
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events(before_restart).size() == 2u; }));
  const auto resent = scheduler_.Events(before_restart);
  EXPECT_EQ(resent[0].sequence(), 2u);
  EXPECT_EQ(resent[0].kind(), v1::JOB_EVENT_CHECKPOINTED);
  EXPECT_EQ(resent[1].sequence(), 3u);
  EXPECT_EQ(resent[1].kind(), v1::JOB_EVENT_CHECKPOINTED);
  EXPECT_EQ(resent[1].job_id(), "j1");
  v1::Envelope ack;
  ack.mutable_ack()->set_sequence(3);
  scheduler_.Send(ack);
  ASSERT_TRUE(PumpUntil([&] { return agent->queued_events() == 0; }));
  // New events continue the numbering.
  scheduler_.Send(StartJob("j2", clock_.Now()));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events(before_restart).size() == 3u; }));
  EXPECT_EQ(scheduler_.Events(before_restart)[2].sequence(), 4u);
}

TEST_F(AgentTest, ReintroducesItselfWhenTheSchedulerNoLongerKnowsIt) {
  auto agent = MakeAgent();
  agent->Start();
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 1; }));
  scheduler_.Welcome(0);
  ASSERT_TRUE(PumpUntil([&] { return agent->registered(); }));
  v1::Envelope error;
  error.mutable_error()->set_code(v1::ERROR_CODE_NOT_FOUND);
  error.mutable_error()->set_message("unknown node g1: send Hello");
  scheduler_.Send(error);
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 2; }));
  EXPECT_FALSE(agent->registered());
  // Until welcomed again it keeps saying hello.
  Advance(Seconds(5));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 3; }));
}

TEST_F(AgentTest, StopJobBeforeItsStartCancelsTheStart) {
  auto agent = MakeAgent();
  agent->Start();
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 1; }));
  scheduler_.Welcome(0);
  ASSERT_TRUE(PumpUntil([&] { return agent->registered(); }));
  scheduler_.Send(StartJob("later", clock_.Now() + Hours(2)));
  v1::Envelope stop;
  stop.mutable_stop_job()->set_job_id("later");
  stop.mutable_stop_job()->set_stop_at_us(clock_.Now().micros());
  stop.mutable_stop_job()->set_reason("re-planned");
  scheduler_.Send(stop);
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() == 1u; }));
  EXPECT_EQ(scheduler_.Events()[0].kind(), v1::JOB_EVENT_STOPPED);
  Advance(Hours(3));
  EXPECT_TRUE(agent->executor().Running().empty());
}

TEST_F(AgentTest, ShutdownWithCheckpointStopsJobsAndStopsReporting) {
  AgentConfig config = Config();
  config.on_shutdown = ShutdownPolicy::kCheckpoint;
  auto agent_or = Agent::Create(io_, zmq_, clock_, config, metrics_, true);
  ASSERT_TRUE(agent_or.ok());
  auto agent = std::move(*agent_or);
  agent->Start();
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Count(v1::Envelope::kHello) == 1; }));
  scheduler_.Welcome(0);
  ASSERT_TRUE(PumpUntil([&] { return agent->registered(); }));
  scheduler_.Send(StartJob("j1", clock_.Now()));
  ASSERT_TRUE(PumpUntil([&] { return scheduler_.Events().size() == 1u; }));
  Advance(Minutes(15));
  bool done = false;
  agent->Shutdown([&] { done = true; });
  ASSERT_TRUE(PumpUntil([&] { return done; }));
  // The stop was journaled (durable) but not sent: reporting stopped with the signal.
  EXPECT_EQ(agent->queued_events(), 2u);
  EXPECT_EQ(agent->journal().pending().back().kind(), v1::JOB_EVENT_STOPPED);
  EXPECT_DOUBLE_EQ(agent->journal().pending().back().progress_gpu_hours(), 0.5);
  io_.run_for(50ms);
  EXPECT_EQ(scheduler_.Events().size(), 1u);
}

}  // namespace
}  // namespace apsis::agents
