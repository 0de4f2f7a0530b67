// Faults around the real apsis-agent and apsis-link: an agent SIGKILLed mid-job, an apsis-link
// killed and restarted again and again while a job reports through it. Nothing is lost, nothing
// is applied twice. Both programs refuse secret key files that others can read.
#include <sys/stat.h>

#include <cmath>
#include <thread>

#include "agent_process.h"
#include "scheduler_fixture.h"

namespace apsis::testing {
namespace {

using namespace std::chrono_literals;

class AgentFaultsTest : public SchedulerFixture {
 protected:
  std::string GroundAgentConfig(const std::string& node) {
    proc_->MakeKey(node, "agents");
    kill(proc_->pid(), SIGHUP);  // the scheduler re-reads its allowlists
    const std::filesystem::path file = proc_->dir() / (node + ".yaml");
    std::ofstream(file) << "node: {id: " << node
                        << ", kind: ground, gpus: {count: 8, type: H100, watts_each: 700}}\n"
                        << "scheduler:\n"
                        << "  endpoint: " << proc_->agent_endpoint() << "\n"
                        << "  server_public_key: keys/scheduler.pub\n"
                        << "  client_key: agents/" << node << ".key\n"
                        << "  event_resend_interval: 1s\n"
                        << "state_dir: " << node << "-state\n"
                        << "metrics_listen: 127.0.0.1:0\n"
                        << "executor: {kind: sim, checkpoint_interval: 1s}\n"
                        << "forecast: {step: 5s, horizon: 2h}\n"
                        << "latencies: [{region: us-west, latency_ms: 5}]\n"
                        << "ground: {grid_kw: 100, pue: 1.2, region: us-west}\n";
    return file.string();
  }

  // `program` (started with `key` at mode `mode`) exits at once, saying which file is readable by
  // others and how to fix it.
  static void ExpectKeyRefused(AgentProcess& program, const std::filesystem::path& key,
                               mode_t mode) {
    ASSERT_TRUE(program.ExitsWithin(10s))
        << "runs with " << key << " at mode 0" << std::oct << mode << "\n"
        << program.Log();
    EXPECT_TRUE(WIFEXITED(program.exit_status()) && WEXITSTATUS(program.exit_status()) != 0);
    const std::string log = program.Log();
    EXPECT_NE(log.find("'" + key.string() + "'"), std::string::npos) << log;
    EXPECT_NE(log.find("chmod 600 " + key.string()), std::string::npos) << log;
  }

  std::unique_ptr<AgentProcess> StartAgent(const std::string& config, const std::string& name) {
    return std::make_unique<AgentProcess>(proc_->dir(), APSIS_AGENT_BINARY,
                                          std::vector<std::string>{"--config", config}, name);
  }

  bool WaitReady(const std::string& node, std::chrono::seconds limit = 20s) {
    return RunUntil(
        io_, [&] { return NodeState(node) == v1::NODE_STATE_READY; }, limit);
  }

  // A training job on all 8 GPUs that runs `seconds` and checkpoints every `checkpoint` seconds.
  std::string SubmitJob(double seconds, double checkpoint) {
    v1::ClientRequest req;
    v1::JobSpec* job = AddTrainingJob(req.mutable_submit(), 8, 8 * seconds / 3600);
    job->mutable_training()->set_checkpoint_interval_us(Seconds(checkpoint).count());
    auto answer = Ask(*ops_, req);
    EXPECT_TRUE(answer.ok()) << answer.status().ToString();
    if (!answer.ok() || answer->client_response().submitted().job_ids_size() != 1) return "";
    return answer->client_response().submitted().job_ids(0);
  }

  // The planner's reasons, for failure messages.
  std::string Explain(const std::string& id) {
    v1::ClientRequest req;
    req.mutable_explain()->set_job_id(id);
    auto answer = Ask(*ops_, req);
    return answer.ok() ? answer->client_response().explanation().DebugString()
                       : answer.status().ToString();
  }

