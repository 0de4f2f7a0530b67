// End to end with CURVE on (the default): keys made by `apsisctl keygen`, the client's key found
// in ~/.config/apsis/, an operator, a submitter, and a key in no allowlist.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "apsisctl_process.h"

namespace apsis::cli {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using testing::RunApsisctl;
using testing::SchedulerProcess;
using testing::TempDir;
using testing::WriteFile;

class ApsisctlCurveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    keys_ = dir_.path() + "/keys";
    for (const char* sub : {"/agents", "/operators", "/submitters"})
      std::filesystem::create_directories(keys_ + sub);
    ASSERT_EQ(Keygen("scheduler", keys_), 0);
    // Each person gets a home whose ~/.config/apsis holds client.key and the scheduler's .pub.
    for (const char* person : {"alice", "bob", "mallory"}) {
      const std::string config_dir = Home(person) + "/.config/apsis";
      std::filesystem::create_directories(config_dir);
      ASSERT_EQ(Keygen("client", config_dir), 0);
      std::filesystem::copy_file(keys_ + "/scheduler.pub", config_dir + "/scheduler.pub");
    }
    // The allowlists name peers by file stem: alice operates, bob submits, mallory is unknown.
    std::filesystem::copy_file(Home("alice") + "/.config/apsis/client.pub",
                               keys_ + "/operators/alice.pub");
    std::filesystem::copy_file(Home("bob") + "/.config/apsis/client.pub",
                               keys_ + "/submitters/bob.pub");
    const std::string failure = scheduler_.Start(
        "  insecure: false\n"
        "  server_key: " +
            keys_ + "/scheduler.key\n" + "  agents_allowlist: " + keys_ + "/agents\n" +
            "  operators_allowlist: " + keys_ + "/operators\n" +
            "  submitters_allowlist: " + keys_ + "/submitters\n",
        {"status", "--timeout", "300ms"}, {{"HOME", Home("alice")}});
    ASSERT_EQ(failure, "");
  }

  void TearDown() override { EXPECT_EQ(scheduler_.Stop(), 0); }

  std::string Home(const std::string& person) const { return dir_.path() + "/home-" + person; }

  int Keygen(const std::string& name, const std::string& dir) {
    const CommandResult result = RunApsisctl(dir_, {"keygen", name, "-d", dir});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return result.exit_code;
  }

  // apsisctl as `person`, with the keys under their ~/.config/apsis.
  CommandResult As(const std::string& person, std::vector<std::string> args) {
    args.insert(args.end(), {"--scheduler", scheduler_.client_endpoint(), "-o", "json"});
    return RunApsisctl(dir_, std::move(args), {{"HOME", Home(person)}});
  }

  TempDir dir_;
  std::string keys_;
  SchedulerProcess scheduler_{dir_};
};

TEST_F(ApsisctlCurveTest, RolesComeFromTheAllowlistsTheKeyIsIn) {
  const std::string jobs = dir_.path() + "/job.yaml";
  WriteFile(jobs,
            "name: owned\nid: alices-job\nkind: training\ngpus: 1\nwatts_per_gpu: 100\n"
            "training: {gpu_hours: 1}\n");
  const CommandResult submitted = As("alice", {"submit", "-f", jobs});
  ASSERT_EQ(submitted.exit_code, 0) << submitted.err;
  const CommandResult shown = As("alice", {"job", "alices-job"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_EQ(shown.Json()["owner"], "alice");

  // A submitter sees and cancels only their own jobs and may not touch nodes.
  const CommandResult listed = As("bob", {"jobs"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_TRUE(listed.Json()["jobs"].empty());
  const CommandResult cancel = As("bob", {"cancel", "alices-job"});
  EXPECT_EQ(cancel.exit_code, 1);
  EXPECT_THAT(cancel.err, HasSubstr("belongs to alice"));
  const CommandResult drain = As("bob", {"drain", "some-node"});
  EXPECT_EQ(drain.exit_code, 1);
  EXPECT_THAT(drain.err, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(drain.err, HasSubstr("operators' allowlist"));

  // ZeroMQ drops a connection whose key is in no allowlist without a word: exit 3 with advice.
  const CommandResult stranger = As("mallory", {"status", "--timeout", "500ms"});
  EXPECT_EQ(stranger.exit_code, 3);
  EXPECT_THAT(stranger.err, HasSubstr("Is this client's public key in the scheduler's operators "
                                      "or submitters allowlist"));

  const CommandResult cancelled = As("alice", {"cancel", "alices-job"});
  EXPECT_EQ(cancelled.exit_code, 0) << cancelled.err;
}

TEST_F(ApsisctlCurveTest, AWrongServerKeyIsUnreachableNotRefused) {
  const CommandResult result = As("alice", {"status", "--timeout", "500ms", "--server-key",
                                            Home("bob") + "/.config/apsis/client.pub"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_THAT(result.err, HasSubstr("is --server-key the scheduler's current public key?"));
}

}  // namespace
}  // namespace apsis::cli
