// The real apsis-agent and apsis-link binaries against the real apsis-scheduler on loopback with
// CURVE: a ground agent with the process executor runs a submitted job as a child process; an
// orbital agent behind apsis-link, everything on one scaled clock, completes a job across passes
// while the scheduler never marks it down.
#include "agent_process.h"

#include <gtest/gtest.h>

#include <thread>

#include "agents/agent_config.h"
#include "agents/contact_plan.h"
#include "agents/orbital_power_model.h"
#include "common/clock.h"
#include "scheduler_process.h"

namespace apsis::testing {
namespace {

using namespace std::chrono_literals;

class AgentProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    proc_ = std::make_unique<SchedulerProcess>(
        std::string("agent-") + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    agent_keys_ = proc_->MakeKey("ground-1", "agents");
    operator_ = proc_->MakeKey("ops", "operators");
    proc_->WriteConfig();
    proc_->Start();
    ops_ = std::make_unique<ScriptedPeer>(io_, zmq_, proc_->client_endpoint(), operator_,
                                          proc_->server_keys().public_z85);
    v1::ClientRequest status;
    status.mutable_status();
    ASSERT_TRUE(RunUntil(
        io_, [&] { return Ask(status).ok(); }, 20s))
        << "no scheduler";
  }
  void TearDown() override {
    if (HasFailure() || std::getenv("APSIS_TEST_LOGS") != nullptr) {
      std::fprintf(stderr, "--- scheduler log ---\n%s\n", proc_->Log().c_str());
      if (agent_) std::fprintf(stderr, "--- agent log ---\n%s\n", agent_->Log().c_str());
    }
  }

  Result<v1::Envelope> Ask(v1::ClientRequest request) {
    v1::Envelope e;
    *e.mutable_client_request() = std::move(request);
    return ops_->Ask(std::move(e), 2s);
  }

  void StartGroundAgent() {
    const std::filesystem::path dir = proc_->dir();
    std::ofstream(dir / "ground-1.yaml")
        << "node: {id: ground-1, kind: ground, gpus: {count: 8, type: H100, watts_each: 700}}\n"
        << "scheduler:\n"
        << "  endpoint: " << proc_->agent_endpoint() << "\n"
        << "  server_public_key: keys/scheduler.pub\n"
        << "  client_key: agents/ground-1.key\n"
        << "  event_resend_interval: 2s\n"
        << "state_dir: agent-state\n"
        << "metrics_listen: 127.0.0.1:0\n"
        << "executor: {kind: process, work_root: agent-jobs, grace: 2s}\n"
        << "forecast: {step: 5s, horizon: 2h}  # a short grid: the scheduler starts jobs on it\n"
        << "latencies: [{region: us-west, latency_ms: 5}]\n"
        << "ground: {grid_kw: 100, pue: 1.2, region: us-west}\n";
    agent_ = std::make_unique<AgentProcess>(
        dir, APSIS_AGENT_BINARY,
        std::vector<std::string>{"--config", (dir / "ground-1.yaml").string()});
  }

  v1::JobStatus Job(const std::string& id) {
    v1::ClientRequest req;
    req.mutable_get_job()->set_job_id(id);
    auto answer = Ask(req);
    return answer.ok() ? answer->client_response().job() : v1::JobStatus();
  }

  boost::asio::io_context io_;
  zmq::context_t zmq_;
  std::unique_ptr<SchedulerProcess> proc_;
  transport::CurveKeyPair agent_keys_, operator_;
  std::unique_ptr<ScriptedPeer> ops_;
  std::unique_ptr<AgentProcess> agent_;
};

TEST_F(AgentProcessTest, GroundAgentRunsASubmittedJobToCompletion) {
  StartGroundAgent();
  v1::ClientRequest node;
  node.mutable_get_node()->set_node_id("ground-1");
  ASSERT_TRUE(RunUntil(
      io_,
      [&] {
        auto answer = Ask(node);
        return answer.ok() && answer->client_response().node().state() == v1::NODE_STATE_READY;
      },
      20s))
      << "the agent never registered";

  v1::ClientRequest submit;
  v1::JobSpec* job = submit.mutable_submit()->add_jobs();
  job->set_kind(v1::JOB_KIND_TRAINING);
  job->set_gpus(2);
  job->set_gpu_type("H100");
  job->set_watts_per_gpu(700);
  job->mutable_training()->set_gpu_hours(0.01);
  job->add_command("/bin/sh");
  job->add_command("-c");
  job->add_command("echo \"$APSIS_JOB_ID on $CUDA_VISIBLE_DEVICES\"; sleep 0.5");
  auto answer = Ask(submit);
  ASSERT_TRUE(answer.ok()) << answer.status().ToString();
  ASSERT_EQ(answer->client_response().submitted().job_ids_size(), 1);
  const std::string id = answer->client_response().submitted().job_ids(0);

  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(id).state() == v1::JOB_STATE_SUCCEEDED; }, 60s))
      << "job state " << v1::JobState_Name(Job(id).state());
  const std::string out = (proc_->dir() / "agent-jobs" / id / "stdout.log").string();
  std::ifstream in(out);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line.rfind(id + " on ", 0), 0u) << line;

  const int status = agent_->Stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << agent_->Log();
  EXPECT_NE(agent_->Log().find("exited cleanly"), std::string::npos);
}

