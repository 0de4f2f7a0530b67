// Child processes for executors: spawning in a new process group with per-job environment,
// working directory and log files, and watching for their exit without blocking the event loop.
//
// SpawnChild is thread-safe (fork/exec with everything prepared before the fork). ChildReaper and
// CommandRunner live on one io_context thread: they poll waitpid(WNOHANG) for the pids they watch
// on a steady timer, so a waiting job never blocks the loop, and they reap only their own pids
// (other components' children are never touched).
#pragma once

#include <sys/types.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace apsis::agents {

struct SpawnOptions {
  std::vector<std::string> argv;           // argv[0] is looked up on PATH
  std::map<std::string, std::string> env;  // set on top of the inherited environment
  std::string working_dir;                 // empty: inherit
  std::string stdout_path;                 // empty: /dev/null; appended to otherwise
  std::string stderr_path;                 // empty: /dev/null; appended to otherwise
  bool new_process_group = true;           // the child leads its own group (pgid == pid)
};

// Starts the child. Fails with the reason if argv is empty, a log file cannot be opened, the
// working directory does not exist or exec fails (e.g. "no such program 'foo'").
Result<pid_t> SpawnChild(const SpawnOptions& options);

struct ChildExit {
  int exit_code = 0;  // the exit status, or 128 + signal when killed by a signal
  int signal = 0;     // the terminating signal, 0 if it exited
  std::string Describe() const;
};

class ChildReaper {
 public:
  explicit ChildReaper(boost::asio::io_context& io,
                       std::chrono::milliseconds poll_interval = std::chrono::milliseconds(20));
  ~ChildReaper();
  ChildReaper(const ChildReaper&) = delete;
  ChildReaper& operator=(const ChildReaper&) = delete;

  // Calls `on_exit` on the loop thread once `pid` has exited (and has been reaped).
  void Watch(pid_t pid, std::function<void(ChildExit)> on_exit);
  size_t watching() const { return watched_.size(); }

 private:
  void Arm();
  void Poll();
  boost::asio::steady_timer timer_;
  std::chrono::milliseconds poll_interval_;
  std::map<pid_t, std::function<void(ChildExit)>> watched_;
  bool armed_ = false;
};

// Runs short commands (sbatch, squeue, scancel ...) asynchronously and hands back their output.
class CommandRunner {
 public:
  struct Output {
    ChildExit exit;
    std::string stdout_text;
    std::string stderr_text;
  };
  using Done = std::function<void(Result<Output>)>;

  // `scratch_dir` holds the temporary output files of running commands.
  CommandRunner(boost::asio::io_context& io, std::string scratch_dir,
                std::map<std::string, std::string> env = {});

  void Run(std::vector<std::string> argv, Done done);
  size_t running() const { return running_; }

 private:
  ChildReaper reaper_;
  std::string scratch_dir_;
  std::map<std::string, std::string> env_;
  uint64_t next_id_ = 1;
  size_t running_ = 0;
};

// Reads a whole file (used for command output and small state files).
Result<std::string> ReadWholeFile(const std::string& path);

}  // namespace apsis::agents
