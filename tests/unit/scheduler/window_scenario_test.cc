// Scenario tests of contact-window capacity beyond input and output staging: inference requests
// and responses carried by the windows of a relay-less orbital node while it serves, and the
// checkpoint of a job stopped in orbit coming down before the job resumes elsewhere. Each asserts
// the decision and its reason, and the independent checker's verdict on the plan.
#include "fleet_fixtures.h"
#include "gtest/gtest.h"
#include "scenario_helpers.h"

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

const Reservation* ReservationOf(const std::vector<Reservation>& rs, const std::string& job) {
  for (const Reservation& r : rs) {
    if (r.job_id == job && !r.stopping && !r.checkpoint_downlink) return &r;
  }
  return nullptr;
}

// Two otherwise identical satellites, one with a relay; the fixture's first pass is over
// svalbard, 00:10–00:18, carrying 12 GB up (200 Mb/s) and 24 GB down (400 Mb/s).
std::unique_ptr<Engine> RelayAndNoRelay() {
  auto engine = MakeEngine();
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-relay", 8, /*relay=*/true)).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-relay", OrbitalForecast(T0(), kSteps)).ok());
  return engine;
}

JobSpec ServeDuringFirstPass(const std::string& id, double request_bps, double response_bps) {
  JobSpec j = InferenceJob(id, 2, T0() + Minutes(10), T0() + Minutes(18), 100, "us-west");
  j.inference.request_in_bps = request_bps;
  j.inference.response_out_bps = response_bps;
  return j;
}

TEST(WindowScenarioTest, InferenceWhoseRequestsOverflowAShortPassGoesToTheRelayNode) {
  auto engine = RelayAndNoRelay();
  // 400 Mb/s of requests for the 8-minute pass: 24 GB, twice what the pass carries up.
  ASSERT_TRUE(engine->Submit(ServeDuringFirstPass("chat", 400e6, 50e6)).ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-relay");
  // Through the relay, not the station windows: nothing reserved on them.
  const std::vector<Reservation> reservations = engine->Reservations();
  const Reservation* r = ReservationOf(reservations, "chat");
  ASSERT_NE(r, nullptr);
  EXPECT_TRUE(r->transfers.empty());

  auto ex = engine->Explain("chat", T0()).value();
  const CandidateExplanation* c = CandidateOn(ex, "sat-1");
  ASSERT_NE(c, nullptr);
  EXPECT_FALSE(c->feasible);
  EXPECT_EQ(c->constraint, Constraint::kUplink);
  EXPECT_EQ(c->reason,
            "uplink window svalbard 2026-12-01T00:10:00Z–00:18:00Z has 12 GB free, requests "
            "need 24 GB");
  ExpectPlanValid(*engine, T0());
}

TEST(WindowScenarioTest, ServingTrafficHoldsWindowCapacityAgainstAnotherService) {
  auto engine = RelayAndNoRelay();
  // 100 Mb/s up and 200 Mb/s down for 8 minutes: 6 GB and 12 GB of the pass.
  ASSERT_TRUE(engine->Submit(ServeDuringFirstPass("first", 100e6, 200e6)).ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-1");
  const std::vector<Reservation> reservations = engine->Reservations();
  const Reservation* r = ReservationOf(reservations, "first");
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(r->transfers.size(), 2u);
  for (const TransferAllocation& t : r->transfers) {
    EXPECT_EQ(t.purpose, TransferPurpose::kServing);
    EXPECT_EQ(t.station, "svalbard");
    EXPECT_EQ(t.aos, T0() + Minutes(10));
    EXPECT_DOUBLE_EQ(t.bytes, t.direction == TransferDirection::kUplink ? 6e9 : 12e9);
  }

  // A second service in the same pass needs 7.2 GB of requests: only 6 GB are left.
  ASSERT_TRUE(engine->Submit(ServeDuringFirstPass("second", 120e6, 10e6)).ok());
  PlanResult next = engine->Plan(T0() + Minutes(1)).value();
  starts = ActionsOf<StartJob>(next);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-relay");
  auto ex = engine->Explain("second", T0() + Minutes(1)).value();
  const CandidateExplanation* c = CandidateOn(ex, "sat-1");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->constraint, Constraint::kUplink);
  EXPECT_EQ(c->reason,
            "uplink window svalbard 2026-12-01T00:10:00Z–00:18:00Z has 6 GB free of 12 GB, "
            "requests need 7.2 GB");
  ExpectPlanValid(*engine, T0() + Minutes(1));

  // Once the first service is cancelled its share of the pass is free again.
  ASSERT_TRUE(engine->Cancel("first").ok());
  auto again = engine->Explain("second", T0() + Minutes(1)).value();
  c = CandidateOn(again, "sat-1");
  ASSERT_NE(c, nullptr);
  EXPECT_TRUE(c->feasible) << c->reason;
}

TEST(WindowScenarioTest, ResponsesOverflowingThePassAreRejectedOnDownlink) {
  auto engine = MakeEngine();
  ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1")).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps)).ok());
  // 500 Mb/s of responses: 30 GB against the pass's 24 GB down; nothing else can serve it.
  ASSERT_TRUE(engine->Submit(ServeDuringFirstPass("video", 1e6, 500e6)).ok());
  PlanResult plan = engine->Plan(T0()).value();
  auto rejects = ActionsOf<Reject>(plan);
  ASSERT_EQ(rejects.size(), 1u);
  EXPECT_EQ(rejects[0].constraint, Constraint::kDownlink);
  EXPECT_EQ(rejects[0].reason,
            "node sat-1: downlink window svalbard 2026-12-01T00:10:00Z–00:18:00Z has 24 GB free, "
            "responses need 30 GB");
  EXPECT_EQ(OutcomeOf(plan, "video")->kind, OutcomeKind::kInfeasible);
}

}  // namespace
}  // namespace apsis::core
