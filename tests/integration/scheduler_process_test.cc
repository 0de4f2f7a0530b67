// The real apsis-scheduler binary on loopback with CURVE, driven by scripted agents and clients.
#include "scheduler_process.h"

#include <cstdio>

#include "common/clock.h"

namespace apsis::testing {
namespace {

class SchedulerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proc_ = std::make_unique<SchedulerProcess>(
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    agent_a_ = proc_->MakeKey("agent-a", "agents");
    agent_b_ = proc_->MakeKey("agent-b", "agents");
    operator_ = proc_->MakeKey("ops", "operators");
    submitter_ = proc_->MakeKey("alice", "submitters");
    proc_->WriteConfig();
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

  v1::Envelope Hello(ScriptedPeer& agent, const std::string& node_id, bool orbital,
                     std::vector<std::string> running = {}) {
    v1::Envelope e;
    v1::NodeSpec* spec = e.mutable_hello()->mutable_spec();
    spec->set_id(node_id);
    spec->set_kind(orbital ? v1::NODE_KIND_ORBITAL : v1::NODE_KIND_GROUND);
    spec->mutable_gpus()->set_count(8);
    spec->mutable_gpus()->set_type("H100");
    spec->mutable_gpus()->set_watts_each(700);
    spec->mutable_ground()->set_pue(1.2);
    spec->mutable_ground()->set_region("us-west");
    e.mutable_hello()->set_agent_time_us(clock_.Now().micros());
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

  std::vector<std::string> Submit(ScriptedPeer& client, int count, double gpu_hours = 4) {
    v1::ClientRequest req;
    for (int i = 0; i < count; ++i) {
      v1::JobSpec* job = req.mutable_submit()->add_jobs();
      job->set_kind(v1::JOB_KIND_TRAINING);
      job->set_gpus(2);
      job->set_gpu_type("H100");
      job->set_watts_per_gpu(700);
      job->mutable_training()->set_gpu_hours(gpu_hours);
    }
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

TEST_F(SchedulerProcessTest, RegisterForecastSubmitStartFinish) {
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "ground-1", false).has_welcome());
  GroundForecast(*agent, "ground-1");
  auto alice = Peer(proc_->client_endpoint(), submitter_);
  auto ids = Submit(*alice, 1);
  ASSERT_EQ(ids.size(), 1u);
  auto start = agent->Next(v1::Envelope::kStartJob);
  ASSERT_TRUE(start.has_value());
  EXPECT_EQ(start->start_job().job().id(), ids[0]);
  EXPECT_EQ(start->start_job().job().owner(), "alice");
  JobEvent(*agent, "ground-1", 1, ids[0], v1::JOB_EVENT_STARTED);
  ASSERT_TRUE(agent->Next(v1::Envelope::kAck).has_value());
  EXPECT_EQ(Job(ids[0]).state(), v1::JOB_STATE_RUNNING);
  JobEvent(*agent, "ground-1", 2, ids[0], v1::JOB_EVENT_FINISHED);
  auto ack = agent->Next(v1::Envelope::kAck);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->ack().sequence(), 2u);
  EXPECT_EQ(Job(ids[0]).state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(SchedulerProcessTest, OrbitalNodeIsOutOfContactBetweenPassesAndDownOnlyWhenSilentInAPass) {
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "orbital-1", true).has_welcome());
  // In contact now for 1 s, then the next pass opens 4 s from now.
  OrbitalForecast(*agent, "orbital-1", {{Seconds(-1), Seconds(1)}, {Seconds(4), Seconds(10)}});
  Pump(Seconds(0.5), {{agent.get(), "orbital-1"}});
  const TimePoint silent_from = clock_.Now();
  Pump(Seconds(2.5), {});  // silent: out of contact after LOS
  EXPECT_EQ(NodeState("orbital-1"), v1::NODE_STATE_OUT_OF_CONTACT);
  // Still silent well into the next pass (0.6 s of reachable silence allowed): down.
  ASSERT_TRUE(RunUntil(
      io_, [&] { return NodeState("orbital-1") == v1::NODE_STATE_DOWN; },
      std::chrono::seconds(10)));
  EXPECT_GE(clock_.Now() - silent_from, Seconds(3.5));
}

TEST_F(SchedulerProcessTest, LostJobIsRequeuedOnAnotherNode) {
  auto a = Peer(proc_->agent_endpoint(), agent_a_);
  auto b = Peer(proc_->agent_endpoint(), agent_b_);
  ASSERT_TRUE(Hello(*a, "ground-a", false).has_welcome());
  GroundForecast(*a, "ground-a");
  Pump(Seconds(0.3), {{a.get(), "ground-a"}});
  auto ids = Submit(*ops_, 1);
  ASSERT_EQ(ids.size(), 1u);
  ASSERT_TRUE(a->Next(v1::Envelope::kStartJob).has_value());
  JobEvent(*a, "ground-a", 1, ids[0], v1::JOB_EVENT_STARTED);
  ASSERT_TRUE(b->Next(v1::Envelope::kWelcome, std::chrono::milliseconds(1)) == std::nullopt);
  ASSERT_TRUE(Hello(*b, "ground-b", false).has_welcome());
  GroundForecast(*b, "ground-b");
  // ground-a falls silent; ground-b keeps beating and gets the job.
  std::optional<v1::Envelope> moved;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!moved && std::chrono::steady_clock::now() < deadline) {
    Pump(Seconds(0.2), {{b.get(), "ground-b"}});
    for (auto& m : b->inbox())
      if (m.has_start_job()) moved = m;
  }
  ASSERT_TRUE(moved.has_value()) << "job was not re-placed after its node went down";
  EXPECT_EQ(moved->start_job().job().id(), ids[0]);
  EXPECT_EQ(NodeState("ground-a"), v1::NODE_STATE_DOWN);
}

TEST_F(SchedulerProcessTest, AnotherKeyCannotSpeakForARegisteredNode) {
  auto owner = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*owner, "ground-1", false).has_welcome());
  auto impostor = Peer(proc_->agent_endpoint(), agent_b_);
  v1::Envelope answer = Hello(*impostor, "ground-1", false);
  ASSERT_TRUE(answer.has_error());
  EXPECT_EQ(answer.error().code(), v1::ERROR_CODE_PERMISSION_DENIED);
  EXPECT_NE(answer.error().message().find("registered to another key"), std::string::npos);
}

