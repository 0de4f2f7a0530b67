// Engine::Plan, migration, Explain and read-only views (engine.cc holds the model updates).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "scheduler/core/engine.h"
#include "scheduler/core/engine_records.h"

namespace apsis::core {

namespace {

std::string Dollars(double v) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "$%.2f", v);
  return buf;
}
}  // namespace

Result<PlanResult> Engine::Plan(TimePoint now) {
  PlanResult plan;
  plan.actions = std::move(queued_actions_);
  queued_actions_.clear();
  // Tails of stopped jobs end once their checkpoint is written.
  std::set<NodeRecord*> to_rebuild;
  for (auto key = stopping_keys_.begin(); key != stopping_keys_.end();) {
    auto it = reservations_.find(*key);
    if (it == reservations_.end()) {
      key = stopping_keys_.erase(key);
      continue;
    }
    if (it->second.end <= now) {
      auto n = nodes_.find(it->second.node_id);
      if (n != nodes_.end()) {
        n->second->reservation_keys.erase(it->first);
        to_rebuild.insert(n->second.get());
      }
      reservations_.erase(it);
      key = stopping_keys_.erase(key);
      continue;
    }
    ++key;
  }
  for (NodeRecord* n : to_rebuild) RebuildLedger(*n);
  if (!to_rebuild.empty()) ++capacity_version_;

  // Sorted ids: re-planning order is deterministic.
  const std::set<std::string> replanned = std::move(dirty_nodes_);
  dirty_nodes_.clear();
  for (const std::string& id : replanned) {
    NodeRecord& node = *nodes_.find(id)->second;
    ReplanNode(node, now, plan);
    node.dirty = false;
  }

  // Pending jobs; preemption victims become pending and get a second pass.
  std::map<std::string, int> attempts;
  for (int pass = 0; pass < 3; ++pass) {
    std::vector<JobRecord*> pending;
    for (auto it = maybe_pending_.begin(); it != maybe_pending_.end();) {
      JobRecord& j = *jobs_.find(*it)->second;
      if (j.state != JobState::kPending) {
        it = maybe_pending_.erase(it);
        continue;
      }
      if (attempts[*it] < 2) pending.push_back(&j);
      ++it;
    }
    if (pending.empty()) break;
    const bool by_priority = policy_->OrdersQueueByPriority();
    std::sort(pending.begin(), pending.end(), [&](const JobRecord* a, const JobRecord* b) {
      if (by_priority && a->spec.priority != b->spec.priority) {
        return a->spec.priority > b->spec.priority;
      }
      return a->seq < b->seq;
    });
    bool requeued = false;
    for (JobRecord* j : pending) {
      if (j->state != JobState::kPending) continue;
      ++attempts[j->spec.id];
      const size_t before = plan.actions.size();
      PlaceJob(*j, now, plan);
      for (size_t a = before; a < plan.actions.size(); ++a) {
        if (std::holds_alternative<StopJob>(plan.actions[a])) requeued = true;
      }
    }
    if (!requeued) break;
  }
  if (config_.enable_migration && !replanned.empty()) ConsiderMigration(replanned, now, plan);
  return plan;
}

