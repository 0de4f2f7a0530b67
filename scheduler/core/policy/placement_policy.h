// PlacementPolicy: the strategy that decides which feasible candidate a job gets.
//
// The engine enforces every hard constraint itself; a policy only (1) may exclude nodes, (2) says
// whether deferrable work may be shifted in time, (3) scores feasible candidates (lower wins) and
// (4) orders the pending queue. Scores must be non-decreasing in every cost component, latency
// and start delay so the engine can prune candidates whose lower bound already scores worse
// than the best found.
//
// Implementations are stateless and immutable after construction, hence thread-safe.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "scheduler/core/model.h"

namespace apsis::core {

// What a policy may look at when scoring one candidate (node, start).
struct CandidateScoreInput {
  const CostBreakdown& cost;
  double latency_ms = 0;         // node → job's user region (0 when the job has none)
  double start_delay_hours = 0;  // start − job's earliest start
  int node_index = 0;            // position of the node in id order
};

class PlacementPolicy {
 public:
  virtual ~PlacementPolicy() = default;
  virtual std::string_view name() const = 0;
  // A reason when this policy never places `job` on `node`; nullopt otherwise.
  virtual std::optional<std::string> ExcludesNode(const NodeSpec& node, const JobSpec& job) const {
    return std::nullopt;
  }
  // Whether deferrable training may start later than its earliest start (temporal shifting).
  // Policies that shift must score by input.cost.total() (plus terms that do not depend on the
  // start), so the engine can bound a node's best start by the joint minimum of its cost terms.
  virtual bool ShiftsInTime() const = 0;
  // Lower is better. Must be non-decreasing in every field of input.cost, in latency_ms and in
  // start_delay_hours (the search bounds scores from below with floors of each).
  virtual double Score(const CandidateScoreInput& input) const = 0;
  // True when Score() is exactly input.cost.total(): the engine may then stop a search at a cost
  // it does not need to beat (migration).
  virtual bool ScoresByTotalCost() const { return false; }
  // True: pending jobs go by priority (high first), then submission. False: submission order.
  virtual bool OrdersQueueByPriority() const { return true; }
};

// Creates the policy called `name` ("cost", "fifo-firstfit", "ground-only", "greedy-latency").
Result<std::unique_ptr<PlacementPolicy>> MakePlacementPolicy(std::string_view name);
// Every policy name MakePlacementPolicy accepts, sorted.
std::vector<std::string> PlacementPolicyNames();

}  // namespace apsis::core