  std::vector<v1::EventRecord> JobEvents(const std::string& id) {
    v1::ClientRequest req;
    req.mutable_events()->set_job_id(id);
    auto answer = Ask(*ops_, req);
    EXPECT_TRUE(answer.ok());
    if (!answer.ok()) return {};
    const auto& events = answer->client_response().events().events();
    return {events.begin(), events.end()};
  }
};

TEST_F(AgentFaultsTest, KilledAgentIsDownOnlyAfterTheTimeoutAndItsJobResumesElsewhere) {
  auto a = StartAgent(GroundAgentConfig("ground-a"), "agent-a");
  ASSERT_TRUE(WaitReady("ground-a")) << a->Log();
  constexpr double kSeconds = 12;
  const std::string id = SubmitJob(kSeconds, 1);
  ASSERT_FALSE(id.empty());
  // Half the work done and checkpointed on ground-a; ground-b joins.
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(id).progress_gpu_hours() >= 8 * (kSeconds / 2) / 3600; }, 30s))
      << "no checkpoints from ground-a\n"
      << a->Log();
  auto b = StartAgent(GroundAgentConfig("ground-b"), "agent-b");
  ASSERT_TRUE(WaitReady("ground-b")) << b->Log();
  const double checkpointed = Job(id).progress_gpu_hours();
  EXPECT_EQ(Job(id).placement().node_id(), "ground-a");

  a->Stop(SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  // Down after 3 missed 200 ms heartbeats: not before ~400 ms (the last one may be 200 ms old).
  std::chrono::steady_clock::duration down_after{};
  ASSERT_TRUE(RunUntil(
      io_,
      [&] {
        if (NodeState("ground-a") != v1::NODE_STATE_DOWN) return false;
        down_after = std::chrono::steady_clock::now() - killed_at;
        return true;
      },
      10s));
  EXPECT_GE(down_after, 400ms) << "marked down before the heartbeat timeout";
  EXPECT_LE(down_after, 3s) << "marked down long after the heartbeat timeout";

  // Re-queued, placed on ground-b, resumed from ground-a's last checkpoint.
  ASSERT_TRUE(RunUntil(
      io_,
      [&] {
        v1::JobStatus job = Job(id);
        return job.placement().node_id() == "ground-b" && job.state() == v1::JOB_STATE_RUNNING;
      },
      20s))
      << b->Log();
  const auto resumed_at = std::chrono::steady_clock::now();
  EXPECT_GE(Job(id).progress_gpu_hours(), checkpointed) << "progress went backwards";
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(id).state() == v1::JOB_STATE_SUCCEEDED; }, 30s))
      << b->Log();
  // Half the work was left; a restart from zero would take the full 12 s.
  EXPECT_LT(std::chrono::steady_clock::now() - resumed_at, std::chrono::duration<double>(9.5))
      << "the job did not resume from its checkpoint";
  std::vector<std::string> kinds;
  for (const auto& e : JobEvents(id)) kinds.push_back(e.node_id() + ":" + e.kind());
  EXPECT_NE(std::find(kinds.begin(), kinds.end(), "ground-a:lost"), kinds.end());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "ground-b:JOB_EVENT_FINISHED"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "ground-a:JOB_EVENT_FINISHED"), 0);
}

// An orbital node in relay mode behind its apsis-link, on a scheduler that waits 5 s of silence
// (a cut and the agent's reconnection backoff) before marking a node down.
class OrbitalLinkTest : public AgentFaultsTest {
 protected:
  // The Sun's right ascension now (low-precision solar position, good to ~1 deg).
  static double SunRightAscensionDeg() {
    const double days =
        ToSeconds(SystemClock().Now() - ParseRfc3339("2000-01-01T12:00:00Z").value()) / 86400;
    const double rad = 3.14159265358979 / 180;
    const double g = (357.529 + 0.98560028 * days) * rad;
    const double lambda =
        (280.459 + 0.98564736 * days + 1.915 * std::sin(g) + 0.020 * std::sin(2 * g)) * rad;
    const double ra = std::atan2(std::cos(23.439 * rad) * std::sin(lambda), std::cos(lambda)) / rad;
    return ra < 0 ? ra + 360 : ra;
  }

  std::string AgentsBlock() const override {
    return "agents: {heartbeat_interval: 200ms, down_after_missed_heartbeats: 25,"
           " restart_grace: 2s}\n";
  }
  void MakeMoreKeys() override {
    proc_->MakeKey("orbital-1", "agents");
    proc_->MakeKey("link", "keys");
  }

