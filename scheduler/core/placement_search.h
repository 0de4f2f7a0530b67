// Placement search: the best candidate (node, start) for one job across the fleet.
//
// Branch and bound: every node that passes the static checks gets an O(1) lower bound of its
// score (prefix sums of price, prefix counts of battery-bound steps); nodes are visited in bound
// order and the search stops as soon as the next bound cannot beat the best exact score found.
// When every node is scored, nodes are first ordered by a cheaper floor of that bound computed
// from SearchNode::bounds alone (contiguous, no ledger access) and prepared only when their floor
// could still come first, so a large fleet's cold ledgers stay untouched; the visit order, and so
// every decision, is the same as preparing every node up front.
// Non-deferrable jobs backfill: when a start collides with committed work, the next start after
// the collision is tried. Deferrable jobs try a grid of starts up to their deadline.
//
// Pure function of its arguments; thread-compatible.
#pragma once

#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "scheduler/core/candidate_evaluation.h"

namespace apsis::core {

// Per-node numbers the search reads before touching a node's ledger (see MakeSearchNode).
struct SearchNodeBounds {
  bool valid = false;  // false: no floor known, the node is always prepared
  bool orbital = false;
  bool relay = false;
  double pue = 1.0;
  double discharge_efficiency = 1.0;
  TimePoint forecast_start;
  Duration step = Seconds(60);
  NodeLedger::ForecastBounds forecast;
};

struct SearchNode {
  const NodeSpec* spec = nullptr;
  const NodeLedger* ledger = nullptr;  // null when the node has sent no forecast yet
  NodeState state = NodeState::kReady;
  SearchNodeBounds bounds;  // optional: speeds up the search of large fleets
};

// A SearchNode with its bounds filled from the ledger (when there is one).
SearchNode MakeSearchNode(const NodeSpec& spec, const NodeLedger* ledger, NodeState state);

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
  // When nothing fits: the most telling rejection, and whether any rejection may go away
  // (transient is false when a candidate was found).
  Constraint constraint = Constraint::kNone;
  std::string reason;
  bool transient = false;
};

// `explain_all` evaluates every node exactly (no pruning) and keeps every verdict.
// `visit_below` (exact search only, i.e. max_scored_nodes == 0 and not explaining): nodes whose
// score bound reaches it are not visited. When the unrestricted search's best scores below it,
// the same best is returned; otherwise none or a best scoring at least `visit_below`.
SearchOutcome SearchPlacement(const std::vector<SearchNode>& nodes, const PlacementRequest& req,
                              const EngineConfig& config, const PlacementPolicy& policy,
                              bool explain_all,
                              double visit_below = std::numeric_limits<double>::infinity());

}  // namespace apsis::core
