// Engine API behaviour: input validation, job events, cancellation, preemption, migration and
// explanations.
#include "scheduler/core/engine.h"

#include "fleet_fixtures.h"
#include "gtest/gtest.h"
#include "scenario_helpers.h"
#include "scheduler/core/plan_checker.h"
#include "scheduler/core/plan_format.h"

namespace apsis::core {
namespace {

using testing::GroundForecast;
using testing::GroundSpec;
using testing::OrbitalForecast;
using testing::OrbitalSpec;
using testing::T0;
using testing::TrainingJob;

constexpr int kSteps = 24 * 60;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override { engine_ = Engine::Create(EngineConfig{}).value(); }
  void AddGround(const std::string& id, double price, int gpus = 8) {
    ASSERT_TRUE(engine_->AddNode(GroundSpec(id, gpus)).ok());
    ASSERT_TRUE(engine_->UpdateForecast(id, GroundForecast(T0(), kSteps, 50000, {price})).ok());
  }
  template <typename T>
  std::vector<T> Actions(const PlanResult& plan) {
    return testing::ActionsOf<T>(plan);
  }
  void ExpectValid(TimePoint now) { testing::ExpectPlanValid(*engine_, now); }
  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, RejectsBadInputWithWhereAndHowToFix) {
  EXPECT_EQ(engine_->UpdateForecast("nope", NodeForecast{}).code(), StatusCode::kNotFound);
  ASSERT_TRUE(engine_->AddNode(OrbitalSpec("sat")).ok());
  NodeForecast f = OrbitalForecast(T0(), 60);
  f.solar_input_w.resize(30);
  Status s = engine_->UpdateForecast("sat", f);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("solar_input_w has 30 values, expected 60"), std::string::npos)
      << s.message();
  JobSpec j = TrainingJob("j", 0, 1);
  EXPECT_EQ(engine_->Submit(j).code(), StatusCode::kInvalidArgument);
  j.gpus = 1;
  EXPECT_TRUE(engine_->Submit(j).ok());
  EXPECT_EQ(engine_->Submit(j).code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(engine_->Cancel("other").code(), StatusCode::kNotFound);
  EngineConfig bad;
  bad.checkpoint_write_gbps = 0;
  EXPECT_FALSE(Engine::Create(bad).ok());
}

TEST_F(EngineTest, CancelStopsAPlacedJob) {
  AddGround("dc", 0.1);
  ASSERT_TRUE(engine_->Submit(TrainingJob("j", 2, 4)).ok());
  ASSERT_EQ(Actions<StartJob>(engine_->Plan(T0()).value()).size(), 1u);
  ASSERT_TRUE(engine_->Cancel("j").ok());
  auto stops = Actions<StopJob>(engine_->Plan(T0() + Minutes(1)).value());
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_FALSE(stops[0].checkpoint);
  EXPECT_EQ(stops[0].reason, "cancelled");
  EXPECT_TRUE(engine_->Reservations().empty());
  EXPECT_EQ(engine_->GetJobState("j").value(), JobState::kCancelled);
}

TEST_F(EngineTest, LostJobRestartsFromItsLastCheckpoint) {
  AddGround("dc-a", 0.1);
  AddGround("dc-b", 0.2);
  ASSERT_TRUE(engine_->Submit(TrainingJob("j", 4, 16)).ok());
  auto starts = Actions<StartJob>(engine_->Plan(T0()).value());
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "dc-a");
  ASSERT_TRUE(engine_->OnJobEvent({"j", JobEventType::kStarted, T0(), 0}).ok());
  ASSERT_TRUE(engine_->OnJobEvent({"j", JobEventType::kCheckpointed, T0() + Hours(1), 4}).ok());
  ASSERT_TRUE(engine_->SetNodeState("dc-a", NodeState::kDown).ok());
  ASSERT_TRUE(engine_->OnJobEvent({"j", JobEventType::kLost, T0() + Hours(2), 0}).ok());
  auto again = Actions<StartJob>(engine_->Plan(T0() + Hours(2)).value());
  ASSERT_EQ(again.size(), 1u);
  EXPECT_EQ(again[0].node_id, "dc-b");
  EXPECT_DOUBLE_EQ(again[0].work_gpu_hours, 12);
  EXPECT_EQ(again[0].at, T0() + Hours(2));
  ExpectValid(T0() + Hours(2));
}

TEST_F(EngineTest, PreemptsLowerPriorityPreemptibleWorkToMeetADeadline) {
  AddGround("dc", 0.1);
  JobSpec low = TrainingJob("low", 8, 8 * 20);
  low.training.preemptible = true;
  low.training.checkpoint_gb = 120;  // one minute at 2 GB/s
  ASSERT_TRUE(engine_->Submit(low).ok());
  ASSERT_EQ(Actions<StartJob>(engine_->Plan(T0()).value()).size(), 1u);
  ASSERT_TRUE(engine_->OnJobEvent({"low", JobEventType::kStarted, T0(), 0}).ok());

  JobSpec urgent = TrainingJob("urgent", 8, 16);
  urgent.priority = 3;
  urgent.training.deadline = T0() + Hours(4);
  ASSERT_TRUE(engine_->Submit(urgent).ok());
  const TimePoint now = T0() + Hours(1);
  PlanResult plan = engine_->Plan(now).value();
  auto stops = Actions<StopJob>(plan);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].job_id, "low");
  EXPECT_TRUE(stops[0].checkpoint);
  EXPECT_EQ(stops[0].reason, "preempted by higher-priority job urgent (priority 3 > 0)");
  auto starts = Actions<StartJob>(plan);
  ASSERT_GE(starts.size(), 1u);
  EXPECT_EQ(starts[0].job_id, "urgent");
  EXPECT_GE(starts[0].at, now + Minutes(1));  // after the victim's checkpoint
  EXPECT_LE(starts[0].expected_end, *urgent.training.deadline);
  ExpectValid(now);
}