  // orbital-1's file, read by its agent and by its apsis-link listening on `link_port`.
  std::string OrbitalConfig(int link_port) {
    const std::filesystem::path config = proc_->dir() / "orbital-1.yaml";
    const std::string epoch = FormatRfc3339(SystemClock().Now());
    std::ofstream(config)
        << "node: {id: orbital-1, kind: orbital, gpus: {count: 8, type: H100, watts_each: 700}}\n"
        << "scheduler:\n"
        << "  endpoint: tcp://127.0.0.1:" << link_port << "\n"
        << "  server_public_key: keys/link.pub\n"
        << "  client_key: agents/orbital-1.key\n"
        << "  event_resend_interval: 1s\n"
        << "state_dir: orbital-state\nmetrics_listen: 127.0.0.1:0\n"
        << "executor: {kind: sim, checkpoint_interval: 1s}\n"
        << "forecast: {step: 5s, horizon: 2h}\n"
        << "orbital:\n"
        // At its ascending node under the Sun at the epoch: sunlit for the whole test.
        << "  orbit: {altitude_km: 550, inclination_deg: 53, raan_deg: " << SunRightAscensionDeg()
        << ", epoch: " << epoch << "}\n"
        << "  solar_array: {bol_w: 30000}\n"
        << "  battery: {capacity_wh: 60000, max_charge_w: 20000}\n"
        << "  bus_load_w: 1000\n  radiator_limit_w: 20000\n"
        << "  relay: {mode: always, latency_ms: 20}\n"
        << "  ground_stations:\n"
        << "    - {name: oregon, lat: 45.51, lon: -119.37, min_elevation_deg: 5, uplink_bps: 2.0e6,"
           " downlink_bps: 5.0e7}\n"
        << "link_proxy: {listen: 'tcp://127.0.0.1:" << link_port << "', scheduler_endpoint: '"
        << proc_->agent_endpoint() << "',\n"
        << "             server_key: keys/link.key, scheduler_public_key: keys/scheduler.pub,\n"
        << "             ground_latency_ms: 5, metrics_listen: '127.0.0.1:0'}\n";
    return config.string();
  }

  std::unique_ptr<AgentProcess> StartLink(const std::string& config, const std::string& name) {
    return std::make_unique<AgentProcess>(proc_->dir(), APSIS_LINK_BINARY,
                                          std::vector<std::string>{"--config", config}, name);
  }
};

// The link is killed for ~0.5 s every ~3 s while a job checkpoints every 0.5 s. The agent keeps
// its events journaled and resends them; the scheduler applies each exactly once, in order.
class LinkCutTest : public OrbitalLinkTest {};

TEST_F(LinkCutTest, EveryEventCrossesARepeatedlyCutLinkExactlyOnceInOrder) {
  const std::string config = OrbitalConfig(FreeLoopbackPort());
  auto link = StartLink(config, "link");
  auto agent = StartAgent(config, "agent");
  ASSERT_TRUE(RunUntil(
      io_, [&] { return NodeState("orbital-1") == v1::NODE_STATE_READY; }, 30s))
      << agent->Log() << link->Log();
  constexpr double kSeconds = 12.25, kCheckpoint = 0.5;  // 24 checkpoints, then the finish
  const std::string id = SubmitJob(kSeconds, kCheckpoint);
  ASSERT_FALSE(id.empty());
  int cuts = 0;
  ASSERT_TRUE(RunUntil(
      io_,
      [&] {
        // Cut for 0.4-0.8 s, up for 2.5 s, until the job is done.
        link->Stop(SIGKILL);
        ++cuts;
        std::this_thread::sleep_for(std::chrono::milliseconds(400 + 100 * (cuts % 5)));
        link = StartLink(config, "link");
        for (int i = 0; i < 5 && Job(id).state() != v1::JOB_STATE_SUCCEEDED; ++i) {
          io_.run_for(500ms);
          if (io_.stopped()) io_.restart();
        }
        return Job(id).state() == v1::JOB_STATE_SUCCEEDED;
      },
      60s))
      << "job state " << v1::JobState_Name(Job(id).state()) << "\n"
      << Explain(id) << agent->Log();
  ASSERT_GE(cuts, 4) << "the link was not cut often enough to mean anything";
  std::vector<std::string> kinds;
  int64_t last_at = 0;
  for (const auto& e : JobEvents(id)) {
    if (e.kind().rfind("JOB_EVENT_", 0) != 0) continue;
    kinds.push_back(e.kind());
    EXPECT_GE(e.at_us(), last_at) << "events out of order";
    last_at = e.at_us();
  }
  std::vector<std::string> expected{"JOB_EVENT_STARTED"};
  for (int i = 0; i < 24; ++i) expected.push_back("JOB_EVENT_CHECKPOINTED");
  expected.push_back("JOB_EVENT_FINISHED");
  EXPECT_EQ(kinds, expected) << cuts << " cuts";
}

// An agent restarted mid-job: the sim executor takes its job over from the last checkpoint and
// reports it in its Hello, so the scheduler neither loses nor restarts it; events journaled while
// the scheduler was away survive the agent's own restart.
class AgentRestartTest : public AgentFaultsTest {
 protected:
  // Silence of up to 5 s (an agent restart) is not yet down.
  std::string AgentsBlock() const override {
    return "agents: {heartbeat_interval: 200ms, down_after_missed_heartbeats: 25, "
           "restart_grace: 2s}\n";
  }
};