namespace {

// Lower bounds on what any candidate of a training job can cost, from forecast-only minima of
// the whole fleet (commitments only add cost): the migration check skips a job whose every move
// costs more than staying.
struct MigrationFloors {
  bool any_ground = false, any_orbital = false;
  double ground_usd_per_kwh = 0;  // min over ground nodes of PUE × (energy + carbon) per IT kWh
  double max_step_hours = 0;
};

MigrationFloors FleetMigrationFloors(const std::vector<SearchNode>& nodes,
                                     const ObjectiveWeights& w) {
  MigrationFloors f;
  for (const SearchNode& n : nodes) {
    if (!n.ledger) continue;
    const NodeLedger& l = *n.ledger;
    f.max_step_hours = std::max(f.max_step_hours, l.step_hours());
    if (l.orbital()) {
      f.any_orbital = true;
      continue;
    }
    const NodeLedger::ForecastBounds& b = l.forecast_bounds();
    const double k = l.NodeLoadW(1000.0) / 1000.0 *
                     (w.energy_weight * b.min_price_usd_per_kwh +
                      w.carbon_usd_per_kg * b.min_carbon_g_per_kwh / 1000.0);
    f.ground_usd_per_kwh = f.any_ground ? std::min(f.ground_usd_per_kwh, k) : k;
    f.any_ground = true;
  }
  return f;
}

// A lower bound of cost.total() of any candidate for `req` (training) on a node other than
// req.input_node_id: energy at the fleet's cheapest rate over the run's shortest possible length
// (longest when that rate is negative), the transfers every such move pays, and no battery wear,
// latency or delay. +inf when no node has a forecast.
double MigrationCostFloor(const MigrationFloors& f, const PlacementRequest& req,
                          const ObjectiveWeights& w) {
  const JobSpec& job = *req.job;
  const double it_kw = job.gpus * job.watts_per_gpu / 1000.0;
  const double run_h = req.work_gpu_hours / job.gpus;
  // Runs last whole steps: at least run_h (less the search's rounding allowance), at most one
  // step more.
  const double min_h = std::max(0.0, run_h - 1e-9 * f.max_step_hours);
  const double max_h = run_h + f.max_step_hours;
  auto energy = [&](double usd_per_kwh) {
    return usd_per_kwh * it_kw * (usd_per_kwh >= 0 ? min_h : max_h);
  };
  const double gb = job.input_gb + req.resume_stage_gb + job.output_gb;
  double floor = std::numeric_limits<double>::infinity();
  if (f.any_ground) {
    floor = energy(f.ground_usd_per_kwh) + gb * w.ground_transfer_usd_per_gb;
  }
  if (f.any_orbital) {
    floor =
        std::min(floor, energy(w.orbital_energy_usd_per_kwh) + gb * w.space_transfer_usd_per_gb);
  }
  return floor;
}

}  // namespace

