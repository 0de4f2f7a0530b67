#include "apsisctl_process.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace apsis::cli::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kReadyDeadline{30};
constexpr std::chrono::seconds kProcessDeadline{30};
constexpr std::chrono::seconds kStopDeadline{15};

// Starts `argv` with stdin from /dev/null and stdout/stderr into files.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
            const std::string& stderr_path, const std::map<std::string, std::string>& env) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> environment;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    if (!env.count(entry.substr(0, entry.find('=')))) environment.push_back(entry);
  }
  for (const auto& [name, value] : env) environment.push_back(name + "=" + value);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = -1;
  const int error = posix_spawn(&pid, argv[0].c_str(), &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return error == 0 ? pid : -1;
}

// Waits for `pid` up to `deadline`; kills it (SIGKILL) when it does not end in time.
int WaitForExit(pid_t pid, Clock::duration deadline) {
  const auto until = Clock::now() + deadline;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) != pid) {
    if (Clock::now() > until) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      ADD_FAILURE() << "process " << pid << " did not end in time and was killed";
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // polling for the exit only
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

}  // namespace

TempDir::TempDir() {
  char pattern[] = "/tmp/apsisctl-test-XXXXXX";
  path_ = mkdtemp(pattern) ? pattern : "";
}

TempDir::~TempDir() {
  if (!path_.empty()) std::filesystem::remove_all(path_);
}

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

nlohmann::json CommandResult::Json() const {
  try {
    return nlohmann::json::parse(out);
  } catch (const std::exception& e) {
    ADD_FAILURE() << "not JSON: " << e.what() << "\n" << out << "\nstderr: " << err;
    return nullptr;
  }
}

CommandResult RunApsisctl(const TempDir& dir, std::vector<std::string> args,
                          const std::map<std::string, std::string>& env) {
  args.insert(args.begin(), APSISCTL_PATH);
  const std::string out = dir.path() + "/apsisctl.out";
  const std::string err = dir.path() + "/apsisctl.err";
  CommandResult result;
  const pid_t pid = Spawn(args, out, err, env);
  if (pid < 0) {
    ADD_FAILURE() << "cannot start " << APSISCTL_PATH;
    return result;
  }
  result.exit_code = WaitForExit(pid, kProcessDeadline);
  result.out = ReadWholeFile(out);
  result.err = ReadWholeFile(err);
  return result;
}

SchedulerProcess::~SchedulerProcess() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

std::string SchedulerProcess::Start(const std::string& security_yaml,
                                    const std::vector<std::string>& probe,
                                    const std::map<std::string, std::string>& probe_env,
                                    const std::string& extra_yaml) {
  const int agent_port = FreeLoopbackPort();
  const int client_port = FreeLoopbackPort();
  if (agent_port <= 0 || client_port <= 0) return "no free loopback port";
  client_endpoint_ = "tcp://127.0.0.1:" + std::to_string(client_port);
  agent_endpoint_ = "tcp://127.0.0.1:" + std::to_string(agent_port);
  const std::string config = dir_.path() + "/scheduler.yaml";
  std::string text = "cluster_id: cli-e2e\n";
  text += "state_dir: " + dir_.path() + "/state\n";
  text += "agent_endpoint: " + agent_endpoint_ + "\n";
  text += "client_endpoint: " + client_endpoint_ + "\n";
  text += "metrics_listen: 127.0.0.1:0\n";
  text += "log_level: warn\n";
  text += "security:\n" + security_yaml + extra_yaml;
  WriteFile(config, text);
  const std::string log = dir_.path() + "/scheduler.err";
  pid_ = Spawn({APSIS_SCHEDULER_PATH, "--config", config}, dir_.path() + "/scheduler.out", log, {});
  if (pid_ <= 0) return std::string("cannot start ") + APSIS_SCHEDULER_PATH;
  std::vector<std::string> probe_args = probe;
  probe_args.insert(probe_args.end(), {"--scheduler", client_endpoint_});
  const auto until = Clock::now() + kReadyDeadline;
  while (true) {
    if (RunApsisctl(dir_, probe_args, probe_env).exit_code == 0) return "";
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return "apsis-scheduler exited early:\n" + ReadWholeFile(log);
    }
    if (Clock::now() > until)
      return "apsis-scheduler did not answer in time:\n" + ReadWholeFile(log);
  }
}

int SchedulerProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  const int code = WaitForExit(pid_, kStopDeadline);
  pid_ = -1;
  return code;
}

}  // namespace apsis::cli::testing
