// Simulation: the scheduler core in virtual time over a fleet model and a workload.
//
// For each policy, one core::Engine gets the fleet's nodes, a forecast from every node each
// forecast interval (from NodeModel, with the battery state of charge the simulation measured),
// every job at its submission time, and the job events a `sim` executor would report: started,
// finished, and checkpointed when stopped. Its actions are carried out as the agents would:
// StartJob at its time tag (a later StartJob supersedes it, a StopJob before it cancels it),
// StopJob at its time (with a checkpoint the job keeps its GPUs and power until the checkpoint is
// written; without, progress falls back to the last periodic checkpoint). Between events each
// node's meter integrates energy, price, carbon, GPU use and, in orbit, the battery (the agents'
// StepBattery with the node's solar input). Nothing reads a clock; the same inputs give the same
// results. Policies run on separate threads, each with its own engine.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "common/time.h"
#include "scheduler/core/engine_config.h"
#include "sim/node_model.h"
#include "sim/workload.h"

namespace apsis::sim {

struct SimOptions {
  std::vector<std::string> policies = {"cost"};
  Duration horizon = Hours(24 * 7);
  uint64_t seed = 1;
  // Run the independent plan checker after every Plan(); violations end up in the result.
  bool check = false;
  core::EngineConfig engine;  // weights and search limits; `policy` is set per run
  size_t max_violations_kept = 20;
  // The engine plans once per this interval (on its multiples from the epoch) after anything
  // changed; placements start on forecast steps anyway, so the default (the fleet's forecast step,
  // when zero) loses nothing but the arrival order of jobs within one step. Negative: plan after
  // every distinct event time.
  Duration plan_interval = Duration::zero();
  int threads = 0;  // policies run in parallel on up to this many threads (0: all cores)
};

// One stretch of a job running on a node.
struct RunSegment {
  int node = 0;  // index into FleetModel::nodes()
  std::string job_id;
  core::JobKind kind = core::JobKind::kTraining;
  TimePoint start;
  TimePoint end;
  bool stopped = false;  // ended by a StopJob rather than by finishing (or the horizon)
};

struct PolicyResult {
  std::string name;
  int64_t jobs_submitted = 0;
  int64_t jobs_done = 0;
  int64_t jobs_rejected = 0;
  int64_t jobs_started = 0;
  double energy_kwh = 0;       // ground facility energy (IT × PUE) + orbital GPU energy
  double energy_cost_usd = 0;  // ground: hourly price × facility energy; orbit: weights' $/kWh
  double carbon_kg = 0;
  double slo_attainment = 1;  // served / due inference serving time within the horizon
  double wait_p50_s = 0;
  double wait_p95_s = 0;
  double wait_p99_s = 0;
  double gpu_utilisation_ground = 0;
  double gpu_utilisation_orbit = 0;
  int64_t preemptions = 0;  // running jobs stopped before they were done
  double data_moved_gb = 0;
  double battery_unmet_wh = 0;  // load an empty battery could not carry (should stay 0)
  int64_t plan_calls = 0;
  int64_t check_violations = 0;
  std::vector<std::string> violations;  // the first few, formatted
  std::vector<std::string> anomalies;   // engine calls that failed (should stay empty)
  std::vector<RunSegment> segments;     // sorted by node, then start
  std::vector<double> hourly_cost_usd;
  std::vector<double> hourly_util_ground;
  std::vector<double> hourly_util_orbit;
  // Set by AttachOptimalityGaps (`apsis-sim run --bound`, sim/optimality_gap.h): the LP lower
  // bound on the energy cost of the work this policy did, or why it could not be computed.
  std::optional<double> energy_lower_bound_usd;
  std::string bound_error;
};

struct SimReport {
  TimePoint epoch;
  Duration horizon{};
  uint64_t seed = 0;
  size_t jobs = 0;
  std::vector<PolicyResult> policies;
};

Result<PolicyResult> SimulatePolicy(const FleetModel& fleet, const Workload& workload,
                                    const SimOptions& options, const std::string& policy);
// Every policy of `options` on the same fleet and workload.
Result<SimReport> Simulate(const FleetModel& fleet, const Workload& workload,
                           const SimOptions& options);

}  // namespace apsis::sim
