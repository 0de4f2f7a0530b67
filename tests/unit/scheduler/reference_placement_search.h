// The placement search as it was before it prepared nodes lazily in cost-bound order: every node
// is prepared and bounded first, then visited in (bound, node index) order. Kept as the oracle
// that the optimised SearchPlacement must match decision for decision
// (search_equivalence_test.cc). Test-only; pure function of its arguments.
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <utility>
#include <vector>

#include "scheduler/core/placement_search.h"

namespace apsis::core::testing {

namespace reference_detail {

constexpr double kInf = std::numeric_limits<double>::infinity();

inline int ConstraintRank(Constraint c) {
  switch (c) {
    case Constraint::kNone:
      return 0;
    case Constraint::kNoForecast:
      return 1;
    case Constraint::kNodeState:
      return 2;
    case Constraint::kPolicy:
      return 3;
    case Constraint::kGpuType:
      return 4;
    case Constraint::kGpuCount:
      return 5;
    case Constraint::kGpuWatts:
      return 6;
    case Constraint::kLatency:
      return 7;
    case Constraint::kContact:
      return 8;
    case Constraint::kHorizon:
      return 9;
    case Constraint::kDeadline:
      return 9;
    case Constraint::kUplink:
      return 10;
    case Constraint::kGpusBusy:
      return 11;
    case Constraint::kPower:
      return 11;
    case Constraint::kRadiator:
      return 11;
    case Constraint::kBatteryDischarge:
      return 12;
    case Constraint::kBatteryFloor:
      return 12;
    case Constraint::kDownlink:
      return 13;
  }
  return 0;
}

struct PreparedNode {
  int index = 0;
  NodeCandidateContext ctx;
  // (lower bound, start step), sorted; for a deferrable job filled only when the node is visited.
  std::vector<std::pair<double, int64_t>> starts;
  int64_t grid = 0;  // deferrable: start grid in steps; 0 for a single start
  double bound = kInf;
};

// Best candidate on one node whose score beats `cutoff`, or the first rejection met.
inline CandidateResult BestOnNode(PreparedNode& p, const PlacementRequest& req,
                                  const EngineConfig& config, const PlacementPolicy& policy,
                                  double cutoff, bool* pruned) {
  if (p.grid > 0 && p.starts.empty()) {
    for (int64_t s = p.ctx.earliest_step; s <= p.ctx.latest_step; s += p.grid) {
      p.starts.emplace_back(ScoreLowerBound(p.ctx, req, config, policy, s), s);
    }
    std::sort(p.starts.begin(), p.starts.end());
  }
  std::optional<CandidateResult> best;
  std::optional<CandidateResult> first_rejection;
  *pruned = false;
  const bool backfill = p.grid == 0 && p.ctx.flexible_start;
  for (const auto& [lb, s0] : p.starts) {
    const double limit = best ? std::min(cutoff, best->score) : cutoff;
    if (lb >= limit) {
      if (!best && !first_rejection) *pruned = true;
      break;
    }
    int64_t s = s0;
    CandidateResult r = EvaluateCandidate(p.ctx, req, config, policy, s);
    int attempts = 0;
    while (!r.feasible && backfill && r.retry_step > s && r.retry_step <= p.ctx.latest_step &&
           attempts < config.max_backfill_attempts_per_node) {
      if (!first_rejection) first_rejection = r;
      s = r.retry_step;
      if (ScoreLowerBound(p.ctx, req, config, policy, s) >= limit) {
        if (!best) *pruned = !first_rejection.has_value();
        break;
      }
      r = EvaluateCandidate(p.ctx, req, config, policy, s);
      ++attempts;
    }
    if (r.feasible) {
      if (!best || r.score < best->score) best = std::move(r);
    } else if (!first_rejection) {
      first_rejection = std::move(r);
    }
  }
  if (best) return *best;
  if (first_rejection) return *first_rejection;
  CandidateResult none;
  none.constraint = Constraint::kNone;
  none.reason = "not evaluated: its lower bound cannot beat the chosen node";
  *pruned = true;
  return none;
}

}  // namespace reference_detail

inline SearchOutcome ReferenceSearchPlacement(const std::vector<SearchNode>& nodes,
                                              const PlacementRequest& req,
                                              const EngineConfig& config,
                                              const PlacementPolicy& policy, bool explain_all) {
  using namespace reference_detail;
  SearchOutcome out;
  // Words are built only when explaining; otherwise only for the one rejection reported.
  PlacementRequest fast = req;
  fast.describe = explain_all && req.describe;
  std::vector<PreparedNode> prepared;
  const JobSpec& job = *req.job;
  const bool shift =
      policy.ShiftsInTime() && job.kind == JobKind::kTraining && job.training.deferrable;
  int best_rank = -1;
  int reported_node = -1;
  int64_t reported_step = -1;
  auto note_rejection = [&](int node_index, CandidateResult r) {
    const int rank = ConstraintRank(r.constraint);
    out.transient = out.transient || r.transient;
    if (rank > best_rank) {
      best_rank = rank;
      out.constraint = r.constraint;
      out.reason = r.reason;
      reported_node = node_index;
      reported_step = r.at_step;
    }
    if (explain_all) out.verdicts.push_back({nodes[node_index].spec->id, std::move(r), false});
  };
  // Bounded scoring (config.max_scored_nodes): nodes are taken in batches from a rotating,
  // job-dependent start so load spreads deterministically; the next batch is searched only when
  // a batch has no feasible candidate. Exact (one batch of every node) when 0 or explaining.
  const size_t n_nodes = nodes.size();
  const size_t batch = (explain_all || config.max_scored_nodes <= 0)
                           ? n_nodes
                           : std::min(n_nodes, size_t(config.max_scored_nodes));
  size_t offset = 0;
  if (batch < n_nodes) {
    uint64_t h = 1469598103934665603ULL;  // FNV-1a of the job id
    for (char ch : job.id) h = (h ^ uint8_t(ch)) * 1099511628211ULL;
    offset = size_t(h % n_nodes);
  }
  size_t scanned = 0;
  double best_score = kInf;
  prepared.reserve(batch);
  while (scanned < n_nodes && !out.best) {
    prepared.clear();
    for (; scanned < n_nodes && prepared.size() < batch; ++scanned) {
      const size_t i = (offset + scanned) % n_nodes;
      const SearchNode& n = nodes[i];
      if (!n.ledger) {
        CandidateResult r;
        r.constraint = Constraint::kNoForecast;
        r.reason = "no forecast received yet";
        r.transient = true;
        note_rejection(int(i), std::move(r));
        continue;
      }
      PreparedNode p;
      p.index = static_cast<int>(i);
      if (auto rej = PrepareNodeCandidate(*n.ledger, n.state, p.index, fast, policy, &p.ctx)) {
        note_rejection(int(i), std::move(*rej));
        continue;
      }
      if (shift) {
        p.grid = std::max<int64_t>(
            1, config.start_search_step.count() / n.ledger->forecast().step.count());
        p.bound = NodeScoreLowerBound(p.ctx, fast, config, policy, p.grid);
      } else {
        p.starts.emplace_back(ScoreLowerBound(p.ctx, fast, config, policy, p.ctx.earliest_step),
                              p.ctx.earliest_step);
        p.bound = p.starts.front().first;
      }
      prepared.push_back(std::move(p));
    }
    // Visit order by (bound, node index); sorting small pairs instead of the prepared nodes.
    std::vector<std::pair<double, int>> order;
    order.reserve(prepared.size());
    for (size_t k = 0; k < prepared.size(); ++k) order.emplace_back(prepared[k].bound, int(k));
    std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
      return a.first != b.first ? a.first < b.first
                                : prepared[a.second].index < prepared[b.second].index;
    });
    for (const auto& [bound, k] : order) {
      PreparedNode& p = prepared[k];
      const std::string& id = nodes[p.index].spec->id;
      if (!explain_all && p.bound >= best_score) break;
      bool pruned = false;
      CandidateResult r =
          BestOnNode(p, fast, config, policy, explain_all ? kInf : best_score, &pruned);
      if (r.feasible) {
        if (r.score < best_score) {
          best_score = r.score;
          out.best = r;
        }
        if (explain_all) out.verdicts.push_back({id, std::move(r), false});
      } else if (pruned) {
        if (explain_all) out.verdicts.push_back({id, std::move(r), true});
      } else {
        note_rejection(p.index, std::move(r));
      }
    }
  }
  if (out.best) {
    out.constraint = Constraint::kNone;
    out.reason.clear();
  } else if (reported_node >= 0) {
    const SearchNode& n = nodes[reported_node];
    if (n.ledger && !fast.describe) {
      // Re-run the reported rejection with words.
      NodeCandidateContext ctx;
      if (auto rej = PrepareNodeCandidate(*n.ledger, n.state, reported_node, req, policy, &ctx)) {
        out.reason = rej->reason;
      } else if (reported_step >= 0) {
        out.reason = EvaluateCandidate(ctx, req, config, policy, reported_step).reason;
      }
    }
    out.reason = "node " + n.spec->id + ": " + out.reason;
  } else if (best_rank < 0) {
    out.constraint = Constraint::kNone;
    out.reason = "no nodes in the fleet";
    out.transient = true;
  }
  if (explain_all) {
    std::stable_sort(out.verdicts.begin(), out.verdicts.end(),
                     [](const NodeVerdict& a, const NodeVerdict& b) {
                       if (a.result.feasible != b.result.feasible) return a.result.feasible;
                       if (a.result.feasible) return a.result.score < b.result.score;
                       return a.node_id < b.node_id;
                     });
  }
  return out;
}

}  // namespace apsis::core::testing
