#include "scheduler/core/placement_search.h"

#include <algorithm>
#include <limits>

namespace apsis::core {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// How far a rejected candidate got through the checks; the furthest one explains best why a job
// cannot be placed.
int ConstraintRank(Constraint c) {
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
  std::vector<std::pair<double, int64_t>> starts;  // (lower bound, start step), sorted
  double bound = kInf;
};

// Best candidate on one node whose score beats `cutoff`, or the first rejection met.
CandidateResult BestOnNode(const PreparedNode& p, const PlacementRequest& req,
                           const EngineConfig& config, const PlacementPolicy& policy, double cutoff,
                           bool* pruned) {
  std::optional<CandidateResult> best;
  std::optional<CandidateResult> first_rejection;
  *pruned = false;
  const bool backfill = p.starts.size() == 1 && p.ctx.flexible_start;
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

}  // namespace

SearchOutcome SearchPlacement(const std::vector<SearchNode>& nodes, const PlacementRequest& req,
                              const EngineConfig& config, const PlacementPolicy& policy,
                              bool explain_all) {
  SearchOutcome out;
  std::vector<PreparedNode> prepared;
  prepared.reserve(nodes.size());
  const JobSpec& job = *req.job;
  const bool shift =
      policy.ShiftsInTime() && job.kind == JobKind::kTraining && job.training.deferrable;
  int best_rank = -1;
  auto note_rejection = [&](const std::string& node_id, CandidateResult r) {
    const int rank = ConstraintRank(r.constraint);
    out.transient = out.transient || r.transient;
    if (rank > best_rank) {
      best_rank = rank;
      out.constraint = r.constraint;
      out.reason = "node " + node_id + ": " + r.reason;
    }
    out.verdicts.push_back({node_id, std::move(r), false});
  };
  for (size_t i = 0; i < nodes.size(); ++i) {
    const SearchNode& n = nodes[i];
    if (!n.ledger) {
      CandidateResult r;
      r.constraint = Constraint::kNoForecast;
      r.reason = "node " + n.spec->id + " has sent no forecast yet";
      r.transient = true;
      note_rejection(n.spec->id, std::move(r));
      continue;
    }
    PreparedNode p;
    p.index = static_cast<int>(i);
    if (auto rej = PrepareNodeCandidate(*n.ledger, n.state, p.index, req, policy, &p.ctx)) {
      note_rejection(n.spec->id, std::move(*rej));
      continue;
    }
    if (shift) {
      const int64_t grid = std::max<int64_t>(
          1, config.start_search_step.count() / n.ledger->forecast().step.count());
      for (int64_t s = p.ctx.earliest_step; s <= p.ctx.latest_step; s += grid) {
        p.starts.emplace_back(ScoreLowerBound(p.ctx, req, config, policy, s), s);
      }
      std::sort(p.starts.begin(), p.starts.end());
    } else {
      p.starts.emplace_back(ScoreLowerBound(p.ctx, req, config, policy, p.ctx.earliest_step),
                            p.ctx.earliest_step);
    }
    p.bound = p.starts.front().first;
    prepared.push_back(std::move(p));
  }
  std::sort(prepared.begin(), prepared.end(), [](const PreparedNode& a, const PreparedNode& b) {
    return a.bound != b.bound ? a.bound < b.bound : a.index < b.index;
  });
  double best_score = kInf;
  for (const PreparedNode& p : prepared) {
    const std::string& id = nodes[p.index].spec->id;
    if (!explain_all && p.bound >= best_score) break;
    bool pruned = false;
    CandidateResult r =
        BestOnNode(p, req, config, policy, explain_all ? kInf : best_score, &pruned);
    if (r.feasible) {
      if (r.score < best_score) {
        best_score = r.score;
        out.best = r;
      }
      if (explain_all) out.verdicts.push_back({id, std::move(r), false});
    } else if (pruned) {
      if (explain_all) out.verdicts.push_back({id, std::move(r), true});
    } else {
      note_rejection(id, std::move(r));
    }
  }
  if (out.best) {
    out.constraint = Constraint::kNone;
    out.reason.clear();
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

}  // namespace apsis::core
