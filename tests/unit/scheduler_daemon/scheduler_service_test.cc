// SchedulerService end to end in one process: a fake agent and a client talk to it over loopback
// ZeroMQ while a ManualClock drives time.
#include "scheduler/daemon/scheduler_service.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>

#include "storage/memory_store.h"
#include "transport/dealer_client.h"

namespace apsis::daemon {
namespace {

const TimePoint kStart = TimePoint::FromSeconds(1'796'083'200);  // 2026-12-01T00:00:00Z

// A store whose scan of the jobs takes `delay` on the manual clock, as loading a large store
// takes seconds of real time.
class SlowLoadStore final : public storage::Store {
 public:
  SlowLoadStore(storage::Store& store, ManualClock& clock, Duration delay)
      : store_(store), clock_(clock), delay_(delay) {}
  Result<storage::CommitInfo> Write(const storage::WriteBatch& batch) override {
    return store_.Write(batch);
  }
  Result<std::optional<std::string>> Get(storage::Column column,
                                         std::string_view key) const override {
    return store_.Get(column, key);
  }
  Status Scan(storage::Column column, const storage::ScanRange& range,
              const storage::ScanVisitor& visit) const override {
    if (column == storage::Column::kJobs) clock_.Advance(delay_);
    return store_.Scan(column, range, visit);
  }
  uint64_t LastEventSequence() const override { return store_.LastEventSequence(); }
  Status BackupTo(const std::string& dir) override { return store_.BackupTo(dir); }
  Status VerifyIntegrity() const override { return store_.VerifyIntegrity(); }
  std::string Describe() const override { return "slow " + store_.Describe(); }

 private:
  storage::Store& store_;
  ManualClock& clock_;
  Duration delay_;
};

class SchedulerServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::SchemaOptions schema;
    schema.cluster_id = "test";
    store_ = std::move(*storage::MemoryStore::Open(schema));
    StartService();
  }

  void StartService(storage::Store* store = nullptr) {
    SchedulerConfig config;
    config.cluster_id = "test";
    config.security.insecure = true;
    config.agent_endpoint = "tcp://127.0.0.1:*";
    config.client_endpoint = "tcp://127.0.0.1:*";
    config.agents.restart_grace = Seconds(30);
    auto service =
        SchedulerService::Create({io_, clock_, zmq_, store ? *store : *store_, metrics_}, config);
    ASSERT_TRUE(service.ok()) << service.status().ToString();
    service_ = std::move(*service);
    ASSERT_TRUE(service_->Start().ok());
    transport::DealerClientOptions agent_options;
    agent_options.endpoint = service_->agent_endpoint();
    agent_ = std::move(*transport::DealerClient::Create(
        io_, zmq_, agent_options, [this](v1::Envelope&& e) { to_agent_.push_back(std::move(e)); }));
    transport::DealerClientOptions client_options;
    client_options.endpoint = service_->client_endpoint();
    client_ = std::move(
        *transport::DealerClient::Create(io_, zmq_, client_options, [](v1::Envelope&&) {}));
  }

  void RunUntil(const std::function<bool()>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done() && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(std::chrono::milliseconds(5));
      if (io_.stopped()) io_.restart();
    }
    ASSERT_TRUE(done()) << "condition not reached";
  }

  // Sends a client request and waits for its answer.
  Result<v1::Envelope> Ask(v1::ClientRequest request) {
    v1::Envelope e;
    e.set_sender("alice");
    *e.mutable_client_request() = std::move(request);
    std::optional<Result<v1::Envelope>> answer;
    client_->Request(e, std::chrono::seconds(10),
                     [&](Result<v1::Envelope> r) { answer = std::move(r); });
    RunUntil([&] { return answer.has_value(); });
    return std::move(*answer);
  }

