// Scenario tests of re-planning the contact-window use of work already placed when a new forecast
// drops, moves or shrinks windows: output downlinks move to the remaining windows, relay-less
// serving traffic follows the new windows or the serving stops where contact ends. Each asserts
// the decision and its reason, and the independent checker's verdict on the plan.
#include "fleet_fixtures.h"
#include "gtest/gtest.h"
#include "scenario_helpers.h"

namespace apsis::core {
namespace {

using testing::ActionsOf;
using testing::ExpectPlanValid;
using testing::InferenceJob;
using testing::MakeEngine;
using testing::OrbitalForecast;
using testing::OrbitalSpec;
using testing::OrbitShape;
using testing::OutcomeOf;
using testing::T0;
using testing::TrainingJob;

constexpr int kSteps = 48 * 60;

const Reservation* ReservationOf(const std::vector<Reservation>& rs, const std::string& job) {
  for (const Reservation& r : rs) {
    if (r.job_id == job && !r.stopping && !r.checkpoint_downlink) return &r;
  }
  return nullptr;
}

// Output downlinks of `job`'s reservation as (window AOS, bytes).
std::vector<std::pair<TimePoint, double>> OutputDownlinks(const Engine& engine,
                                                          const std::string& job) {
  std::vector<std::pair<TimePoint, double>> out;
  const std::vector<Reservation> rs = engine.Reservations();
  const Reservation* r = ReservationOf(rs, job);
  if (!r) return out;
  for (const TransferAllocation& t : r->transfers) {
    if (t.purpose == TransferPurpose::kStaging && t.direction == TransferDirection::kDownlink) {
      out.emplace_back(t.aos, t.bytes);
    }
  }
  return out;
}

// The fixture's passes open at minutes 10, 200, 390, 580, ... for 8 minutes, 24 GB down each.
NodeForecast WithoutPassAt(NodeForecast f, int minute) {
  std::erase_if(f.windows, [&](const ContactWindow& w) { return w.aos == T0() + Minutes(minute); });
  return f;
}

// One satellite running a 1-hour training job (2 GPUs, 2 GPU-hours) with `output_gb` of output.
std::unique_ptr<Engine> RunningTraining(const std::string& id, double output_gb, int priority = 0,
                                        std::optional<TimePoint> deadline = std::nullopt) {
  auto engine = MakeEngine();
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  JobSpec j = TrainingJob(id, 2, 2);
  j.output_gb = output_gb;
  j.priority = priority;
  j.training.deadline = deadline;
  EXPECT_TRUE(engine->Submit(j).ok());
  PlanResult plan = engine->Plan(T0()).value();
  EXPECT_EQ(ActionsOf<StartJob>(plan).size(), 1u);
  EXPECT_TRUE(engine->OnJobEvent({id, JobEventType::kStarted, T0()}).ok());
  return engine;
}

TEST(ReplanWindowTest, RunningJobsOutputMovesToTheNextPassWhenItsPassVanishes) {
  auto engine = RunningTraining("train", 10);
  using Downlinks = std::vector<std::pair<TimePoint, double>>;
  EXPECT_EQ(OutputDownlinks(*engine, "train"), (Downlinks{{T0() + Minutes(200), 10e9}}));

  ASSERT_TRUE(
      engine->UpdateForecast("sat-1", WithoutPassAt(OrbitalForecast(T0(), kSteps), 200)).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(5)).value();
  EXPECT_TRUE(ActionsOf<StopJob>(plan).empty());
  EXPECT_TRUE(ActionsOf<StartJob>(plan).empty());
  EXPECT_EQ(OutcomeOf(plan, "train"), nullptr);
  EXPECT_EQ(OutputDownlinks(*engine, "train"), (Downlinks{{T0() + Minutes(390), 10e9}}));
  ExpectPlanValid(*engine, T0() + Minutes(5));
}

TEST(ReplanWindowTest, PlacedJobsOutputMovesWithoutPlacingTheJobAgain) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  JobSpec j = TrainingJob("later", 2, 2);
  j.output_gb = 10;
  j.earliest_start = T0() + Minutes(30);
  ASSERT_TRUE(engine->Submit(j).ok());
  ASSERT_EQ(ActionsOf<StartJob>(engine->Plan(T0()).value()).size(), 1u);