// A running training job on a node whose forecast changed moves only when the cost saved on its
// remaining work exceeds the migration cost (checkpoint transfer + progress lost while
// checkpointing and restoring). The move pays staging on both sides of that comparison, so it
// pays off exactly when the alternative's other costs undercut staying by more than the lost
// progress: with migration_shortcuts, a job is not searched when a lower bound of every
// alternative's cost shows that cannot happen, and the search stops at the cost that would pay
// (when the policy scores by total cost).
void Engine::ConsiderMigration(const std::set<std::string>& node_ids, TimePoint now,
                               PlanResult& plan) {
  const ObjectiveWeights& wt = config_.weights;
  const bool shortcuts = config_.migration_shortcuts;
  const MigrationFloors floors =
      shortcuts ? FleetMigrationFloors(SearchNodes(), wt) : MigrationFloors{};
  const bool cutoff = shortcuts && config_.max_scored_nodes <= 0 && policy_->ScoresByTotalCost();
  std::vector<SearchNode> others;
  for (const std::string& nid : node_ids) {
    NodeRecord& node = *nodes_.find(nid)->second;
    if (!node.ledger) continue;
    const std::vector<std::string> keys(node.reservation_keys.begin(), node.reservation_keys.end());
    others.clear();  // the node set does not change during migration
    for (const std::string& key : keys) {
      const Reservation res = reservations_[key];
      JobRecord& j = *jobs_.find(res.job_id)->second;
      if (!res.running || res.stopping || j.spec.kind != JobKind::kTraining || res.end <= now ||
          res.start >= now) {
        continue;
      }
      const Duration ckpt = CheckpointDuration(j.spec, *node.ledger);
      const double left = ToSeconds(res.end - now) / ToSeconds(res.end - res.start);
      // Staying costs the remaining energy at the new forecast's prices; the other terms
      // (battery wear, transfers already paid, delay) are pro-rated from the reservation.
      const NodeLedger& l = *node.ledger;
      const int s_now = int(std::clamp<int64_t>(l.CeilStep(now), 0, l.steps()));
      const int s_end = int(std::clamp<int64_t>(l.CeilStep(res.end), 0, l.steps()));
      double stay_usd = res.cost.battery_wear_usd * left;
      if (!l.orbital()) {
        const double node_kw = l.NodeLoadW(res.it_load_w) / 1000.0;
        stay_usd += wt.energy_weight * node_kw * l.PriceIntegral(s_now, s_end) +
                    wt.carbon_usd_per_kg * node_kw * l.CarbonIntegral(s_now, s_end) / 1000.0;
      } else {
        stay_usd += res.cost.energy_usd * left;
      }
      // Both sides pay the output transfer.
      stay_usd += j.spec.output_gb *
                  (l.orbital() ? wt.space_transfer_usd_per_gb : wt.ground_transfer_usd_per_gb);
      const double lost_usd = ToSeconds(ckpt) / 3600.0 * 2 * res.gpus * wt.gpu_hour_value_usd;
      JobRecord moved = j;
      RequeueFromStop(moved, res, now, now + ckpt);
      // Leaving an orbital node, the move waits for the checkpoint to come down (in windows its
      // own output no longer needs): the candidate's start and delay cost use that arrival.
      PlacementRequest req = MakeRequest(moved, now, &res.transfers);
      req.describe = false;  // only the best candidate is used
      // A move pays when the alternative's cost, staging aside, is below stay − lost progress;
      // the allowance covers rounding differences between the two ways of adding it up.
      const double pays_below = stay_usd - lost_usd;
      const double allowance = 1e-9 * (std::abs(stay_usd) + lost_usd + 1.0) + 1e-9;
      double visit_below = std::numeric_limits<double>::infinity();
      if (shortcuts) {
        const double floor = MigrationCostFloor(floors, req, wt);
        if (floor > pays_below + allowance * (1.0 + std::abs(floor))) continue;
        if (cutoff) visit_below = pays_below + allowance * (1.0 + std::abs(pays_below));
      }
      if (others.empty()) {
        for (const SearchNode& s : SearchNodes()) {
          if (s.spec->id != nid) others.push_back(s);
        }
      }
      SearchOutcome o = SearchPlacement(others, req, config_, *policy_, false, visit_below);
      if (!o.best || o.best->score >= visit_below) continue;
      // The move also pays staging input and checkpoint on the new node, plus the progress lost
      // while checkpointing and restoring.
      const Reservation& alt = o.best->reservation;
      const bool alt_orbital = nodes_.find(alt.node_id)->second->ledger->orbital();
      const double alt_stage_usd =
          alt.cost.transfer_usd - j.spec.output_gb * (alt_orbital ? wt.space_transfer_usd_per_gb
                                                                  : wt.ground_transfer_usd_per_gb);
      const double migration_usd = alt_stage_usd + lost_usd;
      const double saving = stay_usd - (alt.cost.total() - alt_stage_usd);
      if (!(saving > migration_usd)) continue;
      const std::string why = "migrating to " + o.best->reservation.node_id + ": saves " +
                              Dollars(saving) + " > migration cost " + Dollars(migration_usd);
      plan.actions.push_back(StopJob{j.spec.id, nid, now, true, why});
      node.reservation_keys.erase(key);
      reservations_.erase(key);
      Reservation tail = StoppingTail(res, now, now + ckpt);
      if (tail.end > tail.start) {
        node.reservation_keys.insert(j.spec.id + std::string(kStoppingSuffix));
        stopping_keys_.insert(j.spec.id + std::string(kStoppingSuffix));
        reservations_[j.spec.id + std::string(kStoppingSuffix)] = std::move(tail);
      }
      RebuildLedger(node);
      ++capacity_version_;
      j = std::move(moved);
      Reservation r = std::move(o.best->reservation);
      plan.actions.push_back(StartJob{r.job_id, r.node_id, r.start, r.end, r.work_gpu_hours});
      plan.outcomes.push_back({j.spec.id, OutcomeKind::kPlaced, Constraint::kNone, why});
      j.state = JobState::kPlaced;
      const Reservation& placed = CommitReservation(std::move(r), j.spec.id);
      SettleCheckpointDownlink(j, placed, now);
    }
  }
}