TEST_F(SchedulerProcessTest, SubmitterCannotDrainButOperatorCan) {
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "ground-1", false).has_welcome());
  v1::ClientRequest drain;
  drain.mutable_set_node_state()->set_node_id("ground-1");
  drain.mutable_set_node_state()->set_action(v1::NODE_ACTION_DRAIN);
  auto alice = Peer(proc_->client_endpoint(), submitter_);
  auto refused = Ask(*alice, drain);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kPermissionDenied);
  auto done = Ask(*ops_, drain);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  Pump(Seconds(0.1), {{agent.get(), "ground-1"}});
  EXPECT_EQ(NodeState("ground-1"), v1::NODE_STATE_DRAINING);
}

TEST_F(SchedulerProcessTest, SigkillRestartKeepsEveryAcknowledgedJobAndRunsNoneTwice) {
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "ground-1", false).has_welcome());
  GroundForecast(*agent, "ground-1");
  // Four jobs fill the node's 8 GPUs; they start and run.
  std::vector<std::string> running = Submit(*ops_, 4, 20);
  ASSERT_EQ(running.size(), 4u);
  std::set<std::string> started;
  uint64_t seq = 0;
  while (started.size() < running.size()) {
    auto start = agent->Next(v1::Envelope::kStartJob, std::chrono::seconds(5));
    ASSERT_TRUE(start.has_value());
    if (started.insert(start->start_job().job().id()).second)
      JobEvent(*agent, "ground-1", ++seq, start->start_job().job().id(), v1::JOB_EVENT_STARTED);
  }
  Pump(Seconds(0.3), {{agent.get(), "ground-1"}});
  // Submissions keep flowing; the scheduler is killed among them.
  std::set<std::string> acknowledged(running.begin(), running.end());
  for (int i = 0; i < 20; ++i) {
    for (const auto& id : Submit(*ops_, 5, 20)) acknowledged.insert(id);
  }
  proc_->Kill(SIGKILL);

  agent->inbox().clear();
  const TimePoint restarted_at = clock_.Now();
  StartScheduler();
  agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "ground-1", false, {started.begin(), started.end()}).has_welcome());
  GroundForecast(*agent, "ground-1");
  Pump(Seconds(3), {{agent.get(), "ground-1"}});  // past the 2 s grace period
  for (const auto& id : acknowledged) {
    v1::JobStatus job = Job(id);
    EXPECT_EQ(job.spec().id(), id) << "acknowledged job lost: " << id;
    if (started.count(id)) {
      EXPECT_EQ(job.state(), v1::JOB_STATE_RUNNING) << id;
    }
  }
  for (const auto& m : agent->inbox()) {
    if (m.has_start_job()) {
      EXPECT_FALSE(started.count(m.start_job().job().id()))
          << "job started twice: " << m.start_job().job().id();
      // The four running jobs hold all 8 GPUs for ~10 hours: nothing may start on top of them.
      EXPECT_GE(TimePoint::FromMicros(m.start_job().start_at_us()), restarted_at + Hours(9))
          << "job " << m.start_job().job().id() << " placed on GPUs that running jobs hold";
    }
    if (m.has_stop_job()) {
      EXPECT_FALSE(started.count(m.stop_job().job_id())) << "running job stopped";
    }
  }
}