  v1::Envelope NextToAgent(v1::Envelope::BodyCase body) {
    std::optional<v1::Envelope> found;
    // Takes the first message of that kind; others stay queued for later calls.
    RunUntil([&] {
      if (found) return true;
      for (auto it = to_agent_.begin(); it != to_agent_.end(); ++it) {
        if (it->body_case() == body) {
          found = std::move(*it);
          to_agent_.erase(it);
          return true;
        }
      }
      return false;
    });
    return found.value_or(v1::Envelope());
  }

  void AgentHello(std::vector<v1::RunningJob> running = {}) {
    v1::Envelope e;
    v1::Hello* hello = e.mutable_hello();
    v1::NodeSpec* spec = hello->mutable_spec();
    spec->set_id("ground-1");
    spec->set_kind(v1::NODE_KIND_GROUND);
    spec->mutable_gpus()->set_count(8);
    spec->mutable_gpus()->set_type("H100");
    spec->mutable_gpus()->set_watts_each(700);
    spec->mutable_ground()->set_pue(1.2);
    spec->mutable_ground()->set_region("us-west");
    for (auto& r : running) *hello->add_running() = r;
    hello->set_agent_time_us(clock_.Now().micros());
    agent_->Send(e);
    v1::Envelope welcome = NextToAgent(v1::Envelope::kWelcome);
    EXPECT_EQ(welcome.welcome().node_id(), "ground-1");
  }