TEST_F(EngineTest, DoesNotPreemptWorkThatIsNotPreemptible) {
  AddGround("dc", 0.1);
  ASSERT_TRUE(engine_->Submit(TrainingJob("low", 8, 8 * 20)).ok());
  ASSERT_EQ(Actions<StartJob>(engine_->Plan(T0()).value()).size(), 1u);
  JobSpec urgent = TrainingJob("urgent", 8, 16);
  urgent.priority = 3;
  urgent.training.deadline = T0() + Hours(4);
  ASSERT_TRUE(engine_->Submit(urgent).ok());
  PlanResult plan = engine_->Plan(T0() + Hours(1)).value();
  EXPECT_TRUE(Actions<StopJob>(plan).empty());
  ASSERT_EQ(plan.outcomes.size(), 1u);
  EXPECT_EQ(plan.outcomes[0].kind, OutcomeKind::kRetryLater);
  EXPECT_EQ(plan.outcomes[0].constraint, Constraint::kGpusBusy);
}

TEST_F(EngineTest, MigratesRunningTrainingOnlyWhenTheSavingExceedsTheCost) {
  AddGround("dc-a", 0.05);
  AddGround("dc-b", 0.20);
  ASSERT_TRUE(engine_->Submit(TrainingJob("j", 8, 8 * 12)).ok());
  auto starts = Actions<StartJob>(engine_->Plan(T0()).value());
  ASSERT_EQ(starts.size(), 1u);
  ASSERT_EQ(starts[0].node_id, "dc-a");
  ASSERT_TRUE(engine_->OnJobEvent({"j", JobEventType::kStarted, T0(), 0}).ok());

  // A small rise: staying is still cheaper than moving.
  ASSERT_TRUE(engine_->UpdateForecast("dc-a", GroundForecast(T0(), kSteps, 50000, {0.21})).ok());
  PlanResult small = engine_->Plan(T0() + Hours(1)).value();
  EXPECT_TRUE(small.actions.empty()) << SerializeActions(small.actions);

  // A spike to $1/kWh for the rest of the day: moving saves far more than it costs.
  ASSERT_TRUE(engine_->UpdateForecast("dc-a", GroundForecast(T0(), kSteps, 50000, {1.0})).ok());
  PlanResult spike = engine_->Plan(T0() + Hours(2)).value();
  auto stops = Actions<StopJob>(spike);
  auto moves = Actions<StartJob>(spike);
  ASSERT_EQ(stops.size(), 1u) << SerializeActions(spike.actions);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_TRUE(stops[0].checkpoint);
  EXPECT_NE(stops[0].reason.find("migrating to dc-b: saves $"), std::string::npos);
  EXPECT_NE(stops[0].reason.find("> migration cost $"), std::string::npos);
  EXPECT_EQ(moves[0].node_id, "dc-b");
  EXPECT_NEAR(moves[0].work_gpu_hours, 8 * 12 - 8 * 2, 1e-6);
  ExpectValid(T0() + Hours(2));
}

TEST_F(EngineTest, ExplainCoversEveryNode) {
  AddGround("dc-a", 0.30);
  AddGround("dc-b", 0.10);
  ASSERT_TRUE(engine_->AddNode(GroundSpec("dc-small", 2)).ok());
  ASSERT_TRUE(
      engine_->UpdateForecast("dc-small", GroundForecast(T0(), kSteps, 50000, {0.01})).ok());
  ASSERT_TRUE(engine_->AddNode(GroundSpec("dc-new")).ok());  // no forecast yet
  ASSERT_TRUE(engine_->Submit(TrainingJob("j", 4, 8)).ok());
  ASSERT_TRUE(engine_->Plan(T0()).ok());
  auto ex = engine_->Explain("j", T0()).value();
  ASSERT_EQ(ex.candidates.size(), 4u) << ex.ToString();
  EXPECT_EQ(ex.placed_on, "dc-b");
  EXPECT_EQ(ex.candidates[0].node_id, "dc-b");  // feasible, by score
  EXPECT_TRUE(ex.candidates[0].chosen);
  EXPECT_EQ(ex.candidates[1].node_id, "dc-a");
  EXPECT_GT(ex.candidates[1].cost.energy_usd, ex.candidates[0].cost.energy_usd);
  EXPECT_EQ(ex.candidates[2].constraint, Constraint::kNoForecast);
  EXPECT_EQ(ex.candidates[3].constraint, Constraint::kGpuCount);
  EXPECT_NE(ex.ToString().find("rejected [gpu-count] job needs 4 GPUs on one node, node has 2"),
            std::string::npos)
      << ex.ToString();
}

TEST_F(EngineTest, BoundedScoringStillPlacesAndStaysValid) {
  EngineConfig config;
  config.max_scored_nodes = 2;
  engine_ = Engine::Create(config).value();
  for (int i = 0; i < 6; ++i) AddGround("dc-" + std::to_string(i), 0.1 + 0.01 * i, 4);
  for (int i = 0; i < 8; ++i)
    ASSERT_TRUE(engine_->Submit(TrainingJob("j" + std::to_string(i), 4, 8)).ok());
  PlanResult plan = engine_->Plan(T0()).value();
  int placed = 0;
  for (const JobOutcome& o : plan.outcomes) placed += o.kind == OutcomeKind::kPlaced;
  EXPECT_EQ(placed, 8);
  ExpectValid(T0());
}

}  // namespace
}  // namespace apsis::core
