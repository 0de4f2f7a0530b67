#include "scheduler/core/engine.h"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "scheduler/core/engine_records.h"

namespace apsis::core {

namespace {

bool TakesNewWork(NodeState s) { return s == NodeState::kReady || s == NodeState::kOutOfContact; }

}  // namespace

Result<std::unique_ptr<Engine>> Engine::Create(EngineConfig config) {
  RETURN_IF_ERROR(ValidateEngineConfig(config));
  ASSIGN_OR_RETURN(auto policy, MakePlacementPolicy(config.policy));
  return std::unique_ptr<Engine>(new Engine(std::move(config), std::move(policy)));
}

Engine::Engine(EngineConfig config, std::unique_ptr<PlacementPolicy> policy)
    : config_(std::move(config)), policy_(std::move(policy)) {}

Engine::~Engine() = default;

Status Engine::AddNode(const NodeSpec& spec) {
  RETURN_IF_ERROR(ValidateNodeSpec(spec));
  search_nodes_valid_ = false;
  ++capacity_version_;
  auto it = nodes_.find(spec.id);
  if (it == nodes_.end()) {
    auto rec = std::make_unique<NodeRecord>();
    rec->spec = spec;
    nodes_.emplace(spec.id, std::move(rec));
    return Status::Ok();
  }
  NodeRecord& n = *it->second;
  if (n.spec.kind != spec.kind) {
    return InvalidArgumentError("node " + spec.id + " cannot change kind; remove it first");
  }
  n.spec = spec;
  if (n.ledger) {
    n.ledger = std::make_unique<NodeLedger>(spec, n.ledger->forecast());
    RebuildLedger(n);
  }
  n.dirty = true;
  dirty_nodes_.insert(n.spec.id);
  return Status::Ok();
}

Status Engine::UpdateForecast(std::string_view node_id, NodeForecast forecast) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) {
    return NotFoundError("forecast for unknown node " + std::string(node_id) + "; AddNode first");
  }
  NodeRecord& n = *it->second;
  RETURN_IF_ERROR(
      ValidateForecast(n.spec.kind, forecast).WithContext("node " + std::string(node_id)));
  // Contact windows are re-identified by (station, aos) so staging plans survive a new forecast.
  std::map<std::pair<std::string, int64_t>, int> window_index;
  for (size_t w = 0; w < forecast.windows.size(); ++w) {
    window_index[{forecast.windows[w].station, forecast.windows[w].aos.micros()}] = int(w);
  }
  for (const std::string& key : n.reservation_keys) {
    for (TransferAllocation& t : reservations_[key].transfers) {
      auto w = window_index.find({t.station, t.aos.micros()});
      t.window_index = w == window_index.end() ? -1 : w->second;
    }
  }
  n.ledger = std::make_unique<NodeLedger>(n.spec, std::move(forecast));
  search_nodes_valid_ = false;
  RebuildLedger(n);
  ++capacity_version_;
  n.dirty = true;
  dirty_nodes_.insert(n.spec.id);
  return Status::Ok();
}

Status Engine::SetNodeState(std::string_view node_id, NodeState state) {
  auto it = nodes_.find(node_id);
  if (it == nodes_.end()) return NotFoundError("unknown node " + std::string(node_id));
  if (it->second->state != state) {
    ++capacity_version_;
    search_nodes_valid_ = false;
    it->second->state = state;
    it->second->dirty = true;
    dirty_nodes_.insert(it->second->spec.id);
  }
  return Status::Ok();
}

Status Engine::Submit(const JobSpec& job) {
  RETURN_IF_ERROR(ValidateJobSpec(job));
  if (jobs_.count(job.id)) return AlreadyExistsError("job " + job.id + " was already submitted");
  auto rec = std::make_unique<JobRecord>();
  rec->spec = job;
  rec->seq = next_seq_++;
  rec->earliest = job.earliest_start;
  jobs_.emplace(job.id, std::move(rec));
  maybe_pending_.insert(job.id);
  return Status::Ok();
}

