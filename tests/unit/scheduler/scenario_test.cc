// Scenario tests: each asserts the engine's decision and the reason it gives.
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "fleet_fixtures.h"
#include "gtest/gtest.h"
#include "scenario_helpers.h"
#include "scheduler/core/engine.h"
#include "scheduler/core/plan_checker.h"

namespace apsis::core {
namespace {

using testing::ActionsOf;
using testing::CandidateOn;
using testing::ExpectPlanValid;
using testing::GroundForecast;
using testing::GroundSpec;
using testing::InferenceJob;
using testing::MakeEngine;
using testing::OrbitalForecast;
using testing::OrbitalSpec;
using testing::OrbitShape;
using testing::OutcomeOf;
using testing::T0;
using testing::TrainingJob;

constexpr int kSteps = 48 * 60;

TEST(ScenarioTest, WeakBatteryInEclipseForcesCheckpointBeforeShortfall) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  ASSERT_TRUE(engine->AddNode(GroundSpec("dc-dear")).ok());
  ASSERT_TRUE(engine->UpdateForecast("dc-dear", GroundForecast(T0(), kSteps, 50000, {0.45})).ok());
  JobSpec job = TrainingJob("train-1", 8, 24);  // 3 h on 8 GPUs, through two eclipses
  ASSERT_TRUE(engine->Submit(job).ok());
  PlanResult first = engine->Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(first);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-1");  // solar energy beats the $0.45/kWh site
  ASSERT_TRUE(engine->OnJobEvent({"train-1", JobEventType::kStarted, T0(), 0}).ok());
  const Reservation original = engine->Reservations().at(0);

  // The battery turns out to hold half of what was forecast: the first eclipse would take it
  // below its 20 % floor.
  OrbitShape weak;
  weak.capacity_wh = 3000;
  weak.initial_soc_wh = 3000;
  const NodeForecast weak_forecast = OrbitalForecast(T0(), kSteps, weak);
  ASSERT_TRUE(engine->UpdateForecast("sat-1", weak_forecast).ok());

  // Where would the battery fall short? Ask the independent checker about the old plan.
  FleetSnapshot what_if = engine->Snapshot(T0());
  what_if.reservations = {original};
  for (NodeSnapshot& n : what_if.nodes) {
    if (n.spec.id == "sat-1") n.forecast = weak_forecast;
  }
  TimePoint shortfall;
  bool found = false;
  for (const PlanViolation& v : CheckPlan(what_if)) {
    if (v.constraint == Constraint::kBatteryFloor) {
      shortfall = v.at;
      found = true;
    }
  }
  ASSERT_TRUE(found) << "the weak battery should violate the floor";
  EXPECT_EQ(weak_forecast.solar_input_w[(shortfall - T0()) / Seconds(60)], 0.0f)
      << "shortfall should fall in eclipse";

  const TimePoint now = T0() + Minutes(5);
  PlanResult replan = engine->Plan(now).value();
  auto stops = ActionsOf<StopJob>(replan);
  ASSERT_EQ(stops.size(), 1u) << "expected one StopJob";
  EXPECT_EQ(stops[0].job_id, "train-1");
  EXPECT_TRUE(stops[0].checkpoint);
  EXPECT_GE(stops[0].at, now);
  // 20 GB at 2 GB/s rounds up to one 60 s step; it must be written before the shortfall.
  EXPECT_LE(stops[0].at + Seconds(60), shortfall);
  EXPECT_NE(stops[0].reason.find("battery below floor 20 % at"), std::string::npos)
      << stops[0].reason;
  EXPECT_NE(stops[0].reason.find("during eclipse"), std::string::npos) << stops[0].reason;

