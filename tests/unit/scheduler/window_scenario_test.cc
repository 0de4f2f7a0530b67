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
using testing::ExpectRejectedOn;
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

  ExpectRejectedOn(engine->Explain("chat", T0()).value(), "sat-1", Constraint::kUplink,
                   "uplink window svalbard 2026-12-01T00:10:00Z–00:18:00Z has 12 GB free, "
                   "requests need 24 GB");
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
  ExpectRejectedOn(engine->Explain("second", T0() + Minutes(1)).value(), "sat-1",
                   Constraint::kUplink,
                   "uplink window svalbard 2026-12-01T00:10:00Z–00:18:00Z has 6 GB free of 12 GB, "
                   "requests need 7.2 GB");
  ExpectPlanValid(*engine, T0() + Minutes(1));

  // Once the first service is cancelled its share of the pass is free again.
  ASSERT_TRUE(engine->Cancel("first").ok());
  auto again = engine->Explain("second", T0() + Minutes(1)).value();
  const CandidateExplanation* c = CandidateOn(again, "sat-1");
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

// A 16-GPU satellite (first passes at 00:10 svalbard, 03:20 awarua, 06:30 svalbard; 24 GB down
// each) and a ground site. Space transfers cost nothing here, so small jobs prefer orbit.
std::unique_ptr<Engine> SatelliteAndGround(const OrbitShape& shape = {}) {
  EngineConfig config;
  config.weights.space_transfer_usd_per_gb = 0;
  auto engine = MakeEngine(config);
  EXPECT_TRUE(engine->AddNode(OrbitalSpec("sat-1", 16)).ok());
  EXPECT_TRUE(engine->UpdateForecast("sat-1", OrbitalForecast(T0(), kSteps, shape)).ok());
  EXPECT_TRUE(engine->AddNode(GroundSpec("dc")).ok());
  EXPECT_TRUE(engine->UpdateForecast("dc", GroundForecast(T0(), kSteps, 50000, {0.30})).ok());
  return engine;
}

// The satellite's payload power falls to 2 kW over [from, to) minutes: too little for the 8-GPU
// job (4.8 kW), enough for a 2-GPU one.
NodeForecast PowerDip(int from, int to, const OrbitShape& shape = {}) {
  NodeForecast f = OrbitalForecast(T0(), kSteps, shape);
  for (int i = from; i < to; ++i) f.power_available_w[i] = 2000;
  return f;
}

// 3 h on 8 GPUs with a 20 GB checkpoint, started on the satellite at T0.
void StartBigJobInOrbit(Engine& engine) {
  ASSERT_TRUE(engine.Submit(TrainingJob("big", 8, 24)).ok());
  PlanResult plan = engine.Plan(T0()).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  ASSERT_EQ(starts[0].node_id, "sat-1");
  ASSERT_TRUE(engine.OnJobEvent({"big", JobEventType::kStarted, T0(), 0}).ok());
}