Status Engine::Submit(const JobSpec& job, const ResumePoint& resume) {
  RETURN_IF_ERROR(Submit(job));
  if (job.kind != JobKind::kTraining || resume.node_id.empty()) return Status::Ok();
  JobRecord& j = *jobs_.find(job.id)->second;
  j.checkpointed_gpu_hours = resume.checkpointed_gpu_hours;
  j.progress_gpu_hours = resume.checkpointed_gpu_hours;
  auto n = nodes_.find(resume.node_id);
  if (n != nodes_.end() && n->second->state == NodeState::kDown) {
    // Its copy went down with the node: as for a lost job, staged again wherever it resumes.
    j.resume_stage_gb = resume.checkpointed_gpu_hours > 0 ? job.training.checkpoint_gb : 0;
    return Status::Ok();
  }
  // As when the engine itself stopped the job (RequeueFromStop).
  j.input_node_id = resume.node_id;
  j.resume_stage_gb = job.training.checkpoint_gb;
  j.checkpoint_in_orbit = job.training.checkpoint_gb > 0 && n != nodes_.end() &&
                          n->second->spec.kind == NodeKind::kOrbital;
  j.checkpoint_written_at = resume.checkpoint_written_at;
  return Status::Ok();
}

std::optional<Engine::ResumePoint> Engine::ResumePointOf(std::string_view job_id) const {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return std::nullopt;
  const JobRecord& j = *it->second;
  if (j.spec.kind != JobKind::kTraining || j.input_node_id.empty() ||
      (j.state != JobState::kPending && j.state != JobState::kPlaced)) {
    return std::nullopt;
  }
  return ResumePoint{j.input_node_id, j.checkpoint_written_at, j.checkpointed_gpu_hours};
}

Status Engine::Cancel(std::string_view job_id) {
  auto it = jobs_.find(job_id);
  if (it == jobs_.end()) return NotFoundError("unknown job " + std::string(job_id));
  JobRecord& j = *it->second;
  if (j.state == JobState::kSucceeded || j.state == JobState::kFailed ||
      j.state == JobState::kCancelled || j.state == JobState::kRejected) {
    return FailedPreconditionError("job " + j.spec.id + " already ended (" +
                                   std::string(JobStateName(j.state)) + ")");
  }
  auto r = reservations_.find(j.spec.id);
  if (r != reservations_.end()) {
    queued_actions_.push_back(
        StopJob{j.spec.id, r->second.node_id, r->second.start, false, "cancelled"});
  }
  EraseReservationsOf(j.spec.id);
  j.state = JobState::kCancelled;
  ++capacity_version_;
  return Status::Ok();
}

Status Engine::OnJobEvent(const JobEvent& ev) {
  auto it = jobs_.find(ev.job_id);
  if (it == jobs_.end()) return NotFoundError("event for unknown job " + ev.job_id);
  JobRecord& j = *it->second;
  auto r = reservations_.find(ev.job_id);
  ++capacity_version_;
  switch (ev.type) {
    case JobEventType::kStarted:
      if (r == reservations_.end()) {
        return FailedPreconditionError("job " + ev.job_id + " started without a reservation");
      }
      r->second.running = true;
      r->second.input_on_node = true;
      j.state = JobState::kRunning;
      j.input_node_id = r->second.node_id;
      // The checkpoint is restored on the node: its trip down (if any) is history.
      j.checkpoint_in_orbit = false;
      EraseReservationKeys({ev.job_id + std::string(kCheckpointSuffix)});
      return Status::Ok();
    case JobEventType::kProgress:
      j.progress_gpu_hours = ev.done_gpu_hours;
      return Status::Ok();
    case JobEventType::kCheckpointed:
      j.checkpointed_gpu_hours = std::max(j.checkpointed_gpu_hours, ev.done_gpu_hours);
      j.progress_gpu_hours = std::max(j.progress_gpu_hours, ev.done_gpu_hours);
      return Status::Ok();
    case JobEventType::kFinished:
    case JobEventType::kFailed:
      EraseReservationsOf(ev.job_id);
      j.state = ev.type == JobEventType::kFinished ? JobState::kSucceeded : JobState::kFailed;
      return Status::Ok();
    case JobEventType::kLost:
      // The node (and its copy of the checkpoint) is gone: restart elsewhere from the last
      // checkpoint the scheduler knows of, staging input again.
      EraseReservationsOf(ev.job_id);
      j.state = JobState::kPending;
      maybe_pending_.insert(j.spec.id);
      j.input_node_id.clear();
      j.checkpoint_in_orbit = false;
      j.resume_stage_gb = j.checkpointed_gpu_hours > 0 ? j.spec.training.checkpoint_gb : 0;
      j.earliest = std::max(j.earliest, ev.at);
      return Status::Ok();
  }
  return InvalidArgumentError("unknown job event type");
}