// Scheduler, apsis-link and an orbital apsis-agent on one scaled clock (600× real time; a missed
// heartbeat is 0.1 s of real time, so "down" allows ten of them to ride out a loaded machine): the
// agent talks to the scheduler only through its contact windows, yet a submitted job runs and
// succeeds, and the scheduler never marks the node down (out of contact is not down).
TEST(OrbitalEmulationTest, OrbitalAgentBehindLinkCompletesAJobAcrossPasses) {
  boost::asio::io_context io;
  zmq::context_t zmq;
  SchedulerProcess proc("orbital-emulation");
  proc.MakeKey("orbital-1", "agents");
  const transport::CurveKeyPair ops_keys = proc.MakeKey("ops", "operators");
  proc.MakeKey("link", "keys");
  const std::filesystem::path dir = proc.dir();
  for (const char* d : {"agents", "operators", "submitters"}) {
    std::filesystem::create_directories(dir / d);
  }
  const double factor = 600;
  const TimePoint epoch = ParseRfc3339("2026-03-01T00:00:00Z").value();
  // Every process reads `epoch` at the same wall-clock instant, a little after the scheduler is up.
  const std::string real_start = FormatRfc3339(apsis::SystemClock().Now() + Seconds(3));
  const std::string clock = "clock: {mode: scaled, epoch: " + FormatRfc3339(epoch) +
                            ", factor: 600, real_start: " + real_start + "}\n";
  std::ofstream(dir / "scheduler.yaml")
      << "cluster_id: it\nstate_dir: state\n"
      << "agent_endpoint: " << proc.agent_endpoint() << "\n"
      << "client_endpoint: " << proc.client_endpoint() << "\n"
      << "metrics_listen: 127.0.0.1:" << proc.metrics_port() << "\n"
      << "plan_interval: 60s\n"
      << "security: {server_key: keys/scheduler.key, agents_allowlist: agents,\n"
      << "           operators_allowlist: operators, submitters_allowlist: submitters}\n"
      << "agents: {heartbeat_interval: 60s, down_after_missed_heartbeats: 10, restart_grace: 60s}\n"
      << clock;
  const std::string stations =
      "  ground_stations:\n"
      "    - {name: oregon, lat: 45.51, lon: -119.37, min_elevation_deg: 5, uplink_bps: 2.0e6,"
      " downlink_bps: 5.0e7}\n"
      "    - {name: madrid, lat: 40.43, lon: -4.25, min_elevation_deg: 5, uplink_bps: 2.0e6,"
      " downlink_bps: 5.0e7}\n"
      "    - {name: perth, lat: -31.80, lon: 115.89, min_elevation_deg: 5, uplink_bps: 2.0e6,"
      " downlink_bps: 5.0e7}\n";
  const int link_port = FreeLoopbackPort();
  std::ofstream(dir / "orbital-1.yaml")
      << "node: {id: orbital-1, kind: orbital, gpus: {count: 8, type: H100, watts_each: 700}}\n"
      << "scheduler:\n"
      << "  endpoint: tcp://127.0.0.1:" << link_port << "\n"
      << "  server_public_key: keys/link.pub\n"
      << "  client_key: agents/orbital-1.key\n"
      << "  hello_retry: 60s\n  event_resend_interval: 5m\n"
      << clock << "state_dir: orbital-state\nmetrics_listen: 127.0.0.1:0\n"
      << "executor: {kind: sim, checkpoint_interval: 15m}\n"
      << "forecast: {step: 60s, horizon: 24h, interval: 30m}\n"
      << "orbital:\n"
      << "  orbit: {altitude_km: 550, inclination_deg: 53, epoch: " << FormatRfc3339(epoch) << "}\n"
      << "  solar_array: {bol_w: 30000}\n"
      << "  battery: {capacity_wh: 60000, max_charge_w: 20000}\n"
      << "  bus_load_w: 1000\n  radiator_limit_w: 20000\n"
      << stations << "link_proxy: {listen: 'tcp://127.0.0.1:" << link_port
      << "', scheduler_endpoint: '" << proc.agent_endpoint() << "',\n"
      << "             server_key: keys/link.key, scheduler_public_key: keys/scheduler.pub,\n"
      << "             ground_latency_ms: 20, metrics_listen: '127.0.0.1:0'}\n";

  // The windows every process will compute, to know when the node can be reached.
  auto config = agents::LoadAgentConfig((dir / "orbital-1.yaml").string());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto elements = agents::ElementsFromOrbit(config->orbital->orbit, "orbital-1");
  ASSERT_TRUE(elements.ok());
  agents::ContactPlan plan(link::Sgp4::Create(*elements).value(), config->stations);
  auto windows = plan.Windows(epoch, epoch + Hours(24));
  ASSERT_TRUE(windows.ok());
  ASSERT_GE(windows->size(), 4u);

  proc.Start();
  apsis::ScaledClock scaled(epoch, factor, ParseRfc3339(real_start).value());
  ScriptedPeer ops(io, zmq, proc.client_endpoint(), ops_keys, proc.server_keys().public_z85);
  auto ask = [&](v1::ClientRequest request) {
    v1::Envelope e;
    *e.mutable_client_request() = std::move(request);
    return ops.Ask(std::move(e), 2s);
  };
  v1::ClientRequest status;
  status.mutable_status();
  ASSERT_TRUE(RunUntil(
      io, [&] { return ask(status).ok(); }, 20s))
      << proc.Log();
  AgentProcess link(dir, APSIS_LINK_BINARY, {"--config", (dir / "orbital-1.yaml").string()});
  AgentProcess agent(dir, APSIS_AGENT_BINARY, {"--config", (dir / "orbital-1.yaml").string()});
  auto dump = [&] {
    return "--- scheduler ---\n" + proc.Log() + "\n--- link ---\n" + link.Log() +
           "\n--- agent ---\n" + agent.Log();
  };
  v1::ClientRequest get_node;
  get_node.mutable_get_node()->set_node_id("orbital-1");
  bool seen_down = false;
  auto node_state = [&] {
    auto answer = ask(get_node);
    const v1::NodeState state =
        answer.ok() ? answer->client_response().node().state() : v1::NODE_STATE_UNSPECIFIED;
    seen_down = seen_down || state == v1::NODE_STATE_DOWN;
    return state;
  };
  // The Hello crosses the link at the first AOS.
  ASSERT_TRUE(RunUntil(
      io, [&] { return node_state() != v1::NODE_STATE_UNSPECIFIED; }, 90s))
      << dump();
  const TimePoint registered_at = scaled.Now();
  bool in_window = false;
  for (const ContactWindow& w : *windows) in_window = in_window || w.Contains(registered_at);
  EXPECT_TRUE(in_window || registered_at < windows->front().aos + Minutes(2))
      << "registered at " << FormatRfc3339(registered_at) << " outside every window";

  v1::ClientRequest submit;
  v1::JobSpec* job = submit.mutable_submit()->add_jobs();
  job->set_kind(v1::JOB_KIND_TRAINING);
  job->set_gpus(4);
  job->set_gpu_type("H100");
  job->set_watts_per_gpu(700);
  job->mutable_training()->set_gpu_hours(4);  // one hour of clock time on 4 GPUs
  job->mutable_training()->set_checkpoint_interval_us(Minutes(15).count());
  auto submitted = ask(submit);
  ASSERT_TRUE(submitted.ok()) << submitted.status().ToString();
  ASSERT_EQ(submitted->client_response().submitted().job_ids_size(), 1);
  const std::string id = submitted->client_response().submitted().job_ids(0);
  v1::ClientRequest get_job;
  get_job.mutable_get_job()->set_job_id(id);
  v1::JobState state = v1::JOB_STATE_UNSPECIFIED;
  ASSERT_TRUE(RunUntil(
      io,
      [&] {
        node_state();
        auto answer = ask(get_job);
        if (answer.ok()) state = answer->client_response().job().state();
        return state == v1::JOB_STATE_SUCCEEDED;
      },
      120s))
      << "job state " << v1::JobState_Name(state) << "\n"
      << dump();
  EXPECT_FALSE(seen_down) << dump();
  EXPECT_EQ(WEXITSTATUS(agent.Stop(SIGTERM)), 0);
  EXPECT_EQ(WEXITSTATUS(link.Stop(SIGTERM)), 0);
  if (std::getenv("APSIS_TEST_LOGS") != nullptr) std::fprintf(stderr, "%s\n", dump().c_str());
}

}  // namespace
}  // namespace apsis::testing
