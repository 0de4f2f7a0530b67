// A lower bound on the energy cost of any schedule of a small instance, from a linear-programming
// relaxation solved with GLPK. The simulator compares a policy's energy cost with it to report the
// policy's optimality gap.
//
// Relaxation: jobs may use fractional GPUs, migrate between nodes every step and split their work
// freely over their release..deadline window; only GPU capacity, power, availability, the job's
// own GPU count and its work (or serving period) bind. Every real schedule is a feasible point of
// this LP with the same energy cost (price x energy x PUE), so the LP optimum is a lower bound —
// provided the inputs are upper bounds of what a node can offer (power available, GPUs) and
// lower bounds of what a job needs. Pure function; thread-compatible (GLPK keeps per-thread state).
#pragma once

#include <string>
#include <vector>

#include "common/status.h"

namespace apsis::sim {

// What one node offers during one time step.
struct BoundNodeStep {
  double gpu_capacity = 0;       // GPUs the node can run jobs on
  double power_available_w = 0;  // power for the GPUs (IT power), W
  double price_usd_per_kwh = 0;  // energy price; 0 for solar power in orbit
  bool available = true;         // up: may run jobs
  bool serves_inference = true;  // users can reach it (an orbital node without relay: in contact)
};

struct BoundNode {
  std::string id;
  double pue = 1;                    // energy drawn per unit of IT energy (1 in orbit)
  std::vector<BoundNodeStep> steps;  // one per time step of the instance
};

enum class BoundJobKind { kTraining, kInference };

struct BoundJob {
  std::string id;
  BoundJobKind kind = BoundJobKind::kTraining;
  int gpus = 1;                    // GPUs at a time (the most a training job may use at once)
  double gpu_hours = 0;            // training: work to do
  double watts_per_gpu = 0;        // draw of each busy GPU, W
  int release_step = 0;            // first step it may run in
  int deadline_step = 0;           // exclusive end: training finishes by it; inference serves every
                                   // step in [release_step, deadline_step)
  std::vector<int> allowed_nodes;  // indices into BoundInstance::nodes; empty: every node
  // Training-style work that users consume (inference whose serving steps are not fixed): runs
  // only where serves_inference, like an inference job.
  bool reach_required = false;
};

struct BoundInstance {
  int steps = 0;
  double step_hours = 1;
  std::vector<BoundNode> nodes;
  std::vector<BoundJob> jobs;
};

struct BoundResult {
  double energy_cost_usd = 0;                // the lower bound
  double energy_kwh = 0;                     // energy (PUE included) of the optimal LP solution
  std::vector<double> node_energy_cost_usd;  // the bound's cost split by node
  int variables = 0;                         // LP size, for reports
  int constraints = 0;
};

// The most LP variables (job x node x step triples) EnergyCostLowerBound accepts: beyond it the
// simplex takes minutes, and the bound is meant for small instances.
inline constexpr int kMaxBoundVariables = 2'000'000;

// Solves the relaxation. INVALID_ARGUMENT for a malformed instance (naming the node or job and
// field); FAILED_PRECONDITION when no schedule exists, naming the job that cannot fit alone or
// saying that the jobs together exceed what the nodes offer; RESOURCE_EXHAUSTED when the instance
// exceeds kMaxBoundVariables.
Result<BoundResult> EnergyCostLowerBound(const BoundInstance& instance);

}  // namespace apsis::sim
