// Access control of the real apsis-scheduler: every client request type as an operator, as the
// submitter who owns a job, as another submitter, as an agent key and as an unknown key; an agent
// that tries to speak for another node or report another node's job; secret key files readable by
// others (the scheduler's and apsisctl's); secrets in logs.
#include <sys/stat.h>

#include <cstdio>

#include "scheduler_fixture.h"

namespace apsis::testing {
namespace {

using namespace std::chrono_literals;

class AccessControlTest : public SchedulerFixture {
 protected:
  void SetUp() override {
    SchedulerFixture::SetUp();
    bob_ = proc_->MakeKey("bob", "submitters");
    // New allowlist entries take effect on SIGHUP, without a restart.
    kill(proc_->pid(), SIGHUP);
    agent_ = Peer(proc_->agent_endpoint(), agent_a_);
    ASSERT_TRUE(Hello(*agent_, "ground-1", false).has_welcome());
    GroundForecast(*agent_, "ground-1");
    alice_ = Peer(proc_->client_endpoint(), submitter_);
    bob_peer_ = Peer(proc_->client_endpoint(), bob_);
    auto ids = Submit(*alice_, 1);
    ASSERT_EQ(ids.size(), 1u);
    alice_job_ = ids[0];
    ASSERT_TRUE(RunUntil(
        io_, [&] { return Ask(*bob_peer_, Status()).ok(); }, 10s))
        << "bob's key was not admitted after SIGHUP";
  }

  // Every request type, aimed at alice's job and ground-1.
  std::vector<std::pair<std::string, v1::ClientRequest>> EveryRequest() const {
    std::vector<std::pair<std::string, v1::ClientRequest>> all;
    v1::ClientRequest r;
    AddTrainingJob(r.mutable_submit(), 1, 1);
    all.emplace_back("submit", r);
    r.Clear();
    r.mutable_get_job()->set_job_id(alice_job_);
    all.emplace_back("get_job", r);
    r.Clear();
    r.mutable_list_jobs();
    all.emplace_back("list_jobs", r);
    r.Clear();
    r.mutable_list_nodes();
    all.emplace_back("list_nodes", r);
    r.Clear();
    r.mutable_get_node()->set_node_id("ground-1");
    all.emplace_back("get_node", r);
    r.Clear();
    r.mutable_explain()->set_job_id(alice_job_);
    all.emplace_back("explain", r);
    r.Clear();
    r.mutable_events()->set_job_id(alice_job_);
    all.emplace_back("events", r);
    r.Clear();
    r.mutable_events();
    all.emplace_back("events_by_time", r);
    r.Clear();
    r.mutable_status();
    all.emplace_back("status", r);
    for (v1::NodeAction a : {v1::NODE_ACTION_CORDON, v1::NODE_ACTION_UNCORDON}) {
      r.Clear();
      r.mutable_set_node_state()->set_node_id("ground-1");
      r.mutable_set_node_state()->set_action(a);
      all.emplace_back("set_node_state " + v1::NodeAction_Name(a), r);
    }
    r.Clear();
    r.mutable_backup()->set_dir((proc_->dir() / "backup-by-test").string());
    all.emplace_back("backup", r);
    r.Clear();
    r.mutable_cancel()->set_job_id(alice_job_);
    all.emplace_back("cancel", r);  // last: it ends alice's job
    return all;
  }

  // Whether `answer` lists a job, or an event of a job, that `owner` does not own.
  bool MentionsOthersJobs(const v1::Envelope& answer, const std::string& owner) {
    for (const auto& e : answer.client_response().events().events())
      if (!e.job_id().empty() && Job(e.job_id()).spec().owner() != owner) return true;
    for (const auto& j : answer.client_response().jobs().jobs())
      if (j.spec().owner() != owner) return true;
    return false;
  }