  // 48 h from now at 60 s steps; 100 kW for the first `powered_steps`, nothing after.
  void AgentForecast(int powered_steps = 48 * 60) {
    v1::Envelope e;
    v1::Forecast* f = e.mutable_forecast();
    f->set_node_id("ground-1");
    f->set_start_us(clock_.Now().micros());
    f->set_step_us(Seconds(60).count());
    for (int i = 0; i < 48 * 60; ++i) {
      v1::PowerStep* s = f->add_steps();
      s->set_available_w(i < powered_steps ? 100'000 : 0);
      s->set_price_usd_per_kwh(0.10);
    }
    agent_->Send(e);
  }

  void AgentHeartbeat() {
    v1::Envelope e;
    e.mutable_heartbeat()->set_node_id("ground-1");
    e.mutable_heartbeat()->set_agent_time_us(clock_.Now().micros());
    agent_->Send(e);
  }

  void AgentEvent(uint64_t seq, const std::string& job, v1::JobEventKind kind) {
    v1::Envelope e;
    v1::JobEvent* ev = e.mutable_job_event();
    ev->set_node_id("ground-1");
    ev->set_sequence(seq);
    ev->set_job_id(job);
    ev->set_kind(kind);
    ev->set_at_us(clock_.Now().micros());
    ev->set_progress_gpu_hours(kind == v1::JOB_EVENT_FINISHED ? 8 : 0);
    agent_->Send(e);
  }

  // Registers ground-1, submits two 8 GPU-hour jobs and reports both started (events 1 and 2).
  std::pair<std::string, std::string> RunTwoJobs() {
    AgentHello();
    AgentForecast();
    auto first = Ask(TrainingSubmit(8));
    auto second = Ask(TrainingSubmit(8));
    EXPECT_TRUE(first.ok() && second.ok());
    if (!first.ok() || !second.ok()) return {};
    std::pair<std::string, std::string> ids{first->client_response().submitted().job_ids(0),
                                            second->client_response().submitted().job_ids(0)};
    NextToAgent(v1::Envelope::kStartJob);
    NextToAgent(v1::Envelope::kStartJob);
    AgentEvent(1, ids.first, v1::JOB_EVENT_STARTED);
    NextToAgent(v1::Envelope::kAck);
    AgentEvent(2, ids.second, v1::JOB_EVENT_STARTED);
    NextToAgent(v1::Envelope::kAck);
    return ids;
  }

  static v1::ClientRequest TrainingSubmit(double gpu_hours) {
    v1::ClientRequest req;
    v1::JobSpec* job = req.mutable_submit()->add_jobs();
    job->set_kind(v1::JOB_KIND_TRAINING);
    job->set_gpus(4);
    job->set_gpu_type("H100");
    job->set_watts_per_gpu(700);
    job->mutable_training()->set_gpu_hours(gpu_hours);
    return req;
  }

  boost::asio::io_context io_;
  zmq::context_t zmq_;
  ManualClock clock_{kStart};
  metrics::FakeMetricRegistry metrics_;
  std::unique_ptr<storage::MemoryStore> store_;
  std::unique_ptr<SchedulerService> service_;
  std::unique_ptr<transport::DealerClient> agent_;
  std::unique_ptr<transport::DealerClient> client_;
  std::deque<v1::Envelope> to_agent_;
};

TEST_F(SchedulerServiceTest, SubmittedJobIsPlacedStartedAndFinishes) {
  AgentHello();
  AgentForecast();
  auto submitted = Ask(TrainingSubmit(8));
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  ASSERT_EQ(submitted->client_response().submitted().job_ids_size(), 1);
  const std::string job_id = submitted->client_response().submitted().job_ids(0);

  v1::Envelope start = NextToAgent(v1::Envelope::kStartJob);
  EXPECT_EQ(start.start_job().job().id(), job_id);
  EXPECT_EQ(start.start_job().job().owner(), "alice");

  AgentEvent(1, job_id, v1::JOB_EVENT_STARTED);
  EXPECT_EQ(NextToAgent(v1::Envelope::kAck).ack().sequence(), 1u);
  AgentEvent(2, job_id, v1::JOB_EVENT_FINISHED);
  EXPECT_EQ(NextToAgent(v1::Envelope::kAck).ack().sequence(), 2u);
  // A re-sent event is acknowledged again but recorded once.
  AgentEvent(2, job_id, v1::JOB_EVENT_FINISHED);
  EXPECT_EQ(NextToAgent(v1::Envelope::kAck).ack().sequence(), 2u);
  EXPECT_EQ(metrics_.Value("apsis_job_events_total"), 2);
  EXPECT_EQ(metrics_.Value("apsis_job_events_duplicate_total"), 1);

  v1::ClientRequest get;
  get.mutable_get_job()->set_job_id(job_id);
  auto job = Ask(get);
  ASSERT_TRUE(job.ok());
  EXPECT_EQ(job->client_response().job().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_EQ(job->client_response().job().placement().node_id(), "ground-1");

  v1::ClientRequest events;
  events.mutable_events()->set_job_id(job_id);
  auto history = Ask(events);
  ASSERT_TRUE(history.ok());
  std::vector<std::string> kinds;
  for (const auto& ev : history->client_response().events().events()) kinds.push_back(ev.kind());
  EXPECT_EQ(kinds, (std::vector<std::string>{"submitted", "placed", "JOB_EVENT_STARTED",
                                             "JOB_EVENT_FINISHED"}));
}

TEST_F(SchedulerServiceTest, InvalidSubmissionListsEveryProblem) {
  v1::ClientRequest req = TrainingSubmit(-1);
  req.mutable_submit()->mutable_jobs(0)->set_gpus(0);
  auto answer = Ask(req);
  ASSERT_FALSE(answer.ok());
  EXPECT_EQ(answer.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(answer.status().message().find("jobs[0].gpus: must be at least 1"), std::string::npos)
      << answer.status().message();
  EXPECT_NE(answer.status().message().find("jobs[0].training.gpu_hours: must be > 0"),
            std::string::npos);
  EXPECT_EQ(service_->job_count(), 0u);
}

TEST_F(SchedulerServiceTest, CordonedNodeGetsNothingAndGroundNodeGoesDownAfterMissedHeartbeats) {
  AgentHello();
  AgentForecast();
  v1::ClientRequest cordon;
  cordon.mutable_set_node_state()->set_node_id("ground-1");
  cordon.mutable_set_node_state()->set_action(v1::NODE_ACTION_CORDON);
  ASSERT_TRUE(Ask(cordon).ok());
  auto submitted = Ask(TrainingSubmit(4));
  ASSERT_TRUE(submitted.ok());
  v1::ClientRequest nodes;
  nodes.mutable_list_nodes();
  auto listed = Ask(nodes);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->client_response().nodes().nodes(0).state(), v1::NODE_STATE_CORDONED);
  for (const auto& e : to_agent_) EXPECT_FALSE(e.has_start_job());

  clock_.Advance(Seconds(14));
  io_.run_for(std::chrono::milliseconds(20));
  listed = Ask(nodes);
  EXPECT_NE(listed->client_response().nodes().nodes(0).state(), v1::NODE_STATE_DOWN);
  clock_.Advance(Seconds(6));
  RunUntil([&] {
    auto l = Ask(nodes);
    return l.ok() && l->client_response().nodes().nodes(0).state() == v1::NODE_STATE_DOWN;
  });
}

// A forecast lost on the way (a link cut just after the Welcome) must not leave the node without
// one until the agent's next periodic forecast: the scheduler welcomes it again, which asks for
// a forecast, and stops once one has arrived.
TEST_F(SchedulerServiceTest, NodeWithoutForecastIsWelcomedAgainUntilOneArrives) {
  AgentHello();
  const auto welcomes_queued = [&] {
    return std::count_if(to_agent_.begin(), to_agent_.end(),
                         [](const v1::Envelope& e) { return e.has_welcome(); });
  };
  AgentHeartbeat();  // too soon after the first Welcome
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(welcomes_queued(), 0);
  clock_.Advance(Seconds(10));
  AgentHeartbeat();
  EXPECT_EQ(NextToAgent(v1::Envelope::kWelcome).welcome().node_id(), "ground-1");

  AgentForecast();
  v1::ClientRequest get_node;
  get_node.mutable_get_node()->set_node_id("ground-1");
  RunUntil([&] {
    auto answer = Ask(get_node);
    return answer.ok() && answer->client_response().node().forecast().steps_size() > 0;
  });
  clock_.Advance(Seconds(10));
  AgentHeartbeat();
  io_.run_for(std::chrono::milliseconds(50));
  EXPECT_EQ(welcomes_queued(), 0);
}

TEST_F(SchedulerServiceTest, SlowStateLoadDoesNotCountAsMissedHeartbeats) {
  AgentHello();
  AgentForecast();
  ASSERT_TRUE(Ask(TrainingSubmit(4)).ok());
  // Restart over a store that takes 20 s to load, longer than the 15 s of silence after which a
  // node is down; the agent could not have reached the scheduler meanwhile.
  agent_.reset();
  client_.reset();
  service_.reset();
  to_agent_.clear();
  SlowLoadStore slow(*store_, clock_, Seconds(20));
  StartService(&slow);
  v1::ClientRequest nodes;
  nodes.mutable_list_nodes();
  // A liveness check runs after a heartbeat interval; 6 s after the load the node is fine.
  clock_.Advance(Seconds(6));
  for (int i = 0; i < 5; ++i) {
    io_.run_for(std::chrono::milliseconds(20));
    auto listed = Ask(nodes);
    ASSERT_TRUE(listed.ok());
    ASSERT_EQ(listed->client_response().nodes().nodes_size(), 1);
    EXPECT_NE(listed->client_response().nodes().nodes(0).state(), v1::NODE_STATE_DOWN);
  }
  // Silence after the load still counts.
  clock_.Advance(Seconds(14));
  RunUntil([&] {
    auto l = Ask(nodes);
    return l.ok() && l->client_response().nodes().nodes(0).state() == v1::NODE_STATE_DOWN;
  });
  service_.reset();
}

TEST_F(SchedulerServiceTest, RestartKeepsAcknowledgedJobsAndReconcilesRunningOnes) {
  const auto [running_id, lost_id] = RunTwoJobs();

  // Restart: a new service over the same store; the agent comes back running only one job.
  agent_.reset();
  client_.reset();
  service_.reset();
  to_agent_.clear();
  StartService();
  EXPECT_TRUE(service_->reconciling());
  EXPECT_EQ(service_->job_count(), 2u);
  v1::RunningJob still;
  still.set_job_id(running_id);
  still.set_state(v1::JOB_STATE_RUNNING);
  v1::RunningJob stranger;
  stranger.set_job_id("job-999999");
  stranger.set_state(v1::JOB_STATE_RUNNING);
  AgentHello({still, stranger});
  // The job nobody scheduled is stopped at once.
  v1::Envelope stop = NextToAgent(v1::Envelope::kStopJob);
  EXPECT_EQ(stop.stop_job().job_id(), "job-999999");
  // After the grace period the unreported job is lost and re-queued; the reported one keeps
  // running. The agent keeps heartbeating meanwhile, so its node stays up.
  for (int i = 0; i < 3; ++i) {
    clock_.Advance(Seconds(10.5));
    AgentHeartbeat();
    io_.run_for(std::chrono::milliseconds(10));
  }
  RunUntil([&] { return !service_->reconciling(); });
  v1::ClientRequest get;
  get.mutable_get_job()->set_job_id(running_id);
  EXPECT_EQ(Ask(get)->client_response().job().state(), v1::JOB_STATE_RUNNING);
  get.mutable_get_job()->set_job_id(lost_id);
  auto lost = Ask(get);
  EXPECT_NE(lost->client_response().job().state(), v1::JOB_STATE_RUNNING);
  EXPECT_NE(lost->client_response().job().state(), v1::JOB_STATE_SUCCEEDED);
}

TEST_F(SchedulerServiceTest, StoppedJobRemembersWhereItsCheckpointIsUntilItRunsAgain) {
  AgentHello();
  AgentForecast();
  auto submitted = Ask(TrainingSubmit(8));
  ASSERT_TRUE(submitted.ok());
  const std::string id = submitted->client_response().submitted().job_ids(0);
  NextToAgent(v1::Envelope::kStartJob);
  AgentEvent(1, id, v1::JOB_EVENT_STARTED);
  NextToAgent(v1::Envelope::kAck);
  auto stored = [&] {
    auto bytes = store_->Get(storage::Column::kJobs, id);
    v1::JobStatus status;
    if (bytes.ok() && bytes->has_value()) status.ParseFromString(**bytes);
    return status;
  };
  EXPECT_EQ(stored().resume_node_id(), "");

  // The agent stops the job with a checkpoint of 2 GPU-hours (its own shutdown, say).
  clock_.Advance(Seconds(5));
  v1::Envelope e;
  v1::JobEvent* ev = e.mutable_job_event();
  ev->set_node_id("ground-1");
  ev->set_sequence(2);
  ev->set_job_id(id);
  ev->set_kind(v1::JOB_EVENT_STOPPED);
  ev->set_at_us(clock_.Now().micros());
  ev->set_progress_gpu_hours(2);
  agent_->Send(e);
  NextToAgent(v1::Envelope::kAck);
  EXPECT_EQ(stored().resume_node_id(), "ground-1");
  EXPECT_EQ(stored().checkpoint_written_us(), clock_.Now().micros());

  // Running again, the job's checkpoint is no longer waiting anywhere.
  AgentEvent(3, id, v1::JOB_EVENT_STARTED);
  NextToAgent(v1::Envelope::kAck);
  EXPECT_EQ(stored().resume_node_id(), "");
  EXPECT_EQ(stored().checkpoint_written_us(), 0);

  // The planner stops it for a power cut an hour ahead: where and when its checkpoint will be
  // written is stored with the stop, before the node reports anything.
  AgentForecast(/*powered_steps=*/60);
  v1::Envelope stop = NextToAgent(v1::Envelope::kStopJob);
  EXPECT_EQ(stop.stop_job().job_id(), id);
  EXPECT_TRUE(stop.stop_job().checkpoint());
  RunUntil([&] { return stored().resume_node_id() == "ground-1"; });
  EXPECT_GT(stored().checkpoint_written_us(), clock_.Now().micros());
}

TEST_F(SchedulerServiceTest, PendingJobThePlannerRefusesIsFailedDurably) {
  // A stored pending job the planner refuses (a record from an older version may hold a spec the
  // planner no longer takes) fails, and the failure is written: a restart does not retry it.
  v1::JobStatus stored;
  stored.mutable_spec()->set_id("job-000042");
  stored.mutable_spec()->set_kind(v1::JOB_KIND_TRAINING);
  stored.mutable_spec()->set_gpus(4);
  stored.mutable_spec()->mutable_training()->set_gpu_hours(0);
  stored.set_state(v1::JOB_STATE_PENDING);
  stored.set_submitted_us(clock_.Now().micros());
  storage::WriteBatch batch;
  batch.Put(storage::Column::kJobs, "job-000042", stored.SerializeAsString());
  ASSERT_TRUE(store_->Write(batch).ok());
  agent_.reset();
  client_.reset();
  service_.reset();
  StartService();
  AgentHello();
  AgentForecast();

  auto stored_state = [&] {
    auto bytes = store_->Get(storage::Column::kJobs, "job-000042");
    v1::JobStatus status;
    if (bytes.ok() && bytes->has_value()) status.ParseFromString(**bytes);
    return status;
  };
  RunUntil([&] { return stored_state().state() == v1::JOB_STATE_FAILED; });
  EXPECT_NE(stored_state().message().find("gpu_hours must be > 0"), std::string::npos)
      << stored_state().message();
}

TEST_F(SchedulerServiceTest, RestartKeepsFinishedJobsAndForecastsWholeAndNodeLossTakesOnlyItsJobs) {
  const auto [done_id, running_id] = RunTwoJobs();
  AgentEvent(3, done_id, v1::JOB_EVENT_FINISHED);
  NextToAgent(v1::Envelope::kAck);
  v1::ClientRequest get;
  get.mutable_get_job()->set_job_id(done_id);
  const v1::JobStatus done_before = Ask(get)->client_response().job();
  v1::ClientRequest get_node;
  get_node.mutable_get_node()->set_node_id("ground-1");
  const v1::NodeStatus node_before = Ask(get_node)->client_response().node();
  ASSERT_EQ(node_before.forecast().steps_size(), 48 * 60);

  // Restart; the agent re-registers with the job it still runs.
  agent_.reset();
  client_.reset();
  service_.reset();
  to_agent_.clear();
  StartService();
  v1::RunningJob still;
  still.set_job_id(running_id);
  still.set_state(v1::JOB_STATE_RUNNING);
  AgentHello({still});
  RunUntil([&] { return !service_->reconciling(); });

  // The finished job comes back exactly as it was, and so does the stored forecast.
  auto done_after = Ask(get);
  ASSERT_TRUE(done_after.ok());
  EXPECT_EQ(done_after->client_response().job().SerializeAsString(),
            done_before.SerializeAsString());
  const v1::NodeStatus node_after = Ask(get_node)->client_response().node();
  EXPECT_EQ(node_after.forecast().SerializeAsString(), node_before.forecast().SerializeAsString());
  EXPECT_EQ(
      std::vector<std::string>(node_after.running_jobs().begin(), node_after.running_jobs().end()),
      std::vector<std::string>{running_id});
  v1::ClientRequest list;
  list.mutable_list_jobs();
  EXPECT_EQ(Ask(list)->client_response().jobs().jobs_size(), 2);
  v1::ClientRequest status;
  status.mutable_status();
  auto by_state = Ask(status)->client_response().status().jobs_by_state();
  EXPECT_EQ(by_state["JOB_STATE_SUCCEEDED"], 1u);
  EXPECT_EQ(by_state["JOB_STATE_RUNNING"], 1u);

  // The agent falls silent: its node goes down and its running job is re-queued; the finished
  // job stays finished.
  clock_.Advance(Seconds(20));
  get.mutable_get_job()->set_job_id(running_id);
  RunUntil([&] {
    auto job = Ask(get);
    return job.ok() && job->client_response().job().state() == v1::JOB_STATE_PENDING;
  });
  v1::ClientRequest events;
  events.mutable_events()->set_job_id(running_id);
  auto history = Ask(events);
  ASSERT_TRUE(history.ok());
  ASSERT_GT(history->client_response().events().events_size(), 0);
  EXPECT_EQ(history->client_response().events().events().rbegin()->kind(), "lost");
  get.mutable_get_job()->set_job_id(done_id);
  EXPECT_EQ(Ask(get)->client_response().job().state(), v1::JOB_STATE_SUCCEEDED);
  EXPECT_TRUE(Ask(get_node)->client_response().node().running_jobs().empty());
}

TEST_F(SchedulerServiceTest, GaugesCountJobsByStateAfterEveryPassAndNodesOnTheLivenessTimer) {
  const auto [done_id, running_id] = RunTwoJobs();
  AgentEvent(3, done_id, v1::JOB_EVENT_FINISHED);
  NextToAgent(v1::Envelope::kAck);
  const metrics::Labels training_running{{"state", "JOB_STATE_RUNNING"}, {"kind", "training"}};
  const metrics::Labels training_done{{"state", "JOB_STATE_SUCCEEDED"}, {"kind", "training"}};
  RunUntil([&] { return metrics_.Value("apsis_jobs", training_done) == 1; });
  EXPECT_EQ(metrics_.Value("apsis_jobs", training_running), 1);

  // A heartbeat's busy GPUs reach the node gauge at the next liveness check at the latest.
  v1::Envelope hb;
  hb.mutable_heartbeat()->set_node_id("ground-1");
  hb.mutable_heartbeat()->set_agent_time_us(clock_.Now().micros());
  hb.mutable_heartbeat()->set_gpus_busy(3);
  agent_->Send(hb);
  const metrics::Labels node{{"node", "ground-1"}, {"kind", "ground"}};
  io_.run_for(std::chrono::milliseconds(20));
  clock_.Advance(Seconds(5));
  RunUntil([&] { return metrics_.Value("apsis_node_gpus_busy", node) == 3; });
  EXPECT_EQ(metrics_.Value("apsis_node_gpus", node), 8);
  EXPECT_EQ(metrics_.Value("apsis_node_power_available_watts", node), 100'000);
}

}  // namespace
}  // namespace apsis::daemon

namespace apsis::daemon {
namespace {

class ClockSkewTest : public SchedulerServiceTest {
 protected:
  v1::Envelope HelloAt(const std::string& id, v1::NodeKind kind, Duration skew) {
    v1::Envelope e;
    v1::NodeSpec* spec = e.mutable_hello()->mutable_spec();
    spec->set_id(id);
    spec->set_kind(kind);
    spec->mutable_gpus()->set_count(4);
    spec->mutable_gpus()->set_watts_each(700);
    e.mutable_hello()->set_agent_time_us((clock_.Now() + skew).micros());
    std::optional<Result<v1::Envelope>> answer;
    agent_->Request(e, std::chrono::seconds(10),
                    [&](Result<v1::Envelope> r) { answer = std::move(r); });
    RunUntil([&] { return answer.has_value(); });
    if (!answer->ok()) {
      v1::Envelope error;
      error.mutable_error()->set_message(answer->status().message());
      return error;
    }
    return **answer;
  }
};

TEST_F(ClockSkewTest, AgentClockAheadOrGroundClockBehindIsRefusedWithAClearMessage) {
  for (Duration skew : {Seconds(5), Seconds(-5)}) {
    EXPECT_TRUE(HelloAt("ground-1", v1::NODE_KIND_GROUND, skew).has_welcome());
  }
  v1::Envelope ahead = HelloAt("ground-2", v1::NODE_KIND_GROUND, Minutes(5));
  ASSERT_TRUE(ahead.has_error());
  EXPECT_NE(ahead.error().message().find("agent clock differs from the scheduler's by 5m"),
            std::string::npos)
      << ahead.error().message();
  EXPECT_NE(ahead.error().message().find("NTP"), std::string::npos);
  EXPECT_TRUE(HelloAt("ground-3", v1::NODE_KIND_GROUND, Minutes(-5)).has_error());
  EXPECT_TRUE(HelloAt("orbital-1", v1::NODE_KIND_ORBITAL, Minutes(5)).has_error());
  // An orbital Hello may have waited in the space link for a pass.
  EXPECT_TRUE(HelloAt("orbital-2", v1::NODE_KIND_ORBITAL, Minutes(-5)).has_welcome());
}

}  // namespace
}  // namespace apsis::daemon

namespace apsis::daemon {
namespace {

TEST_F(SchedulerServiceTest, FailedJobIsRetriedWithBackoffUpToTheAttemptLimit) {
  AgentHello();
  AgentForecast();
  auto submitted = Ask(TrainingSubmit(4));
  ASSERT_TRUE(submitted.ok());
  const std::string id = submitted->client_response().submitted().job_ids(0);
  uint64_t seq = 0;
  v1::ClientRequest get;
  get.mutable_get_job()->set_job_id(id);
  TimePoint failed_at;
  for (int attempt = 1; attempt <= 3; ++attempt) {
    v1::Envelope start = NextToAgent(v1::Envelope::kStartJob);
    io_.run_for(std::chrono::milliseconds(20));
    // A later StartJob for the same job supersedes an earlier one: the last one counts.
    for (const auto& m : to_agent_)
      if (m.has_start_job()) start = m;
    std::erase_if(to_agent_, [](const v1::Envelope& m) { return m.has_start_job(); });
    ASSERT_EQ(start.start_job().job().id(), id) << "attempt " << attempt;
    const TimePoint start_at = TimePoint::FromMicros(start.start_job().start_at_us());
    if (attempt > 1) {
      // Time-tagged no earlier than the backoff after the failure: 30 s, then 60 s.
      const Duration backoff = Seconds(30.0 * (1 << (attempt - 2)));
      EXPECT_GE(start_at, failed_at + backoff);
    }
    while (clock_.Now() < start_at) {  // the agent heartbeats until the start time
      clock_.Advance(Seconds(5));
      AgentHeartbeat();
      io_.run_for(std::chrono::milliseconds(2));
    }
    AgentEvent(++seq, id, v1::JOB_EVENT_STARTED);
    NextToAgent(v1::Envelope::kAck);
    failed_at = clock_.Now();
    AgentEvent(++seq, id, v1::JOB_EVENT_FAILED);
    NextToAgent(v1::Envelope::kAck);
  }
  v1::JobStatus job = Ask(get)->client_response().job();
  EXPECT_EQ(job.state(), v1::JOB_STATE_FAILED);
  EXPECT_NE(job.message().find("after 3 attempts"), std::string::npos) << job.message();
  EXPECT_EQ(job.attempts(), 3u);
}

TEST_F(SchedulerServiceTest, StartJobIsResentWhenNoStartIsReported) {
  AgentHello();
  AgentForecast();
  auto submitted = Ask(TrainingSubmit(4));
  ASSERT_TRUE(submitted.ok());
  v1::Envelope first = NextToAgent(v1::Envelope::kStartJob);
  // The agent stays alive but never reports the start (the message was lost on the way).
  for (int i = 0; i < 13; ++i) {
    clock_.Advance(Seconds(5));
    AgentHeartbeat();
    io_.run_for(std::chrono::milliseconds(5));
  }
  v1::Envelope again = NextToAgent(v1::Envelope::kStartJob);
  EXPECT_EQ(again.start_job().job().id(), first.start_job().job().id());
}

}  // namespace
}  // namespace apsis::daemon
