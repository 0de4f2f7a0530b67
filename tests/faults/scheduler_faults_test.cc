// Faults under the real apsis-scheduler: its disk fills up and frees again, it is SIGKILLed while
// several clients submit, agents arrive with skewed clocks. Nothing acknowledged is lost.
#include <thread>

#include "scheduler_fixture.h"

namespace apsis::testing {
namespace {

using namespace std::chrono_literals;

class DiskFullTest : public SchedulerFixture {
 protected:
  void SetUp() override {
    disk_full_flag_ =
        std::filesystem::temp_directory_path() / ("apsis-disk-full-" + std::to_string(getpid()));
    std::filesystem::remove(disk_full_flag_);
    SchedulerFixture::SetUp();
  }
  void TearDown() override {
    std::filesystem::remove(disk_full_flag_);
    SchedulerFixture::TearDown();
  }
  void StartSchedulerWithFaults() {
    proc_->SetEnv("APSIS_FAULT_DISK_FULL_FILE=" + disk_full_flag_.string());
    proc_->Kill(SIGTERM);
    StartScheduler();
  }
  void SetDiskFull(bool full) {
    if (full) {
      std::ofstream(disk_full_flag_) << "full\n";
    } else {
      std::filesystem::remove(disk_full_flag_);
    }
    Pump(Seconds(0.1), {});  // the scheduler looks at the flag every 20 ms
  }
  std::filesystem::path disk_full_flag_;
};

TEST_F(DiskFullTest, SubmittersGetAClearErrorNothingIsHalfWrittenAndWritesResume) {
  StartSchedulerWithFaults();
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  ASSERT_TRUE(Hello(*agent, "ground-1", false).has_welcome());
  GroundForecast(*agent, "ground-1");
  auto alice = Peer(proc_->client_endpoint(), submitter_);
  std::vector<std::string> before = Submit(*alice, 2, 20);
  ASSERT_EQ(before.size(), 2u);
  std::set<std::string> started;
  for (int i = 0; i < 2; ++i) {
    auto start = agent->Next(v1::Envelope::kStartJob);
    ASSERT_TRUE(start.has_value());
    started.insert(start->start_job().job().id());
  }
  JobEvent(*agent, "ground-1", 1, *started.begin(), v1::JOB_EVENT_STARTED);
  ASSERT_TRUE(agent->Next(v1::Envelope::kAck).has_value());

  SetDiskFull(true);
  // A submission is refused, saying why and what to do; nothing of it exists afterwards.
  v1::ClientRequest submit;
  for (int i = 0; i < 3; ++i) AddTrainingJob(submit.mutable_submit(), 1, 1);
  auto refused = Ask(*alice, submit);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("nothing was submitted"), std::string::npos)
      << refused.status().message();
  EXPECT_NE(refused.status().message().find("no space left"), std::string::npos)
      << refused.status().message();
  // An agent's event is not acknowledged while it cannot be stored; the agent keeps it and resends.
  JobEvent(*agent, "ground-1", 2, *std::next(started.begin()), v1::JOB_EVENT_STARTED);
  EXPECT_FALSE(agent->Next(v1::Envelope::kAck, 500ms).has_value())
      << "an event was acknowledged that is not stored";
  JobEvent(*agent, "ground-1", 2, *std::next(started.begin()), v1::JOB_EVENT_STARTED);
  EXPECT_FALSE(agent->Next(v1::Envelope::kAck, 500ms).has_value())
      << "a resent event was acknowledged that is not stored";
  // Reads keep working while the disk is full.
  EXPECT_TRUE(Ask(*alice, Status()).ok());
  EXPECT_EQ(Job(before[0]).spec().id(), before[0]);

  SetDiskFull(false);
  // The agent's resend is stored and acknowledged now; new submissions are accepted.
  JobEvent(*agent, "ground-1", 2, *std::next(started.begin()), v1::JOB_EVENT_STARTED);
  auto ack = agent->Next(v1::Envelope::kAck, 3s);
  ASSERT_TRUE(ack.has_value());
  EXPECT_EQ(ack->ack().sequence(), 2u);
  std::vector<std::string> after = Submit(*alice, 3, 20);
  ASSERT_EQ(after.size(), 3u);