TEST_F(SchedulerProcessTest, OnlineBackupRestoresIntoAFreshStateDirectory) {
  std::vector<std::string> ids = Submit(*ops_, 3);
  ASSERT_EQ(ids.size(), 3u);
  v1::ClientRequest backup;
  backup.mutable_backup()->set_dir((proc_->dir() / "backup").string());
  auto alice = Peer(proc_->client_endpoint(), submitter_);
  EXPECT_EQ(Ask(*alice, backup).status().code(), StatusCode::kPermissionDenied);
  auto done = Ask(*ops_, backup);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  proc_->Kill(SIGTERM);
  std::filesystem::remove_all(proc_->dir() / "state");
  const std::string restore = std::string(APSIS_SCHEDULER_BINARY) + " --config " +
                              (proc_->dir() / "scheduler.yaml").string() + " --restore-from " +
                              (proc_->dir() / "backup").string() + " > /dev/null";
  ASSERT_EQ(system(restore.c_str()), 0);
  StartScheduler();
  for (const auto& id : ids) EXPECT_EQ(Job(id).spec().id(), id) << "missing after restore: " << id;
}

TEST_F(SchedulerProcessTest, ScrapedMetricsPassPromtool) {
  if (system("command -v promtool >/dev/null && command -v curl >/dev/null") != 0)
    GTEST_SKIP() << "promtool or curl not installed (scripts/setup installs prometheus and curl)";
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "orbital-1", true).has_welcome());
  OrbitalForecast(*agent, "orbital-1", {{Seconds(-1), Seconds(600)}});
  Submit(*ops_, 2);
  Pump(Seconds(1.2), {{agent.get(), "orbital-1"}});
  const std::string file = (proc_->dir() / "metrics.txt").string();
  const std::string fetch =
      "curl -sf http://127.0.0.1:" + std::to_string(proc_->metrics_port()) + "/metrics -o " + file;
  ASSERT_EQ(system(fetch.c_str()), 0);
  std::ifstream in(file);
  std::string text((std::istreambuf_iterator<char>(in)), {});
  for (const char* name :
       {"apsis_jobs{", "apsis_queue_length", "apsis_node_battery_soc_ratio",
        "apsis_node_contact_open", "apsis_plan_duration_seconds_bucket",
        "apsis_request_duration_seconds_bucket", "apsis_node_gpus{",
        "apsis_node_power_available_watts", "apsis_node_sunlit",
        "apsis_node_last_heartbeat_timestamp_seconds", "apsis_store_commit_seconds_bucket"}) {
    EXPECT_NE(text.find(name), std::string::npos) << name << " missing from:\n" << text;
  }
  const std::string check = "promtool check metrics < " + file + " > " + file + ".check 2>&1";
  int rc = system(check.c_str());
  std::ifstream report(file + ".check");
  EXPECT_EQ(rc, 0) << std::string((std::istreambuf_iterator<char>(report)), {});
}

}  // namespace
}  // namespace apsis::testing