void Engine::RebuildLedger(NodeRecord& node) {
  if (!node.ledger) return;
  std::vector<const Reservation*> rs;
  rs.reserve(node.reservation_keys.size());
  for (const std::string& key : node.reservation_keys) rs.push_back(&reservations_[key]);
  node.ledger->Rebuild(rs);
}

const Reservation& Engine::CommitReservation(Reservation r, const std::string& key) {
  NodeRecord& node = *nodes_.find(r.node_id)->second;
  node.ledger->Commit(r);
  node.reservation_keys.insert(key);
  Reservation& stored = reservations_[key];
  stored = std::move(r);
  return stored;
}

void Engine::EraseReservationsOf(const std::string& job_id) {
  EraseReservationKeys(
      {job_id, job_id + std::string(kStoppingSuffix), job_id + std::string(kCheckpointSuffix)});
}

void Engine::EraseReservationKeys(std::initializer_list<std::string> keys) {
  std::set<NodeRecord*> touched;
  for (const std::string& key : keys) {
    auto r = reservations_.find(key);
    if (r == reservations_.end()) continue;
    auto n = nodes_.find(r->second.node_id);
    if (n != nodes_.end()) {
      n->second->reservation_keys.erase(key);
      touched.insert(n->second.get());
    }
    reservations_.erase(r);
  }
  for (NodeRecord* n : touched) RebuildLedger(*n);
}

Duration Engine::CheckpointDuration(const JobSpec& job, const NodeLedger& ledger) const {
  if (job.kind != JobKind::kTraining || job.training.checkpoint_gb <= 0) return Duration::zero();
  const double seconds = job.training.checkpoint_gb / config_.checkpoint_write_gbps;
  // Whole steps, so the stopping tail occupies the grid the checker sees.
  const int64_t st = ledger.forecast().step.count();
  const int64_t us = static_cast<int64_t>(std::ceil(seconds * 1e6 / st)) * st;
  return Duration(us);
}

CheckpointDownlinkPlan Engine::PlanJobCheckpoint(
    const JobRecord& j, TimePoint now, const std::vector<TransferAllocation>* released) const {
  auto r = reservations_.find(j.spec.id + std::string(kCheckpointSuffix));
  if (r != reservations_.end()) return {r->second.transfers, r->second.end};  // already reserved
  auto n = nodes_.find(j.input_node_id);
  if (n == nodes_.end() || !n->second->ledger) return {};
  return PlanCheckpointDownlink(*n->second->ledger, std::max(j.checkpoint_written_at, now),
                                j.spec.training.checkpoint_gb * 1e9, released);
}

