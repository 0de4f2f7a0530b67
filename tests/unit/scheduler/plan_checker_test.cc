// The independent checker must catch each kind of violation in hand-made plans.
#include "scheduler/core/plan_checker.h"

#include <algorithm>

#include "fleet_fixtures.h"
#include "gtest/gtest.h"

namespace apsis::core {
namespace {

using testing::GroundForecast;
using testing::GroundSpec;
using testing::InferenceJob;
using testing::OrbitalForecast;
using testing::OrbitalSpec;
using testing::OrbitShape;
using testing::T0;
using testing::TrainingJob;

constexpr int kSteps = 12 * 60;

class PlanCheckerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    snap_.now = T0();
    snap_.nodes.push_back({GroundSpec("dc"), NodeState::kReady,
                           GroundForecast(T0(), kSteps, 10000, {0.1}, {{"eu-west", 70}})});
    snap_.nodes.push_back({OrbitalSpec("sat"), NodeState::kReady, OrbitalForecast(T0(), kSteps)});
  }
  Reservation Res(const JobSpec& j, const std::string& node, TimePoint start, Duration d) {
    Reservation r;
    r.job_id = j.id;
    r.node_id = node;
    r.start = start;
    r.end = start + d;
    r.gpus = j.gpus;
    r.it_load_w = j.gpus * j.watts_per_gpu;
    r.work_gpu_hours = j.kind == JobKind::kTraining ? j.training.gpu_hours : 0;
    return r;
  }
  std::vector<Constraint> Found() {
    std::vector<Constraint> out;
    for (const PlanViolation& v : CheckPlan(snap_)) out.push_back(v.constraint);
    return out;
  }
  bool Has(Constraint c) {
    for (Constraint f : Found()) {
      if (f == c) return true;
    }
    return false;
  }
  FleetSnapshot snap_;
};

TEST_F(PlanCheckerTest, AcceptsAValidPlan) {
  const JobSpec j = TrainingJob("t", 4, 8);
  snap_.jobs = {j};
  snap_.reservations = {Res(j, "dc", T0(), Hours(2))};
  EXPECT_TRUE(Found().empty());
}

TEST_F(PlanCheckerTest, FindsGpuOverCommitment) {
  const JobSpec a = TrainingJob("a", 6, 6), b = TrainingJob("b", 4, 4);
  snap_.jobs = {a, b};
  snap_.reservations = {Res(a, "dc", T0(), Hours(1)), Res(b, "dc", T0() + Minutes(30), Hours(1))};
  EXPECT_TRUE(Has(Constraint::kGpusBusy));
}

TEST_F(PlanCheckerTest, FindsPowerOverdrawIncludingPue) {
  // 8 × 700 W × PUE 1.2 = 6.72 kW fits 10 kW; two of them do not.
  JobSpec a = TrainingJob("a", 4, 4, 700), b = TrainingJob("b", 4, 4, 700);
  snap_.nodes[0].spec.gpu_count = 16;
  snap_.jobs = {a, b};
  snap_.reservations = {Res(a, "dc", T0(), Hours(1)), Res(b, "dc", T0(), Hours(1))};
  EXPECT_TRUE(Found().empty());
  snap_.nodes[0].forecast->power_available_w[10] = 6000;
  EXPECT_TRUE(Has(Constraint::kPower));
}

TEST_F(PlanCheckerTest, SimulatesBatteryThroughEclipse) {
  OrbitShape weak;
  weak.capacity_wh = 3000;
  weak.initial_soc_wh = 3000;
  snap_.nodes[1].forecast = OrbitalForecast(T0(), kSteps, weak);
  const JobSpec j = TrainingJob("t", 8, 16);  // 4.8 kW through a 35-minute eclipse
  snap_.jobs = {j};
  snap_.reservations = {Res(j, "sat", T0(), Hours(2))};
  auto v = CheckPlan(snap_);
  ASSERT_FALSE(v.empty());
  EXPECT_EQ(v[0].constraint, Constraint::kBatteryFloor);
  EXPECT_EQ(snap_.nodes[1].forecast->solar_input_w[(v[0].at - T0()) / Seconds(60)], 0.0f);
}

TEST_F(PlanCheckerTest, FindsRadiatorLimit) {
  snap_.nodes[1].forecast->radiator_limit_w.assign(kSteps, 3000.0f);
  const JobSpec j = TrainingJob("t", 8, 8);
  snap_.jobs = {j};
  snap_.reservations = {Res(j, "sat", T0(), Hours(1))};
  EXPECT_TRUE(Has(Constraint::kRadiator));
}