  // After a crash, the store holds exactly what was acknowledged.
  proc_->Kill(SIGKILL);
  StartScheduler();
  agent = Peer(proc_->agent_endpoint(), agent_a_);
  v1::Envelope welcome = Hello(*agent, "ground-1", false, {started.begin(), started.end()});
  ASSERT_TRUE(welcome.has_welcome());
  EXPECT_EQ(welcome.welcome().last_event_sequence(), 2u);
  v1::ClientRequest list;
  list.mutable_list_jobs();
  auto jobs = Ask(*ops_, list);
  ASSERT_TRUE(jobs.ok());
  std::set<std::string> stored;
  for (const auto& j : jobs->client_response().jobs().jobs()) stored.insert(j.spec().id());
  std::set<std::string> acknowledged(before.begin(), before.end());
  acknowledged.insert(after.begin(), after.end());
  EXPECT_EQ(stored, acknowledged) << "stored jobs differ from the acknowledged ones";
  for (const auto& id : started) EXPECT_EQ(Job(id).state(), v1::JOB_STATE_RUNNING) << id;
}

class SchedulerCrashTest : public SchedulerFixture {};

TEST_F(SchedulerCrashTest, SigkillUnderConcurrentSubmittersKeepsEveryAcknowledgedJob) {
  // Four clients submit as fast as they are answered; the scheduler is killed among them.
  constexpr int kClients = 4;
  std::vector<std::unique_ptr<ScriptedPeer>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(Peer(proc_->client_endpoint(), i % 2 ? operator_ : submitter_));
  std::set<std::string> acknowledged;
  std::map<uint64_t, int> pending;  // correlation id → client
  uint64_t next = 1;
  auto send = [&](int c) {
    v1::Envelope e;
    e.set_correlation_id(next);
    for (int j = 0; j < 10; ++j) AddTrainingJob(e.mutable_client_request()->mutable_submit(), 1, 1);
    pending[next++] = c;
    clients[c]->Send(e);
  };
  for (int c = 0; c < kClients; ++c) send(c);
  const auto kill_at = std::chrono::steady_clock::now() + 1500ms;
  while (std::chrono::steady_clock::now() < kill_at) {
    io_.run_for(2ms);
    if (io_.stopped()) io_.restart();
    for (int c = 0; c < kClients; ++c) {
      auto& inbox = clients[c]->inbox();
      while (!inbox.empty()) {
        const v1::Envelope& m = inbox.front();
        if (m.has_client_response() && pending.erase(m.correlation_id())) {
          for (const auto& id : m.client_response().submitted().job_ids()) acknowledged.insert(id);
          send(c);
        }
        inbox.pop_front();
      }
    }
  }
  proc_->Kill(SIGKILL);
  ASSERT_GT(acknowledged.size(), 100u) << "too little load to mean anything";
  std::fprintf(stderr, "%zu jobs acknowledged before SIGKILL, %zu requests unanswered\n",
               acknowledged.size(), pending.size());
  StartScheduler();
  v1::ClientRequest list;
  list.mutable_list_jobs()->set_limit(1'000'000);
  auto jobs = Ask(*ops_, list);
  ASSERT_TRUE(jobs.ok());
  std::set<std::string> stored;
  for (const auto& j : jobs->client_response().jobs().jobs()) stored.insert(j.spec().id());
  for (const auto& id : acknowledged) EXPECT_TRUE(stored.count(id)) << "lost: " << id;
  // Unanswered requests are all or nothing: a stored job beyond the acknowledged ones belongs to
  // a whole batch of ten that was durable before the kill.
  EXPECT_EQ((stored.size() - acknowledged.size()) % 10, 0u);
  EXPECT_LE(stored.size() - acknowledged.size(), 10 * pending.size());
}

class AgentClockSkewTest : public SchedulerFixture {
 protected:
  void MakeMoreKeys() override {
    skewed_ = proc_->MakeKey("skewed", "agents");  // refused every time: never bound to a node
    orbital_ = proc_->MakeKey("orbital", "agents");
  }
  transport::CurveKeyPair skewed_, orbital_;
};

TEST_F(AgentClockSkewTest, FiveSecondsIsHandledFiveMinutesIsRefusedWithTheSkewNamed) {
  auto a = Peer(proc_->agent_endpoint(), agent_a_);
  auto b = Peer(proc_->agent_endpoint(), agent_b_);
  // ±5 s: within tolerance, registered; a job is placed and runs.
  EXPECT_TRUE(Hello(*a, "ground-ahead", false, {}, Seconds(5)).has_welcome());
  EXPECT_TRUE(Hello(*b, "ground-behind", false, {}, Seconds(-5)).has_welcome());
  GroundForecast(*a, "ground-ahead");
  auto ids = Submit(*ops_, 1);
  ASSERT_EQ(ids.size(), 1u);
  auto start = a->Next(v1::Envelope::kStartJob);
  ASSERT_TRUE(start.has_value());
  JobEvent(*a, "ground-ahead", 1, ids[0], v1::JOB_EVENT_STARTED);
  ASSERT_TRUE(a->Next(v1::Envelope::kAck).has_value());
  EXPECT_EQ(Job(ids[0]).state(), v1::JOB_STATE_RUNNING);

  // ±5 min on the ground: refused, naming the skew and the fix.
  auto c = Peer(proc_->agent_endpoint(), skewed_);
  for (Duration skew : {Minutes(5), Minutes(-5)}) {
    v1::Envelope refused = Hello(*c, "ground-skewed", false, {}, skew);
    ASSERT_TRUE(refused.has_error()) << "a ground clock off by " << FormatDuration(skew);
    EXPECT_EQ(refused.error().code(), v1::ERROR_CODE_FAILED_PRECONDITION);
    EXPECT_NE(refused.error().message().find("clock"), std::string::npos)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("NTP"), std::string::npos)
        << "the refusal should say how to fix it: " << refused.error().message();
  }
  // In orbit a Hello 5 minutes old may have waited in a link queue: accepted. 5 minutes ahead is
  // skew: refused.
  EXPECT_TRUE(Hello(*c, "orbital-ahead", true, {}, Minutes(5)).has_error());
  auto o = Peer(proc_->agent_endpoint(), orbital_);
  EXPECT_TRUE(Hello(*o, "orbital-late", true, {}, Minutes(-5)).has_welcome());
}

}  // namespace
}  // namespace apsis::testing

