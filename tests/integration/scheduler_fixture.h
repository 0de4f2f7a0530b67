// Test support: a fixture around one real apsis-scheduler process (CURVE on, two agent keys, an
// operator and a submitter), with scripted agents and clients that speak the wire protocol.
// Shared by tests/integration/scheduler_process_test.cc and the fault-injection suite.
#pragma once

#include <cstdio>
#include <set>

#include "common/clock.h"
#include "scheduler_process.h"

namespace apsis::testing {

class SchedulerFixture : public ::testing::Test {
 protected:
  // Extra scheduler.yaml lines for this test; override to change limits.
  virtual std::string ExtraConfig() const { return ""; }
  // The agents: block (liveness timing); empty: the default of SchedulerProcess::WriteConfig.
  virtual std::string AgentsBlock() const { return ""; }
  // Further keys to allow from the start (a key added later needs a SIGHUP to be admitted).
  virtual void MakeMoreKeys() {}

  void SetUp() override {
    proc_ = std::make_unique<SchedulerProcess>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    agent_a_ = proc_->MakeKey("agent-a", "agents");
    agent_b_ = proc_->MakeKey("agent-b", "agents");
    operator_ = proc_->MakeKey("ops", "operators");
    submitter_ = proc_->MakeKey("alice", "submitters");
    MakeMoreKeys();
    if (AgentsBlock().empty()) {
      proc_->WriteConfig(ExtraConfig());
    } else {
      proc_->WriteConfig(ExtraConfig(), AgentsBlock());
    }
    StartScheduler();
  }
  void TearDown() override {
    if (HasFailure()) std::fprintf(stderr, "--- scheduler log ---\n%s\n", proc_->Log().c_str());
  }

  void StartScheduler() {
    proc_->Start();
    ops_ = Peer(proc_->client_endpoint(), operator_);
    ASSERT_TRUE(RunUntil(
        io_, [&] { return Ask(*ops_, Status()).ok(); }, std::chrono::seconds(20)))
        << "scheduler did not answer";
  }

  std::unique_ptr<ScriptedPeer> Peer(const std::string& endpoint,
                                     const transport::CurveKeyPair& keys) {
    return std::make_unique<ScriptedPeer>(io_, zmq_, endpoint, keys,
                                          proc_->server_keys().public_z85);
  }

  static v1::ClientRequest Status() {
    v1::ClientRequest r;
    r.mutable_status();
    return r;
  }

  Result<v1::Envelope> Ask(ScriptedPeer& peer, v1::ClientRequest request) {
    v1::Envelope e;
    *e.mutable_client_request() = std::move(request);
    return peer.Ask(std::move(e), std::chrono::seconds(2));
  }

  // `clock_skew`: how far the agent's clock is off (its Hello's agent_time is now + skew).
  v1::Envelope Hello(ScriptedPeer& agent, const std::string& node_id, bool orbital,
                     std::vector<std::string> running = {},
                     Duration clock_skew = Duration::zero()) {
    v1::Envelope e;
    v1::NodeSpec* spec = e.mutable_hello()->mutable_spec();
    spec->set_id(node_id);
    spec->set_kind(orbital ? v1::NODE_KIND_ORBITAL : v1::NODE_KIND_GROUND);
    spec->mutable_gpus()->set_count(8);
    spec->mutable_gpus()->set_type("H100");
    spec->mutable_gpus()->set_watts_each(700);
    spec->mutable_ground()->set_pue(1.2);
    spec->mutable_ground()->set_region("us-west");
    e.mutable_hello()->set_agent_time_us((clock_.Now() + clock_skew).micros());
    for (const auto& id : running) {
      v1::RunningJob* r = e.mutable_hello()->add_running();
      r->set_job_id(id);
      r->set_state(v1::JOB_STATE_RUNNING);
    }
    agent.Send(e);
    // The answer is a Welcome or an Error.
    std::optional<v1::Envelope> answer;
    RunUntil(
        io_,
        [&] {
          for (auto it = agent.inbox().begin(); it != agent.inbox().end(); ++it) {
            if (it->has_welcome() || it->has_error()) {
              answer = *it;
              agent.inbox().erase(it);
              return true;
            }
          }
          return false;
        },
        std::chrono::seconds(5));
    return answer.value_or(v1::Envelope());
  }