TEST_F(PlanCheckerTest, RequiresInputUplinkedBeforeStartWithinWindowCapacity) {
  JobSpec j = TrainingJob("t", 2, 2);
  j.input_gb = 10;
  snap_.jobs = {j};
  const NodeForecast& f = *snap_.nodes[1].forecast;
  const ContactWindow& w0 = f.windows[0];  // 8 min × 200 Mbit/s = 12 GB
  Reservation r = Res(j, "sat", w0.los, Hours(1));
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kUplink)) << "no transfers at all";
  r.transfers = {{TransferDirection::kUplink, 0, w0.station, w0.aos, w0.los, 10e9}};
  snap_.reservations = {r};
  EXPECT_TRUE(Found().empty());
  // Starting before the window closes is a violation.
  r.start = w0.aos;
  r.end = r.start + Hours(1);
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kUplink));
  // Two jobs sharing one window beyond its capacity.
  JobSpec k = j;
  k.id = "k";
  Reservation r2 = Res(k, "sat", w0.los, Hours(1));
  r2.transfers = {{TransferDirection::kUplink, 0, w0.station, w0.aos, w0.los, 10e9}};
  r.start = w0.los;
  r.end = r.start + Hours(1);
  snap_.jobs = {j, k};
  snap_.reservations = {r, r2};
  EXPECT_TRUE(Has(Constraint::kUplink));
}

TEST_F(PlanCheckerTest, StagingThatIsHistoryIsNotRecheckedAgainstALaterForecast) {
  JobSpec j = TrainingJob("t", 2, 2);
  j.input_gb = 1;
  snap_.jobs = {j};
  // The input went up in a window that closed before this forecast begins; a later forecast no
  // longer lists it (window index -1, as the engine marks it).
  Reservation r = Res(j, "sat", T0(), Hours(1));
  r.transfers = {{TransferDirection::kUplink, -1, "gone", T0() - Hours(2), T0() - Hours(1), 1e9}};
  snap_.reservations = {r};
  EXPECT_TRUE(Found().empty());
  // A window that is not history and is not in the forecast is still a violation.
  r.transfers[0].aos = T0() + Minutes(1);
  r.transfers[0].los = T0() + Minutes(5);
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kUplink));
  // Once the job runs with its input on the node, its uplink is history too.
  r.running = true;
  r.input_on_node = true;
  snap_.reservations = {r};
  EXPECT_TRUE(Found().empty());
}

TEST_F(PlanCheckerTest, RequiresOutputDownlinkedAfterEndBeforeDeadline) {
  JobSpec j = TrainingJob("t", 2, 2);
  j.output_gb = 5;
  j.training.deadline = T0() + Hours(3);
  snap_.jobs = {j};
  Reservation r = Res(j, "sat", T0(), Hours(1));
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kDownlink));
}

TEST_F(PlanCheckerTest, FindsNewWorkOnCordonedNode) {
  snap_.nodes[0].state = NodeState::kCordoned;
  const JobSpec j = TrainingJob("t", 2, 2);
  snap_.jobs = {j};
  Reservation r = Res(j, "dc", T0(), Hours(1));
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kNodeState));
  r.running = true;  // running work may finish on a cordoned node
  snap_.reservations = {r};
  EXPECT_FALSE(Has(Constraint::kNodeState));
}

TEST_F(PlanCheckerTest, FindsLatencyAndContactViolationsOfInference) {
  const JobSpec far = InferenceJob("far", 1, T0(), T0() + Hours(2), 50, "eu-west");
  const JobSpec orbit = InferenceJob("orbit", 1, T0(), T0() + Hours(2), 50, "eu-west");
  snap_.jobs = {far, orbit};
  snap_.reservations = {Res(far, "dc", T0(), Hours(2)), Res(orbit, "sat", T0(), Hours(2))};
  EXPECT_TRUE(Has(Constraint::kLatency));  // 70 ms > 50 ms
  EXPECT_TRUE(Has(Constraint::kContact));  // no relay, windows of 8 minutes
}

