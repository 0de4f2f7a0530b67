// EngineConfig: the tunables of the placement engine (objective weights, search limits, policy).
//
// The daemon fills this from scheduler.yaml; the defaults are what an operator gets without one.
// Plain value type, thread-compatible.
#pragma once

#include <string>

#include "common/status.h"
#include "common/time.h"

namespace apsis::core {

// Weights of the objective. Every term is in US dollars so they add up meaningfully.
struct ObjectiveWeights {
  double energy_weight = 1.0;               // × price × energy × PUE (ground)
  double orbital_energy_usd_per_kwh = 0.0;  // marginal cost of solar energy in orbit
  double carbon_usd_per_kg = 0.0;           // × carbon intensity × energy (ground)
  double battery_wear_usd_per_kwh = 0.05;   // per kWh discharged from a battery by the job
  double ground_transfer_usd_per_gb = 0.01;
  double space_transfer_usd_per_gb = 0.50;  // contact-window capacity is scarce
  double latency_usd_per_ms_hour = 0.01;    // inference: latency × serving hours
  double delay_usd_per_hour = 0.5;          // × (priority + 1) per hour after earliest start
  double deferrable_delay_factor = 0.02;    // deferrable jobs pay this share of the delay cost
  double gpu_hour_value_usd = 2.0;          // value of lost progress (migration decisions)
};

struct EngineConfig {
  ObjectiveWeights weights;
  std::string policy = "cost";  // cost | fifo-firstfit | ground-only | greedy-latency
  // Deferrable training tries start times on this grid between its earliest start and deadline.
  Duration start_search_step = Minutes(30);
  // Backfilling: how many later start times a non-deferrable job tries per node.
  int max_backfill_attempts_per_node = 48;
  // Rate at which a node writes (and reads back) a checkpoint; sets how early a StopJob must be.
  double checkpoint_write_gbps = 2.0;
  // 0: every node is scored (exact). N > 0: like kube-scheduler's percentageOfNodesToScore, only
  // N nodes that pass the static checks are scored per job (more if none of them fits), taken
  // from a rotating job-dependent start; trades optimality for latency on very large fleets.
  int max_scored_nodes = 0;
  // Try to preempt lower-priority preemptible work for jobs that otherwise miss a deadline/SLO.
  bool enable_preemption = true;
  // Consider migrating running training off nodes whose forecast changed.
  bool enable_migration = true;
  // Skip the migration search of a running job when a lower bound of any move's cost shows it
  // cannot pay, and stop that search at the cost that would pay. Same decisions either way;
  // false searches every job in full (the reference the shortcuts are tested against).
  bool migration_shortcuts = true;
};

Status ValidateEngineConfig(const EngineConfig& config);

}  // namespace apsis::core