TEST(WindowScenarioTest, JobForcedOffSatelliteResumesOnGroundAfterThePassBringsItsCheckpoint) {
  auto engine = SatelliteAndGround();
  StartBigJobInOrbit(*engine);
  // From 01:00 on the satellite cannot power the job any more.
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, kSteps)).ok());
  const TimePoint now = T0() + Minutes(20);
  PlanResult plan = engine->Plan(now).value();
  auto stops = ActionsOf<StopJob>(plan);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].at, T0() + Minutes(59));  // checkpoint written by 01:00
  EXPECT_TRUE(stops[0].checkpoint);
  // The checkpoint goes down in the 03:20–03:28 pass over awarua; the ground site may start the
  // job only then, although its GPUs are free from 01:00.
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "dc");
  EXPECT_EQ(starts[0].at, T0() + Minutes(208));
  EXPECT_NEAR(starts[0].work_gpu_hours, 24 - 59.0 / 60 * 8, 1e-9);
  EXPECT_EQ(OutcomeOf(plan, "big")->reason, "placed on dc at 2026-12-01T03:28:00Z");
  bool found = false;
  for (const Reservation& r : engine->Reservations()) {
    if (!r.checkpoint_downlink) continue;
    found = true;
    EXPECT_EQ(r.node_id, "sat-1");
    EXPECT_EQ(r.start, T0() + Minutes(60));
    EXPECT_EQ(r.end, T0() + Minutes(208));
    EXPECT_EQ(r.gpus, 0);
    ASSERT_EQ(r.transfers.size(), 1u);
    EXPECT_EQ(r.transfers[0].purpose, TransferPurpose::kCheckpoint);
    EXPECT_EQ(r.transfers[0].station, "awarua");
    EXPECT_EQ(r.transfers[0].aos, T0() + Minutes(200));
    EXPECT_DOUBLE_EQ(r.transfers[0].bytes, 20e9);
  }
  EXPECT_TRUE(found) << "no checkpoint downlink reserved";
  auto ex = engine->Explain("big", now).value();
  const CandidateExplanation* dc = CandidateOn(ex, "dc");
  ASSERT_NE(dc, nullptr);
  ASSERT_TRUE(dc->feasible);
  EXPECT_EQ(dc->start, T0() + Minutes(208));
  ExpectPlanValid(*engine, now);

  // The checker finds a plan that resumes before the checkpoint is down.
  FleetSnapshot early = engine->Snapshot(now);
  for (Reservation& r : early.reservations) {
    if (r.job_id == "big" && r.node_id == "dc") {
      r.end -= r.start - (T0() + Minutes(61));
      r.start = T0() + Minutes(61);
    }
  }
  bool caught = false;
  for (const PlanViolation& v : CheckPlan(early)) {
    caught |= v.constraint == Constraint::kDownlink && v.job_id == "big";
  }
  EXPECT_TRUE(caught);

  // A new forecast loses the 03:20 pass: the checkpoint comes down at 06:30–06:38 instead and
  // the ground start moves with it.
  NodeForecast no_pass = PowerDip(60, kSteps);
  std::erase_if(no_pass.windows,
                [](const ContactWindow& w) { return w.aos == T0() + Minutes(200); });
  ASSERT_TRUE(engine->UpdateForecast("sat-1", no_pass).ok());
  const TimePoint later = now + Minutes(5);
  PlanResult replan = engine->Plan(later).value();
  stops = ActionsOf<StopJob>(replan);
  ASSERT_EQ(stops.size(), 1u);
  EXPECT_EQ(stops[0].node_id, "dc");
  EXPECT_FALSE(stops[0].checkpoint);  // not started there: cancels the time-tagged start
  EXPECT_EQ(stops[0].reason,
            "re-planned: contact window awarua at 2026-12-01T03:20:00Z carrying its checkpoint "
            "is no longer forecast");
  starts = ActionsOf<StartJob>(replan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "dc");
  EXPECT_EQ(starts[0].at, T0() + Minutes(398));
  ExpectPlanValid(*engine, later);

  // Once it runs on the ground its checkpoint's trip is history.
  ASSERT_TRUE(engine->OnJobEvent({"big", JobEventType::kStarted, T0() + Minutes(398), 0}).ok());
  for (const Reservation& r : engine->Reservations()) EXPECT_FALSE(r.checkpoint_downlink);
}

TEST(WindowScenarioTest, CheckpointOnANodeThatGoesDownIsNoLongerWaitedFor) {
  auto engine = SatelliteAndGround();
  StartBigJobInOrbit(*engine);
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, kSteps)).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(20)).value();
  ASSERT_EQ(ActionsOf<StartJob>(plan).at(0).at, T0() + Minutes(208));
  // The satellite fails before its pass: like a lost job, the job resumes from the last
  // checkpoint known, without waiting for a downlink that will not happen.
  ASSERT_TRUE(engine->SetNodeState("sat-1", NodeState::kDown).ok());
  const TimePoint now = T0() + Minutes(90);
  plan = engine->Plan(now).value();
  for (const Reservation& r : engine->Reservations()) EXPECT_FALSE(r.checkpoint_downlink);
  EXPECT_TRUE(engine->Snapshot(now).checkpoints.empty());
  ExpectPlanValid(*engine, now);
}

TEST(WindowScenarioTest, AdoptedJobStoppedInOrbitResumesOnGroundAfterItsCheckpointComesDown) {
  auto engine = SatelliteAndGround();
  // After a scheduler restart the satellite reports the job running since T0.
  ASSERT_TRUE(engine->AdoptRunningJob(TrainingJob("big", 8, 24), "sat-1", T0(), 0).ok());
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, kSteps)).ok());
  const TimePoint now = T0() + Minutes(20);
  PlanResult plan = engine->Plan(now).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "dc");
  EXPECT_EQ(starts[0].at, T0() + Minutes(208));
  ExpectPlanValid(*engine, now);
}