TEST_F(PlanCheckerTest, RequiresServingTrafficInEveryOverlappedWindowWithinCapacity) {
  const NodeForecast& f = *snap_.nodes[1].forecast;
  const ContactWindow& w0 = f.windows[0];  // 8 min: 12 GB up, 24 GB down
  JobSpec j = InferenceJob("serve", 1, w0.aos, w0.los, 50, "us-west");
  j.inference.request_in_bps = 100e6;    // 6 GB over the pass
  j.inference.response_out_bps = 200e6;  // 12 GB
  snap_.jobs = {j};
  Reservation r = Res(j, "sat", w0.aos, w0.duration());
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kUplink)) << "requests carried by no window";
  EXPECT_TRUE(Has(Constraint::kDownlink)) << "responses carried by no window";
  r.transfers = {
      {TransferDirection::kUplink, 0, w0.station, w0.aos, w0.los, 6e9, TransferPurpose::kServing},
      {TransferDirection::kDownlink, 0, w0.station, w0.aos, w0.los, 12e9,
       TransferPurpose::kServing}};
  snap_.reservations = {r};
  EXPECT_TRUE(Found().empty());
  // Half the responses reserved is not enough.
  r.transfers[1].bytes = 6e9;
  snap_.reservations = {r};
  EXPECT_TRUE(Has(Constraint::kDownlink));
  // Two services in one pass beyond its uplink capacity.
  r.transfers[1].bytes = 12e9;
  JobSpec k = j;
  k.id = "other";
  k.inference.request_in_bps = 150e6;  // 9 GB: 15 GB with the first > 12 GB
  k.inference.response_out_bps = 0;
  Reservation r2 = Res(k, "sat", w0.aos, w0.duration());
  r2.transfers = {
      {TransferDirection::kUplink, 0, w0.station, w0.aos, w0.los, 9e9, TransferPurpose::kServing}};
  snap_.jobs = {j, k};
  snap_.reservations = {r, r2};
  auto found = Found();
  EXPECT_EQ(found, std::vector<Constraint>{Constraint::kUplink});
  // Through a relay the windows carry nothing of it.
  snap_.nodes[1].spec.relay = true;
  r.transfers.clear();
  r2.transfers.clear();
  snap_.reservations = {r, r2};
  EXPECT_TRUE(Found().empty());
}

TEST_F(PlanCheckerTest, ResumingAwayFromOrbitWaitsForTheCheckpointsDownlink) {
  const NodeForecast& f = *snap_.nodes[1].forecast;
  const ContactWindow& w0 = f.windows[0];    // 00:10–00:18, 24 GB down
  const ContactWindow& w1 = f.windows[1];    // 03:20–03:28
  const JobSpec j = TrainingJob("t", 2, 2);  // 20 GB checkpoint
  snap_.jobs = {j};
  // Stopped on the satellite, checkpoint written at 00:30.
  snap_.checkpoints = {{"t", "sat", T0() + Minutes(30), j.training.checkpoint_gb}};
  Reservation down;
  down.job_id = "t";
  down.node_id = "sat";
  down.start = T0() + Minutes(30);
  down.end = w1.los;
  down.checkpoint_downlink = true;
  down.transfers = {{TransferDirection::kDownlink, 1, w1.station, w1.aos, w1.los, 20e9,
                     TransferPurpose::kCheckpoint}};
  const Reservation resumed = Res(j, "dc", w1.los, Hours(1));
  snap_.reservations = {down, resumed};
  EXPECT_TRUE(Found().empty());
  // Starting on the ground before the pass has brought it down.
  snap_.reservations = {down, Res(j, "dc", T0() + Minutes(31), Hours(1))};
  EXPECT_EQ(Found(), std::vector<Constraint>{Constraint::kDownlink});
  // No downlink at all.
  snap_.reservations = {resumed};
  EXPECT_EQ(Found(), std::vector<Constraint>{Constraint::kDownlink});
  // Half of it.
  Reservation half = down;
  half.transfers[0].bytes = 10e9;
  snap_.reservations = {half, resumed};
  EXPECT_EQ(Found(), std::vector<Constraint>{Constraint::kDownlink});
  // In the pass before the checkpoint was written.
  Reservation early = down;
  early.transfers = {{TransferDirection::kDownlink, 0, w0.station, w0.aos, w0.los, 20e9,
                      TransferPurpose::kCheckpoint}};
  early.end = w0.los;
  snap_.reservations = {early, Res(j, "dc", w0.los, Hours(1))};
  EXPECT_TRUE(Has(Constraint::kDownlink));
  // Resuming where the checkpoint is needs nothing.
  snap_.reservations = {Res(j, "sat", T0() + Minutes(30), Hours(1))};
  EXPECT_TRUE(Found().empty());
  // The downlink reservation holds no GPUs.
  Reservation greedy = down;
  greedy.gpus = 2;
  snap_.reservations = {greedy, resumed};
  EXPECT_TRUE(Has(Constraint::kGpusBusy));
}

TEST_F(PlanCheckerTest, FindsDeadlineAndShortReservation) {
  JobSpec j = TrainingJob("t", 2, 8);  // needs 4 h
  j.training.deadline = T0() + Hours(3);
  snap_.jobs = {j};
  snap_.reservations = {Res(j, "dc", T0(), Hours(2))};
  auto found = Found();
  EXPECT_EQ(std::count(found.begin(), found.end(), Constraint::kDeadline), 1);
  snap_.reservations = {Res(j, "dc", T0(), Hours(4))};
  found = Found();
  EXPECT_EQ(std::count(found.begin(), found.end(), Constraint::kDeadline), 1);
}

}  // namespace
}  // namespace apsis::core