PlacementRequest Engine::MakeRequest(const JobRecord& j, TimePoint now,
                                     const std::vector<TransferAllocation>* released) const {
  PlacementRequest req;
  req.job = &j.spec;
  req.now = now;
  req.earliest = std::max({now, j.spec.earliest_start, j.earliest});
  req.work_gpu_hours = j.spec.kind == JobKind::kTraining
                           ? std::max(1e-9, j.spec.training.gpu_hours - j.checkpointed_gpu_hours)
                           : 0.0;
  req.input_node_id = j.input_node_id;
  req.resume_stage_gb = j.resume_stage_gb;
  if (j.checkpoint_in_orbit) {
    req.checkpoint_in_orbit = true;
    req.checkpoint_on_ground = PlanJobCheckpoint(j, now, released).on_ground;
    auto n = nodes_.find(j.input_node_id);
    if (n != nodes_.end() && n->second->ledger) {
      req.checkpoint_horizon = n->second->ledger->forecast().end();
    }
  }
  return req;
}

void Engine::SettleCheckpointDownlink(JobRecord& j, const Reservation& placed, TimePoint now) {
  if (!j.checkpoint_in_orbit) return;
  const std::string key = j.spec.id + std::string(kCheckpointSuffix);
  const bool reserved = reservations_.count(key) > 0;
  if (placed.node_id == j.input_node_id) {
    // Resumes where its checkpoint is: nothing to bring down.
    if (reserved) {
      EraseReservationKeys({key});
      ++capacity_version_;
    }
    return;
  }
  if (reserved) return;
  CheckpointDownlinkPlan down = PlanJobCheckpoint(j, now, nullptr);
  if (!down.on_ground) return;  // cannot happen: the placement was searched with this plan
  Reservation r;
  r.job_id = j.spec.id;
  r.node_id = j.input_node_id;
  r.start = j.checkpoint_written_at;
  r.end = std::max(r.start, *down.on_ground);
  r.checkpoint_downlink = true;
  r.transfers = std::move(down.transfers);
  CommitReservation(std::move(r), key);
}

void Engine::ReleaseCheckpointDownlink(JobRecord& j, TimePoint now, const std::string& why,
                                       PlanResult& plan) {
  EraseReservationKeys({j.spec.id + std::string(kCheckpointSuffix)});
  ++capacity_version_;
  auto r = reservations_.find(j.spec.id);
  if (r == reservations_.end() || r->second.running || r->second.node_id == j.input_node_id) {
    return;
  }
  plan.actions.push_back(StopJob{j.spec.id, r->second.node_id, now, false, why});
  EraseReservationKeys({j.spec.id});
  j.state = JobState::kPending;
  maybe_pending_.insert(j.spec.id);
}

const std::vector<SearchNode>& Engine::SearchNodes() const {
  if (!search_nodes_valid_) {
    search_nodes_.clear();
    search_nodes_.reserve(nodes_.size());
    for (const auto& [id, n] : nodes_)
      search_nodes_.push_back(MakeSearchNode(n->spec, n->ledger.get(), n->state));
    search_nodes_valid_ = true;
  }
  return search_nodes_;
}

void Engine::RequeueFromStop(JobRecord& j, const Reservation& res, TimePoint stop_at,
                             TimePoint resume_at) {
  if (j.spec.kind == JobKind::kTraining) {
    const double ran_h = std::max(0.0, ToSeconds(stop_at - res.start) / 3600.0);
    const double done_here = std::min(res.work_gpu_hours, ran_h * res.gpus);
    const double total = j.spec.training.gpu_hours;
    const double before = total - res.work_gpu_hours;
    j.checkpointed_gpu_hours = std::max(j.checkpointed_gpu_hours, before + done_here);
    j.resume_stage_gb = j.spec.training.checkpoint_gb;
    auto n = nodes_.find(res.node_id);
    j.checkpoint_in_orbit = j.spec.training.checkpoint_gb > 0 && n != nodes_.end() &&
                            n->second->spec.kind == NodeKind::kOrbital;
    j.checkpoint_written_at = resume_at;
  }
  j.input_node_id = res.node_id;
  j.earliest = resume_at;
  j.state = JobState::kPending;
  maybe_pending_.insert(j.spec.id);
}