  void GroundForecast(ScriptedPeer& agent, const std::string& node_id) {
    v1::Envelope e;
    v1::Forecast* f = e.mutable_forecast();
    f->set_node_id(node_id);
    f->set_start_us(clock_.Now().micros() - Seconds(60).count());
    f->set_step_us(Seconds(60).count());
    for (int i = 0; i < 24 * 60; ++i) {
      v1::PowerStep* s = f->add_steps();
      s->set_available_w(100'000);
      s->set_price_usd_per_kwh(0.10);
    }
    agent.Send(e);
  }

  void OrbitalForecast(ScriptedPeer& agent, const std::string& node_id,
                       std::vector<std::pair<Duration, Duration>> windows) {
    v1::Envelope e;
    v1::Forecast* f = e.mutable_forecast();
    const TimePoint now = clock_.Now();
    f->set_node_id(node_id);
    f->set_start_us(now.micros() - Seconds(60).count());
    f->set_step_us(Seconds(60).count());
    for (int i = 0; i < 24 * 60; ++i) {
      v1::PowerStep* s = f->add_steps();
      s->set_available_w(8000);
      s->set_solar_w(12'000);
      s->set_sunlit_fraction(1);
    }
    f->set_radiator_limit_w(20'000);
    v1::BatterySpec* b = f->mutable_battery();
    b->set_capacity_wh(20'000);
    b->set_soc_wh(16'000);
    b->set_floor_wh(4'000);
    b->set_charge_efficiency(0.95);
    b->set_discharge_efficiency(0.95);
    b->set_max_charge_w(5'000);
    for (auto [from, to] : windows) {
      v1::ContactWindow* w = f->add_windows();
      w->set_station("svalbard");
      w->set_aos_us((now + from).micros());
      w->set_los_us((now + to).micros());
      w->set_max_elevation_at_us((now + from).micros());
      w->set_uplink_bps(100e6);
      w->set_downlink_bps(100e6);
    }
    agent.Send(e);
  }

  void Heartbeat(ScriptedPeer& agent, const std::string& node_id) {
    v1::Envelope e;
    e.mutable_heartbeat()->set_node_id(node_id);
    e.mutable_heartbeat()->set_agent_time_us(clock_.Now().micros());
    agent.Send(e);
  }

  void JobEvent(ScriptedPeer& agent, const std::string& node_id, uint64_t seq,
                const std::string& job_id, v1::JobEventKind kind) {
    v1::Envelope e;
    v1::JobEvent* ev = e.mutable_job_event();
    ev->set_node_id(node_id);
    ev->set_sequence(seq);
    ev->set_job_id(job_id);
    ev->set_kind(kind);
    ev->set_at_us(clock_.Now().micros());
    agent.Send(e);
  }

  // Runs the loop for `d`, heartbeating every 100 ms for the given (agent, node) pairs.
  void Pump(Duration d, std::vector<std::pair<ScriptedPeer*, std::string>> beating) {
    const auto end = std::chrono::steady_clock::now() + std::chrono::microseconds(d.count());
    while (std::chrono::steady_clock::now() < end) {
      for (auto& [agent, node] : beating) Heartbeat(*agent, node);
      io_.run_for(std::chrono::milliseconds(100));
      if (io_.stopped()) io_.restart();
    }
  }

  // Adds a training job on H100s at 700 W each to `submit`.
  static v1::JobSpec* AddTrainingJob(v1::SubmitJobsRequest* submit, uint32_t gpus,
                                     double gpu_hours) {
    v1::JobSpec* job = submit->add_jobs();
    job->set_kind(v1::JOB_KIND_TRAINING);
    job->set_gpus(gpus);
    job->set_gpu_type("H100");
    job->set_watts_per_gpu(700);
    job->mutable_training()->set_gpu_hours(gpu_hours);
    return job;
  }

  std::vector<std::string> Submit(ScriptedPeer& client, int count, double gpu_hours = 4) {
    v1::ClientRequest req;
    for (int i = 0; i < count; ++i) AddTrainingJob(req.mutable_submit(), 2, gpu_hours);
    auto answer = Ask(client, req);
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    if (!answer.ok()) return {};
    const auto& ids = answer->client_response().submitted().job_ids();
    return {ids.begin(), ids.end()};
  }

  v1::NodeState NodeState(const std::string& node_id) {
    v1::ClientRequest req;
    req.mutable_get_node()->set_node_id(node_id);
    auto answer = Ask(*ops_, req);
    return answer.ok() ? answer->client_response().node().state() : v1::NODE_STATE_UNSPECIFIED;
  }

  v1::JobStatus Job(const std::string& job_id) {
    v1::ClientRequest req;
    req.mutable_get_job()->set_job_id(job_id);
    auto answer = Ask(*ops_, req);
    return answer.ok() ? answer->client_response().job() : v1::JobStatus();
  }

  SystemClock clock_;
  boost::asio::io_context io_;
  zmq::context_t zmq_;
  std::unique_ptr<SchedulerProcess> proc_;
  transport::CurveKeyPair agent_a_, agent_b_, operator_, submitter_;
  std::unique_ptr<ScriptedPeer> ops_;
};

}  // namespace apsis::testing
