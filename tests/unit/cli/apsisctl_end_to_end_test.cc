// End to end: the real apsisctl binary against the real apsis-scheduler binary (insecure, on free
// loopback ports, with a temporary state directory). Checks outputs (-o json) and exit codes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "apsisctl_process.h"

namespace apsis::cli {
namespace {

using testing::CommandResult;
using testing::FreeLoopbackPort;
using ::testing::HasSubstr;
using testing::RunApsisctl;
using testing::SchedulerProcess;
using testing::TempDir;
using testing::WriteFile;

class ApsisctlEndToEndTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    const std::string failure =
        scheduler_.Start("  insecure: true\n", {"status", "--insecure", "--timeout", "300ms"});
    ASSERT_EQ(failure, "");
  }

  void TearDown() override { EXPECT_EQ(scheduler_.Stop(), 0); }

  // apsisctl against this scheduler, insecure, JSON unless the arguments say otherwise.
  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.end(), {"--scheduler", scheduler_.client_endpoint(), "--insecure"});
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
  SchedulerProcess scheduler_{dir_};
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
  EXPECT_THAT(refused.err, HasSubstr("jobs[0].training.deadline: is in the past"));
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