  ASSERT_TRUE(
      engine->UpdateForecast("sat-1", WithoutPassAt(OrbitalForecast(T0(), kSteps), 200)).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(5)).value();
  EXPECT_TRUE(ActionsOf<StopJob>(plan).empty());
  EXPECT_TRUE(ActionsOf<StartJob>(plan).empty());
  using Downlinks = std::vector<std::pair<TimePoint, double>>;
  EXPECT_EQ(OutputDownlinks(*engine, "later"), (Downlinks{{T0() + Minutes(390), 10e9}}));
  ExpectPlanValid(*engine, T0() + Minutes(5));
}

TEST(ReplanWindowTest, OutputNoPassCarriesBeforeTheDeadlineWaitsOnTheNodeWhileTheJobRuns) {
  auto engine = RunningTraining("train", 10, 0, T0() + Hours(5));
  ASSERT_TRUE(
      engine->UpdateForecast("sat-1", WithoutPassAt(OrbitalForecast(T0(), kSteps), 200)).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(5)).value();
  EXPECT_TRUE(ActionsOf<StopJob>(plan).empty());
  const JobOutcome* o = OutcomeOf(plan, "train");
  ASSERT_NE(o, nullptr);
  EXPECT_EQ(o->kind, OutcomeKind::kRetryLater);
  EXPECT_EQ(o->constraint, Constraint::kDownlink);
  EXPECT_EQ(o->reason,
            "re-planned: no downlink window carries 10 GB of 10 GB output between "
            "2026-12-01T01:00:00Z and deadline 2026-12-01T05:00:00Z; the job keeps running and "
            "the output waits on sat-1 for later windows");
  const std::vector<Reservation> rs = engine->Reservations();
  const Reservation* r = ReservationOf(rs, "train");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->running);
  EXPECT_DOUBLE_EQ(r->output_waiting_bytes, 10e9);
  ExpectPlanValid(*engine, T0() + Minutes(5));

  // The checker accepts waiting output only while no pass before the deadline has room for it.
  FleetSnapshot snap = engine->Snapshot(T0() + Minutes(5));
  snap.nodes[0].forecast = OrbitalForecast(T0(), kSteps);
  std::vector<PlanViolation> v = CheckPlan(snap);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].constraint, Constraint::kDownlink);
  EXPECT_EQ(v[0].message,
            "10.000 GB output waits on the node while downlink window awarua has 24.000 GB free");

  // The pass is forecast again: the waiting output takes it.
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  plan = engine->Plan(T0() + Minutes(6)).value();
  EXPECT_EQ(OutcomeOf(plan, "train"), nullptr);
  using Downlinks = std::vector<std::pair<TimePoint, double>>;
  EXPECT_EQ(OutputDownlinks(*engine, "train"), (Downlinks{{T0() + Minutes(200), 10e9}}));
  EXPECT_DOUBLE_EQ(ReservationOf(engine->Reservations(), "train")->output_waiting_bytes, 0);
  ExpectPlanValid(*engine, T0() + Minutes(6));
}

TEST(ReplanWindowTest, ShrunkPassKeepsTheHigherPriorityOutputAndMovesTheRest) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  for (const auto& [id, priority] : {std::pair{"low", 1}, std::pair{"high", 2}}) {
    JobSpec j = TrainingJob(id, 2, 2);
    j.output_gb = 10;
    j.priority = priority;
    ASSERT_TRUE(engine->Submit(j).ok());
  }
  ASSERT_EQ(ActionsOf<StartJob>(engine->Plan(T0()).value()).size(), 2u);
  for (const char* id : {"low", "high"}) {
    ASSERT_TRUE(engine->OnJobEvent({id, JobEventType::kStarted, T0()}).ok());
  }
  // The 03:20 pass now carries 200 Mb/s down: 12 GB for the 20 GB both jobs hold in it.
  NodeForecast f = OrbitalForecast(T0(), kSteps);
  f.windows[1].downlink_bps = 200e6;
  ASSERT_TRUE(engine->UpdateForecast("sat-1", f).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(5)).value();
  EXPECT_TRUE(ActionsOf<StopJob>(plan).empty());
  EXPECT_TRUE(plan.outcomes.empty());
  using Downlinks = std::vector<std::pair<TimePoint, double>>;
  EXPECT_EQ(OutputDownlinks(*engine, "high"), (Downlinks{{T0() + Minutes(200), 10e9}}));
  EXPECT_EQ(OutputDownlinks(*engine, "low"),
            (Downlinks{{T0() + Minutes(200), 2e9}, {T0() + Minutes(390), 8e9}}));
  ExpectPlanValid(*engine, T0() + Minutes(5));
}

// sat-1 without relay serves during its first pass (00:10–00:18); sat-relay can take over.
std::unique_ptr<Engine> ServingInFirstPass(double request_bps, double response_bps) {
  auto engine = MakeEngine();
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  JobSpec j = InferenceJob("chat", 2, T0() + Minutes(10), T0() + Minutes(18), 100, "us-west");
  j.inference.request_in_bps = request_bps;
  j.inference.response_out_bps = response_bps;
  EXPECT_TRUE(engine->Submit(j).ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(plan);
  EXPECT_EQ(starts.size(), 1u);
  if (starts.size() == 1) {
    EXPECT_EQ(starts[0].node_id, "sat-1");
  }
  EXPECT_TRUE(engine->OnJobEvent({"chat", JobEventType::kStarted, T0() + Minutes(10)}).ok());
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-relay", 8, /*relay=*/true)).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-relay", OrbitalForecast(T0(), kSteps)).ok());
  return engine;
}

