// The real apsis-scheduler binary on loopback with CURVE, driven by scripted agents and clients.
#include "scheduler_fixture.h"

namespace apsis::testing {
namespace {

class SchedulerProcessTest : public SchedulerFixture {};

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
