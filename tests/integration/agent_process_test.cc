// The real apsis-agent binary against the real apsis-scheduler on loopback with CURVE: a ground
// agent with the process executor registers, receives a submitted job, runs it as a child process
// and reports it finished; SIGTERM makes the agent exit cleanly.
#include <gtest/gtest.h>

#include <thread>

#include "scheduler_process.h"

namespace apsis::testing {
namespace {

using namespace std::chrono_literals;

class AgentProcess {
 public:
  AgentProcess(const std::filesystem::path& dir, const std::string& binary,
               std::vector<std::string> args)
      : log_((dir / (std::filesystem::path(binary).filename().string() + ".log")).string()) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log_.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                     0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    args.insert(args.begin(), binary);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    EXPECT_EQ(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~AgentProcess() { Stop(SIGKILL); }

  // Sends `signal` and waits (bounded) for the exit; returns the wait status.
  int Stop(int signal) {
    if (pid_ <= 0) return status_;
    kill(pid_, signal);
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return status_;
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = 0;
};

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

}  // namespace
}  // namespace apsis::testing