Result<PlacementExplanation> Engine::Explain(std::string_view job_id, TimePoint now) const {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFoundError("unknown job " + std::string(job_id));
  const JobRecord& j = *it->second;
  PlacementExplanation ex;
  ex.job_id = j.spec.id;
  ex.state = j.state;
  std::vector<SearchNode> nodes = SearchNodes();
  // Evaluate the job as if its own reservation were not there.
  std::unique_ptr<NodeLedger> without_job;
  auto r = reservations_.find(job_id);
  if (r != reservations_.end()) {
    ex.placed_on = r->second.node_id;
    const NodeRecord& n = *nodes_.find(ex.placed_on)->second;
    if (n.ledger) {
      without_job = std::make_unique<NodeLedger>(*n.ledger);
      without_job->Clear();
      for (const std::string& key : n.reservation_keys) {
        if (key != j.spec.id) without_job->Commit(reservations_.find(key)->second);
      }
      for (SearchNode& s : nodes) {
        if (s.spec->id == ex.placed_on) s.ledger = without_job.get();
      }
    }
  }
  const PlacementRequest req = MakeRequest(j, now);
  SearchOutcome o = SearchPlacement(nodes, req, config_, *policy_, true);
  const std::string chosen =
      !ex.placed_on.empty() ? ex.placed_on : (o.best ? o.best->reservation.node_id : "");
  if (o.best) {
    ex.outcome = OutcomeKind::kPlaced;
    ex.summary = "best: " + o.best->reservation.node_id + " at " +
                 FormatRfc3339(o.best->reservation.start) + ", cost " +
                 Dollars(o.best->reservation.cost.total()) + " (policy " +
                 std::string(policy_->name()) + ")";
  } else {
    ex.outcome = o.transient ? OutcomeKind::kRetryLater : OutcomeKind::kInfeasible;
    ex.summary = o.reason;
  }
  for (NodeVerdict& v : o.verdicts) {
    CandidateExplanation c;
    c.node_id = v.node_id;
    c.feasible = v.result.feasible;
    c.pruned = v.pruned;
    c.chosen = v.node_id == chosen;
    if (c.feasible) {
      c.start = v.result.reservation.start;
      c.end = v.result.reservation.end;
      c.cost = v.result.reservation.cost;
      c.score = v.result.score;
    } else {
      c.constraint = v.result.constraint;
      c.reason = v.result.reason;
    }
    ex.candidates.push_back(std::move(c));
  }
  return ex;
}

std::string PlacementExplanation::ToString() const {
  std::string out = "job " + job_id + " (" + std::string(JobStateName(state)) + ")";
  if (!placed_on.empty()) out += " placed on " + placed_on;
  out += ": " + summary + "\n";
  for (const CandidateExplanation& c : candidates) {
    out += c.chosen ? "* " : "  ";
    out += c.node_id + ": ";
    if (c.feasible) {
      out += "start " + FormatRfc3339(c.start) + " end " + FormatRfc3339(c.end) + " total " +
             Dollars(c.cost.total()) + " = energy " + Dollars(c.cost.energy_usd) + " + carbon " +
             Dollars(c.cost.carbon_usd) + " + battery " + Dollars(c.cost.battery_wear_usd) +
             " + transfer " + Dollars(c.cost.transfer_usd) + " + latency " +
             Dollars(c.cost.latency_usd) + " + delay " + Dollars(c.cost.delay_usd);
    } else if (c.pruned) {
      out += "not evaluated (cost lower bound cannot win)";
    } else {
      out += "rejected [" + std::string(ConstraintName(c.constraint)) + "] " + c.reason;
    }
    out += "\n";
  }
  return out;
}

std::vector<Reservation> Engine::Reservations() const {
  std::vector<Reservation> out;
  out.reserve(reservations_.size());
  for (const auto& [key, r] : reservations_) out.push_back(r);
  return out;
}

Result<JobState> Engine::GetJobState(std::string_view job_id) const {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFoundError("unknown job " + std::string(job_id));
  return it->second->state;
}

FleetSnapshot Engine::Snapshot(TimePoint now) const {
  FleetSnapshot s;
  s.now = now;
  for (const auto& [id, n] : nodes_) {
    NodeSnapshot ns;
    ns.spec = n->spec;
    ns.state = n->state;
    if (n->ledger) ns.forecast = n->ledger->forecast();
    s.nodes.push_back(std::move(ns));
  }
  for (const auto& [id, j] : jobs_) {
    s.jobs.push_back(j->spec);
    if (j->checkpoint_in_orbit) {
      s.checkpoints.push_back(
          {id, j->input_node_id, j->checkpoint_written_at, j->spec.training.checkpoint_gb});
    }
  }
  s.reservations = Reservations();
  return s;
}

size_t Engine::LedgerMemoryBytes() const {
  size_t n = 0;
  for (const auto& [id, node] : nodes_) {
    if (node->ledger) n += node->ledger->MemoryBytes();
  }
  return n;
}

size_t Engine::ReservationMemoryBytes() const {
  // std::map node overhead (~4 pointers + colour) plus the value and its heap parts.
  size_t n = 0;
  for (const auto& [key, r] : reservations_) {
    n += 48 + key.capacity() + sizeof(Reservation) + r.job_id.capacity() + r.node_id.capacity() +
         r.transfers.capacity() * sizeof(TransferAllocation);
    for (const TransferAllocation& t : r.transfers) n += t.station.capacity();
  }
  return n;
}

}  // namespace apsis::core
