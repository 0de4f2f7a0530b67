// Test support: a real apsis-agent or apsis-link process, its output in DIR/<binary>.log.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace apsis::testing {

class AgentProcess {
 public:
  AgentProcess(const std::filesystem::path& dir, const std::string& binary,
               std::vector<std::string> args)
      : AgentProcess(dir, binary, std::move(args),
                     std::filesystem::path(binary).filename().string()) {}
  // `log_name`: DIR/<log_name>.log, for several processes of the same binary.
  AgentProcess(const std::filesystem::path& dir, const std::string& binary,
               std::vector<std::string> args, const std::string& log_name)
      : log_((dir / (log_name + ".log")).string()) {
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
  pid_t pid() const { return pid_; }

  // Sends `signal` and waits (bounded) for the exit; returns the wait status.
  int Stop(int signal) {
    if (pid_ <= 0) return status_;
    kill(pid_, signal);
    for (int i = 0; i < 200; ++i) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) {
        pid_ = -1;
        return status_;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, &status_, 0);
    pid_ = -1;
    return status_;
  }
  // Waits up to `limit` for the process to exit by itself; true if it did (its wait status is
  // then exit_status()).
  bool ExitsWithin(std::chrono::milliseconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (pid_ > 0 && std::chrono::steady_clock::now() < end) {
      if (waitpid(pid_, &status_, WNOHANG) == pid_) pid_ = -1;
      if (pid_ > 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return pid_ <= 0;
  }
  int exit_status() const { return status_; }
  std::string Log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string log_;
  pid_t pid_ = -1;
  int status_ = 0;
};

}  // namespace apsis::testing
