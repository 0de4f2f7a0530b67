#include "scheduler/core/placement_search.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <tuple>

namespace apsis::core {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
// Floor of a node the static checks will reject: after every node that may fit, yet finite, so
// the node is still prepared when nothing fits and its rejection can be reported.
constexpr double kRejectFloor = 1e300;
// How many nodes ahead of the one being prepared its successors' memory is requested.
constexpr size_t kPrefetchAhead = 4;

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
  // Deferrable: (lower bound, start step) over the start grid, sorted; filled when visited.
  std::vector<std::pair<double, int64_t>> starts;
  int64_t grid = 0;  // deferrable: start grid in steps; 0 for the single start below
  double bound = kInf;
  int64_t first_start = 0;  // non-deferrable: the one start tried first (bound is its bound)
};

// Best candidate on one node whose score beats `cutoff`, or the first rejection met.
CandidateResult BestOnNode(PreparedNode& p, const PlacementRequest& req, const EngineConfig& config,
                           const PlacementPolicy& policy, double cutoff, bool* pruned) {
  if (p.grid > 0 && p.starts.empty()) {
    // A start whose floor reaches the cutoff has a bound that does too: the loop below, which
    // tries starts in bound order while the bound is below min(cutoff, best so far), would stop
    // before it. So only the others get their exact bound; with none left the node is pruned,
    // as the loop would conclude at its first start.
    thread_local std::vector<double> floors;
    GridScoreLowerBoundFloors(p.ctx, req, config, policy, p.grid, &floors);
    int64_t s = p.ctx.earliest_step;
    for (size_t k = 0; k < floors.size(); ++k, s += p.grid) {
      if (floors[k] < cutoff)
        p.starts.emplace_back(ScoreLowerBound(p.ctx, req, config, policy, s), s);
    }
    if (p.starts.empty()) {
      *pruned = true;
      CandidateResult none;
      none.reason = "not evaluated: its lower bound cannot beat the chosen node";
      return none;
    }
    std::sort(p.starts.begin(), p.starts.end());
  }
  const std::pair<double, int64_t> single[1] = {{p.bound, p.first_start}};
  const std::pair<double, int64_t>* begin = p.grid > 0 ? p.starts.data() : single;
  const std::pair<double, int64_t>* end = p.grid > 0 ? begin + p.starts.size() : single + 1;
  std::optional<CandidateResult> best;
  std::optional<CandidateResult> first_rejection;
  *pruned = false;
  const bool backfill = p.grid == 0 && p.ctx.flexible_start;
  for (const auto* it = begin; it != end; ++it) {
    const auto& [lb, s0] = *it;
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
  if (best) return std::move(*best);
  if (first_rejection) return std::move(*first_rejection);
  CandidateResult none;
  none.constraint = Constraint::kNone;
  none.reason = "not evaluated: its lower bound cannot beat the chosen node";
  *pruned = true;
  return none;
}

int64_t CeilStepOf(const SearchNodeBounds& b, TimePoint t) {
  const int64_t d = (t - b.forecast_start).count();
  const int64_t st = b.step.count();
  return d >= 0 ? (d + st - 1) / st : -((-d) / st);
}

// A floor of the bound PrepareNode would give the node (NodeScoreLowerBound for deferrable
// training, ScoreLowerBound at the earliest start otherwise), from SearchNodeBounds alone: the
// exact duration, transfer and earliest delay (orbital: not before input can be staged), and
// forecast-only minima for energy, carbon and battery wear. Latency counts as 0 (policies are
// non-decreasing in it). A hair below the true floor so that rounding never lets it exceed the
// bound; -inf when unknown.
double BoundFloor(const SearchNodeBounds& b, int index, const PlacementRequest& req,
                  const EngineConfig& config, const PlacementPolicy& policy, bool shift) {
  if (!b.valid) return -kInf;
  const JobSpec& job = *req.job;
  const ObjectiveWeights& w = config.weights;
  const double step_h = ToSeconds(b.step) / 3600.0;
  int64_t first = 0, d = 0;
  if (job.kind == JobKind::kTraining) {
    const double hours = req.work_gpu_hours / job.gpus;
    d = std::max<int64_t>(1, int64_t(std::ceil(hours / step_h - 1e-9)));
    first = std::max<int64_t>(0, CeilStepOf(b, req.earliest));
  } else {
    first = std::max<int64_t>(0, CeilStepOf(b, std::max(job.inference.serve_start, req.earliest)));
    d = CeilStepOf(b, job.inference.serve_end) - first;
    if (d <= 0) return -kInf;
  }
  const double stage_gb = req.input_node_id.empty() ? job.input_gb + req.resume_stage_gb : 0.0;
  if (b.orbital) {
    // Checks PrepareNodeCandidate is sure to fail put the node last; it is still prepared (and
    // its rejection noted) when nothing else fits. Otherwise staged input delays the start.
    const bool inference = job.kind == JobKind::kInference;
    if (stage_gb > 0) {
      if (!b.forecast.has_windows) return kRejectFloor;
      const int64_t ready = CeilStepOf(b, b.forecast.earliest_los);
      if (inference && ready > first) return kRejectFloor;
      first = std::max(first, ready);
    }
    if (inference && !b.relay && b.step * d > b.forecast.longest_contact) return kRejectFloor;
  }
  const double it_w = job.gpus * job.watts_per_gpu;
  const double hours = double(d) * step_h;
  CostBreakdown c;
  if (b.orbital) {
    c.energy_usd = w.orbital_energy_usd_per_kwh * it_w / 1000.0 * hours;
    int64_t len = d;
    if (shift) {
      const int64_t grid = std::max<int64_t>(1, config.start_search_step.count() / b.step.count());
      len = d - (std::max<int64_t>(1, d / (2 * grid)) - 1) * grid;
    }
    c.battery_wear_usd = w.battery_wear_usd_per_kwh * it_w * step_h / b.discharge_efficiency /
                         1000.0 * NodeLedger::MinBoundSteps(b.forecast, len);
  } else {
    const double node_kw = it_w * b.pue / 1000.0;
    c.energy_usd = w.energy_weight * node_kw * b.forecast.min_price_usd_per_kwh * hours;
    c.carbon_usd = w.carbon_usd_per_kg * node_kw * b.forecast.min_carbon_g_per_kwh * hours / 1000.0;
  }
  c.transfer_usd = (stage_gb + job.output_gb) *
                   (b.orbital ? w.space_transfer_usd_per_gb : w.ground_transfer_usd_per_gb);
  const double delay_h =
      std::max(0.0, ToSeconds(b.forecast_start + b.step * first - req.earliest) / 3600.0);
  const bool deferrable = job.kind == JobKind::kTraining && job.training.deferrable;
  c.delay_usd = delay_h * w.delay_usd_per_hour * (job.priority + 1) *
                (deferrable ? w.deferrable_delay_factor : 1.0);
  const double floor = policy.Score(CandidateScoreInput{c, 0.0, delay_h, index});
  return floor - 1e-9 * (std::abs(floor) + 1.0);
}

// The rejection to report when nothing fits: the furthest-reaching constraint, the first noted
// among equals (`key` orders notes as preparing every node first, then visiting, would).
struct RejectionTracker {
  int best_rank = -1;
  uint64_t best_key = 0;
  int node = -1;
  int64_t step = -1;
  void Note(SearchOutcome& out, int node_index, const CandidateResult& r, uint64_t key) {
    const int rank = ConstraintRank(r.constraint);
    out.transient = out.transient || r.transient;
    if (rank > best_rank || (rank == best_rank && key < best_key)) {
      best_rank = rank;
      best_key = key;
      out.constraint = r.constraint;
      out.reason = r.reason;
      node = node_index;
      step = r.at_step;
    }
  }
};

}  // namespace