// Re-validates a node whose forecast or state changed. Work on down nodes is lost; work not yet
// started on nodes that take nothing new is re-placed. Then, while the committed state breaks a
// constraint, one reservation active at the first violation gives way: not-yet-started work is
// re-placed; running work stops early enough to write its checkpoint before the violation and is
// re-placed from that checkpoint.
void Engine::ReplanNode(NodeRecord& node, TimePoint now, PlanResult& plan) {
  ++capacity_version_;
  const std::vector<std::string> keys(node.reservation_keys.begin(), node.reservation_keys.end());
  auto release = [&](const std::string& key, const std::string& why) {
    ReleasePlaced(node, key, now, why, plan);
  };
  for (const std::string& key : keys) {
    if (!reservations_.count(key)) continue;  // dropped with a checkpoint downlink above
    const Reservation& res = reservations_[key];
    JobRecord& job = *jobs_.find(res.job_id)->second;
    if (res.checkpoint_downlink) {
      if (node.state == NodeState::kDown) {
        // Its copy of the checkpoint is gone: like a lost job, the job resumes from the last
        // checkpoint the scheduler knows of, wherever it is placed.
        job.checkpoint_in_orbit = false;
        node.reservation_keys.erase(key);
        reservations_.erase(key);
        continue;
      }
      for (const TransferAllocation& t : res.transfers) {
        if (t.window_index < 0 && t.los > node.ledger->forecast().start) {
          ReleaseCheckpointDownlink(job, now,
                                    "re-planned: contact window " + t.station + " at " +
                                        FormatRfc3339(t.aos) +
                                        " carrying its checkpoint is no longer forecast",
                                    plan);
          break;
        }
      }
      continue;
    }
    if (node.state == NodeState::kDown) {
      // Nothing runs on a down node: running work restarts from its last checkpoint elsewhere.
      if (res.running && !res.stopping) {
        job.input_node_id.clear();
        job.checkpoint_in_orbit = false;
        job.resume_stage_gb = job.checkpointed_gpu_hours > 0 ? job.spec.training.checkpoint_gb : 0;
      }
      release(key, "node " + node.spec.id + " is down");
      continue;
    }
    if (!res.running && !TakesNewWork(node.state)) {
      release(key,
              "re-planned: node " + node.spec.id + " is " + std::string(NodeStateName(node.state)));
      continue;
    }
    // Staging through a window the new forecast no longer has.
    for (const TransferAllocation& t : res.transfers) {
      // Output downlinks and serving traffic move with the windows (ReplanWindowUse).
      const bool needed = t.direction == TransferDirection::kUplink &&
                          t.purpose == TransferPurpose::kStaging && !res.input_on_node;
      if (needed && t.window_index < 0 && !res.running) {
        release(key, "re-planned: contact window " + t.station + " at " + FormatRfc3339(t.aos) +
                         " is no longer forecast");
        break;
      }
    }
  }
  if (node.state == NodeState::kDown) {
    // Checkpoints of waiting jobs went down with the node: as for lost jobs, they resume from
    // the last checkpoint the scheduler knows of, staged again wherever they are placed.
    for (const std::string& id : maybe_pending_) {
      JobRecord& j = *jobs_.find(id)->second;
      if (j.state == JobState::kPending && j.checkpoint_in_orbit &&
          j.input_node_id == node.spec.id) {
        j.checkpoint_in_orbit = false;
        j.input_node_id.clear();
      }
    }
  }
  RebuildLedger(node);
  if (!node.ledger) return;
  ReplanWindowUse(node, now, plan);
  NodeLedger& l = *node.ledger;
  for (size_t guard = 0; guard <= 2 * keys.size(); ++guard) {
    const auto v = l.FirstCommittedViolation();
    if (!v) break;
    const TimePoint at = l.TimeOfStep(v->step);
    // Who gives way: work not started yet, then the lowest priority, then the latest start.
    const std::string* victim = nullptr;
    for (const std::string& key : node.reservation_keys) {
      const Reservation& r = reservations_[key];
      if (r.stopping || (r.checkpoint_downlink && v->window < 0)) continue;
      bool involved;
      if (v->window >= 0) {
        involved =
            std::any_of(r.transfers.begin(), r.transfers.end(),
                        [&](const TransferAllocation& t) { return t.window_index == v->window; });
      } else {
        involved = l.FloorStep(r.start) <= v->step && l.CeilStep(r.end) > v->step;
      }
      if (!involved) continue;
      if (!victim) {
        victim = &key;
        continue;
      }
      const Reservation& b = reservations_[*victim];
      const int pr = jobs_.find(r.job_id)->second->spec.priority;
      const int pb = jobs_.find(b.job_id)->second->spec.priority;
      // A checkpoint on its way down ranks with running work.
      const auto rank_r =
          std::make_tuple(r.running || r.checkpoint_downlink, pr, -r.start.micros());
      const auto rank_b =
          std::make_tuple(b.running || b.checkpoint_downlink, pb, -b.start.micros());
      if (rank_r < rank_b) victim = &key;
    }
    if (!victim) break;  // only stopping tails left: nothing more can be done
    const std::string key = *victim;
    const std::string why =
        "re-planned: " +
        (v->window >= 0 ? DescribeWindowOverload(l, v->window, v->constraint == Constraint::kUplink)
                        : v->what);
    const Reservation res = reservations_[key];
    if (res.checkpoint_downlink) {
      ReleaseCheckpointDownlink(*jobs_.find(res.job_id)->second, now, why, plan);
      continue;
    }
    if (!res.running) {
      release(key, why);
      RebuildLedger(node);
      continue;
    }
    // Running work: stop early enough to finish the checkpoint before the violation.
    JobRecord& job = *jobs_.find(res.job_id)->second;
    const bool training = job.spec.kind == JobKind::kTraining;
    const Duration ckpt = CheckpointDuration(job.spec, l);
    TimePoint stop_at = std::max(training ? at - ckpt : at, now);
    stop_at = l.TimeOfStep(l.CeilStep(stop_at));
    if (training && stop_at + ckpt > at && at - ckpt >= now) stop_at = at - ckpt;
    const TimePoint tail_end = training ? stop_at + ckpt : stop_at;
    std::string reason = why;
    if (training) {
      reason += "; checkpoint of " + FormatGb(job.spec.training.checkpoint_gb * 1e9) + " takes " +
                FormatDuration(ckpt) + ", done by " + FormatRfc3339(tail_end);
      if (tail_end > at) reason += " (too late to finish before the violation)";
    }
    StopRunning(node, key, stop_at, tail_end, now, reason, plan);
  }
  ReallocateOutputs(node, now, plan);
  ReportWaitingOutputs(node, plan);
}

