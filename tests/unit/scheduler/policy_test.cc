// One typed suite runs every placement policy against the same hard constraints and the
// independent checker; policy-specific choices are asserted after it.
#include "fleet_fixtures.h"
#include "gtest/gtest.h"
#include "random_world.h"
#include "scheduler/core/engine.h"
#include "scheduler/core/plan_checker.h"
#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {
namespace {

using testing::GroundForecast;
using testing::GroundSpec;
using testing::InferenceJob;
using testing::OrbitalForecast;
using testing::OrbitalSpec;
using testing::T0;
using testing::TrainingJob;

constexpr int kSteps = 24 * 60;

struct CostName {
  static constexpr const char* kName = "cost";
};
struct FifoFirstFitName {
  static constexpr const char* kName = "fifo-firstfit";
};
struct GroundOnlyName {
  static constexpr const char* kName = "ground-only";
};
struct GreedyLatencyName {
  static constexpr const char* kName = "greedy-latency";
};

template <typename P>
class EveryPolicyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    EngineConfig config;
    config.policy = P::kName;
    engine_ = Engine::Create(config).value();
    ASSERT_EQ(engine_->policy().name(), P::kName);
    Add(GroundSpec("dc-a", 16), GroundForecast(T0(), kSteps, 30000, {0.20}));
    Add(GroundSpec("dc-b", 16), GroundForecast(T0(), kSteps, 30000, {0.10}));
    Add(OrbitalSpec("sat-a"), OrbitalForecast(T0(), kSteps));
  }
  void Add(const NodeSpec& spec, NodeForecast f) {
    ASSERT_TRUE(engine_->AddNode(spec).ok());
    ASSERT_TRUE(engine_->UpdateForecast(spec.id, std::move(f)).ok());
  }
  void ExpectValid(TimePoint now) {
    for (const PlanViolation& v : CheckPlan(engine_->Snapshot(now))) ADD_FAILURE() << ToString(v);
  }
  std::unique_ptr<Engine> engine_;
};

using PolicyNames = ::testing::Types<CostName, FifoFirstFitName, GroundOnlyName, GreedyLatencyName>;
TYPED_TEST_SUITE(EveryPolicyTest, PolicyNames);

TYPED_TEST(EveryPolicyTest, PlacesAMixedWorkloadWithoutViolations) {
  for (int i = 0; i < 6; ++i) {
    JobSpec j = TrainingJob("t" + std::to_string(i), 4, 8 + i);
    j.input_gb = 2;
    j.output_gb = 1;
    j.priority = i % 3;
    ASSERT_TRUE(this->engine_->Submit(j).ok());
  }
  ASSERT_TRUE(
      this->engine_
          ->Submit(InferenceJob("serve", 2, T0() + Hours(1), T0() + Hours(5), 50, "us-west"))
          .ok());
  PlanResult plan = this->engine_->Plan(T0()).value();
  int placed = 0;
  for (const JobOutcome& o : plan.outcomes) placed += o.kind == OutcomeKind::kPlaced;
  EXPECT_EQ(placed, 7);
  this->ExpectValid(T0());
}

TYPED_TEST(EveryPolicyTest, NeverPlacesOnCordonedOrDrainingNodes) {
  ASSERT_TRUE(this->engine_->SetNodeState("dc-a", NodeState::kCordoned).ok());
  ASSERT_TRUE(this->engine_->SetNodeState("dc-b", NodeState::kDraining).ok());
  ASSERT_TRUE(this->engine_->SetNodeState("sat-a", NodeState::kCordoned).ok());
  ASSERT_TRUE(this->engine_->Submit(TrainingJob("t", 2, 2)).ok());
  PlanResult plan = this->engine_->Plan(T0()).value();
  ASSERT_EQ(plan.outcomes.size(), 1u);
  EXPECT_EQ(plan.outcomes[0].kind, OutcomeKind::kRetryLater);
  EXPECT_EQ(plan.outcomes[0].constraint, Constraint::kNodeState);
  EXPECT_TRUE(plan.actions.empty());
}

TYPED_TEST(EveryPolicyTest, RejectsAGangLargerThanAnyNode) {
  ASSERT_TRUE(this->engine_->Submit(TrainingJob("huge", 64, 64)).ok());
  PlanResult plan = this->engine_->Plan(T0()).value();
  ASSERT_EQ(plan.actions.size(), 1u);
  const auto* reject = std::get_if<Reject>(&plan.actions[0]);
  ASSERT_NE(reject, nullptr);
  EXPECT_EQ(reject->constraint, Constraint::kGpuCount);
  EXPECT_NE(reject->reason.find("job needs 64 GPUs on one node"), std::string::npos)
      << reject->reason;
}

TYPED_TEST(EveryPolicyTest, RandomWorldsPassTheChecker) {
  for (uint64_t seed = 0; seed < 150; ++seed) {
    const testing::RandomWorld w = testing::MakeRandomWorld(seed);
    auto engine = testing::LoadWorld(w, TypeParam::kName);
    ASSERT_NE(engine, nullptr);
    ASSERT_TRUE(engine->Plan(w.now).ok());
    for (const PlanViolation& v : CheckPlan(engine->Snapshot(w.now))) {
      ADD_FAILURE() << "seed " << seed << ": " << ToString(v);
    }
  }
}

// Policy-specific choices on the fixture fleet: dc-a $0.20/kWh, dc-b $0.10/kWh, sat-a free solar.
std::string NodeChosenBy(const std::string& policy, const JobSpec& job) {
  EngineConfig config;
  config.policy = policy;
  auto engine = Engine::Create(config).value();
  EXPECT_TRUE(engine->AddNode(GroundSpec("dc-a")).ok());
  EXPECT_TRUE(
      engine->UpdateForecast("dc-a", GroundForecast(T0(), kSteps, 30000, {0.20}, {{"eu-west", 10}}))
          .ok());
  EXPECT_TRUE(engine->AddNode(GroundSpec("dc-b")).ok());
  EXPECT_TRUE(
      engine->UpdateForecast("dc-b", GroundForecast(T0(), kSteps, 30000, {0.10}, {{"eu-west", 30}}))
          .ok());
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-a", 8, /*relay=*/true)).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-a", OrbitalForecast(T0(), kSteps)).ok());
  EXPECT_TRUE(engine->Submit(job).ok());
  PlanResult plan = engine->Plan(T0()).value();
  for (const Action& a : plan.actions) {
    if (const auto* s = std::get_if<StartJob>(&a)) return s->node_id;
  }
  return "";
}

TEST(PolicyChoiceTest, EachPolicyPicksWhatItOptimises) {
  JobSpec j = TrainingJob("t", 4, 8);
  j.region = "eu-west";
  EXPECT_EQ(NodeChosenBy("cost", j), "sat-a");           // solar is cheapest
  EXPECT_EQ(NodeChosenBy("ground-only", j), "dc-b");     // cheapest ground site
  EXPECT_EQ(NodeChosenBy("fifo-firstfit", j), "dc-a");   // first node in id order
  EXPECT_EQ(NodeChosenBy("greedy-latency", j), "dc-a");  // 10 ms to eu-west
}

TEST(PolicyChoiceTest, UnknownPolicyNameIsAnError) {
  EngineConfig config;
  config.policy = "random";
  auto engine = Engine::Create(config);
  ASSERT_FALSE(engine.ok());
  EXPECT_NE(engine.status().message().find("choose one of cost"), std::string::npos);
  EXPECT_EQ(PlacementPolicyNames().size(), 4u);
}

}  // namespace
}  // namespace apsis::core