TEST(WindowScenarioTest, JobResubmittedWithItsCheckpointInOrbitResumesOnGroundAfterThePass) {
  // After a scheduler restart the job is submitted again with where it stopped: on the
  // satellite, its checkpoint written at 01:00. The satellite can no longer power it.
  for (const bool with_resume_point : {true, false}) {
    SCOPED_TRACE(with_resume_point ? "with its resume point" : "without");
    auto engine = SatelliteAndGround();
    ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(0, kSteps)).ok());
    const JobSpec rest = TrainingJob("big", 8, 16);
    if (with_resume_point) {
      ASSERT_TRUE(engine->Submit(rest, {"sat-1", T0() + Minutes(60), 8}).ok());
    } else {
      ASSERT_TRUE(engine->Submit(rest).ok());
    }
    const TimePoint now = T0() + Minutes(70);
    PlanResult plan = engine->Plan(now).value();
    auto starts = ActionsOf<StartJob>(plan);
    ASSERT_EQ(starts.size(), 1u);
    EXPECT_EQ(starts[0].node_id, "dc");
    // The checkpoint comes down in the 03:20–03:28 pass; without the resume point the planner
    // would not know to wait for it.
    EXPECT_EQ(starts[0].at, with_resume_point ? T0() + Minutes(208) : now);
    int downlinks = 0;
    for (const Reservation& r : engine->Reservations()) downlinks += r.checkpoint_downlink;
    EXPECT_EQ(downlinks, with_resume_point ? 1 : 0);
    ExpectPlanValid(*engine, now);
  }
}

TEST(WindowScenarioTest, ResumePointOfAStoppedJobNamesWhereAndWhenItsCheckpointWasWritten) {
  auto engine = SatelliteAndGround();
  StartBigJobInOrbit(*engine);
  EXPECT_FALSE(engine->ResumePointOf("big").has_value());  // running
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, kSteps)).ok());
  PlanResult plan = engine->Plan(T0() + Minutes(20)).value();
  ASSERT_EQ(ActionsOf<StopJob>(plan).size(), 1u);
  auto resume = engine->ResumePointOf("big");
  ASSERT_TRUE(resume.has_value());
  EXPECT_EQ(resume->node_id, "sat-1");
  EXPECT_EQ(resume->checkpoint_written_at, T0() + Minutes(60));
  EXPECT_NEAR(resume->checkpointed_gpu_hours, 59.0 / 60 * 8, 1e-9);
  ASSERT_TRUE(engine->OnJobEvent({"big", JobEventType::kStarted, T0() + Minutes(208), 0}).ok());
  EXPECT_FALSE(engine->ResumePointOf("big").has_value());
}

TEST(WindowScenarioTest, ResumePointOnANodeThatIsDownIsNotWaitedFor) {
  auto engine = SatelliteAndGround();
  ASSERT_TRUE(engine->SetNodeState("sat-1", NodeState::kDown).ok());
  ASSERT_TRUE(engine->Submit(TrainingJob("big", 8, 16), {"sat-1", T0() + Minutes(60), 8}).ok());
  const TimePoint now = T0() + Minutes(70);
  PlanResult plan = engine->Plan(now).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "dc");
  EXPECT_EQ(starts[0].at, now);
  EXPECT_TRUE(engine->Snapshot(now).checkpoints.empty());
  ExpectPlanValid(*engine, now);
}

TEST(WindowScenarioTest, AnotherJobsOutputCannotTakeTheCapacityTheCheckpointHolds) {
  auto engine = SatelliteAndGround();
  StartBigJobInOrbit(*engine);
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, kSteps)).ok());
  // Submitted with the re-plan: the checkpoint (20 GB of the 24 GB pass at 03:20) is reserved
  // first, so this job's 10 GB of output get 4 GB there and the rest in the 06:30 pass.
  JobSpec small = TrainingJob("small", 2, 1);
  small.output_gb = 10;
  ASSERT_TRUE(engine->Submit(small).ok());
  const TimePoint now = T0() + Minutes(20);
  PlanResult plan = engine->Plan(now).value();
  std::vector<Reservation> rs = engine->Reservations();
  const Reservation* r = ReservationOf(rs, "small");
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->node_id, "sat-1");
  ASSERT_EQ(r->transfers.size(), 2u);
  EXPECT_EQ(r->transfers[0].aos, T0() + Minutes(200));
  EXPECT_NEAR(r->transfers[0].bytes, 4e9, 1);
  EXPECT_EQ(r->transfers[1].aos, T0() + Minutes(390));
  EXPECT_NEAR(r->transfers[1].bytes, 6e9, 1);
  ExpectPlanValid(*engine, now);

  // Cancelling the big job gives its share of the pass back.
  ASSERT_TRUE(engine->Cancel("big").ok());
  rs = engine->Reservations();
  for (const Reservation& other : rs) EXPECT_FALSE(other.checkpoint_downlink);
  auto ex = engine->Explain("small", now).value();
  const CandidateExplanation* sat = CandidateOn(ex, "sat-1");
  ASSERT_NE(sat, nullptr);
  EXPECT_TRUE(sat->feasible);
}

