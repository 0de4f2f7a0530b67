// Placement search: the best candidate (node, start) for one job across the fleet.
//
// Branch and bound: every node that passes the static checks gets an O(1) lower bound of its
// score (prefix sums of price, prefix counts of battery-bound steps); nodes are visited in bound
// order and the search stops as soon as the next bound cannot beat the best exact score found.
// Non-deferrable jobs backfill: when a start collides with committed work, the next start after
// the collision is tried. Deferrable jobs try a grid of starts up to their deadline.
//
// Pure function of its arguments; thread-compatible.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "scheduler/core/candidate_evaluation.h"

namespace apsis::core {

struct SearchNode {
  const NodeSpec* spec = nullptr;
  const NodeLedger* ledger = nullptr;  // null when the node has sent no forecast yet
  NodeState state = NodeState::kReady;
};

// One node's answer: its best feasible candidate or why it was rejected.
struct NodeVerdict {
  std::string node_id;
  CandidateResult result;
  bool pruned = false;  // not evaluated exactly: its lower bound could not beat the winner
};

struct SearchOutcome {
  std::optional<CandidateResult> best;
  // Explain mode only: every node's verdict.
  std::vector<NodeVerdict> verdicts;
  // When nothing fits: the most telling rejection, and whether any rejection may go away.
  Constraint constraint = Constraint::kNone;
  std::string reason;
  bool transient = false;
};

// `explain_all` evaluates every node exactly (no pruning) and keeps every verdict.
SearchOutcome SearchPlacement(const std::vector<SearchNode>& nodes, const PlacementRequest& req,
                              const EngineConfig& config, const PlacementPolicy& policy,
                              bool explain_all);

}  // namespace apsis::core