void Engine::PlaceJob(JobRecord& job, TimePoint now, PlanResult& plan) {
  if (job.tried && job.tried_version == capacity_version_ && job.tried_now == now) {
    plan.outcomes.push_back(
        {job.spec.id, OutcomeKind::kRetryLater, job.last_constraint, job.last_reason});
    return;
  }
  const PlacementRequest req = MakeRequest(job, now);
  SearchOutcome found = SearchPlacement(SearchNodes(), req, config_, *policy_, false);
  if (found.best) {
    Reservation r = std::move(found.best->reservation);
    plan.actions.push_back(StartJob{r.job_id, r.node_id, r.start, r.end, r.work_gpu_hours});
    plan.outcomes.push_back({job.spec.id, OutcomeKind::kPlaced, Constraint::kNone,
                             "placed on " + r.node_id + " at " + FormatRfc3339(r.start)});
    job.state = JobState::kPlaced;
    job.last_reason.clear();
    job.tried = false;
    const Reservation& placed = CommitReservation(std::move(r), job.spec.id);
    SettleCheckpointDownlink(job, placed, now);
    return;
  }
  const uint64_t version_before = capacity_version_;
  if (config_.enable_preemption && found.transient && TryPreemption(job, now, plan)) return;
  job.last_reason = found.reason;
  job.last_constraint = found.constraint;
  job.tried = true;
  job.tried_version = version_before;
  job.tried_now = now;
  if (found.transient) {
    plan.outcomes.push_back(
        {job.spec.id, OutcomeKind::kRetryLater, found.constraint, found.reason});
    return;
  }
  job.state = JobState::kRejected;
  plan.actions.push_back(Reject{job.spec.id, found.constraint, found.reason});
  plan.outcomes.push_back({job.spec.id, OutcomeKind::kInfeasible, found.constraint, found.reason});
}

