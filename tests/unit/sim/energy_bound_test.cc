#include "sim/analysis/energy_bound.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

namespace apsis::sim {
namespace {

BoundNode Node(const std::string& id, int steps, double gpus, double watts, double price,
               double pue = 1) {
  BoundNode n{id, pue, {}};
  n.steps.assign(steps, BoundNodeStep{gpus, watts, price, true});
  return n;
}

BoundJob Training(const std::string& id, int gpus, double gpu_hours, double watts, int release,
                  int deadline) {
  return {id, BoundJobKind::kTraining, gpus, gpu_hours, watts, release, deadline, {}};
}

BoundJob Inference(const std::string& id, int gpus, double watts, int release, int deadline) {
  return {id, BoundJobKind::kInference, gpus, 0, watts, release, deadline, {}};
}

TEST(EnergyBoundTest, TrainingJobTakesTheCheapestHours) {
  // One GPU at 1 kW needs 2 GPU-hours within 3 one-hour steps. Node b is cheap only in step 1;
  // the optimum is step 1 on b ($0.05) plus one hour on a ($0.10).
  BoundInstance in{3, 1.0, {Node("a", 3, 4, 1e6, 0.10), Node("b", 3, 4, 1e6, 0.30)}, {}};
  in.nodes[1].steps[1].price_usd_per_kwh = 0.05;
  in.jobs.push_back(Training("t", 1, 2, 1000, 0, 3));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0.15, 1e-9);
  EXPECT_NEAR(r->energy_kwh, 2, 1e-9);
  EXPECT_NEAR(r->node_energy_cost_usd[0], 0.10, 1e-9);
  EXPECT_NEAR(r->node_energy_cost_usd[1], 0.05, 1e-9);
}

TEST(EnergyBoundTest, InferenceUsesFreeOrbitOnlyInContact) {
  // 2 GPUs at 500 W serve steps 1 and 2. The orbital node (free energy) is reachable in step 1
  // only; step 2 runs on the ground: 1 kW x 1 h x PUE 1.5 x $0.20 = $0.30.
  BoundInstance in{3, 1.0, {Node("ground", 3, 8, 1e6, 0.20, 1.5), Node("orbit", 3, 4, 1e6, 0)}, {}};
  in.nodes[1].steps[0].available = false;
  in.nodes[1].steps[2].available = false;
  in.jobs.push_back(Inference("i", 2, 500, 1, 3));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0.30, 1e-9);
  EXPECT_NEAR(r->energy_kwh, 1 + 1.5, 1e-9);  // orbit 1 kWh free, ground 1 kWh x PUE 1.5
}

TEST(EnergyBoundTest, OutOfContactOrbitRunsTrainingButServesNoInference) {
  // The orbital node is up but unreachable by users: the training job runs there for free, the
  // inference job (1 GPU at 1 kW for the one step) must be served from the ground at $0.20.
  BoundInstance in{1, 1.0, {Node("ground", 1, 8, 1e6, 0.20), Node("orbit", 1, 8, 1e6, 0)}, {}};
  in.nodes[1].steps[0].serves_inference = false;
  in.jobs.push_back(Training("t", 4, 4, 1000, 0, 1));
  in.jobs.push_back(Inference("i", 1, 1000, 0, 1));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0.20, 1e-9);
  EXPECT_NEAR(r->energy_kwh, 5, 1e-9);

  // Work users consume but whose serving steps are free follows the same reach.
  in.jobs[1] = Training("flexible", 1, 1, 1000, 0, 1);
  in.jobs[1].reach_required = true;
  r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0.20, 1e-9);
  in.jobs[1].reach_required = false;
  r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0, 1e-9);
}

TEST(EnergyBoundTest, PowerLimitPushesWorkToThePricierNode) {
  // The free node has 4 GPUs but only 1 kW: one 1-kW GPU at a time. A 2-GPU job needs 4 GPU-hours
  // in 2 steps, so 2 GPU-hours must run on the ground at $0.10 x PUE 1.2.
  BoundInstance in{
      2, 1.0, {Node("ground", 2, 8, 1e6, 0.10, 1.2), Node("orbit", 2, 4, 1000, 0)}, {}};
  in.jobs.push_back(Training("t", 2, 4, 1000, 0, 2));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 2 * 1.2 * 0.10, 1e-9);
}

TEST(EnergyBoundTest, AllowedNodesAreRespected) {
  BoundInstance in{1, 1.0, {Node("cheap", 1, 8, 1e6, 0.01), Node("dear", 1, 8, 1e6, 0.50)}, {}};
  BoundJob j = Training("t", 1, 1, 1000, 0, 1);
  j.allowed_nodes = {1};
  in.jobs.push_back(j);
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0.50, 1e-9);
}

TEST(EnergyBoundTest, JobsCompeteForTheCheapCapacity) {
  // Two 1-GPU jobs of 1 GPU-hour each, one step; the cheap node has one GPU.
  BoundInstance in{1, 1.0, {Node("cheap", 1, 1, 1e6, 0.10), Node("dear", 1, 1, 1e6, 0.40)}, {}};
  in.jobs.push_back(Training("a", 1, 1, 1000, 0, 1));
  in.jobs.push_back(Training("b", 1, 1, 1000, 0, 1));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_NEAR(r->energy_cost_usd, 0.50, 1e-9);
}

