// End to end: the real apsisctl binary against the real apsis-scheduler binary (insecure, on free
// loopback ports, with a temporary state directory). Checks outputs (-o json) and exit codes.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace apsis::cli {
namespace {

using ::testing::HasSubstr;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kReadyDeadline{30};
constexpr std::chrono::seconds kProcessDeadline{30};

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A port the kernel just handed out on 127.0.0.1 and that nobody holds any more.
int FreeLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    close(fd);
    return -1;
  }
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

// Starts `argv` with stdout and stderr going to files; `env` entries override the environment.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& stdout_path,
            const std::string& stderr_path, const std::map<std::string, std::string>& env = {}) {
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
int WaitForExit(pid_t pid, std::chrono::steady_clock::duration deadline) {
  const auto until = Clock::now() + deadline;
  int status = 0;
  while (true) {
    const pid_t done = waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
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

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
  nlohmann::json Json() const {
    try {
      return nlohmann::json::parse(out);
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not JSON: " << e.what() << "\n" << out << "\nstderr: " << err;
      return nullptr;
    }
  }
};

class TempDir {
 public:
  TempDir() {
    char pattern[] = "/tmp/apsisctl-e2e-XXXXXX";
    path_ = mkdtemp(pattern) ? pattern : "";
  }
  ~TempDir() {
    if (!path_.empty()) std::filesystem::remove_all(path_);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

CommandResult RunApsisctl(const TempDir& dir, std::vector<std::string> args,
                          const std::map<std::string, std::string>& env = {}) {
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

void WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
}

class ApsisctlEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    const int agent_port = FreeLoopbackPort();
    const int client_port = FreeLoopbackPort();
    ASSERT_GT(agent_port, 0);
    ASSERT_GT(client_port, 0);
    endpoint_ = "tcp://127.0.0.1:" + std::to_string(client_port);
    const std::string config = dir_.path() + "/scheduler.yaml";
    WriteFile(config,
              "cluster_id: cli-e2e\n"
              "state_dir: " +
                  dir_.path() + "/state\n" + "agent_endpoint: tcp://127.0.0.1:" +
                  std::to_string(agent_port) + "\n" + "client_endpoint: " + endpoint_ + "\n" +
                  "metrics_listen: 127.0.0.1:0\n"
                  "log_level: warn\n"
                  "security:\n"
                  "  insecure: true\n");
    scheduler_pid_ = Spawn({APSIS_SCHEDULER_PATH, "--config", config, "--insecure"},
                           dir_.path() + "/scheduler.out", dir_.path() + "/scheduler.err");
    ASSERT_GT(scheduler_pid_, 0) << "cannot start " << APSIS_SCHEDULER_PATH;
    // Ready once it answers a status request; each attempt waits at most 300 ms.
    const auto until = Clock::now() + kReadyDeadline;
    while (true) {
      CommandResult status = Ctl({"status", "--timeout", "300ms"});
      if (status.exit_code == 0) break;
      int child_status = 0;
      ASSERT_EQ(waitpid(scheduler_pid_, &child_status, WNOHANG), 0)
          << "apsis-scheduler exited early:\n"
          << ReadWholeFile(dir_.path() + "/scheduler.err");
      ASSERT_LT(Clock::now(), until) << "apsis-scheduler did not answer in time:\n"
                                     << ReadWholeFile(dir_.path() + "/scheduler.err");
    }
  }

  void TearDown() override {
    if (scheduler_pid_ <= 0) return;
    kill(scheduler_pid_, SIGTERM);
    EXPECT_EQ(WaitForExit(scheduler_pid_, std::chrono::seconds(15)), 0)
        << ReadWholeFile(dir_.path() + "/scheduler.err");
  }

  // apsisctl against this scheduler, insecure, JSON unless the arguments say otherwise.
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.end(), {"--scheduler", endpoint_, "--insecure"});
    if (std::find(args.begin(), args.end(), "-o") == args.end()) {
      args.insert(args.end(), {"-o", "json"});
    }
    return RunApsisctl(dir_, std::move(args));
  }

  std::string WriteJobs(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    WriteFile(path, text);
    return path;
  }

  TempDir dir_;
  std::string endpoint_;
  pid_t scheduler_pid_ = -1;
};

