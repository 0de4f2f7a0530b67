// End to end with a node: a scripted ground agent (Hello, Forecast over the real agent endpoint)
// registers with the real apsis-scheduler; apsisctl then reads it (nodes, node), changes its
// state (cordon, drain, uncordon) and explains a job's placement over it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "apsisctl_process.h"
#include "transport/dealer_client.h"

namespace apsis::cli {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using testing::RunApsisctl;
using testing::SchedulerProcess;
using testing::TempDir;
using testing::WriteFile;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kPollDeadline{20};
constexpr double kAvailableW = 50'000;

int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Speaks the agent side of the protocol just enough to register one ground node with a flat
// 24-hour forecast. The DEALER connection stays open while the object lives.
class ScriptedGroundAgent {
 public:
  static constexpr const char* kNodeId = "dc-test";

  explicit ScriptedGroundAgent(const std::string& endpoint) {
    transport::DealerClientOptions options;
    options.endpoint = endpoint;
    auto dealer = transport::DealerClient::Create(io_, zmq_, options, [](v1::Envelope&&) {});
    EXPECT_TRUE(dealer.ok()) << dealer.status().message();
    if (dealer.ok()) dealer_ = std::move(*dealer);
  }

  // Hello, answered by Welcome.
  Status Register() {
    v1::Envelope hello;
    v1::NodeSpec* spec = hello.mutable_hello()->mutable_spec();
    spec->set_id(kNodeId);
    spec->set_kind(v1::NODE_KIND_GROUND);
    spec->mutable_gpus()->set_count(8);
    spec->mutable_gpus()->set_type("H100");
    spec->mutable_gpus()->set_watts_each(700);
    spec->mutable_ground()->set_region("eu-west");
    spec->mutable_ground()->set_pue(1.2);
    spec->mutable_ground()->set_grid_kw(100);
    hello.mutable_hello()->set_agent_time_us(WallMicros());
    std::optional<Result<v1::Envelope>> answer;
    dealer_->Request(std::move(hello), std::chrono::seconds(10), [&](Result<v1::Envelope> r) {
      answer.emplace(std::move(r));
      io_.stop();
    });
    io_.restart();
    io_.run();
    if (!answer || !answer->ok()) return answer ? answer->status() : InternalError("no answer");
    if (!(*answer)->has_welcome()) return InternalError("Hello not answered by Welcome");
    return Status::Ok();
  }

  // A forecast from the current minute: kAvailableW, $0.10/kWh, 200 g/kWh for 24 h.
  void SendForecast() {
    v1::Envelope envelope;
    v1::Forecast* f = envelope.mutable_forecast();
    f->set_node_id(kNodeId);
    const int64_t minute = 60'000'000;
    f->set_start_us(WallMicros() / minute * minute);
    f->set_step_us(minute);
    f->set_revision(1);
    for (int i = 0; i < 24 * 60; ++i) {
      v1::PowerStep* step = f->add_steps();
      step->set_available_w(kAvailableW);
      step->set_price_usd_per_kwh(0.10);
      step->set_carbon_g_per_kwh(200);
    }
    v1::RegionLatency* latency = f->add_latencies();
    latency->set_region("eu-west");
    latency->set_latency_ms(10);
    envelope.set_sender(kNodeId);
    dealer_->Send(std::move(envelope));
    // Let the socket driver hand the message to ZeroMQ.
    io_.restart();
    while (dealer_->queued() > 0 && io_.run_one_for(std::chrono::milliseconds(100)) > 0) {
    }
  }

 private:
  boost::asio::io_context io_;
  zmq::context_t zmq_{1};
  std::unique_ptr<transport::DealerClient> dealer_;
};

class ApsisctlFleetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    // Slow heartbeats: the scripted agent sends none, and must not be declared down mid-test.
    const std::string failure =
        scheduler_.Start("  insecure: true\n", {"status", "--insecure", "--timeout", "300ms"}, {},
                         "agents:\n  heartbeat_interval: 10m\n");
    ASSERT_EQ(failure, "");
    agent_ = std::make_unique<ScriptedGroundAgent>(scheduler_.agent_endpoint());
    ASSERT_TRUE(agent_->Register().ok());
    agent_->SendForecast();
    ASSERT_TRUE(PollUntil({"node", ScriptedGroundAgent::kNodeId}, [](const nlohmann::json& node) {
      return !node["forecast"].is_null();
    })) << "the forecast never reached the scheduler";
  }

  void TearDown() override {
    agent_.reset();
    EXPECT_EQ(scheduler_.Stop(), 0);
  }

  CommandResult Ctl(std::vector<std::string> args) {
    args.insert(args.end(), {"--scheduler", scheduler_.client_endpoint(), "--insecure"});
    if (std::find(args.begin(), args.end(), "-o") == args.end()) {
      args.insert(args.end(), {"-o", "json"});
    }
    return RunApsisctl(dir_, std::move(args));
  }

  // Runs `args` until its JSON satisfies `done` (bounded); the scheduler applies agent messages
  // and plans asynchronously.
  bool PollUntil(const std::vector<std::string>& args,
                 const std::function<bool(const nlohmann::json&)>& done) {
    const auto until = Clock::now() + kPollDeadline;
    while (Clock::now() < until) {
      const CommandResult result = Ctl(args);
      if (result.exit_code == 0 && done(result.Json())) return true;
    }
    return false;
  }

  std::string NodeState() {
    const CommandResult nodes = Ctl({"nodes"});
    EXPECT_EQ(nodes.exit_code, 0) << nodes.err;
    const nlohmann::json list = nodes.Json();
    return list["nodes"].size() == 1 ? list["nodes"][0]["state"].get<std::string>() : "";
  }

  TempDir dir_;
  SchedulerProcess scheduler_{dir_};
  std::unique_ptr<ScriptedGroundAgent> agent_;
};

