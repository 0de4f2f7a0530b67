// PlanChecker: validates a set of reservations against every hard constraint, independently of
// the planner.
//
// It shares only the plain model types with the planner and re-derives every constraint from the
// node forecasts with its own code: GPUs and power at every step, the orbital battery simulated
// step by step from the forecast's initial state of charge (charge/discharge efficiencies,
// capacity clipping, floor, discharge limit), the radiator limit, contact-window capacity as a
// resource shared by all jobs of a node, input uplinked before start and output downlinked after
// the end, a checkpoint left on an orbital node downlinked before the job resumes elsewhere,
// requests and responses of relay-less orbital serving carried by every window they overlap,
// inference latency SLO and contact for the whole serving period, deadlines, and no new
// work on cordoned, draining or down nodes. Used by tests, the simulator and the daemon's debug
// mode. Pure function; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scheduler/core/model.h"

namespace apsis::core {

struct NodeSnapshot {
  NodeSpec spec;
  NodeState state = NodeState::kReady;
  std::optional<NodeForecast> forecast;
};

// A training job's latest checkpoint, written at `written_at` by a stop on orbital node
// `node_id` and not yet restored anywhere: a reservation of the job on another node must start
// only once the job's checkpoint downlinks from that node (windows opening after `written_at`)
// have carried all `gb` to the ground.
struct CheckpointLocation {
  std::string job_id;
  std::string node_id;
  TimePoint written_at;
  double gb = 0;
};

// A self-contained picture of the fleet, the jobs and the reservations to check.
struct FleetSnapshot {
  TimePoint now;
  std::vector<NodeSnapshot> nodes;
  std::vector<JobSpec> jobs;  // at least every job that has a reservation
  std::vector<Reservation> reservations;
  std::vector<CheckpointLocation> checkpoints;
};

struct PlanViolation {
  std::string job_id;  // empty for node-wide violations
  std::string node_id;
  Constraint constraint = Constraint::kNone;
  TimePoint at;
  std::string message;
};

// Every violation found, in a deterministic order (node id, then time).
std::vector<PlanViolation> CheckPlan(const FleetSnapshot& snapshot);

std::string ToString(const PlanViolation& v);

}  // namespace apsis::core
