// Candidate evaluation: can a job run on one node from one start step, and at what cost?
//
// This is the planner's side of every hard constraint (the plan checker re-derives them on its
// own). A CandidateResult is either feasible, with its reservation, or carries the precise
// constraint that rejected it with the time and the values involved, ready for explanations.
//
// Functions are pure over their arguments; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scheduler/core/engine_config.h"
#include "scheduler/core/model.h"
#include "scheduler/core/node_ledger.h"
#include "scheduler/core/policy/placement_policy.h"

namespace apsis::core {

// One job as the planner wants to place it now.
struct PlacementRequest {
  const JobSpec* job = nullptr;
  TimePoint now;
  TimePoint earliest;          // max(now, job.earliest_start, end of a stopping checkpoint)
  double work_gpu_hours = 0;   // training: remaining work
  std::string input_node_id;   // node that already holds the input (and checkpoint), if any
  double resume_stage_gb = 0;  // checkpoint to stage when resuming on another node
  // Training stopped with its checkpoint on orbital node input_node_id: on any other node it
  // cannot start (nor stage the checkpoint up again) before the checkpoint is on the ground,
  // and cannot resume at all when no window of that node carries it before `checkpoint_horizon`.
  bool checkpoint_in_orbit = false;
  std::optional<TimePoint> checkpoint_on_ground;
  TimePoint checkpoint_horizon;  // end of the forecast of input_node_id
  bool describe = true;          // build human-readable rejection reasons (slower)
};

struct CandidateResult {
  bool feasible = false;
  Constraint constraint = Constraint::kNone;
  std::string reason;
  // The rejection may go away by itself (capacity freed, more windows in a later forecast).
  bool transient = false;
  // Backfilling hint: the earliest later start step worth trying, or -1.
  int64_t retry_step = -1;
  // Start step this result was evaluated at (-1 for start-independent rejections).
  int64_t at_step = -1;
  Reservation reservation;  // when feasible
  double score = 0;         // policy score when feasible
};

// Everything about a (job, node) pair that does not depend on the start time.
struct NodeCandidateContext {
  const NodeLedger* ledger = nullptr;
  NodeState state = NodeState::kReady;
  int node_index = 0;
  double stage_bytes = 0;             // to uplink before start
  TimePoint stage_from;               // staging uses windows opening at or after this
  double checkpoint_downlink_gb = 0;  // checkpoint brought down from another orbital node
  double latency_ms = 0;
  int64_t duration_steps = 0;
  int64_t earliest_step = 0;   // including data-ready time on orbital nodes
  int64_t latest_step = 0;     // last allowed start step (deadline, serving start, horizon)
  bool flexible_start = true;  // false for inference (fixed serving period)
};

// Static checks (state, GPU type/count/watts, policy, latency SLO, relay/contact, staging
// feasibility) and the start-independent context. Returns a rejection when the node is out.
std::optional<CandidateResult> PrepareNodeCandidate(const NodeLedger& ledger, NodeState state,
                                                    int node_index, const PlacementRequest& req,
                                                    const PlacementPolicy& policy,
                                                    NodeCandidateContext* ctx);

// O(1) lower bound of the policy score of starting at `start_step` (exact except battery wear).
double ScoreLowerBound(const NodeCandidateContext& ctx, const PlacementRequest& req,
                       const EngineConfig& config, const PlacementPolicy& policy,
                       int64_t start_step);

// O(starts) lower bound of the best score over the start grid earliest, earliest + grid_steps,
// ... latest: every cost term at its own best start (used to order nodes before expanding).
double NodeScoreLowerBound(const NodeCandidateContext& ctx, const PlacementRequest& req,
                           const EngineConfig& config, const PlacementPolicy& policy,
                           int64_t grid_steps);

// Floors (each a hair below) of ScoreLowerBound at every start of the grid earliest,
// earliest + grid_steps, ... latest, in one cheap pass: for time-shifting policies only the cost's
// start-dependent terms (energy, carbon, battery wear, delay) differ between starts. Lets a start,
// or the whole node, be dropped before its bound is computed exactly. `floors` is overwritten.
void GridScoreLowerBoundFloors(const NodeCandidateContext& ctx, const PlacementRequest& req,
                               const EngineConfig& config, const PlacementPolicy& policy,
                               int64_t grid_steps, std::vector<double>* floors);

// Full evaluation of starting at `start_step`.
CandidateResult EvaluateCandidate(const NodeCandidateContext& ctx, const PlacementRequest& req,
                                  const EngineConfig& config, const PlacementPolicy& policy,
                                  int64_t start_step);

// Bytes as gigabytes for reasons: "500 GB", "2.5 GB".
std::string FormatGb(double bytes);

}  // namespace apsis::core