  transport::CurveKeyPair bob_;
  std::unique_ptr<ScriptedPeer> agent_, alice_, bob_peer_;
  std::string alice_job_;
};

TEST_F(AccessControlTest, EveryClientRequestIsCheckedAgainstTheCallersRole) {
  // Bob (a submitter, not the owner) first: reads of the fleet succeed, alice's job is invisible
  // to him, and every operator-only request is refused.
  const std::set<std::string> bob_allowed = {"submit",   "list_jobs",      "list_nodes",
                                             "get_node", "events_by_time", "status"};
  for (const auto& [name, request] : EveryRequest()) {
    auto answer = Ask(*bob_peer_, request);
    if (bob_allowed.count(name)) {
      ASSERT_TRUE(answer.ok()) << "bob: " << name << ": " << answer.status().ToString();
      EXPECT_FALSE(MentionsOthersJobs(*answer, "bob")) << "bob sees others' jobs in " << name;
    } else {
      ASSERT_FALSE(answer.ok()) << "bob was allowed " << name;
      EXPECT_EQ(answer.status().code(), StatusCode::kPermissionDenied)
          << "bob: " << name << ": " << answer.status().ToString();
    }
  }
  EXPECT_FALSE(std::filesystem::exists(proc_->dir() / "backup-by-test"));
  EXPECT_EQ(Job(alice_job_).state() != v1::JOB_STATE_CANCELLED, true) << "bob cancelled it";

  // Alice (the owner): her own job in full, operator-only requests refused.
  const std::set<std::string> operator_only = {"set_node_state NODE_ACTION_CORDON",
                                               "set_node_state NODE_ACTION_UNCORDON", "backup"};
  for (const auto& [name, request] : EveryRequest()) {
    auto answer = Ask(*alice_, request);
    if (operator_only.count(name)) {
      ASSERT_FALSE(answer.ok()) << "alice was allowed " << name;
      EXPECT_EQ(answer.status().code(), StatusCode::kPermissionDenied) << name;
      EXPECT_NE(answer.status().message().find("operator"), std::string::npos)
          << "the refusal should say who may: " << answer.status().message();
    } else {
      ASSERT_TRUE(answer.ok()) << "alice: " << name << ": " << answer.status().ToString();
      if (name == "list_jobs" || name == "events_by_time" || name == "events") {
        EXPECT_FALSE(MentionsOthersJobs(*answer, "alice")) << "alice sees others' jobs in " << name;
      }
    }
  }
  EXPECT_EQ(Job(alice_job_).state(), v1::JOB_STATE_CANCELLED);
  EXPECT_EQ(NodeState("ground-1"), v1::NODE_STATE_READY);

  // The operator: everything.
  for (const auto& [name, request] : EveryRequest()) {
    auto answer = Ask(*ops_, request);
    if (name == "cancel") {  // alice already cancelled it: refused for that reason, not the role
      EXPECT_EQ(answer.status().code(), StatusCode::kFailedPrecondition) << name;
      continue;
    }
    EXPECT_TRUE(answer.ok()) << "operator: " << name << ": " << answer.status().ToString();
  }
  EXPECT_TRUE(std::filesystem::exists(proc_->dir() / "backup-by-test"));
}

TEST_F(AccessControlTest, AgentAndUnknownKeysAreRefusedOnTheClientEndpoint) {
  // The ZAP handler refuses the handshake: no request gets through, not even Status.
  auto as_agent = Peer(proc_->client_endpoint(), agent_a_);
  EXPECT_FALSE(Ask(*as_agent, Status()).ok());
  const transport::CurveKeyPair stranger = *transport::GenerateCurveKeyPair();
  auto unknown = Peer(proc_->client_endpoint(), stranger);
  EXPECT_FALSE(Ask(*unknown, Status()).ok());
  // A client key on the agent endpoint cannot register a node.
  auto client_as_agent = Peer(proc_->agent_endpoint(), operator_);
  v1::Envelope answer = Hello(*client_as_agent, "ground-x", false);
  EXPECT_FALSE(answer.has_welcome());
  EXPECT_EQ(NodeState("ground-x"), v1::NODE_STATE_UNSPECIFIED);
  EXPECT_NE(proc_->Log().find(stranger.public_z85), std::string::npos)
      << "a refused handshake should log the peer's public key";
}

TEST_F(AccessControlTest, AnAgentCannotReportOnAnotherNodesJobs) {
  // alice's job runs on ground-1; agent B registers ground-2 with its own key.
  auto start = agent_->Next(v1::Envelope::kStartJob);
  ASSERT_TRUE(start.has_value());
  JobEvent(*agent_, "ground-1", 1, alice_job_, v1::JOB_EVENT_STARTED);
  ASSERT_TRUE(agent_->Next(v1::Envelope::kAck).has_value());
  auto b = Peer(proc_->agent_endpoint(), agent_b_);
  ASSERT_TRUE(Hello(*b, "ground-2", false).has_welcome());
  // B, under its own node id, claims alice's job finished; then tries ground-1's node id.
  JobEvent(*b, "ground-2", 1, alice_job_, v1::JOB_EVENT_FINISHED);
  JobEvent(*b, "ground-1", 2, alice_job_, v1::JOB_EVENT_FAILED);
  auto refused = b->Next(v1::Envelope::kError, 3s);
  ASSERT_TRUE(refused.has_value()) << "speaking as ground-1 must be refused";
  EXPECT_EQ(refused->error().code(), v1::ERROR_CODE_PERMISSION_DENIED);
  Pump(Seconds(0.5), {{agent_.get(), "ground-1"}, {b.get(), "ground-2"}});
  EXPECT_EQ(Job(alice_job_).state(), v1::JOB_STATE_RUNNING)
      << "another node's agent changed the job";
  // The real owner still reports normally.
  JobEvent(*agent_, "ground-1", 2, alice_job_, v1::JOB_EVENT_FINISHED);
  ASSERT_TRUE(RunUntil(
      io_, [&] { return Job(alice_job_).state() == v1::JOB_STATE_SUCCEEDED; }, 5s));
}

TEST_F(AccessControlTest, SecretKeyReadableByOthersIsRefusedAndNoSecretIsLogged) {
  proc_->Kill(SIGTERM);
  const auto key = proc_->dir() / "keys" / "scheduler.key";
  ASSERT_EQ(chmod(key.c_str(), 0644), 0);
  proc_->Start();
  for (int i = 0; i < 200 && proc_->Alive(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_FALSE(proc_->Alive()) << "the scheduler started with a world-readable secret key";
  EXPECT_TRUE(WIFEXITED(proc_->exit_status()) && WEXITSTATUS(proc_->exit_status()) != 0);
  const std::string log = proc_->Log();
  EXPECT_NE(log.find("scheduler.key"), std::string::npos) << log;
  EXPECT_NE(log.find("chmod 600"), std::string::npos) << "the error should say how to fix it";
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  StartScheduler();
  // Whatever was logged so far (starts, handshakes, refusals, requests) holds no secret key.
  const std::vector<const transport::CurveKeyPair*> keys = {
      &proc_->server_keys(), &agent_a_, &agent_b_, &operator_, &submitter_, &bob_};
  for (const transport::CurveKeyPair* k : keys) {
    EXPECT_EQ(proc_->Log().find(k->secret_z85), std::string::npos) << "a secret key was logged";
  }
}

// apsisctl refuses a client key file that group or others can read, naming the file and the
// fix, and connects once it is 0600.
class ClientKeyFileTest : public SchedulerFixture {
 protected:
  // `apsisctl status` as the operator; its wait status and everything it printed.
  std::pair<int, std::string> ApsisctlStatus(const std::filesystem::path& key) {
    const std::string command =
        std::string(APSISCTL_BINARY) + " status --scheduler " + proc_->client_endpoint() +
        " --key " + key.string() + " --server-key " +
        (proc_->dir() / "keys" / "scheduler.pub").string() + " --timeout 10s 2>&1";
    std::string output;
    FILE* out = popen(command.c_str(), "r");
    if (out == nullptr) return {-1, "popen failed"};
    char buffer[4096];
    for (size_t n; (n = fread(buffer, 1, sizeof buffer, out)) > 0;) output.append(buffer, n);
    return {pclose(out), output};
  }
};

TEST_F(ClientKeyFileTest, ApsisctlRefusesAKeyOthersCanReadAndConnectsWithMode600) {
  const std::filesystem::path key = proc_->dir() / "operators" / "ops.key";
  for (mode_t mode : {0644, 0640, 0604}) {
    ASSERT_EQ(chmod(key.c_str(), mode), 0);
    auto [status, output] = ApsisctlStatus(key);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << "mode " << mode << ": " << output;
    EXPECT_NE(output.find("'" + key.string() + "'"), std::string::npos) << output;
    EXPECT_NE(output.find("chmod 600 " + key.string()), std::string::npos) << output;
  }
  ASSERT_EQ(chmod(key.c_str(), 0600), 0);
  auto [status, output] = ApsisctlStatus(key);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << output;
}

}  // namespace
}  // namespace apsis::testing