constexpr const char* kTwoJobs =
    "name: e2e-train\n"
    "id: e2e-train-1\n"
    "kind: training\n"
    "gpus: 4\n"
    "watts_per_gpu: 500\n"
    "training:\n"
    "  gpu_hours: 8\n"
    "  checkpoint_interval: 30m\n"
    "  deadline: 2099-01-01T00:00:00Z\n"
    "---\n"
    "name: e2e-serve\n"
    "kind: inference\n"
    "gpus: 1\n"
    "watts_per_gpu: 300\n"
    "inference:\n"
    "  from: 2099-01-01T00:00:00Z\n"
    "  until: 2099-01-02T00:00:00Z\n"
    "  latency_slo_ms: 100\n"
    "  user_region: eu-west\n";

std::vector<std::string> IdsOf(const nlohmann::json& jobs) {
  std::vector<std::string> ids;
  for (const auto& job : jobs["jobs"]) ids.push_back(job["id"]);
  return ids;
}

TEST_F(ApsisctlEndToEndTest, SubmitListShowCancelAndStatus) {
  const CommandResult submitted = Ctl({"submit", "-f", WriteJobs("jobs.yaml", kTwoJobs)});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const nlohmann::json ids = submitted.Json()["job_ids"];
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[0], "e2e-train-1");
  const std::string serve_id = ids[1];
  EXPECT_THAT(serve_id, ::testing::StartsWith("job-"));

  const CommandResult all = Ctl({"jobs"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_THAT(IdsOf(all.Json()), ::testing::UnorderedElementsAre("e2e-train-1", serve_id));
  const CommandResult inference = Ctl({"jobs", "--kind", "inference"});
  ASSERT_EQ(inference.exit_code, 0) << inference.err;
  EXPECT_THAT(IdsOf(inference.Json()), ::testing::ElementsAre(serve_id));
  const CommandResult limited = Ctl({"jobs", "--limit", "1"});
  EXPECT_EQ(IdsOf(limited.Json()).size(), 1u);

  const CommandResult shown = Ctl({"job", "e2e-train-1"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  const nlohmann::json job = shown.Json();
  EXPECT_EQ(job["name"], "e2e-train");
  EXPECT_EQ(job["kind"], "training");
  EXPECT_EQ(job["spec"]["gpus"], 4);
  EXPECT_EQ(job["spec"]["training"]["checkpoint_interval"], "30m");
  EXPECT_EQ(job["spec"]["training"]["deadline"], "2099-01-01T00:00:00Z");
  EXPECT_NE(job["state"], "cancelled");
  const CommandResult as_yaml = Ctl({"job", "e2e-train-1", "-o", "yaml"});
  ASSERT_EQ(as_yaml.exit_code, 0) << as_yaml.err;
  EXPECT_EQ(YAML::Load(as_yaml.out)["spec"]["id"].as<std::string>(), "e2e-train-1");

  const CommandResult explained = Ctl({"explain", serve_id});
  ASSERT_EQ(explained.exit_code, 0) << explained.err;
  EXPECT_EQ(explained.Json()["job_id"], serve_id);

  const CommandResult cancelled = Ctl({"cancel", "e2e-train-1"});
  ASSERT_EQ(cancelled.exit_code, 0) << cancelled.err;
  EXPECT_EQ(cancelled.Json()["cancelled"], nlohmann::json({"e2e-train-1"}));
  EXPECT_EQ(Ctl({"job", "e2e-train-1"}).Json()["state"], "cancelled");
  const CommandResult only_cancelled = Ctl({"jobs", "--state", "cancelled"});
  EXPECT_THAT(IdsOf(only_cancelled.Json()), ::testing::ElementsAre("e2e-train-1"));

  const CommandResult again = Ctl({"cancel", "e2e-train-1"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.err, HasSubstr("already ended"));
  const CommandResult missing = Ctl({"job", "no-such-job"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no job 'no-such-job'"));
  EXPECT_THAT(missing.err, HasSubstr("apsisctl jobs"));

  const CommandResult status = Ctl({"status"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const nlohmann::json summary = status.Json();
  EXPECT_EQ(summary["cluster_id"], "cli-e2e");
  EXPECT_EQ(summary["jobs"], 2);
  EXPECT_EQ(summary["jobs_by_state"]["cancelled"], 1);
  EXPECT_EQ(summary["nodes"], 0);

  const CommandResult events = Ctl({"events", "--job", "e2e-train-1"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  std::vector<std::string> kinds;
  const nlohmann::json event_list = events.Json();
  for (const auto& e : event_list["events"]) kinds.push_back(e["kind"]);
  EXPECT_THAT(kinds, ::testing::Contains("submitted"));
  EXPECT_THAT(kinds, ::testing::Contains("cancelled"));

  const CommandResult nodes = Ctl({"nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
  EXPECT_TRUE(nodes.Json()["nodes"].empty());
  EXPECT_EQ(Ctl({"drain", "no-such-node"}).exit_code, 1);

  const CommandResult table = Ctl({"jobs", "-o", "table"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("e2e-train-1"));
  EXPECT_THAT(table.out, HasSubstr("cancelled"));
}

TEST_F(ApsisctlEndToEndTest, SpecRefusedByTheSchedulerExitsOneAndSubmitsNothing) {
  const std::string late = WriteJobs("late.yaml",
                                     "name: late\n"
                                     "kind: training\n"
                                     "gpus: 1\n"
                                     "watts_per_gpu: 100\n"
                                     "training:\n"
                                     "  gpu_hours: 1\n"
                                     "  deadline: 2020-01-01T00:00:00Z\n");
  const CommandResult refused = Ctl({"submit", "-f", late});
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("nothing was submitted"));
  EXPECT_THAT(refused.err, HasSubstr("jobs[0].training.deadline_us: is in the past"));
  EXPECT_THAT(refused.err, HasSubstr("(jobs[0] is 'late' in " + late + ")"));
  EXPECT_TRUE(Ctl({"jobs"}).Json()["jobs"].empty());
}

TEST_F(ApsisctlEndToEndTest, LocallyInvalidSpecExitsTwoWithItsPosition) {
  const std::string bad = WriteJobs("bad.yaml",
                                    "name: typo\n"
                                    "kind: training\n"
                                    "gpus: 1\n"
                                    "watts_per_gpu: 100\n"
                                    "trainig:\n"
                                    "  gpu_hours: 1\n");
  const CommandResult result = Ctl({"submit", "-f", bad});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr(bad + ":5:1: unknown key 'trainig' in the top level (did you "
                                          "mean 'training'?)"));
  EXPECT_EQ(Ctl({"submit", "-f", dir_.path() + "/missing.yaml"}).exit_code, 2);
}

TEST(ApsisctlWithoutSchedulerTest, NothingListeningExitsThree) {
  TempDir dir;
  const int port = FreeLoopbackPort();
  ASSERT_GT(port, 0);
  const CommandResult result =
      RunApsisctl(dir, {"status", "--insecure", "--timeout", "300ms", "--scheduler",
                        "tcp://127.0.0.1:" + std::to_string(port)});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("no answer from tcp://127.0.0.1:" + std::to_string(port)));
}

TEST(ApsisctlWithoutSchedulerTest, MissingKeyExitsTwoAndSaysHowToCreateOne) {
  TempDir dir;
  const CommandResult result = RunApsisctl(dir, {"jobs"}, {{"HOME", dir.path()}});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.err, HasSubstr("no client key at ~/.config/apsis/client.key: create one with "
                                    "`apsisctl keygen client -d ~/.config/apsis`"));
}

TEST(ApsisctlWithoutSchedulerTest, SchedulerAddressComesFromTheEnvironment) {
  TempDir dir;
  const int port = FreeLoopbackPort();
  const std::string endpoint = "tcp://127.0.0.1:" + std::to_string(port);
  const CommandResult result = RunApsisctl(dir, {"status", "--insecure", "--timeout", "200ms"},
                                           {{"APSIS_SCHEDULER", endpoint}});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("no answer from " + endpoint));
}

}  // namespace
}  // namespace apsis::cli