TEST_F(AgentRestartTest, RestartedAgentTakesOverItsJobAndLosesNoQueuedEvent) {
  const std::string config = GroundAgentConfig("ground-a");
  auto agent = StartAgent(config, "agent-a");
  ASSERT_TRUE(WaitReady("ground-a")) << agent->Log();
  constexpr double kSeconds = 8;
  const std::string id = SubmitJob(kSeconds, 1);
  ASSERT_FALSE(id.empty());
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(id).progress_gpu_hours() >= 8 * 3.0 / 3600; }, 30s))
      << agent->Log();
  agent->Stop(SIGKILL);
  agent = StartAgent(config, "agent-a");
  bool seen_down = false;
  ASSERT_TRUE(RunUntil(
      io_,
      [&] {
        seen_down = seen_down || NodeState("ground-a") == v1::NODE_STATE_DOWN;
        return Job(id).state() == v1::JOB_STATE_SUCCEEDED;
      },
      30s))
      << v1::JobState_Name(Job(id).state()) << "\n"
      << agent->Log();
  EXPECT_FALSE(seen_down);
  EXPECT_NE(agent->Log().find("job taken over after an agent restart"), std::string::npos)
      << agent->Log();
  std::vector<std::string> kinds;
  for (const auto& e : JobEvents(id)) kinds.push_back(e.kind());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "JOB_EVENT_STARTED"), 1) << "started again";
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "JOB_EVENT_FINISHED"), 1);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "lost"), 0);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "reconcile-stop"), 0);

  // A second job finishes while the scheduler is down: its events wait in the agent's journal,
  // then the agent itself is killed. Nothing of it may be lost.
  const std::string second = SubmitJob(3, 1);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(second).state() == v1::JOB_STATE_RUNNING; }, 20s));
  proc_->Kill(SIGKILL);
  std::this_thread::sleep_for(4s);  // the job finishes meanwhile
  agent->Stop(SIGKILL);
  StartScheduler();
  agent = StartAgent(config, "agent-a");
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(second).state() == v1::JOB_STATE_SUCCEEDED; }, 20s))
      << v1::JobState_Name(Job(second).state()) << "\n"
      << agent->Log();
  kinds.clear();
  for (const auto& e : JobEvents(second)) kinds.push_back(e.kind());
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "JOB_EVENT_CHECKPOINTED"), 2);
  EXPECT_EQ(std::count(kinds.begin(), kinds.end(), "JOB_EVENT_FINISHED"), 1);
}

// apsis-agent and apsis-link refuse a secret key file that group or others can read, naming the
// file and the fix, and run once it is 0600 (the scheduler's own key: AccessControlTest).
class KeyFileTest : public OrbitalLinkTest {};

TEST_F(KeyFileTest, AgentRefusesAKeyOthersCanReadAndRunsWithMode600) {
  const std::string config = GroundAgentConfig("ground-a");
  const std::filesystem::path key = proc_->dir() / "agents" / "ground-a.key";
  for (mode_t mode : {0644, 0640, 0604}) {
    ASSERT_EQ(chmod(key.c_str(), mode), 0);
    auto agent = StartAgent(config, "agent-mode-" + std::to_string(mode));
    ExpectKeyRefused(*agent, key, mode);
  }
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  auto agent = StartAgent(config, "agent");
  EXPECT_TRUE(WaitReady("ground-a")) << agent->Log();
}

TEST_F(KeyFileTest, LinkRefusesKeysOthersCanReadAndRunsWithMode600) {
  const std::string config = OrbitalConfig(FreeLoopbackPort());
  // Its own key (link_proxy.server_key) and the agent's, which it uses towards the scheduler.
  for (const char* file : {"keys/link.key", "agents/orbital-1.key"}) {
    const std::filesystem::path key = proc_->dir() / file;
    for (mode_t mode : {0644, 0640}) {
      ASSERT_EQ(chmod(key.c_str(), mode), 0);
      auto link = StartLink(config, "link-mode-" + std::to_string(mode));
      ExpectKeyRefused(*link, key, mode);
    }
    ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  }
  auto link = StartLink(config, "link");
  auto agent = StartAgent(config, "agent");
  EXPECT_TRUE(RunUntil(
      io_, [&] { return NodeState("orbital-1") == v1::NODE_STATE_READY; }, 30s))
      << agent->Log() << link->Log();
}

}  // namespace
}  // namespace apsis::testing