TEST(ReplanWindowTest, ServingTrafficFollowsAPassThatMovedButStillCoversTheServingPeriod) {
  auto engine = ServingInFirstPass(100e6, 200e6);
  NodeForecast f = OrbitalForecast(T0(), kSteps);
  f.windows[0].aos = T0() + Minutes(9);
  f.windows[0].los = T0() + Minutes(19);
  ASSERT_TRUE(engine->UpdateForecast("sat-1", f).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(11)).value();
  EXPECT_TRUE(ActionsOf<StopJob>(plan).empty());
  const std::vector<Reservation> rs = engine->Reservations();
  const Reservation* r = ReservationOf(rs, "chat");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->transfers.size(), 2u);
  for (const TransferAllocation& t : r->transfers) {
    EXPECT_EQ(t.purpose, TransferPurpose::kServing);
    EXPECT_EQ(t.window_index, 0);
    EXPECT_EQ(t.aos, T0() + Minutes(9));
    // The 8 serving minutes: 6 GB of requests, 12 GB of responses.
    EXPECT_DOUBLE_EQ(t.bytes, t.direction == TransferDirection::kUplink ? 6e9 : 12e9);
  }
  ExpectPlanValid(*engine, T0() + Minutes(11));
}

TEST(ReplanWindowTest, ServingStopsWhereAShortenedPassEndsAndMovesToTheRelayNode) {
  auto engine = ServingInFirstPass(100e6, 200e6);
  NodeForecast f = OrbitalForecast(T0(), kSteps);
  f.windows[0].los = T0() + Minutes(15);
  ASSERT_TRUE(engine->UpdateForecast("sat-1", f).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(11)).value();
  auto stops = ActionsOf<StopJob>(plan);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].node_id, "sat-1");
  EXPECT_EQ(stops[0].at, T0() + Minutes(15));
  EXPECT_FALSE(stops[0].checkpoint);
  EXPECT_EQ(stops[0].reason,
            "re-planned: contact windows changed; orbital node without relay sat-1 is out of "
            "contact at 2026-12-01T00:15:00Z during the serving period");
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-relay");
  EXPECT_EQ(starts[0].at, T0() + Minutes(15));
  // Until the stop, sat-1 carries the traffic of the 5 minutes it still serves.
  for (const Reservation& r : engine->Reservations()) {
    if (r.node_id != "sat-1") continue;
    EXPECT_TRUE(r.stopping);
    EXPECT_EQ(r.end, T0() + Minutes(15));
    for (const TransferAllocation& t : r.transfers) {
      EXPECT_DOUBLE_EQ(t.bytes, t.direction == TransferDirection::kUplink ? 3.75e9 : 7.5e9);
    }
  }
  ExpectPlanValid(*engine, T0() + Minutes(11));
}

TEST(ReplanWindowTest, ServingStopsNowWhenTheShortenedPassCannotCarryItsTrafficUntilItEnds) {
  auto engine = ServingInFirstPass(100e6, 200e6);
  // Until 00:15 the requests need 3.75 GB; the pass now carries 1.875 GB up in all.
  NodeForecast f = OrbitalForecast(T0(), kSteps);
  f.windows[0].los = T0() + Minutes(15);
  f.windows[0].uplink_bps = 50e6;
  ASSERT_TRUE(engine->UpdateForecast("sat-1", f).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(11)).value();
  auto stops = ActionsOf<StopJob>(plan);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].at, T0() + Minutes(11));
  EXPECT_FALSE(stops[0].checkpoint);
  EXPECT_EQ(stops[0].reason,
            "re-planned: contact windows changed; orbital node without relay sat-1 is out of "
            "contact at 2026-12-01T00:15:00Z during the serving period; the windows cannot carry "
            "its traffic until then, so it stops now");
  for (const Reservation& r : engine->Reservations()) EXPECT_NE(r.node_id, "sat-1");
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-relay");
  ExpectPlanValid(*engine, T0() + Minutes(11));
}

TEST(ReplanWindowTest, ServingStopsWhenAPassShrinksBelowItsTraffic) {
  auto engine = ServingInFirstPass(100e6, 200e6);
  // Requests need 100 Mb/s for the whole pass; it now carries 50 Mb/s up.
  NodeForecast f = OrbitalForecast(T0(), kSteps);
  f.windows[0].uplink_bps = 50e6;
  ASSERT_TRUE(engine->UpdateForecast("sat-1", f).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(11)).value();
  auto stops = ActionsOf<StopJob>(plan);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].at, T0() + Minutes(11));
  EXPECT_FALSE(stops[0].checkpoint);
  EXPECT_EQ(stops[0].reason,
            "re-planned: uplink window svalbard 2026-12-01T00:10:00Z–00:18:00Z carries 6 GB > "
            "capacity 3 GB");
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-relay");
  ExpectPlanValid(*engine, T0() + Minutes(11));
}

}  // namespace
}  // namespace apsis::core