  // Re-placed from the checkpoint: only the remaining work, after the checkpoint is written.
  auto restarts = ActionsOf<StartJob>(replan);
  ASSERT_EQ(restarts.size(), 1u);
  EXPECT_GE(restarts[0].at, stops[0].at + Seconds(60));
  const double done = ToSeconds(stops[0].at - T0()) / 3600.0 * 8;
  EXPECT_NEAR(restarts[0].work_gpu_hours, 24 - done, 1e-6);
  ExpectPlanValid(*engine, now);
}

// Cheap hours 01:00–05:00 at $0.05/kWh, $0.30 otherwise.
std::vector<double> EmbeddedNightCurve() {
  std::vector<double> c(24, 0.30);
  for (int h = 1; h < 5; ++h) c[h] = 0.05;
  return c;
}

TEST(ScenarioTest, DeferrableTrainingWaitsForCheapNightHours) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(GroundSpec("dc-1")).ok());
  ASSERT_TRUE(
      engine->UpdateForecast("dc-1", GroundForecast(T0(), kSteps, 50000, EmbeddedNightCurve()))
          .ok());
  const TimePoint now = T0() + Hours(12);
  JobSpec deferrable = TrainingJob("night", 4, 8);  // 2 h on 4 GPUs
  deferrable.training.deferrable = true;
  deferrable.training.deadline = now + Hours(24);
  JobSpec urgent = TrainingJob("now", 4, 8);
  ASSERT_TRUE(engine->Submit(deferrable).ok());
  ASSERT_TRUE(engine->Submit(urgent).ok());
  PlanResult plan = engine->Plan(now).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 2u);
  for (const StartJob& s : starts) {
    if (s.job_id == "night") {
      EXPECT_GE(s.at, T0() + Hours(25));
      EXPECT_LE(s.at + Hours(2), T0() + Hours(29));
    } else {
      EXPECT_EQ(s.at, now);  // not deferrable: starts right away
    }
  }
  // The reason: its energy cost at night is a sixth of the daytime cost.
  auto ex = engine->Explain("night", now).value();
  const CandidateExplanation* c = CandidateOn(ex, "dc-1");
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->feasible);
  const double kw = 4 * 600 * 1.2 / 1000.0;
  EXPECT_NEAR(c->cost.energy_usd, kw * 2 * 0.05, 1e-3);
  EXPECT_LT(c->cost.energy_usd, kw * 2 * 0.30);
  ExpectPlanValid(*engine, now);
}

TEST(ScenarioTest, DeferrableTrainingFollowsRealCaisoPriceCurve) {
  const char* src = std::getenv("APSIS_SOURCE_DIR");
  const std::string path =
      std::string(src ? src : ".") + "/../shared/data/energy/prices/US-CAL-CISO_2023.csv";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "price data not found at " << path << " (set APSIS_SOURCE_DIR)";
  // Hourly $/MWh from 2023-01-10T00:00Z for 48 h.
  std::vector<double> hourly;
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line) && hourly.size() < 48) {
    if (line.rfind("2023-01-10", 0) != 0 && hourly.empty()) continue;
    hourly.push_back(std::stod(line.substr(line.rfind(',') + 1)) / 1000.0);
  }
  ASSERT_EQ(hourly.size(), 48u);
  EngineConfig config;
  config.weights.delay_usd_per_hour = 0;  // pure temporal shifting on energy price
  auto engine = MakeEngine(config);
  ASSERT_TRUE(engine->AddNode(GroundSpec("caiso")).ok());
  ASSERT_TRUE(engine->UpdateForecast("caiso", GroundForecast(T0(), kSteps, 50000, hourly)).ok());
  // Submitted at 16:00Z (08:00 in California), due within 24 h; runs 2 h.
  const TimePoint now = T0() + Hours(16);
  JobSpec job = TrainingJob("shift", 8, 16);
  job.training.deferrable = true;
  job.training.deadline = now + Hours(24);
  ASSERT_TRUE(engine->Submit(job).ok());
  auto starts = ActionsOf<StartJob>(engine->Plan(now).value());
  ASSERT_EQ(starts.size(), 1u);
  // Independently: the cheapest whole-hour start in the allowed range.
  double best = 1e9;
  int best_hour = -1;
  for (int h = 16; h + 2 <= 40; ++h) {
    const double avg = (hourly[h] + hourly[h + 1]) / 2;
    if (avg < best) best = avg, best_hour = h;
  }
  const int chosen_hour = int((starts[0].at - T0()) / Hours(1));
  const double chosen_avg =
      (starts[0].at - T0()) % Hours(1) == Duration::zero()
          ? (hourly[chosen_hour] + hourly[chosen_hour + 1]) / 2
          : (hourly[chosen_hour] + 2 * hourly[chosen_hour + 1] + hourly[chosen_hour + 2]) / 4;
  EXPECT_GT(starts[0].at, now) << "should wait for cheaper hours";
  EXPECT_LE(chosen_avg, best + 1e-9) << "chosen start " << FormatRfc3339(starts[0].at)
                                     << ", cheapest whole-hour start at hour " << best_hour;
  std::cout << "CAISO 2023-01-10/11: cheapest 2 h window starts "
            << FormatRfc3339(T0() + Hours(best_hour)) << " (hour " << best_hour % 24
            << "Z), engine chose " << FormatRfc3339(starts[0].at) << "\n";
}

