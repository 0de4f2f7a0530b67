#include <gtest/gtest.h>

#include "fleet_fixtures.h"
#include "scheduler/core/engine.h"

namespace apsis::core {
namespace {

using testing::GroundForecast;
using testing::GroundSpec;

const TimePoint kNow = testing::T0();

NodeSpec Ground(const std::string& id, int gpus) { return GroundSpec(id, gpus); }

NodeForecast Flat(int steps) { return GroundForecast(kNow, steps, 100'000, {0.1}); }

JobSpec Training(const std::string& id, int gpus, double gpu_hours) {
  JobSpec j;
  j.id = id;
  j.gpus = gpus;
  j.watts_per_gpu = 700;
  j.training.gpu_hours = gpu_hours;
  j.submitted_at = kNow;
  j.earliest_start = kNow;
  return j;
}

TEST(EngineAdoptTest, AdoptedRunningJobHoldsItsGpusSoNothingElseIsPlacedThere) {
  auto engine = std::move(*Engine::Create(EngineConfig()));
  ASSERT_TRUE(engine->AddNode(Ground("g1", 8)).ok());
  ASSERT_TRUE(engine->UpdateForecast("g1", Flat(24 * 60)).ok());
  ASSERT_TRUE(engine->AdoptRunningJob(Training("running", 8, 40), "g1", kNow - Hours(1), 8).ok());
  EXPECT_EQ(*engine->GetJobState("running"), JobState::kRunning);
  ASSERT_TRUE(engine->Submit(Training("new", 4, 4)).ok());
  auto plan = engine->Plan(kNow);
  ASSERT_TRUE(plan.ok());
  for (const Action& a : plan->actions) {
    if (const auto* start = std::get_if<StartJob>(&a)) {
      // 32 GPU-hours remain on 8 GPUs: the node is busy for 4 hours.
      EXPECT_GE(start->at, kNow + Hours(4)) << "placed on GPUs an adopted job holds";
    }
  }
  ASSERT_EQ(engine->Reservations().size(), 2u);
  EXPECT_TRUE(CheckPlan(engine->Snapshot(kNow)).empty());
}

TEST(EngineAdoptTest, AdoptionNeedsAForecastAndAKnownNode) {
  auto engine = std::move(*Engine::Create(EngineConfig()));
  EXPECT_EQ(engine->AdoptRunningJob(Training("j", 1, 1), "nowhere", kNow, 0).code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(engine->AddNode(Ground("g1", 8)).ok());
  EXPECT_EQ(engine->AdoptRunningJob(Training("j", 1, 1), "g1", kNow, 0).code(),
            StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace apsis::core

namespace apsis::core {
namespace {

TEST(EngineReconfigureTest, NewPolicyAppliesToTheNextPlanAndBadConfigIsRefused) {
  auto engine = std::move(*Engine::Create(EngineConfig()));
  ASSERT_TRUE(engine->AddNode(testing::GroundSpec("g1", 8)).ok());
  ASSERT_TRUE(
      engine->UpdateForecast("g1", testing::GroundForecast(testing::T0(), 24 * 60, 100'000, {0.1}))
          .ok());
  EngineConfig ground_only;
  ground_only.policy = "ground-only";
  ASSERT_TRUE(engine->Reconfigure(ground_only).ok());
  EXPECT_EQ(engine->policy().name(), "ground-only");
  EngineConfig bad;
  bad.policy = "cheapest";
  EXPECT_FALSE(engine->Reconfigure(bad).ok());
  EXPECT_EQ(engine->policy().name(), "ground-only");  // unchanged after a refused reload
}

}  // namespace
}  // namespace apsis::core