SearchNode MakeSearchNode(const NodeSpec& spec, const NodeLedger* ledger, NodeState state) {
  SearchNode n{&spec, ledger, state, {}};
  if (ledger) {
    SearchNodeBounds& b = n.bounds;
    b.valid = true;
    b.orbital = ledger->orbital();
    b.relay = spec.relay;
    b.pue = spec.pue;
    b.discharge_efficiency = ledger->forecast().battery.discharge_efficiency;
    b.forecast_start = ledger->forecast().start;
    b.step = ledger->forecast().step;
    b.forecast = ledger->forecast_bounds();
  }
  return n;
}

SearchOutcome SearchPlacement(const std::vector<SearchNode>& nodes, const PlacementRequest& req,
                              const EngineConfig& config, const PlacementPolicy& policy,
                              bool explain_all, double visit_below) {
  SearchOutcome out;
  // Words are built only when explaining; otherwise only for the one rejection reported.
  PlacementRequest fast = req;
  fast.describe = explain_all && req.describe;
  const JobSpec& job = *req.job;
  const bool shift =
      policy.ShiftsInTime() && job.kind == JobKind::kTraining && job.training.deferrable;
  RejectionTracker rejections;
  uint64_t note_seq = 0;
  auto note_rejection = [&](int node_index, CandidateResult r, uint64_t key) {
    rejections.Note(out, node_index, r, key);
    if (explain_all) out.verdicts.push_back({nodes[node_index].spec->id, std::move(r), false});
  };
  // Static checks and the node's bound; false when the node is rejected (and noted).
  auto prepare = [&](size_t i, PreparedNode& p, uint64_t key) {
    const SearchNode& n = nodes[i];
    if (!n.ledger) {
      CandidateResult r;
      r.constraint = Constraint::kNoForecast;
      r.reason = "no forecast received yet";
      r.transient = true;
      note_rejection(int(i), std::move(r), key);
      return false;
    }
    p.index = static_cast<int>(i);
    p.starts.clear();
    if (auto rej = PrepareNodeCandidate(*n.ledger, n.state, p.index, fast, policy, &p.ctx)) {
      note_rejection(int(i), std::move(*rej), key);
      return false;
    }
    if (shift) {
      p.grid = std::max<int64_t>(
          1, config.start_search_step.count() / n.ledger->forecast().step.count());
      p.bound = NodeScoreLowerBound(p.ctx, fast, config, policy, p.grid);
    } else {
      p.grid = 0;
      p.first_start = p.ctx.earliest_step;
      p.bound = ScoreLowerBound(p.ctx, fast, config, policy, p.ctx.earliest_step);
    }
    return true;
  };
  // Nodes are prepared in an order known in advance: the ledger fields of the node
  // 2·kPrefetchAhead ahead and the arrays of the one kPrefetchAhead ahead are requested early, so
  // their cache misses overlap instead of stalling each preparation in turn.
  // The exact search asks for a node's whole bound set: it prepares and visits nodes in quick
  // succession. Bounded scoring does not: most of its nodes are only prepared, and the extra
  // requests for 256 cold ledgers cost more than they save.
  auto prefetch = [&](size_t far, size_t near, bool whole_bound_set) {
    if (const NodeLedger* l = nodes[far].ledger) l->PrefetchFields();
    if (const NodeLedger* l = nodes[near].ledger) l->PrefetchArrays(req.earliest, whole_bound_set);
  };
  double best_score = kInf;
  // Visits one prepared node; true when the search may go on.
  auto visit = [&](PreparedNode& p, uint64_t key) {
    const std::string& id = nodes[p.index].spec->id;
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
      note_rejection(p.index, std::move(r), key);
    }
  };
  // Scratch reused across calls (the engine searches thousands of times per Plan()).
  thread_local std::vector<PreparedNode> prepared;
  thread_local std::vector<std::pair<double, int>> order;
  const size_t n_nodes = nodes.size();
  if (!explain_all && config.max_scored_nodes <= 0) {
    // Exact search, preparing lazily: nodes sorted by their bound floor; before the next node in
    // (bound, index) order is taken from the heap, every node whose floor does not exceed its
    // bound is prepared, since it could come first. Nodes whose floor reaches the best score
    // found are never prepared. Rejection keys: node index while preparing, n + visit number
    // while visiting, as if every node were prepared first.
    order.clear();
    for (size_t i = 0; i < n_nodes; ++i) {
      order.emplace_back(BoundFloor(nodes[i].bounds, int(i), fast, config, policy, shift), int(i));
    }
    // Sorted lazily: most searches stop after a few dozen nodes, so only a growing prefix of the
    // smallest entries is sorted, when the search reaches it. Entries are unique (node index),
    // so the sequence taken is the fully sorted one.
    size_t sorted_end = 0;
    auto sort_through = [&](size_t k) {
      while (sorted_end < std::min(k, order.size())) {
        const size_t chunk = std::max<size_t>(64, sorted_end);
        const auto from = order.begin() + std::ptrdiff_t(sorted_end);
        if (sorted_end + chunk < order.size()) {
          const auto to = from + std::ptrdiff_t(chunk);
          std::nth_element(from, to, order.end());
          std::sort(from, to);
          sorted_end += chunk;
        } else {
          std::sort(from, order.end());
          sorted_end = order.size();
        }
      }
    };
    prepared.resize(std::max(prepared.size(), n_nodes));
    size_t n_prepared = 0;
    auto prefetch_visit = [&](size_t i, size_t slot) {
      __builtin_prefetch(&prepared[slot]);
      if (const NodeLedger* l = nodes[i].ledger) l->PrefetchArrays(req.earliest, true);
    };
    // Min-heap of (bound, node index, slot in `prepared`).
    thread_local std::vector<std::tuple<double, int, size_t>> heap;
    heap.clear();
    const auto later = std::greater<std::tuple<double, int, size_t>>();
    size_t next = 0;
    uint64_t visits = 0;
    for (;;) {
      // A node whose floor reaches `visit_below` has a bound that does too: never visited.
      sort_through(next + 1);
      while (next < order.size() && order[next].first < best_score &&
             order[next].first < visit_below &&
             (heap.empty() || order[next].first <= std::get<0>(heap.front()))) {
        sort_through(next + 2 * kPrefetchAhead + 1);
        if (next + 2 * kPrefetchAhead < order.size()) {
          prefetch(size_t(order[next + 2 * kPrefetchAhead].second),
                   size_t(order[next + kPrefetchAhead].second), true);
        }
        const size_t i = size_t(order[next++].second);
        PreparedNode& p = prepared[n_prepared];
        if (prepare(i, p, i)) {
          heap.emplace_back(p.bound, p.index, n_prepared++);
          std::push_heap(heap.begin(), heap.end(), later);
        }
      }
      if (heap.empty()) break;
      std::pop_heap(heap.begin(), heap.end(), later);
      const auto [bound, index, slot] = heap.back();
      heap.pop_back();
      if (bound >= best_score || bound >= visit_below) break;
      // The next visit is likely the new heap front (its fields were requested when it was one
      // of the front's children); its ledger has often left the cache since it was prepared.
      if (!heap.empty()) {
        prefetch_visit(size_t(std::get<1>(heap.front())), std::get<2>(heap.front()));
        for (size_t c = 1; c < std::min<size_t>(3, heap.size()); ++c) {
          if (const NodeLedger* l = nodes[size_t(std::get<1>(heap[c]))].ledger) l->PrefetchFields();
        }
      }
      visit(prepared[slot], n_nodes + visits++);
    }
  } else {
    // Bounded scoring (config.max_scored_nodes): nodes are taken in batches from a rotating,
    // job-dependent start so load spreads deterministically; the next batch is searched only
    // when a batch has no feasible candidate. Explaining prepares and visits every node.
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
    prepared.resize(std::max(prepared.size(), batch));
    while (scanned < n_nodes && !out.best) {
      size_t n_prepared = 0;
      for (; scanned < n_nodes && n_prepared < batch; ++scanned) {
        const size_t i = (offset + scanned) % n_nodes;
        prefetch((offset + scanned + 2 * kPrefetchAhead) % n_nodes,
                 (offset + scanned + kPrefetchAhead) % n_nodes, false);
        if (prepare(i, prepared[n_prepared], note_seq++)) ++n_prepared;
      }
      // Visit order by (bound, node index); sorting small pairs instead of the prepared nodes.
      order.clear();
      for (size_t k = 0; k < n_prepared; ++k) order.emplace_back(prepared[k].bound, int(k));
      std::sort(order.begin(), order.end(), [&](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first
                                  : prepared[a.second].index < prepared[b.second].index;
      });
      for (const auto& [bound, k] : order) {
        if (!explain_all && bound >= best_score) break;
        visit(prepared[k], note_seq++);
      }
    }
  }
  if (out.best) {
    out.constraint = Constraint::kNone;
    out.reason.clear();
    out.transient = false;
  } else if (rejections.node >= 0) {
    const SearchNode& n = nodes[rejections.node];
    if (n.ledger && !fast.describe) {
      // Re-run the reported rejection with words.
      NodeCandidateContext ctx;
      if (auto rej = PrepareNodeCandidate(*n.ledger, n.state, rejections.node, req, policy, &ctx)) {
        out.reason = rej->reason;
      } else if (rejections.step >= 0) {
        out.reason = EvaluateCandidate(ctx, req, config, policy, rejections.step).reason;
      }
    }
    out.reason = "node " + n.spec->id + ": " + out.reason;
  } else if (rejections.best_rank < 0) {
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