TEST(ScenarioTest, InferenceGoesToSiteMeetingSloEvenWhenAnotherIsCheaper) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(GroundSpec("cheap-far")).ok());
  ASSERT_TRUE(engine
                  ->UpdateForecast("cheap-far",
                                   GroundForecast(T0(), kSteps, 50000, {0.05}, {{"eu-west", 74}}))
                  .ok());
  ASSERT_TRUE(engine->AddNode(GroundSpec("dear-near")).ok());
  ASSERT_TRUE(engine
                  ->UpdateForecast("dear-near",
                                   GroundForecast(T0(), kSteps, 50000, {0.30}, {{"eu-west", 20}}))
                  .ok());
  ASSERT_TRUE(
      engine->Submit(InferenceJob("serve", 2, T0() + Hours(1), T0() + Hours(9), 50, "eu-west"))
          .ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "dear-near");
  EXPECT_EQ(starts[0].at, T0() + Hours(1));
  auto ex = engine->Explain("serve", T0()).value();
  const CandidateExplanation* far = CandidateOn(ex, "cheap-far");
  ASSERT_NE(far, nullptr);
  EXPECT_FALSE(far->feasible);
  EXPECT_EQ(far->constraint, Constraint::kLatency);
  EXPECT_EQ(far->reason, "latency 74 ms > SLO 50 ms from eu-west");
  ExpectPlanValid(*engine, T0());
}

TEST(ScenarioTest, OrbitalNodeTakesTrainingWhenGroundIsDearer) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(GroundSpec("dc-dear")).ok());
  ASSERT_TRUE(engine->UpdateForecast("dc-dear", GroundForecast(T0(), kSteps, 50000, {0.40})).ok());
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  JobSpec job = TrainingJob("t", 8, 16);
  job.input_gb = 5;
  ASSERT_TRUE(engine->Submit(job).ok());
  auto starts = ActionsOf<StartJob>(engine->Plan(T0()).value());
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-1");
  auto ex = engine->Explain("t", T0()).value();
  const CandidateExplanation* ground = CandidateOn(ex, "dc-dear");
  const CandidateExplanation* sat = CandidateOn(ex, "sat-1");
  ASSERT_TRUE(ground && sat && ground->feasible && sat->feasible);
  EXPECT_TRUE(sat->chosen);
  EXPECT_GT(ground->cost.total(), sat->cost.total()) << ex.ToString();
  EXPECT_GT(sat->cost.battery_wear_usd, 0) << "eclipse draws on the battery";
  ExpectPlanValid(*engine, T0());
}

