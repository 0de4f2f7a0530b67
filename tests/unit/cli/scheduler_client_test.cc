// The shared connection: option checks, key loading with errors that say what to do, exit codes,
// and a request to an address where nothing answers.
#include "cli/scheduler_client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "transport/curve_keys.h"

namespace apsis::cli {
namespace {

using ::testing::HasSubstr;

// A temporary $HOME, so that the defaults under ~/.config/apsis point into it.
class SchedulerClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/apsisctl-home-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    home_ = pattern;
    const char* old = std::getenv("HOME");
    old_home_ = old ? old : "";
    setenv("HOME", home_.c_str(), 1);
  }
  void TearDown() override {
    setenv("HOME", old_home_.c_str(), 1);
    std::filesystem::remove_all(home_);
  }

  void WriteDefaultKeys() {
    const std::string dir = home_ + "/.config/apsis";
    std::filesystem::create_directories(dir);
    auto client = transport::GenerateCurveKeyPair();
    auto server = transport::GenerateCurveKeyPair();
    ASSERT_TRUE(client.ok() && server.ok());
    ASSERT_TRUE(transport::WriteCurveKeyFiles(dir, "client", *client).ok());
    ASSERT_TRUE(transport::WriteCurveKeyFiles(dir, "scheduler", *server).ok());
    client_public_ = client->public_z85;
    server_public_ = server->public_z85;
  }

  std::string home_;
  std::string old_home_;
  std::string client_public_;
  std::string server_public_;
};

TEST_F(SchedulerClientTest, MissingClientKeySaysHowToCreateOne) {
  auto resolved = ResolveConnection(ConnectionOptions{});
  ASSERT_FALSE(resolved.ok());
  EXPECT_EQ(resolved.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(resolved.status().message(),
              HasSubstr("no client key at ~/.config/apsis/client.key: create one with `apsisctl "
                        "keygen client -d ~/.config/apsis` and ask an operator to add client.pub "
                        "to the scheduler's allowlist, or pass --key"));
}

TEST_F(SchedulerClientTest, MissingSchedulerKeyNamesServerKeyFlag) {
  WriteDefaultKeys();
  std::filesystem::remove(home_ + "/.config/apsis/scheduler.pub");
  auto resolved = ResolveConnection(ConnectionOptions{});
  ASSERT_FALSE(resolved.ok());
  EXPECT_THAT(resolved.status().message(),
              HasSubstr("no scheduler public key at ~/.config/apsis/scheduler.pub"));
  EXPECT_THAT(resolved.status().message(), HasSubstr("--server-key"));
}

TEST_F(SchedulerClientTest, DefaultKeysAreLoadedFromTheConfigDirectory) {
  WriteDefaultKeys();
  auto resolved = ResolveConnection(ConnectionOptions{});
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  ASSERT_TRUE(resolved->dealer.curve.has_value());
  EXPECT_EQ(resolved->dealer.curve->public_z85, client_public_);
  EXPECT_EQ(resolved->dealer.server_public_key, server_public_);
  EXPECT_EQ(resolved->dealer.endpoint, "tcp://127.0.0.1:7701");
  EXPECT_EQ(resolved->timeout, std::chrono::seconds(10));
  EXPECT_EQ(resolved->output, OutputFormat::kTable);
}

TEST_F(SchedulerClientTest, ExplicitKeyPathsWinOverTheDefaults) {
  ConnectionOptions options;
  options.key_path = home_ + "/elsewhere/me.key";
  auto resolved = ResolveConnection(options);
  ASSERT_FALSE(resolved.ok());
  EXPECT_THAT(resolved.status().message(),
              HasSubstr("no client key at ~/elsewhere/me.key: create one with `apsisctl keygen "
                        "me -d ~/elsewhere` and ask an operator to add me.pub"));
}

TEST_F(SchedulerClientTest, InsecureNeedsNoKeys) {
  ConnectionOptions options;
  options.insecure = true;
  options.output = "json";
  options.timeout = "250ms";
  auto resolved = ResolveConnection(options);
  ASSERT_TRUE(resolved.ok()) << resolved.status().message();
  EXPECT_FALSE(resolved->dealer.curve.has_value());
  EXPECT_EQ(resolved->timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(resolved->output, OutputFormat::kJson);
}

TEST_F(SchedulerClientTest, BadTimeoutOutputAndEndpointAreUsageErrors) {
  ConnectionOptions options;
  options.insecure = true;
  options.timeout = "soon";
  EXPECT_THAT(ResolveConnection(options).status().message(),
              HasSubstr("--timeout 'soon' is not a positive duration"));
  options.timeout = "10s";
  options.output = "csv";
  EXPECT_THAT(ResolveConnection(options).status().message(),
              HasSubstr("unknown output format 'csv'"));
  options.output = "table";
  options.scheduler = "sched.example:7701";
  EXPECT_THAT(ResolveConnection(options).status().message(),
              HasSubstr("--scheduler 'sched.example:7701' is not a ZeroMQ endpoint"));
}

TEST(SchedulerClientExitCodeTest, TimeoutIsUnreachableAndEverythingElseIsRefused) {
  EXPECT_EQ(ExitCodeForCallFailure(DeadlineExceededError("x")), kExitUnreachable);
  EXPECT_EQ(ExitCodeForCallFailure(InvalidArgumentError("x")), kExitRefused);
  EXPECT_EQ(ExitCodeForCallFailure(NotFoundError("x")), kExitRefused);
  EXPECT_EQ(ExitCodeForCallFailure(PermissionDeniedError("x")), kExitRefused);
  EXPECT_EQ(ExitCodeForCallFailure(FailedPreconditionError("x")), kExitRefused);
}

TEST(SchedulerClientCallTest, NobodyListeningEndsInDeadlineExceededWithAdvice) {
  ConnectionOptions options;
  options.insecure = true;
  options.timeout = "200ms";
  options.scheduler = "tcp://127.0.0.1:9";  // discard port: nothing answers there
  auto resolved = ResolveConnection(options);
  ASSERT_TRUE(resolved.ok());
  auto client = SchedulerClient::Connect(*resolved);
  ASSERT_TRUE(client.ok()) << client.status().message();
  v1::ClientRequest request;
  request.mutable_status();
  auto response = (*client)->Call(std::move(request));
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.status().code(), StatusCode::kDeadlineExceeded);
  EXPECT_THAT(response.status().message(),
              HasSubstr("no answer from tcp://127.0.0.1:9 within 200ms: is apsis-scheduler "
                        "running there"));
}

}  // namespace
}  // namespace apsis::cli