namespace apsis::testing {
namespace {

// The scheduler is SIGKILLed and restarted while an orbital node that runs a job is between
// passes. Its restart grace ends before the next pass: the job must stay where it is (not be
// re-queued and run twice), and be reconciled when the node's Hello arrives at the next pass.
class OrbitalRestartTest : public SchedulerFixture {};

TEST_F(OrbitalRestartTest, NodeOutOfContactAtRestartIsReconciledAtItsNextPass) {
  auto agent = Peer(proc_->agent_endpoint(), agent_a_);
  auto ground = Peer(proc_->agent_endpoint(), agent_b_);
  ASSERT_TRUE(Hello(*agent, "orbital-1", true).has_welcome());
  // In contact for 1.5 s more; the next pass opens 7 s from now.
  const TimePoint forecast_at = clock_.Now();
  OrbitalForecast(*agent, "orbital-1", {{Seconds(-1), Seconds(1.5)}, {Seconds(7), Seconds(60)}});
  auto ids = Submit(*ops_, 1);
  ASSERT_EQ(ids.size(), 1u);
  auto start = agent->Next(v1::Envelope::kStartJob, 3s);
  ASSERT_TRUE(start.has_value());
  JobEvent(*agent, "orbital-1", 1, ids[0], v1::JOB_EVENT_STARTED);
  ASSERT_TRUE(agent->Next(v1::Envelope::kAck).has_value());
  // A ground node with free GPUs, where a re-queued job would be placed at once.
  ASSERT_TRUE(Hello(*ground, "ground-1", false).has_welcome());
  GroundForecast(*ground, "ground-1");
  Pump(Seconds(0.2), {{agent.get(), "orbital-1"}, {ground.get(), "ground-1"}});

  // The node beats until LOS; then the scheduler dies and comes back while it is out of contact.
  Pump(forecast_at + Seconds(1.5) - clock_.Now(),
       {{agent.get(), "orbital-1"}, {ground.get(), "ground-1"}});
  Pump(Seconds(0.2), {{ground.get(), "ground-1"}});
  proc_->Kill(SIGKILL);
  StartScheduler();
  ground = Peer(proc_->agent_endpoint(), agent_b_);
  ASSERT_TRUE(Hello(*ground, "ground-1", false).has_welcome());
  GroundForecast(*ground, "ground-1");
  // Past the 2 s restart grace, still before the next pass.
  Pump(Seconds(3), {{ground.get(), "ground-1"}});
  EXPECT_EQ(NodeState("orbital-1"), v1::NODE_STATE_OUT_OF_CONTACT);
  EXPECT_EQ(Job(ids[0]).state(), v1::JOB_STATE_RUNNING) << Job(ids[0]).message();
  EXPECT_EQ(Job(ids[0]).placement().node_id(), "orbital-1");
  for (const auto& m : ground->inbox()) {
    EXPECT_FALSE(m.has_start_job() && m.start_job().job().id() == ids[0])
        << "the job was placed a second time while its node was out of contact";
  }

  // The next pass: the agent says Hello with the job it runs; nothing is stopped or restarted.
  ASSERT_LT(clock_.Now(), forecast_at + Seconds(7)) << "too slow to test before the next pass";
  Pump(forecast_at + Seconds(7.1) - clock_.Now(), {{ground.get(), "ground-1"}});
  agent = Peer(proc_->agent_endpoint(), agent_a_);
  v1::Envelope welcome = Hello(*agent, "orbital-1", true, {ids[0]});
  ASSERT_TRUE(welcome.has_welcome());
  Pump(Seconds(0.5), {{agent.get(), "orbital-1"}, {ground.get(), "ground-1"}});
  for (const auto& m : agent->inbox()) {
    EXPECT_FALSE(m.has_stop_job()) << "the running job was stopped: " << m.stop_job().reason();
  }
  EXPECT_EQ(Job(ids[0]).state(), v1::JOB_STATE_RUNNING);
  JobEvent(*agent, "orbital-1", 2, ids[0], v1::JOB_EVENT_FINISHED);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(ids[0]).state() == v1::JOB_STATE_SUCCEEDED; }, 5s));
}

}  // namespace
}  // namespace apsis::testing