TEST(ScenarioTest, OrbitalNodeTakesTrainingWhenGroundIsFull) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(GroundSpec("dc-cheap")).ok());
  ASSERT_TRUE(engine->UpdateForecast("dc-cheap", GroundForecast(T0(), kSteps, 50000, {0.0})).ok());
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  ASSERT_TRUE(engine->Submit(TrainingJob("big", 8, 8 * 40)).ok());  // ground for 40 h
  JobSpec job = TrainingJob("t", 8, 16);
  job.training.deadline = T0() + Hours(12);
  ASSERT_TRUE(engine->Submit(job).ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].node_id, "dc-cheap");
  EXPECT_EQ(starts[1].job_id, "t");
  EXPECT_EQ(starts[1].node_id, "sat-1");
  auto ex = engine->Explain("t", T0()).value();
  const CandidateExplanation* ground = CandidateOn(ex, "dc-cheap");
  ASSERT_NE(ground, nullptr);
  EXPECT_FALSE(ground->feasible);
  EXPECT_EQ(ground->constraint, Constraint::kGpusBusy) << ground->reason;
  EXPECT_NE(ground->reason.find("GPUs busy: 16 needed > 8"), std::string::npos) << ground->reason;
  ExpectPlanValid(*engine, T0());
}

TEST(ScenarioTest, JobWhoseInputCannotBeUplinkedBeforeDeadlineIsRejected) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  JobSpec job = TrainingJob("bulky", 8, 8);
  job.input_gb = 500;  // windows carry 12 GB each, one every 190 min
  job.training.deadline = T0() + Hours(12);
  ASSERT_TRUE(engine->Submit(job).ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto rejects = ActionsOf<Reject>(plan);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].constraint, Constraint::kUplink);
  EXPECT_NE(rejects[0].reason.find("no uplink window carries 500 GB before deadline"),
            std::string::npos)
      << rejects[0].reason;
  const JobOutcome* o = OutcomeOf(plan, "bulky");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->kind, OutcomeKind::kInfeasible);
  EXPECT_EQ(engine->GetJobState("bulky").value(), JobState::kRejected);
}

TEST(ScenarioTest, CordonedNodeGetsNothing) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(GroundSpec("cheap-cordoned")).ok());
  ASSERT_TRUE(
      engine->UpdateForecast("cheap-cordoned", GroundForecast(T0(), kSteps, 50000, {0.01})).ok());
  ASSERT_TRUE(engine->SetNodeState("cheap-cordoned", NodeState::kCordoned).ok());
  ASSERT_TRUE(engine->AddNode(GroundSpec("dear")).ok());
  ASSERT_TRUE(engine->UpdateForecast("dear", GroundForecast(T0(), kSteps, 50000, {0.30})).ok());
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(engine->Submit(TrainingJob("j" + std::to_string(i), 2, 4)).ok());
  }
  ASSERT_TRUE(engine->Submit(TrainingJob("j-too-many", 2, 4)).ok());
  PlanResult plan = engine->Plan(T0()).value();
  int on_dear = 0;
  for (const StartJob& s : ActionsOf<StartJob>(plan)) {
    EXPECT_EQ(s.node_id, "dear");
    if (s.at == T0()) ++on_dear;
  }
  EXPECT_EQ(on_dear, 4);  // the fifth waits for GPUs on "dear" (backfilled later)
  auto ex = engine->Explain("j0", T0()).value();
  const CandidateExplanation* c = CandidateOn(ex, "cheap-cordoned");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->constraint, Constraint::kNodeState);
  EXPECT_EQ(c->reason, "node cheap-cordoned is cordoned and takes no new work");
  ExpectPlanValid(*engine, T0());

  // With the ready node gone, a new job is told to retry later, for that reason.
  ASSERT_TRUE(engine->SetNodeState("dear", NodeState::kDown).ok());
  ASSERT_TRUE(engine->Submit(TrainingJob("late", 2, 4)).ok());
  PlanResult later = engine->Plan(T0() + Minutes(1)).value();
  const JobOutcome* o = OutcomeOf(later, "late");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->kind, OutcomeKind::kRetryLater);
  EXPECT_EQ(o->constraint, Constraint::kNodeState);
  for (const StartJob& s : ActionsOf<StartJob>(later))
    ADD_FAILURE() << "unexpected start " << s.job_id;
}

}  // namespace
}  // namespace apsis::core
