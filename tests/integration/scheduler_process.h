// Test support: a real apsis-scheduler process on free loopback ports with CURVE keys, and
// scripted agents and clients that speak the wire protocol (not the full apsis-agent).
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/loopback_port.h"
#include "transport/curve_keys.h"
#include "transport/dealer_client.h"

extern char** environ;

namespace apsis::testing {

// Polls `done` on `io` until it holds or `limit` passes.
inline bool RunUntil(boost::asio::io_context& io, const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(20)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    io.run_for(std::chrono::milliseconds(5));
    if (io.stopped()) io.restart();
  }
  return done();
}

class SchedulerProcess {
 public:
  explicit SchedulerProcess(const std::string& name) {
    dir_ = std::filesystem::temp_directory_path() /
           ("apsis-it-" + name + "-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ / "keys");
    server_keys_ = MakeKey("scheduler", "keys");
    agent_port_ = FreeLoopbackPort();
    client_port_ = FreeLoopbackPort();
    metrics_port_ = FreeLoopbackPort();
  }
  ~SchedulerProcess() {
    Kill(SIGKILL);
    std::filesystem::remove_all(dir_);
  }

  // Writes DIR/<subdir>/<name>.key/.pub and returns the pair.
  transport::CurveKeyPair MakeKey(const std::string& name, const std::string& subdir) {
    auto keys = *transport::GenerateCurveKeyPair();
    EXPECT_TRUE(transport::WriteCurveKeyFiles((dir_ / subdir).string(), name, keys).ok());
    return keys;
  }

  // `agents`: the agents: block (liveness timing); `extra`: further top-level keys.
  void WriteConfig(const std::string& extra = "", const std::string& agents =
                                                      "agents:\n"
                                                      "  heartbeat_interval: 200ms\n"
                                                      "  down_after_missed_heartbeats: 3\n"
                                                      "  restart_grace: 2s\n") {
    std::ofstream out(dir_ / "scheduler.yaml");
    out << "cluster_id: it\n"
        << "state_dir: state\n"
        << "agent_endpoint: tcp://127.0.0.1:" << agent_port_ << "\n"
        << "client_endpoint: tcp://127.0.0.1:" << client_port_ << "\n"
        << "metrics_listen: 127.0.0.1:" << metrics_port_ << "\n"
        << "plan_interval: 1s\n"
        << "security:\n"
        << "  server_key: keys/scheduler.key\n"
        << "  agents_allowlist: agents\n"
        << "  operators_allowlist: operators\n"
        << "  submitters_allowlist: submitters\n"
        << agents << extra;
    for (const char* d : {"agents", "operators", "submitters"})
      std::filesystem::create_directories(dir_ / d);
  }

  // Adds NAME=VALUE to the environment of the next Start (e.g. fault-injection switches).
  void SetEnv(const std::string& name_value) { env_.push_back(name_value); }

  void Start() {
    const std::string binary = APSIS_SCHEDULER_BINARY;
    const std::string config = (dir_ / "scheduler.yaml").string();
    const std::string log = (dir_ / "scheduler.log").string();
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> argv{const_cast<char*>(binary.c_str()), const_cast<char*>("--config"),
                            const_cast<char*>(config.c_str()), nullptr};
    std::vector<char*> envp;
    for (char** e = environ; *e != nullptr; ++e) envp.push_back(*e);
    for (std::string& e : env_) envp.push_back(e.data());
    envp.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, binary.c_str(), &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
  }

  // Resident memory of the running scheduler (VmRSS), in KiB; 0 if it is not running.
  long RssKiB() const {
    if (pid_ <= 0) return 0;
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return 0;
  }
  // Whether the process is still alive (reaps it if it exited).
  bool Alive() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = status;
      pid_ = -1;
      return false;
    }
    return true;
  }
  pid_t pid() const { return pid_; }

  void Kill(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    exit_status_ = status;
    pid_ = -1;
  }
  bool running() const { return pid_ > 0; }
  int exit_status() const { return exit_status_; }

  std::string Log() const {
    std::ifstream in(dir_ / "scheduler.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  std::string agent_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(agent_port_); }
  std::string client_endpoint() const { return "tcp://127.0.0.1:" + std::to_string(client_port_); }
  int metrics_port() const { return metrics_port_; }
  const transport::CurveKeyPair& server_keys() const { return server_keys_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  transport::CurveKeyPair server_keys_;
  int agent_port_ = 0, client_port_ = 0, metrics_port_ = 0;
  pid_t pid_ = -1;
  int exit_status_ = 0;
  std::vector<std::string> env_;
};

// A peer (agent or client) with its own keys, on the test's io_context.
class ScriptedPeer {
 public:
  ScriptedPeer(boost::asio::io_context& io, zmq::context_t& zmq, const std::string& endpoint,
               const transport::CurveKeyPair& keys, const std::string& server_public_key)
      : io_(io) {
    transport::DealerClientOptions options;
    options.endpoint = endpoint;
    options.curve = keys;
    options.server_public_key = server_public_key;
    client_ = std::move(*transport::DealerClient::Create(
        io, zmq, options, [this](v1::Envelope&& e) { inbox_.push_back(std::move(e)); }));
  }

  void Send(v1::Envelope e) { client_->Send(std::move(e)); }

  Result<v1::Envelope> Ask(v1::Envelope e,
                           std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    std::optional<Result<v1::Envelope>> answer;
    client_->Request(std::move(e), timeout, [&](Result<v1::Envelope> r) { answer = std::move(r); });
    RunUntil(
        io_, [&] { return answer.has_value(); }, timeout + std::chrono::seconds(1));
    if (!answer) return DeadlineExceededError("no answer");
    return std::move(*answer);
  }

  // Waits for the next message with `body` (dropping others), up to `limit`.
  std::optional<v1::Envelope> Next(v1::Envelope::BodyCase body,
                                   std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    std::optional<v1::Envelope> found;
    RunUntil(
        io_,
        [&] {
          while (!inbox_.empty() && !found) {
            if (inbox_.front().body_case() == body) found = inbox_.front();
            inbox_.pop_front();
          }
          return found.has_value();
        },
        limit);
    return found;
  }

  std::deque<v1::Envelope>& inbox() { return inbox_; }

 private:
  boost::asio::io_context& io_;
  std::unique_ptr<transport::DealerClient> client_;
  std::deque<v1::Envelope> inbox_;
};

}  // namespace apsis::testing
