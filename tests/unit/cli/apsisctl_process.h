// Test helpers that run the real binaries: a temporary directory, free loopback ports, apsisctl
// runs with captured output and exit code, and an apsis-scheduler process started on a given
// security section and stopped with SIGTERM. Waits are bounded; the only polling is for process
// exit and for the scheduler's first answer.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/loopback_port.h"

namespace apsis::cli::testing {

// mkdtemp under /tmp, removed with everything in it on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::string ReadWholeFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

using ::apsis::testing::FreeLoopbackPort;

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  // stdout parsed as JSON (a test failure and null when it is not JSON).
  nlohmann::json Json() const;
};

// Runs apsisctl with `args`; `env` entries override the inherited environment. The output files
// live in `dir`.
CommandResult RunApsisctl(const TempDir& dir, std::vector<std::string> args,
                          const std::map<std::string, std::string>& env = {});

// apsis-scheduler on free loopback ports with its state in `dir`/state.
class SchedulerProcess {
 public:
  explicit SchedulerProcess(const TempDir& dir) : dir_(dir) {}
  ~SchedulerProcess();  // SIGKILL if Stop was not called

  // Writes the config (`security_yaml` is the indented body of the security: section), starts
  // the binary, and polls `probe` (apsisctl arguments, to which --scheduler is added; run until
  // it exits 0) for at most 30 s. Returns an empty string on success, else what went wrong with the
  // scheduler's stderr.
  // `extra_yaml` is appended to the config as is (top-level sections such as agents:).
  std::string Start(const std::string& security_yaml, const std::vector<std::string>& probe,
                    const std::map<std::string, std::string>& probe_env = {},
                    const std::string& extra_yaml = "");

  // SIGTERM and wait (bounded); returns the exit code.
  int Stop();

  const std::string& client_endpoint() const { return client_endpoint_; }
  const std::string& agent_endpoint() const { return agent_endpoint_; }

 private:
  const TempDir& dir_;
  std::string client_endpoint_;
  std::string agent_endpoint_;
  pid_t pid_ = -1;
};

}  // namespace apsis::cli::testing