// Frees lower-priority preemptible training on one node at a time (lowest priority, latest
// start first) until the job fits; picks the node needing the fewest victims, then the best
// score. Only for jobs that would otherwise miss a deadline or an SLO.
bool Engine::TryPreemption(JobRecord& job, TimePoint now, PlanResult& plan) {
  // Bounds on the work of one preemption search (each trial rebuilds a node's ledger).
  constexpr size_t kMaxVictimsPerNode = 16;
  constexpr int kMaxPreemptionTrialNodes = 64;
  int trial_nodes = 0;
  const bool urgent = job.spec.kind == JobKind::kInference || job.spec.training.deadline;
  if (!urgent) return false;
  const PlacementRequest req = MakeRequest(job, now);
  struct Choice {
    NodeRecord* node = nullptr;
    std::vector<std::string> victims;
    double score = 0;
  };
  std::optional<Choice> best;
  PlacementRequest quiet = req;
  quiet.describe = false;
  std::optional<NodeLedger> trial;  // scratch copy, reused so its buffers are allocated once
  for (auto& [id, node] : nodes_) {
    if (!node->ledger || !TakesNewWork(node->state)) continue;
    NodeCandidateContext ctx;
    if (auto rej = PrepareNodeCandidate(*node->ledger, node->state, 0, quiet, *policy_, &ctx);
        rej && !rej->transient) {
      continue;  // freeing capacity cannot help against a static constraint
    }
    std::vector<const Reservation*> victims;
    for (const std::string& key : node->reservation_keys) {
      const Reservation& r = reservations_[key];
      const JobRecord& other = *jobs_.find(r.job_id)->second;
      if (r.stopping || r.checkpoint_downlink || r.end <= now ||
          other.spec.kind != JobKind::kTraining || !other.spec.training.preemptible ||
          other.spec.priority >= job.spec.priority) {
        continue;
      }
      victims.push_back(&r);
    }
    if (victims.empty()) continue;
    // Necessary condition before any trial: even without every victim, some step of the job's
    // window must have enough GPUs left.
    if (ctx.ledger) {
      int victim_gpus = 0;
      for (const Reservation* v : victims) victim_gpus += v->gpus;
      const int64_t lo = std::clamp<int64_t>(ctx.earliest_step, 0, ctx.ledger->steps());
      const int64_t hi =
          std::clamp<int64_t>(ctx.latest_step + ctx.duration_steps, lo, ctx.ledger->steps());
      if (ctx.ledger->MinUsedGpus(int(lo), int(hi)) - victim_gpus >
          node->spec.gpu_count - job.spec.gpus) {
        continue;
      }
    }
    if (++trial_nodes > kMaxPreemptionTrialNodes) break;
    std::sort(victims.begin(), victims.end(), [&](const Reservation* a, const Reservation* b) {
      const int pa = jobs_.find(a->job_id)->second->spec.priority;
      const int pb = jobs_.find(b->job_id)->second->spec.priority;
      if (pa != pb) return pa < pb;
      return a->start != b->start ? a->start > b->start : a->job_id < b->job_id;
    });
    if (victims.size() > kMaxVictimsPerNode) victims.resize(kMaxVictimsPerNode);
    if (trial) {
      *trial = *node->ledger;
    } else {
      trial.emplace(*node->ledger);
    }
    std::set<std::string> removed;
    for (const Reservation* v : victims) {
      removed.insert(v->job_id);
      if (best && removed.size() > best->victims.size()) break;
      std::vector<Reservation> tails;
      std::vector<const Reservation*> kept;
      tails.reserve(removed.size());
      for (const std::string& key : node->reservation_keys) {
        const Reservation& r = reservations_[key];
        if (!removed.count(r.job_id) || r.checkpoint_downlink) {
          kept.push_back(&r);
        } else if (r.running) {
          // Keeps running until its checkpoint is written.
          tails.push_back(StoppingTail(
              r, now, now + CheckpointDuration(jobs_.find(r.job_id)->second->spec, *trial)));
          if (tails.back().end > tails.back().start) kept.push_back(&tails.back());
        }
      }
      trial->Rebuild(kept);
      SearchOutcome o = SearchPlacement({MakeSearchNode(node->spec, &*trial, node->state)}, req,
                                        config_, *policy_, false);
      if (o.best) {
        if (!best || removed.size() < best->victims.size() ||
            (removed.size() == best->victims.size() && o.best->score < best->score)) {
          best = Choice{node.get(), {removed.begin(), removed.end()}, o.best->score};
        }
        break;
      }
    }
  }
  if (!best) return false;
  ++capacity_version_;
  NodeRecord& node = *best->node;
  for (const std::string& vid : best->victims) {
    JobRecord& v = *jobs_.find(vid)->second;
    Reservation res = reservations_[vid];
    const std::string why = "preempted by higher-priority job " + job.spec.id + " (priority " +
                            std::to_string(job.spec.priority) + " > " +
                            std::to_string(v.spec.priority) + ")";
    node.reservation_keys.erase(vid);
    reservations_.erase(vid);
    if (res.running) {
      const Duration ckpt = CheckpointDuration(v.spec, *node.ledger);
      plan.actions.push_back(StopJob{vid, node.spec.id, now, true, why});
      RequeueFromStop(v, res, now, now + ckpt);
      Reservation tail = StoppingTail(res, now, now + ckpt);
      if (tail.end > tail.start) {
        node.reservation_keys.insert(vid + std::string(kStoppingSuffix));
        stopping_keys_.insert(vid + std::string(kStoppingSuffix));
        reservations_[vid + std::string(kStoppingSuffix)] = std::move(tail);
      }
    } else {
      plan.actions.push_back(StopJob{vid, node.spec.id, now, false, why});
      v.state = JobState::kPending;
      maybe_pending_.insert(vid);
    }
    plan.outcomes.push_back({vid, OutcomeKind::kRetryLater, Constraint::kGpusBusy, why});
  }
  RebuildLedger(node);
  SearchOutcome o = SearchPlacement({MakeSearchNode(node.spec, node.ledger.get(), node.state)}, req,
                                    config_, *policy_, false);
  if (!o.best) return false;  // cannot happen: same ledger state as the trial
  Reservation r = std::move(o.best->reservation);
  plan.actions.push_back(StartJob{r.job_id, r.node_id, r.start, r.end, r.work_gpu_hours});
  std::string msg = "placed on " + r.node_id + " at " + FormatRfc3339(r.start) + " by preempting";
  for (const std::string& v : best->victims) msg += " " + v;
  plan.outcomes.push_back({job.spec.id, OutcomeKind::kPlaced, Constraint::kNone, msg});
  job.state = JobState::kPlaced;
  const Reservation& placed = CommitReservation(std::move(r), job.spec.id);
  SettleCheckpointDownlink(job, placed, now);
  return true;
}

}  // namespace apsis::core