TEST(EnergyBoundTest, NoJobsCostNothing) {
  BoundInstance in{2, 1.0, {Node("a", 2, 8, 1e6, 0.10)}, {}};
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->energy_cost_usd, 0);
}

TEST(EnergyBoundTest, JobThatCannotFitAloneIsNamed) {
  BoundInstance in{2, 1.0, {Node("a", 2, 2, 1e6, 0.10)}, {}};
  in.jobs.push_back(Training("big", 2, 10, 500, 0, 2));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("training job 'big' needs 10 GPU-hours between steps 0 and "
                                      "2 but its allowed nodes offer at most 4"),
            std::string::npos)
      << r.status().message();
}

TEST(EnergyBoundTest, InferenceOutOfContactIsNamedWithTheStep) {
  BoundInstance in{2, 1.0, {Node("orbit", 2, 4, 1e6, 0)}, {}};
  in.nodes[0].steps[1].available = false;
  in.jobs.push_back(Inference("serve", 1, 300, 0, 2));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("inference job 'serve' needs 1 GPUs at step 1"),
            std::string::npos)
      << r.status().message();
}

TEST(EnergyBoundTest, JointlyInfeasibleJobsAreReportedAsSuch) {
  BoundInstance in{1, 1.0, {Node("a", 1, 3, 1e6, 0.10)}, {}};
  in.jobs.push_back(Inference("x", 2, 300, 0, 1));
  in.jobs.push_back(Inference("y", 2, 300, 0, 1));
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("each job fits alone, but together"), std::string::npos)
      << r.status().message();
}

TEST(EnergyBoundTest, MalformedInstancesNameTheField) {
  BoundInstance in{2, 1.0, {Node("a", 1, 3, 1e6, 0.10)}, {}};
  Result<BoundResult> r = EnergyCostLowerBound(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node 'a' has 1 steps, the instance 2"), std::string::npos);
  in.nodes[0] = Node("a", 2, 3, 1e6, 0.10);
  in.jobs.push_back(Training("late", 1, 1, 100, 1, 1));
  r = EnergyCostLowerBound(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("job 'late': release_step 1 and deadline_step 1"),
            std::string::npos);
  in.jobs[0] = Training("where", 1, 1, 100, 0, 2);
  in.jobs[0].allowed_nodes = {3};
  r = EnergyCostLowerBound(in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("allowed node index 3"), std::string::npos);
}

// A feasible schedule built by hand (whole GPUs, one node per job, contiguous steps) costs at
// least the bound, on random instances whose capacity is sized to hold that schedule.
TEST(EnergyBoundTest, BoundIsAtMostTheCostOfAConstructedSchedule) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 30; ++trial) {
    const int steps = 6, nodes = 3;
    BoundInstance in{steps, 0.5, {}, {}};
    for (int n = 0; n < nodes; ++n) {
      BoundNode node = Node("n" + std::to_string(n), steps, 0, 0, 0, 1 + 0.1 * n);
      for (auto& s : node.steps) {
        s.price_usd_per_kwh = std::uniform_real_distribution<double>(0, 0.3)(rng);
      }
      in.nodes.push_back(node);
    }
    double schedule_cost = 0;
    for (int j = 0; j < 4; ++j) {
      const int gpus = 1 + static_cast<int>(rng() % 3);
      const int start = static_cast<int>(rng() % 4);
      const int length = 1 + static_cast<int>(rng() % (steps - start));
      const int node = static_cast<int>(rng() % nodes);
      const double watts = 300 + 100 * static_cast<double>(rng() % 5);
      const bool inference = rng() % 2 == 0;
      BoundJob job = inference
                         ? Inference("j" + std::to_string(j), gpus, watts, start, start + length)
                         : Training("j" + std::to_string(j), gpus, gpus * length * in.step_hours,
                                    watts, 0, steps);
      in.jobs.push_back(job);
      // The constructed schedule: the job on `node` for steps [start, start + length).
      for (int t = start; t < start + length; ++t) {
        BoundNodeStep& s = in.nodes[node].steps[t];
        s.gpu_capacity += gpus;
        s.power_available_w += gpus * watts;
        schedule_cost +=
            gpus * watts / 1000 * in.step_hours * in.nodes[node].pue * s.price_usd_per_kwh;
      }
    }
    // And no less than each job's energy at the cheapest price (x PUE) of its window.
    double cheapest_cost = 0;
    for (const BoundJob& job : in.jobs) {
      double cheapest = 1e9;
      for (const BoundNode& node : in.nodes) {
        for (int t = job.release_step; t < job.deadline_step; ++t) {
          cheapest = std::min(cheapest, node.pue * node.steps[t].price_usd_per_kwh);
        }
      }
      const double gpu_hours =
          job.kind == BoundJobKind::kTraining
              ? job.gpu_hours
              : job.gpus * (job.deadline_step - job.release_step) * in.step_hours;
      cheapest_cost += gpu_hours * job.watts_per_gpu / 1000 * cheapest;
    }
    Result<BoundResult> r = EnergyCostLowerBound(in);
    ASSERT_TRUE(r.ok()) << "trial " << trial << ": " << r.status().ToString();
    EXPECT_LE(r->energy_cost_usd, schedule_cost + 1e-9) << "trial " << trial;
    EXPECT_GE(r->energy_cost_usd, cheapest_cost - 1e-9) << "trial " << trial;
  }
}

}  // namespace
}  // namespace apsis::sim