TEST(WindowScenarioTest, CheckpointWaitsForCapacityAnotherJobsOutputHolds) {
  auto engine = SatelliteAndGround();
  // This job's 10 GB of output take the 03:20 pass first.
  JobSpec small = TrainingJob("small", 2, 1);
  small.output_gb = 10;
  ASSERT_TRUE(engine->Submit(small).ok());
  ASSERT_TRUE(engine->Submit(TrainingJob("big", 8, 24)).ok());
  PlanResult initial = engine->Plan(T0()).value();
  for (const StartJob& s : ActionsOf<StartJob>(initial)) {
    EXPECT_EQ(s.node_id, "sat-1");
    ASSERT_TRUE(engine->OnJobEvent({s.job_id, JobEventType::kStarted, s.at, 0}).ok());
  }
  ASSERT_EQ(engine->GetJobState("big").value(), JobState::kRunning);
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, kSteps)).ok());
  const TimePoint now = T0() + Minutes(20);
  PlanResult plan = engine->Plan(now).value();
  // 14 GB of the checkpoint fit in the 03:20 pass, the other 6 GB only in the 06:30 one.
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].job_id, "big");
  EXPECT_EQ(starts[0].node_id, "dc");
  EXPECT_EQ(starts[0].at, T0() + Minutes(398));
  ExpectPlanValid(*engine, now);
}

TEST(WindowScenarioTest, CheckpointNoWindowCanCarryKeepsTheJobWhereItIs) {
  OrbitShape thin;
  thin.downlink_bps = 1e6;  // 60 MB per pass
  auto engine = SatelliteAndGround(thin);
  StartBigJobInOrbit(*engine);
  // Power is back at 02:00.
  ASSERT_TRUE(engine->UpdateForecast("sat-1", PowerDip(60, 120, thin)).ok());
  const TimePoint now = T0() + Minutes(20);
  PlanResult plan = engine->Plan(now).value();
  auto starts = ActionsOf<StartJob>(plan);
  ASSERT_EQ(starts.size(), 1u);
  EXPECT_EQ(starts[0].node_id, "sat-1");
  EXPECT_EQ(starts[0].at, T0() + Minutes(120));
  for (const Reservation& r : engine->Reservations()) EXPECT_FALSE(r.checkpoint_downlink);
  ExpectRejectedOn(engine->Explain("big", now).value(), "dc", Constraint::kDownlink,
                   "checkpoint of 20 GB on sat-1 cannot be downlinked before "
                   "2026-12-03T00:00:00Z; the job can only resume there");
  ExpectPlanValid(*engine, now);
}

// Ground energy turns free while a high-priority job runs in orbit at $1/kWh: moving pays when
// the checkpoint comes down at once, not when it must wait hours for the next pass.
TEST(WindowScenarioTest, MigrationOffOrbitCountsTheWaitForTheCheckpointsPass) {
  for (const bool pass_soon : {true, false}) {
    OrbitShape shape;
    shape.phase = pass_soon ? 20 : 0;  // next pass at 00:30 or at 03:20
    EngineConfig config;
    config.weights.orbital_energy_usd_per_kwh = 1.0;
    config.weights.space_transfer_usd_per_gb = 0;
    config.weights.ground_transfer_usd_per_gb = 0;
    auto engine = MakeEngine(config);
    ASSERT_TRUE(engine->AddNode(OrbitalSpec("sat-1", 16)).ok());
    const NodeForecast orbit = OrbitalForecast(T0(), kSteps, shape);
    ASSERT_TRUE(engine->UpdateForecast("sat-1", orbit).ok());
    ASSERT_TRUE(engine->AddNode(GroundSpec("dc")).ok());
    ASSERT_TRUE(engine->UpdateForecast("dc", GroundForecast(T0(), kSteps, 50000, {2.0})).ok());
    JobSpec job = TrainingJob("big", 8, 24);
    job.priority = 9;
    ASSERT_TRUE(engine->Submit(job).ok());
    PlanResult first = engine->Plan(T0()).value();
    ASSERT_EQ(ActionsOf<StartJob>(first).at(0).node_id, "sat-1");
    ASSERT_TRUE(engine->OnJobEvent({"big", JobEventType::kStarted, T0(), 0}).ok());

    ASSERT_TRUE(engine->UpdateForecast("dc", GroundForecast(T0(), kSteps, 50000, {0.0})).ok());
    ASSERT_TRUE(engine->UpdateForecast("sat-1", orbit).ok());
    const TimePoint now = T0() + Minutes(20);
    PlanResult plan = engine->Plan(now).value();
    auto stops = ActionsOf<StopJob>(plan);
    if (pass_soon) {
      ASSERT_EQ(stops.size(), 1u);
      EXPECT_EQ(stops[0].reason.rfind("migrating to dc: saves $", 0), 0u) << stops[0].reason;
      auto starts = ActionsOf<StartJob>(plan);
      ASSERT_EQ(starts.size(), 1u);
      EXPECT_EQ(starts[0].at, T0() + Minutes(38));  // end of the 00:30 pass
    } else {
      EXPECT_TRUE(stops.empty()) << stops[0].reason;
    }
    ExpectPlanValid(*engine, now);
  }
}

}  // namespace
}  // namespace apsis::core