TEST_F(ApsisctlFleetTest, NodesAndNodeShowTheRegisteredNodeAndItsForecast) {
  const CommandResult nodes = Ctl({"nodes"});
  ASSERT_EQ(nodes.exit_code, 0) << nodes.err;
  const nlohmann::json list = nodes.Json();
  ASSERT_EQ(list["nodes"].size(), 1u);
  EXPECT_EQ(list["nodes"][0]["id"], "dc-test");
  EXPECT_EQ(list["nodes"][0]["kind"], "ground");
  EXPECT_EQ(list["nodes"][0]["state"], "ready");
  EXPECT_EQ(list["nodes"][0]["gpus"]["count"], 8);

  const CommandResult node = Ctl({"node", "dc-test", "--hours", "3"});
  ASSERT_EQ(node.exit_code, 0) << node.err;
  const nlohmann::json detail = node.Json();
  EXPECT_DOUBLE_EQ(detail["power_now"]["available_w"].get<double>(), kAvailableW);
  EXPECT_EQ(detail["next_hours"].size(), 3u);
  EXPECT_NEAR(detail["next_hours"][0]["mean_price_usd_per_kwh"].get<double>(), 0.10, 1e-9);
  EXPECT_TRUE(detail["next_eclipse"].is_null());  // ground nodes have none
  EXPECT_EQ(detail["ground"]["region"], "eu-west");
  EXPECT_DOUBLE_EQ(detail["latencies"]["eu-west"].get<double>(), 10);

  const CommandResult table = Ctl({"node", "dc-test", "-o", "table"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("power now:       50.0 kW available, $0.100/kWh, 200 gCO2/kWh"));
  EXPECT_THAT(table.out, HasSubstr("next hours"));

  const CommandResult missing = Ctl({"node", "no-such-node"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("apsisctl nodes"));
}

TEST_F(ApsisctlFleetTest, CordonDrainAndUncordonChangeTheNodeState) {
  const CommandResult cordoned = Ctl({"cordon", "dc-test"});
  ASSERT_EQ(cordoned.exit_code, 0) << cordoned.err;
  EXPECT_EQ(cordoned.Json()["action"], "cordon");
  EXPECT_EQ(NodeState(), "cordoned");
  ASSERT_EQ(Ctl({"drain", "dc-test"}).exit_code, 0);
  EXPECT_EQ(NodeState(), "draining");
  ASSERT_EQ(Ctl({"uncordon", "dc-test"}).exit_code, 0);
  EXPECT_EQ(NodeState(), "ready");

  const CommandResult events = Ctl({"events", "--since", "1h"});
  ASSERT_EQ(events.exit_code, 0) << events.err;
  std::vector<std::string> kinds;
  const nlohmann::json list = events.Json();
  for (const auto& e : list["events"]) kinds.push_back(e["kind"]);
  EXPECT_THAT(kinds, ::testing::IsSupersetOf(
                         {"NODE_ACTION_CORDON", "NODE_ACTION_DRAIN", "NODE_ACTION_UNCORDON"}));
}

TEST_F(ApsisctlFleetTest, ExplainListsTheNodeAsACandidateWithItsCost) {
  const std::string jobs = dir_.path() + "/job.yaml";
  WriteFile(jobs,
            "name: fits\nid: fits-1\nkind: training\ngpus: 2\nwatts_per_gpu: 500\n"
            "training: {gpu_hours: 1}\n");
  ASSERT_EQ(Ctl({"submit", "-f", jobs}).exit_code, 0);
  ASSERT_TRUE(PollUntil({"explain", "fits-1"}, [](const nlohmann::json& explanation) {
    return !explanation["candidates"].empty();
  })) << "the job was never planned";
  const nlohmann::json explanation = Ctl({"explain", "fits-1"}).Json();
  const nlohmann::json& candidate = explanation["candidates"][0];
  EXPECT_EQ(candidate["node"], "dc-test");
  EXPECT_EQ(candidate["feasible"], true);
  EXPECT_GT(candidate["cost"]["energy_usd"].get<double>(), 0);

  const CommandResult table = Ctl({"explain", "fits-1", "-o", "table"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, HasSubstr("NODE     FEASIBLE  START"));
  EXPECT_THAT(table.out, HasSubstr("dc-test  yes"));

  const CommandResult on_node = Ctl({"jobs", "--node", "dc-test"});
  ASSERT_EQ(on_node.exit_code, 0) << on_node.err;
  const nlohmann::json placed = on_node.Json();
  ASSERT_EQ(placed["jobs"].size(), 1u);
  EXPECT_EQ(placed["jobs"][0]["placement"]["node"], "dc-test");
}

}  // namespace
}  // namespace apsis::cli
